"""Shared helpers of the Modbus TCP tests (no tests here)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from netvision.daemon import Daemon
from netvision.events.bus import Event
from tests.conftest import free_port

MakeDaemon = Callable[..., Awaitable[Daemon]]


async def modbus_daemon(make_daemon: MakeDaemon, modbus: dict[str, Any] | None = None, **simulator: Any) -> Daemon:
    """A daemon serving Modbus TCP on a free loopback port, polling a simulator.

    time_scale=0: the simulated physics stand still, so the words the poller
    cached are the words the simulator holds now.
    """
    settings = {"enabled": True, "bind": "127.0.0.1", "port": free_port(), **(modbus or {})}
    simulator.setdefault("time_scale", 0)
    simulator.setdefault("map_name", "jbusp")
    return await make_daemon({"modbus_tcp": settings}, **simulator)


def port_of(daemon: Daemon) -> int:
    return daemon.settings_manager.settings.modbus_tcp.port


def record_events(daemon: Daemon) -> list[Event]:
    events: list[Event] = []
    daemon.bus.on_event(events.append)
    return events


def read_frame(transaction: int, address: int, count: int, function: int = 3, unit: int = 1) -> bytes:
    return struct.pack(">HHHBBHH", transaction, 0, 6, unit, function, address, count)


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    """(transaction, unit, pdu) of one answer frame."""
    header = await reader.readexactly(7)
    transaction, protocol, length, unit = struct.unpack(">HHHB", header)
    assert protocol == 0
    return transaction, unit, await reader.readexactly(length - 1)


def mbpoll_available() -> bool:
    """For the parts of a test that also check with mbpoll; in CI, mbpoll must be there."""
    if shutil.which("mbpoll"):
        return True
    if os.environ.get("CI"):
        pytest.fail("mbpoll is not installed (Debian package mbpoll)")
    return False


def mbpoll_binary() -> str:
    path = shutil.which("mbpoll")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("mbpoll is not installed (Debian package mbpoll)")
        pytest.skip("mbpoll is not installed (Debian package mbpoll)")
    return path


async def mbpoll(port: int, *options: str) -> tuple[int, str, str]:
    """Run mbpoll once (-1) with PDU addressing (-0); returns (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        mbpoll_binary(),
        "-m",
        "tcp",
        "-p",
        str(port),
        "-0",
        "-1",
        "-o",
        "5",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def mbpoll_words(output: str) -> dict[int, int]:
    return {int(a): int(v, 16) for a, v in re.findall(r"^\[(\d+)\]:\s+0x([0-9A-Fa-f]+)", output, re.M)}
