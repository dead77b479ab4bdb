"""What the benchmarks share: a free loopback port, the simulator in its own process and its
control socket, the daemon's settings (only the service measured listens), the daemon in the
bench's process or in its own, and the end of the child processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's netvision, not an installed one

if TYPE_CHECKING:
    from netvision.daemon import Daemon

# The simulated UPS of the benches: a three-phase JBUS-P UPS; with WIRE_TIMING, at 9600 baud
# as on a real serial line (each frame takes its time on the wire).
SIMULATOR = ("--map", "jbusp", "--topology", "three_phase")
WIRE_TIMING = ("--baud", "9600", "--wire-timing")

# The listeners the benches do not measure, off: they take no port and no CPU.
QUIET: dict[str, dict[str, Any]] = {
    "web": {"http_enabled": False, "https_enabled": False},
    "snmp": {"enabled": False},
    "modbus_tcp": {"enabled": False},
    "bacnet": {"enabled": False},
}


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_simulator(link: Path, *options: str, timeout: float = 20) -> subprocess.Popen[bytes]:
    """`netvision sim OPTIONS --link LINK` in its own process, once its pty is there."""
    process = subprocess.Popen(
        [sys.executable, "-m", "netvision", "--log-level", "warning", "sim", *options, "--link", str(link)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while not link.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the simulator did not start")
        time.sleep(0.05)
    return process


async def simctl(control: Path, request: dict[str, object]) -> None:
    """One request on the simulator's control socket (``--control``); it must accept it."""
    reader, writer = await asyncio.open_unix_connection(str(control))
    try:
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        answer = json.loads(await reader.readline())
        if not answer.get("ok"):
            raise RuntimeError(f"simulator refused {request}: {answer}")
    finally:
        writer.close()


def settings_document(directory: Path, link: Path, **sections: Mapping[str, Any]) -> dict[str, Any]:
    """The daemon's settings: data in ``directory/data``, the UPS on ``link``, the listeners of
    QUIET off, and ``sections`` (each merged into the section of that name)."""
    document: dict[str, Any] = {"data_dir": str(directory / "data"), "serial": {"device": str(link)}, **QUIET}
    for name, values in sections.items():
        document[name] = {**document.get(name, {}), **values}
    return document


def write_settings(path: Path, document: Mapping[str, Any]) -> Path:
    """``document`` as the daemon's TOML settings file (``netvision run --config PATH``)."""
    import tomli_w

    path.write_text(tomli_w.dumps(dict(document)), encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def daemon_reading(
    document: Mapping[str, Any],
    *,
    settings_path: Path | None = None,
    before_start: Callable[[Daemon], None] | None = None,
    timeout: float = 30,
) -> AsyncIterator[Daemon]:
    """The daemon in this process on ``document``, once it reads the simulated UPS; stopped at
    the end. ``before_start`` sees it before it starts (to listen on its bus from the first event)."""
    from netvision.daemon import Daemon
    from netvision.settings import Settings

    daemon = Daemon(Settings.model_validate(document), settings_path=settings_path)
    if before_start is not None:
        before_start(daemon)
    await daemon.start()
    try:
        assert daemon.poller is not None
        deadline = time.monotonic() + timeout
        while not daemon.poller.snapshot.communicating:
            if time.monotonic() > deadline:
                raise RuntimeError("the daemon did not reach the simulated UPS")
            await asyncio.sleep(0.05)
        yield daemon
    finally:
        await daemon.stop()


def start_daemon_process(config: Path, output: Path) -> subprocess.Popen[bytes]:
    """``netvision run --config CONFIG`` in its own process, what it says in ``output``."""
    with output.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "netvision", "--log-level", "warning", "run", "--config", str(config)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop(processes: list[subprocess.Popen[Any]]) -> None:
    """Terminate each process, the last started first; kill one that is still there after 10 s."""
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def children() -> Iterator[list[subprocess.Popen[Any]]]:
    """A list for the child processes a bench starts: each is stopped at the end (``stop``)."""
    started: list[subprocess.Popen[Any]] = []
    try:
        yield started
    finally:
        stop(started)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
