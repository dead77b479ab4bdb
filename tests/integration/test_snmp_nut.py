"""Network UPS Tools' snmp-ups driver (Debian nut-snmp) reading the agent, both mappings."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port, wait_for
from tests.integration.test_snmp_helpers import need, run


async def nut_dump(port: int, mibs: str, state: Path) -> dict[str, str]:
    """One update of the driver, dumped (``-d 1``), as {variable: value}."""
    driver = need("snmp-ups")
    code, output = await run(
        "env", f"NUT_STATEPATH={state}", driver, "-s", "netvision", "-x", f"port=127.0.0.1:{port}",
        "-x", f"mibs={mibs}", "-d", "1", "-u", "root", timeout=60,
    )
    assert code == 0, output
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line and "." in line.split(":")[0])


@pytest.mark.parametrize("mibs", ["ietf", "netvision"])
async def test_nut_snmp_ups_reports_status_charge_and_runtime_through_the_scenarios(
    make_daemon: Any, tmp_path: Path, mibs: str
) -> None:
    port = free_port(socket.SOCK_DGRAM)
    daemon = await make_daemon({"snmp": {"enabled": True, "port": port, "bind": "127.0.0.1"}})
    sim, poller = daemon.test_simulator, daemon.ups

    data = await nut_dump(port, mibs, tmp_path)
    assert data["ups.status"].split() == ["OL"]
    system = poller.snapshot.system
    assert float(data["battery.charge"]) == pytest.approx(system.measurement("battery_capacity"), abs=1)
    assert float(data["battery.runtime"]) == pytest.approx(system.measurement("remaining_backup_time") * 60, abs=60)

    sim.device.scenario("mains_failure")
    await wait_for(lambda: poller.snapshot.system.condition("on_battery"))
    data = await nut_dump(port, mibs, tmp_path)
    assert "OB" in data["ups.status"].split() and "OL" not in data["ups.status"].split()

    sim.device.scenario("battery_low")
    await wait_for(lambda: poller.snapshot.system.condition("battery_low"))
    data = await nut_dump(port, mibs, tmp_path)
    assert {"OB", "LB"} <= set(data["ups.status"].split())
    assert float(data["battery.charge"]) == pytest.approx(poller.snapshot.system.measurement("battery_capacity"), abs=5)
