"""The JBUSP register map (NETYS, ITYS, MODULYS, MASTERYS MC/BC/GP/IP+, DELPHYS MP/MX/BC/GP/Xtend).

Sources:

- EN manual, appendix "JBUSP UPS MODBUS TABLE": statuses S00–S63 (0x1020, 4 words),
  alarms A00–A63 (0x1040, 4 words), measurements M00–M47 (0x1060, 48 words),
  identifiers 0x1000 (12 words), configuration 0x10E0, the 0x1000 UPS range table.
- FR manual, "Annexe : TABLEAU DES ASI MODBUS JBUSP": the French labels. Its level
  column writes "L" for Warning (INVENTORY.md (a) #39).
- EN appendix "MODBUS TCP ACCESS": block sizes (identifiers 12 words). Its configuration
  row says 16 words (T00–T15) and the text "up to 15 words", but the configuration
  table itself runs 0x10E0–0x10FF (T00–T31): the block is those 32 words, as a
  real unit answers them (Network UPS Tools' ``socomec_jbus`` reads 32 words there).
- EN appendices "NET VISION 7 MIB FILE OID DESCRIPTION" (upsWellKnownAlarms),
  "RFC1628 WELLKNOWALARMS OID DESCRIPTION" and "NET VISION 7 TRAP DESCRIPTION":
  the JBUSP columns, as expressions.
- spec/README.md "Facts from public Socomec MODBUS manuals": the JBUS control word
  (0x05B0), the enabled-controls table (0x05C0), the per-module battery test
  (0x15B0 / 0x15C1), the UPS clock (0x1360, 4 words).

Labels are the manuals' with obvious typos fixed ("Nomnival", "Serail",
"MASTERYYS") and truncations spelled out ("Rec.", "fr."). Where the French annex
mistranslates or leaves a label in English, the French label is ours: A05 (the
annex says "Fréquence entrée redresseur…" for a supply alarm), A27 (the annex
repeats A03's text), A61 (left in English); M00/M01 ("Taux de charge
utilisations…") and M10/M11 ("Tension en sortie…") are worded like their siblings.

Unit addressing: the manual's 0x1xxx tables are those of unit (module) 1 in the
public JBUS convention; unit N of a parallel system answers at 0xNxxx and the
system at 0x0xxx (:func:`~netvision.ups.maps.base.unit_address`). A single UPS is
therefore unit 1, and a parallel system has at most 6 units (S32–S37).

UPS clock, block ``date_time`` (0x1360, 4 words): the NET VISION manuals give
only its address. It is read as Socomec's public DELPHYS MP/MX JBUS manual lays
it out (and Network UPS Tools' ``socomec_jbus`` driver reads it): word 0
minute (MSB) / second (LSB), word 1 day (MSB) / hour (LSB), word 2 month (MSB),
word 3 year − 2000 (``decode.decode_ups_time``).

Decisions recorded here (see also docs/decisions.md):

- M40–M42 "Input power L1–L3" have no unit in either manual; they are read as
  kW×10 like M36 "UPS output power".
- M43 "Rec input Fr" is "Hz*10" with format ##.##; it is read as Hz×10 like M18/M19.
- Trap 18 (upsTrapOnBypass) is written ``S04&!S06`` in the trap appendix, but S06 is
  "Remote controls disabled"; it uses ``S04 & !S07`` (on bypass, not in eco mode)
  like MIB .55 and RFC1628 .9 (INVENTORY.md (a) #8).
- Trap 24 (upsTrapAlarmCancelled) is written ``!A15`` (A15 = "BOOST too high"); it
  uses ``!A00``, the general alarm (INVENTORY.md (a) #12).
- MIB .8 upsAlarmOutputShortCircuit names A09, a bit the alarm table leaves blank
  (not managed by NET VISION): it is "not available" here.
- MIB .57 (upsAlarmUpsSystemOff, ``!S02&!S01&S04``) and RFC1628 .15
  (``!S02 & !S03 & !S04``) disagree (INVENTORY.md (a) #9); each table keeps its own text.
"""

from __future__ import annotations

from .base import (
    Bit,
    Block,
    ConfigWord,
    ControlEncoding,
    Level,
    Measurement,
    RangeCode,
    RegisterMap,
    TextField,
    numbered_bits,
)

_I, _W, _C = Level.INFORMATION, Level.WARNING, Level.CRITICAL


def _bits(prefix: str, rows: tuple[tuple[int, Level | None, str, str], ...]) -> tuple[Bit, ...]:
    return numbered_bits(prefix, 2, rows)


# EN "List of status managed by UPS" (0x1020); FR "Liste des états gérés par l'ASI".
# S18–S22, S25, S44, S45, S47, S50–S63 are blank in both manuals.
STATUSES: tuple[Bit, ...] = _bits(
    "S",
    (
        (0, _I, "Rectifier input supply present", "Alimentation redresseur présente"),
        (1, _I, "Inverter ON", "Onduleur activé"),
        (2, _I, "Rectifier ON", "Redresseur ON"),
        (3, _I, "Load protected by inverter", "Charge utilisatrice protégée par l'onduleur"),
        (4, _W, "Load on automatic bypass", "Utilisation sur by-pass automatique"),
        (5, _W, "On battery / Battery discharging", "En autonomie / Batterie en décharge"),
        (6, None, "Remote controls disabled", "Télécommandes désactivées"),
        (7, None, "Eco-mode ON", "Eco mode activé"),
        (8, _W, "Stand-by mode", "Mode Stand by (veille) activé"),
        (9, None, "Buzzer on", "Buzzer activé"),
        (10, _I, "Battery test in progress", "Test batterie en cours"),
        (11, _I, "Battery test programmed", "Test batterie programmé"),
        (12, _I, "Battery test in stand-by", "Test batterie en veille"),
        (13, _I, "Battery test supported", "Test batterie pris en charge"),
        (14, _W, "Battery test failed", "Échec test batterie"),
        (15, _C, "Battery near end of backup time", "Batterie proche de la fin d'autonomie"),
        (16, _C, "Battery discharged", "Batterie déchargée"),
        (17, _I, "Battery OK", "Batterie OK"),
        (23, None, "Inverter synchronised with mains", "Onduleur synchronisé sur le réseau"),
        (24, None, "Boost on", "Boost activé"),
        (26, _I, "Bypass input supply present", "Alimentation by-pass présente"),
        (27, _I, "Battery charging", "Batterie en charge"),
        (28, None, "Bypass input frequency out of tolerance", "Fréquence entrée by-pass hors tolérances"),
        (29, None, "Stand-by schedule", "Stand by (mode veille) planifié"),
        (30, None, "UPS on parallel system", "ASI en système parallèle"),
        (31, None, "Battery extension", "Extension batterie"),
        *((31 + unit, None, f"Unit {unit} present", f"Unité {unit} présente") for unit in range(1, 7)),
        *((37 + n, None, f"External input {n}", f"Entrée externe {n}") for n in range(1, 5)),
        (42, None, "Controls permission table managed", "Gestion de la table des autorisations de contrôle"),
        (43, None, "Power share", "Power Share (partage de l'alimentation)"),
        (46, _I, "Operating on Gen Set", "Fonctionnement sur groupe électrogène"),
        (48, _W, "Maintenance mode active", "Mode maintenance actif"),
        (49, _W, "End of the first maintenance period", "Fin de la première période de maintenance"),
    ),
)

# EN "List of alarms managed by the UPS" (0x1040); FR "Liste des alarmes gérées par l'ASI".
# A09, A11, A12, A24, A28, A53, A63 are blank in both manuals.
ALARMS: tuple[Bit, ...] = _bits(
    "A",
    (
        (0, _W, "General alarm", "Alarme générale"),
        (1, _W, "Battery failure", "Défaut batterie"),
        (2, _W, "UPS overload", "Surcharge ASI"),
        (3, None, "Output voltage out of tolerance", "Tension de sortie hors tolérances"),
        (4, None, "Control failure", "Défaut contrôleur"),
        (5, _W, "Rectifier input supply out of tolerance", "Alimentation redresseur hors tolérances"),
        (6, _W, "Bypass input supply out of tolerance", "Alimentation by-pass hors tolérances"),
        (7, _W, "Over temperature alarm", "Alarme température excessive"),
        (8, _W, "Maintenance bypass closed", "By-pass de maintenance fermé"),
        (10, _W, "Battery charger fault", "Défaut chargeur batterie"),
        (13, None, "Pre-charge out of tolerance", "Précharge hors tolérances"),
        (14, None, "BOOST too low", "Boost faible"),
        (15, None, "BOOST too high", "Boost trop élevé"),
        (16, None, "VDC too high", "VDC trop élevé"),
        (17, None, "Improper condition of use", "Mauvaises conditions d'utilisation"),
        (18, None, "Inverter stopped for overload", "Onduleur arrêté pour cause de surcharge"),
        (19, _W, "Microprocessor control system", "Système de contrôle du microprocesseur"),
        (20, _W, "Data map corrupted", "Configuration corrompue"),
        (21, None, "PLL fault (sources synchronization)", "Défaut PLL (synchronisation des sources)"),
        (22, None, "Rectifier input supply fault", "Défaut alimentation redresseur"),
        (23, _W, "Rectifier preventive alarm", "Alarme préventive redresseur"),
        (25, _W, "Inverter preventive alarm", "Alarme préventive onduleur"),
        (26, _W, "Charger general alarm", "Alarme générale chargeur"),
        (27, None, "Output voltage over limit", "Tension de sortie au-delà de la limite"),
        (29, _W, "Bypass preventive alarm", "Alarme préventive by-pass"),
        (30, None, "UPS stopped for overload", "Arrêt ASI par surcharge"),
        (31, _C, "Imminent STOP", "ARRÊT imminent"),
        *(
            (31 + unit, _W, f"Unit {unit} general alarm", f"Alarme générale unité {unit}")
            for unit in range(1, 7)
        ),
        (38, _W, "External alarm 1", "Alarme externe 1"),
        *((37 + n, None, f"External alarm {n}", f"Alarme externe {n}") for n in range(2, 5)),
        (42, _W, "Remote service alarm", "Alarme service à distance"),
        (43, _W, "Redundancy loss", "Perte de redondance"),
        (44, _W, "Servicing alarm", "Alarme maintenance"),
        (45, _W, "Automatic and manual transfer disabled", "Transfert auto/manuel désactivé"),
        (46, _W, "Automatic transfer disabled", "Transfert automatique désactivé"),
        (47, _W, "Battery room alarm", "Alarme local batterie"),
        (48, _W, "Maintenance bypass alarm", "Alarme by-pass de maintenance"),
        (49, _C, "Battery discharged", "Batterie déchargée"),
        (50, _W, "Insufficient resources", "Ressources insuffisantes"),
        (51, _W, "Synoptic alarm", "Alarme synoptique"),
        (52, _C, "Rectifier fault", "Défaut redresseur"),
        (54, _C, "Inverter fault", "Alarme critique onduleur"),
        (55, None, "Parallel fault", "Défaut parallèle"),
        (56, _W, "Gen set alarm", "Alarme groupe électrogène"),
        (57, None, "Gen set fault", "Défaut groupe électrogène"),
        (58, _C, "ESD activated", "ESD activée"),
        (59, _C, "Battery circuit open", "Circuit batterie ouvert"),
        (60, _W, "Fan failure", "Panne ventilation"),
        (61, _W, "Phase rotation fault", "Défaut de rotation des phases"),
        (62, _C, "Bypass critical alarm", "Alarme critique by-pass"),
    ),
)


# EN "List of measurements managed by UPS" (0x1060). M25–M32 and M44–M47 are blank.
# A raw 0xFFFF (-1) means "not managed by this UPS" (decode.py).
# (number, key, English label, French label, unit, scale)
_MEASUREMENT_ROWS: tuple[tuple[int, str, str, str, str, int], ...] = (
    (0, "load_rate_l1", "Load rate phase 1", "Taux de charge phase 1", "%", 1),
    (1, "load_rate_l2", "Load rate phase 2", "Taux de charge phase 2", "%", 1),
    (2, "load_rate_l3", "Load rate phase 3", "Taux de charge phase 3", "%", 1),
    (3, "load_rate", "UPS load rate", "Taux de charge ASI", "%", 1),
    (4, "battery_capacity", "Battery capacity", "Capacité batterie", "%", 1),
    (5, "battery_capacity_ah", "Battery capacity", "Capacité batterie", "Ah", 10),
    (6, "bypass_voltage_l1", "Input bypass voltage phase 1", "Tension entrée by-pass phase 1", "V", 1),
    (7, "bypass_voltage_l2", "Input bypass voltage phase 2", "Tension entrée by-pass phase 2", "V", 1),
    (8, "bypass_voltage_l3", "Input bypass voltage phase 3", "Tension entrée by-pass phase 3", "V", 1),
    (9, "output_voltage_l1", "Output voltage phase 1", "Tension sortie phase 1", "V", 1),
    (10, "output_voltage_l2", "Output voltage phase 2", "Tension sortie phase 2", "V", 1),
    (11, "output_voltage_l3", "Output voltage phase 3", "Tension sortie phase 3", "V", 1),
    (12, "input_current_l1", "Input current L1", "Courant entrée L1", "A", 1),
    (13, "input_current_l2", "Input current L2", "Courant entrée L2", "A", 1),
    (14, "input_current_l3", "Input current L3", "Courant entrée L3", "A", 1),
    (15, "output_current_l1", "Output current phase 1", "Courant sortie phase 1", "A", 10),
    (16, "output_current_l2", "Output current phase 2", "Courant sortie phase 2", "A", 10),
    (17, "output_current_l3", "Output current phase 3", "Courant sortie phase 3", "A", 10),
    (18, "bypass_frequency", "Input bypass frequency", "Fréquence entrée by-pass", "Hz", 10),
    (19, "output_frequency", "Output frequency", "Fréquence de sortie", "Hz", 10),
    (20, "battery_voltage", "Battery voltage (+)", "Tension batterie (+)", "V", 10),
    (21, "battery_voltage_negative", "Battery voltage (-)", "Tension batterie (-)", "V", 10),
    (22, "ambient_temperature", "Ambient temperature", "Température ambiante", "°C", 1),
    (23, "remaining_backup_time", "Remaining backup time", "Durée d'autonomie restante", "min", 1),
    (24, "battery_current", "Battery current", "Courant batterie", "A", 10),
    (33, "input_voltage_l1", "Rectifier input voltage phase 1", "Tension entrée redresseur phase 1", "V", 1),
    (34, "input_voltage_l2", "Rectifier input voltage phase 2", "Tension entrée redresseur phase 2", "V", 1),
    (35, "input_voltage_l3", "Rectifier input voltage phase 3", "Tension entrée redresseur phase 3", "V", 1),
    (36, "output_kw", "UPS output power", "Puissance sortie ASI", "kW", 10),
    (37, "output_kva_l1", "Output power phase 1", "Puissance sortie phase 1", "kVA", 10),
    (38, "output_kva_l2", "Output power phase 2", "Puissance sortie phase 2", "kVA", 10),
    (39, "output_kva_l3", "Output power phase 3", "Puissance sortie phase 3", "kVA", 10),
    # No unit in either manual: read as kW×10 like M36 (module docstring).
    (40, "input_power_l1", "Input power L1", "Puissance entrée L1", "kW", 10),
    (41, "input_power_l2", "Input power L2", "Puissance entrée L2", "kW", 10),
    (42, "input_power_l3", "Input power L3", "Puissance entrée L3", "kW", 10),
    (43, "input_frequency", "Rectifier input frequency", "Fréquence entrée redresseur", "Hz", 10),
)

# M24 "±###.#": the battery current is the only signed word.
_SIGNED = frozenset({24})

MEASUREMENTS: tuple[Measurement, ...] = tuple(
    Measurement(f"M{number:02d}", number, key, label_en, label_fr, unit, scale, signed=number in _SIGNED)
    for number, key, label_en, label_fr, unit, scale in _MEASUREMENT_ROWS
)

# EN App. JBUSP "List of measurements managed by UPS", one column per range family:
# the measurements a range does not manage answer -1 (0xFFFF). DELPHYS MP/MX and
# BC/GP write -1; the NETYS/ITYS column writes -1 for M21 and M24 and leaves blank
# what the range has no sensor for (M05, M12–M14, M36–M43); its blank phase 2 and 3
# rows follow the range's phases. MASTERYS manages every named measurement; MODULYS,
# absent from the table, is a modular MASTERYS and manages them too.
_NOT_MANAGED_DELPHYS_MP_MX = frozenset({"M12", "M13", "M14", "M21", "M43"})
_NOT_MANAGED_DELPHYS_BC_GP = frozenset({"M12", "M13", "M14", "M21", "M36", "M43"})
_NOT_MANAGED_NETYS_ITYS = frozenset(
    {"M05", "M12", "M13", "M14", "M21", "M24", "M36", "M37", "M38", "M39", "M40", "M41", "M42", "M43"}
)
# (first type code, last type code, measurements not managed), codes of RANGES below.
NOT_MANAGED_MEASUREMENTS: tuple[tuple[int, int, frozenset[str]], ...] = (
    (29, 31, _NOT_MANAGED_NETYS_ITYS),  # NETYS, ITYS, NETYS RT
    (35, 37, _NOT_MANAGED_NETYS_ITYS),  # NETYS PR, PR-RK, PR-RT
    (89, 89, _NOT_MANAGED_NETYS_ITYS),  # ITYS 3/1 UPS
    (513, 516, _NOT_MANAGED_DELPHYS_MP_MX),
    (1014, 1021, _NOT_MANAGED_DELPHYS_MP_MX),
    (640, 648, _NOT_MANAGED_DELPHYS_BC_GP),  # DELPHYS Green Power, BC, GP 2.0
)


def not_managed_measurements(type_code: int | None) -> frozenset[str]:
    """Acronyms of the measurements a range (0x1000 type code) answers -1 for."""
    for first, last, acronyms in NOT_MANAGED_MEASUREMENTS:
        if type_code is not None and first <= type_code <= last:
            return acronyms
    return frozenset()


# EN "List of UPS configurations": the 0x1000 identifiers (T00–T11) and the 0x10E0
# table (T00–T31, 32 words; T05–T07, T09, T11–T31 not used). T03–T07 of 0x1000 are the serial number (``serial_number`` below).
CONFIGURATION: tuple[ConfigWord, ...] = (
    ConfigWord("T00", "identification", 0, "ups_type", "UPS type", "Type ASI"),
    ConfigWord("T01", "identification", 1, "nominal_kva", "Nominal kVA", "Puissance nominale", "kVA", 10),
    ConfigWord("T02", "identification", 2, "module_number", "Module number", "Numéro de module"),
    ConfigWord(
        "T00",
        "configuration",
        0,
        "nominal_input_voltage",
        "Nominal star input voltage",
        "Tension nominale en entrée montage étoile",
        "V",
    ),
    ConfigWord(
        "T01",
        "configuration",
        1,
        "nominal_output_voltage",
        "Nominal star output voltage",
        "Tension nominale en sortie montage étoile",
        "V",
    ),
    ConfigWord(
        "T02",
        "configuration",
        2,
        "nominal_input_frequency",
        "Nominal input frequency",
        "Fréquence nominale en entrée",
        "Hz",
    ),
    ConfigWord(
        "T03",
        "configuration",
        3,
        "nominal_output_frequency",
        "Nominal output frequency",
        "Fréquence nominale en sortie",
        "Hz",
    ),
    ConfigWord(
        "T04",
        "configuration",
        4,
        "firmware_version",
        "Firmware version of communication board",
        "Version firmware de la carte de communication",
        "",
        100,
    ),
    ConfigWord(
        "T08",
        "configuration",
        8,
        "nominal_battery_capacity_ah",
        "Total nominal battery capacity (battery expansion cabinets included)",
        "Capacité nominale batterie totale (armoires d'extension batterie incluses)",
        "Ah",
        10,
    ),
    ConfigWord(
        "T10",
        "configuration",
        10,
        "power_share_plugs",
        "Number of Power Share plugs available",
        "Nombre de prises Power Share (partage d'alimentation) disponibles",
    ),
)

# EN "0x1000 value / UPS RANGE" (FR "Valeur 0x1000 / GAMME ASI").
RANGES: tuple[RangeCode, ...] = (
    RangeCode(20, 20, "MODULYS 1/1 MODULE"),
    RangeCode(21, 21, "MODULYS 1/1 UPS"),
    RangeCode(22, 22, "MODULYS 1/1 SYSTEM"),
    RangeCode(26, 26, "MASTERYS 1/1 SYSTEM"),
    RangeCode(27, 27, "MASTERYS 1/1 UPS"),
    RangeCode(28, 28, "MASTERYS 1/1 MODULE"),
    RangeCode(29, 29, "NETYS"),
    RangeCode(30, 30, "ITYS"),
    RangeCode(31, 31, "NETYS RT"),
    RangeCode(35, 35, "NETYS PR"),
    RangeCode(36, 36, "NETYS PR-RK"),
    RangeCode(37, 37, "NETYS PR-RT"),
    RangeCode(82, 82, "MODULYS 3/1 MODULE"),
    RangeCode(83, 83, "MODULYS 3/1 SYSTEM"),
    RangeCode(84, 84, "MODULYS 3/1 UPS"),
    RangeCode(86, 86, "MASTERYS 3/1 SYSTEM"),
    RangeCode(87, 87, "MASTERYS 3/1 UPS"),
    RangeCode(88, 88, "MASTERYS 3/1 MODULE"),
    RangeCode(89, 89, "ITYS 3/1 UPS"),
    RangeCode(256, 256, "MASTERYS 3/3 SYSTEM"),
    RangeCode(257, 257, "MASTERYS 3/3 UPS"),
    RangeCode(258, 258, "MASTERYS 3/3 MODULE"),
    RangeCode(513, 514, "DELPHYS MP SINGLE UNIT"),
    RangeCode(515, 516, "DELPHYS MX SINGLE UNIT"),
    RangeCode(640, 640, "DELPHYS Green Power"),
    RangeCode(644, 644, "DELPHYS BC"),
    RangeCode(648, 648, "DELPHYS GP 2.0"),
    RangeCode(1014, 1017, "DELPHYS MP SYSTEM"),
    RangeCode(1018, 1021, "DELPHYS MX SYSTEM"),
)

# Semantic conditions (base.CONDITIONS) the JBUSP tables can express. Not expressible
# here, so absent: energy_saver, line_interactive, auto_test (MIB .54 is "0"), operating,
# available, normal_mode, battery_present, battery_charged, battery_temperature_alarm
# (MIB .16 is "0"), battery_to_input, battery_shared, and the STS conditions.
CONDITIONS_JBUSP: dict[str, str] = {
    # power path
    "rectifier_supply_present": "S00",
    "inverter_on": "S01",
    "rectifier_on": "S02",
    "load_on_inverter": "S03",
    "load_on_automatic_bypass": "S04",
    # S04 is also set in eco mode (MIB .55 "S04&!S07"): the static bypass conducts.
    "bypass_on": "S04",
    "on_battery": "S05",
    "maintenance_bypass_closed": "A08",
    "load_on_maintenance_bypass": "A08",
    # MIB .56 upsAlarmUpsOutputOff, trap 13 upsTrapLoadOFF.
    "load_off": "!S03 & !S04",
    "bypass_supply_present": "S26",
    "genset_on": "S46",
    "sources_synchronised": "S23",
    # operating modes
    "eco_mode": "S07",
    "standby": "S08",
    "in_service_mode": "S48",
    # battery
    "battery_test_in_progress": "S10",
    "battery_test_programmed": "S11",
    "battery_test_failed": "S14",
    "battery_test_standby": "S12",
    "battery_test_supported": "S13",
    "battery_low": "S15",
    "battery_discharged": "S16 | A49",
    "battery_ok": "S17",
    "battery_charging": "S27",
    "battery_disconnected": "A59",
    "battery_alarm": "A01",
    "battery_room_alarm": "A47",
    # alarms and protections
    "general_alarm": "A00",
    "overload": "A02",
    "imminent_stop": "A31",
    "maintenance_alarm": "A44",
    "transfer_locked": "A45",
    "transfer_impossible": "A46",
    "rectifier_preventive_alarm": "A23",
    "rectifier_critical_alarm": "A52",
    "inverter_preventive_alarm": "A25",
    "inverter_critical_alarm": "A54",
    "bypass_preventive_alarm": "A29",
    "bypass_critical_alarm": "A62",
    # topology and control
    "parallel_system": "S30",
    "remote_controls_permitted": "!S06",
    "permission_table_managed": "S42",
    "standby_schedule": "S29",
}

# EN App. "NET VISION 7 MIB FILE OID DESCRIPTION", upsAlarm(6) 3.n, JBUSP column.
# "0" and blank are "" (not available); .58–.62 are raised by the card itself.
WELL_KNOWN_ALARMS: dict[int, str] = {
    1: "A31",  # ImminentStop
    2: "A02",  # Overload
    3: "A07",  # Temperature
    4: "A45",  # TransferLock
    5: "A46",  # AutoTransferImpossible
    6: "A50",  # InsufficientResources
    7: "A43",  # RedundancyLost
    8: "",  # OutputShortCircuit: the MIB says A09, a blank bit of the alarm table
    9: "A44",  # Maintenance
    10: "A42",  # RemoteService
    11: "A00",  # GeneralFault
    12: "A59",  # BatteryCircuitOpen
    13: "S16 | A49",  # BatteryDischarged
    14: "S15",  # LowBattery
    15: "S05",  # OnBattery
    16: "",  # BatteryTemperature ("0")
    17: "A47",  # BatteryRoom
    18: "S14",  # BatteryTest
    19: "A01",  # BatteryFault
    20: "A52",  # RectifierFault
    21: "A23",  # RectifierAlarm
    22: "A05",  # ReInputBad
    23: "A56",  # GenSetGeneral
    24: "A10",  # BatteryChargerFault
    25: "A26",  # BatteryChargerAlarm
    26: "A54",  # InverterFault
    27: "A25",  # InverterAlarm
    28: "A62",  # BypassFault
    29: "A29",  # BypassAlarm
    30: "A06",  # ByInputBad
    31: "A61",  # PhaseRotationFault
    32: "A60",  # FansFailure
    33: "A48",  # MaintenanceBypass
    34: "A58",  # UPSPowerOffActive
    35: "A20",  # WrongConfiguration
    36: "A19",  # InternalFailure
    37: "A51",  # OptionalBoards
    38: "A38",  # ExternalAlarm1
    39: "A39",  # ExternalAlarm2
    40: "A40",  # ExternalAlarm3
    41: "A41",  # ExternalAlarm4
    **{41 + unit: f"A{31 + unit}" for unit in range(1, 7)},  # Module1Alarm–Module6Alarm: A32–A37
    **{41 + unit: "" for unit in range(7, 13)},  # Module7Alarm–Module12Alarm ("0")
    54: "",  # AutoTestRunning ("0")
    55: "S04 & !S07",  # OnBypass
    56: "!S03 & !S04",  # UpsOutputOff
    57: "!S02 & !S01 & S04",  # UpsSystemOff
}

# EN App. "RFC1628 WELLKNOWALARMS OID DESCRIPTION", .1.3.6.1.2.1.33.1.6.3.n, JBUSP column.
RFC1628_ALARMS: dict[int, str] = {
    1: "A01 | A47",  # BatteryBad
    2: "S05",  # OnBattery
    3: "S15",  # LowBattery
    4: "S16 | A49",  # DepletedBattery
    5: "A07",  # TempBad
    6: "A05",  # InputBad
    7: "",  # OutputBad: not available
    8: "A02",  # OutputOverload
    9: "S04 & !S07",  # OnBypass
    10: "A29",  # BypassBad
    11: "",  # OutputOffAsRequested: not available
    12: "",  # UpsOffAsRequested: not available
    13: "A26",  # ChargerFailed
    14: "!S03 & !S04",  # UpsOutputOff
    15: "!S02 & !S03 & !S04",  # UpsSystemOff
    16: "A60",  # FanFailure
    17: "",  # FuseFailure: not available
    18: "A00",  # GeneralFault
    19: "S14",  # DiagnosticTestFailed
    20: "",  # CommunicationsLost: NET VISION alarm
    21: "",  # AwaitingPower: shutdown agent
    22: "",  # ShutdownPending: shutdown agent
    23: "",  # ShutdownImminent: shutdown agent
    24: "S10",  # TestInProgress
}

# EN App. "NET VISION 7 TRAP DESCRIPTION", JBUSP column, for the traps raised by UPS bits.
TRAP_CONDITIONS: dict[int, str] = {
    1: "S05",  # upsTrapOnBattery
    5: "A31",  # upsTrapImminentStop
    6: "A02",  # upsTrapOverload
    7: "A43",  # upsTrapRedundancyLost
    8: "A59",  # upsTrapBatteryCircuitOpen
    9: "S16",  # upsTrapBatteryDischarged
    10: "S15",  # upsTrapBatteryLow
    11: "A01",  # upsTrapBatteryAlarm
    12: "A52 | A54 | A62",  # upsTrapUpsCriticalAlarm
    13: "!S03 & !S04",  # upsTrapLoadOFF
    15: "S05",  # upsTrapOnBatteryPower
    16: "S14",  # upsTrapBatteryTestFailed
    17: "A07",  # upsTrapTemperatureAlarm
    18: "S04 & !S07",  # upsTrapOnBypass (manual: S04&!S06, S06 = remote controls disabled)
    19: "A00",  # upsTrapUpsPreventiveAlarm
    22: "S03",  # upsTrapUpsNormal
    23: "S00",  # upsTrapPowerRestored
    24: "!A00",  # upsTrapAlarmCancelled (manual: !A15, A15 = BOOST too high)
}

# spec/README.md "JBUS ranges": one command word written to 0x05B0 (system level),
# permitted by the enabled-controls table 0x05C0 (C03, C04, C10, C11); the battery
# test is per module (0x15B0 … 0x65B0), permitted by 0x15C1 … 0x65C1 bit 0.
COMMAND_REGISTER = 0x05B0
PERMISSION_REGISTER = 0x05C0
CONTROLS: dict[str, ControlEncoding] = {
    "eco_mode_on": ControlEncoding(COMMAND_REGISTER, 0x0003, PERMISSION_REGISTER, 3),
    # "normal mode"
    "eco_mode_off": ControlEncoding(COMMAND_REGISTER, 0x0004, PERMISSION_REGISTER, 4),
    "transfer_to_bypass": ControlEncoding(COMMAND_REGISTER, 0x000A, PERMISSION_REGISTER, 10),
    "transfer_to_inverter": ControlEncoding(COMMAND_REGISTER, 0x000B, PERMISSION_REGISTER, 11),
    "battery_test": ControlEncoding(
        0x15B0, 0x0010, 0x15C1, 0, per_unit=True, announced_by="battery_test_supported"
    ),
    # ASSUMPTION (INVENTORY ACQ-20): no public document gives the standby command codes.
    # Taken as 0x0001 = standby on (output off) and 0x0002 = standby off (output on),
    # permitted by C01 and C02; offered only while the UPS says it manages the Standby
    # Schedule (S29). Check against the UPS's own JBUS table before relying on it.
    "standby_on": ControlEncoding(
        COMMAND_REGISTER, 0x0001, PERMISSION_REGISTER, 1, announced_by="standby_schedule"
    ),
    "standby_off": ControlEncoding(
        COMMAND_REGISTER, 0x0002, PERMISSION_REGISTER, 2, announced_by="standby_schedule"
    ),
}

JBUSP = RegisterMap(
    name="jbusp",
    title="JBUSP",
    device_kind="ups",
    blocks=(
        Block("identification", 0x1000, 12),
        Block("status", 0x1020, 4),
        Block("alarms", 0x1040, 4),
        Block("measurements", 0x1060, 48),
        Block("configuration", 0x10E0, 32),
        Block("date_time", 0x1360, 4),
        # JBUS enabled-controls table C00–C31, system level.
        Block("permissions", PERMISSION_REGISTER, 2, per_unit=False),
        Block("battery_test_permission", 0x15C1, 1),
    ),
    statuses=STATUSES,
    alarms=ALARMS,
    measurements=MEASUREMENTS,
    configuration=CONFIGURATION,
    ranges=RANGES,
    # 0x1003–0x1007: "char 2 / char 1" … "char 10 / char 9".
    serial_number=TextField("identification", 3, 5, low_byte_first=True),
    reference=None,
    probe_block="identification",
    identity_blocks=("identification", "configuration"),
    cycle_blocks=("status", "alarms", "measurements"),
    slow_blocks=("date_time", "permissions", "battery_test_permission"),
    conditions=CONDITIONS_JBUSP,
    well_known_alarms=WELL_KNOWN_ALARMS,
    rfc1628_alarms=RFC1628_ALARMS,
    trap_conditions=TRAP_CONDITIONS,
    controls=CONTROLS,
    single_unit_number=1,
    max_units=6,
    # 0x1020 and 0x1040 are apart: two 4-word reads between two cycles.
    fast_blocks=("status", "alarms"),
    clock_block="date_time",
    # S30 "UPS on parallel system" (condition parallel_system), S32–S37 "Unit n present".
    unit_present=tuple((f"S{31 + unit:02d}",) for unit in range(1, 7)),
    modular_models=("MODULYS",),
)
