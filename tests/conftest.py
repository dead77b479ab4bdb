"""Shared fixtures: the simulator on a real pty, and the daemon against it."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from netvision.daemon import Daemon
from netvision.settings import Settings
from netvision.ups.model import Snapshot


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nothing listens on now (TCP by default; socket.SOCK_DGRAM for UDP)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


async def next_snapshot(daemon: Daemon, after: Snapshot | None = None, timeout: float = 20.0) -> Snapshot:
    """The first snapshot published after ``after`` (or after now)."""
    assert daemon.ups is not None
    poller = daemon.ups
    sequence = (after or poller.snapshot).sequence
    return await wait_for(lambda: poller.snapshot if poller.snapshot.sequence > sequence else None, timeout)


@pytest.fixture
async def make_simulator() -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``sim = await make_simulator(map_name="vumap", topology="parallel", units=4)``."""
    from netvision.sim import Simulator

    started: list[Any] = []

    async def make(**options: Any) -> Any:
        options.setdefault("seed", 1)
        simulator = Simulator(**options)
        await simulator.start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in reversed(started):
        await simulator.stop()


@pytest.fixture
async def make_daemon(
    make_simulator: Callable[..., Awaitable[Any]], tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Daemon]]]:
    """``daemon = await make_daemon({"snmp": {...}}, map_name="jbusp")``: a simulator on a pty,
    the daemon polling it every second, started and communicating."""
    started: list[Daemon] = []
    numbers = itertools.count()  # taken before any await: daemons may be made concurrently

    async def make(overrides: dict[str, Any] | None = None, **simulator_options: Any) -> Daemon:
        number = next(numbers)
        simulator = await make_simulator(**simulator_options)
        document: dict[str, Any] = {
            "data_dir": str(tmp_path / f"data{number}"),
            "serial": {"device": simulator.device_path, "polling_rate": 1, "reconnect_delay": 0.2},
            "web": {"http_enabled": False, "https_enabled": False},
            "snmp": {"enabled": False},
            "modbus_tcp": {"enabled": False},
            "bacnet": {"enabled": False},
        }
        for section, values in (overrides or {}).items():
            if isinstance(values, dict):
                document.setdefault(section, {}).update(values)
            else:
                document[section] = values
        settings_path = tmp_path / f"netvision{number}.toml"
        daemon = Daemon(Settings.model_validate(document), settings_path=settings_path)
        daemon.test_simulator = simulator  # type: ignore[attr-defined]
        await daemon.start()
        started.append(daemon)
        assert daemon.ups is not None
        poller = daemon.ups
        await wait_for(lambda: poller.snapshot.communicating, timeout=30)
        return daemon

    yield make
    for daemon in reversed(started):
        await daemon.stop()
