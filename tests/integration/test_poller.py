"""The poller against the simulator over a real pseudo-terminal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from netvision.ups.maps import MAPS_BY_NAME
from netvision.ups.model import CommunicationState, Snapshot, TopologyKind
from netvision.ups.poller import Poller, PollerConfig
from tests.conftest import wait_for

FAST = {"polling_rate": 0.1, "reconnect_delay": 0.05, "failed_cycles_before_lost": 2}


@pytest.fixture
async def make_poller() -> AsyncIterator[Callable[..., Awaitable[Poller]]]:
    tasks: list[tuple[Poller, asyncio.Task[None]]] = []

    async def make(simulator: Any, **options: Any) -> Poller:
        poller = Poller(PollerConfig(device=simulator.device_path, **{**FAST, **options}))
        task = asyncio.create_task(poller.run())
        tasks.append((poller, task))
        await wait_for(lambda: poller.snapshot.communicating, timeout=30)
        return poller

    yield make
    for poller, task in tasks:
        poller.stop()
        await asyncio.wait_for(task, 10)


async def snapshot_after(poller: Poller, predicate: Callable[[Snapshot], bool], timeout: float = 20) -> Snapshot:
    return await wait_for(lambda: poller.snapshot if predicate(poller.snapshot) else None, timeout)


async def fresh_snapshot(poller: Poller, cycles: int = 2) -> Snapshot:
    """A snapshot whose reads all started after the caller's last change."""
    target = poller.snapshot.communication.statistics.cycles + cycles
    return await snapshot_after(poller, lambda s: s.communication.statistics.cycles >= target)


def simulator_words(simulator: Any, unit: int, address: int, count: int) -> list[int]:
    registers = simulator.device.registers(unit)
    return [registers[address + offset] for offset in range(count)]


@pytest.mark.parametrize(
    "map_name, topology, options, kind",
    [
        ("jbusp", "three_phase", {}, TopologyKind.SINGLE),
        ("jbusp", "single_phase", {}, TopologyKind.SINGLE),
        ("jbusp", "parallel", {"units": 4}, TopologyKind.PARALLEL),
        ("vumap", "three_phase", {}, TopologyKind.SINGLE),
        ("vumap", "single_phase", {}, TopologyKind.SINGLE),
        ("vumap", "parallel", {"units": 3}, TopologyKind.PARALLEL),
        ("vumap", "modular", {"modules": 4}, TopologyKind.MODULAR_UNIT),
        ("vumap", "converter", {}, TopologyKind.SINGLE),
        ("sts", "three_phase", {}, TopologyKind.STS),
    ],
)
async def test_detects_map_and_decodes_every_table(make_simulator, make_poller, map_name, topology, options, kind):
    # time_scale=0: measurements hold still, so the words read can be compared with the simulator's.
    simulator = await make_simulator(map_name=map_name, topology=topology, time_scale=0, **options)
    poller = await make_poller(simulator)
    snapshot = await fresh_snapshot(poller, 1)
    register_map = MAPS_BY_NAME[map_name]

    assert snapshot.communication.map_name == map_name
    assert snapshot.communication.baud_rate == 9600
    assert snapshot.topology is not None and snapshot.topology.kind is kind
    assert snapshot.identity is not None and snapshot.identity.model
    if map_name != "sts":
        assert snapshot.identity.serial_number
    if topology == "parallel":
        assert [unit.number for unit in snapshot.units] == list(range(1, options["units"] + 1))
    if topology == "modular":
        assert [module.number for module in snapshot.modules] == list(range(1, options["modules"] + 1))
    if topology == "converter":
        assert not snapshot.topology.battery_present
        assert snapshot.system is not None and snapshot.system.derived.battery_status == "battery_status.disconnected"

    # Every block the poller read holds the simulator's words at the same addresses.
    devices = [snapshot.system, *(unit.state for unit in snapshot.units), *(module.state for module in snapshot.modules)]
    for device in devices:
        assert device is not None
        assert {block.name for block in device.registers} == set(register_map.cycle_blocks)
        for block in device.registers:
            unit = block.address >> 12
            assert list(block.words) == simulator_words(simulator, unit, block.address, len(block.words)), block.name

    # Bits and physical values decode to what the simulator encoded, at the map's scales.
    numbered = [(None, snapshot.system), *((u.number, u.state) for u in snapshot.units)]
    numbered += [(m.number, m.state) for m in snapshot.modules]
    measure_factor = int(snapshot.identity.configuration.get("measure_factor") or 0)
    for number, device in numbered:
        statuses, alarm_bits = simulator.device.active_bits(number)
        assert device.statuses == statuses and device.alarm_bits == alarm_bits
        for key, expected in simulator.device.measurements(number).items():
            decoded = device.measurements[key]
            if expected is None:
                assert decoded is None, key
                continue
            entry = register_map.measurement(key)
            scale = entry.scale * (10 if entry.factor10 and measure_factor == 1 else 1)
            assert decoded is not None and abs(decoded - expected) <= 1 / scale + 1e-9, (key, decoded, expected)

    system = snapshot.system
    assert system is not None
    measurements = system.measurements
    if map_name == "sts":
        assert system.derived.ups_status == "ups_status.on_preferred_source"
        assert 49 < measurements["output_frequency"] < 51
        return
    assert system.derived.ups_status == "ups_status.load_on_inverter"
    assert 49 < measurements["output_frequency"] < 51
    assert 200 < measurements["output_voltage_l1"] < 260
    if snapshot.topology.output_phases == 1:
        assert measurements["output_voltage_l2"] is None
    else:
        assert 200 < measurements["output_voltage_l3"] < 260
    assert (topology == "single_phase") == (snapshot.topology.input_phases == 1)
    assert system.alarms == ()


async def test_finds_the_baud_rate_when_the_configured_one_is_wrong(make_simulator, make_poller):
    simulator = await make_simulator(map_name="vumap", topology="three_phase", baud=19200)
    poller = await make_poller(simulator, baud_rate=9600)
    assert poller.snapshot.communication.baud_rate == 19200
    assert poller.snapshot.communication.map_name == "vumap"


async def test_baud_rate_fixed_by_settings_is_not_searched(make_simulator):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase", baud=19200)
    poller = Poller(PollerConfig(device=simulator.device_path, baud_rate=9600, auto_detect=False, **FAST))
    task = asyncio.create_task(poller.run())
    try:
        snapshot = await snapshot_after(poller, lambda s: s.communication.last_error)
        assert not snapshot.communicating
        assert "9600" in snapshot.communication.last_error
        assert snapshot.communication.statistics.requests == 3  # one probe per map, at 9600 only
    finally:
        poller.stop()
        await task


@pytest.mark.parametrize(
    "map_name, scenario, ups_status, battery_status, conditions",
    [
        ("jbusp", "mains_failure", "on_battery", "discharging", {"on_battery"}),
        ("vumap", "mains_failure", "on_battery", "discharging", {"on_battery"}),
        ("jbusp", "battery_low", "on_battery", "low", {"on_battery", "battery_low"}),
        ("vumap", "battery_low", "on_battery", "low", {"on_battery", "battery_low"}),
        ("jbusp", "imminent_stop", "imminent_stop", None, {"imminent_stop"}),
        ("vumap", "imminent_stop", "imminent_stop", None, {"imminent_stop"}),
        ("jbusp", "bypass", "load_on_bypass", None, {"load_on_automatic_bypass"}),
        ("vumap", "bypass", "load_on_bypass", None, {"load_on_automatic_bypass"}),
        ("jbusp", "eco_mode", "eco_mode", None, {"eco_mode"}),
        ("vumap", "eco_mode", "eco_mode", None, {"eco_mode"}),
        ("jbusp", "overload", "load_on_inverter", None, {"overload"}),
        ("vumap", "overload", "load_on_inverter", None, {"overload"}),
        ("vumap", "maintenance_bypass", "maintenance_bypass", None, {"load_on_maintenance_bypass"}),
        ("vumap", "load_off", "load_off", None, {"load_off"}),
    ],
)
async def test_scenario_derived_states(make_simulator, make_poller, map_name, scenario, ups_status, battery_status, conditions):
    simulator = await make_simulator(map_name=map_name, topology="three_phase")
    poller = await make_poller(simulator)
    simulator.device.scenario(scenario)
    snapshot = await fresh_snapshot(poller)
    derived = snapshot.system.derived
    assert derived.ups_status == f"ups_status.{ups_status}"
    if battery_status:
        assert derived.battery_status == f"battery_status.{battery_status}"
    assert all(derived.conditions.get(name) for name in conditions), derived.conditions


async def test_mains_failure_then_restored_follows_the_battery(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator)
    simulator.device.scenario("mains_failure")
    on_battery = await fresh_snapshot(poller)
    assert on_battery.system.derived.rfc1628_output_source == 5
    assert 2 in on_battery.system.derived.rfc1628_alarms  # upsAlarmOnBattery
    assert any(alarm.acronym == "S05" for alarm in on_battery.system.alarms)
    assert on_battery.system.measurements["battery_current"] < 0
    # General alarm, rectifier and bypass input supply out of tolerance, as VU-MAP A015/A035/A050.
    assert {"A00", "A05", "A06"} <= {alarm.acronym for alarm in on_battery.system.alarms}
    assert {11, 22, 30} <= on_battery.system.derived.well_known_alarms  # GeneralFault, ReInputBad, ByInputBad
    simulator.device.scenario("mains_restored")
    restored = await fresh_snapshot(poller)
    assert not {11, 22, 30} & restored.system.derived.well_known_alarms
    assert restored.system.derived.ups_status == "ups_status.load_on_inverter"
    assert 2 not in restored.system.derived.rfc1628_alarms
    assert not any(alarm.acronym == "S05" for alarm in restored.system.alarms)


async def test_measurements_the_range_does_not_manage_are_none(make_simulator, make_poller):
    # App. JBUSP: a DELPHYS MX answers -1 for M12–M14 (input currents), M21 and M43.
    simulator = await make_simulator(map_name="jbusp", model="DELPHYS MX SINGLE UNIT", time_scale=0)
    poller = await make_poller(simulator)
    snapshot = await fresh_snapshot(poller, 1)
    assert snapshot.identity is not None and snapshot.identity.model == "DELPHYS MX SINGLE UNIT"
    measurements = snapshot.system.measurements
    for key in ("input_current_l1", "input_current_l2", "input_current_l3", "battery_voltage_negative", "input_frequency"):
        assert simulator.device.read(0x1060 + MAPS_BY_NAME["jbusp"].measurement(key).offset, 1) == [0xFFFF]
        assert measurements[key] is None, key
    for key in ("output_current_l1", "battery_voltage", "output_kw", "input_voltage_l3"):
        assert measurements[key] is not None, key


async def test_alarm_on_and_off_with_its_level_and_time(make_simulator, make_poller):
    simulator = await make_simulator(map_name="vumap", topology="three_phase")
    poller = await make_poller(simulator)
    simulator.device.alarm("A001", True)
    raised = await fresh_snapshot(poller)
    rows = {alarm.acronym: alarm for alarm in raised.system.alarms}
    assert rows["A001"].level.value == "W" and rows["A001"].label_en
    since = rows["A001"].since
    later = await fresh_snapshot(poller)
    assert {alarm.acronym: alarm for alarm in later.system.alarms}["A001"].since == since
    simulator.device.alarm("A001", False)
    cleared = await fresh_snapshot(poller)
    assert "A001" not in {alarm.acronym for alarm in cleared.system.alarms}


async def test_parallel_system_reads_every_unit_and_the_system(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="parallel", units=4)
    poller = await make_poller(simulator)
    snapshot = await fresh_snapshot(poller, 1)
    assert snapshot.system is not None
    assert {block.address for block in snapshot.system.registers} == {0x0020, 0x0040, 0x0060}
    for unit in snapshot.units:
        assert {block.address >> 12 for block in unit.state.registers} == {unit.number}
        assert unit.identity is not None and unit.identity.serial_number
    statistics = snapshot.communication.statistics
    assert statistics.last_cycle_requests == 15  # 3 blocks × (system + 4 units)


@pytest.mark.parametrize(
    "fault, options, counter",
    [
        ("no_answer", {}, "timeouts"),
        ("bad_crc", {}, "crc_errors"),
        ("wrong_slave", {}, "wrong_slave"),
        ("exception", {"value": 4}, "exceptions"),
        ("garbage", {}, None),
    ],
)
async def test_communication_lost_and_restored_under_each_fault(make_simulator, make_poller, fault, options, counter):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator)
    before = poller.snapshot.communication.statistics
    simulator.slave.fault(fault, **options)
    lost = await snapshot_after(poller, lambda s: s.communication.state is CommunicationState.LOST)
    assert lost.system is not None and lost.system.derived.ups_status == "ups_status.unknown"
    assert 20 in lost.system.derived.rfc1628_alarms
    if counter:
        assert getattr(lost.communication.statistics, counter) > getattr(before, counter)
    simulator.slave.clear_faults()
    restored = await snapshot_after(poller, lambda s: s.communicating)
    assert restored.system.derived.ups_status == "ups_status.load_on_inverter"


async def test_a_single_failed_cycle_does_not_declare_the_loss(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator, failed_cycles_before_lost=3, request_retries=0)
    simulator.slave.fault("no_answer", count=1)
    await snapshot_after(poller, lambda s: s.communication.statistics.timeouts >= 1)
    await fresh_snapshot(poller)
    assert poller.snapshot.communicating


async def test_baud_rate_change_is_detected_again(make_simulator, make_poller):
    simulator = await make_simulator(map_name="vumap", topology="three_phase")
    poller = await make_poller(simulator)
    simulator.slave.fault("baud", value=57600)
    await snapshot_after(poller, lambda s: s.communication.state is CommunicationState.LOST)
    restored = await snapshot_after(poller, lambda s: s.communicating)
    assert restored.communication.baud_rate == 57600


async def test_control_accepted_when_permitted_and_reflected(make_simulator, make_poller):
    simulator = await make_simulator(map_name="vumap", topology="three_phase")
    poller = await make_poller(simulator)
    await fresh_snapshot(poller)
    assert poller.snapshot.permissions["eco_mode_on"]
    result = await poller.submit("eco_mode_on", source="test", user="admin")
    assert result.accepted, result.reason
    snapshot = await fresh_snapshot(poller)
    assert snapshot.system.derived.ups_status == "ups_status.eco_mode"
    result = await poller.submit("eco_mode_off", source="test")
    assert result.accepted, result.reason
    snapshot = await fresh_snapshot(poller)
    assert snapshot.system.derived.ups_status == "ups_status.load_on_inverter"


async def test_jbusp_control_word_and_battery_test(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator)
    result = await poller.submit("transfer_to_bypass", source="test")
    assert result.accepted, result.reason
    assert (await fresh_snapshot(poller)).system.derived.ups_status == "ups_status.load_on_bypass"
    result = await poller.submit("transfer_to_inverter", source="test")
    assert result.accepted, result.reason
    result = await poller.submit("battery_test", source="test")
    assert result.accepted, result.reason
    snapshot = await snapshot_after(poller, lambda s: s.system.condition("battery_test_in_progress"))
    assert snapshot.system.derived.battery_status == "battery_status.test_running"


async def test_control_refused_when_the_permission_bit_is_0(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator)
    simulator.device.permissions("eco_mode_on", False)
    result = await poller.submit("eco_mode_on", source="test")
    assert not result.accepted
    assert "permission" in result.reason
    snapshot = await fresh_snapshot(poller)
    assert snapshot.system.derived.ups_status == "ups_status.load_on_inverter"
    assert not snapshot.permissions["eco_mode_on"]


async def test_control_refused_when_remote_control_is_not_permitted(make_simulator, make_poller):
    simulator = await make_simulator(map_name="vumap", topology="three_phase")
    poller = await make_poller(simulator)
    simulator.device.permissions("remote", False)
    result = await poller.submit("alarm_acknowledgement", source="test")
    assert not result.accepted and "remote" in result.reason
    result = await poller.submit("transfer_to_bypass", source="test")
    assert not result.accepted and "not available" in result.reason


async def test_control_refused_while_communication_is_lost(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator)
    simulator.slave.fault("no_answer")
    await snapshot_after(poller, lambda s: s.communication.state is CommunicationState.LOST)
    result = await poller.submit("eco_mode_on", source="test")
    assert not result.accepted and "not communicating" in result.reason


async def test_probe_prints_one_full_snapshot(make_simulator):
    simulator = await make_simulator(map_name="vumap", topology="parallel", units=2)
    poller = Poller(PollerConfig(device=simulator.device_path))
    snapshot = await poller.probe()
    assert snapshot.communicating and snapshot.communication.map_name == "vumap"
    assert len(snapshot.units) == 2


async def test_a_late_answer_within_the_serial_timeout_is_accepted(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator, request_retries=0)
    simulator.slave.fault("delay", value=0.05)  # within 9600 baud's 100 ms serial timeout
    snapshot = await fresh_snapshot(poller, 3)
    assert snapshot.communicating and snapshot.communication.statistics.timeouts == 0


async def test_an_answer_later_than_the_timeout_counts_as_none(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    # RTU frames carry no transaction id: a reply that comes after its timeout must land
    # in the idle time between two cycles, where it is ignored, not in the next request.
    # The fast lane is off here, so that the idle time is the whole rest of the period.
    poller = await make_poller(simulator, request_retries=0, polling_rate=1.5, fast_lane=0)
    simulator.slave.fault("delay", value=1.0)
    lost = await snapshot_after(poller, lambda s: s.communication.state is CommunicationState.LOST)
    assert lost.communication.statistics.timeouts >= 2
    simulator.slave.clear_faults()
    await snapshot_after(poller, lambda s: s.communicating)


# -- serial settings applied live (Poller.reconfigure) ------------------------------------------


async def test_a_polling_rate_change_applies_without_restart(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator, polling_rate=60, fast_lane=0)
    cycles = poller.snapshot.communication.statistics.cycles
    poller.reconfigure(replace(poller.config, polling_rate=0.1))
    # At one cycle a minute, three more cycles come within the wait only at the new rate.
    snapshot = await snapshot_after(poller, lambda s: s.communication.statistics.cycles >= cycles + 3)
    assert snapshot.communicating
    assert snapshot.communication.statistics.link_utilisation is not None
    assert snapshot.communication.statistics.link_utilisation > 0


def record_states(poller: Poller) -> list[CommunicationState]:
    states: list[CommunicationState] = []
    poller.subscribe(lambda snapshot: states.append(snapshot.communication.state))
    return states


async def test_a_slave_id_change_detects_the_ups_again_without_a_loss(make_simulator, make_poller):
    simulator = await make_simulator(map_name="vumap", topology="three_phase")
    poller = await make_poller(simulator, failed_cycles_before_lost=5)
    states = record_states(poller)
    simulator.slave.slave_id = 7  # the UPS now answers slave 7 only
    poller.reconfigure(replace(poller.config, slave_id=7))
    cycles = poller.snapshot.communication.statistics.cycles
    snapshot = await snapshot_after(poller, lambda s: s.communication.statistics.cycles >= cycles + 2)
    assert snapshot.communicating and snapshot.communication.map_name == "vumap"
    assert simulator.slave.counters.requests > 0 and CommunicationState.LOST not in states


async def test_a_baud_rate_change_detects_the_ups_again_without_a_loss(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator, auto_detect=False, failed_cycles_before_lost=5)
    states = record_states(poller)
    simulator.slave.fault("baud", value=19200)
    poller.reconfigure(replace(poller.config, baud_rate=19200))
    snapshot = await snapshot_after(poller, lambda s: s.communicating and s.communication.baud_rate == 19200)
    assert snapshot.system is not None and snapshot.system.derived.ups_status == "ups_status.load_on_inverter"
    assert CommunicationState.LOST not in states


async def test_new_link_settings_that_find_no_ups_declare_the_loss(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    poller = await make_poller(simulator, auto_detect=False)
    poller.reconfigure(replace(poller.config, slave_id=9))  # nothing answers slave 9
    lost = await snapshot_after(poller, lambda s: s.communication.state is CommunicationState.LOST)
    assert lost.system is not None and lost.system.derived.ups_status == "ups_status.unknown"
    poller.reconfigure(replace(poller.config, slave_id=1))
    await snapshot_after(poller, lambda s: s.communicating)


# -- fast lane ------------------------------------------------------------------------------------


@pytest.mark.parametrize("map_name", ["jbusp", "vumap"])
async def test_the_fast_lane_publishes_a_status_change_before_the_next_cycle(make_simulator, make_poller, map_name):
    simulator = await make_simulator(map_name=map_name, topology="three_phase")
    poller = await make_poller(simulator, polling_rate=60, fast_lane=0.1)
    before = poller.snapshot
    cycles = before.communication.statistics.cycles
    simulator.device.scenario("mains_failure")
    on_battery = await snapshot_after(poller, lambda s: s.system is not None and s.system.condition("on_battery"))
    statistics = on_battery.communication.statistics
    # Published by the fast lane: no full cycle ran since, and the measurements are the cycle's.
    assert statistics.cycles == cycles and statistics.fast_reads > 0
    assert on_battery.sequence > before.sequence
    assert on_battery.system.measurements == before.system.measurements
    assert on_battery.system.derived.ups_status == "ups_status.on_battery"
    # Unchanged words publish nothing: a few more fast reads, the same snapshot.
    requests = simulator.slave.counters.requests
    await wait_for(lambda: simulator.slave.counters.requests >= requests + 4)
    assert poller.snapshot.sequence == on_battery.sequence


# -- clock and permission table -------------------------------------------------------------------


@pytest.mark.parametrize("map_name, has_clock", [("jbusp", True), ("vumap", False)])
async def test_the_snapshot_says_whether_the_ups_has_a_clock(make_simulator, make_poller, map_name, has_clock):
    simulator = await make_simulator(map_name=map_name, topology="three_phase")
    poller = await make_poller(simulator)
    snapshot = await fresh_snapshot(poller, 1)
    assert snapshot.has_clock is has_clock
    assert (snapshot.ups_time is not None) is has_clock


async def test_jbusp_without_a_permission_table_permits_the_controls_it_announces(make_simulator, make_poller):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase")
    simulator.device.permissions("table", False)
    poller = await make_poller(simulator)
    snapshot = await fresh_snapshot(poller, 1)
    assert not snapshot.system.condition("permission_table_managed")
    assert snapshot.permissions and all(snapshot.permissions.values()), snapshot.permissions
    result = await poller.submit("transfer_to_bypass", source="test")
    assert result.accepted, result.reason
    assert (await fresh_snapshot(poller)).system.derived.ups_status == "ups_status.load_on_bypass"
