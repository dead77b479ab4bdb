"""The daemon killed with SIGKILL in the middle of a warning period (EN §16.8): after the
restart the procedure goes on with the same deadline (the time left), it is neither
forgotten nor started again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.integration.test_store_sigkill import _simctl

PYTHON = sys.executable

# The daemon as `python -m netvision run`; where the shutdown events are not yet computed
# by conditions.py, "on battery" stands for AC failed.
BOOTSTRAP = """
import sys
from netvision.services.shutdown import conditions
from netvision.settings.models import ShutdownSettings
from datetime import UTC, datetime
try:
    conditions.present_events(None, ShutdownSettings(), datetime.now(UTC))
except NotImplementedError:
    def present_events(snapshot, settings, now):
        if snapshot is None or not snapshot.communicating or snapshot.system is None:
            return frozenset()
        return frozenset({"ac_failed"}) if snapshot.system.condition("on_battery") else frozenset()
    conditions.present_events = present_events
from netvision.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _config(path: Path, device: Path, data: Path) -> None:
    path.write_text(
        f"""data_dir = "{data}"

[serial]
device = "{device}"
polling_rate = 1
reconnect_delay = 0.2

[web]
http_enabled = false
https_enabled = false

[snmp]
enabled = false

[modbus_tcp]
enabled = false

[bacnet]
enabled = false

[shutdown]
enabled = true

[[shutdown.events]]
event = "ac_failed"
enabled = true
warning_period = 1
first_warning = 2
warning_interval = 2
"""
    )


def _state(data: Path) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads((data / "shutdown-state.json").read_text())
        return loaded
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


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


async def test_sigkill_in_a_warning_period_resumes_with_the_time_left(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    link, control, data = tmp_path / "ups", tmp_path / "sim.sock", tmp_path / "data"
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
            [PYTHON, "-c", BOOTSTRAP, "--log-level", "warning", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        processes.append(process)
        return process

    daemon = run_daemon()
    # The daemon answers the UPS: the state file exists once the procedure starts.
    await asyncio.sleep(1.0)
    _simctl(control, {"cmd": "scenario", "name": "mains_failure"})
    state = await wait_for(
        lambda: _state(data) if _state(data).get("warnings_sent", 0) >= 1 else None, timeout=60
    )
    assert state["phase"] == "warning" and state["event"] == "ac_failed"
    deadline = datetime.fromisoformat(state["deadline"])
    started = state["started"]
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.wait(10)
    killed_at = time.time()
    await asyncio.sleep(2.0)  # down for a while: the time left shrinks meanwhile

    run_daemon()
    # Warnings go on after the restart, against the deadline set before the kill.
    resumed = await wait_for(
        lambda: _state(data) if _state(data).get("warnings_sent", 0) > state["warnings_sent"] else None,
        timeout=60,
    )
    assert resumed["phase"] == "warning"
    assert datetime.fromisoformat(resumed["deadline"]) == deadline
    assert resumed["started"] == started
    # The time left counts the seconds the gateway was down: not a new minute.
    left = (deadline - datetime.now(UTC)).total_seconds()
    assert 0 < left <= 60 - (time.time() - killed_at)
