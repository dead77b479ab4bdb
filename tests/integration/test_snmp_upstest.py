"""RFC1628 upsTest group from the core battery test tracker, read with net-snmp."""

from __future__ import annotations

import re
import socket
from typing import Any

from netvision.ups.battery_test import BatteryTestResult, BatteryTests
from tests.conftest import free_port, wait_for
from tests.integration.test_snmp_helpers import number, snmp, values

UPS_TEST = ".1.3.6.1.2.1.33.1.7"


def ticks(value: str) -> int:
    """``Timeticks: (1234) 0:00:12.34`` → 1234."""
    found = re.search(r"\((\d+)\)", value)
    assert found, value
    return int(found.group(1))


async def test_ups_test_group_tells_the_result_start_and_duration_of_the_battery_test(make_daemon: Any) -> None:
    port = free_port(socket.SOCK_DGRAM)
    daemon = await make_daemon({"snmp": {"enabled": True, "port": port, "bind": "127.0.0.1", "write_community": "private"}})
    address = f"127.0.0.1:{port}"
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    sim.device.battery_test_seconds = 2.5
    tracker = daemon.battery_tests
    assert tracker is not None
    objects = [f"{UPS_TEST}.{column}.0" for column in range(1, 7)]

    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, *objects)
    assert code == 0, output
    got = values(output)
    assert got[f"{UPS_TEST}.1.0"] == f"OID: {UPS_TEST}.7.1"  # upsTestNoTestsInitiated
    assert number(got[f"{UPS_TEST}.3.0"]) == 6  # noTestsInitiated
    assert ticks(got[f"{UPS_TEST}.5.0"]) == 0 and number(got[f"{UPS_TEST}.6.0"]) == 0

    await wait_for(lambda: daemon.ups.snapshot.remote_controls_permitted)
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, f"{UPS_TEST}.1.0", "o", f"{UPS_TEST}.7.4")
    assert code == 0, output
    await wait_for(lambda: tracker.state().unit(0).running, timeout=30)
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, *objects)
    got = values(output)
    assert got[f"{UPS_TEST}.1.0"] == f"OID: {UPS_TEST}.7.4"  # upsTestQuickBatteryTest
    assert number(got[f"{UPS_TEST}.3.0"]) == 5  # inProgress
    assert got[f"{UPS_TEST}.4.0"] == 'STRING: "Battery test in progress"'
    assert ticks(got[f"{UPS_TEST}.5.0"]) > 0  # sysUpTime when the control started it

    await wait_for(lambda: tracker.state().unit(0).result is BatteryTestResult.OK, timeout=30)
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, *objects)
    got = values(output)
    assert number(got[f"{UPS_TEST}.3.0"]) == 1  # donePass
    assert got[f"{UPS_TEST}.4.0"] == 'STRING: "Battery test passed"'
    assert number(got[f"{UPS_TEST}.6.0"]) >= 200  # the test ran its 2.5 s, in hundredths

    sim.device.set_battery_test_result("fail")
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, f"{UPS_TEST}.1.0", "o", f"{UPS_TEST}.7.4")
    assert code == 0, output
    await wait_for(lambda: tracker.state().unit(0).result is BatteryTestResult.FAILED, timeout=30)
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, *objects)
    got = values(output)
    assert number(got[f"{UPS_TEST}.3.0"]) == 3  # doneError
    assert got[f"{UPS_TEST}.4.0"] == 'STRING: "Battery test failed"'
    # kept across a restart: a new tracker reads the same result from the data directory
    assert BatteryTests(daemon.data_dir).state().unit(0).result is BatteryTestResult.FAILED
