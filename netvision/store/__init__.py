"""The logs of §21: UPS events, NET VISION events, history and extended history,
in one SQLite database (WAL) in the data directory."""

from .database import (
    EventRecord,
    ExtendedRecord,
    HistoryRecord,
    LogStore,
    Page,
    Statistics,
    StoreError,
)
from .recorder import LogRecorder
from .timefmt import format_time, to_display

DATABASE_NAME = "logs.sqlite3"

__all__ = [
    "DATABASE_NAME",
    "EventRecord",
    "ExtendedRecord",
    "HistoryRecord",
    "LogRecorder",
    "LogStore",
    "Page",
    "Statistics",
    "StoreError",
    "format_time",
    "to_display",
]
