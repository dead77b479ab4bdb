#!/usr/bin/env python3
"""BACnet/IP device: time of a ReadPropertyMultiple of every present value.

The simulated UPS, the daemon (poller + BACnet device on loopback) and the
BACnet client (bacpypes3, ``netvision.services.bacnet.client``) each run in
their own process. The client reads the Present_Value of the 101 value
objects (88 AV, 10 MV, 3 BSV) in one ReadPropertyMultiple, --requests times in
a row, and the script prints the mean, p50 and p99 time per request and the
request rate.

usage: scripts/bench_bacnet.py [--requests 500] [--map jbusp|vumap] [--topology three_phase]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (
    ROOT,
    children,
    free_port,
    settings_document,
    start_daemon_process,
    start_simulator,
    write_settings,
)

CLIENT = [sys.executable, "-m", "netvision.services.bacnet.client"]


def device_status(port: int) -> int | None:
    result = subprocess.run(
        [*CLIENT, "--device", f"127.0.0.1:{port}", "read", "multi-state-value,0", "present-value"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return int(json.loads(result.stdout.splitlines()[0])["value"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--map", default="jbusp", choices=("jbusp", "vumap"))
    parser.add_argument("--topology", default="three_phase")
    args = parser.parse_args()

    port = free_port(socket.SOCK_DGRAM)
    with tempfile.TemporaryDirectory() as name, children() as processes:
        directory = Path(name)
        link = directory / "ups"
        bacnet = {"enabled": True, "bind": "127.0.0.1", "port": port}
        document = settings_document(directory, link, serial={"polling_rate": 2}, bacnet=bacnet)
        config = write_settings(directory / "netvision.toml", document)
        processes.append(start_simulator(link, "--map", args.map, "--topology", args.topology))
        daemon = start_daemon_process(config, directory / "daemon.log")
        processes.append(daemon)
        deadline = time.monotonic() + 60
        while device_status(port) != 1:  # 1 = Running: BACnet and UPS communication OK
            if daemon.poll() is not None:
                raise SystemExit(
                    f"the daemon exited with {daemon.returncode}: {(directory / 'daemon.log').read_text()}"
                )
            if time.monotonic() > deadline:
                raise SystemExit("the daemon did not reach the UPS within 60 s")
            time.sleep(0.5)
        result = subprocess.run(
            [*CLIENT, "--device", f"127.0.0.1:{port}", "bench", "--requests", str(args.requests)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        figures = json.loads(result.stdout.splitlines()[-1])
        print(
            f"ReadPropertyMultiple of {figures['objects']} present values ({args.map}, {args.topology}), "
            f"{figures['requests']} requests on loopback:"
        )
        print(
            f"  mean {figures['mean_ms']:.2f} ms   p50 {figures['p50_ms']:.2f} ms   "
            f"p99 {figures['p99_ms']:.2f} ms   {figures['requests_per_second']:.0f} requests/s"
        )


if __name__ == "__main__":
    main()
