"""The logs API's pure parts: dates read in NET VISION's time zone, graph periods, series
names in words, and graphs of long periods sampled at a bounded cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from netvision.i18n import en, fr
from netvision.services.web import logs
from netvision.services.web.app import ApiError
from netvision.store import LogStore, Statistics
from netvision.store.columns import EXTENDED_KEYS

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def test_a_date_alone_is_a_whole_day_in_the_configured_zone() -> None:
    start = logs.parse_moment("2026-06-01", "start", "Europe/Paris", "auto")
    end = logs.parse_moment("2026-06-01", "end", "Europe/Paris", "auto", end=True)
    assert start == datetime(2026, 5, 31, 22, 0, tzinfo=UTC)  # midnight in Paris (summer time)
    assert end == datetime(2026, 6, 1, 22, 0, tzinfo=UTC)  # the end of that day


def test_a_wall_clock_time_follows_the_dst_rule_and_an_offset_wins() -> None:
    assert logs.parse_moment("2026-06-01T12:30", "start", "Europe/Paris", "auto") == datetime(
        2026, 6, 1, 10, 30, tzinfo=UTC
    )
    # DST disabled: the standard offset (+1 h) all year
    assert logs.parse_moment("2026-06-01T12:30", "start", "Europe/Paris", "disabled") == datetime(
        2026, 6, 1, 11, 30, tzinfo=UTC
    )
    assert logs.parse_moment("2026-06-01T12:30:00Z", "start", "Europe/Paris") == datetime(
        2026, 6, 1, 12, 30, tzinfo=UTC
    )
    assert logs.parse_moment("2026-06-01 12:30", "start") == datetime(2026, 6, 1, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "01/06/2026", "2026-06-01T25:00"])
def test_a_wrong_date_names_its_field(text: str) -> None:
    with pytest.raises(ApiError) as caught:
        logs.parse_moment(text, "end")
    assert caught.value.status == 400
    assert caught.value.extra["fields"][0]["field"] == "end"


class _Request:
    def __init__(self, **query: str) -> None:
        self.query = query


def test_graph_periods_are_the_manual_presets_or_a_custom_range(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert logs.series_window(_Request(), now) == ("30m", now - timedelta(minutes=30), now)  # type: ignore[arg-type]
    assert logs.series_window(_Request(range="3h"), now)[1] == now - timedelta(hours=3)  # type: ignore[arg-type]
    assert set(logs.GRAPH_PRESETS) == {"30m", "1h", "3h", "6h", "12h", "1d"}
    with pytest.raises(ApiError):
        logs.series_window(_Request(range="2h"), now)  # type: ignore[arg-type]

    class System:
        time_zone, dst = "UTC", "auto"

    monkeypatch.setattr(
        logs, "state_of", lambda request: type("S", (), {"settings": type("T", (), {"system": System})})
    )
    window = logs.series_window(_Request(range="custom", start="2026-05-30T08:00", end="2026-05-31"), now)  # type: ignore[arg-type]
    assert window == ("custom", datetime(2026, 5, 30, 8, 0, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    with pytest.raises(ApiError) as caught:
        logs.series_window(_Request(range="custom", start="2026-05-30T08:00", end="2026-05-30T07:00"), now)  # type: ignore[arg-type]
    assert caught.value.extra["fields"][0]["field"] == "end"
    with pytest.raises(ApiError) as caught:
        logs.series_window(_Request(range="custom"), now)  # type: ignore[arg-type]
    assert caught.value.extra["fields"][0]["field"] == "start"


def test_series_have_names_in_words_and_units_in_both_languages() -> None:
    assert logs.series_label("input_voltage_l1", "en") == "Input voltage L1"
    assert logs.series_label("input_voltage_l1", "fr") == "Tension d'entrée L1"
    assert logs.series_label("load_rate", "en") == "Output load"
    assert logs.series_unit("ambient_temperature", "F") == "°F"
    keys = {
        *logs.MEASUREMENT_CHOICES,
        *(k for group in logs.GRAPH_GROUPS.values() for k in group),
        *EXTENDED_KEYS,
    }
    for key in keys:
        base = key.rsplit("_l", 1)[0] if key[-3:] in ("_l1", "_l2", "_l3") else key
        assert f"series.{base}" in en.LABELS and f"series.{base}" in fr.LABELS, key
        assert logs.series_unit(key), key


async def test_a_long_history_is_sampled_to_a_bounded_number_of_points(store: LogStore) -> None:
    for minute in range(3000):
        store.add_history(
            T0 + timedelta(minutes=minute), {"load_rate": minute % 100, "input_voltage_l1": 230.0}
        )
    await store.flush()
    everything = await store.history_series(T0, T0 + timedelta(days=3))
    assert len(everything) == 3000
    sampled = await store.history_series(T0, T0 + timedelta(days=3), max_points=100)
    assert 90 <= len(sampled) <= 101
    times = [record.time for record in sampled]
    assert times == sorted(times) and times[0] == T0 and times[-1] == T0 + timedelta(minutes=2999)
    steps = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert max(steps) <= timedelta(minutes=31)  # even steps over the whole period
    part = await store.history_series(T0 + timedelta(hours=10), T0 + timedelta(hours=11), max_points=100)
    assert len(part) == 60  # a short period: every record
    assert await store.history_series(T0 - timedelta(days=2), T0 - timedelta(days=1), max_points=100) == []


async def test_a_long_extended_log_is_sampled_too(store: Any) -> None:
    stats = {key: Statistics(1.0, 2.0, 3.0) for key in EXTENDED_KEYS}
    for hour in range(500):
        start = T0 + timedelta(hours=hour)
        store.add_extended(start, start + timedelta(hours=1), 60, stats)
    await store.flush()
    sampled = await store.extended_series(T0, T0 + timedelta(hours=500), max_points=50)
    assert 40 <= len(sampled) <= 51
    assert sampled[0].start == T0 and sampled[-1].start == T0 + timedelta(hours=499)
    assert len(await store.extended_series(T0, T0 + timedelta(hours=500))) == 500


def test_log_and_chart_labels_exist_in_both_languages() -> None:
    prefixes = ("logs.", "chart.", "series.", "column.", "graph.")
    english = {k for k in en.LABELS if k.startswith(prefixes)}
    french = {k for k in fr.LABELS if k.startswith(prefixes)}
    assert english == french
    assert all(fr.LABELS[k].strip() for k in french)
    for key in ("logs.cleared.ups", "logs.clear_confirm", "logs.page_info", "column.extended.load_rate_l1"):
        assert fr.LABELS[key] != en.LABELS[key], key
