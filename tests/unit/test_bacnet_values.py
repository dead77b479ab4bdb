"""BACnet object list and value rules (BAC §5–§6, FR annex), on built snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import pytest

from netvision.services.bacnet import objects as o
from netvision.services.bacnet import values as v
from netvision.ups.maps.base import Level, RegisterMap
from netvision.ups.maps.jbusp import JBUSP
from netvision.ups.maps.vumap import VUMAP
from netvision.ups.model import (
    ActiveAlarm,
    Communication,
    CommunicationState,
    DeviceState,
    Identity,
    Snapshot,
    Topology,
    TopologyKind,
    Unit,
)
from netvision.ups.status import derive

NOW = datetime(2026, 5, 4, 13, 14, 15, tzinfo=UTC)

# BAC §5.2.2, instances 0-87 in order.
DOCUMENT_ANALOG_NAMES = (
    "UPS_OUTPUT_Lr UPS_OUTPUT_kVA UPS_OUTPUT_kw UPS_OUTPUT_Lr1 UPS_OUTPUT_Lr2 UPS_OUTPUT_Lr3 "
    "UPS_OUTPUT_I1 UPS_OUTPUT_I2 UPS_OUTPUT_I3 UPS_OUTPUT_kVA1 UPS_OUTPUT_kVA2 UPS_OUTPUT_kVA3 "
    "UPS_OUTPUT_kw1 UPS_OUTPUT_kw2 UPS_OUTPUT_kw3 UPS_OUTPUT_V1 UPS_OUTPUT_V2 UPS_OUTPUT_V3 "
    "UPS_OUTPUT_U12 UPS_OUTPUT_U23 UPS_OUTPUT_U31 UPS_OUTPUT_fr UPS_OUTPUT_cf UPS_OUTPUT_pf1 "
    "UPS_OUTPUT_pf2 UPS_OUTPUT_pf3 UNIT_OUTPUT_Lr UNIT_OUTPUT_kVA UNIT_OUTPUT_kw UNIT_OUTPUT_Lr1 "
    "UNIT_OUTPUT_Lr2 UNIT_OUTPUT_Lr3 UNIT_OUTPUT_I1 UNIT_OUTPUT_I2 UNIT_OUTPUT_I3 UNIT_OUTPUT_kVA1 "
    "UNIT_OUTPUT_kVA2 UNIT_OUTPUT_kVA3 UNIT_OUTPUT_kw1 UNIT_OUTPUT_kw2 UNIT_OUTPUT_kw3 UNIT_OUTPUT_V1 "
    "UNIT_OUTPUT_V2 UNIT_OUTPUT_V3 UNIT_OUTPUT_U12 UNIT_OUTPUT_U23 UNIT_OUTPUT_U31 UNIT_OUTPUT_fr "
    "UNIT_OUTPUT_cf UNIT_OUTPUT_pf1 UNIT_OUTPUT_pf2 UNIT_OUTPUT_pf3 UNIT_TMP RECTIFIER_V1 "
    "RECTIFIER_V2 RECTIFIER_V3 RECTIFIER_U12 RECTIFIER_U23 RECTIFIER_U31 RECTIFIER_Fr RECTIFIER_I1 "
    "RECTIFIER_I2 RECTIFIER_I3 RECTIFIER_kw1 RECTIFIER_kw2 RECTIFIER_kw3 BATTERY_V+ BATTERY_V- "
    "BATTERY_I+ BATTERY_I- BATTERY_% BATTERY_Ah BATTERY_Min BATTERY_s BATTERY_TMP BYPASS_V1 "
    "BYPASS_V2 BYPASS_V3 BYPASS_U12 BYPASS_U23 BYPASS_U31 BYPASS_Fr BYPASS_I1 BYPASS_I2 BYPASS_I3 "
    "BYPASS_kw1 BYPASS_kw2 BYPASS_kw3"
).split()
# BAC §5.2.2 "Code" column, same order.
DOCUMENT_ANALOG_UNITS = (
    [98, 9, 48, 98, 98, 98, 3, 3, 3, 9, 9, 9, 48, 48, 48, 5, 5, 5, 5, 5, 5, 27, 95, 15, 15, 15] * 2
    + [62, 5, 5, 5, 5, 5, 5, 27, 3, 3, 3, 48, 48, 48, 5, 5, 3, 3, 98, 95, 72, 73, 62]
    + [5, 5, 5, 5, 5, 5, 27, 3, 3, 3, 48, 48, 48]
)


def state(
    register_map: RegisterMap,
    active: Iterable[str] = (),
    measurements: Mapping[str, float | None] | None = None,
    number: int = 0,
    battery_present: bool = True,
    alarms: tuple[ActiveAlarm, ...] = (),
) -> DeviceState:
    bits = frozenset(active)
    return DeviceState(
        number=number,
        statuses=frozenset(bit for bit in bits if bit.startswith("S")),
        alarm_bits=frozenset(bit for bit in bits if bit.startswith("A")),
        alarms=alarms,
        measurements=dict(measurements or {}),
        derived=derive(register_map, bits, battery_present),
    )


def snapshot(
    system: DeviceState | None,
    register_map: RegisterMap = JBUSP,
    kind: TopologyKind = TopologyKind.SINGLE,
    units: tuple[Unit, ...] = (),
    phases: int = 3,
    measure_factor: int | None = None,
    communication: CommunicationState = CommunicationState.OK,
    battery_present: bool = True,
    last_error: str = "",
) -> Snapshot:
    configuration = {} if measure_factor is None else {"measure_factor": float(measure_factor)}
    identity = Identity(
        map_name=register_map.name,
        map_title=register_map.title,
        device_kind=register_map.device_kind,
        type_code=87,
        model="MASTERYS 3/1 UPS",
        serial_number="SN123",
        nominal_kva=20.0,
        output_phases=phases,
        input_phases=3,
        configuration=configuration,
    )
    topology = Topology(
        kind=kind,
        units=tuple(unit.number for unit in units),
        battery_present=battery_present,
        input_phases=3,
        output_phases=phases,
    )
    return Snapshot(
        sequence=1,
        time=NOW,
        communication=Communication(communication, NOW, last_error=last_error),
        identity=identity,
        topology=topology,
        system=system,
        units=units,
        ups_time=datetime(2026, 5, 4, 15, 16, 17),
    )


def analog(values: v.ObjectValues, name: str) -> float:
    (row,) = [row for row in o.ANALOG_OBJECTS if row.name == name]
    return values.analog[row.instance]


# -- the object list ----------------------------------------------------------------------------


def test_analog_objects_are_the_documents_88_in_order_with_their_units() -> None:
    assert [row.instance for row in o.ANALOG_OBJECTS] == list(range(88))
    assert [row.name for row in o.ANALOG_OBJECTS] == DOCUMENT_ANALOG_NAMES
    assert [row.units for row in o.ANALOG_OBJECTS] == DOCUMENT_ANALOG_UNITS


def test_multi_state_and_bitstring_objects_have_the_documents_sizes() -> None:
    assert [(row.instance, row.name) for row in o.MULTI_STATE_OBJECTS] == list(
        enumerate(
            "DeviceStatus UPSLoadStatus UnitLoadStatus UnitStatus Alarms BatteryStatus "
            "RectifierStatus InverterStatus InputRecStatus InputBypStatus".split()
        )
    )
    # Load statuses carry FR's 8 LINE-INTERACTIVE and 9 FLEX MODE (INVENTORY (a) #3).
    assert [row.number_of_states for row in o.MULTI_STATE_OBJECTS] == [4, 9, 9, 6, 4, 10, 2, 2, 4, 4]
    assert [len(row.bits) for row in o.BITSTRING_OBJECTS] == [16, 23, 31]
    assert o.UPS_ALARMS.bits[8] == "UNIT 1 ALARM" and o.UPS_ALARMS.bits[22] == "UNIT 15 ALARM"
    assert o.UNIT_ALARMS.bits[30] == "External Input 4"


def test_object_names_are_unique() -> None:
    names = [row.name for row in (*o.ANALOG_OBJECTS, *o.MULTI_STATE_OBJECTS, *o.BITSTRING_OBJECTS)]
    assert len(names) == len(set(names))


def test_default_states_are_the_documents_default_values() -> None:
    assert o.UPS_LOAD_STATUS.states[o.UPS_LOAD_STATUS.default - 1] == "LOAD OFF"
    assert o.UNIT_STATUS.states[o.UNIT_STATUS.default - 1] == "AVAILABLE"
    assert o.BATTERY_STATUS.states[o.BATTERY_STATUS.default - 1] == "OK"


# -- analog values ------------------------------------------------------------------------------


def test_values_are_real_format_frequency_times_ten_power_factor_times_hundred() -> None:
    system = state(
        VUMAP,
        ("S000",),
        {
            "output_frequency": 49.97,
            "output_power_factor_l1": 0.87,
            "ambient_temperature": 24.2,
            "output_voltage_l1": 230.4,
        },
    )
    values = v.compute(snapshot(system, VUMAP, measure_factor=0))
    assert analog(values, "UPS_OUTPUT_fr") == 499.7
    assert analog(values, "UPS_OUTPUT_pf1") == 87
    assert analog(values, "UNIT_TMP") == 242
    assert analog(values, "UPS_OUTPUT_V1") == 230.4


def test_analog_values_keep_the_ups_decimals() -> None:
    # 1.4 kW is not 1 kW, -7.3 A is not -7 A: a REAL carries the decimals the UPS gives.
    measurements = {"output_kw": 0.1 * 14, "battery_current": -7.3, "output_kva": 2.25, "battery_voltage": 409.6}
    values = v.compute(snapshot(state(JBUSP, ("S03",), measurements)))
    assert analog(values, "UPS_OUTPUT_kw") == analog(values, "UNIT_OUTPUT_kw") == 1.4
    assert analog(values, "BATTERY_I+") == -7.3
    assert analog(values, "UPS_OUTPUT_kVA") == 2.25
    assert analog(values, "BATTERY_V+") == 409.6


def test_factor_10_profile_multiplies_the_marked_columns_only() -> None:
    system = state(VUMAP, ("S000",), {"output_current_l1": 40.3, "output_kva": 9.6, "load_rate": 45})
    values = v.compute(snapshot(system, VUMAP, measure_factor=1))
    assert values.device.profile_name == "factor_10"
    assert analog(values, "UNIT_OUTPUT_I1") == 403  # factor_10 "Yes"
    assert analog(values, "UPS_OUTPUT_I1") == 40.3  # no factor_10 mark in the table
    assert analog(values, "UPS_OUTPUT_kVA") == 96
    assert analog(values, "UPS_OUTPUT_Lr") == 45
    assert v.compute(snapshot(system, VUMAP, measure_factor=0)).device.profile_name == "no_factor"
    # JBUSP has no measurement factor: N/A and the fixed format.
    jbusp = v.compute(snapshot(state(JBUSP, ("S03",), {"output_current_l1": 40.3}), JBUSP))
    assert jbusp.device.profile_name == "N/A"
    assert analog(jbusp, "UNIT_OUTPUT_I1") == 40.3


def test_not_managed_measurement_reads_minus_one() -> None:
    values = v.compute(snapshot(state(JBUSP, ("S03",), {"output_kw": None, "output_voltage_l1": 230.0})))
    assert analog(values, "UPS_OUTPUT_kw") == -1
    assert analog(values, "UPS_OUTPUT_pf1") == -1  # JBUSP has no power factor at all
    assert analog(values, "UPS_OUTPUT_V1") == 230


def test_single_phase_ups_reads_minus_one_on_phases_2_and_3() -> None:
    measured = {"output_voltage_l2": 0.0, "output_voltage_l1": 230.0, "output_voltage_u12": 0.0, "bypass_voltage_l3": 0.0}
    values = v.compute(snapshot(state(JBUSP, ("S03",), measured), phases=1))
    assert analog(values, "UPS_OUTPUT_V1") == 230
    assert analog(values, "UPS_OUTPUT_V2") == -1
    assert analog(values, "UNIT_OUTPUT_U12") == -1
    assert analog(values, "BYPASS_V3") == -1


def test_negative_battery_current_keeps_its_sign() -> None:
    values = v.compute(snapshot(state(VUMAP, ("S000",), {"battery_current": -12.4}), VUMAP, measure_factor=1))
    assert analog(values, "BATTERY_I+") == -124


# -- per architecture ---------------------------------------------------------------------------


def test_single_unit_ups_level_objects_are_a_copy_of_the_unit() -> None:
    system = state(JBUSP, ("S03", "S00", "S02", "S01"), {"load_rate": 45, "output_voltage_l1": 231})
    values = v.compute(snapshot(system))
    assert analog(values, "UPS_OUTPUT_Lr") == analog(values, "UNIT_OUTPUT_Lr") == 45
    assert values.multi_state[o.UPS_LOAD_STATUS.instance] == values.multi_state[o.UNIT_LOAD_STATUS.instance] == 3
    assert values.bitstring[o.UPS_STATUS.instance][1] == 1  # the single UPS is "unit 1", operating


def parallel(unit_select: int, units: int = 3) -> v.ObjectValues:
    system = state(VUMAP, ("S000", "S011", "S096", "S097", "S098"), {"load_rate": 60, "output_current_l1": 300})
    unit_states = tuple(
        Unit(n, state(VUMAP, ("S000", "S011") if n != 3 else ("S013",), {"load_rate": 10 * n, "output_current_l1": 100 * n}, number=n))
        for n in range(1, units + 1)
    )
    return v.compute(snapshot(system, VUMAP, TopologyKind.PARALLEL, unit_states, measure_factor=0), unit_select)


def test_parallel_concentrator_unit_objects_carry_the_system_data() -> None:
    values = parallel(0)
    assert analog(values, "UNIT_OUTPUT_Lr") == analog(values, "UPS_OUTPUT_Lr") == 60
    assert analog(values, "UNIT_OUTPUT_I1") == analog(values, "UPS_OUTPUT_I1") == 300
    assert values.bitstring[o.UPS_STATUS.instance][:5] == (0, 1, 1, 0, 0)  # unit 3 is on standby
    assert values.device.location == "0"


def test_parallel_multi_units_unit_objects_carry_the_selected_unit() -> None:
    values = parallel(2)
    assert analog(values, "UPS_OUTPUT_Lr") == 60
    assert analog(values, "UNIT_OUTPUT_Lr") == 20
    assert analog(values, "UNIT_OUTPUT_I1") == 200
    assert values.device.location == "2"
    assert values.multi_state[o.UNIT_STATUS.instance] == v.OPERATING
    assert parallel(3).multi_state[o.UNIT_STATUS.instance] == v.STANDBY
    assert not values.unit_missing and not values.fault


def test_selected_unit_missing_leaves_unit_objects_in_fault() -> None:
    values = parallel(7)
    assert values.unit_missing
    assert analog(values, "UNIT_OUTPUT_Lr") == -1
    assert analog(values, "UPS_OUTPUT_Lr") == 60
    assert values.multi_state[o.UNIT_STATUS.instance] == o.UNIT_STATUS.default


# -- multi-state rules --------------------------------------------------------------------------


def test_device_status_follows_the_communication() -> None:
    system = state(JBUSP, ("S03",))
    assert v.compute(snapshot(system)).device_status == v.RUNNING
    lost = v.compute(snapshot(system, communication=CommunicationState.LOST))
    assert lost.device_status == v.NO_COM and lost.fault and not lost.update_values
    assert v.compute(snapshot(None, communication=CommunicationState.STARTING)).device_status == v.READY
    failed = snapshot(None, communication=CommunicationState.STARTING, last_error="timeout")
    assert v.compute(failed).device_status == v.NO_COM


@pytest.mark.parametrize(
    ("active", "expected"),
    [
        (("S03", "S05"), 2),  # on battery
        (("A08",), 1),  # maintenance bypass
        (("S04", "S07"), 5),  # eco mode
        (("S03",), 3),  # on inverter
        (("S04",), 6),  # on automatic bypass
        ((), 7),  # load off
    ],
)
def test_jbusp_load_status(active: tuple[str, ...], expected: int) -> None:
    assert v.load_status(state(JBUSP, active)) == expected


def test_vumap_line_interactive_is_state_8() -> None:
    assert v.load_status(state(VUMAP, ("S010",))) == 8


@pytest.mark.parametrize(
    ("active", "battery_present", "expected"),
    [
        ((), False, 1),
        (("A59",), True, 2),
        (("S16",), True, 3),
        (("S15", "S05"), True, 4),
        (("S05",), True, 5),
        (("A01",), True, 7),
        (("S10",), True, 8),
        (("S27",), True, 9),
        (("S17",), True, 10),
    ],
)
def test_battery_status(active: tuple[str, ...], battery_present: bool, expected: int) -> None:
    assert v.battery_status(state(JBUSP, active, battery_present=battery_present), battery_present) == expected


def alarm_row(acronym: str, level: Level = Level.WARNING) -> ActiveAlarm:
    return ActiveAlarm(acronym, acronym, acronym, level, NOW)


@pytest.mark.parametrize(
    ("active", "alarms", "expected"),
    [
        ((), (), 1),
        (("A52", "A23"), (alarm_row("A52", Level.CRITICAL),), 2),
        (("A23",), (alarm_row("A23"),), 3),
        (("A02",), (alarm_row("A02"),), 4),
    ],
)
def test_alarms_state(active: tuple[str, ...], alarms: tuple[ActiveAlarm, ...], expected: int) -> None:
    assert v.alarm_status(state(JBUSP, active, alarms=alarms)) == expected


def test_input_statuses() -> None:
    assert v.input_rectifier_status(state(JBUSP, ("S00",))) == 4
    assert v.input_rectifier_status(state(JBUSP, ())) == 1
    assert v.input_rectifier_status(state(JBUSP, ("S00", "A05"))) == 2
    assert v.input_rectifier_status(state(JBUSP, ("S46",))) == 3
    assert v.input_bypass_status(state(VUMAP, ("S056",))) == 4
    assert v.input_bypass_status(state(VUMAP, ("S056", "A050"))) == 2
    assert v.input_bypass_status(state(VUMAP, ())) == 1


def test_unit_status_of_a_map_without_operating_bit() -> None:
    assert v.unit_status(state(JBUSP, ("S03",))) == v.OPERATING
    assert v.unit_status(state(JBUSP, ())) == v.AVAILABLE  # load off
    assert v.unit_status(state(JBUSP, ("S48", "S03"))) == v.SERVICE_MODE
    assert v.unit_status(state(JBUSP, ("S08",))) == v.STANDBY


# -- bit strings --------------------------------------------------------------------------------


def test_unit_alarm_bits() -> None:
    bits = v.unit_alarm_bits(state(VUMAP, ("A000", "A019", "S000", "A054", "A059", "A061", "A064", "A067", "A038")))
    on = {index for index, bit in enumerate(bits) if bit}
    # imminent stop, on battery, charger, fan failure, UPS power off, internal failure, external inputs 1 and 4
    assert on == {0, 10, 15, 23, 25, 26, 27, 30}


def test_ups_alarm_bits_of_a_parallel_system() -> None:
    system = state(VUMAP, ("A001", "A005", "A006", "A015"))
    unit_states = (
        Unit(1, state(VUMAP, (), number=1)),
        Unit(2, state(VUMAP, ("A015",), number=2, alarms=(alarm_row("A015"),))),
    )
    snap = snapshot(system, VUMAP, TopologyKind.PARALLEL, unit_states)
    bits = v.ups_alarm_bits(snap, system)
    on = {index for index, bit in enumerate(bits) if bit}
    assert on == {1, 4, 5, 7, 9}  # overload, insufficient resources, redundancy lost, general, unit 2


def test_energy_saver_bit() -> None:
    system = state(VUMAP, ("S007", "S000", "S011"))
    assert v.ups_status_bits(snapshot(system, VUMAP), system)[0] == 1


def test_device_properties_come_from_the_identity() -> None:
    values = v.compute(snapshot(state(JBUSP, ("S03",))), 0)
    assert values.device.object_name == "MASTERYS 3/1 UPS"
    assert values.device.model_name == "20 kVA"
    assert values.device.description == "SN123"
    assert values.device.ups_time == datetime(2026, 5, 4, 15, 16, 17)


def test_load_status_reads_the_shared_output_status_and_output_source() -> None:
    """No second priority order: UPSLoadStatus is the output status every service shows
    (§12.1.7), ON BATTERY where the shared output source is the battery."""
    from dataclasses import replace

    from netvision.ups.status import OUTPUT_SOURCE_BATTERY, OUTPUT_SOURCE_NORMAL, OUTPUT_STATUS_ORDER

    expected = {"maintenance_bypass": 1, "load_on_inverter": 3, "normal_mode": 4, "eco_mode": 5,
                "load_on_bypass": 6, "line_interactive": 8, "standby": 7, "load_off": 7}  # fmt: skip
    base = state(JBUSP, ("S03",))
    for _condition, key in OUTPUT_STATUS_ORDER:
        derived = replace(base.derived, output_status=f"output_status.{key}", rfc1628_output_source=OUTPUT_SOURCE_NORMAL)
        assert v.load_status(replace(base, derived=derived)) == expected[key], key
        on_battery = replace(derived, rfc1628_output_source=OUTPUT_SOURCE_BATTERY)
        assert v.load_status(replace(base, derived=on_battery)) == v.LOAD_ON_BATTERY
    unknown = replace(base.derived, output_status="output_status.unknown", rfc1628_output_source=1)
    assert v.load_status(replace(base, derived=unknown)) == o.UPS_LOAD_STATUS.default
