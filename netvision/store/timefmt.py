"""Times are stored in UTC; they are shown in the configured time zone with the
configured Daylight Saving Time rule (§18.1; FR §15.1 adds "Auto").

- ``auto``: the zone's own rules (IANA database);
- ``disabled``: the zone's standard offset all year;
- ``enabled``: the standard offset plus one hour all year (the EN manual's
  "GMT+x" with "DST Enabled").
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta, timezone, tzinfo

MANUAL_FORMAT = "%d/%m/%Y %H:%M:%S"  # dd/mm/yyyy hh:mm:ss (§21)


def _zone(time_zone: str) -> tzinfo:
    if time_zone in ("", "UTC"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def to_display(moment: datetime, time_zone: str = "UTC", dst: str = "auto") -> datetime:
    """``moment`` (aware, or naive UTC) in the display time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(_zone(time_zone))
    if dst == "auto":
        return local
    standard = (local.utcoffset() or timedelta(0)) - (local.dst() or timedelta(0))
    offset = standard + (timedelta(hours=1) if dst == "enabled" else timedelta(0))
    return moment.astimezone(timezone(offset))


def format_time(moment: datetime, time_zone: str = "UTC", dst: str = "auto", iso: bool = False) -> str:
    """The manual's ``dd/mm/yyyy hh:mm:ss``, or ISO 8601 with the UTC offset."""
    local = to_display(moment, time_zone, dst)
    return local.isoformat(timespec="seconds") if iso else local.strftime(MANUAL_FORMAT)


def from_micros(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
