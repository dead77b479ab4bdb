#!/usr/bin/env python3
"""Poll cycle time against the wire minimum.

The simulator runs in its own process with wire timing on (each reply arrives
when a real link at that baud rate would deliver it), and the poller reads it
as it would a UPS. For each system the script prints the measured time of one
full cycle (median over the cycles run), the wire minimum of the same frames
(the sum of bytes × 10 / baud plus a 3.5-character gap per frame), their ratio,
and the bytes and requests of one cycle. The manual's card needs about 3 s per
unit at 9600 baud (FR §7.2).

usage: scripts/bench_poll.py [--baud 9600] [--cycles 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from benchlib import ROOT, start_simulator

sys.path.insert(0, str(ROOT))

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
            # Polling rate 0: cycles back to back, so each one is timed alone.
            poller = Poller(PollerConfig(device=str(link), baud_rate=baud, polling_rate=0))
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baud", type=int, default=9600, choices=(2400, 9600, 19200, 57600))
    parser.add_argument("--cycles", type=int, default=10)
    args = parser.parse_args()
    print(f"poll cycle at {args.baud} baud, wire timing on, median of {args.cycles} cycles")
    for name, options in SYSTEMS:
        await measure(name, options, args.baud, args.cycles)


if __name__ == "__main__":
    asyncio.run(main())
