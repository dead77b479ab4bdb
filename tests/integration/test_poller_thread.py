"""The poller keeps its timing whatever the services do: it runs on a thread of its
own, so a daemon loop held busy for seconds costs no cycle and raises no
"communication lost" (the simulator runs in its own process, as a UPS would)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from netvision.daemon import Daemon
from netvision.events.bus import Event
from netvision.settings import Settings
from tests.conftest import wait_for

# simulator_process: a simulator in its own process
pytest_plugins = ["tests.integration.test_cli"]


async def test_a_blocked_daemon_loop_misses_no_cycle_and_loses_no_communication(simulator_process, tmp_path: Path):
    link, _control = simulator_process("--map", "jbusp", "--topology", "three_phase", "--wire-timing")
    settings = Settings.model_validate(
        {
            "data_dir": str(tmp_path / "data"),
            "serial": {"device": str(link), "polling_rate": 1, "failed_cycles_before_lost": 1},
            "web": {"http_enabled": False, "https_enabled": False},
            "snmp": {"enabled": False},
        }
    )
    daemon = Daemon(settings)
    await daemon.start()
    try:
        assert daemon.ups is not None and daemon.poller is not None
        poller = daemon.poller
        await wait_for(lambda: daemon.ups.snapshot.communicating, timeout=30)
        events: list[Event] = []
        daemon.bus.on_event(events.append)
        delivered: list[int] = []
        daemon.ups.subscribe(lambda snapshot: delivered.append(snapshot.sequence))
        cycles_before, errors_before = poller.snapshot.communication.statistics.cycles, poller.counters.errors
        time.sleep(3.0)  # a service holding the daemon's loop (a flood, a slow handler…)
        cycles_during = poller.snapshot.communication.statistics.cycles - cycles_before
        await wait_for(lambda: delivered, timeout=5)
        await asyncio.sleep(0.5)
        assert cycles_during >= 2  # the poller went on at its 1 s period meanwhile
        assert poller.counters.errors == errors_before
        assert daemon.ups.snapshot.communicating
        assert not [event for event in events if event.id in ("nv.communication_lost", "ups.not_connected")]
        assert delivered == sorted(delivered)  # the snapshots polled meanwhile arrive, in order
    finally:
        await daemon.stop()
