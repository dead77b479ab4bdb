"""The STS register map (STATYS static transfer switch), as data.

Source: French manual only — §7.5 "Cartographie MODBUS du STS", annex "Table
d'adresses MODBUS pour STS" and "DONNÉES TABLEAU MODBUS" (bit and word labels),
§18.4 "Journal des événements du STS" (event levels), §13.2 (status strings),
annex "Description des TRAP du STS". docs/decisions.md records every choice
made where the manual is silent.

Numbering follows the manual's ``S000 – S127`` / ``A000 – A127`` / ``M000 –
M079`` ranges: bit b of the n-th status word is S(16·n + b), bit b of the n-th
alarm word is A(16·n + b), and the word at 0x0220 + k is M(k).
"""

from __future__ import annotations

from netvision.ups.maps.base import (
    Bit,
    Block,
    ConfigWord,
    Level,
    Measurement,
    RegisterMap,
    TextField,
)

_C = Level.CRITICAL
_W = Level.WARNING
# The event list of FR §18.4 prints no letter for information events ("–").
_I = Level.INFORMATION

# FR annex "Table d'adresses MODBUS pour STS". The annex gives 4 status words,
# §7.5 says 3 and the bit table stops at 0x0142: reading 4 costs nothing and
# the fourth word simply has no named bit.
BLOCKS: tuple[Block, ...] = (
    Block("reference", 0x0100, 10),
    Block("serial_number", 0x0116, 10),
    Block("configuration", 0x0120, 16),
    Block("status", 0x0140, 4),
    Block("alarms", 0x0148, 2),
    Block("measurements", 0x0220, 64),
)


def _bits(prefix: str, rows: tuple[tuple[int, int, str, str, Level | None], ...]) -> tuple[Bit, ...]:
    return tuple(
        Bit(f"{prefix}{word * 16 + bit:03d}", word, bit, label_en, label_fr, level)
        for word, bit, label_fr, label_en, level in rows
    )


# (word, bit, French label of the annex, English label, level of FR §18.4).
# "Alimentation n" is the STATYS input path n ("Voie d'entrée n" of the
# synoptic, FR §13.1); the public STATYS JBUS/MODBUS manual calls it "PowerPath".
STATUSES: tuple[Bit, ...] = _bits(
    "S",
    (
        # 0x0140
        (0, 0, "Source 1 OK", "Source 1 OK", _I),
        (0, 1, "Source 1 critique", "Source 1 critical", _C),
        (0, 2, "Source 1 hors tolérance", "Source 1 out of tolerance", _W),
        (0, 3, "Source 1 absente", "Source 1 absent", _W),
        (0, 4, "Alimentation 1 - OK", "Power path 1 OK", _I),
        (0, 6, "Source 2 OK", "Source 2 OK", _I),
        (0, 7, "Source 2 critique", "Source 2 critical", _C),
        (0, 8, "Source 2 hors tolérance", "Source 2 out of tolerance", _W),
        (0, 9, "Source 2 absente", "Source 2 absent", _W),
        (0, 10, "Alimentation 2 OK", "Power path 2 OK", _I),
        (0, 12, "Sources Perm. Synchronisées", "Sources permanently synchronised", _I),
        # "mobiles" translates the STATYS "sliding sources" (STS MIB stsSourceInteraction sliding(3)).
        (0, 13, "Sources mobiles", "Sources sliding", _W),
        (0, 14, "Sources Perm. Pas synchron.", "Sources permanently not synchronised", _W),
        (0, 15, "Sources Instant. Synchron.", "Sources instantaneously synchronised", _I),
        # 0x0141
        (1, 0, "S1 comme source privilégiée", "Source 1 is the preferred source", _I),
        (1, 1, "Charge sur source privilégiée", "Load on preferred source", _I),
        (1, 2, "Charge sur source alternative", "Load on alternate source", _W),
        (1, 3, "Charge non alimentée", "Load not supplied", _C),
        (1, 4, "Charge sur by-pass manuel 1", "Load on manual bypass 1", _W),
        (1, 5, "Charge sur by-pass manuel 2", "Load on manual bypass 2", _W),
        (1, 7, "Charge sur S1", "Load on source 1", _I),
        (1, 8, "Charge sur S2", "Load on source 2", _I),
        (1, 10, "Transfert verrouillé ext.", "Transfer locked externally", _W),
        (1, 12, "Sortie OK", "Output OK", _I),
        (1, 13, "Sortie hors tolérance", "Output out of tolerance", _W),
        (1, 14, "Sortie absente", "Output absent", _W),
        # 0x0142
        (2, 0, "Entrée ESD active", "Emergency switching device (ESD) input active", _W),
        (2, 1, "Q41 fermée", "Switch Q41 closed", _I),
        (2, 2, "Q42 fermé", "Switch Q42 closed", _I),
        (2, 3, "SS1 fermée", "Static switch 1 closed", _I),
        (2, 4, "SS2 fermée", "Static switch 2 closed", _I),
        (2, 5, "Q30 fermé", "Switch Q30 closed", _I),
        (2, 6, "Q51 fermé", "Switch Q51 closed", _I),
        (2, 7, "Q52 fermé", "Switch Q52 closed", _I),
        (2, 13, "Télécommandes activées", "Remote controls enabled", _I),
        (2, 14, "Alerte de maintenance", "Maintenance alert", _W),
        (2, 15, "Mode utilisateur", "User mode", _I),
    ),
)

ALARMS: tuple[Bit, ...] = _bits(
    "A",
    (
        # 0x0148
        (0, 0, "Arrêt imminent", "Imminent stop", _C),
        (0, 1, "Détection Isc en sortie", "Output short-circuit current (Isc) detected", _W),
        (0, 2, "By-pass manuel", "Manual bypass alarm", _W),
        (0, 3, "Surcharge", "Overload", _W),
        (0, 4, "Alarme SoLink", "SoLink alarm", _C),
        (0, 5, "Détections consécutives", "Consecutive detections", _W),
        (0, 6, "Retour arrière impossible", "Retransfer impossible", _W),
        (0, 7, "Transfert impossible", "Transfer impossible", _W),
        (0, 9, "Alimentation 1 défaillante", "Power path 1 failed", _W),
        (0, 10, "Alimentation 1 en court-circuit", "Power path 1 short-circuited", _W),
        (0, 11, "Alimentation 1 en défaut", "Power path 1 fault", _C),
        (0, 13, "Alimentation 2 défaillante", "Power path 2 failed", _W),
        (0, 14, "Alimentation 2 en court-circuit", "Power path 2 short-circuited", _W),
        # FR §18.4 prints "Défaut alimentation 1" for this bit too; the annex says 2.
        (0, 15, "Alimentation 2 en défaut", "Power path 2 fault", _C),
        # 0x0149
        (1, 0, "Protection backfeed 1 ouverte", "Backfeed protection 1 open", _W),
        (1, 1, "Protection backfeed 2 ouverte", "Backfeed protection 2 open", _W),
        (1, 2, "Température ambiante max.", "Maximum ambient temperature", _W),
        (1, 9, "Alarme préventive", "Preventive alarm", _W),
        (1, 10, "Configuration erronée", "Wrong configuration", _W),
        (1, 11, "Alarme HMI", "HMI alarm", _W),
        (1, 12, "Alarme électronique", "Electronics alarm", _W),
        (1, 13, "Alarme entrée client", "Customer input alarm", _W),
        (1, 14, "Alarme maintenance", "Maintenance alarm", _W),
        (1, 15, "Alarme générale", "General alarm", _W),
    ),
)


# The annex gives no format column. Scales follow the JBUS maps of the same
# generation (EN App. JBUSP: Hz ×10, output A ×10, kW/kVA ×10, °C integer) and
# the VU-MAP formats for the quantities JBUSP lacks (PF #.## → ×100, crest
# factor #.# → ×10); docs/decisions.md lists each.
_SCALE_BY_UNIT = {"V": 1, "Hz": 10, "°C": 1, "A": 10, "%": 1, "°": 1, "kVA": 10, "kW": 10}

# (offset from 0x0220, key, French label of the annex, English label, unit, scale override)
_MEASUREMENT_ROWS: tuple[tuple[int, str, str, str, str, int | None], ...] = (
    (0x00, "source1_voltage_l1", "Tension S1 L1N", "Source 1 voltage L1-N", "V", None),
    (0x01, "source1_voltage_l2", "Tension S1 L2N", "Source 1 voltage L2-N", "V", None),
    (0x02, "source1_voltage_l3", "Tension S1 L3N", "Source 1 voltage L3-N", "V", None),
    (0x03, "source1_voltage_u12", "Tension S1 U12", "Source 1 voltage U12", "V", None),
    (0x04, "source1_voltage_u23", "Tension S1 U23", "Source 1 voltage U23", "V", None),
    (0x05, "source1_voltage_u31", "Tension S1 U31", "Source 1 voltage U31", "V", None),
    (0x06, "source1_frequency", "Fréquence S1", "Source 1 frequency", "Hz", None),
    (0x07, "switch1_temperature", "Température SS1", "Static switch 1 temperature", "°C", None),
    (0x08, "source2_voltage_l1", "Tension S2 L1", "Source 2 voltage L1-N", "V", None),
    (0x09, "source2_voltage_l2", "Tension S2 L2", "Source 2 voltage L2-N", "V", None),
    (0x0A, "source2_voltage_l3", "Tension S2 L3", "Source 2 voltage L3-N", "V", None),
    (0x0B, "source2_voltage_u12", "Tension S2 U12", "Source 2 voltage U12", "V", None),
    (0x0C, "source2_voltage_u23", "Tension S2 U23", "Source 2 voltage U23", "V", None),
    (0x0D, "source2_voltage_u31", "Tension S2 U31", "Source 2 voltage U31", "V", None),
    (0x0E, "source2_frequency", "Fréquence S2", "Source 2 frequency", "Hz", None),
    (0x0F, "switch2_temperature", "Température SS2", "Static switch 2 temperature", "°C", None),
    (0x10, "output_voltage_l1", "Tension en sortie L1", "Output voltage L1-N", "V", None),
    (0x11, "output_voltage_l2", "Tension en sortie L2", "Output voltage L2-N", "V", None),
    (0x12, "output_voltage_l3", "Tension en sortie L3", "Output voltage L3-N", "V", None),
    (0x13, "output_voltage_u12", "Tension en sortie U12", "Output voltage U12", "V", None),
    (0x14, "output_voltage_u23", "Tension en sortie U23", "Output voltage U23", "V", None),
    (0x15, "output_voltage_u31", "Tension en sortie U31", "Output voltage U31", "V", None),
    (0x16, "output_frequency", "Fréquence en sortie", "Output frequency", "Hz", None),
    (0x18, "output_current_l1", "Courant en sortie I1", "Output current L1", "A", None),
    (0x19, "output_current_l2", "Courant en sortie I2", "Output current L2", "A", None),
    (0x1A, "output_current_l3", "Courant en sortie I3", "Output current L3", "A", None),
    (0x1B, "output_current_n", "Courant en sortie IN", "Output neutral current", "A", None),
    (0x1D, "load_rate", "Taux de charge en sortie", "Output load rate", "%", None),
    (0x1F, "phase_shift", "Déphasage S1-S2", "Phase shift source 1 - source 2", "°", None),
    (0x20, "output_kva_l1", "Puissance apparente en sortie L1", "Output apparent power L1", "kVA", None),
    (0x21, "output_kva_l2", "Puissance apparente en sortie L2", "Output apparent power L2", "kVA", None),
    (0x22, "output_kva_l3", "Puissance apparente en sortie L3", "Output apparent power L3", "kVA", None),
    (0x23, "output_power_factor_l1", "Facteur de puissance en sortie L1", "Output power factor L1", "", 100),
    (0x24, "output_power_factor_l2", "Facteur de puissance en sortie L2", "Output power factor L2", "", 100),
    (0x25, "output_power_factor_l3", "Facteur de puissance en sortie L3", "Output power factor L3", "", 100),
    (0x28, "output_crest_factor_l1", "Facteur de crête en sortie L1", "Output crest factor L1", "", 10),
    (0x29, "output_crest_factor_l2", "Facteur de crête en sortie L2", "Output crest factor L2", "", 10),
    (0x2A, "output_crest_factor_l3", "Facteur de crête en sortie L3", "Output crest factor L3", "", 10),
    (0x2B, "output_crest_factor_n", "Facteur de crête en sortie N", "Output crest factor neutral", "", 10),
    (0x2F, "ambient_temperature", "Température ambiante", "Ambient temperature", "°C", None),
    (0x30, "output_kw_l1", "Puissance active en sortie L1", "Output active power L1", "kW", None),
    (0x31, "output_kw_l2", "Puissance active en sortie L2", "Output active power L2", "kW", None),
    (0x32, "output_kw_l3", "Puissance active en sortie L3", "Output active power L3", "kW", None),
    (0x33, "output_kw", "Puissance active globale", "Total output active power", "kW", None),
    (0x38, "load_rate_l1", "Taux de charge en sortie L1", "Output load rate L1", "%", None),
    (0x39, "load_rate_l2", "Taux de charge en sortie L2", "Output load rate L2", "%", None),
    (0x3A, "load_rate_l3", "Taux de charge en sortie L3", "Output load rate L3", "%", None),
    (0x3B, "load_rate_n", "Taux de charge en sortie N", "Output load rate neutral", "%", None),
)

MEASUREMENTS: tuple[Measurement, ...] = tuple(
    Measurement(
        acronym=f"M{offset:03d}",
        offset=offset,
        key=key,
        label_en=label_en,
        label_fr=label_fr,
        unit=unit,
        scale=scale if scale is not None else _SCALE_BY_UNIT[unit],
        # S1-S2 phase shift is a difference of angles and may be negative.
        signed=key == "phase_shift",
    )
    for offset, key, label_fr, label_en, unit, scale in _MEASUREMENT_ROWS
)

# The annex describes 0x0120 only as "CONFIG, 16 valeurs" and names no word:
# the block is read (and re-exposed over Modbus TCP) but nothing is decoded.
CONFIGURATION: tuple[ConfigWord, ...] = ()

_CONDITIONS: dict[str, str] = {
    "source1_ok": "S000",
    "source2_ok": "S006",
    # Permanently or instantaneously synchronised: either allows a transfer in phase.
    "sources_synchronised": "S012 | S015",
    "source1_preferred": "S016",
    "load_on_preferred_source": "S017",
    "load_on_alternate_source": "S018",
    "load_off": "S019",
    "load_on_manual_bypass_1": "S020",
    "load_on_manual_bypass_2": "S021",
    "load_on_maintenance_bypass": "S020 | S021",
    "load_on_source1": "S023",
    "load_on_source2": "S024",
    "transfer_locked": "S026",
    "output_ok": "S028",
    "remote_controls_permitted": "S045",
    "imminent_stop": "A000",
    "overload": "A003",
    "transfer_impossible": "A007",
    "maintenance_alarm": "A030",
    "general_alarm": "A031",
    # FR §13.2 lists "In Service mode" but no STS bit says so ("Mode utilisateur"
    # S047 being 0 may just mean the STS does not manage it): not available.
    "in_service_mode": "",
}

# STS traps of the FR annex "Description des TRAP du STS": MIB name and level.
# The annex gives no numbers; they are numbered 1–8 in the annex order.
STS_TRAPS: tuple[tuple[int, str, Level], ...] = (
    (1, "stsTrapImminentStop", _C),
    (2, "stsTrapOverload", _C),
    (3, "stsTrapSwitchOnPreferredSource", _I),
    (4, "stsTrapSwitchOnAlternateSource", _W),
    (5, "stsTrapSource1PreferredSource", _I),
    (6, "stsTrapOutputLoadOFF", _C),
    (7, "stsTrapGeneralAlarm", _W),
    (8, "stsTrapAlarmCancelled", _I),
)

_TRAP_CONDITIONS: dict[int, str] = {
    1: "A000",
    2: "A003",
    3: "S017",
    4: "S018",
    5: "S016",
    6: "S019",
    7: "A031",
    # As UPS trap 24 (upsTrapAlarmCancelled = !A015 on VU-MAP): the general alarm fell.
    8: "!A031",
}

# STS status strings of FR §13.2 ("ÉTAT STS"), in the manual's order:
# (key, English, French).
STS_STATUS_TEXTS: tuple[tuple[str, str, str], ...] = (
    ("unknown", "Unknown", "Inconnu"),
    ("in_service_mode", "In Service mode", "En mode Service"),
    ("on_maintenance_bypass_1", "On maintenance bypass 1", "Sur by-pass de maintenance 1"),
    ("on_maintenance_bypass_2", "On maintenance bypass 2", "Sur by-pass de maintenance 2"),
    ("imminent_stop", "Imminent stop", "Arrêt imminent"),
    ("on_preferred_source", "On preferred source", "Sur source prioritaire"),
    ("on_alternate_source", "On alternate source", "Sur source alternative"),
    ("load_off", "Load off", "Charge déconnectée"),
)

STS = RegisterMap(
    name="sts",
    title="STS",
    device_kind="sts",
    blocks=BLOCKS,
    statuses=STATUSES,
    alarms=ALARMS,
    measurements=MEASUREMENTS,
    configuration=CONFIGURATION,
    # The STS model name is its ASCII reference; there is no type code.
    ranges=(),
    # ASCII, most significant byte = first character, as the VU-MAP reference
    # tables of the same generation (the annex gives no byte order).
    serial_number=TextField("serial_number", 0, 10, low_byte_first=False),
    reference=TextField("reference", 0, 10, low_byte_first=False),
    probe_block="reference",
    identity_blocks=("reference", "serial_number", "configuration"),
    cycle_blocks=("status", "alarms", "measurements"),
    slow_blocks=(),
    conditions=_CONDITIONS,
    # The NET VISION and RFC1628 UPS MIBs do not apply to an STS (FR §15): the
    # STS MIB has its own alarm group.
    well_known_alarms={},
    rfc1628_alarms={},
    trap_conditions=_TRAP_CONDITIONS,
    # FR §13.8 lists 5 STS controls but no manual gives their registers.
    controls={},
    single_unit_number=0,
    max_units=1,
    fast_blocks=("status", "alarms"),
)
