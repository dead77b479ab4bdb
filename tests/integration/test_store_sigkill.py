"""The daemon killed with SIGKILL while it writes logs at a high rate: the
database opens, nothing committed is lost, and logging resumes on restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import wait_for

PYTHON = sys.executable


def _config(path: Path, device: Path, data: Path) -> None:
    path.write_text(
        f"""data_dir = "{data}"

[serial]
device = "{device}"
polling_rate = 1
reconnect_delay = 0.2

[logs]
history_interval = 1

[web]
http_enabled = false
https_enabled = false

[snmp]
enabled = false

[modbus_tcp]
enabled = false

[bacnet]
enabled = false
"""
    )


def _simctl(control: Path, request: dict[str, object]) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(str(control))
        client.sendall(json.dumps(request).encode() + b"\n")
        answer = json.loads(client.makefile().readline())
        assert answer.get("ok"), answer


def _counts(database: Path) -> dict[str, int]:
    """Committed records per table, as a reader sees them now."""
    if not database.exists():
        return {}
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("history", "ups_events", "netvision_events")
        }
    except sqlite3.OperationalError:
        return {}
    finally:
        connection.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_sigkill_during_logging_loses_nothing_committed_and_logging_resumes(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    link, control, data = tmp_path / "ups", tmp_path / "sim.sock", tmp_path / "data"
    database = data / "logs.sqlite3"
    config = tmp_path / "netvision.toml"
    _config(config, link, data)
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    sim = subprocess.Popen(
        [PYTHON, "-m", "netvision", "sim", "--map", "jbusp", "--link", str(link), "--control", str(control)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    processes.append(sim)
    await wait_for(lambda: control.exists() and link.exists(), timeout=60, interval=0.1)

    def run_daemon() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [PYTHON, "-m", "netvision", "--log-level", "warning", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        processes.append(process)
        return process

    daemon = run_daemon()
    await wait_for(lambda: _counts(database).get("history", 0) >= 1, timeout=60, interval=0.1)
    # A toggling alarm and a 1 s history interval keep the writer busy.
    on = True
    while _counts(database).get("history", 0) < 4 or _counts(database).get("ups_events", 0) < 8:
        _simctl(control, {"cmd": "alarm", "acronym": "A02", "on": on})
        on = not on
        await asyncio.sleep(0.4)
    committed = _counts(database)
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.wait(10)

    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    after = _counts(database)
    for table, count in committed.items():
        assert after[table] >= count, table
        first, last, total = connection.execute(f"SELECT min(id), max(id), count(*) FROM {table}").fetchone()
        assert total == last - first + 1, f"{table}: a record before the last committed one is missing"
    (last_history,) = connection.execute("SELECT max(id) FROM history").fetchone()
    (last_event,) = connection.execute("SELECT max(id) FROM netvision_events").fetchone()
    connection.close()

    run_daemon()

    def resumed() -> bool:
        reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
        try:
            new_history = reader.execute(
                "SELECT count(*) FROM history WHERE id > ?", (last_history,)
            ).fetchone()[0]
            restarts = reader.execute(
                "SELECT count(*) FROM netvision_events WHERE id > ? AND event = 'nv.agent_restart'",
                (last_event,),
            ).fetchone()[0]
        finally:
            reader.close()
        return new_history >= 2 and restarts == 1

    await wait_for(resumed, timeout=60, interval=0.1)
