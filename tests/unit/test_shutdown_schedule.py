"""The weekly (EN §16.5) and special day (EN §16.6) shutdown schedules: windows in local
wall time, across the week end, daylight saving time and clock jumps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from netvision.services.shutdown.schedule import (
    NO_RESTART_HOLD,
    Window,
    active_window,
    next_change,
    next_window,
    resolve_wall_time,
    restart_days,
    restart_next_week,
    shuts_nothing,
    weekly_windows,
)
from netvision.settings.models import WEEK_DAYS, SpecialDayRow, WeeklyScheduleRow

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=PARIS, fold=fold)  # type: ignore[misc]


def weekly(shutdown_day: str, shutdown_time: str, restart_day: str = "disabled", restart_time: str = "00:00"):
    return WeeklyScheduleRow(
        shutdown_day=shutdown_day,
        shutdown_time=shutdown_time,
        restart_day=restart_day,
        restart_time=restart_time,
    )


def special(shutdown: str, restart: str) -> SpecialDayRow:
    shutdown_date, shutdown_time = shutdown.split()
    restart_date, restart_time = restart.split()
    return SpecialDayRow(
        shutdown_date=shutdown_date,
        shutdown_time=shutdown_time,
        restart_date=restart_date,
        restart_time=restart_time,
    )


# 2026-06-03 is a Wednesday.
WEDNESDAY = [weekly("wednesday", "11:00", "wednesday", "13:00")]


def test_a_weekly_window() -> None:
    window = active_window(WEDNESDAY, paris(2026, 6, 3, 12, 0))
    assert window == Window(
        paris(2026, 6, 3, 11, 0).astimezone(UTC), paris(2026, 6, 3, 13, 0).astimezone(UTC)
    )
    assert window.start.tzinfo is UTC
    assert active_window(WEDNESDAY, paris(2026, 6, 3, 11, 0)) is not None  # the shutdown time is in
    assert active_window(WEDNESDAY, paris(2026, 6, 3, 10, 59)) is None
    assert active_window(WEDNESDAY, paris(2026, 6, 3, 13, 0)) is None  # the restart time is out
    assert active_window(WEDNESDAY, paris(2026, 6, 10, 12, 0)) is not None  # every week


def test_next_change_is_the_end_or_the_next_start() -> None:
    assert next_change(WEDNESDAY, paris(2026, 6, 3, 12, 0)) == paris(2026, 6, 3, 13, 0)
    assert next_change(WEDNESDAY, paris(2026, 6, 3, 13, 0)) == paris(2026, 6, 10, 11, 0)
    assert next_change(WEDNESDAY, paris(2026, 6, 1, 8, 0)) == paris(2026, 6, 3, 11, 0)
    upcoming = next_window(WEDNESDAY, paris(2026, 6, 3, 12, 0))
    assert upcoming is not None and upcoming.start == paris(2026, 6, 10, 11, 0)


def test_unused_rows() -> None:
    rows = [weekly("disabled", "11:00", "wednesday", "13:00"), weekly("monday", "08:00", "monday", "08:00")]
    assert active_window(rows, paris(2026, 6, 3, 12, 0)) is None
    assert next_change(rows, paris(2026, 6, 3, 12, 0)) is None
    assert next_change([], paris(2026, 6, 3, 12, 0)) is None
    assert next_change([SpecialDayRow()], paris(2026, 6, 3, 12, 0)) is None


def test_a_window_over_the_week_end() -> None:
    rows = [weekly("saturday", "22:00", "monday", "06:00")]  # 2026-06-06 is a Saturday
    assert active_window(rows, paris(2026, 6, 6, 21, 59)) is None
    window = active_window(rows, paris(2026, 6, 7, 12, 0))
    assert window is not None and (window.start, window.end) == (
        paris(2026, 6, 6, 22, 0),
        paris(2026, 6, 8, 6, 0),
    )
    assert active_window(rows, paris(2026, 6, 8, 5, 59)) == window  # Monday, the next week's
    assert active_window(rows, paris(2026, 6, 8, 6, 0)) is None


def test_a_restart_earlier_the_same_day_is_next_weeks() -> None:
    rows = [weekly("monday", "10:00", "monday", "09:00")]  # 2026-06-01 is a Monday
    window = active_window(rows, paris(2026, 6, 4, 12, 0))
    assert window is not None and window.end == paris(2026, 6, 8, 9, 0)
    assert active_window(rows, paris(2026, 6, 8, 9, 30)) is None


def test_the_form_checks_of_a_weekly_row() -> None:
    """The page and the API read a row as the windows do (docs/decisions.md "Form checks")."""
    earlier = weekly("monday", "10:00", "monday", "09:00")
    assert restart_next_week(earlier) and not shuts_nothing(earlier) and restart_days(earlier) == 7
    same = weekly("monday", "10:00", "monday", "10:00")
    assert shuts_nothing(same) and not restart_next_week(same)
    assert weekly_windows([same], paris(2026, 6, 1, 10, 30)) == []  # a row from SNMP or the file: unused
    later = weekly("monday", "10:00", "monday", "11:00")
    assert not restart_next_week(later) and not shuts_nothing(later) and restart_days(later) == 0
    other_day = weekly("friday", "20:00", "monday", "06:00")
    assert restart_days(other_day) == 3 and not restart_next_week(other_day)
    for row in (weekly("disabled", "10:00", "disabled", "10:00"), weekly("monday", "10:00")):
        assert not shuts_nothing(row) and not restart_next_week(row)


def test_a_row_without_restart_holds_a_day_and_does_not_restart() -> None:
    rows = [weekly("friday", "20:00")]  # 2026-06-05 is a Friday
    window = active_window(rows, paris(2026, 6, 6, 8, 0))
    assert window is not None and not window.restart
    assert window.end - window.start == NO_RESTART_HOLD
    assert active_window(rows, paris(2026, 6, 6, 20, 0)) is None
    assert active_window(rows, paris(2026, 6, 3, 12, 0)) is None  # not present once saved mid-week


def test_overlapping_and_touching_windows_merge() -> None:
    rows = [
        weekly("wednesday", "10:00", "wednesday", "12:00"),
        weekly("wednesday", "11:00", "wednesday", "14:00"),
        weekly("wednesday", "14:00", "wednesday", "15:00"),
    ]
    window = active_window(rows, paris(2026, 6, 3, 10, 30))
    assert window is not None and (window.start, window.end) == (
        paris(2026, 6, 3, 10, 0),
        paris(2026, 6, 3, 15, 0),
    )
    assert next_change(rows, paris(2026, 6, 3, 13, 59)) == paris(2026, 6, 3, 15, 0)


def test_a_special_day() -> None:
    rows = [special("2026-12-24 18:00", "2026-12-27 07:30"), SpecialDayRow()]
    assert active_window(rows, paris(2026, 12, 24, 17, 59)) is None
    assert next_change(rows, paris(2026, 6, 3, 12, 0)) == paris(2026, 12, 24, 18, 0)
    window = active_window(rows, paris(2026, 12, 26, 3, 0))
    assert window is not None and window.end == paris(2026, 12, 27, 7, 30) and window.restart
    assert active_window(rows, paris(2026, 12, 27, 7, 30)) is None
    assert next_change(rows, paris(2026, 12, 27, 7, 30)) is None  # a special day happens once


# Europe/Paris 2026: clocks go forward on Sunday 29 March at 02:00 (to 03:00), back on
# Sunday 25 October at 03:00 (to 02:00).


def test_a_wall_time_in_the_spring_forward_gap_counts_from_the_end_of_the_gap() -> None:
    assert resolve_wall_time(paris(2026, 3, 29).date(), paris(2026, 3, 29, 2, 30).time(), PARIS) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )
    rows = [weekly("sunday", "02:30", "sunday", "04:00")]
    window = active_window(rows, paris(2026, 3, 29, 3, 0))
    assert window is not None
    assert (window.start, window.end) == (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), paris(2026, 3, 29, 4, 0))
    assert active_window(rows, datetime(2026, 3, 29, 0, 59, tzinfo=UTC).astimezone(PARIS)) is None
    # The other weeks keep their 02:30.
    assert active_window(rows, paris(2026, 3, 22, 2, 30)) is not None
    assert active_window(rows, paris(2026, 3, 22, 2, 29)) is None


def test_a_special_day_inside_the_gap_is_empty() -> None:
    rows = [special("2026-03-29 02:10", "2026-03-29 02:50")]
    assert active_window(rows, paris(2026, 3, 29, 3, 0)) is None
    assert next_change(rows, paris(2026, 3, 28, 12, 0)) is None


def test_a_night_window_over_spring_forward_is_an_hour_shorter() -> None:
    rows = [weekly("saturday", "22:00", "sunday", "06:00")]
    window = active_window(rows, paris(2026, 3, 29, 5, 0))
    assert window is not None and window.end - window.start == timedelta(hours=7)


def test_an_ambiguous_wall_time_uses_its_first_occurrence() -> None:
    first = paris(2026, 10, 25, 2, 30)  # CEST, 00:30 UTC
    assert resolve_wall_time(first.date(), first.time(), PARIS) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    rows = [weekly("sunday", "02:00", "sunday", "02:45")]
    window = active_window(rows, first)
    assert window is not None
    assert (window.start, window.end) == (
        datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 45, tzinfo=UTC),
    )
    # When the clock reads 02:10 the second time, the window is over: no second run.
    assert active_window(rows, paris(2026, 10, 25, 2, 10, fold=1)) is None
    assert next_change(rows, paris(2026, 10, 25, 2, 10, fold=1)) == paris(2026, 11, 1, 2, 0)


def test_a_window_over_fall_back_is_an_hour_longer() -> None:
    rows = [weekly("saturday", "22:00", "sunday", "06:00")]
    window = active_window(rows, paris(2026, 10, 25, 2, 30, fold=1))
    assert window is not None and window.end - window.start == timedelta(hours=9)


def test_clock_jumps() -> None:
    rows = [weekly("wednesday", "11:00", "wednesday", "13:00")]
    # A clock set forward by 30 min inside the window: still present.
    assert active_window(rows, paris(2026, 6, 3, 11, 10)) is not None
    assert active_window(rows, paris(2026, 6, 3, 11, 40)) is not None
    # A clock set forward over the shutdown time (10:50 -> 11:20): the run is not missed.
    assert active_window(rows, paris(2026, 6, 3, 10, 50)) is None
    assert active_window(rows, paris(2026, 6, 3, 11, 20)) is not None
    # Set back into the window already served: present again; the procedure's memory of
    # its completed shutdown keeps it from a second run.
    assert active_window(rows, paris(2026, 6, 3, 12, 30)) == active_window(rows, paris(2026, 6, 3, 11, 30))


ROWS = st.lists(
    st.builds(
        weekly,
        st.sampled_from(WEEK_DAYS),
        st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59)),
        st.sampled_from(("disabled", *WEEK_DAYS)),
        st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59)),
    ),
    min_size=1,
    max_size=3,
)
# Any time of two years, and often the days around a change of the clocks.
CLOCK_CHANGES = (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC))
INSTANTS = st.one_of(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.builds(
        lambda change, minutes: change + timedelta(minutes=minutes),
        st.sampled_from(CLOCK_CHANGES),
        st.integers(-3 * 24 * 60, 3 * 24 * 60),
    ),
)


@settings(max_examples=120, deadline=None)
@given(ROWS, INSTANTS)
def test_presence_is_the_union_of_the_rows_windows_and_changes_at_next_change(
    rows, instant: datetime
) -> None:
    now = instant.astimezone(PARIS)
    window = active_window(rows, now)
    assert (window is not None) == any(w.contains(now) for w in weekly_windows(rows, now))
    if window is not None:
        assert window.contains(now)
        assert window.end - window.start > timedelta(0)
    change = next_change(rows, now)
    if change is None:  # only rows whose restart is their shutdown: not used
        assert not weekly_windows(rows, now)
        return
    assert change > instant
    if window is not None and window.end - window.start >= timedelta(days=7):
        return  # the windows cover the whole week: no change in sight
    before = (change - timedelta(seconds=1)).astimezone(PARIS)
    assert (active_window(rows, before) is not None) == (window is not None)
    assert (active_window(rows, change.astimezone(PARIS)) is not None) != (window is not None)


@settings(max_examples=60, deadline=None)
@given(ROWS, INSTANTS)
def test_each_row_is_present_about_its_wall_length_a_week(rows, instant: datetime) -> None:
    # Wall time and real time differ by at most the DST hour.
    for window in weekly_windows(rows[:1], instant.astimezone(PARIS)):
        assert timedelta(0) < window.end - window.start < timedelta(days=7, hours=1)
