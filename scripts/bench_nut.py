#!/usr/bin/env python3
"""NUT server: many upsmon-like clients polling at once, and what they cost the daemon.

The simulated UPS runs in its own process; the daemon (poller + NUT server, no TLS)
runs in this one; the clients run in a third process, all on one event loop: each
connects, sends USERNAME, PASSWORD and LOGIN as upsmon does (one user for all, so the
password is checked once and remembered), then asks ``GET VAR ups ups.status`` (or --request) every
--interval seconds. Printed: the daemon's CPU use (this process, poller included)
without clients and with them, the requests answered, p50/p99 latency as the clients
saw it, and errors. Aim (the target of the NUT server): 250 clients polling every
second at low CPU, p99 under 50 ms.

usage: scripts/bench_nut.py [--clients 250] [--seconds 10] [--interval 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import SIMULATOR, children, daemon_reading, free_port, settings_document, start_simulator

CLIENTS = r"""
import asyncio, json, sys, time
port, clients, seconds, interval = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
poll = sys.argv[5]
latencies, errors = [], []

async def client(number):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    async def ask(text):
        start = time.perf_counter()
        writer.write(text.encode() + b"\n")
        answer = (await reader.readline()).decode()
        return answer, time.perf_counter() - start
    for request in ("USERNAME bench", "PASSWORD bench-password", "LOGIN ups"):
        answer, _ = await ask(request)
        if not answer.startswith("OK"):
            errors.append(answer.strip())
    await asyncio.sleep(interval * number / clients)  # spread over the interval, as real hosts are
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        answer, took = await ask(poll)
        good = not answer.startswith("ERR")
        (latencies if good else errors).append(took if good else answer.strip())
        await asyncio.sleep(interval)
    writer.write(b"LOGOUT\n")
    writer.close()

async def main():
    await asyncio.gather(*(client(n) for n in range(clients)))
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
    print(json.dumps({"requests": len(latencies), "p50": pick(0.5), "p99": pick(0.99), "errors": errors[:5], "error_count": len(errors)}))

asyncio.run(main())
"""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=250)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--request", default="GET VAR ups ups.status", help="what each client asks")
    args = parser.parse_args()
    port = free_port()
    nut = {
        "enabled": True,
        "bind": "127.0.0.1",
        "port": port,
        "starttls": False,
        "max_clients": max(300, args.clients + 10),
        "users": [{"name": "bench", "password": "bench-password"}],
    }
    with tempfile.TemporaryDirectory() as name, children() as processes:
        directory = Path(name)
        link = directory / "ups"
        processes.append(start_simulator(link, *SIMULATOR))
        async with daemon_reading(settings_document(directory, link, nut=nut)):
            wall, cpu = time.monotonic(), cpu_seconds()
            await asyncio.sleep(args.seconds)
            idle = (cpu_seconds() - cpu) / (time.monotonic() - wall)
            print(f"daemon alone (poller at 1 s): {idle * 100:5.1f} % of one core")
            command = [
                sys.executable,
                "-c",
                CLIENTS,
                str(port),
                str(args.clients),
                str(args.seconds),
                str(args.interval),
                args.request,
            ]
            process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE)
            wall, cpu = time.monotonic(), cpu_seconds()
            out, _ = await process.communicate()
            busy = (cpu_seconds() - cpu) / (time.monotonic() - wall)
            result = json.loads(out)
            rate = result["requests"] / args.seconds
            print(
                f"{args.clients} clients, {args.request} every {args.interval:g} s: {busy * 100:5.1f} % of one core, "
                f"{rate:.0f} requests/s answered, p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms, "
                f"{result['error_count']} error(s) {result['errors']}"
            )


if __name__ == "__main__":
    asyncio.run(main())
