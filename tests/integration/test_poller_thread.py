"""The poller keeps its timing whatever the services do: it runs on a thread of its
own, so a daemon loop held busy for seconds costs no cycle and raises no
"communication lost" (the simulator runs in its own process, as a UPS would); a
flood of pass-through reads gets a bounded share of the link; a snapshot too old
to stand for the UPS no longer says it communicates."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from netvision.daemon import Daemon
from netvision.events.bus import Event
from netvision.settings import Settings
from netvision.ups.link import LinkError
from netvision.ups.model import Communication, CommunicationState, Snapshot
from netvision.ups.poller import Poller, PollerConfig
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


async def test_a_flood_of_pass_through_reads_gets_its_share_of_the_link_and_the_poll_keeps_its_period(
    make_simulator, tmp_path: Path
):
    simulator = await make_simulator(map_name="jbusp", topology="three_phase", wire_timing=True)
    poller = Poller(PollerConfig(device=simulator.device_path, polling_rate=1.0, fast_lane=0))
    task = asyncio.create_task(poller.run())
    try:
        await wait_for(lambda: poller.snapshot.communicating, timeout=30)
        cycles_before = poller.snapshot.communication.statistics.cycles
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcomes: list[str] = []

        async def flood() -> None:
            # Modbus TCP clients asking for a word outside the cached tables, as fast as answered.
            while loop.time() - started < 4.0:
                try:
                    await poller.read_through(0x1400, 16, timeout=0.5)
                    outcomes.append("answered")
                except TimeoutError:
                    outcomes.append("timeout")
                except LinkError:
                    outcomes.append("refused")

        await asyncio.gather(*(flood() for _ in range(20)))
        cycles = poller.snapshot.communication.statistics.cycles - cycles_before
        assert cycles >= 3  # about one a second, whatever the flood
        assert poller.snapshot.communicating
        assert "timeout" in outcomes  # the flood waited for its share of the link
        assert outcomes.count("answered") + outcomes.count("refused") > 0  # and had it
    finally:
        poller.stop()
        await asyncio.wait_for(task, 10)


def test_a_snapshot_past_its_validity_is_not_communicating():
    now = datetime.now(UTC)
    fresh = Snapshot(1, now, Communication(CommunicationState.OK, now), valid_until=now + timedelta(seconds=5))
    old = replace(fresh, valid_until=now - timedelta(seconds=1))
    assert fresh.communicating and not old.communicating
    assert old.last_read == old.communication.last_read  # shown as the last read, never as present
