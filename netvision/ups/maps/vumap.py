"""VU-MAP register map (ITYS-PRO, MODULYS GP 2.0/XS/XM/XL, MASTERYS BC+/GP4,
DELPHYS with touchscreen panel).

Transcribed from the English manual's "APPENDIX: VU-MAP MODBUS TABLE" and
"APPENDIX: MODBUS TCP ACCESS", with the French labels of the French edition's
"Annexe : Tableau VU-MAP MODBUS". Where the French annex is missing a label or
mistranslates one, the label here is a proper translation (docs/decisions.md).
Control and reference-table addresses come from public Socomec MODBUS manuals
(spec/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .base import (
    MEASUREMENT_KEYS,
    Bit,
    Block,
    ConfigWord,
    ControlEncoding,
    Installation,
    InstallationWords,
    Level,
    Measurement,
    RangeCode,
    RegisterMap,
    TextField,
    numbered_bits,
)

_I, _W, _C = Level.INFORMATION, Level.WARNING, Level.CRITICAL

# Number of units/modules a VU-MAP system can hold at level -1 (T002: 1 to 15).
UNIT_COUNT = 15

# --------------------------------------------------------------------------- statuses
# (number, level, English label, French label). Only named bits; a blank level
# means "not managed by NET VISION" (App. VU-MAP, note under the alarm table).
_STATUS_ROWS: tuple[tuple[int, Level | None, str, str], ...] = (
    # 0x0030
    (0, _I, "Load protected by inverter", "Charges utilisatrices protégées par l'onduleur"),
    (2, _W, "Load supplied by automatic bypass", "Utilisation alimentée par le by-pass automatique"),
    (3, _W, "Load supplied by maintenance bypass", "Utilisation alimentée par le by-pass de maintenance"),
    (4, _C, "Load OFF", "Charge déconnectée"),
    (6, _I, "UPS in eco mode", "ASI en mode Éco"),
    (7, _I, "UPS in energy saver", "ASI en mode Energy Saver"),
    (8, None, "Heat run test", "Test de fonctionnement"),
    (9, _W, "In service mode", "En mode Service"),
    (10, None, "Line-interactive mode", "Mode Line-Interactive"),
    (11, _I, "Operating", "En fonctionnement"),
    (12, _I, "Available", "Disponible"),
    (13, _W, "On standby", "En veille"),
    (14, _I, "Unit isolated", "Unité isolée"),
    (15, _W, "Maintenance alert", "Alerte maintenance"),
    # 0x0031
    (16, None, "Output breaker closed", "Disjoncteur de sortie fermé"),
    (17, None, "Maintenance bypass closed", "By-pass de maintenance fermé"),
    (18, None, "External maintenance bypass closed", "By-pass de maintenance externe fermé"),
    (19, None, "External output breaker closed", "Disjoncteur de sortie externe fermé"),
    (20, None, "Single-phase input supply", "Alimentation entrée monophasée"),
    (21, None, "Rectifier input breaker", "Disjoncteur entrée redresseur"),
    (22, None, "Bypass input breaker", "Disjoncteur entrée by-pass"),
    (23, _I, "Genset ON", "Groupe électrogène activé"),
    (24, None, "Busbar 1 closed", "Jeu de barres 1 fermé"),
    (25, None, "Busbar 2 closed", "Jeu de barres 2 fermé"),
    (26, _I, "Automatic start in progress", "Démarrage automatique en cours"),
    (27, _W, "Maintenance bypass procedure in progress", "Processus by-pass de maintenance en cours"),
    (28, _W, "UPS OFF procedure in progress", "Procédure d'arrêt ASI en cours"),
    (30, _I, "Auto-test procedure in progress", "Procédure d'auto-test en cours"),
    (31, _I, "Alarm acknowledgement requested", "Demande d'acquittement des alarmes"),
    # 0x0032
    (32, _I, "Battery OK", "Batterie OK"),
    (33, _I, "Battery charged", "Batterie chargée"),
    (34, _I, "Battery test in progress", "Test batterie en cours"),
    (35, _I, "Battery test programmed", "Test batterie programmé"),
    (36, _I, "Battery charging", "Batterie en charge"),
    (37, _W, "Battery test interrupted", "Test batterie interrompu"),
    (38, _I, "Floating voltage reduced", "Tension d'entretien batterie réduite"),
    (39, _I, "Battery discharge to input", "Décharge batterie sur entrée"),
    (40, _I, "UPS backup system connected", "Système de secours ASI connecté"),
    (41, _I, "UPS backup system charged / ready", "Système de secours ASI chargé / prêt"),
    (42, _I, "UPS backup system charging", "Système de secours ASI en charge"),
    # 0x0033
    (48, _I, "Rectifier input supply present", "Alimentation redresseur présente"),
    (49, _I, "Rectifier ON", "Redresseur ON"),
    (50, _I, "Charger ON", "Chargeur activé"),
    (51, None, "Rectifier is starting", "Redresseur en cours de démarrage"),
    (52, _I, "Inverter ON", "Onduleur activé"),
    (53, _I, "Inverter switch ON", "Interrupteur onduleur fermé"),
    (55, None, "Bypass output breaker closed", "Disjoncteur de sortie de by-pass fermé"),
    (56, _I, "Bypass input supply present", "Alimentation by-pass présente"),
    (57, _I, "Bypass static switch closed", "Interrupteur statique by-pass fermé"),
    (58, _I, "Bypass input and inverter synchronised", "Entrée by-pass et onduleur synchronisés"),
    (59, _I, "ACS external synchronisation", "Synchronisation ACS externe"),
    (60, None, "PowerShare plug 1 closed", "Prise Power Share 1 fermée"),
    (61, None, "PowerShare plug 2 closed", "Prise Power Share 2 fermée"),
    (62, None, "PowerShare plug 3 closed", "Prise Power Share 3 fermée"),
    (63, None, "PowerShare plug 4 closed", "Prise Power Share 4 fermée"),
    # 0x0034
    *((n, None, f"Card in slot {n - 63} present", f"Carte présente dans slot {n - 63}") for n in range(64, 70)),
    *((n, None, f"Programmable S{n:03d}", f"S{n:03d} programmable") for n in range(72, 80)),
    # 0x0035
    (80, None, "Module insertion procedure", "Procédure d'insertion d'un module"),
    (81, None, "Module extraction procedure", "Procédure d'extraction d'un module"),
    (82, None, "UPS in line-interactive operation", "ASI en mode Line-Interactive"),
    (83, None, "Battery circuit open", "Circuit batterie ouvert"),
    (84, None, "Backfeed protection open", "Protection backfeed ouverte"),
    (85, None, "Bypass locked", "By-pass verrouillé"),
    (86, None, "Advanced genset static mode – soft load", "Mode statique groupe électrogène av. – Soft Load"),
    (87, None, "Load derating for LIB", "Déclassement de la charge utilisatrice pour LIB"),
    # 0x0036, 0x0037: unit synthesis of a parallel system (App. MODBUS TCP ACCESS, note (*))
    *((95 + n, None, f"Unit {n} operating", f"Unité {n} en service") for n in range(1, UNIT_COUNT + 1)),
    *((111 + n, None, f"Unit {n} available", f"Unité {n} disponible") for n in range(1, UNIT_COUNT + 1)),
    # The French annex's "Mise à jour donnée courte" mistranslates this (INVENTORY (a) #39).
    (127, None, "Data no longer updated", "Données plus mises à jour"),
)

# --------------------------------------------------------------------------- alarms
_ALARM_ROWS: tuple[tuple[int, Level | None, str, str], ...] = (
    # 0x0038
    (0, _C, "Imminent stop", "Arrêt imminent"),
    (1, _W, "Overload alarm", "Alarme de surcharge"),
    (2, _W, "Ambient temperature alarm", "Alarme température ambiante"),
    (3, _W, "Transfer locked", "Transfert verrouillé"),
    (4, _W, "Transfer impossible", "Transfert impossible"),
    (5, _W, "Insufficient resources", "Ressources insuffisantes"),
    (6, _W, "Redundancy lost", "Perte de redondance"),
    (7, _W, "Output short-circuit detection", "Détection court-circuit en sortie"),
    (8, None, "eco mode disabled by UPS", "Mode Éco désactivé par l'ASI"),
    (9, None, "Energy saver disabled by UPS", "Energy Saver désactivé par l'ASI"),
    (10, None, "On bypass for 1 hour", "Sur by-pass depuis 1 heure"),
    (11, None, "Bypass output breaker closed", "Disjoncteur de sortie de by-pass fermé"),
    (12, _W, "Maintenance alarm", "Alarme maintenance"),
    (13, _W, "Remote service alarm", "Alarme service à distance"),
    (14, None, "Remote service preventive alarm", "Alarme préventive service à distance"),
    (15, _W, "General alarm", "Alarme générale"),
    # 0x0039
    (16, _C, "Battery disconnected", "Batterie déconnectée"),
    (17, _C, "Battery discharged", "Batterie déchargée"),
    (18, _W, "End of backup time", "Fin de la durée d'autonomie"),
    (19, _W, "Operating on battery", "Mode batterie"),
    # The French annex leaves A020 in English.
    (20, _W, "Battery temperature alarm", "Alarme température batterie"),
    (21, _W, "Battery room alarm", "Alarme local batterie"),
    (22, _W, "Battery test failed", "Échec test batterie"),
    (23, None, "BMS has detected a weak string", "Une branche défectueuse détectée par le BMS"),
    (24, None, "At least one battery string open", "Au moins une branche batterie ouverte"),
    (25, None, "On battery with mains OK", "Sur batterie avec réseau alimentation OK"),
    # The French annex's "Localisateur" does not translate "Insulation fault".
    (26, None, "Insulation fault", "Défaut d'isolement"),
    (27, _W, "Battery alarm", "Alarme batterie"),
    (28, None, "Battery preventive alarm", "Alarme préventive batterie"),
    (29, None, "UPS backup critical alarm", "Alarme critique système de secours ASI"),
    (30, None, "UPS backup preventive alarm", "Alarme préventive système de secours ASI"),
    (31, None, "UPS backup not OK", "Système de secours ASI pas OK"),
    # 0x003A
    (32, _C, "Rectifier critical alarm", "Alarme critique redresseur"),
    (33, _W, "Rectifier preventive alarm", "Alarme préventive redresseur"),
    (34, None, "Rectifier redundancy alarm", "Alarme redondance redresseur"),
    (35, None, "Rectifier input supply not OK", "Alimentation redresseur pas OK"),
    (36, _W, "Genset alarm", "Alarme groupe électrogène"),
    (37, _C, "Charger critical alarm", "Alarme critique chargeur"),
    (38, _W, "Charger preventive alarm", "Alarme préventive chargeur"),
    (39, None, "Battery charge interrupted", "Recharge batterie interrompue"),
    (40, _C, "Inverter critical alarm", "Alarme critique onduleur"),
    (41, _W, "Inverter preventive alarm", "Alarme préventive onduleur"),
    (42, None, "Inverter redundancy alarm", "Alarme redondance onduleur"),
    (43, None, "Redundancy imminent lost", "Perte de redondance imminente"),
    (44, None, "Consumable alarm", "Alarme consommables"),
    (45, None, "Unit redundancy lost", "Perte de redondance de l'unité"),
    (46, None, "Parallel board critical alarm", "Alarme critique carte parallèle"),
    (47, None, "Parallel board preventive alarm", "Alarme préventive carte parallèle"),
    # 0x003B
    (48, _C, "Bypass critical alarm", "Alarme critique by-pass"),
    (49, _W, "Bypass preventive alarm", "Alarme préventive by-pass"),
    (50, _W, "Bypass input supply not OK", "Alimentation by-pass pas OK"),
    (51, _W, "Phase rotation fault", "Défaut rotation phases"),
    (52, None, "Bypass backfeed detection", "Détection backfeed sur by-pass"),
    (53, None, "Transformer alarm", "Alarme transformateur"),
    (54, _W, "Fan failure", "Défaut ventilation"),
    (55, None, "ACS alarm", "Alarme ACS"),
    (56, _W, "Maintenance bypass alarm", "Alarme by-pass de maintenance"),
    (57, None, "Internal backfeed detection", "Détection backfeed interne"),
    (58, None, "Battery monitoring alarm", "Alarme gestion batterie"),
    (59, _C, "UPS power OFF", "ASI hors tension"),
    (60, _W, "Wrong configuration", "Configuration erronée"),
    (61, _W, "Internal / communication failure", "Panne interne/communication"),
    (62, _W, "Option board alarm", "Alarme carte option"),
    # The English table is cut after "Spare part not"; the French annex gives the whole label.
    (63, None, "Spare part not compatible", "Pièce de rechange non compatible"),
    # 0x003C
    *((n, None, f"Programmable A{n:03d}", f"A{n:03d} programmable") for n in range(64, 72)),
    (72, None, "Line-interactive mode disabled by UPS", "Mode Line-Interactive désactivé par l'ASI"),
    (73, None, "Features using batteries unavailable", "Indisponibilité des fonctions utilisant les batteries"),
    # 0x003D
    (80, None, "Customer installation overload", "Surcharge installation utilisateur"),
    # 0x003E, 0x003F: only units 1-12 carry a level in the manual.
    *(
        (95 + n, _W if n <= 12 else None, f"Unit {n} in general alarm", f"Unité {n} en alarme générale")
        for n in range(1, UNIT_COUNT + 1)
    ),
    *(
        (111 + n, _C if n <= 12 else None, f"Unit {n} in imminent stop", f"Unité {n} en arrêt imminent")
        for n in range(1, UNIT_COUNT + 1)
    ),
)


def _bits(prefix: str, rows: tuple[tuple[int, Level | None, str, str], ...]) -> tuple[Bit, ...]:
    return numbered_bits(prefix, 3, rows)


STATUSES = _bits("S", _STATUS_ROWS)
ALARMS = _bits("A", _ALARM_ROWS)

# --------------------------------------------------------------------------- measurements
# (number, key, English label, French label, scale, factor10, signed). The unit is the
# one of MEASUREMENT_KEYS. "##.#" is a scale of 10, "#.##" of 100. The columns whose
# format turns from "## ###" into "# ###.#" when T014 (0x000E) = 1 are factor10 (kVA, kW,
# A, Ah, battery and DC storage V).
_MEASUREMENT_ROWS: tuple[tuple[int, str, str, str, int, bool, bool], ...] = (
    # 0x0040
    (0, "load_rate", "Output load rate", "Taux de charge en sortie", 1, False, False),
    (1, "load_rate_l1", "Output load rate L1", "Taux de charge en sortie L1", 1, False, False),
    (2, "load_rate_l2", "Output load rate L2", "Taux de charge en sortie L2", 1, False, False),
    (3, "load_rate_l3", "Output load rate L3", "Taux de charge en sortie L3", 1, False, False),
    (4, "output_kva", "Output apparent power", "Puissance apparente de sortie", 1, True, False),
    (5, "output_kw", "Output active power", "Puissance active de sortie", 1, True, False),
    (6, "output_current_l1", "Output current L1", "Courant de sortie L1", 1, True, False),
    (7, "output_current_l2", "Output current L2", "Courant de sortie L2", 1, True, False),
    (8, "output_current_l3", "Output current L3", "Courant de sortie L3", 1, True, False),
    (9, "output_current_n", "Output neutral current", "Courant neutre de sortie", 1, True, False),
    (10, "output_voltage_l1", "Output voltage L1", "Tension de sortie L1", 1, False, False),
    (11, "output_voltage_l2", "Output voltage L2", "Tension de sortie L2", 1, False, False),
    (12, "output_voltage_l3", "Output voltage L3", "Tension de sortie L3", 1, False, False),
    (13, "output_frequency", "Output frequency", "Fréquence de sortie", 10, False, False),
    (14, "output_crest_factor", "Output crest factor", "Facteur de crête en sortie", 10, False, False),
    (15, "ambient_temperature", "Ambient temperature", "Température ambiante", 10, False, False),
    # 0x0050
    (16, "battery_voltage", "Battery voltage string +", "Tension branche batterie +", 1, True, False),
    (17, "battery_voltage_negative", "Battery voltage string -", "Tension branche batterie -", 1, True, False),
    (18, "battery_current", "Battery current string +", "Courant branche batterie +", 1, True, True),
    (19, "battery_current_negative", "Battery current string -", "Courant branche batterie -", 1, True, True),
    (22, "battery_capacity", "Battery capacity", "Capacité batterie", 1, False, False),
    (23, "battery_capacity_ah", "Battery capacity", "Capacité de la batterie", 1, True, False),
    (24, "remaining_backup_time", "Remaining battery backup time", "Durée autonomie batterie résiduelle", 1, False, False),
    (25, "time_on_battery", "Time on battery", "Temps écoulé sur batterie", 1, False, False),
    (26, "battery_temperature", "Battery temperature", "Température batterie", 10, False, False),
    (27, "battery_temperature_average", "Battery temperature average", "Température moyenne batterie", 10, False, False),
    (28, "dc_storage_voltage", "DC storage voltage", "Tension stockage DC", 1, True, False),
    (29, "dc_storage_temperature", "DC storage temperature", "Température stockage DC", 10, False, False),
    # 0x0060
    (32, "input_voltage_l1", "Rectifier input supply voltage L1", "Tension d'alimentation redresseur L1", 1, False, False),
    (33, "input_voltage_l2", "Rectifier input supply voltage L2", "Tension d'alimentation redresseur L2", 1, False, False),
    (34, "input_voltage_l3", "Rectifier input supply voltage L3", "Tension d'alimentation redresseur L3", 1, False, False),
    (35, "input_frequency", "Rectifier input supply frequency", "Fréquence d'alimentation redresseur", 10, False, False),
    (36, "input_voltage_u12", "Rectifier input supply voltage U12", "Tension d'alimentation redresseur U12", 1, False, False),
    (37, "input_voltage_u23", "Rectifier input supply voltage U23", "Tension d'alimentation redresseur U23", 1, False, False),
    (38, "input_voltage_u31", "Rectifier input supply voltage U31", "Tension d'alimentation redresseur U31", 1, False, False),
    (39, "bypass_voltage_l1", "Bypass input supply voltage L1", "Tension d'alimentation by-pass L1", 1, False, False),
    (40, "bypass_voltage_l2", "Bypass input supply voltage L2", "Tension d'alimentation by-pass L2", 1, False, False),
    (41, "bypass_voltage_l3", "Bypass input supply voltage L3", "Tension d'alimentation by-pass L3", 1, False, False),
    (42, "bypass_frequency", "Bypass input supply frequency", "Fréquence alimentation by-pass", 10, False, False),
    (43, "bypass_voltage_u12", "Bypass input supply voltage U12", "Tension d'alimentation by-pass U12", 1, False, False),
    (44, "bypass_voltage_u23", "Bypass input supply voltage U23", "Tension d'alimentation by-pass U23", 1, False, False),
    (45, "bypass_voltage_u31", "Bypass input supply voltage U31", "Tension d'alimentation by-pass U31", 1, False, False),
    # 0x0070
    (48, "output_kva_l1", "Output apparent power L1", "Puissance apparente de sortie L1", 1, True, False),
    (49, "output_kva_l2", "Output apparent power L2", "Puissance apparente de sortie L2", 1, True, False),
    (50, "output_kva_l3", "Output apparent power L3", "Puissance apparente de sortie L3", 1, True, False),
    (51, "output_kw_l1", "Output active power L1", "Puissance active de sortie L1", 1, True, False),
    (52, "output_kw_l2", "Output active power L2", "Puissance active de sortie L2", 1, True, False),
    (53, "output_kw_l3", "Output active power L3", "Puissance active de sortie L3", 1, True, False),
    (54, "output_voltage_u12", "Output voltage U12", "Tension de sortie U12", 1, False, False),
    (55, "output_voltage_u23", "Output voltage U23", "Tension de sortie U23", 1, False, False),
    (56, "output_voltage_u31", "Output voltage U31", "Tension de sortie U31", 1, False, False),
    (57, "output_power_factor_l1", "Output power factor L1", "Facteur de puissance en sortie L1", 100, False, False),
    (58, "output_power_factor_l2", "Output power factor L2", "Facteur de puissance en sortie L2", 100, False, False),
    (59, "output_power_factor_l3", "Output power factor L3", "Facteur de puissance en sortie L3", 100, False, False),
    (60, "output_crest_factor_l1", "Output crest factor L1", "Facteur de crête en sortie L1", 10, False, False),
    (61, "output_crest_factor_l2", "Output crest factor L2", "Facteur de crête en sortie L2", 10, False, False),
    (62, "output_crest_factor_l3", "Output crest factor L3", "Facteur de crête en sortie L3", 10, False, False),
    (63, "output_crest_factor_n", "Output crest factor neutral", "Facteur de crête en sortie neutre", 10, False, False),
    # 0x0080: both manuals label M064-M066 "L1"; the phases follow the address order.
    (64, "input_current_l1", "Rectifier input current L1", "Courant d'entrée redresseur L1", 1, True, False),
    (65, "input_current_l2", "Rectifier input current L2", "Courant d'entrée redresseur L2", 1, True, False),
    (66, "input_current_l3", "Rectifier input current L3", "Courant d'entrée redresseur L3", 1, True, False),
    (67, "input_power_l1", "Rectifier active power L1", "Puissance active redresseur L1", 1, True, False),
    (68, "input_power_l2", "Rectifier active power L2", "Puissance active redresseur L2", 1, True, False),
    (69, "input_power_l3", "Rectifier active power L3", "Puissance active redresseur L3", 1, True, False),
    (70, "bypass_current_l1", "Bypass input current L1", "Courant d'entrée by-pass L1", 1, True, False),
    (71, "bypass_current_l2", "Bypass input current L2", "Courant d'entrée by-pass L2", 1, True, False),
    (72, "bypass_current_l3", "Bypass input current L3", "Courant d'entrée by-pass L3", 1, True, False),
    (73, "bypass_power_l1", "Bypass active power L1", "Puissance active by-pass L1", 1, True, False),
    (74, "bypass_power_l2", "Bypass active power L2", "Puissance active by-pass L2", 1, True, False),
    (75, "bypass_power_l3", "Bypass active power L3", "Puissance active by-pass L3", 1, True, False),
)


def _measurements() -> tuple[Measurement, ...]:
    return tuple(
        Measurement(
            acronym=f"M{number:03d}",
            offset=number,
            key=key,
            label_en=label_en,
            label_fr=label_fr,
            unit=MEASUREMENT_KEYS[key],
            scale=scale,
            signed=signed,
            factor10=factor10,
        )
        for number, key, label_en, label_fr, scale, factor10, signed in _MEASUREMENT_ROWS
    )


MEASUREMENTS = _measurements()

# --------------------------------------------------------------------------- configuration
# Block "configuration" starts at 0x0001 (T001), so T0nn is at offset nn - 1.
CONFIGURATION: tuple[ConfigWord, ...] = (
    ConfigWord("T001", "configuration", 0, "installation",
               "UPS installation code and device type", "Code d'installation ASI et type de dispositif"),
    ConfigWord("T002", "configuration", 1, "device_count",
               "Number of devices in level -1", "Nombre de dispositifs au niveau -1"),
    ConfigWord("T003", "configuration", 2, "presence_bitmap",
               "Position of devices present", "Position des dispositifs présents"),
    ConfigWord("T004", "configuration", 3, "device_number", "Device number", "Numéro du dispositif"),
    ConfigWord("T005", "configuration", 4, "nominal_kva", "Nominal kVA", "kVA nominal", "kVA", factor10=True),
    ConfigWord("T006", "configuration", 5, "nominal_kw", "Nominal kW", "kW nominal", "kW", factor10=True),
    ConfigWord("T007", "configuration", 6, "phases", "Phases number", "Nombre de phases"),
    ConfigWord("T008", "configuration", 7, "functions", "Function", "Fonction"),
    ConfigWord("T009", "configuration", 8, "environment", "Environment", "Environnement"),
    ConfigWord("T010", "configuration", 9, "dc_storage", "DC storage", "Stockage DC"),
    ConfigWord("T014", "configuration", 13, "measure_factor", "Measurements factor", "Facteur de mesures"),
    ConfigWord("T015", "configuration", 14, "device_code", "Device reference code", "Code de référence du dispositif"),
)


# T001: MSB installation code, LSB device type (App. VU-MAP, T001 remarks). Every
# code the appendix lists; another code is an unknown topology.
INSTALLATION_CODES: Mapping[int, Installation] = MappingProxyType(
    {
        0x0101: Installation("single"),
        0x0801: Installation("modular_unit"),
        0x0901: Installation("modular_unit"),
        0x0601: Installation("parallel", "distributed"),
        0x0608: Installation("modular_system"),
    }
)

# T003: b00-b07 = module/unit 1-8 present, b13 = bypass module.
PRESENCE_UNIT_BITS: tuple[int, ...] = tuple(range(8))
PRESENCE_BYPASS_MODULE_BIT = 13

# T008 "Function": capability name -> bit.
FUNCTION_BITS: Mapping[str, int] = MappingProxyType(
    {
        "eco_enabled": 0,
        "energy_saver": 1,
        "genset": 3,
        "standby_schedule": 6,
        "backfeed": 9,
    }
)

# T009 "Environment": installation feature -> bit.
ENVIRONMENT_BITS: Mapping[str, int] = MappingProxyType(
    {
        "external_transformer": 0,
        "external_input_breaker": 1,
        "external_output_breaker": 2,
        "double_busbar": 3,
        "external_bypass": 4,
        "super_bypass": 5,
        "without_bypass": 6,
        "without_maintenance_bypass": 7,
    }
)

# T010 "DC storage": b00 = battery present.
BATTERY_PRESENT_BIT = 0

# T015 device reference codes.
RANGES: tuple[RangeCode, ...] = tuple(
    RangeCode(first=code, last=code, name=name)
    for code, name in (
        (0x8001, "ITYS PRO"),
        (0x8100, "MODULYS GP 2.0"),
        (0x8110, "MODULYS RM GP"),
        (0x8140, "MODULYS XM"),
        (0x8180, "MODULYS XS"),
        (0x81A0, "MODULYS XL"),
        (0x8200, "MASTERYS BC+"),
        (0x8300, "MASTERYS GP4"),
        (0x8400, "DELPHYS XL"),
        (0x0288, "DELPHYS BC - GP 2.0"),
    )
)

# Unit synthesis acronyms of a parallel system, indexed by unit number - 1 (S096-S110,
# S112-S126, A096-A110, A112-A126).
UNIT_SYNTHESIS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "operating": tuple(f"S{95 + n:03d}" for n in range(1, UNIT_COUNT + 1)),
        "available": tuple(f"S{111 + n:03d}" for n in range(1, UNIT_COUNT + 1)),
        "general_alarm": tuple(f"A{95 + n:03d}" for n in range(1, UNIT_COUNT + 1)),
        "imminent_stop": tuple(f"A{111 + n:03d}" for n in range(1, UNIT_COUNT + 1)),
    }
)

# --------------------------------------------------------------------------- expressions
# On bypass "not because of eco mode or energy saver": the appendices write S002&!S007
# (NV MIB) and S002&!S006 (RFC1628); S006 is eco mode and S007 energy saver, so both are
# excluded everywhere (INVENTORY (a) #8, docs/decisions.md).
_ON_BYPASS = "S002 & !S006 & !S007"
_ON_BATTERY = "A019 & S000"  # App. traps/RFC1628: "A019 & S000"

_CONDITIONS: Mapping[str, str] = MappingProxyType(
    {
        # power path
        "rectifier_supply_present": "S048",
        "rectifier_on": "S049",
        "inverter_on": "S052",
        "load_on_inverter": "S000",
        "load_on_automatic_bypass": "S002",
        "load_on_maintenance_bypass": "S003",
        "maintenance_bypass_closed": "S017 | S018",
        "on_battery": _ON_BATTERY,
        "load_off": "S004",
        "bypass_supply_present": "S056",
        "bypass_on": "S057",
        "genset_on": "S023",
        "sources_synchronised": "S058",
        "unit_isolated": "S014",
        # operating modes
        "eco_mode": "S006",
        "energy_saver": "S007",
        "standby": "S013",
        "in_service_mode": "S009",
        "line_interactive": "S010 | S082",
        "auto_test": "S030",
        "operating": "S011",
        "available": "S012",
        # battery
        "battery_ok": "S032",
        "battery_charging": "S036",
        "battery_charged": "S033",
        "battery_low": "A018",
        "battery_discharged": "A017",
        "battery_disconnected": "A016 | S083",
        "battery_alarm": "A027",
        "battery_room_alarm": "A021",
        "battery_temperature_alarm": "A020",
        "battery_to_input": "S039",
        "battery_test_in_progress": "S034",
        "battery_test_programmed": "S035",
        "battery_test_failed": "A022",
        "battery_test_interrupted": "S037",
        # alarms and protections
        "imminent_stop": "A000",
        "overload": "A001",
        "general_alarm": "A015",
        "maintenance_alarm": "A012",
        "transfer_impossible": "A004",
        "transfer_locked": "A003",
        "rectifier_preventive_alarm": "A033",
        "rectifier_critical_alarm": "A032",
        "inverter_preventive_alarm": "A041",
        "inverter_critical_alarm": "A040",
        "bypass_preventive_alarm": "A049",
        "bypass_critical_alarm": "A048",
        # topology: the unit synthesis words are only filled in a parallel system
        # (App. MODBUS TCP ACCESS, note (*)); T001 is the authoritative topology.
        "parallel_system": "S096 | S112",
    }
)

# NET VISION MIB upsWellKnownAlarms (App. NET VISION 7 MIB, upsAlarm(6) 3.x), VU-MAP column.
_WELL_KNOWN_ALARMS: Mapping[int, str] = MappingProxyType(
    {
        1: "A000",  # ImminentStop
        2: "A001",  # Overload
        3: "A002",  # Temperature
        4: "A003",  # TransferLock
        5: "A004",  # AutoTransferImpossible
        6: "A005",  # InsufficientResources
        7: "A006",  # RedundancyLost
        8: "A007",  # OutputShortCircuit
        9: "A012",  # Maintenance
        10: "A013",  # RemoteService
        11: "A015",  # GeneralFault
        12: "A016",  # BatteryCircuitOpen
        13: "A017",  # BatteryDischarged
        14: "A018",  # LowBattery
        15: "A019",  # OnBattery
        16: "A020",  # BatteryTemperature
        17: "A021",  # BatteryRoom
        18: "A022",  # BatteryTest
        19: "A027",  # BatteryFault
        20: "A032",  # RectifierFault
        21: "A033",  # RectifierAlarm
        22: "A035",  # ReInputBad
        23: "A036",  # GenSetGeneral
        24: "A037",  # BatteryChargerFault
        25: "A038",  # BatteryChargerAlarm
        26: "A040",  # InverterFault
        27: "A041",  # InverterAlarm
        28: "A048",  # BypassFault
        29: "A049",  # BypassAlarm
        30: "A050",  # ByInputBad
        31: "A051",  # PhaseRotationFault
        32: "A054",  # FansFailure
        33: "A056",  # MaintenanceBypass
        34: "A059",  # UPSPowerOffActive
        35: "A060",  # WrongConfiguration
        36: "A061",  # InternalFailure
        37: "A062",  # OptionalBoards
        38: "A064",  # ExternalAlarm1
        39: "A065",  # ExternalAlarm2
        40: "A066",  # ExternalAlarm3
        41: "A067",  # ExternalAlarm4
        **{41 + n: f"A{95 + n:03d}" for n in range(1, 13)},  # Module1Alarm..Module12Alarm: A096-A107
        54: "S030",  # AutoTestRunning
        55: _ON_BYPASS,  # OnBypass: appendix "S002&!S007"
        56: "S004",  # UpsOutputOff
        57: "",  # UpsSystemOff: VU-MAP column blank
    }
)

# RFC1628 upsWellKnownAlarms (App. RFC1628 WELLKNOWALARMS), VU-MAP column.
_RFC1628_ALARMS: Mapping[int, str] = MappingProxyType(
    {
        1: "A027 | A020 | A021",  # BatteryBad: "A027 or A20 or A21"
        2: _ON_BATTERY,  # OnBattery
        3: "A018",  # LowBattery
        4: "A017",  # DepletedBattery
        5: "A002",  # TempBad
        6: "A035",  # InputBad
        7: "",  # OutputBad: not available
        8: "A001",  # OutputOverload
        9: _ON_BYPASS,  # OnBypass: appendix "S002&!S006"
        10: "A049",  # BypassBad
        11: "",  # OutputOffAsRequested: not available
        12: "",  # UpsOffAsRequested: not available
        13: "A038",  # ChargerFailed
        14: "S004",  # UpsOutputOff
        15: "!S049 & !S052 & !S057",  # UpsSystemOff: appendix "!S049 & !S52 & !S57"
        16: "A054",  # FanFailure
        17: "",  # FuseFailure: not available
        18: "A015",  # GeneralFault
        19: "A022",  # DiagnosticTestFailed
        20: "",  # CommunicationsLost: raised by the card (status.py)
        21: "",  # AwaitingPower: shutdown agent
        22: "",  # ShutdownPending: shutdown agent
        23: "",  # ShutdownImminent: shutdown agent
        # TestInProgress: the appendix's A034 is the rectifier redundancy alarm; the
        # battery test in progress is S034 (INVENTORY (a) #11).
        24: "S034",
    }
)

# NET VISION traps (App. NET VISION 7 TRAP DESCRIPTION) with a VU-MAP bit expression.
_TRAP_CONDITIONS: Mapping[int, str] = MappingProxyType(
    {
        1: _ON_BATTERY,  # upsTrapOnBattery
        5: "A000",  # upsTrapImminentStop
        6: "A001",  # upsTrapOverload
        7: "A006",  # upsTrapRedundancyLost
        8: "A016",  # upsTrapBatteryCircuitOpen
        9: "A017",  # upsTrapBatteryDischarged
        10: "A018",  # upsTrapBatteryLow
        11: "A027",  # upsTrapBatteryAlarm
        12: "A032 | A040 | A048",  # upsTrapUpsCriticalAlarm: "A032 A040 A048"
        13: "S004",  # upsTrapLoadOFF
        15: _ON_BATTERY,  # upsTrapOnBatteryPower
        16: "A022",  # upsTrapBatteryTestFailed
        # The trap table gives A020 (battery temperature) where the MIB's
        # upsAlarmTemperature is A002 (ambient); the trap keeps A020 (INVENTORY (a) #10).
        17: "A020",  # upsTrapTemperatureAlarm
        18: _ON_BYPASS,  # upsTrapOnBypass: appendix "S002", same meaning as MIB .55
        19: "A015",  # upsTrapUpsPreventiveAlarm
        22: "S000",  # upsTrapUpsNormal: appendix "S000 S001"; S001 is not named
        23: "S048",  # upsTrapPowerRestored
        24: "!A015",  # upsTrapAlarmCancelled
    }
)

# --------------------------------------------------------------------------- controls
# Command bits are written with function 0x06 as a one-bit value to 0x00C7 (C000-C015)
# or 0x00C8 (C016-C031); command Cnnn is permitted when Pnnn reads 1, P000-P015 at
# 0x00C9 and P016-P031 at 0x00CA (spec/README.md). Only these four commands are public.
COMMAND_REGISTERS = (0x00C7, 0x00C8)
PERMISSION_REGISTERS = (0x00C9, 0x00CA)


def _command(number: int) -> ControlEncoding:
    word, bit = divmod(number, 16)
    return ControlEncoding(
        register=COMMAND_REGISTERS[word],
        value=1 << bit,
        permission_register=PERMISSION_REGISTERS[word],
        permission_bit=bit,
    )


_CONTROLS: Mapping[str, ControlEncoding] = MappingProxyType(
    {
        "eco_mode_on": _command(16),  # C016: 0x00C8 b00
        "eco_mode_off": _command(17),  # C017: 0x00C8 b01
        "battery_test": _command(28),  # C028: 0x00C8 b12
        "alarm_acknowledgement": _command(31),  # C031: 0x00C8 b15
        # ASSUMPTION (INVENTORY ACQ-20): the appendix names no standby command. Taken as
        # C002 = standby on (output off) and C003 = standby off (output on), 0x00C7 b02/b03,
        # permitted by P002/P003 (C000/C001 are avoided: P000 is "remote control permitted").
        # Check against the UPS's own VU-MAP table before relying on it.
        "standby_on": _command(2),
        "standby_off": _command(3),
    }
)

# --------------------------------------------------------------------------- the map
VUMAP = RegisterMap(
    name="vumap",
    title="VU-MAP",
    device_kind="ups",
    blocks=(
        Block("configuration", 0x0001, 15),
        Block("serial_number", 0x0010, 10),
        Block("reference", 0x001A, 10),
        Block("user_reference", 0x0024, 6),
        Block("user_location", 0x002A, 6),
        # Status, alarms and measurements follow each other: one 96-word read.
        Block("status", 0x0030, 8),
        Block("alarms", 0x0038, 8),
        Block("measurements", 0x0040, 80),
        Block("permissions", 0x00C9, 2, per_unit=False),  # P000-P031, system level (§16.1)
    ),
    statuses=STATUSES,
    alarms=ALARMS,
    measurements=MEASUREMENTS,
    configuration=CONFIGURATION,
    ranges=RANGES,
    # ASCII, most significant byte = first character (spec/README.md).
    serial_number=TextField("serial_number", 0, 10, low_byte_first=False),
    reference=TextField("reference", 0, 10, low_byte_first=False),
    probe_block="configuration",
    identity_blocks=("configuration", "serial_number", "reference", "user_reference", "user_location"),
    cycle_blocks=("status", "alarms", "measurements"),
    slow_blocks=("permissions",),
    # P000 = 0: remote control not permitted (the panel's "REMOTE CONTROL" setting).
    remote_permission_register=0x00C9,
    remote_permission_bit=0,
    conditions=_CONDITIONS,
    well_known_alarms=_WELL_KNOWN_ALARMS,
    rfc1628_alarms=_RFC1628_ALARMS,
    trap_conditions=_TRAP_CONDITIONS,
    controls=_CONTROLS,
    configuration_conditions={"standby_schedule": ("functions", FUNCTION_BITS["standby_schedule"])},
    # The manual's addresses are those of the system (or single UPS); unit or module N of
    # level -1 answers at 0xN... (unit_address()).
    single_unit_number=0,
    max_units=UNIT_COUNT,
    # Status and alarm words follow each other: one 16-word read between two cycles.
    fast_blocks=("status", "alarms"),
    installation=InstallationWords(
        codes=INSTALLATION_CODES,
        default_code=0x0101,
        presence_units=len(PRESENCE_UNIT_BITS),
        presence_bypass_bit=PRESENCE_BYPASS_MODULE_BIT,
        battery_present_bit=BATTERY_PRESENT_BIT,
    ),
    # T003 names units 1–8 only; units 9–15 show in the system's unit synthesis bits
    # (S096–S110 operating, S112–S126 available).
    unit_present=tuple(zip(UNIT_SYNTHESIS["operating"], UNIT_SYNTHESIS["available"], strict=True)),
    polls_modules=True,
)
