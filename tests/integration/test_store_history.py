"""History and extended history against the simulator: rows hold the values the
simulator produced; min/avg/max come from every poll (§21.1, §21.2)."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest

from netvision.ups.model import Snapshot
from tests.conftest import next_snapshot, wait_for


async def test_history_and_extended_rows_match_the_polled_values(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon({"logs": {"history_interval": 1}}, map_name="jbusp", topology="three_phase")
    store, recorder = daemon.store, daemon.recorder
    assert store is not None and recorder is not None
    await recorder.close_extended_window()  # start a window from here
    polled: list[Snapshot] = []
    stop_collecting = daemon.ups.subscribe(polled.append)
    await wait_for(lambda: len(polled) >= 4, timeout=30)
    stop_collecting()  # before the window closes
    await recorder.close_extended_window()
    await store.flush()

    row = (await store.extended(per_page=1)).rows[0]
    assert row.samples == len(polled)
    for key in ("input_voltage_l1", "output_current_l1", "load_rate_l1", "battery_capacity"):
        values = [s.system.measurements[key] for s in polled if s.system.measurements.get(key) is not None]
        assert row.minimum[key] == pytest.approx(min(values))
        assert row.maximum[key] == pytest.approx(max(values))
        assert row.average[key] == pytest.approx(sum(values) / len(values), abs=0.051)

    history = await wait_for_history(store, 2)
    sample = history.rows[0]
    simulated = daemon.test_simulator.device.measurements()
    assert sample.values["battery_capacity"] == pytest.approx(simulated["battery_capacity"], abs=1)
    text = "".join([chunk async for chunk in store.export_csv("history")])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Date time" and len(rows) >= 3
    assert all(len(cells) == 13 for cells in rows)


async def wait_for_history(store, count: int):  # type: ignore[no-untyped-def]
    for _ in range(300):
        await store.flush()
        page = await store.history(per_page=count)
        if page.total >= count:
            return page
        await asyncio.sleep(0.1)
    raise AssertionError("no history recorded")


async def test_sts_history_uses_the_sts_measurements(make_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon = await make_daemon({"logs": {"history_interval": 1}}, map_name="sts")
    store = daemon.store
    assert store is not None
    await next_snapshot(daemon)
    page = await wait_for_history(store, 1)
    assert page.rows[0].device == 1
    assert page.rows[0].values["source1_voltage_l1"] is not None
    text = "".join([chunk async for chunk in store.export_csv("history")])
    assert text.startswith("Date time,Source 1 voltage L1 (V)")
