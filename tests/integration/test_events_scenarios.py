"""Scenarios on the simulator over a real pty: the exact events, levels and texts
logged, and the alarm table at each step (§12.3, §21.3, §21.4)."""

from __future__ import annotations

from typing import Any

from netvision.daemon import Daemon
from netvision.events.alarm_table import alarm_table
from tests.conftest import next_snapshot, wait_for


async def logged(daemon: Daemon, name: str, since: int = 0) -> list[tuple[str, str]]:
    """(level, English text) of the records of one log with an id above ``since``, oldest first."""
    assert daemon.store is not None
    await daemon.store.flush()
    page = await daemon.store.events(name, descending=False, per_page=1000)
    return [(row.severity.value, row.text_en) for row in page.rows if row.id > since]


async def last_id(daemon: Daemon, name: str) -> int:
    assert daemon.store is not None
    await daemon.store.flush()
    page = await daemon.store.events(name, per_page=1)
    return page.rows[0].id if page.rows else 0


async def until_logged(daemon: Daemon, name: str, text: str, since: int = 0) -> list[tuple[str, str]]:
    found: list[Any] = []

    async def check() -> bool:
        found[:] = await logged(daemon, name, since)
        return any(entry[1] == text for entry in found)

    loop_deadline = 30
    for _ in range(loop_deadline * 10):
        if await check():
            return found
        await next_snapshot(daemon)
    raise AssertionError(f"{text!r} not logged; log has {found}")


async def test_start_logs_agent_restart_then_ups_connected_and_status(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon(map_name="jbusp", topology="three_phase")
    nv = await until_logged(daemon, "netvision", "NET VISION UPS Agent Restart")
    assert ("information", "NET VISION UPS Agent Restart") in nv
    ups = await until_logged(daemon, "ups", "Load protected by Inverter")
    assert ups[:2] == [("information", "UPS connected"), ("information", "Load protected by Inverter")]


async def test_alarm_lifecycle_with_alarm_table_at_each_step(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon(map_name="jbusp", topology="three_phase")
    sim = daemon.test_simulator
    await until_logged(daemon, "ups", "Load protected by Inverter")
    assert alarm_table(daemon.ups.snapshot).count == 0
    start = await last_id(daemon, "ups")

    sim.device.alarm("A02", True)
    events = await until_logged(daemon, "ups", "UPS overload", start)
    assert ("warning", "UPS overload") in events
    table = await wait_for(lambda: (t := alarm_table(daemon.ups.snapshot)).count and t)
    assert "A02" in [row.index for row in table.rows]
    overload = next(row for row in table.rows if row.index == "A02")
    assert overload.level == "warning" and overload.description_en == "UPS overload"

    sim.device.alarm("A31", True)
    events = await until_logged(daemon, "ups", "Imminent STOP", start)
    assert ("critical", "Imminent STOP") in events
    table = alarm_table(daemon.ups.snapshot)
    assert table.last is not None and table.last.index == "A31" and table.last.level == "critical"

    sim.device.alarm("A02", False)
    sim.device.alarm("A31", False)
    events = await until_logged(daemon, "ups", "UPS overload has been removed", start)
    await until_logged(daemon, "ups", "Imminent STOP has been removed", start)
    assert ("information", "UPS overload has been removed") in events
    await wait_for(lambda: "A02" not in [row.index for row in alarm_table(daemon.ups.snapshot).rows])


async def test_mains_failure_and_return(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon(map_name="jbusp", topology="three_phase")
    sim = daemon.test_simulator
    await until_logged(daemon, "ups", "Load protected by Inverter")
    start = await last_id(daemon, "ups")
    sim.device.scenario("mains_failure")
    events = await until_logged(daemon, "ups", "On battery / Battery discharging", start)
    assert ("warning", "On battery / Battery discharging") in events
    rows = [row.index for row in alarm_table(daemon.ups.snapshot).rows]
    assert "S05" in rows
    sim.device.scenario("mains_restored")
    events = await until_logged(daemon, "ups", "On battery / Battery discharging has been removed", start)
    assert ("information", "On battery / Battery discharging has been removed") in events


async def test_communication_lost_and_restored(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon(
        {"serial": {"failed_cycles_before_lost": 1, "request_retries": 0}},
        map_name="jbusp",
        topology="three_phase",
    )
    sim = daemon.test_simulator
    await until_logged(daemon, "ups", "UPS connected")
    nv_start, ups_start = await last_id(daemon, "netvision"), await last_id(daemon, "ups")
    sim.slave.fault("no_answer")
    nv = await until_logged(daemon, "netvision", "UPS communication lost", nv_start)
    assert ("critical", "UPS communication lost") in nv
    assert ("critical", "UPS not connected") in await logged(daemon, "ups", ups_start)
    assert alarm_table(daemon.ups.snapshot).count == 0
    sim.slave.clear_faults()
    nv = await until_logged(daemon, "netvision", "UPS communication restored", nv_start)
    ups = await until_logged(daemon, "ups", "UPS connected", ups_start)
    assert ("information", "UPS communication restored") in nv
    assert ("information", "UPS connected") in ups


async def test_parallel_system_alarms_are_at_system_level(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon(map_name="jbusp", topology="parallel", units=2)
    sim = daemon.test_simulator
    await until_logged(daemon, "ups", "UPS connected")
    start = await last_id(daemon, "ups")
    sim.device.alarm("A02", True, unit=2)
    events = await until_logged(daemon, "ups", "Unit 2 general alarm", start)
    assert ("warning", "Unit 2 general alarm") in events
    # The fast lane publishes the system's words at once; the units' follow at the next cycle.
    snapshot = await wait_for(
        lambda: (s := daemon.ups.snapshot).unit(2) is not None and "A02" in s.unit(2).state.alarm_bits and s
    )
    table = alarm_table(snapshot)
    assert "A33" in [row.index for row in table.rows]
    assert "A02" not in [row.index for row in table.rows]  # a unit's own alarm is not in the table


async def test_vumap_parallel_unit_alarm_comes_from_the_unit_synthesis_bits(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon(map_name="vumap", topology="parallel", units=3)
    sim = daemon.test_simulator
    await until_logged(daemon, "ups", "UPS connected")
    start = await last_id(daemon, "ups")
    sim.device.alarm("A001", True, unit=2)
    label = daemon.ups.register_map.bit("A097").label_en
    events = await until_logged(daemon, "ups", label, start)
    assert ("warning", label) in events
    assert "A097" in [row.index for row in alarm_table(daemon.ups.snapshot).rows]
    sim.device.alarm("A001", False, unit=2)
    events = await until_logged(daemon, "ups", f"{label} has been removed", start)
    assert ("information", f"{label} has been removed") in events


async def test_setting_change_and_log_clear_are_netvision_events(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon(map_name="jbusp", topology="three_phase")
    await until_logged(daemon, "netvision", "NET VISION UPS Agent Restart")
    await daemon.settings_manager.change({"logs.history_interval": 30}, via="web", by="admin")
    assert daemon.recorder is not None
    await daemon.recorder.clear("ups", via="web", by="admin")
    events = await logged(daemon, "netvision")
    assert events[-3:] == [
        ("information", "logs.history_interval has been changed via web by admin"),
        ("information", "History log interval changed"),
        ("information", "UPS event log cleared"),
    ]
    assert await daemon.store.count("ups") == 0
