"""Benchmark of the logs store: one year of 60 s history (525,600 rows).

Prints the insert throughput, the time to query the last 30 minutes, one day
and 30 days for a graph, the time and peak memory to export the whole year as
CSV, and the database size on disk. Not a test.

    python scripts/bench_store.py [--rows 525600] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchlib  # noqa: F401  (this checkout's netvision first on sys.path)

from netvision.store import LogStore

BATCH = 10_000


class RssSampler(threading.Thread):
    """Peak resident memory of this process while the export runs (Linux /proc)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.baseline = self.peak = self.rss()
        self._done = threading.Event()

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096

    def run(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, self.rss())

    def stop(self) -> tuple[int, int]:
        self._done.set()
        self.join()
        return self.baseline, self.peak


def sample(rng: random.Random, minute: int) -> dict[str, float | None]:
    return {
        "input_voltage_l1": 230 + rng.randint(-4, 4),
        "input_voltage_l2": 230 + rng.randint(-4, 4),
        "input_voltage_l3": 230 + rng.randint(-4, 4),
        "output_voltage_l1": 230.0,
        "output_voltage_l2": 230.0,
        "output_voltage_l3": 230.0,
        "input_frequency": 50 + rng.randint(-2, 2) / 10,
        "load_rate_l1": 40 + (minute % 1440) / 60,
        "load_rate_l2": 38 + (minute % 1440) / 60,
        "load_rate_l3": 41 + (minute % 1440) / 60,
        "load_rate": 40.0,
        "battery_capacity": 100.0,
        "ambient_temperature": 22 + rng.randint(0, 3),
    }


async def main(rows: int, directory: Path) -> None:
    path = directory / "logs.sqlite3"
    store = LogStore(path)
    await store.open()
    rng = random.Random(1)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    began = time.perf_counter()
    for minute in range(rows):
        store.add_history(start + timedelta(minutes=minute), sample(rng, minute))
        if minute % BATCH == BATCH - 1:
            await store.flush()
    await store.flush()
    elapsed = time.perf_counter() - began
    print(f"insert: {rows} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s (batches of {BATCH})")

    end = start + timedelta(minutes=rows)
    for label, span in (
        ("30 minutes", timedelta(minutes=30)),
        ("1 day", timedelta(days=1)),
        ("30 days", timedelta(days=30)),
    ):
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            series = await store.history_series(end - span, end)
            timings.append(time.perf_counter() - began)
        print(
            f"graph query, last {label}: {len(series)} rows, best {min(timings) * 1000:.1f} ms, worst {max(timings) * 1000:.1f} ms"
        )

    began = time.perf_counter()
    page = await store.history(page=1, per_page=5)
    print(
        f"table page (last 5 records, total count): {(time.perf_counter() - began) * 1000:.1f} ms, total {page.total}"
    )

    sampler = RssSampler()
    sampler.start()
    began = time.perf_counter()
    size = 0
    out = directory / "history.csv"
    with out.open("w", encoding="utf-8", newline="") as file:
        async for chunk in store.export_csv("history", time_zone="Europe/Paris"):
            file.write(chunk)
            size += len(chunk)
    elapsed = time.perf_counter() - began
    baseline, peak = sampler.stop()
    print(
        f"CSV export of the whole log: {elapsed:.1f} s, {size / 1e6:.1f} MB of text, "
        f"process memory {baseline / 1e6:.1f} MB before, peak {peak / 1e6:.1f} MB during"
    )

    await store.close()
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    on_disk = sum(file.stat().st_size for file in files if file.exists())
    print(f"database size on disk: {on_disk / 1e6:.1f} MB ({on_disk / rows:.0f} bytes per record)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=525_600)
    parser.add_argument(
        "--keep", type=Path, help="directory to keep the database in (default: a temporary one)"
    )
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        asyncio.run(main(args.rows, args.keep))
    else:
        with tempfile.TemporaryDirectory() as temporary:
            asyncio.run(main(args.rows, Path(temporary)))
