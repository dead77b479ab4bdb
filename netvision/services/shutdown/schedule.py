"""The weekly (EN §16.5) and special day (EN §16.6) shutdown schedules as time windows.

Pure code. A row gives a window [shutdown, restart): the "Weekly Schedule" or "Special
Day" shutdown event (§16.8) is present while the current time is inside a window of an
enabled row. The rows speak in local wall time (the configured time zone, the zone of
``now_local``); the windows are returned as UTC instants, like the procedure's own times
(status.py), so that comparing them never trips on a repeated wall hour.

Robust to clock changes and daylight saving time:

- Membership is evaluated from the current time, not from a remembered "start" tick: a
  clock that jumps forward by less than the window's length still lands inside it, so
  the run is not missed. A clock that jumps backward into a window already served would
  make the event present again; the second run is prevented by the procedure's memory of
  its completed shutdown (it waits for the event to clear), not here.
- A wall time that does not exist (the spring-forward gap, 02:30 on the last Sunday of
  March in Europe/Paris) counts from the first instant after the gap (03:00 CEST).
- A wall time that happens twice (fall back) uses its first occurrence (fold=0).

Choices (docs/decisions.md):

- A weekly row with the RESTART day "disabled" has no scheduled restart: its window lasts
  :data:`NO_RESTART_HOLD` (24 h, longer than the longest warning period, 999 min) and is
  marked ``restart=False`` so the procedure leaves the UPS output off at its end. An
  unbounded window would make the event present at once, and forever, from the moment
  the row is saved.
- A weekly row whose restart is the same day and time as its shutdown shuts nothing down
  (:func:`shuts_nothing`): the web page and API refuse it; one that comes another way (an
  SNMP set, which writes one column at a time, or the file) is not used (an empty window
  rather than a whole week of shutdown).
- A weekly row whose restart is earlier the same day than its shutdown restarts a week later
  (:func:`restart_next_week`): the page says so next to the row.
- Overlapping or touching windows merge: the event is present from the first shutdown to
  the last restart of the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ...settings.models import WEEK_DAYS, SpecialDayRow, WeeklyScheduleRow

# How long a weekly window without a restart day lasts (see the module's choices).
NO_RESTART_HOLD = timedelta(hours=24)
WEEK = timedelta(days=7)
# Weeks of weekly windows looked at around now: a window lasts less than a week, so two
# weeks on each side hold every window that contains now or comes next, and chains of
# touching windows up to that horizon.
_WEEKS_AROUND = 2

ScheduleRow = WeeklyScheduleRow | SpecialDayRow


@dataclass(frozen=True)
class Window:
    """One shutdown period: the event is present for ``start <= now < end`` (UTC instants)."""

    start: datetime
    end: datetime
    # False when the row names no restart (weekly RESTART day "disabled"): at the end the
    # servers and the UPS output are not restarted by the schedule.
    restart: bool = True

    def contains(self, now: datetime) -> bool:
        instant = now.astimezone(UTC)
        return self.start <= instant < self.end


def _hh_mm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def resolve_wall_time(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant of a local wall time: fold=0 when it happens twice, the first
    instant after the gap when it does not exist."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In the gap: with fold=0 the zone reads the wall time with the offset from before
    # the change, which lands after the change; with fold=1, before it. The change lies
    # in between: find it to the second.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(before, first), max(before, first)
    after_offset = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high


def _zone(now_local: datetime) -> tzinfo:
    if now_local.tzinfo is None:
        raise ValueError("now_local must be an aware datetime in the configured time zone")
    return now_local.tzinfo


def shuts_nothing(row: WeeklyScheduleRow) -> bool:
    """A used weekly row whose restart is the same day and time as its shutdown."""
    return (
        row.shutdown_day != "disabled"
        and row.restart_day == row.shutdown_day
        and _hh_mm(row.restart_time) == _hh_mm(row.shutdown_time)
    )


def restart_next_week(row: WeeklyScheduleRow) -> bool:
    """A used weekly row whose restart is earlier the same day than its shutdown: the restart
    is the next week's."""
    return (
        row.shutdown_day != "disabled"
        and row.restart_day == row.shutdown_day
        and _hh_mm(row.restart_time) < _hh_mm(row.shutdown_time)
    )


def restart_days(row: WeeklyScheduleRow) -> int:
    """Days from a weekly row's shutdown to its restart: 0 to 6, 7 for a restart earlier the
    same day (next week's). The row must have a restart day and not shut nothing down."""
    days = (WEEK_DAYS.index(row.restart_day) - WEEK_DAYS.index(row.shutdown_day)) % 7
    return 7 if restart_next_week(row) else days


def weekly_windows(rows: Iterable[WeeklyScheduleRow], now_local: datetime) -> list[Window]:
    """The windows of the used weekly rows whose shutdown falls within two weeks of now."""
    zone = _zone(now_local)
    today = now_local.date()
    monday = today - timedelta(days=today.weekday())
    found: list[Window] = []
    for row in rows:
        if row.shutdown_day == "disabled":
            continue  # §16.5: "Disabled" = the row is not used
        shutdown_index = WEEK_DAYS.index(row.shutdown_day)
        if shuts_nothing(row):
            continue  # same day and time: the row is not used
        shutdown_at = _hh_mm(row.shutdown_time)
        restart_at = _hh_mm(row.restart_time)
        days = restart_days(row) if row.restart_day != "disabled" else 0
        for week in range(-_WEEKS_AROUND, _WEEKS_AROUND + 1):
            shutdown_day = monday + timedelta(days=7 * week + shutdown_index)
            start = resolve_wall_time(shutdown_day, shutdown_at, zone)
            if row.restart_day == "disabled":
                found.append(Window(start, start + NO_RESTART_HOLD, restart=False))
                continue
            end = resolve_wall_time(shutdown_day + timedelta(days=days), restart_at, zone)
            if end > start:  # a period inside a spring-forward gap is empty
                found.append(Window(start, end))
    return found


def special_day_windows(rows: Iterable[SpecialDayRow], now_local: datetime) -> list[Window]:
    """The windows of the used special day rows (a row without a shutdown date is unused)."""
    zone = _zone(now_local)
    found: list[Window] = []
    for row in rows:
        if not row.shutdown_date or not row.restart_date:
            continue
        start = resolve_wall_time(date.fromisoformat(row.shutdown_date), _hh_mm(row.shutdown_time), zone)
        end = resolve_wall_time(date.fromisoformat(row.restart_date), _hh_mm(row.restart_time), zone)
        if end > start:  # a period inside a spring-forward gap is empty
            found.append(Window(start, end))
    return found


def windows(rows: Sequence[ScheduleRow], now_local: datetime) -> list[Window]:
    """Every window of the rows (weekly or special day), merged where they overlap or
    touch, in time order."""
    weekly = [row for row in rows if isinstance(row, WeeklyScheduleRow)]
    special = [row for row in rows if isinstance(row, SpecialDayRow)]
    found = sorted(
        weekly_windows(weekly, now_local) + special_day_windows(special, now_local),
        key=lambda window: (window.start, window.end),
    )
    merged: list[Window] = []
    for window in found:
        if merged and window.start <= merged[-1].end:
            last = merged[-1]
            if window.end > last.end:
                merged[-1] = Window(last.start, window.end, window.restart)
            elif window.end == last.end:
                merged[-1] = Window(last.start, last.end, last.restart or window.restart)
            continue
        merged.append(window)
    return merged


def active_window(rows: Sequence[ScheduleRow], now_local: datetime) -> Window | None:
    """The window the current time is in (the event is present), or None."""
    for window in windows(rows, now_local):
        if window.contains(now_local):
            return window
    return None


def next_window(rows: Sequence[ScheduleRow], now_local: datetime) -> Window | None:
    """The first window that starts after now: the next scheduled shutdown."""
    instant = now_local.astimezone(UTC)
    for window in windows(rows, now_local):
        if window.start > instant:
            return window
    return None


def next_change(rows: Sequence[ScheduleRow], now_local: datetime) -> datetime | None:
    """When the event next appears or clears (UTC): the end of the window now is in,
    else the start of the next one; None when no row is used."""
    active = active_window(rows, now_local)
    if active is not None:
        return active.end
    upcoming = next_window(rows, now_local)
    return upcoming.start if upcoming is not None else None
