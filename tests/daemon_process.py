"""The daemon as a real process (``python -m netvision run``) against the simulator in its own
process on a pseudo-terminal: for the tests that kill the daemon with SIGKILL, as a power cut
or the OOM killer would, and start it again.

    async with simulator_and_daemon(tmp_path, {"logs": {"history_interval": 1}}) as (simulator, daemon):
        daemon.start()
        await daemon.wait_for(lambda: rows(daemon.data_dir / "logs.sqlite3", "SELECT ..."))
        simulator.scenario("mains_failure")
        daemon.kill()
        daemon.restart()

Each process writes its output to ``<name>.log`` in the test's directory; a wait that fails
quotes the end of the daemon's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from tests.conftest import wait_for

PYTHON = sys.executable

# Only the UPS is read: no listener takes a port, so tests running at once never collide.
QUIET: dict[str, dict[str, Any]] = {
    "web": {"http_enabled": False, "https_enabled": False},
    "snmp": {"enabled": False},
    "modbus_tcp": {"enabled": False},
    "bacnet": {"enabled": False},
}


class Processes:
    """Child processes, each ended at the close (terminate, then kill after 10 s)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, arguments: Sequence[str]) -> subprocess.Popen[bytes]:
        """``python ARGUMENTS``, its output appended to ``<name>.log``."""
        with (self.directory / f"{name}.log").open("ab") as output:
            process = subprocess.Popen(
                [PYTHON, *arguments],
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self.started.append(process)
        return process

    def close(self) -> None:
        running = [process for process in reversed(self.started) if process.poll() is None]
        for process in running:  # all at once: each stops while the others do
            process.terminate()
        for process in running:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class SimulatorProcess:
    """``netvision sim`` on the pseudo-terminal ``link``, driven through its ``control`` socket."""

    def __init__(self, process: subprocess.Popen[bytes], link: Path, control: Path) -> None:
        self.process, self.link, self.control = process, link, control

    def send(self, request: Mapping[str, object]) -> dict[str, Any]:
        """One request on the control socket; the simulator must accept it."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(self.control))
            client.sendall(json.dumps(request).encode() + b"\n")
            answer: dict[str, Any] = json.loads(client.makefile().readline())
        assert answer.get("ok"), answer
        return answer

    def scenario(self, name: str) -> None:
        self.send({"cmd": "scenario", "name": name})


async def start_simulator(processes: Processes, map_name: str = "jbusp") -> SimulatorProcess:
    """The simulator in its own process, once its pseudo-terminal and control socket are there."""
    link, control = processes.directory / "ups", processes.directory / "sim.sock"
    process = processes.spawn(
        "simulator",
        ["-m", "netvision", "sim", "--map", map_name, "--link", str(link), "--control", str(control)],
    )

    def ready() -> bool:
        assert process.poll() is None, f"the simulator exited with {process.returncode}"
        return control.exists() and link.exists()

    await wait_for(ready, timeout=60, interval=0.05)
    return SimulatorProcess(process, link, control)


def write_config(path: Path, data_dir: Path, device: Path, sections: Mapping[str, Mapping[str, Any]]) -> Path:
    """The daemon's settings file: the UPS on ``device`` read every second, no listener, and
    ``sections`` (each merged into the section of that name)."""
    document: dict[str, Any] = {
        "data_dir": str(data_dir),
        "serial": {"device": str(device), "polling_rate": 1, "reconnect_delay": 0.2},
        **QUIET,
    }
    for name, values in sections.items():
        document[name] = {**document.get(name, {}), **values}
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    return path


class DaemonProcess:
    """``netvision run --config CONFIG`` in its own process: started, killed with SIGKILL,
    started again on the same settings and data."""

    def __init__(self, processes: Processes, config: Path, data_dir: Path) -> None:
        self.processes, self.config, self.data_dir = processes, config, data_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "the daemon is running"
        self.process = self.processes.spawn(
            "daemon", ["-m", "netvision", "--log-level", "warning", "run", "--config", str(self.config)]
        )

    def kill(self) -> None:
        """SIGKILL, and wait until it is gone: nothing of the daemon runs on after this."""
        assert self.process is not None and self.process.poll() is None, "the daemon is not running"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def restart(self) -> None:
        """Start it again after a kill."""
        assert self.process is not None, "the daemon never started"
        self.start()

    def output(self, characters: int = 2000) -> str:
        """The end of what the daemon wrote (all its runs)."""
        path = self.processes.directory / "daemon.log"
        return path.read_text(errors="replace")[-characters:] if path.exists() else ""

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.05
    ) -> Any:
        """``predicate``'s first true value; fails at once if the daemon exits meanwhile."""
        process = self.process

        def check() -> Any:
            if process is not None and process.poll() is not None:
                raise AssertionError(f"the daemon exited with {process.returncode}:\n{self.output()}")
            return predicate()

        try:
            return await wait_for(check, timeout, interval)
        except AssertionError as error:
            if "the daemon exited" in str(error):
                raise
            raise AssertionError(f"{error}; the daemon wrote:\n{self.output()}") from None


@contextlib.asynccontextmanager
async def simulator_and_daemon(
    directory: Path, sections: Mapping[str, Mapping[str, Any]], map_name: str = "jbusp"
) -> AsyncIterator[tuple[SimulatorProcess, DaemonProcess]]:
    """The simulator ready and the daemon's settings written (data in ``directory/data``); the
    daemon is not started yet. Every process ends with the block."""
    processes = Processes(directory)
    try:
        simulator = await start_simulator(processes, map_name)
        config = write_config(directory / "netvision.toml", directory / "data", simulator.link, sections)
        yield simulator, DaemonProcess(processes, config, directory / "data")
    finally:
        processes.close()


# -- what the daemon left: read as another process would, never locking it -----------------------


def rows(database: Path, query: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``query``, as a reader sees them now; none while the database or its table
    is not there yet."""
    if not database.exists():
        return []
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as connection:
        try:
            return connection.execute(query, parameters).fetchall()
        except sqlite3.OperationalError:
            return []


def read_json(path: Path) -> dict[str, Any]:
    """A JSON state file as it is now; empty while it is missing or half written."""
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded
    return {}
