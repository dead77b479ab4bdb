"""The BACnet object list as data: 88 Analog Values, 10 Multi-state Values and
3 BitString Values, with names, units, formats and state/bit texts.

Sources: BACnet interface document (spec/bacnet-interface.en.txt, "BAC") §5.2.2
to §6.3.3 and the French manual's annex "Définition des objets BACnet" ("FR").
Where they disagree (INVENTORY.md (a) #3–#6) the choice is written next to the
row and in docs/decisions.md.

Present values of the analog objects are "real format values" (BAC §5.2.2): the
physical value times the format's scale (``##.#`` → ×10, ``#.##`` → ×100), and
times 10 again on a factor_10 column when the UPS says its measurements are
×10 (Profile_Name ``factor_10``). ``-1`` means not available (not managed, or
phase 2/3 of a single-phase UPS).
"""

from __future__ import annotations

from dataclasses import dataclass

# Device object constants (BAC §5.2.1; FR annex "Objet appareil").
VENDOR_NAME = "SOCOMEC UPS"
VENDOR_IDENTIFIER = 591
NOT_AVAILABLE = -1.0

# BACnetEngineeringUnits codes used by the table.
PERCENT, KVA, KW, AMPERES, VOLTS, HERTZ = 98, 9, 48, 3, 5, 27
NO_UNITS, POWER_FACTOR, CELSIUS, MINUTES, SECONDS = 95, 15, 62, 72, 73


@dataclass(frozen=True)
class AnalogObject:
    """One Analog Value row of BAC §5.2.2 / §6.1.

    ``level``: "ups" (UPS_OUTPUT_, system data) or "unit" (every other row).
    ``phase``: 2 or 3 for the rows that read -1 on a single-phase UPS ("Single
    phase UPS" column); ``phases_of`` says which side's phase count applies.
    """

    instance: int
    name: str
    description: str
    key: str
    units: int
    scale: int = 1  # of the format column: "##.#" 10, "#.##" 100
    factor10: bool = False
    level: str = "unit"
    phase: int = 1
    phases_of: str = "output"  # "output" | "input"


def _output_rows(prefix: str, first: int, level: str, what: str) -> list[AnalogObject]:
    """UPS_OUTPUT_ (0–25) and UNIT_OUTPUT_ (26–51) share their 26 rows (BAC §5.2.2)."""
    # UPS_OUTPUT_I1–I3 have no factor_10 mark where UNIT_OUTPUT_I1–I3 have one; the
    # table is followed as written (both manuals agree).
    current_factor10 = level == "unit"
    rows: list[tuple[str, str, str, int, int, bool, int]] = [
        ("Lr", f"Global output load rate of {what}", "load_rate", PERCENT, 1, False, 1),
        ("kVA", f"Global output apparent power of {what}", "output_kva", KVA, 1, True, 1),
        ("kw", f"Global output active power of {what}", "output_kw", KW, 1, True, 1),
        *(
            (f"Lr{p}", f"Output load rate phase {p} of {what}", f"load_rate_l{p}", PERCENT, 1, False, p)
            for p in (1, 2, 3)
        ),
        *(
            (f"I{p}", f"Output current phase {p} of {what}", f"output_current_l{p}", AMPERES, 1, current_factor10, p)
            for p in (1, 2, 3)
        ),
        *(
            (f"kVA{p}", f"Output apparent power phase {p} of {what}", f"output_kva_l{p}", KVA, 1, True, p)
            for p in (1, 2, 3)
        ),
        *(
            (f"kw{p}", f"Output active power phase {p} of {what}", f"output_kw_l{p}", KW, 1, True, p)
            for p in (1, 2, 3)
        ),
        *((f"V{p}", f"Output voltage phase {p}", f"output_voltage_l{p}", VOLTS, 1, False, p) for p in (1, 2, 3)),
        # U12, U23, U31 read -1 on a single-phase UPS ("Single phase UPS"; FR leaves
        # UNIT_OUTPUT_U12 blank): a line-to-line voltage needs two phases.
        *(
            (f"U{pair}", f"Output voltage phase {pair[0]}-{pair[1]}", f"output_voltage_u{pair}", VOLTS, 1, False, 2)
            for pair in ("12", "23", "31")
        ),
        ("fr", "Output frequency", "output_frequency", HERTZ, 10, False, 1),
        # Crest factor: BAC gives units 95 (no units), FR leaves it blank (INVENTORY (a) #6).
        ("cf", "Output crest factor", "output_crest_factor", NO_UNITS, 10, False, 1),
        *(
            (f"pf{p}", f"Output power factor phase {p}", f"output_power_factor_l{p}", POWER_FACTOR, 100, False, p)
            for p in (1, 2, 3)
        ),
    ]
    return [
        AnalogObject(first + index, f"{prefix}{suffix}", text, key, units, scale, factor10, level, phase)
        for index, (suffix, text, key, units, scale, factor10, phase) in enumerate(rows)
    ]


def _supply_rows(prefix: str, first: int, what: str, measure: str, phases_of: str) -> list[AnalogObject]:
    """RECTIFIER_ (53–65) and BYPASS_ (75–87) share their 13 rows (BAC §5.2.2): the
    voltages, frequency, currents and active powers of one input supply of the unit."""
    rows: list[tuple[str, str, str, int, int, bool, int]] = [
        *(
            (f"V{p}", f"{what} voltage phase {p}", f"{measure}_voltage_l{p}", VOLTS, 1, False, p)
            for p in (1, 2, 3)
        ),
        *(
            (
                f"U{pair}",
                f"{what} voltage phase {pair[0]}-{pair[1]}",
                f"{measure}_voltage_u{pair}",
                VOLTS,
                1,
                False,
                2,
            )
            for pair in ("12", "23", "31")
        ),
        ("Fr", f"{what} frequency", f"{measure}_frequency", HERTZ, 10, False, 1),
        *(
            (f"I{p}", f"{what} current phase {p} of the unit", f"{measure}_current_l{p}", AMPERES, 1, True, p)
            for p in (1, 2, 3)
        ),
        *(
            (f"kw{p}", f"{what} active power phase {p} of the unit", f"{measure}_power_l{p}", KW, 1, True, p)
            for p in (1, 2, 3)
        ),
    ]
    return [
        AnalogObject(
            first + index, f"{prefix}{suffix}", text, key, units, scale, factor10, "unit", phase, phases_of
        )
        for index, (suffix, text, key, units, scale, factor10, phase) in enumerate(rows)
    ]


def _analog_objects() -> tuple[AnalogObject, ...]:
    rows = _output_rows("UPS_OUTPUT_", 0, "ups", "parallel UPS system")
    # UNIT_OUTPUT_Lr is "#.##" in both manuals while every other load rate is "###"
    # (INVENTORY (a) #6): a load rate in percent is an integer, so "###" is used.
    rows += _output_rows("UNIT_OUTPUT_", 26, "unit", "the unit")
    rows.append(AnalogObject(52, "UNIT_TMP", "Unit ambient temperature", "ambient_temperature", CELSIUS, 10))
    rows += _supply_rows("RECTIFIER_", 53, "Rectifier", "input", "input")
    rows += [
        AnalogObject(66, "BATTERY_V+", "Battery voltage or Battery positive string voltage", "battery_voltage", VOLTS, 1, True),
        AnalogObject(67, "BATTERY_V-", "Battery negative string voltage", "battery_voltage_negative", VOLTS, 1, True),
        AnalogObject(68, "BATTERY_I+", "Battery current or Battery positive string current", "battery_current", AMPERES, 1, True),
        AnalogObject(69, "BATTERY_I-", "Battery negative string current", "battery_current_negative", AMPERES, 1, True),
        AnalogObject(70, "BATTERY_%", "Battery capacity", "battery_capacity", PERCENT),
        # BATTERY_Ah: BAC 95 (no units), FR 261, a code BACnet 135-2004 does not define (INVENTORY (a) #6).
        AnalogObject(71, "BATTERY_Ah", "Battery capacity", "battery_capacity_ah", NO_UNITS, 1, True),
        AnalogObject(72, "BATTERY_Min", "Remaining backup time when the UPS is on battery", "remaining_backup_time", MINUTES),
        AnalogObject(73, "BATTERY_s", "Power on battery time", "time_on_battery", SECONDS),
        AnalogObject(74, "BATTERY_TMP", "Battery temperature", "battery_temperature", CELSIUS, 10),
    ]
    # The bypass feeds the output's phases: its single-phase rows follow the output.
    rows += _supply_rows("BYPASS_", 75, "Bypass", "bypass", "output")
    return tuple(rows)


ANALOG_OBJECTS: tuple[AnalogObject, ...] = _analog_objects()


@dataclass(frozen=True)
class MultiStateObject:
    """One Multi-state Value (BAC §5.2.3, §6.2): state texts 1..N, the default state."""

    instance: int
    name: str
    description: str
    states: tuple[str, ...]
    default: int

    @property
    def number_of_states(self) -> int:
        return len(self.states)


# Load status states (BAC §6.2.2–3). FR adds 8 LINE-INTERACTIVE and 9 FLEX MODE
# (INVENTORY (a) #3): kept, so that a line-interactive UPS has a valid state.
_LOAD_STATES = (
    "ON MAINT. BYPASS",
    "ON BATTERY",
    "ON INVERTER",
    "NORMAL MODE",
    "ECO MODE",
    "ON BYPASS",
    "LOAD OFF",
    "LINE-INTERACTIVE",
    "FLEX MODE",
)

DEVICE_STATUS = MultiStateObject(
    0, "DeviceStatus", "DeviceStatus", ("Running", "Ready", "No com with UPS", "fault"), 2
)
UPS_LOAD_STATUS = MultiStateObject(1, "UPSLoadStatus", "UPSLoadStatus", _LOAD_STATES, 7)
UNIT_LOAD_STATUS = MultiStateObject(2, "UnitLoadStatus", "UnitLoadStatus", _LOAD_STATES, 7)
UNIT_STATUS = MultiStateObject(
    3,
    "UnitStatus",
    "UnitStatus",
    ("SERVICE MODE", "ISOLATED", "ON STANDBY", "AUTO-TEST", "OPERATING", "AVAILABLE"),
    6,
)
ALARMS = MultiStateObject(
    4, "Alarms", "Alarms", ("NO ALARM", "CRITICAL ALARM", "PREVENTIVE ALARM", "GENERAL ALARM"), 1
)
BATTERY_STATUS = MultiStateObject(
    5,
    "BatteryStatus",
    "BatteryStatus",
    (
        "NO BATTERY",
        "DISCONNECTED",
        "DISCHARGED",
        "LOW",
        "DISCHARGING",
        "DISCHARG. TO INPUT",
        "ALARM",
        "TESTING",
        "CHARGING",
        "OK",
    ),
    10,
)
RECTIFIER_STATUS = MultiStateObject(6, "RectifierStatus", "RectifierStatus", ("OFF", "ON"), 1)
INVERTER_STATUS = MultiStateObject(7, "InverterStatus", "InverterStatus", ("OFF", "ON"), 1)
# BAC order; FR lists 1 GenSet, 2 ABSENT, 3 OUT OF TOL, 4 OK (INVENTORY (a) #5). BAC's
# order puts the special state third as InputBypStatus does in both manuals.
INPUT_REC_STATUS = MultiStateObject(
    8, "InputRecStatus", "InputRecStatus", ("NOT PRESENT", "OUT OF TOL", "GEN SET", "OK"), 4
)
INPUT_BYP_STATUS = MultiStateObject(
    9, "InputBypStatus", "InputBypStatus", ("NOT PRESENT", "OUT OF TOL", "SYNCHRO INV", "OK"), 4
)

MULTI_STATE_OBJECTS: tuple[MultiStateObject, ...] = (
    DEVICE_STATUS,
    UPS_LOAD_STATUS,
    UNIT_LOAD_STATUS,
    UNIT_STATUS,
    ALARMS,
    BATTERY_STATUS,
    RECTIFIER_STATUS,
    INVERTER_STATUS,
    INPUT_REC_STATUS,
    INPUT_BYP_STATUS,
)

# The multi-state values that describe the unit the "data unit select" points at (BAC §5.1).
UNIT_MULTI_STATE_OBJECTS: tuple[MultiStateObject, ...] = (
    UNIT_LOAD_STATUS,
    UNIT_STATUS,
    BATTERY_STATUS,
    RECTIFIER_STATUS,
    INVERTER_STATUS,
    INPUT_REC_STATUS,
    INPUT_BYP_STATUS,
)


@dataclass(frozen=True)
class BitStringObject:
    instance: int
    name: str
    description: str
    bits: tuple[str, ...]


# Units 1–15 as BAC §6.3.1–2 and both summary tables (16 and 23 bits); FR's detail
# lists units 1–8 only (INVENTORY (a) #4). Bits of absent units stay 0.
UNIT_BITS = 15
UPS_STATUS = BitStringObject(
    0,
    "UPSStatus",
    "UPSStatus",
    ("ENERGY SAVER ON", *(f"UNIT {n} OPERATING" for n in range(1, UNIT_BITS + 1))),
)
UPS_ALARMS = BitStringObject(
    1,
    "UPSAlarms",
    "UPSAlarms",
    (
        "UPS IMMINENT STOP",
        "UPS OVERLOAD",
        "BYPASS LOCKED",
        "BYPASS IMPOSSIBLE",
        "INSUFF. RESOURCES",
        "REDUNDANCY LOST",
        "PARALLEL FAULT",
        "UPS GENERAL ALARM",
        *(f"UNIT {n} ALARM" for n in range(1, UNIT_BITS + 1)),
    ),
)
UNIT_ALARMS = BitStringObject(
    2,
    "UnitAlarms",
    "UnitAlarms",
    (
        "IMMINENT STOP",
        "OVERLOAD",
        "TEMPERATURE",
        "BYPASS LOCKED",
        "BYPASS IMPOSSIBLE",
        "MAINTENANCE AL.",
        "UNIT GENERAL ALARM",
        "BAT. DISCONNECTED",
        "BAT. DISCHARGED",
        "BATTERY LOW",
        "ON BATTERY",
        "BAT. TEMPERATURE",
        "BATTERY ROOM",
        "BAT. TEST FAILED",
        "BATTERY ALARM",
        "CHARGER ALARM",
        "REC. CRITICAL",
        "REC. PREVENTIVE",
        "GEN SET ALARM",
        "INV. CRITICAL",
        "INV. PREVENTIVE",
        "BYP. CRITICAL",
        "BYP. PREVENTIVE",
        "FAN FAILURE",
        "MAINTENANCE BYPASS",
        "UPS POWER OFF",
        "INTERNAL FAILURE",
        "External Input 1",
        "External Input 2",
        "External Input 3",
        "External Input 4",
    ),
)

BITSTRING_OBJECTS: tuple[BitStringObject, ...] = (UPS_STATUS, UPS_ALARMS, UNIT_ALARMS)
