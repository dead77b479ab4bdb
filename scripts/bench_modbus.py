#!/usr/bin/env python3
"""Modbus TCP server: requests per second and latency on loopback.

The simulated UPS runs in its own process; the daemon (poller + Modbus TCP
server) runs in this one, polling it at the manual's default rate. The load
comes from ``mbload.py`` (../shared/tools): one connection per process,
sequential function-0x03 reads of the measurement table (JBUSP 0x1060, 48
words). The script prints, for 1 and for 3 concurrent clients (the MODBUS TCP
card's session limit, MTC §4.1), the total rate and each client's p50/p99
latency. Aim: p99 under 5 ms.

usage: scripts/bench_modbus.py [--seconds 5] [--mbload ../shared/tools/mbload.py]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from pathlib import Path

from benchlib import ROOT, SIMULATOR, children, daemon_reading, free_port, settings_document, start_simulator

MEASUREMENTS = (0x1060, 48)
RESULT = re.compile(r"requests=(\d+) rate=(\d+)/s p50=([\d.]+)ms p99=([\d.]+)ms fc=(\d+)")


async def load(
    mbload: Path, port: int, clients: int, seconds: float
) -> list[tuple[int, float, float, float]]:
    address, count = MEASUREMENTS
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(mbload),
            "127.0.0.1",
            str(port),
            hex(address),
            str(count),
            str(seconds),
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(clients)
    ]
    results = []
    for process in processes:
        out, _ = await process.communicate()
        match = RESULT.search(out.decode())
        if process.returncode != 0 or match is None:
            raise RuntimeError(f"mbload failed: {out.decode()!r}")
        if int(match.group(5)) != 3:
            raise RuntimeError(f"the server answered with an exception (function {match.group(5)})")
        results.append(
            (int(match.group(1)), float(match.group(2)), float(match.group(3)), float(match.group(4)))
        )
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--mbload", type=Path, default=ROOT.parent / "shared" / "tools" / "mbload.py")
    args = parser.parse_args()
    if not args.mbload.exists():
        parser.error(f"{args.mbload} not found (give --mbload)")
    port = free_port()
    with tempfile.TemporaryDirectory() as name, children() as processes:
        directory = Path(name)
        link = directory / "ups"
        processes.append(start_simulator(link, *SIMULATOR))
        modbus_tcp = {"enabled": True, "bind": "127.0.0.1", "port": port, "max_connections": 3}
        async with daemon_reading(settings_document(directory, link, modbus_tcp=modbus_tcp)):
            address, count = MEASUREMENTS
            print(
                f"Modbus TCP, function 0x03 reads of {count} words at {address:#06x}, loopback, "
                f"{args.seconds:g} s each"
            )
            for clients in (1, 3):
                results = await load(args.mbload, port, clients, args.seconds)
                total = sum(rate for _, rate, _, _ in results)
                worst_p99 = max(p99 for *_, p99 in results)
                per_client = "  ".join(f"p50 {p50:.3f} ms p99 {p99:.3f} ms" for _, _, p50, p99 in results)
                print(
                    f"{clients} client(s): {total:8.0f} requests/s  worst p99 {worst_p99:.3f} ms "
                    f"({'under' if worst_p99 < 5 else 'OVER'} 5 ms)  [{per_client}]"
                )


if __name__ == "__main__":
    asyncio.run(main())
