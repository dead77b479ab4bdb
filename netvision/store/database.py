"""The logs database: SQLite in WAL mode, one writer thread, one reader thread.

The event loop never runs SQL. Writes are queued and committed in batches by
the writer thread (one transaction per batch); queries and CSV exports run on a
reader thread with its own connection, which WAL lets read while the writer
writes. Pruning deletes in small chunks, each its own job, so inserts are
never held up for long.

Durability: WAL with ``synchronous=NORMAL`` keeps every committed transaction
across a crash or kill of the process (a power cut may lose the last ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import logging
import shutil
import sqlite3
import time as _time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Generic, TypeVar

from ..events.bus import Event, Severity
from . import schema
from .columns import (
    DEVICE_STS,
    DEVICE_UPS,
    EXTENDED,
    EXTENDED_KEYS,
    HISTORY_KEYS,
    STS_HISTORY,
    UPS_HISTORY,
    UPS_HISTORY_EXTRA,
    from_tenths,
    history_columns,
    to_tenths,
)
from .schema import LOG_NAMES, TABLES
from .timefmt import from_micros, to_display, to_micros

log = logging.getLogger("netvision.store")

SEVERITIES = (Severity.INFORMATION, Severity.WARNING, Severity.CRITICAL)
EVENT_LOGS = ("ups", "netvision")
MINIMUM_RECORDS = 2048  # the card keeps 2048 records per log (§21.1, §21.2): never prune below
PRUNE_CHUNK = 2000
EXPORT_CHUNK = 5000

T = TypeVar("T")


@dataclass(frozen=True)
class EventRecord:
    id: int
    time: datetime  # UTC
    severity: Severity
    event: str  # catalogue id
    text_en: str
    text_fr: str
    unit: int = 0
    acronym: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str = "en") -> str:
        return self.text_fr if language == "fr" else self.text_en


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    time: datetime
    device: int  # DEVICE_UPS | DEVICE_STS
    values: Mapping[str, float | None]


@dataclass(frozen=True)
class ExtendedRecord:
    id: int
    start: datetime
    end: datetime
    samples: int
    minimum: Mapping[str, float | None]
    average: Mapping[str, float | None]
    maximum: Mapping[str, float | None]


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Statistics:
    """min / avg / max of one measurement over an extended log interval."""

    minimum: float
    average: float
    maximum: float


class StoreError(Exception):
    """A request the store cannot answer (unknown log, bad page…)."""


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _healthy(connection: sqlite3.Connection) -> bool:
    try:
        row = connection.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError:
        return False
    return bool(row) and row[0] == "ok"


def _event_row(event: Event) -> tuple[Any, ...]:
    data = json.dumps(dict(event.data), default=str, ensure_ascii=False) if event.data else None
    return (
        to_micros(event.time),
        event.severity.rank,
        event.id,
        event.text_en,
        event.text_fr,
        event.unit,
        event.acronym,
        data,
    )


def _check_log(name: str, allowed: Sequence[str] = LOG_NAMES) -> str:
    if name not in allowed:
        raise StoreError(f"unknown log {name!r} (expected one of {', '.join(allowed)})")
    return name


def _check_page(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= 10000:
        raise StoreError("page must be ≥ 1 and per_page between 1 and 10000")


class LogStore:
    """The four logs of §21: UPS events, NET VISION events, history, extended history."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="netvision-store-writer")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="netvision-store-reader")
        self._write_connection: sqlite3.Connection | None = None
        self._read_connection: sqlite3.Connection | None = None
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        self._wake: asyncio.Event | None = None
        self._flusher: asyncio.Task[None] | None = None
        self.written = 0
        self.failed_writes = 0
        self.closed = False

    # ----------------------------------------------------------------- lifecycle

    async def open(self) -> list[str]:
        """Open (create, migrate, repair) the database; returns the logs re-created."""
        loop = asyncio.get_running_loop()
        recreated = await loop.run_in_executor(self._writer, self._open_writer)
        await loop.run_in_executor(self._reader, self._open_reader)
        self._wake = asyncio.Event()
        self._flusher = asyncio.create_task(self._flush_forever(), name="store-writer")
        return recreated

    def _open_writer(self) -> list[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection: sqlite3.Connection | None = None
        try:
            connection = _connect(self.path)
            healthy = _healthy(connection)
        except sqlite3.DatabaseError:
            healthy = False
        if not healthy:
            # Unreadable file: keep it aside for inspection and start afresh.
            if connection is not None:
                connection.close()
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(_time.time())}")
            log.error("logs database %s is damaged; moved to %s and re-created", self.path, aside)
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{self.path}{suffix}")
                if source.exists():
                    shutil.move(source, f"{aside}{suffix}")
            connection = _connect(self.path)
            schema.prepare(connection)
            self._write_connection = connection
            return list(LOG_NAMES)
        assert connection is not None
        self._write_connection = connection
        return schema.prepare(connection)

    def _open_reader(self) -> None:
        self._read_connection = _connect(self.path)

    async def close(self) -> None:
        """Write what is queued, then close both connections."""
        if self.closed:
            return
        await self.flush()
        self.closed = True
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self._close_connection, "_write_connection")
        await loop.run_in_executor(self._reader, self._close_connection, "_read_connection")
        self._writer.shutdown(wait=True)
        self._reader.shutdown(wait=True)

    def _close_connection(self, name: str) -> None:
        connection = getattr(self, name)
        if connection is not None:
            if name == "_write_connection":
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            setattr(self, name, None)

    # -------------------------------------------------------------------- writing

    def add_event(self, event: Event) -> None:
        """Queue an event of the UPS or NET VISION log; other events are ignored."""
        if event.log in EVENT_LOGS:
            self._queue(event.log, _event_row(event))

    def add_history(
        self, time: datetime, values: Mapping[str, float | None], device: int = DEVICE_UPS
    ) -> None:
        self._queue(
            "history", (to_micros(time), device, *(to_tenths(values.get(key)) for key in HISTORY_KEYS))
        )

    def add_extended(
        self, start: datetime, end: datetime, samples: int, statistics: Mapping[str, Statistics | None]
    ) -> None:
        row: list[Any] = [to_micros(start), to_micros(end), samples]
        for key in EXTENDED_KEYS:
            stat = statistics.get(key)
            if stat is None:
                row += [None, None, None]
            else:
                row += [to_tenths(stat.minimum), to_tenths(stat.average), to_tenths(stat.maximum)]
        self._queue("extended", tuple(row))

    def _queue(self, name: str, row: tuple[Any, ...]) -> None:
        if self.closed:
            return
        self._pending.append((name, row))
        if self._wake is not None:
            self._wake.set()

    async def _flush_forever(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._write_pending()

    async def _write_pending(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._writer, self._write_batch, batch)
        except Exception:  # a full disk or a broken file must not stop the writer task
            self.failed_writes += len(batch)
            log.exception("could not write %d log records", len(batch))

    async def flush(self) -> None:
        """Return once every record queued so far is committed."""
        if self.closed:
            return
        await self._write_pending()
        # The single writer runs jobs in order: an empty job ends after the earlier ones.
        await asyncio.get_running_loop().run_in_executor(self._writer, lambda: None)

    def _write_batch(self, batch: list[tuple[str, tuple[Any, ...]]]) -> None:
        connection = self._write_connection
        assert connection is not None
        grouped: dict[str, list[tuple[Any, ...]]] = {}
        for name, row in batch:
            grouped.setdefault(name, []).append(row)
        connection.execute("BEGIN IMMEDIATE")
        try:
            for name, rows in grouped.items():
                columns = schema.expected_columns(name)[1:]
                placeholders = ", ".join("?" for _ in columns)
                connection.executemany(
                    f"INSERT INTO {TABLES[name]} ({', '.join(columns)}) VALUES ({placeholders})", rows
                )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        self.written += len(batch)

    async def _write(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writer, function, *args)

    async def _read(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._reader, function, *args)

    # -------------------------------------------------------------- clear, prune

    async def clear(self, name: str) -> int:
        """Delete every record of one log; returns how many. The caller logs the
        "… log cleared" event (§21.4) so that it survives the clear."""
        _check_log(name)
        await self.flush()
        return int(await self._write(self._clear, TABLES[name]))

    def _clear(self, table: str) -> int:
        connection = self._write_connection
        assert connection is not None
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        connection.execute(f"DELETE FROM {table}")
        return int(count)

    async def prune(self, name: str, older_than: datetime, keep: int = MINIMUM_RECORDS) -> int:
        """Delete records of ``name`` older than ``older_than`` in chunks, always keeping
        the newest ``keep`` records; returns how many were deleted."""
        _check_log(name)
        table = TABLES[name]
        column = "start_us" if name == "extended" else "time_us"
        cutoff = to_micros(older_than)
        deleted = 0
        while True:
            count = await self._write(self._prune_chunk, table, column, cutoff, keep)
            deleted += count
            if count < PRUNE_CHUNK:
                return deleted
            await asyncio.sleep(0)  # let queued inserts and the loop run between chunks

    def _prune_chunk(self, table: str, column: str, cutoff: int, keep: int) -> int:
        connection = self._write_connection
        assert connection is not None
        (last,) = connection.execute(f"SELECT max(id) FROM {table}").fetchone()
        if last is None:
            return 0
        cursor = connection.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {column} < ? AND id <= ? "
            f"ORDER BY id LIMIT {PRUNE_CHUNK})",
            (cutoff, last - keep),
        )
        return int(cursor.rowcount)

    # -------------------------------------------------------------------- queries

    async def count(self, name: str) -> int:
        table = TABLES[_check_log(name)]
        return int(
            await self._read(
                lambda: self._reader_connection().execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            )
        )

    def _reader_connection(self) -> sqlite3.Connection:
        assert self._read_connection is not None, "the store is not open"
        return self._read_connection

    async def events(
        self,
        name: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        levels: Iterable[Severity] | None = None,
        sort: str = "time",
        descending: bool = True,
        page: int = 1,
        per_page: int = 5,
    ) -> Page[EventRecord]:
        """One page of the UPS or NET VISION events log (§21.3, §21.4): newest first by
        default (the manual shows the last records), sortable by time or severity,
        filtered by a time range [start, end) and by levels."""
        _check_log(name, EVENT_LOGS)
        if sort not in ("time", "severity"):
            raise StoreError("sort must be 'time' or 'severity'")
        _check_page(page, per_page)
        where, parameters = self._where("time_us", start, end)
        if levels is not None:
            ranks = sorted({Severity(level).rank for level in levels})
            where.append(f"severity IN ({', '.join('?' for _ in ranks)})" if ranks else "0")
            parameters += ranks
        direction = "DESC" if descending else "ASC"
        order = f"severity {direction}, id {direction}" if sort == "severity" else f"id {direction}"
        columns = "id, time_us, severity, event, text_en, text_fr, unit, acronym, data"
        return await self._select_page(
            TABLES[name], columns, where, parameters, order, page, per_page, self._event_record
        )

    async def _select_page(
        self,
        table: str,
        columns: str,
        where: list[str],
        parameters: list[Any],
        order: str,
        page: int,
        per_page: int,
        convert: Callable[[Sequence[Any]], Any],
    ) -> Page[Any]:
        """Page ``page`` of the rows of ``table`` that match ``where``, in ``order``, and how
        many rows match in all (the pages' "N records")."""
        clause = f"WHERE {' AND '.join(where)}" if where else ""

        def query() -> tuple[list[Any], int]:
            connection = self._reader_connection()
            (total,) = connection.execute(f"SELECT count(*) FROM {table} {clause}", parameters).fetchone()
            rows = connection.execute(
                f"SELECT {columns} FROM {table} {clause} ORDER BY {order} LIMIT ? OFFSET ?",
                (*parameters, per_page, (page - 1) * per_page),
            ).fetchall()
            return [convert(row) for row in rows], int(total)

        rows, total = await self._read(query)
        return Page(rows, total, page, per_page)

    @staticmethod
    def _where(column: str, start: datetime | None, end: datetime | None) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        parameters: list[Any] = []
        if start is not None:
            where.append(f"{column} >= ?")
            parameters.append(to_micros(start))
        if end is not None:
            where.append(f"{column} < ?")
            parameters.append(to_micros(end))
        return where, parameters

    @staticmethod
    def _event_record(row: Sequence[Any]) -> EventRecord:
        identifier, time_us, severity, event, text_en, text_fr, unit, acronym, data = row
        return EventRecord(
            id=identifier,
            time=from_micros(time_us),
            severity=SEVERITIES[severity],
            event=event,
            text_en=text_en,
            text_fr=text_fr,
            unit=unit,
            acronym=acronym,
            data=json.loads(data) if data else {},
        )

    async def history(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        descending: bool = True,
        page: int = 1,
        per_page: int = 5,
    ) -> Page[HistoryRecord]:
        """One page of the history log (§21.1 table view), in record order."""
        return await self._page("history", "time_us", start, end, descending, page, per_page)

    async def extended(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        descending: bool = True,
        page: int = 1,
        per_page: int = 5,
    ) -> Page[ExtendedRecord]:
        """One page of the extended history log (§21.2 table view)."""
        return await self._page("extended", "start_us", start, end, descending, page, per_page)

    async def _page(
        self,
        name: str,
        column: str,
        start: datetime | None,
        end: datetime | None,
        descending: bool,
        page: int,
        per_page: int,
    ) -> Page[Any]:
        _check_page(page, per_page)
        where, parameters = self._where(column, start, end)
        direction = "DESC" if descending else "ASC"
        columns = ", ".join(schema.expected_columns(name))
        convert = self._history_record if name == "history" else self._extended_record
        return await self._select_page(
            TABLES[name], columns, where, parameters, f"id {direction}", page, per_page, convert
        )

    async def history_series(
        self,
        start: datetime,
        end: datetime,
        keys: Sequence[str] | None = None,
        max_points: int | None = None,
    ) -> list[HistoryRecord]:
        """Every history record in [start, end), by time, for a graph (§21.1).

        ``keys``: the measurements wanted; by default those of the device kind of the
        latest record (the UPS list and the global load, or the STS list).
        ``max_points``: at most about this many records, taken at even steps of the
        record order (:meth:`_sample_ids`), so that a long range costs no more than a short one."""

        def query() -> list[HistoryRecord]:
            connection = self._reader_connection()
            wanted = list(keys) if keys is not None else self._device_keys(self._latest_device())
            unknown = [key for key in wanted if key not in HISTORY_KEYS]
            if unknown:
                raise StoreError(f"not a history measurement: {', '.join(unknown)}")
            selected = ", ".join(["id", "time_us", "device", *wanted])
            window = (to_micros(start), to_micros(end))
            picked, ids = self._sample_ids(connection, "history", "time_us", *window, max_points)
            rows = connection.execute(
                f"SELECT {selected} FROM history WHERE time_us >= ? AND time_us < ? {picked} ORDER BY time_us, id",
                (*window, *ids),
            )
            return [
                HistoryRecord(
                    row[0],
                    from_micros(row[1]),
                    row[2],
                    {
                        key: (None if value is None else value / 10)
                        for key, value in zip(wanted, row[3:], strict=True)
                    },
                )
                for row in rows
            ]

        return list(await self._read(query))

    @staticmethod
    def _device_keys(device: int) -> list[str]:
        if device == DEVICE_STS:
            return [column.key for column in STS_HISTORY]
        return [column.key for column in (*UPS_HISTORY, *UPS_HISTORY_EXTRA)]

    async def extended_series(
        self, start: datetime, end: datetime, max_points: int | None = None
    ) -> list[ExtendedRecord]:
        """Every extended record whose interval overlaps [start, end), for a graph (§21.2);
        ``max_points`` as for :meth:`history_series`."""
        columns = ", ".join(schema.expected_columns("extended"))

        def query() -> list[ExtendedRecord]:
            connection = self._reader_connection()
            window = (to_micros(start), to_micros(end))
            picked, ids = self._sample_ids(connection, "extended", "start_us", *window, max_points)
            rows = connection.execute(
                f"SELECT {columns} FROM extended WHERE start_us < ? AND end_us >= ? {picked} ORDER BY start_us, id",
                (window[1], window[0], *ids),
            )
            return [self._extended_record(row) for row in rows]

        return list(await self._read(query))

    @staticmethod
    def _sample_ids(
        connection: sqlite3.Connection,
        table: str,
        column: str,
        start_us: int,
        end_us: int,
        max_points: int | None,
    ) -> tuple[str, tuple[int, ...]]:
        """A condition keeping about ``max_points`` records of [start, end) at even steps of id.

        Records are added in time order, so ids step evenly through the range. The first and
        the last id come from the time index and the picked ids are looked up one by one: the
        cost depends on ``max_points``, not on how many records the range holds."""
        if not max_points:
            return "", ()
        first = connection.execute(
            f"SELECT id FROM {table} WHERE {column} >= ? ORDER BY {column}, id LIMIT 1", (start_us,)
        ).fetchone()
        last = connection.execute(
            f"SELECT id FROM {table} WHERE {column} < ? ORDER BY {column} DESC, id DESC LIMIT 1", (end_us,)
        ).fetchone()
        if first is None or last is None:
            return "", ()
        low, high = sorted((first[0], last[0]))  # a clock set back: ids and times disagree
        if high - low < max_points:
            return "", ()
        step = -(-(high - low + 1) // max_points)
        condition = (
            "AND id IN (WITH RECURSIVE pick(n) AS (SELECT ? UNION ALL SELECT n + ? FROM pick WHERE n + ? <= ?) "
            "SELECT n FROM pick UNION SELECT ?)"
        )
        return condition, (low, step, step, high, high)

    @staticmethod
    def _history_record(row: Sequence[Any]) -> HistoryRecord:
        values = {key: from_tenths(value) for key, value in zip(HISTORY_KEYS, row[3:], strict=True)}
        return HistoryRecord(row[0], from_micros(row[1]), row[2], values)

    @staticmethod
    def _extended_record(row: Sequence[Any]) -> ExtendedRecord:
        stats = row[4:]
        minimum, average, maximum = {}, {}, {}
        for index, key in enumerate(EXTENDED_KEYS):
            minimum[key] = from_tenths(stats[3 * index])
            average[key] = from_tenths(stats[3 * index + 1])
            maximum[key] = from_tenths(stats[3 * index + 2])
        return ExtendedRecord(
            row[0], from_micros(row[1]), from_micros(row[2]), row[3], minimum, average, maximum
        )

    # ------------------------------------------------------------------ CSV export

    async def export_csv(
        self,
        name: str,
        *,
        time_zone: str = "UTC",
        dst: str = "auto",
        iso: bool = False,
        language: str = "en",
        temperature_unit: str = "C",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> AsyncIterator[str]:
        """The log as CSV text, oldest record first, yielded in chunks of a few
        thousand rows: memory stays flat however long the log is (§21.5)."""
        _check_log(name)
        formatter = _CsvFormatter(name, time_zone, dst, iso, language, temperature_unit)
        column = "start_us" if name == "extended" else "time_us"
        table = TABLES[name]
        columns = ", ".join(schema.expected_columns(name))
        where, parameters = self._where(column, start, end)
        if name == "history":
            formatter.device = await self._read(self._latest_device)
        yield formatter.header()
        last_id = 0
        while True:

            def chunk(after: int = last_id) -> tuple[str, int, int]:
                clause = " AND ".join(["id > ?", *where])
                rows = (
                    self._reader_connection()
                    .execute(
                        f"SELECT {columns} FROM {table} WHERE {clause} ORDER BY id LIMIT {EXPORT_CHUNK}",
                        (after, *parameters),
                    )
                    .fetchall()
                )
                return formatter.rows(rows), len(rows), rows[-1][0] if rows else after

            text, count, last_id = await self._read(chunk)
            if text:
                yield text
            if count < EXPORT_CHUNK:
                return

    def _latest_device(self) -> int:
        row = (
            self._reader_connection()
            .execute("SELECT device FROM history ORDER BY id DESC LIMIT 1")
            .fetchone()
        )
        return int(row[0]) if row else DEVICE_UPS


def _temperature(value: float | None, unit: str) -> float | None:
    if value is None or unit != "F":
        return value
    return round(value * 9 / 5 + 32, 1)


def _number(value: float | None) -> str:
    """-1 where the UPS does not manage the measurement (§11.2.4)."""
    if value is None:
        return "-1"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _tenths_text(tenths: int | None) -> str:
    """A stored value (tenths) as text without going through floats: 2305 -> "230.5"."""
    if tenths is None:
        return "-1"
    whole, tenth = divmod(abs(tenths), 10)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{whole}" if not tenth else f"{sign}{whole}.{tenth}"


LEVEL_LABELS = {
    "en": ("Information", "Warning", "Critical"),
    "fr": ("Information", "Avertissement", "Critique"),
}


class _CsvFormatter:
    """Rows of one log → CSV text, with the columns the manual's tables show (§21)."""

    def __init__(
        self, name: str, time_zone: str, dst: str, iso: bool, language: str, temperature_unit: str
    ) -> None:
        self.name = name
        self.time_zone, self.dst, self.iso = time_zone, dst, iso
        self.language = "fr" if language == "fr" else "en"
        self.temperature_unit = temperature_unit
        self.device = DEVICE_UPS
        self._offsets: dict[int, timedelta] = {}

    def _time(self, micros: int) -> str:
        # Converting each row through the zone database is the slow part of a long
        # export; the offset is the same for a whole quarter of an hour.
        quarter = micros // 900_000_000  # zone offsets change on quarter hours at most
        offset = self._offsets.get(quarter)
        if offset is None:
            moment = from_micros(micros)
            offset = to_display(moment, self.time_zone, self.dst).utcoffset() or timedelta(0)
            if len(self._offsets) > 10_000:
                self._offsets.clear()
            self._offsets[quarter] = offset
        local = from_micros(micros).astimezone(timezone(offset)) if self.iso else from_micros(micros) + offset
        if self.iso:
            return local.isoformat(timespec="seconds")
        return (
            f"{local.day:02d}/{local.month:02d}/{local.year:04d} "
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
        )

    def _write(self, rows: Iterable[Sequence[Any]]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue()

    def header(self) -> str:
        french = self.language == "fr"
        if self.name in EVENT_LOGS:
            if french:
                return self._write(
                    [["Date/heure événement", "Niveau d'événement", "Description de l'événement"]]
                )
            return self._write([["Event Time", "Event Level", "Event Description"]])
        if self.name == "history":
            columns = history_columns(self.device)
            time_label = "Date/heure" if french else "Date time"
            return self._write(
                [[time_label, *(c.label(self.language, self.temperature_unit) for c in columns)]]
            )
        first = ["Heure de démarrage", "Heure de fin"] if french else ["Start time", "End time"]
        stats = ("Min", "Max", "Moy.") if french else ("Min", "Max", "Avg")
        labels = [
            f"{column.label(self.language, self.temperature_unit)} {stat}"
            for column in EXTENDED
            for stat in stats
        ]
        return self._write([[*first, *labels]])

    def rows(self, rows: Sequence[Sequence[Any]]) -> str:
        if self.name in EVENT_LOGS:
            levels = LEVEL_LABELS[self.language]
            text = 5 if self.language == "fr" else 4
            return self._write([[self._time(row[1]), levels[row[2]], row[text]] for row in rows])
        if self.name == "history":
            columns = history_columns(self.device)
            positions = [HISTORY_KEYS.index(column.key) + 3 for column in columns]
            if self.temperature_unit == "F":
                units = [column.unit for column in columns]
                return self._write(
                    [
                        [
                            self._time(row[1]),
                            *(
                                _number(self._convert(from_tenths(row[position]), unit))
                                for position, unit in zip(positions, units, strict=True)
                            ),
                        ]
                        for row in rows
                    ]
                )
            return self._write(
                [
                    [self._time(row[1]), *(_tenths_text(row[position]) for position in positions)]
                    for row in rows
                ]
            )
        out = []
        for row in rows:
            cells = [self._time(row[1]), self._time(row[2])]
            for index, column in enumerate(EXTENDED):
                low, mean, high = row[4 + 3 * index : 7 + 3 * index]
                # The manual's column order is Min, Max, Avg (§21.2).
                for value in (low, high, mean):
                    cells.append(_number(self._convert(from_tenths(value), column.unit)))
            out.append(cells)
        return self._write(out)

    def _convert(self, value: float | None, unit: str) -> float | None:
        return _temperature(value, self.temperature_unit) if unit == "°C" else value


__all__ = [
    "DEVICE_STS",
    "DEVICE_UPS",
    "EventRecord",
    "ExtendedRecord",
    "HistoryRecord",
    "LogStore",
    "Page",
    "Statistics",
    "StoreError",
]
