"""Decoding of register words and the derived states, against the manual's tables."""

from datetime import UTC, datetime

import pytest

from netvision.ups import status
from netvision.ups.decode import (
    active_bits,
    decode_device,
    decode_identity,
    decode_measurements,
    decode_text,
    decode_topology,
    decode_ups_time,
)
from netvision.ups.expression import ExpressionError, compile_expression
from netvision.ups.maps import JBUSP, STS, VUMAP
from netvision.ups.maps.base import Level, TextField
from netvision.ups.model import TopologyKind
from tests.fakes import words_with

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def jbusp_state(statuses=(), alarms=(), measurements=None, previous=None, now=NOW):
    blocks = {
        "status": words_with(JBUSP, statuses, 4),
        "alarms": words_with(JBUSP, alarms, 4),
        "measurements": measurements or [0] * 48,
    }
    addresses = {"status": 0x1020, "alarms": 0x1040, "measurements": 0x1060}
    return decode_device(JBUSP, 0, blocks, addresses, {}, previous, now)


def vumap_state(statuses=(), alarms=()):
    blocks = {"status": words_with(VUMAP, statuses, 8), "alarms": words_with(VUMAP, alarms, 8)}
    return decode_device(VUMAP, 0, blocks, {"status": 0x30, "alarms": 0x38}, {}, None, NOW)


def test_expression_grammar_of_the_appendices():
    assert compile_expression("S04&!S07")({"S04"})
    assert not compile_expression("S04&!S07")({"S04", "S07"})
    assert compile_expression("A01 | A47")({"A47"})
    assert compile_expression("!S02 & !S03 & !S04")(set())
    assert compile_expression("(A019 & S000) | 0")({"A019", "S000"})
    assert not compile_expression("")({"S00"})
    with pytest.raises(ExpressionError):
        compile_expression("S04 &")
    with pytest.raises(ExpressionError):
        compile_expression("S04 + S05")


def test_s00_is_bit_0_of_the_first_word_and_s16_bit_0_of_the_second():
    assert active_bits(JBUSP.statuses, [0x0001, 0x0001, 0, 0]) >= {"S00", "S16"}
    assert active_bits(JBUSP.statuses, [0x0020, 0, 0, 0]) == {"S05"}


def test_0xffff_measurement_is_not_managed():
    words = [0] * 48
    words[22] = 0xFFFF  # M22 ambient temperature
    words[19] = 500  # M19 output frequency Hz*10
    values = decode_measurements(JBUSP, words)
    assert values["ambient_temperature"] is None
    assert values["output_frequency"] == 50.0


def test_signed_battery_current_is_twos_complement():
    words = [0] * 48
    words[24] = (-125) & 0xFFFF  # M24 battery current A*10, discharging
    assert decode_measurements(JBUSP, words)["battery_current"] == -12.5


def test_vumap_factor10_applies_only_when_t014_is_1():
    words = [0] * 80
    words[4] = 1005  # M004 output kVA
    words[13] = 500  # M013 output frequency ##.#
    assert decode_measurements(VUMAP, words, measure_factor=1)["output_kva"] == 100.5
    assert decode_measurements(VUMAP, words, measure_factor=0)["output_kva"] == 1005
    assert decode_measurements(VUMAP, words, measure_factor=1)["output_frequency"] == 50.0


def test_ascii_byte_orders():
    # JBUSP serial number: char 2 in the MSB, char 1 in the LSB.
    jbusp_words = [ord("B") << 8 | ord("A"), ord("D") << 8 | ord("C")]
    assert decode_text(TextField("x", 0, 2, low_byte_first=True), jbusp_words) == "ABCD"
    vumap_words = [ord("A") << 8 | ord("B"), ord("C") << 8]
    assert decode_text(TextField("x", 0, 2, low_byte_first=False), vumap_words) == "ABC"


def test_jbusp_identity_from_type_code_and_serial():
    identification = [87, 200, 1] + [ord("2") << 8 | ord("1")] * 5 + [0] * 4
    configuration = [230, 230, 50, 50, 123, 0, 0, 0, 650, 0, 0] + [0] * 5
    identity = decode_identity(JBUSP, {"identification": identification, "configuration": configuration})
    assert identity.model == "MASTERYS 3/1 UPS"
    assert identity.nominal_kva == 20.0
    assert identity.serial_number == "1212121212"
    assert identity.firmware == "1.23"
    assert (identity.input_phases, identity.output_phases) == (3, 1)
    assert identity.nominal_battery_capacity_ah == 65.0


def test_jbusp_parallel_topology_from_s30_and_unit_bits():
    identity = decode_identity(JBUSP, {"identification": [86] + [0] * 11, "configuration": [0] * 16})
    status_words = words_with(JBUSP, ["S30", "S32", "S33", "S34"], 4)
    topology = decode_topology(JBUSP, identity, {"status": status_words, "measurements": [0] * 48})
    assert topology.kind is TopologyKind.PARALLEL
    assert topology.units == (1, 2, 3)


def test_vumap_topology_from_t001_t003_and_t010():
    configuration = [0] * 15
    configuration[0] = 0x0601  # T001 parallel, distributed bypass
    configuration[2] = 0b1111 | 1 << 13  # T003 units 1-4 and the bypass module
    configuration[6] = 0x0303  # T007 3/3
    configuration[9] = 1  # T010 battery present
    identity = decode_identity(VUMAP, {"configuration": configuration})
    topology = decode_topology(VUMAP, identity, {})
    assert topology.kind is TopologyKind.PARALLEL
    assert topology.units == (1, 2, 3, 4)
    assert topology.bypass == "centralized"
    assert topology.battery_present
    configuration[0], configuration[9] = 0x0801, 0
    modular = decode_topology(VUMAP, decode_identity(VUMAP, {"configuration": configuration}), {})
    assert modular.kind is TopologyKind.MODULAR_UNIT and modular.modules == (1, 2, 3, 4)
    assert not modular.battery_present


def test_vumap_units_beyond_8_come_from_the_unit_synthesis_bits():
    configuration = [0] * 15
    configuration[0] = 0x0601
    configuration[2] = 0xFF  # T003 units 1-8
    identity = decode_identity(VUMAP, {"configuration": configuration})
    status_words = words_with(VUMAP, [f"S{95 + n:03d}" for n in range(1, 11)], 8)
    topology = decode_topology(VUMAP, identity, {"status": status_words})
    assert topology.units == tuple(range(1, 11))


def test_jbusp_ups_clock():
    words = [30 << 8 | 15, 21 << 8 | 22, 11 << 8, 26]
    assert decode_ups_time(words) == datetime(2026, 11, 21, 22, 30, 15)
    assert decode_ups_time([0xFFFF] * 4) is None
    assert decode_ups_time([0, 0, 0, 0]) is None


@pytest.mark.parametrize(
    "statuses, alarms, ups_status, output_status, source",
    [
        (["S00", "S01", "S02", "S03", "S17"], [], "load_on_inverter", "load_on_inverter", status.OUTPUT_SOURCE_NORMAL),
        (["S01", "S03", "S05"], [], "on_battery", "load_on_inverter", status.OUTPUT_SOURCE_BATTERY),
        (["S00", "S04", "S26"], [], "load_on_bypass", "load_on_bypass", status.OUTPUT_SOURCE_BYPASS),
        (["S00", "S04", "S07"], [], "eco_mode", "eco_mode", status.OUTPUT_SOURCE_BYPASS),
        (["S00"], [], "load_off", "load_off", status.OUTPUT_SOURCE_NONE),
        (["S00"], ["A08"], "maintenance_bypass", "maintenance_bypass", status.OUTPUT_SOURCE_BYPASS),
        (["S01", "S03", "S05"], ["A31"], "imminent_stop", "load_on_inverter", status.OUTPUT_SOURCE_BATTERY),
    ],
)
def test_jbusp_derived_ups_and_output_status(statuses, alarms, ups_status, output_status, source):
    derived = jbusp_state(statuses, alarms).derived
    assert derived.ups_status == f"ups_status.{ups_status}"
    assert derived.output_status == f"output_status.{output_status}"
    assert derived.rfc1628_output_source == source


@pytest.mark.parametrize(
    "statuses, alarms, battery_status, rfc",
    [
        (["S17"], [], "ok", status.BATTERY_NORMAL),
        (["S27"], [], "charging", status.BATTERY_NORMAL),
        (["S05"], [], "discharging", status.BATTERY_NORMAL),
        (["S05", "S15"], [], "low", status.BATTERY_LOW),
        (["S16"], [], "discharged", status.BATTERY_DEPLETED),
        ([], ["A59"], "disconnected", status.BATTERY_NORMAL),
        (["S10"], [], "test_running", status.BATTERY_NORMAL),
    ],
)
def test_jbusp_battery_status(statuses, alarms, battery_status, rfc):
    derived = jbusp_state(statuses, alarms).derived
    assert derived.battery_status == f"battery_status.{battery_status}"
    assert derived.rfc1628_battery_status == rfc


def test_vumap_on_battery_needs_a019_and_s000():
    assert vumap_state(["S000"], ["A019"]).derived.ups_status == "ups_status.on_battery"
    assert vumap_state([], ["A019"]).derived.rfc1628_output_source != status.OUTPUT_SOURCE_BATTERY


def test_well_known_alarms_follow_the_appendix_expressions():
    on_bypass = jbusp_state(["S04"]).derived
    assert 55 in on_bypass.well_known_alarms and 9 in on_bypass.rfc1628_alarms
    eco = jbusp_state(["S04", "S07"]).derived
    assert 55 not in eco.well_known_alarms and 9 not in eco.rfc1628_alarms
    on_battery = vumap_state(["S000"], ["A019"]).derived
    assert 2 in on_battery.rfc1628_alarms and 15 in on_battery.well_known_alarms


def test_trap_conditions_are_derived_beside_the_well_known_alarms():
    on_battery = jbusp_state(["S01", "S03", "S05"]).derived
    assert {1, 15} <= on_battery.traps  # upsTrapOnBattery, upsTrapOnBatteryPower: S05
    assert 18 not in on_battery.traps
    overload = vumap_state(["S000"], ["A001"]).derived
    assert 6 in overload.traps and overload.device_kind == "ups"
    # Which bits are behind each raised well-known alarm (TRAP 3/4 name the alarm row).
    assert overload.well_known_bits[2] == frozenset({"A001"})
    bypass = jbusp_state(["S04"]).derived
    assert bypass.rfc1628_bits[9] == frozenset({"S04", "S07"})


def test_sts_traps_are_numbered_in_the_sts_list_and_information_statuses_are_listed():
    words = words_with(STS, ["S000", "S016", "S018"], 4)
    derived = decode_device(STS, 0, {"status": words}, {"status": 0x140}, {}, None, NOW).derived
    assert derived.device_kind == "sts"
    assert 4 in derived.traps and 3 not in derived.traps  # stsTrapSwitchOnAlternateSource: S018
    logged = {status.acronym for status in derived.information_statuses}
    assert "S016" in logged and all(s.level is Level.INFORMATION for s in derived.information_statuses)


@pytest.mark.parametrize(
    ("statuses", "alarms", "out_of_tolerance"),
    [
        (["S00", "S01", "S02", "S03"], [], False),  # normal
        (["S01", "S03", "S05"], [], True),  # mains failure: on battery
        (["S00", "S01", "S02", "S03"], ["A05"], True),  # rectifier input out of tolerance (RFC1628 .6)
        (["S01", "S03", "S05", "S10"], [], False),  # battery test: the mains are good
    ],
)
def test_input_out_of_tolerance_is_the_input_bad_alarm_or_a_mains_failure(statuses, alarms, out_of_tolerance):
    assert jbusp_state(statuses, alarms).derived.input_out_of_tolerance is out_of_tolerance


def test_vumap_mains_failure_is_input_out_of_tolerance():
    assert vumap_state(["S000"], ["A019"]).derived.input_out_of_tolerance
    assert not vumap_state(["S000"], []).derived.input_out_of_tolerance


def test_alarm_table_keeps_the_time_an_alarm_appeared():
    first = jbusp_state(["S03"], ["A02"])
    later = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    second = jbusp_state(["S03", "S05"], ["A02", "A07"], previous=first, now=later)
    rows = {alarm.acronym: alarm for alarm in second.alarms}
    assert rows["A02"].since == NOW and rows["A02"].level is Level.WARNING
    assert rows["A07"].since == later
    # S05 "on battery" is a warning status: it is in the table; S03 (information) is not.
    assert "S05" in rows and "S03" not in rows
    assert [alarm.acronym for alarm in second.alarms][0] == "A02"


def test_unmanaged_alarm_bits_are_not_in_the_alarm_table():
    unmanaged = next(bit for bit in JBUSP.alarms if bit.level is None)
    state = jbusp_state([], [unmanaged.acronym])
    assert state.alarms == ()
    assert unmanaged.acronym in state.alarm_bits


def test_communication_lost_is_unknown_and_raises_rfc1628_alarm_20():
    derived = status.derive_lost()
    assert derived.ups_status == "ups_status.unknown"
    assert derived.battery_status == "battery_status.unknown"
    assert derived.rfc1628_alarms == frozenset({20})
    assert derived.well_known_alarms == frozenset({58})  # NET VISION MIB .58
    assert derived.traps == frozenset() and not derived.input_out_of_tolerance


def test_sts_status_from_preferred_and_alternate_source():
    def sts(acronyms):
        words = words_with(STS, acronyms, 4)
        return decode_device(STS, 0, {"status": words}, {"status": 0x140}, {}, None, NOW).derived

    preferred = STS.conditions["load_on_preferred_source"]
    alternate = STS.conditions["load_on_alternate_source"]
    assert sts([preferred]).ups_status == "ups_status.on_preferred_source"
    assert sts([alternate]).ups_status == "ups_status.on_alternate_source"


def test_vumap_nominal_power_follows_the_t014_factor():
    configuration = [0] * 15
    configuration[4] = 200  # T005 nominal kVA
    configuration[13] = 1  # T014: values × 10
    assert decode_identity(VUMAP, {"configuration": configuration}).nominal_kva == 20.0
    configuration[13] = 0
    assert decode_identity(VUMAP, {"configuration": configuration}).nominal_kva == 200


@pytest.mark.parametrize("register_map", [JBUSP, VUMAP, STS])
def test_fast_lane_and_clock_are_blocks_the_map_reads(register_map):
    assert register_map.fast_blocks and set(register_map.fast_blocks) <= set(register_map.cycle_blocks)
    if register_map.clock_block is not None:
        assert register_map.clock_block in register_map.slow_blocks
