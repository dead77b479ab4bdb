"""The daemon killed with SIGKILL while it writes logs at a high rate: the
database opens, nothing committed is lost, and logging resumes on restart."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tests.daemon_process import rows, simulator_and_daemon

TABLES = ("history", "ups_events", "netvision_events")


def _counts(database: Path) -> dict[str, int]:
    """Committed records per table, as a reader sees them now."""
    counts = {}
    for table in TABLES:
        found = rows(database, f"SELECT count(*) FROM {table}")
        if not found:
            return {}
        counts[table] = found[0][0]
    return counts


async def test_sigkill_during_logging_loses_nothing_committed_and_logging_resumes(tmp_path: Path) -> None:
    async with simulator_and_daemon(tmp_path, {"logs": {"history_interval": 1}}) as (simulator, daemon):
        database = daemon.data_dir / "logs.sqlite3"
        daemon.start()
        await daemon.wait_for(lambda: _counts(database).get("history", 0) >= 1)
        # A toggling alarm and a 1 s history interval keep the writer busy.
        on = True
        while _counts(database).get("history", 0) < 4 or _counts(database).get("ups_events", 0) < 8:
            simulator.send({"cmd": "alarm", "acronym": "A02", "on": on})
            on = not on
            await asyncio.sleep(0.4)
        committed = _counts(database)
        daemon.kill()

        connection = sqlite3.connect(database)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        after = _counts(database)
        for table, count in committed.items():
            assert after[table] >= count, table
            first, last, total = connection.execute(
                f"SELECT min(id), max(id), count(*) FROM {table}"
            ).fetchone()
            assert total == last - first + 1, f"{table}: a record before the last committed one is missing"
        (last_history,) = connection.execute("SELECT max(id) FROM history").fetchone()
        (last_event,) = connection.execute("SELECT max(id) FROM netvision_events").fetchone()
        connection.close()

        daemon.restart()

        def resumed() -> bool:
            new_history = rows(database, "SELECT count(*) FROM history WHERE id > ?", (last_history,))
            restarts = rows(
                database,
                "SELECT count(*) FROM netvision_events WHERE id > ? AND event = 'nv.agent_restart'",
                (last_event,),
            )
            return new_history[0][0] >= 2 and restarts[0][0] == 1

        await daemon.wait_for(resumed)
