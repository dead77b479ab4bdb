"""The core battery test tracker (EN §16.2, RFC1628 upsTest, BACnet): start, end,
result per unit, kept in the data directory; and what SNMP and BACnet read of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pysnmp.proto.rfc1902 import Integer32, ObjectIdentifier, TimeTicks

from netvision.services.bacnet import values as bacnet
from netvision.services.snmp import upstest
from netvision.ups.battery_test import BatteryTestResult, BatteryTests, BatteryTestState, UnitTest
from netvision.ups.controls import ControlResult
from netvision.ups.model import (
    Communication,
    CommunicationState,
    DeviceState,
    Identity,
    Snapshot,
    Topology,
    TopologyKind,
    Unit,
)
from tests.fakes import device_state

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def device(number: int = 0, **conditions: bool) -> DeviceState:
    return device_state(conditions, number=number)


def snapshot(
    seconds: float, system: DeviceState, state: CommunicationState = CommunicationState.OK, **extra: object
) -> Snapshot:
    now = T0 + timedelta(seconds=seconds)
    return Snapshot(sequence=int(seconds), time=now, communication=Communication(state, now), system=system, **extra)  # type: ignore[arg-type]


def running(seconds: float) -> Snapshot:
    return snapshot(seconds, device(battery_test_in_progress=True))


def idle(seconds: float, **conditions: bool) -> Snapshot:
    return snapshot(seconds, device(battery_test_in_progress=False, **conditions))


def test_a_test_started_by_a_control_begins_at_the_control_and_ends_ok(tmp_path: Path) -> None:
    tests = BatteryTests(tmp_path)
    assert tests.state().unit(0) == UnitTest(0)
    tests.on_control(ControlResult("eco_mode_on", True, "", T0))  # another control: no start
    tests.on_control(ControlResult("battery_test", True, "", T0 + timedelta(seconds=1), "snmp"))
    tests.on_snapshot(running(3))
    test = tests.state().unit(0)
    assert test.running and test.started == T0 + timedelta(seconds=1)
    assert test.elapsed(T0 + timedelta(seconds=11)) == timedelta(seconds=10)
    tests.on_snapshot(idle(61))
    test = tests.state().unit(0)
    assert (test.running, test.result, test.ended) == (False, BatteryTestResult.OK, T0 + timedelta(seconds=61))
    assert test.elapsed(T0 + timedelta(hours=5)) == timedelta(seconds=60)


def test_a_test_seen_without_a_control_begins_when_first_seen(tmp_path: Path) -> None:
    tests = BatteryTests(tmp_path)
    tests.on_control(ControlResult("battery_test", True, "", T0 - timedelta(hours=1)))  # too old
    tests.on_snapshot(running(5))
    assert tests.state().unit(0).started == T0 + timedelta(seconds=5)


def test_a_test_in_progress_survives_a_restart_and_a_lost_communication(tmp_path: Path) -> None:
    tests = BatteryTests(tmp_path)
    tests.on_snapshot(running(0))
    # the daemon is killed: what was written stays (atomic writes)
    again = BatteryTests(tmp_path)
    assert again.state().unit(0).running and again.state().unit(0).started == T0
    again.on_snapshot(snapshot(20, device(), CommunicationState.LOST))
    assert again.state().unit(0).running  # nothing is known while the UPS is silent
    again.on_snapshot(idle(40, battery_test_failed=True))
    assert again.state().unit(0).result is BatteryTestResult.FAILED
    assert BatteryTests(tmp_path).state().unit(0).result is BatteryTestResult.FAILED


def test_a_results_file_of_the_first_version_is_read(tmp_path: Path) -> None:
    (tmp_path / "battery_tests.json").write_text('{"0": {"result": "ok", "time": "2026-02-01T08:00:00+00:00"}}')
    test = BatteryTests(tmp_path).state().unit(0)
    assert (test.result, test.ended, test.started, test.running) == (
        BatteryTestResult.OK, datetime(2026, 2, 1, 8, tzinfo=UTC), None, False,
    )  # fmt: skip


def test_distributed_batteries_are_followed_per_unit_and_summed_up_for_the_system(tmp_path: Path) -> None:
    identity = Identity(map_name="vumap", map_title="VU-MAP", device_kind="ups", type_code=None, model="X", serial_number="1")
    topology = Topology(TopologyKind.PARALLEL, units=(1, 2))

    def parallel(seconds: float, one: dict[str, bool], two: dict[str, bool]) -> Snapshot:
        units = (Unit(1, device(1, **one)), Unit(2, device(2, **two)))
        return snapshot(seconds, device(), identity=identity, topology=topology, units=units)

    tests = BatteryTests(tmp_path)
    tests.on_snapshot(parallel(0, {"battery_test_in_progress": True}, {"battery_test_in_progress": True}))
    state = tests.state()
    assert state.per_unit and [test.unit for test in state.units] == [1, 2]
    assert state.system().running
    tests.on_snapshot(parallel(30, {}, {"battery_test_in_progress": True}))
    assert tests.state().unit(1).result is BatteryTestResult.OK and tests.state().system().running
    tests.on_snapshot(parallel(50, {}, {"battery_test_failed": True}))
    system = tests.state().system()
    assert (system.result, system.started, system.ended) == (BatteryTestResult.FAILED, T0, T0 + timedelta(seconds=50))


# -- RFC1628 upsTest ------------------------------------------------------------------------------


def entries(test: UnitTest | None, testing_now: bool = False, uptime: int = 100_000) -> dict[tuple[int, ...], object]:
    now = T0 + timedelta(seconds=100)
    found = dict(upstest.entries(test, testing_now, lambda: uptime, lambda: now))
    return {oid[-2:]: value() if callable(value) else value for oid, value in found.items()}


def test_ups_test_group_follows_rfc1628() -> None:
    quick = ObjectIdentifier(upstest.UPS_TEST_QUICK_TEST)
    none = entries(UnitTest(0))
    assert none[(1, 0)] == ObjectIdentifier(upstest.UPS_TEST_NO_TESTS_INITIATED)
    assert (none[(3, 0)], none[(4, 0)], none[(5, 0)], none[(6, 0)]) == (Integer32(6), b"", TimeTicks(0), Integer32(0))
    now_running = entries(UnitTest(0, running=True, started=T0 + timedelta(seconds=40)))
    assert now_running[(1, 0)] == quick and now_running[(3, 0)] == Integer32(5)
    assert now_running[(5, 0)] == TimeTicks(100_000 - 6000) and now_running[(6, 0)] == Integer32(6000)
    for result, summary in ((BatteryTestResult.OK, 1), (BatteryTestResult.FAILED, 3), (BatteryTestResult.INTERRUPTED, 4)):
        done = entries(UnitTest(0, started=T0, ended=T0 + timedelta(seconds=30), result=result))
        assert (done[(3, 0)], done[(6, 0)]) == (Integer32(summary), Integer32(3000))
    # a test that began before the agent: sysUpTime 0
    assert entries(UnitTest(0, running=True, started=T0), uptime=500)[(5, 0)] == TimeTicks(0)
    # without a tracker, the UPS's bit still tells a test runs
    assert entries(None, testing_now=True)[(3, 0)] == Integer32(5)


def test_snmp_unit_select_reads_that_units_test_where_batteries_are_distributed() -> None:
    failed = UnitTest(2, started=T0, ended=T0, result=BatteryTestResult.FAILED)
    state = BatteryTestState(per_unit=True, units=(UnitTest(1, started=T0, ended=T0, result=BatteryTestResult.OK), failed))
    assert upstest.unit_test(state, 2) == failed
    assert upstest.unit_test(state, 1).result is BatteryTestResult.OK
    assert upstest.unit_test(state, 0).result is BatteryTestResult.FAILED  # the worst for the system


# -- BACnet ---------------------------------------------------------------------------------------


def test_bacnet_bat_test_failed_follows_the_last_test() -> None:
    failed = BatteryTestState(units=(UnitTest(0, started=T0, ended=T0, result=BatteryTestResult.FAILED),))
    assert bacnet.last_test_failed(failed, 0)
    assert not bacnet.last_test_failed(BatteryTestState(), 0)
    assert not bacnet.last_test_failed(None, 0)
    again = BatteryTestState(units=(UnitTest(0, running=True, started=T0, result=BatteryTestResult.FAILED),))
    assert not bacnet.last_test_failed(again, 0)  # a new test runs
    bit = 13  # BAT. TEST FAILED (BAC §6.3.3)
    assert bacnet.unit_alarm_bits(device(), last_test_failed=True)[bit] == 1
    assert bacnet.unit_alarm_bits(device())[bit] == 0
