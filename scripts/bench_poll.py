#!/usr/bin/env python3
"""Poll cycle time against the wire minimum.

The simulator runs in its own process with wire timing on (each reply arrives
when a real link at that baud rate would deliver it), and the poller reads it
as it would a UPS. For each system the script prints the measured time of one
full cycle (median over the cycles run), the wire minimum of the same frames
(the sum of bytes × 10 / baud plus a 3.5-character gap per frame), their ratio,
and the bytes and requests of one cycle. The manual's card needs about 3 s per
unit at 9600 baud (FR §7.2).

Then the detection latency: a status change made in the simulator (mains
failure, then mains restored, through its control socket) until its event is
on the bus, the poller, event engine and bus wired as the daemon wires them,
with the default settings (polling rate 2 s, fast lane 500 ms), median and
worst over --changes changes made at random moments of the polling period;
and the link's utilisation (share of wall time the wire is busy) over the
run. The same with the fast lane off, for comparison (the card: up to one
polling period).

usage: scripts/bench_poll.py [--baud 9600] [--cycles 10] [--changes 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchlib import ROOT, simctl, start_simulator

sys.path.insert(0, str(ROOT))

from netvision.daemon import poller_config  # noqa: E402
from netvision.events.bus import Event, EventBus  # noqa: E402
from netvision.events.engine import EventEngine  # noqa: E402
from netvision.settings import Settings  # noqa: E402
from netvision.ups.poller import Poller, PollerConfig  # noqa: E402

SYSTEMS = (
    ("JBUSP single three-phase", ["--map", "jbusp", "--topology", "three_phase"]),
    ("VU-MAP single three-phase", ["--map", "vumap", "--topology", "three_phase"]),
    ("JBUSP parallel, 4 units", ["--map", "jbusp", "--topology", "parallel", "--units", "4"]),
    ("VU-MAP parallel, 4 units", ["--map", "vumap", "--topology", "parallel", "--units", "4"]),
)


async def measure(name: str, options: list[str], baud: int, cycles: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        link = Path(directory) / "ups"
        process = start_simulator(link, *options, "--baud", str(baud), "--wire-timing")
        try:
            # Polling rate 0: cycles back to back, so each one is timed alone (no fast lane).
            poller = Poller(PollerConfig(device=str(link), baud_rate=baud, polling_rate=0, fast_lane=0))
            task = asyncio.create_task(poller.run())
            seconds: list[float] = []
            wire: list[float] = []
            seen = 0
            while len(seconds) < cycles + 1:
                await asyncio.sleep(0.01)
                snapshot = poller.snapshot
                statistics_ = snapshot.communication.statistics
                if snapshot.communicating and statistics_.cycles > seen and statistics_.last_cycle_seconds:
                    seen = statistics_.cycles
                    seconds.append(statistics_.last_cycle_seconds)
                    wire.append(statistics_.last_cycle_wire_seconds or 0.0)
            last = poller.snapshot.communication.statistics
            poller.stop()
            await task
        finally:
            process.terminate()
            process.wait(10)
    # The first cycle may include the slow reads (permissions, clock): leave it out.
    measured = statistics.median(seconds[1:])
    minimum = statistics.median(wire[1:])
    units = max(1, len(poller.snapshot.units))
    print(
        f"{name:28s} cycle {measured * 1000:7.1f} ms  wire minimum {minimum * 1000:7.1f} ms  "
        f"ratio {measured / minimum:5.3f}  {last.last_cycle_requests:3d} requests  "
        f"{last.last_cycle_bytes:5d} bytes/cycle  {measured / units:5.2f} s/unit (card: ~3 s/unit)"
    )


# (name, simulator options, also measured with the fast lane off)
LATENCY_SYSTEMS = (
    ("JBUSP single three-phase", ["--map", "jbusp", "--topology", "three_phase"], True),
    ("VU-MAP single three-phase", ["--map", "vumap", "--topology", "three_phase"], False),
    ("JBUSP parallel, 4 units", ["--map", "jbusp", "--topology", "parallel", "--units", "4"], False),
    ("VU-MAP parallel, 4 units", ["--map", "vumap", "--topology", "parallel", "--units", "4"], False),
)


async def detection_latency(
    name: str, options: list[str], baud: int, changes: int, fast_lane_ms: int
) -> None:
    loop = asyncio.get_running_loop()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as directory:
        link, control = Path(directory) / "ups", Path(directory) / "control"
        process = start_simulator(
            link, *options, "--baud", str(baud), "--wire-timing", "--control", str(control)
        )
        try:
            deadline = time.monotonic() + 20
            while not control.exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            # The daemon's settings and wiring: poller → event engine → bus.
            settings = Settings.model_validate({"serial": {"baud_rate": baud, "fast_lane_ms": fast_lane_ms}})
            config = replace(
                poller_config(settings, str(link)), fast_lane=settings.serial.fast_lane_ms / 1000
            )
            poller = Poller(config)
            bus = EventBus()
            engine = EventEngine(bus)
            engine.attach(poller)
            seen: list[tuple[float, Event]] = []
            bus.on_event(lambda event: seen.append((loop.time(), event)))
            task = asyncio.create_task(poller.run())
            while not poller.snapshot.communicating:
                await asyncio.sleep(0.05)
            await asyncio.sleep(config.polling_rate)
            started, wire = loop.time(), poller.counters.wire_seconds
            latencies: list[float] = []
            for number in range(changes):
                await asyncio.sleep(rng.uniform(0, config.polling_rate))  # a random moment of the period
                count = len(seen)
                sent = loop.time()
                await simctl(
                    control,
                    {"cmd": "scenario", "name": "mains_failure" if number % 2 == 0 else "mains_restored"},
                )
                while len(seen) == count:
                    if loop.time() - sent > 10:
                        raise RuntimeError("no event within 10 s of the change")
                    await asyncio.sleep(0.001)
                latencies.append(seen[count][0] - sent)
                await asyncio.sleep(0.3)  # let the change's other events pass
            utilisation = (poller.counters.wire_seconds - wire) / (loop.time() - started)
            poller.stop()
            await task
        finally:
            process.terminate()
            process.wait(10)
    lane = f"fast lane {fast_lane_ms} ms" if fast_lane_ms else "fast lane off"
    print(
        f"{name:28s} {lane:18s} change → event: median {statistics.median(latencies) * 1000:6.1f} ms  "
        f"worst {max(latencies) * 1000:6.1f} ms  link utilisation {utilisation * 100:4.1f} %"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baud", type=int, default=9600, choices=(2400, 9600, 19200, 57600))
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    print(f"poll cycle at {args.baud} baud, wire timing on, median of {args.cycles} cycles")
    for name, options in SYSTEMS:
        await measure(name, options, args.baud, args.cycles)
    default_lane = Settings().serial.fast_lane_ms
    print(
        f"\ndetection latency at {args.baud} baud, wire timing on, polling rate "
        f"{Settings().serial.polling_rate} s, {args.changes} changes"
    )
    for name, options, also_off in LATENCY_SYSTEMS:
        for fast_lane_ms in (default_lane, 0) if also_off else (default_lane,):
            await detection_latency(name, options, args.baud, args.changes, fast_lane_ms)


if __name__ == "__main__":
    asyncio.run(main())
