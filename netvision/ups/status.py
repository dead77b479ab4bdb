"""Derived states: computed once per device per cycle, read by every service.

Pure code. Inputs are the active acronyms of one device and the map's
expressions; outputs are i18n keys and the RFC1628 codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from functools import lru_cache

from .expression import compile_expression
from .maps.base import CONDITIONS, Level, RegisterMap
from .model import Derived, InformationStatus, frozen_mapping

# §12.1.5 lists the UPS status values in this order; the first condition that
# holds wins. A battery test is placed before "Operating on Battery" so that a
# test discharge is not shown as a mains failure (docs/decisions.md).
UPS_STATUS_ORDER: tuple[tuple[str, str], ...] = (
    ("in_service_mode", "in_service_mode"),
    ("load_on_maintenance_bypass", "maintenance_bypass"),
    ("imminent_stop", "imminent_stop"),
    ("auto_test", "auto_test"),
    ("battery_test_in_progress", "battery_test"),
    ("on_battery", "on_battery"),
    ("eco_mode", "eco_mode"),
    ("load_on_inverter", "load_on_inverter"),
    ("normal_mode", "normal_mode"),
    ("line_interactive", "line_interactive"),
    ("load_on_automatic_bypass", "load_on_bypass"),
    ("available", "unit_available"),
    ("standby", "standby"),
    ("load_off", "load_off"),
)

# FR §13.2, for a STATYS.
STS_STATUS_ORDER: tuple[tuple[str, str], ...] = (
    ("in_service_mode", "in_service_mode"),
    ("load_on_manual_bypass_1", "maintenance_bypass_1"),
    ("load_on_manual_bypass_2", "maintenance_bypass_2"),
    ("imminent_stop", "imminent_stop"),
    ("load_off", "load_off"),
    ("load_on_preferred_source", "on_preferred_source"),
    ("load_on_alternate_source", "on_alternate_source"),
)

# §12.1.6
BATTERY_STATUS_ORDER: tuple[tuple[str, str], ...] = (
    ("battery_disconnected", "disconnected"),
    ("battery_discharged", "discharged"),
    ("battery_low", "low"),
    ("on_battery", "discharging"),
    ("battery_to_input", "to_input"),
    ("battery_alarm", "alarm"),
    ("battery_room_alarm", "room_alarm"),
    ("battery_temperature_alarm", "temperature_alarm"),
    ("battery_test_in_progress", "test_running"),
    ("battery_charging", "charging"),
)

# §12.1.7
OUTPUT_STATUS_ORDER: tuple[tuple[str, str], ...] = (
    ("load_on_maintenance_bypass", "maintenance_bypass"),
    ("eco_mode", "eco_mode"),
    ("load_on_inverter", "load_on_inverter"),
    ("normal_mode", "normal_mode"),
    ("line_interactive", "line_interactive"),
    ("load_on_automatic_bypass", "load_on_bypass"),
    ("standby", "standby"),
    ("load_off", "load_off"),
)

STS_OUTPUT_STATUS_ORDER: tuple[tuple[str, str], ...] = (
    ("load_on_manual_bypass_1", "maintenance_bypass"),
    ("load_on_manual_bypass_2", "maintenance_bypass"),
    ("load_off", "load_off"),
    ("load_on_preferred_source", "preferred_source"),
    ("load_on_alternate_source", "alternate_source"),
)

# RFC1628 upsOutputSource and upsBatteryStatus values.
OUTPUT_SOURCE_OTHER, OUTPUT_SOURCE_NONE, OUTPUT_SOURCE_NORMAL = 1, 2, 3
OUTPUT_SOURCE_BYPASS, OUTPUT_SOURCE_BATTERY = 4, 5
BATTERY_UNKNOWN, BATTERY_NORMAL, BATTERY_LOW, BATTERY_DEPLETED = 1, 2, 3, 4

# RFC1628 upsWellKnownAlarms .20 upsAlarmCommunicationsLost and NET VISION MIB
# upsWellKnownAlarms .58 (communication lost): raised by the card itself.
RFC1628_COMMUNICATIONS_LOST = 20
NETVISION_COMMUNICATIONS_LOST = 58
RFC1628_INPUT_BAD = 6  # upsAlarmInputBad: "An input condition is out of tolerance."


def evaluate_conditions(register_map: RegisterMap, active: AbstractSet[str]) -> dict[str, bool]:
    return {
        name: compile_expression(text)(active)
        for name, text in register_map.conditions.items()
        if name in CONDITIONS
    }


def _first(order: tuple[tuple[str, str], ...], conditions: Mapping[str, bool]) -> str | None:
    for condition, key in order:
        if conditions.get(condition):
            return key
    return None


def _true_expressions(expressions: Mapping[int, str], active: AbstractSet[str]) -> frozenset[int]:
    return frozenset(
        number for number, text in expressions.items() if text and compile_expression(text)(active)
    )


@lru_cache(maxsize=1024)
def expression_bits(expression: str) -> frozenset[str]:
    """The acronyms an expression names (``"S04 & !S07"`` -> S04, S07)."""
    for operator in "&|!()":
        expression = expression.replace(operator, " ")
    return frozenset(expression.split())


def _bits_of(expressions: Mapping[int, str], numbers: frozenset[int]) -> Mapping[int, frozenset[str]]:
    return frozen_mapping({number: expression_bits(expressions[number]) for number in numbers})


def mains_failed(conditions: Mapping[str, bool]) -> bool:
    """The battery feeds the load because the input failed: on battery, and not for a
    battery test (a test discharges the battery with good mains, docs/decisions.md)."""
    return bool(conditions.get("on_battery")) and not conditions.get("battery_test_in_progress")


def input_out_of_tolerance(conditions: Mapping[str, bool], rfc1628_alarms: AbstractSet[int]) -> bool:
    """RFC1628's "input out of tolerance": the input-bad alarm, or the load on battery
    because the mains failed."""
    if RFC1628_INPUT_BAD in rfc1628_alarms:
        return True
    return mains_failed(conditions)


def output_source(conditions: Mapping[str, bool]) -> int:
    # Maintenance bypass first: JBUSP's load-off expression (!S03&!S04) also
    # holds while the maintenance bypass carries the load.
    if conditions.get("load_on_maintenance_bypass"):
        return OUTPUT_SOURCE_BYPASS
    if conditions.get("load_off"):
        return OUTPUT_SOURCE_NONE
    if conditions.get("on_battery"):
        return OUTPUT_SOURCE_BATTERY
    if conditions.get("eco_mode") or conditions.get("load_on_automatic_bypass"):
        return OUTPUT_SOURCE_BYPASS
    if conditions.get("load_on_inverter"):
        return OUTPUT_SOURCE_NORMAL
    return OUTPUT_SOURCE_OTHER


def battery_status_code(conditions: Mapping[str, bool]) -> int:
    if conditions.get("battery_discharged"):
        return BATTERY_DEPLETED
    if conditions.get("battery_low"):
        return BATTERY_LOW
    return BATTERY_NORMAL


def derive(register_map: RegisterMap, active: AbstractSet[str], battery_present: bool = True) -> Derived:
    """Every derived value of one communicating device."""
    conditions = evaluate_conditions(register_map, active)
    traps = _true_expressions(register_map.trap_conditions, active)
    if register_map.device_kind == "sts":
        return Derived(
            ups_status="ups_status." + (_first(STS_STATUS_ORDER, conditions) or "unknown"),
            battery_status="battery_status.unknown",
            output_status="output_status." + (_first(STS_OUTPUT_STATUS_ORDER, conditions) or "unknown"),
            rfc1628_output_source=OUTPUT_SOURCE_OTHER,
            rfc1628_battery_status=BATTERY_UNKNOWN,
            conditions=conditions,
            traps=traps,
            device_kind="sts",
            # FR §18.4: the STS events log also lists information statuses (Source 1 OK…).
            information_statuses=tuple(
                InformationStatus(bit.acronym, bit.label_en, bit.label_fr, bit.level)
                for bit in register_map.statuses
                if bit.level is Level.INFORMATION and bit.acronym in active
            ),
        )
    if battery_present:
        battery = _first(BATTERY_STATUS_ORDER, conditions) or "ok"
    else:
        battery = "disconnected"
    well_known = _true_expressions(register_map.well_known_alarms, active)
    rfc1628 = _true_expressions(register_map.rfc1628_alarms, active)
    return Derived(
        ups_status="ups_status." + (_first(UPS_STATUS_ORDER, conditions) or "unknown"),
        battery_status="battery_status." + battery,
        output_status="output_status." + (_first(OUTPUT_STATUS_ORDER, conditions) or "unknown"),
        rfc1628_output_source=output_source(conditions),
        rfc1628_battery_status=battery_status_code(conditions) if battery_present else BATTERY_UNKNOWN,
        conditions=conditions,
        well_known_alarms=well_known,
        rfc1628_alarms=rfc1628,
        well_known_bits=_bits_of(register_map.well_known_alarms, well_known),
        rfc1628_bits=_bits_of(register_map.rfc1628_alarms, rfc1628),
        traps=traps,
        input_out_of_tolerance=input_out_of_tolerance(conditions, rfc1628),
    )


def derive_lost() -> Derived:
    """Communication lost: every status is "Unknown" (§12.1.5), no trap condition holds,
    and the card raises its own alarm (RFC1628 .20, NET VISION MIB .58)."""
    return Derived(
        ups_status="ups_status.unknown",
        battery_status="battery_status.unknown",
        output_status="output_status.unknown",
        rfc1628_output_source=OUTPUT_SOURCE_OTHER,
        rfc1628_battery_status=BATTERY_UNKNOWN,
        well_known_alarms=frozenset({NETVISION_COMMUNICATIONS_LOST}),
        rfc1628_alarms=frozenset({RFC1628_COMMUNICATIONS_LOST}),
    )
