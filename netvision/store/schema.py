"""The logs database schema, versioned per log.

Each log (``ups``, ``netvision``, ``history``, ``extended``) has its own table
and its own version in ``schema_versions``. On open, an older version is
migrated step by step (``MIGRATIONS``); a log whose version is unknown (newer
than this program, or with no migration path) or whose table is damaged is
re-created, and the daemon logs "… schema changed. Log has been re-created."
(§21.4).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .columns import EXTENDED_KEYS, HISTORY_KEYS

LOG_NAMES: tuple[str, ...] = ("ups", "netvision", "history", "extended")
TABLES: dict[str, str] = {
    "ups": "ups_events",
    "netvision": "netvision_events",
    "history": "history",
    "extended": "extended",
}
VERSIONS: dict[str, int] = {"ups": 1, "netvision": 1, "history": 1, "extended": 1}

# log -> {from_version: step that brings the table to from_version + 1}. A step runs
# inside the open transaction and must not commit.
Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: dict[str, dict[int, Migration]] = {log: {} for log in LOG_NAMES}


def _event_table(table: str) -> list[str]:
    # AUTOINCREMENT: ids never go back, even after a clear, so the record order
    # survives clock jumps (records are ordered by id, not only by time).
    return [
        f"""CREATE TABLE {table} (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time_us INTEGER NOT NULL,
            severity INTEGER NOT NULL,
            event TEXT NOT NULL,
            text_en TEXT NOT NULL,
            text_fr TEXT NOT NULL,
            unit INTEGER NOT NULL DEFAULT 0,
            acronym TEXT,
            data TEXT
        )""",
        f"CREATE INDEX {table}_time ON {table}(time_us)",
        f"CREATE INDEX {table}_severity ON {table}(severity, id)",
    ]


def create_statements(log: str) -> list[str]:
    table = TABLES[log]
    if log in ("ups", "netvision"):
        return _event_table(table)
    if log == "history":
        columns = ",\n".join(f"{key} INTEGER" for key in HISTORY_KEYS)
        return [
            f"""CREATE TABLE history (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time_us INTEGER NOT NULL,
                device INTEGER NOT NULL DEFAULT 0,
                {columns}
            )""",
            "CREATE INDEX history_time ON history(time_us)",
        ]
    columns = ",\n".join(f"{key}_{stat} INTEGER" for key in EXTENDED_KEYS for stat in ("min", "avg", "max"))
    return [
        f"""CREATE TABLE extended (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            start_us INTEGER NOT NULL,
            end_us INTEGER NOT NULL,
            samples INTEGER NOT NULL,
            {columns}
        )""",
        "CREATE INDEX extended_start ON extended(start_us)",
    ]


def expected_columns(log: str) -> list[str]:
    if log in ("ups", "netvision"):
        return ["id", "time_us", "severity", "event", "text_en", "text_fr", "unit", "acronym", "data"]
    if log == "history":
        return ["id", "time_us", "device", *HISTORY_KEYS]
    return [
        "id",
        "start_us",
        "end_us",
        "samples",
        *(f"{key}_{stat}" for key in EXTENDED_KEYS for stat in ("min", "avg", "max")),
    ]


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def _create(connection: sqlite3.Connection, log: str) -> None:
    for statement in create_statements(log):
        connection.execute(statement)
    connection.execute(
        "INSERT OR REPLACE INTO schema_versions(log, version) VALUES (?, ?)", (log, VERSIONS[log])
    )


def prepare(connection: sqlite3.Connection) -> list[str]:
    """Create, migrate or re-create every log table; returns the logs re-created
    (their data was lost). Runs in one transaction (autocommit connection)."""
    recreated: list[str] = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions (log TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        versions = dict(connection.execute("SELECT log, version FROM schema_versions").fetchall())
        for log in LOG_NAMES:
            table = TABLES[log]
            present = _columns(connection, table)
            version = versions.get(log)
            if not present:
                _create(connection, log)
                if version is not None:  # the table vanished: its records are gone
                    recreated.append(log)
                continue
            current = VERSIONS[log]
            steps = MIGRATIONS.get(log, {})
            if (
                isinstance(version, int)
                and version < current
                and all(step in steps for step in range(version, current))
            ):
                for step in range(version, current):
                    steps[step](connection)
                connection.execute("UPDATE schema_versions SET version = ? WHERE log = ?", (current, log))
                present = _columns(connection, table)
                version = current
            if version == current and present == expected_columns(log):
                continue
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            _create(connection, log)
            recreated.append(log)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return recreated
