"""Snapshot → the value of every BACnet object, per architecture. Pure code.

BAC §5.1 (and FR annex) fill the objects by architecture:

- single unit: unit-level objects carry the UPS's data; the UPS-level objects
  (UPS_OUTPUT_, UPSLoadStatus, UPSStatus, UPSAlarms) are a copy of it, as the
  NET VISION manual says (FR annex "Copie des données de l'unité"), where the
  stand-alone interface leaves them at 0 (BAC §5.1; INVENTORY (a) #2): 0 is not
  even a valid Multi-state value;
- parallel system, data unit select 0 ("concentrator"): the UPS-level objects
  carry the system's data and the unit-level objects the same system synthesis;
- parallel system, data unit select N ("multi-units"): the UPS-level objects
  carry the system's data, the unit-level objects unit N's (FR §15.3).

"DeviceStatus" and "Alarms" are "common" (BAC §5.1): they follow the system.
Every derived state comes from the snapshot's conditions, derived statuses and
NET VISION MIB well-known alarm numbers (status.py), never from register bits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ...ups.battery_test import BatteryTestResult, BatteryTestState
from ...ups.maps.base import Level
from ...ups.model import CommunicationState, DeviceState, Snapshot
from ...ups.status import OUTPUT_SOURCE_BATTERY
from . import objects as o

# NET VISION MIB upsWellKnownAlarms numbers (App. "NET VISION 7 MIB FILE OID DESCRIPTION").
WKA_TEMPERATURE = 3
WKA_INSUFFICIENT_RESOURCES = 6
WKA_REDUNDANCY_LOST = 7
WKA_RECTIFIER_INPUT_BAD = 22
WKA_GENSET = 23
WKA_CHARGER_FAULT = 24
WKA_CHARGER_ALARM = 25
WKA_BYPASS_INPUT_BAD = 30
WKA_FANS = 32
WKA_MAINTENANCE_BYPASS = 33
WKA_POWER_OFF = 34
WKA_INTERNAL_FAILURE = 36
WKA_EXTERNAL_ALARMS = (38, 39, 40, 41)

# DeviceStatus states (BAC §6.2.1).
RUNNING, READY, NO_COM, FAULT = 1, 2, 3, 4
# UnitStatus states (BAC §6.2.4).
SERVICE_MODE, ISOLATED, STANDBY, AUTO_TEST, OPERATING, AVAILABLE = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class DeviceProperties:
    """Device object values that come from the UPS (BAC §5.2.1)."""

    object_name: str = "NET VISION"
    model_name: str = ""
    description: str = ""
    location: str = "0"
    profile_name: str = "N/A"
    ups_time: datetime | None = None


@dataclass(frozen=True)
class ObjectValues:
    """Present values by instance, and whether they can be trusted."""

    analog: Mapping[int, float] = field(default_factory=dict)
    multi_state: Mapping[int, int] = field(default_factory=dict)
    bitstring: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    device_status: int = READY
    # True when the values do not follow the UPS (no communication): Status_Flags
    # fault and Out_Of_Service of every value object follow it.
    fault: bool = True
    # The selected unit is not in the system: the unit-level objects are in fault.
    unit_missing: bool = False
    # False while nothing was read yet or communication is lost: keep the last values.
    update_values: bool = False
    device: DeviceProperties = field(default_factory=DeviceProperties)


def default_values() -> ObjectValues:
    """Before the first answer of the UPS: -1, the default states, no bits."""
    return ObjectValues(
        analog={row.instance: o.NOT_AVAILABLE for row in o.ANALOG_OBJECTS},
        multi_state={row.instance: row.default for row in o.MULTI_STATE_OBJECTS},
        bitstring={row.instance: (0,) * len(row.bits) for row in o.BITSTRING_OBJECTS},
    )


def device_status(snapshot: Snapshot) -> int:
    communication = snapshot.communication
    if communication.state is CommunicationState.OK:
        return RUNNING
    if communication.state is CommunicationState.LOST or communication.last_error:
        return NO_COM
    return READY  # still looking for the UPS (BAC §1.5: about a minute)


def profile_name(snapshot: Snapshot) -> str:
    """Profile_Name: "factor_10"/"no_factor" where the UPS says (VU-MAP T014), else N/A (BAC §5.2.1)."""
    identity = snapshot.identity
    if identity is None or "measure_factor" not in identity.configuration:
        return "N/A"
    factor = identity.configuration.get("measure_factor")
    if factor is None:
        return "N/A"
    return "factor_10" if int(factor) == 1 else "no_factor"


def _format_kva(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g} kVA"


def device_properties(snapshot: Snapshot, unit_select: int) -> DeviceProperties:
    identity = snapshot.identity
    if identity is None:
        return DeviceProperties(location=str(unit_select), ups_time=snapshot.ups_time)
    return DeviceProperties(
        object_name=identity.model or "NET VISION",
        model_name=_format_kva(identity.nominal_kva),
        description=identity.serial_number,
        location=str(unit_select),
        profile_name=profile_name(snapshot),
        ups_time=snapshot.ups_time,
    )


def unit_level_state(snapshot: Snapshot, unit_select: int) -> DeviceState | None:
    """The device the unit-level objects describe (BAC §5.1, FR §15.3)."""
    topology = snapshot.topology
    if topology is None or not topology.is_parallel or unit_select == 0:
        return snapshot.system
    unit = snapshot.unit(unit_select)
    return unit.state if unit else None


# -- analog values --------------------------------------------------------------------------------


DECIMALS = 4


def analog_value(
    row: o.AnalogObject,
    state: DeviceState | None,
    phases: Mapping[str, int],
    factor10: bool,
) -> float:
    if state is None:
        return o.NOT_AVAILABLE
    if row.phase > 1 and phases.get(row.phases_of, 3) == 1:
        return o.NOT_AVAILABLE  # "Single phase UPS" column
    value = state.measurements.get(row.key)
    if value is None:
        return o.NOT_AVAILABLE  # "Not available": not managed by this UPS
    scale = row.scale * (10 if row.factor10 and factor10 else 1)
    # A REAL keeps the UPS's decimals (1.4 kW, -7.3 A); the rounding only drops the
    # binary noise of the scaling (0.1 * 14 = 1.4000000000000001).
    return float(round(value * scale, DECIMALS))


# -- multi-state values ---------------------------------------------------------------------------

# UPSLoadStatus / UnitLoadStatus (BAC §6.2.2–3) from the output status every service
# shows (status.py, §12.1.7); "ON BATTERY" where the shared output source is the battery.
_LOAD_STATES_BY_OUTPUT_STATUS: Mapping[str, int] = {
    "output_status.maintenance_bypass": 1,
    "output_status.load_on_inverter": 3,
    "output_status.normal_mode": 4,
    "output_status.eco_mode": 5,
    "output_status.load_on_bypass": 6,
    "output_status.load_off": 7,
    "output_status.line_interactive": 8,
}
LOAD_ON_BATTERY = 2


def load_status(state: DeviceState) -> int:
    """UPSLoadStatus / UnitLoadStatus (BAC §6.2.2–3): LOAD OFF by default."""
    derived = state.derived
    if derived.rfc1628_output_source == OUTPUT_SOURCE_BATTERY:
        return LOAD_ON_BATTERY
    return _LOAD_STATES_BY_OUTPUT_STATUS.get(derived.output_status, o.UPS_LOAD_STATUS.default)


def unit_status(state: DeviceState) -> int:
    """UnitStatus (BAC §6.2.4). Maps without an "operating" status (JBUSP) count the
    unit as operating while its output carries the load. ISOLATED follows the
    ``unit_isolated`` condition (VU-MAP S014; JBUSP has none)."""
    if state.condition("in_service_mode"):
        return SERVICE_MODE
    if state.condition("unit_isolated"):
        return ISOLATED
    if state.condition("standby"):
        return STANDBY
    if state.condition("auto_test"):
        return AUTO_TEST
    conditions = state.derived.conditions
    if "operating" in conditions:
        operating = bool(conditions["operating"])
    else:
        operating = not (state.condition("load_off") or state.condition("load_on_maintenance_bypass"))
    return OPERATING if operating else AVAILABLE


def alarm_status(state: DeviceState) -> int:
    """Alarms (BAC §6.2.5): critical, preventive, or any other alarm."""
    if any(state.condition(f"{part}_critical_alarm") for part in ("rectifier", "inverter", "bypass")):
        return 2
    if any(state.condition(f"{part}_preventive_alarm") for part in ("rectifier", "inverter", "bypass")):
        return 3
    if state.alarms or state.condition("general_alarm"):
        return 4
    return 1


_BATTERY_STATES: Mapping[str, int] = {
    "battery_status.disconnected": 2,
    "battery_status.discharged": 3,
    "battery_status.low": 4,
    "battery_status.discharging": 5,
    "battery_status.to_input": 6,
    "battery_status.alarm": 7,
    "battery_status.room_alarm": 7,
    "battery_status.temperature_alarm": 7,
    "battery_status.test_running": 8,
    "battery_status.charging": 9,
}


def battery_status(state: DeviceState, battery_present: bool) -> int:
    """BatteryStatus (BAC §6.2.6) from the battery status every service shows (§12.1.6)."""
    if not battery_present:
        return 1
    return _BATTERY_STATES.get(state.derived.battery_status, o.BATTERY_STATUS.default)


def input_rectifier_status(state: DeviceState) -> int:
    """InputRecStatus (BAC §6.2.9): 1 not present, 2 out of tolerance, 3 gen set, 4 OK."""
    if state.condition("genset_on"):
        return 3
    if not state.condition("rectifier_supply_present"):
        return 1
    if WKA_RECTIFIER_INPUT_BAD in state.derived.well_known_alarms:
        return 2
    return 4


def input_bypass_status(state: DeviceState) -> int:
    """InputBypStatus (BAC §6.2.10): 1 not present, 2 out of tolerance, 3 synchronised with the inverter, 4 OK.

    SYNCHRO INV follows the ``sources_synchronised`` condition (VU-MAP S058, JBUSP S23)."""
    if not state.condition("bypass_supply_present"):
        return 1
    if WKA_BYPASS_INPUT_BAD in state.derived.well_known_alarms:
        return 2
    if state.condition("sources_synchronised"):
        return 3
    return 4


# -- bit strings ----------------------------------------------------------------------------------


def _bits(length: int, true_indices: set[int]) -> tuple[int, ...]:
    return tuple(1 if index in true_indices else 0 for index in range(length))


def _unit_in_alarm(state: DeviceState) -> bool:
    return state.condition("general_alarm") or any(
        alarm.level in (Level.WARNING, Level.CRITICAL) for alarm in state.alarms
    )


def _unit_states(snapshot: Snapshot) -> list[tuple[int, DeviceState]]:
    """(unit number, state) for the unit bits: the units of a parallel system, or the
    single UPS as unit 1 (a copy of the unit data, FR annex)."""
    topology = snapshot.topology
    if topology is not None and topology.is_parallel:
        return [(unit.number, unit.state) for unit in snapshot.units if 1 <= unit.number <= o.UNIT_BITS]
    return [(1, snapshot.system)] if snapshot.system is not None else []


def ups_status_bits(snapshot: Snapshot, system: DeviceState) -> tuple[int, ...]:
    """UPSStatus (BAC §6.3.1): b00 energy saver, bN unit N operating."""
    on = {0} if system.condition("energy_saver") else set()
    on |= {number for number, state in _unit_states(snapshot) if unit_status(state) == OPERATING}
    return _bits(len(o.UPS_STATUS.bits), on)


def ups_alarm_bits(snapshot: Snapshot, system: DeviceState) -> tuple[int, ...]:
    """UPSAlarms (BAC §6.3.2): b00–b07 system alarms, b08+ unit N in alarm."""
    wka = system.derived.well_known_alarms
    checks = (
        system.condition("imminent_stop"),
        system.condition("overload"),
        system.condition("transfer_locked"),
        system.condition("transfer_impossible"),
        WKA_INSUFFICIENT_RESOURCES in wka,
        WKA_REDUNDANCY_LOST in wka,
        False,  # PARALLEL FAULT: no map gives it a level (JBUSP A55, VU-MAP A046 are not managed)
        system.condition("general_alarm"),
    )
    on = {index for index, value in enumerate(checks) if value}
    on |= {7 + number for number, state in _unit_states(snapshot) if _unit_in_alarm(state)}
    return _bits(len(o.UPS_ALARMS.bits), on)


def unit_alarm_bits(state: DeviceState, last_test_failed: bool = False) -> tuple[int, ...]:
    """UnitAlarms (BAC §6.3.3). BAT. TEST FAILED: the UPS's bit, or the last battery test
    failed as the battery test tracker saw it (ups/battery_test.py)."""
    wka = state.derived.well_known_alarms
    c = state.condition
    checks = (
        c("imminent_stop"),
        c("overload"),
        WKA_TEMPERATURE in wka,
        c("transfer_locked"),
        c("transfer_impossible"),
        c("maintenance_alarm"),
        c("general_alarm"),
        c("battery_disconnected"),
        c("battery_discharged"),
        c("battery_low"),
        c("on_battery"),
        c("battery_temperature_alarm"),
        c("battery_room_alarm"),
        c("battery_test_failed") or last_test_failed,
        c("battery_alarm"),
        WKA_CHARGER_FAULT in wka or WKA_CHARGER_ALARM in wka,
        c("rectifier_critical_alarm"),
        c("rectifier_preventive_alarm"),
        WKA_GENSET in wka,
        c("inverter_critical_alarm"),
        c("inverter_preventive_alarm"),
        c("bypass_critical_alarm"),
        c("bypass_preventive_alarm"),
        WKA_FANS in wka,
        WKA_MAINTENANCE_BYPASS in wka,
        WKA_POWER_OFF in wka,
        WKA_INTERNAL_FAILURE in wka,
        *(number in wka for number in WKA_EXTERNAL_ALARMS),
    )
    return _bits(len(o.UNIT_ALARMS.bits), {index for index, value in enumerate(checks) if value})


# -- everything -----------------------------------------------------------------------------------


def last_test_failed(battery_tests: BatteryTestState | None, unit_select: int) -> bool:
    """The last battery test of the unit-level device failed: that unit's where the
    batteries are distributed, else the system's."""
    if battery_tests is None:
        return False
    if battery_tests.per_unit and unit_select and any(test.unit == unit_select for test in battery_tests.units):
        test = battery_tests.unit(unit_select)
    else:
        test = battery_tests.system()
    return test.result is BatteryTestResult.FAILED and not test.running


def compute(snapshot: Snapshot, unit_select: int = 0, battery_tests: BatteryTestState | None = None) -> ObjectValues:
    """Every object's value for ``snapshot``; ``unit_select`` is the "data unit select" setting;
    ``battery_tests`` the core's battery test tracker state, when there is one."""
    status = device_status(snapshot)
    properties = device_properties(snapshot, unit_select)
    system = snapshot.system
    if not snapshot.communicating or system is None:
        return ObjectValues(device_status=status, device=properties)
    unit = unit_level_state(snapshot, unit_select)
    topology = snapshot.topology
    identity = snapshot.identity
    phases = {
        "output": (topology.output_phases if topology else None) or (identity.output_phases if identity else None) or 3,
        "input": (topology.input_phases if topology else None) or (identity.input_phases if identity else None) or 3,
    }
    factor10 = properties.profile_name == "factor_10"
    analog = {
        row.instance: analog_value(row, system if row.level == "ups" else unit, phases, factor10)
        for row in o.ANALOG_OBJECTS
    }
    battery_present = topology.battery_present if topology else True
    multi_state = {
        o.DEVICE_STATUS.instance: status,
        o.UPS_LOAD_STATUS.instance: load_status(system),
        o.ALARMS.instance: alarm_status(system),
    }
    bitstring = {
        o.UPS_STATUS.instance: ups_status_bits(snapshot, system),
        o.UPS_ALARMS.instance: ups_alarm_bits(snapshot, system),
    }
    if unit is not None:
        multi_state.update(
            {
                o.UNIT_LOAD_STATUS.instance: load_status(unit),
                o.UNIT_STATUS.instance: unit_status(unit),
                o.BATTERY_STATUS.instance: battery_status(unit, battery_present),
                o.RECTIFIER_STATUS.instance: 2 if unit.condition("rectifier_on") else 1,
                o.INVERTER_STATUS.instance: 2 if unit.condition("inverter_on") else 1,
                o.INPUT_REC_STATUS.instance: input_rectifier_status(unit),
                o.INPUT_BYP_STATUS.instance: input_bypass_status(unit),
            }
        )
        bitstring[o.UNIT_ALARMS.instance] = unit_alarm_bits(unit, last_test_failed(battery_tests, unit_select))
    else:
        # The selected unit is not in the system: unit objects at their defaults, flagged as faults.
        for row in o.UNIT_MULTI_STATE_OBJECTS:
            multi_state[row.instance] = row.default
        bitstring[o.UNIT_ALARMS.instance] = (0,) * len(o.UNIT_ALARMS.bits)
    return ObjectValues(
        analog=analog,
        multi_state=multi_state,
        bitstring=bitstring,
        device_status=status,
        fault=False,
        unit_missing=unit is None,
        update_values=True,
        device=properties,
    )
