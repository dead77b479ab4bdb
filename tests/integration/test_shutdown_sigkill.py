"""The daemon killed with SIGKILL in the middle of a warning period (EN §16.8): after the
restart the procedure goes on with the same deadline (the time left), it is neither
forgotten nor started again."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.daemon_process import read_json, simulator_and_daemon

# The ac_failed row: a 1 min warning period, warnings from 2 s on every 2 s.
SHUTDOWN = {
    "enabled": True,
    "events": [
        {
            "event": "ac_failed",
            "enabled": True,
            "warning_period": 1,
            "first_warning": 2,
            "warning_interval": 2,
        }
    ],
}


async def test_sigkill_in_a_warning_period_resumes_with_the_time_left(tmp_path: Path) -> None:
    async with simulator_and_daemon(tmp_path, {"shutdown": SHUTDOWN}) as (simulator, daemon):
        state_file = daemon.data_dir / "shutdown-state.json"

        def warnings_after(count: int) -> dict[str, Any] | None:
            state = read_json(state_file)
            return state if state.get("warnings_sent", 0) > count else None

        daemon.start()
        # The daemon answers the UPS: the state file exists once the procedure starts.
        await asyncio.sleep(1.0)
        simulator.scenario("mains_failure")
        state = await daemon.wait_for(lambda: warnings_after(0))
        assert state["phase"] == "warning" and state["event"] == "ac_failed"
        deadline = datetime.fromisoformat(state["deadline"])
        started = state["started"]
        daemon.kill()
        killed_at = time.time()
        await asyncio.sleep(2.0)  # down for a while: the time left shrinks meanwhile

        daemon.restart()
        # Warnings go on after the restart, against the deadline set before the kill.
        resumed = await daemon.wait_for(lambda: warnings_after(state["warnings_sent"]))
        assert resumed["phase"] == "warning"
        assert datetime.fromisoformat(resumed["deadline"]) == deadline
        assert resumed["started"] == started
        # The time left counts the seconds the gateway was down: not a new minute.
        left = (deadline - datetime.now(UTC)).total_seconds()
        assert 0 < left <= 60 - (time.time() - killed_at)
