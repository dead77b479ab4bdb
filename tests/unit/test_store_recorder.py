"""The recorder: history samples, extended min/avg/max from every poll, interval changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from netvision.events.bus import EventBus
from netvision.settings import Settings
from netvision.store import LogRecorder, LogStore
from netvision.ups.model import (
    Communication,
    CommunicationState,
    Derived,
    DeviceState,
    Identity,
    PollStatistics,
    Snapshot,
)

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def _snapshot(sequence: int, measurements: dict[str, float | None], state=CommunicationState.OK, kind="ups"):  # type: ignore[no-untyped-def]
    now = T0 + timedelta(seconds=sequence)
    device = DeviceState(
        0, frozenset(), frozenset(), (), measurements, Derived("ups_status.normal_mode", "", "", 3, 2)
    )
    identity = Identity("sts" if kind == "sts" else "jbusp", "", kind, None, "", "")
    # One poll cycle per snapshot here: the recorder counts a cycle once.
    communication = Communication(state, now, statistics=PollStatistics(cycles=sequence))
    return Snapshot(sequence, now, communication, identity=identity, system=device)


async def test_extended_row_is_min_avg_max_of_every_poll(store: LogStore) -> None:
    latest: list[Snapshot] = []
    recorder = LogRecorder(
        store, EventBus(), Settings, lambda: latest[-1], clock=lambda: T0 + timedelta(hours=1)
    )
    voltages = [228.0, 231.0, 230.0, 235.0, 226.0]
    for sequence, voltage in enumerate(voltages, start=1):
        snapshot = _snapshot(sequence, {"input_voltage_l1": voltage, "output_current_l1": 10.0 * sequence})
        latest.append(snapshot)
        recorder.on_snapshot(snapshot)
        recorder.on_snapshot(snapshot)  # the same poll seen twice counts once
        recorder.on_snapshot(replace(snapshot, sequence=snapshot.sequence + 100))  # a fast-lane snapshot: same cycle
    recorder.on_snapshot(_snapshot(9, {"input_voltage_l1": 0.0}, state=CommunicationState.LOST))
    assert await recorder.close_extended_window()
    assert not await recorder.close_extended_window()  # nothing since
    await store.flush()
    row = (await store.extended()).rows[0]
    assert row.samples == 5
    assert row.start == T0 + timedelta(seconds=1) and row.end == T0 + timedelta(hours=1)
    assert (row.minimum["input_voltage_l1"], row.maximum["input_voltage_l1"]) == (226.0, 235.0)
    assert row.average["input_voltage_l1"] == 230.0
    assert (row.minimum["output_current_l1"], row.average["output_current_l1"]) == (10.0, 30.0)
    assert row.average["battery_capacity"] is None  # not managed: -1 in the CSV


async def test_history_sample_takes_the_latest_snapshot_and_skips_while_lost(store: LogStore) -> None:
    latest = [_snapshot(1, {"battery_capacity": 88.0, "input_frequency": 50.1})]
    recorder = LogRecorder(store, EventBus(), Settings, lambda: latest[-1], clock=lambda: T0)
    assert await recorder.record_history_now()
    latest.append(_snapshot(2, {"battery_capacity": 80.0}, state=CommunicationState.LOST))
    assert not await recorder.record_history_now()
    await store.flush()
    page = await store.history()
    assert page.total == 1 and page.rows[0].values["input_frequency"] == 50.1


async def test_sts_history_is_recorded_but_no_extended_log(store: LogStore) -> None:
    latest = [_snapshot(1, {"source1_voltage_l1": 400.0}, kind="sts")]
    recorder = LogRecorder(store, EventBus(), Settings, lambda: latest[-1], clock=lambda: T0)
    recorder.on_snapshot(latest[0])
    assert await recorder.record_history_now()
    assert not await recorder.close_extended_window()
    await store.flush()
    assert (await store.history()).rows[0].device == 1


async def test_interval_changes_are_logged_and_close_the_window(store: LogStore) -> None:
    bus = EventBus()
    received = []
    bus.on_event(received.append)
    latest = [_snapshot(1, {"input_voltage_l1": 230.0})]
    settings = Settings()
    recorder = LogRecorder(store, bus, lambda: settings, lambda: latest[-1], clock=lambda: T0)
    await recorder.start()
    recorder.on_snapshot(latest[0])
    await recorder.on_settings_changed(settings, ["logs.history_interval", "logs.extended_interval"])
    assert [event.text_en for event in received] == [
        "History log interval changed",
        "Extended history log interval changed",
    ]
    await store.flush()
    assert await store.count("extended") == 1
    await recorder.stop()  # also closes the store
