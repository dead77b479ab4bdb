"""The logs database: event logs paged/sorted/filtered, history and extended
rows, CSV export, clear, prune, schema migration and repair."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netvision.events.bus import EventBus, Severity
from netvision.events.catalog import make_event
from netvision.settings import Settings
from netvision.store import LogRecorder, LogStore, Statistics, StoreError, schema
from netvision.store.columns import DEVICE_STS, EXTENDED_KEYS
from netvision.store.timefmt import format_time

T0 = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)


async def _csv(store: LogStore, name: str, **options: object) -> list[list[str]]:
    text = "".join([chunk async for chunk in store.export_csv(name, **options)])  # type: ignore[arg-type]
    return list(csv.reader(io.StringIO(text)))


def _alarm(description: str, level: Severity, minutes: float, removed: bool = False):  # type: ignore[no-untyped-def]
    return make_event(
        "ups.alarm_removed" if removed else "ups.alarm_added",
        time=T0 + timedelta(minutes=minutes),
        severity=None if removed else level,
        description=description,
        description_fr=description,
    )


async def test_event_log_pages_newest_first_and_sorts_by_severity(store: LogStore) -> None:
    store.add_event(_alarm("General alarm", Severity.WARNING, 0))
    store.add_event(_alarm("Imminent STOP", Severity.CRITICAL, 1))
    store.add_event(_alarm("Imminent STOP", Severity.CRITICAL, 2, removed=True))
    store.add_event(make_event("nv.cold_boot", time=T0))
    store.add_event(make_event("trap.overload", time=T0))  # a trap trigger is in no log
    await store.flush()

    page = await store.events("ups", per_page=2)
    assert page.total == 3 and page.pages == 2
    assert [row.text_en for row in page.rows] == ["Imminent STOP has been removed", "Imminent STOP"]
    second = await store.events("ups", per_page=2, page=2)
    assert [row.text_en for row in second.rows] == ["General alarm"]

    by_severity = await store.events("ups", sort="severity", per_page=10)
    assert [row.severity for row in by_severity.rows] == [
        Severity.CRITICAL,
        Severity.WARNING,
        Severity.INFORMATION,
    ]

    critical = await store.events("ups", levels=[Severity.CRITICAL])
    assert [row.text_en for row in critical.rows] == ["Imminent STOP"]
    window = await store.events("ups", start=T0 + timedelta(minutes=1), end=T0 + timedelta(minutes=2))
    assert [row.text_en for row in window.rows] == ["Imminent STOP"]

    assert [row.text_en for row in (await store.events("netvision")).rows] == ["Cold boot"]
    assert (await store.events("netvision")).rows[0].time == T0


async def test_a_clock_set_back_neither_reorders_nor_loses_records(store: LogStore) -> None:
    store.add_event(make_event("nv.cold_boot", time=T0))
    store.add_event(make_event("nv.agent_restart", time=T0 - timedelta(hours=2)))  # clock jumped back
    store.add_event(make_event("nv.communication_lost", time=T0 - timedelta(hours=2) + timedelta(seconds=1)))
    await store.flush()
    page = await store.events("netvision", descending=False, per_page=10)
    assert [row.event for row in page.rows] == ["nv.cold_boot", "nv.agent_restart", "nv.communication_lost"]
    rows = await _csv(store, "netvision")
    assert [row[2] for row in rows[1:]] == [
        "Cold boot",
        "NET VISION UPS Agent Restart",
        "UPS communication lost",
    ]


async def test_bad_queries_are_refused_clearly(store: LogStore) -> None:
    with pytest.raises(StoreError, match="unknown log"):
        await store.events("history")
    with pytest.raises(StoreError, match="sort"):
        await store.events("ups", sort="level")
    with pytest.raises(StoreError, match="page"):
        await store.history(page=0)


async def test_event_csv_uses_the_manual_date_format_or_iso_8601(store: LogStore) -> None:
    store.add_event(_alarm("UPS overload", Severity.WARNING, 0))
    await store.flush()
    rows = await _csv(store, "ups", time_zone="Europe/Paris")
    assert rows == [
        ["Event Time", "Event Level", "Event Description"],
        ["29/03/2026 00:00:00", "Warning", "UPS overload"],
    ]
    iso = await _csv(store, "ups", time_zone="Europe/Paris", iso=True)
    assert iso[1][0] == "2026-03-29T00:00:00+01:00"
    french = await _csv(store, "ups", language="fr")
    assert french[0][0] == "Date/heure événement" and french[1][1] == "Avertissement"


def test_display_time_follows_time_zone_and_dst_setting() -> None:
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert format_time(summer, "Europe/Paris", "auto") == "01/07/2026 12:00:00"
    assert format_time(summer, "Europe/Paris", "disabled") == "01/07/2026 11:00:00"
    assert format_time(T0, "Europe/Paris", "enabled") == "29/03/2026 01:00:00"
    assert format_time(summer, "UTC", "auto", iso=True) == "2026-07-01T10:00:00+00:00"


async def test_history_rows_keep_values_and_show_minus_one_where_not_managed(store: LogStore) -> None:
    values = {
        "input_voltage_l1": 231.0,
        "input_voltage_l2": 229.0,
        "input_voltage_l3": 230.0,
        "output_voltage_l1": 230.0,
        "output_voltage_l2": None,
        "output_voltage_l3": None,
        "input_frequency": 49.9,
        "load_rate_l1": 45.0,
        "battery_capacity": 100.0,
        "ambient_temperature": 25.0,
    }
    store.add_history(T0, values)
    store.add_history(T0 + timedelta(minutes=1), {**values, "load_rate_l1": 47.0})
    await store.flush()
    page = await store.history(per_page=1)
    assert page.total == 2 and page.rows[0].values["load_rate_l1"] == 47.0
    assert page.rows[0].values["input_frequency"] == 49.9
    rows = await _csv(store, "history")
    assert rows[0][:2] == ["Date time", "Input Voltage R (V)"]
    assert rows[1] == [
        "28/03/2026 23:00:00",
        "231",
        "229",
        "230",
        "230",
        "-1",
        "-1",
        "49.9",
        "45",
        "-1",
        "-1",
        "100",
        "25",
    ]
    fahrenheit = await _csv(store, "history", temperature_unit="F")
    assert fahrenheit[0][-1] == "UPS temperature (°F)" and fahrenheit[1][-1] == "77"
    series = await store.history_series(T0, T0 + timedelta(seconds=30))
    assert len(series) == 1


async def test_sts_history_exports_the_sts_columns(store: LogStore) -> None:
    store.add_history(T0, {"source1_voltage_l1": 400.0, "switch2_temperature": 31.0}, device=DEVICE_STS)
    await store.flush()
    rows = await _csv(store, "history")
    assert rows[0][1] == "Source 1 voltage L1 (V)" and rows[0][-1] == "SW2 temperature (°C)"
    assert rows[1][1] == "400" and rows[1][-1] == "31" and rows[1][2] == "-1"


async def test_extended_rows_and_csv_min_max_avg_columns(store: LogStore) -> None:
    stats = {key: None for key in EXTENDED_KEYS}
    stats["input_voltage_l1"] = Statistics(225.0, 229.44, 233.0)
    store.add_extended(T0, T0 + timedelta(hours=1), 1800, stats)
    await store.flush()
    record = (await store.extended()).rows[0]
    assert record.samples == 1800 and record.end - record.start == timedelta(hours=1)
    assert record.minimum["input_voltage_l1"] == 225.0 and record.maximum["input_voltage_l1"] == 233.0
    assert record.average["input_voltage_l1"] == 229.4  # kept to a tenth
    rows = await _csv(store, "extended")
    assert rows[0][:5] == [
        "Start time",
        "End time",
        "Input Voltage R (V) Min",
        "Input Voltage R (V) Max",
        "Input Voltage R (V) Avg",
    ]
    assert rows[1][:5] == ["28/03/2026 23:00:00", "29/03/2026 00:00:00", "225", "233", "229.4"]
    assert rows[1][5] == "-1"
    assert len(await store.extended_series(T0 + timedelta(minutes=30), T0 + timedelta(hours=2))) == 1


async def test_export_streams_in_chunks_and_keeps_every_row(store: LogStore) -> None:
    for minute in range(12_000):
        store.add_history(T0 + timedelta(minutes=minute), {"battery_capacity": 100.0})
    await store.flush()
    chunks = [chunk async for chunk in store.export_csv("history")]
    assert len(chunks) >= 4  # header + three chunks of 5000 rows at most
    assert sum(chunk.count("\r\n") for chunk in chunks) == 12_001


async def test_clear_deletes_the_log_and_is_itself_logged(store: LogStore) -> None:
    bus = EventBus()
    recorder = LogRecorder(store, bus, Settings)
    recorder.attach_bus()
    bus.publish(make_event("nv.cold_boot"))
    store.add_history(T0, {"battery_capacity": 90.0})
    await store.flush()
    assert await recorder.clear("history", via="web", by="admin") == 1
    # Cold boot and "History log cleared" go with the NET VISION log.
    assert await recorder.clear("netvision", via="web", by="admin") == 2
    await store.flush()
    assert await store.count("history") == 0
    rows = (await store.events("netvision", descending=False, per_page=10)).rows
    assert [row.text_en for row in rows] == ["NET VISION UPS Agent event log cleared"]


async def test_prune_deletes_old_records_but_keeps_the_newest_2048(store: LogStore) -> None:
    for minute in range(5000):
        store.add_history(T0 + timedelta(minutes=minute), {"battery_capacity": 100.0})
    await store.flush()
    # Everything is older than the cut-off: only the 2048 newest survive.
    assert await store.prune("history", T0 + timedelta(days=30)) == 5000 - 2048
    assert await store.count("history") == 2048
    oldest = (await store.history(descending=False, per_page=1)).rows[0]
    assert oldest.time == T0 + timedelta(minutes=5000 - 2048)
    # A cut-off inside the kept records deletes nothing more.
    assert await store.prune("history", T0 + timedelta(minutes=4000), keep=100) == 4000 - (5000 - 2048)


async def test_retention_settings_drive_the_recorder_prune(store: LogStore) -> None:
    bus = EventBus()
    settings = Settings.model_validate({"logs": {"history_retention_days": 1}})
    now = T0 + timedelta(days=10)
    recorder = LogRecorder(store, bus, lambda: settings, clock=lambda: now)
    for hour in range(3000, 0, -1):
        store.add_history(now - timedelta(hours=hour), {"battery_capacity": 100.0})
    await store.flush()
    await recorder.prune()
    assert await store.count("history") == 2048  # 1 day is fewer than 2048 hourly records


async def test_reopening_keeps_every_committed_record(tmp_path: Path) -> None:
    path = tmp_path / "logs.sqlite3"
    first = LogStore(path)
    await first.open()
    first.add_event(make_event("nv.cold_boot", time=T0))
    await first.close()
    second = LogStore(path)
    assert await second.open() == []
    assert (await second.events("netvision")).total == 1
    await second.close()


async def test_older_schema_is_migrated_and_keeps_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "logs.sqlite3"
    first = LogStore(path)
    await first.open()
    first.add_event(make_event("nv.cold_boot", time=T0))
    await first.close()
    # A later version adds a column: version 1 data migrates to version 2.
    monkeypatch.setitem(schema.VERSIONS, "netvision", 2)
    original = schema.expected_columns

    def expected(log: str) -> list[str]:
        columns = original(log)
        return [*columns, "origin"] if log == "netvision" else columns

    monkeypatch.setattr(schema, "expected_columns", expected)
    monkeypatch.setitem(
        schema.MIGRATIONS,
        "netvision",
        {1: lambda connection: connection.execute("ALTER TABLE netvision_events ADD COLUMN origin TEXT")},
    )
    migrated = LogStore(path)
    assert await migrated.open() == []
    await migrated.close()
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT event FROM netvision_events").fetchall() == [("nv.cold_boot",)]
    assert connection.execute("SELECT version FROM schema_versions WHERE log='netvision'").fetchone() == (2,)
    connection.close()


async def test_unknown_schema_version_recreates_the_log_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "logs.sqlite3"
    first = LogStore(path)
    await first.open()
    first.add_history(T0, {"battery_capacity": 90.0})
    first.add_event(make_event("nv.cold_boot", time=T0))
    await first.close()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE schema_versions SET version = 99 WHERE log = 'history'")
    connection.commit()
    connection.close()

    reopened = LogStore(path)
    recreated = await reopened.open()
    assert recreated == ["history"]
    bus = EventBus()
    recorder = LogRecorder(reopened, bus, Settings)
    recorder.attach_bus()
    await recorder.start(recreated)
    await reopened.flush()
    assert await reopened.count("history") == 0
    texts = [row.text_en for row in (await reopened.events("netvision", per_page=10)).rows]
    assert texts == ["History log schema changed. Log has been re-created.", "Cold boot"]
    await recorder.stop()


async def test_a_damaged_database_file_is_set_aside_and_re_created(tmp_path: Path) -> None:
    path = tmp_path / "logs.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = LogStore(path)
    assert sorted(await store.open()) == ["extended", "history", "netvision", "ups"]
    store.add_event(make_event("nv.cold_boot"))
    await store.flush()
    assert await store.count("netvision") == 1
    await store.close()
    assert list(tmp_path.glob("logs.sqlite3.damaged-*"))
