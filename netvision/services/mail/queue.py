"""The mail queue on disk: SQLite in the data directory (WAL, like the logs), so a restart or
a kill -9 loses neither an event waiting for its mail nor a mail waiting for the server.

Two tables:

- ``pending_events``: events kept for a mail, until the delay before sending has passed
  and their group is composed. The mails of a group and the removal of its events are
  one transaction: an event becomes mails exactly once.
- ``mails``: composed mails, one per recipient, with their attempts and the time of the
  next one (back-off). A mail leaves the table once the server has accepted it, or when
  it is older than the configured age (dropped, with an event).

Every statement runs in one worker thread, in order: the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ...events.bus import Event, Severity

QUEUE_NAME = "mail-queue.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received REAL NOT NULL,
    event TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    recipients TEXT NOT NULL,
    message BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    last_code TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT ''
);
"""


def event_to_json(event: Event) -> str:
    return json.dumps(
        {
            "id": event.id,
            "log": event.log,
            "severity": Severity(event.severity).value,
            "time": event.time.isoformat(),
            "text_en": event.text_en,
            "text_fr": event.text_fr,
            "trap": event.trap,
            "shutdown": event.shutdown,
            "unit": event.unit,
            "acronym": event.acronym,
            "data": dict(event.data),
        },
        default=str,
        ensure_ascii=False,
    )


def event_from_json(text: str) -> Event:
    value = json.loads(text)
    return Event(
        id=value["id"],
        log=value["log"],
        severity=Severity(value["severity"]),
        time=datetime.fromisoformat(value["time"]),
        text_en=value["text_en"],
        text_fr=value["text_fr"],
        trap=value["trap"],
        shutdown=value["shutdown"],
        unit=value["unit"],
        acronym=value["acronym"],
        data=MappingProxyType(value["data"]),
    )


@dataclass(frozen=True)
class PendingEvent:
    row_id: int
    received: float  # wall clock (time.time()), so that it means the same after a restart
    event: Event


@dataclass(frozen=True)
class QueuedMail:
    row_id: int
    created: float
    kind: str  # "events" | "daily_status"
    recipients: tuple[str, ...]
    message: bytes
    attempts: int
    next_attempt: float
    last_code: str
    last_error: str


@dataclass(frozen=True)
class NewMail:
    kind: str
    recipients: tuple[str, ...]
    message: bytes


class MailQueue:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="netvision-mail-queue")
        self._connection: sqlite3.Connection | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.executescript(SCHEMA)
        self._connection = connection

    async def close(self) -> None:
        if self._connection is not None:
            await self._run(self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        assert self._connection is not None
        self._connection.close()
        self._connection = None

    async def _run(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    @property
    def _db(self) -> sqlite3.Connection:
        assert self._connection is not None, "the mail queue is not open"
        return self._connection

    # -- pending events ----------------------------------------------------------------------------

    async def add_event(self, event: Event, received: float) -> int:
        def insert() -> int:
            cursor = self._db.execute(
                "INSERT INTO pending_events (received, event) VALUES (?, ?)", (received, event_to_json(event))
            )
            return int(cursor.lastrowid or 0)

        return int(await self._run(insert))

    async def pending_events(self) -> list[PendingEvent]:
        def select() -> list[PendingEvent]:
            rows = self._db.execute("SELECT id, received, event FROM pending_events ORDER BY id").fetchall()
            return [PendingEvent(row[0], row[1], event_from_json(row[2])) for row in rows]

        return list(await self._run(select))

    async def commit_group(self, event_ids: list[int], mails: list[NewMail], now: float) -> None:
        """Queue the group's mails and forget its events, in one transaction."""

        def transaction() -> None:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for mail in mails:
                    db.execute(
                        "INSERT INTO mails (created, kind, recipients, message, next_attempt) VALUES (?, ?, ?, ?, ?)",
                        (now, mail.kind, json.dumps(list(mail.recipients)), mail.message, now),
                    )
                db.executemany("DELETE FROM pending_events WHERE id = ?", [(row_id,) for row_id in event_ids])
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

        await self._run(transaction)

    # -- mails -------------------------------------------------------------------------------------

    async def add_mails(self, mails: list[NewMail], now: float) -> None:
        await self.commit_group([], mails, now)

    async def mails(self) -> list[QueuedMail]:
        def select() -> list[QueuedMail]:
            rows = self._db.execute(
                "SELECT id, created, kind, recipients, message, attempts, next_attempt, last_code, last_error "
                "FROM mails ORDER BY id"
            ).fetchall()
            return [
                QueuedMail(row[0], row[1], row[2], tuple(json.loads(row[3])), bytes(row[4]), *row[5:])
                for row in rows
            ]

        return list(await self._run(select))

    async def delivered(self, row_id: int) -> None:
        await self._run(lambda: self._db.execute("DELETE FROM mails WHERE id = ?", (row_id,)))

    async def failed(self, row_id: int, next_attempt: float, code: str, error: str) -> None:
        await self._run(
            lambda: self._db.execute(
                "UPDATE mails SET attempts = attempts + 1, next_attempt = ?, last_code = ?, last_error = ? WHERE id = ?",
                (next_attempt, code, error[:500], row_id),
            )
        )

    async def retry_now(self, now: float, reset_attempts: bool = False) -> None:
        """New server settings, or a start: every queued mail is tried again at once."""
        if reset_attempts:
            await self._run(
                lambda: self._db.execute("UPDATE mails SET next_attempt = ?, attempts = 0", (now,))
            )
        else:
            await self._run(lambda: self._db.execute("UPDATE mails SET next_attempt = ?", (now,)))

    async def drop_older_than(self, cutoff: float) -> list[QueuedMail]:
        """Remove the mails created before ``cutoff``; returns them."""

        def transaction() -> list[QueuedMail]:
            db = self._db
            rows = db.execute(
                "SELECT id, recipients FROM mails WHERE created < ? ORDER BY id", (cutoff,)
            ).fetchall()
            db.execute("DELETE FROM mails WHERE created < ?", (cutoff,))
            return [
                QueuedMail(row[0], 0.0, "", tuple(json.loads(row[1])), b"", 0, 0.0, "", "") for row in rows
            ]

        return list(await self._run(transaction))

    async def counts(self) -> tuple[int, int]:
        def select() -> tuple[int, int]:
            events = self._db.execute("SELECT COUNT(*) FROM pending_events").fetchone()[0]
            mails = self._db.execute("SELECT COUNT(*) FROM mails").fetchone()[0]
            return int(events), int(mails)

        return tuple(await self._run(select))  # type: ignore[return-value]
