"""The simulated UPS/STS: register encoding from the map data, layout, scenarios, controls."""

from __future__ import annotations

import math

import pytest

from netvision.sim.device import ModbusError, SimulatedDevice
from netvision.ups.expression import compile_expression
from netvision.ups.maps import JBUSP, STS, VUMAP
from netvision.ups.maps.base import NOT_MANAGED, RegisterMap, TextField, unit_address


def word_of(device: SimulatedDevice, block: str, offset: int, unit: int | None = None) -> int:
    return device.block_words(block, unit)[offset]


def expected_raw(value: float | None, scale: int, signed: bool = False) -> int:
    if value is None:
        return NOT_MANAGED
    raw = round(value * scale)
    if signed:
        return 0 if raw == -1 else raw & 0xFFFF
    return raw


def condition(device: SimulatedDevice, name: str, unit: int | None = None) -> bool:
    statuses, alarms = device.active_bits(unit)
    return compile_expression(device.map.conditions[name])(statuses | alarms)


def text_of(field: TextField, words: list[int]) -> str:
    data = bytearray()
    for word in words[field.offset : field.offset + field.words]:
        high, low = word >> 8, word & 0xFF
        data += bytes((low, high) if field.low_byte_first else (high, low))
    return data.decode("ascii").strip()


# -- encoding ----------------------------------------------------------------------------


@pytest.mark.parametrize("map_name", ["jbusp", "vumap", "sts"])
def test_every_measurement_word_is_the_physical_value_times_the_map_scale(map_name: str) -> None:
    device = SimulatedDevice(map_name, seed=3)
    register_map: RegisterMap = device.map
    values = device.measurements()
    words = device.block_words("measurements")
    factor = 10 if map_name == "vumap" else 1  # T014 = 1 by default
    for measurement in register_map.measurements:
        scale = measurement.scale * (factor if measurement.factor10 else 1)
        expected = expected_raw(values[measurement.key], scale, measurement.signed)
        assert words[measurement.offset] == expected, measurement.acronym


def test_jbusp_output_frequency_is_hz_times_10() -> None:
    device = SimulatedDevice("jbusp", seed=1)
    hertz = device.measurements()["output_frequency"]
    assert hertz is not None and 49.9 <= hertz <= 50.1
    assert word_of(device, "measurements", JBUSP.measurement("output_frequency").offset) in range(499, 502)


def test_vumap_factor10_columns_follow_t014() -> None:
    with_factor = SimulatedDevice("vumap", seed=2, measure_factor=1)
    without = SimulatedDevice("vumap", seed=2, measure_factor=0)
    kva = with_factor.measurements()["output_kva"]
    offset = VUMAP.measurement("output_kva").offset
    assert word_of(with_factor, "measurements", offset) == round(kva * 10)
    assert word_of(without, "measurements", offset) == round(kva)
    # Voltages are not a factor10 column.
    volts = VUMAP.measurement("output_voltage_l1").offset
    assert word_of(with_factor, "measurements", volts) == word_of(without, "measurements", volts)
    # T014 itself, and T005 nominal kVA ×10 when T014 = 1.
    assert word_of(with_factor, "configuration", 13) == 1
    assert word_of(without, "configuration", 13) == 0
    assert word_of(with_factor, "configuration", 4) == 200
    assert word_of(without, "configuration", 4) == 20


def test_unmanaged_measurements_read_0xffff() -> None:
    single = SimulatedDevice("vumap", topology="single_phase")
    for key in (
        "output_voltage_l2",
        "output_voltage_l3",
        "output_current_l3",
        "input_voltage_u12",
        "dc_storage_voltage",
    ):
        assert word_of(single, "measurements", VUMAP.measurement(key).offset) == NOT_MANAGED, key
    assert word_of(single, "measurements", VUMAP.measurement("output_voltage_l1").offset) != NOT_MANAGED
    # Words the manual leaves unnamed (M020, M021) are not managed either.
    assert word_of(single, "measurements", 20) == NOT_MANAGED


@pytest.mark.parametrize(
    ("model", "not_managed"),
    [
        ("DELPHYS MX SINGLE UNIT", {"M12", "M13", "M14", "M21", "M43"}),
        ("DELPHYS MP SINGLE UNIT", {"M12", "M13", "M14", "M21", "M43"}),
        ("DELPHYS BC", {"M12", "M13", "M14", "M21", "M36", "M43"}),
        ("MASTERYS 3/3 UPS", set()),
        ("NETYS", {"M05", "M12", "M21", "M24", "M36", "M37", "M40", "M43"}),
    ],
)
def test_jbusp_measurements_a_range_does_not_manage_read_0xffff(model: str, not_managed: set[str]) -> None:
    # App. JBUSP "List of measurements managed by UPS": -1 in the range's column.
    device = SimulatedDevice("jbusp", model=model)
    words = device.read(0x1060, 48)
    named = {m.acronym: m for m in JBUSP.measurements}
    for acronym, measurement in named.items():
        if acronym in not_managed:
            assert words[measurement.offset] == NOT_MANAGED, acronym
            assert device.measurements()[measurement.key] is None, acronym
    for acronym in ("M00", "M03", "M04", "M09", "M15", "M19", "M20", "M22", "M23", "M33"):
        assert words[named[acronym].offset] != NOT_MANAGED, (model, acronym)
    if not not_managed:
        assert all(words[m.offset] != NOT_MANAGED for m in named.values()), model


def test_jbusp_configuration_table_is_32_words_and_any_part_of_it_reads() -> None:
    # App. JBUSP "List of UPS configurations": 0x10E0 T00 … 0x10FF T31.
    device = SimulatedDevice("jbusp")
    table = device.read(0x10E0, 32)
    assert table[:5] == [230, 230, 50, 50, 100]  # T00–T04
    assert table[8] == device.read(0x10E8, 1)[0] > 0  # T08 battery Ah×10
    assert device.read(0x10F0, 16) == table[16:] == [0] * 16  # T16–T31 not used
    assert device.read(0x10FF, 1) == [0]
    assert device.read(0x10E2, 7) == table[2:9]
    with pytest.raises(ModbusError) as error:
        device.read(0x10FF, 2)  # past T31
    assert error.value.code == 0x02


def test_jbusp_status_and_alarm_tables_run_to_the_next_table() -> None:
    # NUT's socomec_jbus reads 6 status words at 0x1020 where the manual names 4.
    device = SimulatedDevice("jbusp")
    device.scenario("mains_failure")
    words = device.read(0x1020, 6)
    assert words[:4] == device.block_words("status") and words[4:] == [0, 0]
    assert device.read(0x1020, 0x60)[0x20:0x24] == device.block_words("alarms")
    assert device.read(0x1044, 0x1C) == [0] * 0x1C
    # Elsewhere a hole is still a hole (the map detection relies on it).
    for address in (0x100C, 0x1090, 0x0020, 0x1100, 0x2020):
        with pytest.raises(ModbusError) as error:
            device.read(address, 1)
        assert error.value.code == 0x02


def test_single_phase_vumap_reports_t007_0x0101() -> None:
    assert word_of(SimulatedDevice("vumap", topology="single_phase"), "configuration", 6) == 0x0101
    assert word_of(SimulatedDevice("vumap", topology="three_phase"), "configuration", 6) == 0x0303


def test_single_phase_jbusp_has_a_1_1_type_code_and_phases_2_3_not_managed() -> None:
    device = SimulatedDevice("jbusp", topology="single_phase")
    code = word_of(device, "identification", 0)
    assert "1/1" in (JBUSP.range_name(code) or "")
    for key in (
        "output_voltage_l2",
        "output_voltage_l3",
        "load_rate_l2",
        "input_voltage_l3",
        "bypass_voltage_l2",
    ):
        assert word_of(device, "measurements", JBUSP.measurement(key).offset) == NOT_MANAGED, key


def test_converter_has_no_battery() -> None:
    device = SimulatedDevice("vumap", topology="converter")
    for key in ("battery_capacity", "battery_voltage", "remaining_backup_time"):
        assert word_of(device, "measurements", VUMAP.measurement(key).offset) == NOT_MANAGED
    assert word_of(device, "configuration", 9) & 1 == 0  # T010 b00 battery present
    assert word_of(SimulatedDevice("vumap"), "configuration", 9) & 1 == 1


def test_battery_current_is_signed_and_negative_on_discharge() -> None:
    device = SimulatedDevice("jbusp", seed=5)
    device.scenario("mains_failure")
    current = device.measurements()["battery_current"]
    assert current is not None and current < 0
    raw = word_of(device, "measurements", JBUSP.measurement("battery_current").offset)
    assert raw & 0x8000 and raw != NOT_MANAGED
    assert raw - 0x10000 == round(current * 10)


def test_ascii_fields_follow_each_maps_byte_order() -> None:
    jbusp = SimulatedDevice("jbusp", seed=42)
    serial = jbusp.nodes[1].serial
    words = jbusp.block_words("identification")
    assert JBUSP.serial_number is not None and JBUSP.serial_number.low_byte_first
    # "char 2 / char 1": the first character is the low byte of 0x1003.
    assert words[3] & 0xFF == ord(serial[0]) and words[3] >> 8 == ord(serial[1])
    assert text_of(JBUSP.serial_number, words) == serial

    vumap = SimulatedDevice("vumap", seed=42)
    serial_words = vumap.block_words("serial_number")
    assert serial_words[0] >> 8 == ord(vumap.nodes[0].serial[0])  # MSB = first character
    assert VUMAP.reference is not None
    assert text_of(VUMAP.reference, vumap.block_words("reference")) == "MASTERYS GP4"

    sts = SimulatedDevice("sts")
    assert STS.reference is not None
    assert text_of(STS.reference, sts.block_words("reference")) == "STATYS"


def test_default_models_per_map() -> None:
    assert word_of(SimulatedDevice("jbusp"), "identification", 0) == 87
    assert word_of(SimulatedDevice("vumap"), "configuration", 14) == 0x8300
    assert SimulatedDevice("sts").model_name == "STATYS"
    assert SimulatedDevice("jbusp", model="MASTERYS 3/3 UPS").model_code == 257
    assert SimulatedDevice("vumap", model="0x8200").model_name == "MASTERYS BC+"
    with pytest.raises(ValueError):
        SimulatedDevice("jbusp", model="NO SUCH UPS")


def test_jbusp_date_time_block_encoding() -> None:
    from datetime import datetime

    from netvision.ups.decode import decode_ups_time

    device = SimulatedDevice("jbusp", start_time=datetime(2024, 3, 9, 17, 45, 12))
    assert device.block_words("date_time") == [45 << 8 | 12, 9 << 8 | 17, 3 << 8, 24]
    device.tick(50)
    assert device.block_words("date_time")[0] == 46 << 8 | 2
    assert decode_ups_time(device.block_words("date_time")) == datetime(2024, 3, 9, 17, 46, 2)


def test_same_seed_gives_the_same_registers() -> None:
    first = SimulatedDevice("vumap", topology="parallel", units=3, seed=9)
    second = SimulatedDevice("vumap", topology="parallel", units=3, seed=9)
    first.tick(30)
    second.tick(30)
    assert first.registers() == second.registers()


# -- layout -----------------------------------------------------------------------------


def test_single_jbusp_tables_are_at_the_manual_addresses() -> None:
    device = SimulatedDevice("jbusp")
    starts = {(name, start) for start, _count, name, _node in device.addresses()}
    for block in JBUSP.blocks:
        assert (block.name, block.address) in starts
    assert device.read(0x1060, 48)
    with pytest.raises(ModbusError) as error:
        device.read(0x0060, 1)  # no system level for a single UPS
    assert error.value.code == 0x02


def test_jbusp_parallel_system_and_units_addresses() -> None:
    device = SimulatedDevice("jbusp", topology="parallel", units=3, nominal_kva=20)
    system_id = device.read(0x0000, 12)
    assert system_id[0] == 86  # MASTERYS 3/1 SYSTEM
    assert system_id[1] == 600  # 3 × 20 kVA, ×10
    for unit in (1, 2, 3):
        identification = device.read(unit_address(0x1000, unit), 12)
        assert identification[0] == 87
        assert identification[1] == 200
        assert identification[2] == unit
        assert device.read(unit_address(0x1360, unit), 4)[3] >= 24  # year − 2000
        assert device.read(unit_address(0x15C1, unit), 1) == [1]
    # S30 and S32..S34 in every unit's and the system's status.
    for unit in (0, 1, 2, 3):
        statuses = device.read(unit_address(0x1020, unit), 4)
        assert statuses[1] >> (30 - 16) & 1
        assert statuses[2] & 0b111 == 0b111 and not statuses[2] & 0b1000
    # The enabled-controls table exists once; the system has no clock block.
    assert device.read(0x05C0, 2)
    for missing in (0x15C0, 0x0360, 0x4000):
        with pytest.raises(ModbusError):
            device.read(missing, 1)


def test_jbusp_unit_general_alarm_shows_at_system_level() -> None:
    device = SimulatedDevice("jbusp", topology="parallel", units=3)
    device.alarm("A07", True, unit=2)
    _, system_alarms = device.active_bits()
    _, unit_alarms = device.active_bits(2)
    assert {"A07", "A00"} <= unit_alarms
    assert "A33" in system_alarms  # unit 2 general alarm
    assert "A07" not in system_alarms
    assert "A00" not in device.active_bits(1)[1]


def test_vumap_parallel_configuration_and_synthesis_bits() -> None:
    device = SimulatedDevice("vumap", topology="parallel", units=4, nominal_kva=30)
    config = device.read(0x0001, 15)
    assert config[0] == 0x0601
    assert config[1] == 4
    assert config[2] == 0b1111
    assert config[3] == 0
    assert config[4] == 4 * 30 * 10
    for unit in range(1, 5):
        unit_config = device.read(unit_address(0x0001, unit), 15)
        assert unit_config[0] == 0x0101
        assert unit_config[3] == unit
        assert unit_config[4] == 300
        assert device.read(unit_address(0x0040, unit), 80)
    statuses, _ = device.active_bits()
    assert {"S096", "S097", "S098", "S099", "S112", "S113", "S114", "S115"} <= statuses
    assert "S100" not in statuses
    assert condition(device, "parallel_system")
    assert not condition(SimulatedDevice("vumap"), "parallel_system")
    # User reference/location and permissions exist at system level only.
    with pytest.raises(ModbusError):
        device.read(unit_address(0x0024, 1), 6)
    with pytest.raises(ModbusError):
        device.read(unit_address(0x00C9, 1), 2)


def test_vumap_centralized_bypass_sets_t003_b13() -> None:
    device = SimulatedDevice("vumap", topology="parallel", units=2, bypass="centralized")
    assert device.read(0x0003, 1)[0] == 0b11 | 1 << 13


def test_vumap_unit_alarms_feed_the_system_synthesis() -> None:
    device = SimulatedDevice("vumap", topology="parallel", units=3)
    device.alarm("A000", True, unit=3)
    _, alarms = device.active_bits()
    assert {"A098", "A114"} <= alarms  # unit 3 general alarm, unit 3 imminent stop
    assert "A000" not in alarms


def test_vumap_modular_unit_layout() -> None:
    device = SimulatedDevice("vumap", topology="modular", modules=3, nominal_kva=75)
    config = device.read(0x0001, 15)
    assert config[0] == 0x0801
    assert config[1] == 3
    assert config[2] == 0b111
    assert config[14] == 0x8100  # MODULYS GP 2.0
    for module in (1, 2, 3):
        module_config = device.read(unit_address(0x0001, module), 15)
        assert module_config[3] == module
        assert module_config[4] == 250
    assert not condition(device, "parallel_system")


def test_jbusp_modular_reports_a_modulys_and_its_module_count() -> None:
    device = SimulatedDevice("jbusp", topology="modular", modules=5)
    identification = device.block_words("identification")
    assert "MODULYS" in (JBUSP.range_name(identification[0]) or "")
    assert identification[2] == 5


def test_parallel_measurements_are_aggregated_at_system_level() -> None:
    device = SimulatedDevice("vumap", topology="parallel", units=3, nominal_kva=20, seed=4)
    device.tick(5)
    units = [device.measurements(unit) for unit in (1, 2, 3)]
    system = device.measurements()
    assert system["output_kva"] == pytest.approx(sum(unit["output_kva"] for unit in units))
    assert system["load_rate"] == pytest.approx(system["output_kva"] / 60 * 100)
    assert system["output_voltage_l1"] == pytest.approx(sum(unit["output_voltage_l1"] for unit in units) / 3)


def test_reading_across_tables_and_holes() -> None:
    device = SimulatedDevice("vumap")
    assert len(device.read(0x0030, 96)) == 96  # status, alarms, measurements in one read
    with pytest.raises(ModbusError) as error:
        device.read(0x0086, 16)  # from the measurements into the hole at 0x0090
    assert error.value.code == 0x02
    with pytest.raises(ModbusError):
        device.read(0x0000, 1)


# -- physics -----------------------------------------------------------------------------


def test_measurements_are_consistent() -> None:
    device = SimulatedDevice("vumap", seed=11, nominal_kva=30)
    values = device.measurements()
    for phase in ("l1", "l2", "l3"):
        assert values[f"output_kva_{phase}"] == pytest.approx(
            values[f"output_voltage_{phase}"] * values[f"output_current_{phase}"] / 1000
        )
        assert 227.7 <= values[f"output_voltage_{phase}"] <= 232.3
    assert values["load_rate"] == pytest.approx(values["output_kva"] / 30 * 100)
    assert 49.95 <= values["output_frequency"] <= 50.05
    assert values["battery_capacity"] == 100


def test_battery_discharges_on_mains_failure_and_recharges_after() -> None:
    device = SimulatedDevice("vumap", seed=1, discharge_speed=10)
    device.scenario("mains_failure")
    before = device.measurements()
    device.tick(30)
    after = device.measurements()
    assert after["battery_capacity"] < before["battery_capacity"]
    assert after["remaining_backup_time"] < before["remaining_backup_time"]
    assert after["time_on_battery"] == pytest.approx(30)
    assert after["battery_current"] < 0
    assert after["input_voltage_l1"] == 0

    device.scenario("mains_restored")
    device.tick(60)
    charging = device.measurements()
    assert charging["time_on_battery"] == 0
    assert charging["battery_current"] > 0
    assert charging["battery_capacity"] > after["battery_capacity"]
    assert condition(device, "battery_charging")


def test_discharge_to_empty_ends_with_load_off() -> None:
    device = SimulatedDevice("jbusp", discharge_speed=100)
    device.scenario("mains_failure")
    device.tick(600)
    assert device.measurements()["battery_capacity"] == 0
    assert condition(device, "load_off")
    assert condition(device, "battery_discharged")


def test_load_drifts_slowly() -> None:
    device = SimulatedDevice("jbusp", seed=7)
    loads = []
    for _ in range(20):
        device.tick(1)
        loads.append(device.measurements()["load_rate"])
    assert len(set(loads)) > 1
    assert all(35 <= load <= 55 for load in loads)
    assert max(abs(a - b) for a, b in zip(loads, loads[1:], strict=False)) < 5


# -- scenarios ------------------------------------------------------------------------------

UPS_SCENARIO_BITS = {
    # scenario: (JBUSP bits set, JBUSP bits clear, VU-MAP bits set, VU-MAP bits clear, condition)
    "mains_failure": ({"S05"}, {"S00"}, {"A019", "S000"}, {"S048"}, "on_battery"),
    "battery_low": ({"S05", "S15"}, set(), {"A019", "A018"}, set(), "battery_low"),
    "imminent_stop": ({"A31"}, set(), {"A000"}, set(), "imminent_stop"),
    "overload": ({"A02"}, set(), {"A001"}, set(), "overload"),
    "bypass": ({"S04"}, {"S03", "S07"}, {"S002"}, {"S000", "S006"}, "load_on_automatic_bypass"),
    "eco_mode": ({"S07", "S04"}, {"S03"}, {"S006", "S002"}, {"S000"}, "eco_mode"),
    "maintenance_bypass": ({"A08"}, {"S03", "S04"}, {"S003"}, {"S000"}, "load_on_maintenance_bypass"),
    "load_off": (set(), {"S03", "S04", "S01"}, {"S004"}, {"S000"}, "load_off"),
}


@pytest.mark.parametrize("scenario", sorted(UPS_SCENARIO_BITS))
@pytest.mark.parametrize("map_name", ["jbusp", "vumap"])
def test_ups_scenario_bits(map_name: str, scenario: str) -> None:
    jbusp_on, jbusp_off, vumap_on, vumap_off, condition_name = UPS_SCENARIO_BITS[scenario]
    device = SimulatedDevice(map_name)
    device.scenario(scenario)
    statuses, alarms = device.active_bits()
    active = statuses | alarms
    on, off = (jbusp_on, jbusp_off) if map_name == "jbusp" else (vumap_on, vumap_off)
    assert on <= active
    assert not off & active
    assert condition(device, condition_name)
    device.scenario("normal")
    assert not condition(device, condition_name)
    assert condition(device, "load_on_inverter")


@pytest.mark.parametrize(
    ("map_name", "general", "rectifier", "bypass"),
    [("jbusp", "A00", "A05", "A06"), ("vumap", "A015", "A035", "A050")],
)
def test_mains_failure_raises_the_supply_alarms_one_to_one(
    map_name: str, general: str, rectifier: str, bypass: str
) -> None:
    # MIB upsWellKnownAlarms .11 GeneralFault, .22 ReInputBad, .30 ByInputBad: A00/A05/A06
    # in the JBUSP column, A015/A035/A050 in the VU-MAP one.
    device = SimulatedDevice(map_name)
    assert not {general, rectifier, bypass} & device.active_bits()[1]
    device.scenario("mains_failure")
    assert {general, rectifier, bypass} <= device.active_bits()[1]
    device.scenario("mains_restored")
    assert not {general, rectifier, bypass} & device.active_bits()[1]
    device.scenario("bypass")
    assert not {rectifier, bypass} & device.active_bits()[1]


def test_vumap_on_battery_raises_the_general_alarm() -> None:
    device = SimulatedDevice("vumap")
    device.scenario("mains_failure")
    assert condition(device, "general_alarm")


def test_overload_scenario_loads_over_100_percent() -> None:
    device = SimulatedDevice("jbusp")
    device.scenario("overload")
    assert device.measurements()["load_rate"] > 100


@pytest.mark.parametrize("map_name", ["jbusp", "vumap"])
def test_battery_test_runs_then_passes_or_fails(map_name: str) -> None:
    device = SimulatedDevice(map_name, battery_test_seconds=5)
    device.scenario("battery_test", result="fail")
    assert condition(device, "battery_test_in_progress")
    assert not condition(device, "on_battery")
    device.tick(6)
    assert not condition(device, "battery_test_in_progress")
    assert condition(device, "battery_test_failed")
    failed = "S14" if map_name == "jbusp" else "A022"
    assert failed in device.active_bits()[0] | device.active_bits()[1]

    device.scenario("battery_test", result="pass")
    device.tick(6)
    assert not condition(device, "battery_test_failed")


def test_mains_restored_returns_to_normal_and_charges() -> None:
    device = SimulatedDevice("jbusp")
    device.scenario("battery_low")
    device.scenario("mains_restored")
    assert not condition(device, "on_battery")
    assert not condition(device, "battery_low")
    assert condition(device, "load_on_inverter")
    assert condition(device, "battery_charging")


def test_forced_alarm_and_status_bits() -> None:
    device = SimulatedDevice("jbusp")
    device.alarm("A07", True)
    device.status("S46", True)
    statuses, alarms = device.active_bits()
    assert "A07" in alarms and "A00" in alarms and "S46" in statuses
    device.alarm("A07", False)
    assert "A00" not in device.active_bits()[1]
    # A bit the physics sets can be masked too.
    device.status("S17", False)
    assert "S17" not in device.active_bits()[0]
    with pytest.raises(ValueError):
        device.alarm("S05", True)
    with pytest.raises(ValueError):
        device.scenario("earthquake")


STS_SCENARIO_CONDITIONS = {
    "normal": ({"load_on_preferred_source", "source1_ok", "source2_ok", "load_on_source1"}, {"load_off"}),
    "source1_failure": (
        {"load_on_alternate_source", "load_on_source2"},
        {"source1_ok", "load_on_preferred_source"},
    ),
    "load_off": ({"load_off"}, {"output_ok"}),
    "overload": ({"overload", "general_alarm"}, set()),
    "imminent_stop": ({"imminent_stop"}, set()),
}


@pytest.mark.parametrize("scenario", sorted(STS_SCENARIO_CONDITIONS))
def test_sts_scenarios(scenario: str) -> None:
    true, false = STS_SCENARIO_CONDITIONS[scenario]
    device = SimulatedDevice("sts")
    device.scenario(scenario)
    for name in true:
        assert condition(device, name), name
    for name in false:
        assert not condition(device, name), name


def test_sts_source_restored_returns_to_the_preferred_source() -> None:
    device = SimulatedDevice("sts")
    device.scenario("source1_failure")
    assert device.measurements()["source1_voltage_l1"] == 0
    assert "A009" in device.active_bits()[1]  # power path 1 failed
    device.scenario("source_restored")
    assert condition(device, "load_on_preferred_source")
    assert device.measurements()["source1_voltage_l1"] > 220


# -- controls and permissions ----------------------------------------------------------------


def test_jbusp_eco_mode_control_when_permitted() -> None:
    device = SimulatedDevice("jbusp")
    assert device.read(0x05C0, 1)[0] == 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 10 | 1 << 11
    device.write(0x05B0, [0x0003])
    assert condition(device, "eco_mode")
    device.write(0x05B0, [0x0004])
    assert not condition(device, "eco_mode")
    assert condition(device, "load_on_inverter")
    device.write(0x05B0, [0x000A])
    assert condition(device, "load_on_automatic_bypass")
    device.write(0x05B0, [0x000B])
    assert condition(device, "load_on_inverter")


def test_refused_control_changes_nothing_and_answers_0x04() -> None:
    device = SimulatedDevice("jbusp")
    device.permissions("eco_mode_on", False)
    assert not device.read(0x05C0, 1)[0] >> 3 & 1
    before = device.registers()
    with pytest.raises(ModbusError) as error:
        device.write(0x05B0, [0x0003])
    assert error.value.code == 0x04
    assert device.registers() == before
    device.permissions("eco_mode_on", True)
    device.write(0x05B0, [0x0003])
    assert condition(device, "eco_mode")


def test_jbusp_remote_controls_disabled_sets_s06() -> None:
    device = SimulatedDevice("jbusp")
    device.permissions("remote", False)
    assert "S06" in device.active_bits()[0]
    assert not condition(device, "remote_controls_permitted")
    with pytest.raises(ModbusError):
        device.write(0x05B0, [0x000A])


def test_jbusp_battery_test_is_per_unit() -> None:
    device = SimulatedDevice("jbusp", topology="parallel", units=2)
    device.write(unit_address(0x15B0, 2), [0x0010])
    assert device.control_log == [("battery_test", 2)]
    assert condition(device, "battery_test_in_progress")
    device.permissions("battery_test", False)
    assert device.read(0x25C1, 1) == [0]


def test_vumap_command_bits_and_p000() -> None:
    device = SimulatedDevice("vumap")
    permissions = device.read(0x00C9, 2)
    assert permissions[0] & 1  # P000 remote control permitted
    assert permissions[1] == 1 << 0 | 1 << 1 | 1 << 12 | 1 << 15
    device.write(0x00C8, [1 << 0])  # C016 eco mode on
    assert condition(device, "eco_mode")
    device.write(0x00C8, [1 << 1])  # C017 eco mode off
    assert not condition(device, "eco_mode")

    device.permissions("remote", False)
    assert not device.read(0x00C9, 1)[0] & 1
    with pytest.raises(ModbusError) as error:
        device.write(0x00C8, [1 << 0])
    assert error.value.code == 0x04
    assert not condition(device, "eco_mode")


def test_vumap_alarm_acknowledgement_clears_latched_alarms() -> None:
    device = SimulatedDevice("vumap")
    device.alarm("A054", True)  # fan failure
    device.scenario("battery_test", result="fail")
    device.tick(10)
    assert {"A054", "A022", "A015"} <= device.active_bits()[1]
    assert "S031" in device.active_bits()[0]  # alarm acknowledgement requested
    device.write(0x00C8, [1 << 15])  # C031 reset alarm
    statuses, alarms = device.active_bits()
    assert not alarms
    assert "S031" not in statuses


def test_vumap_battery_test_control_starts_a_test() -> None:
    device = SimulatedDevice("vumap")
    device.write(0x00C8, [1 << 12])
    assert condition(device, "battery_test_in_progress")


def test_writes_outside_control_registers_are_illegal_addresses() -> None:
    device = SimulatedDevice("vumap")
    for address in (0x0030, 0x0040, 0x00C9, 0x1000):
        with pytest.raises(ModbusError) as error:
            device.write(address, [1])
        assert error.value.code == 0x02
    with pytest.raises(ModbusError) as error:
        device.write(0x00C8, [1 << 5])  # C021: not a documented command
    assert error.value.code == 0x03


def test_permissions_all_off_and_unknown_control() -> None:
    device = SimulatedDevice("jbusp")
    device.permissions("all", False)
    assert device.read(0x05C0, 2) == [0, 0]
    assert device.read(0x15C1, 1) == [0]
    with pytest.raises(ValueError):
        device.permissions("launch_rocket", True)


def test_impossible_transfer_is_refused() -> None:
    device = SimulatedDevice("jbusp")
    device.scenario("mains_failure")
    with pytest.raises(ModbusError) as error:
        device.write(0x05B0, [0x000A])
    assert error.value.code == 0x04
    assert condition(device, "on_battery")


def test_state_summary_is_json_ready() -> None:
    import json

    device = SimulatedDevice("jbusp", topology="parallel", units=2)
    device.scenario("mains_failure")
    state = json.loads(json.dumps(device.state()))
    assert state["scenario"] == "mains_failure"
    assert set(state["devices"]) == {"0", "1", "2"}
    assert "S05" in state["devices"]["0"]["statuses"]
    assert math.isfinite(state["devices"]["1"]["measurements"]["battery_capacity"])


# -- serial timing -------------------------------------------------------------------------------


def test_wire_time_counts_ten_bits_per_byte_and_two_frame_gaps() -> None:
    from netvision.sim.rtu import wire_seconds

    # 8-byte request, 3.5-character gap, 101-byte reply (48 words), gap: 116 characters.
    assert wire_seconds(8, 101, 9600) == pytest.approx(116 * 10 / 9600)
    assert wire_seconds(8, 8, 57600) == pytest.approx(23 * 10 / 57600)


def test_on_bypass_the_bypass_input_carries_the_load() -> None:
    device = SimulatedDevice("vumap", seed=8)
    assert device.measurements()["bypass_current_l1"] == 0
    device.scenario("bypass")
    values = device.measurements()
    assert values["bypass_current_l1"] == pytest.approx(values["output_current_l1"])
    assert values["bypass_current_l1"] > 0


@pytest.mark.parametrize("map_name", ["jbusp", "sts"])
def test_back_to_normal_takes_the_load_it_is_given(map_name: str) -> None:
    device = SimulatedDevice(map_name=map_name, seed=1)
    device.scenario("overload")
    device.scenario("normal", load=0.3)
    power = device.sts if map_name == "sts" else device.ups
    assert power.load == power.load_target == 0.3
