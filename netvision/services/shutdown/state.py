"""The shutdown procedure's state file (``shutdown-state.json`` in the data directory).

Written at each change of the procedure, read at start: a restart of the gateway in the
middle of a warning period resumes it with the time left (the deadline is kept in UTC),
a shutdown already sent is neither forgotten nor repeated, and a restart of the UPS
output pending after a shut-off still comes. A missing or unreadable file is a procedure
at rest.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...fileio import atomic_write
from .status import IDLE, Phase, ShutdownStatus, UpsShutOff

log = logging.getLogger("netvision.shutdown")

STATE_FILE = "shutdown-state.json"
VERSION = 1
_TIMES = ("started", "deadline", "shutdown_sent", "next_warning", "ups_off_at", "restart_at", "cancel_at")


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_json(status: ShutdownStatus) -> dict[str, Any]:
    return {
        "version": VERSION,
        "phase": status.phase.value,
        "event": status.event,
        "test": status.test,
        **{name: _time(getattr(status, name)) for name in _TIMES},
        "warnings_sent": status.warnings_sent,
        "ups_shut_off": status.ups_shut_off.value,
        "shut_off_error": status.shut_off_error,
        "present_since": [[name, _time(since)] for name, since in status.present_since],
        "completed": sorted(status.completed),
        "clients_seen": status.clients_seen,
    }


def from_json(data: dict[str, Any]) -> ShutdownStatus:
    """The status a state file holds (ValueError, KeyError, TypeError when it is not one)."""
    if data.get("version") != VERSION:
        raise ValueError(f"unknown state file version {data.get('version')!r}")
    present: list[tuple[str, datetime]] = []
    for name, since in data.get("present_since", []):
        moment = _parse_time(since)
        if moment is not None:
            present.append((str(name), moment))
    return ShutdownStatus(
        phase=Phase(data["phase"]),
        event=str(data.get("event", "")),
        test=bool(data.get("test", False)),
        **{name: _parse_time(data.get(name)) for name in _TIMES},
        warnings_sent=int(data.get("warnings_sent", 0)),
        ups_shut_off=UpsShutOff(data.get("ups_shut_off", "none")),
        shut_off_error=str(data.get("shut_off_error", "")),
        present_since=tuple(present),
        completed=frozenset(str(name) for name in data.get("completed", [])),
        clients_seen=bool(data.get("clients_seen", False)),
    )


def load(data_dir: Path) -> ShutdownStatus:
    path = state_path(data_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return IDLE
    except OSError as error:
        log.warning("shutdown state %s not readable: %s", path, error)
        return IDLE
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return from_json(data)
    except (ValueError, KeyError, TypeError) as error:
        log.warning("shutdown state %s ignored: %s", path, error)
        return IDLE


def save(data_dir: Path, status: ShutdownStatus) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_json(status), indent=1, sort_keys=True) + "\n"
    atomic_write(state_path(data_dir), text.encode())
