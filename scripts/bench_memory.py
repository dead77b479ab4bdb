#!/usr/bin/env python3
"""Resident memory of the daemon while it polls a simulated UPS.

Starts the simulator and `netvision run` as separate processes (the core only:
every network service switched off unless --services), polls for --minutes
(10 by default), and prints the daemon's resident set size (VmRSS) every
minute, then its peak (VmHWM). Aim for the core: under 50 MB.

usage: scripts/bench_memory.py [--minutes 10] [--map jbusp] [--services]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, start_simulator


def memory(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])  # kB
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--map", default="jbusp", choices=("jbusp", "vumap", "sts"))
    parser.add_argument("--topology", default="three_phase")
    parser.add_argument("--services", action="store_true", help="keep the network services of the defaults on")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        link = Path(directory) / "ups"
        config = Path(directory) / "netvision.toml"
        lines = [f'data_dir = "{directory}/data"', "[serial]", f'device = "{link}"', "polling_rate = 2"]
        if not args.services:
            lines += [
                "[web]", "http_enabled = false", "https_enabled = false",
                "[snmp]", "enabled = false",
                "[modbus_tcp]", "enabled = false",
                "[bacnet]", "enabled = false",
            ]
        config.write_text("\n".join(lines) + "\n")
        simulator = start_simulator(link, "--map", args.map, "--topology", args.topology)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "netvision", "--log-level", "warning", "run", "--config", str(config)],
            cwd=ROOT,
        )
        try:
            started = time.monotonic()
            print(f"daemon pid {daemon.pid}, polling a simulated {args.map} UPS for {args.minutes} min")
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                time.sleep(min(60.0, args.minutes * 60 - elapsed))
                if daemon.poll() is not None:
                    raise SystemExit(f"the daemon exited with {daemon.returncode}")
                values = memory(daemon.pid)
                print(f"{(time.monotonic() - started) / 60:5.1f} min  RSS {values['VmRSS'] / 1024:6.1f} MB", flush=True)
            values = memory(daemon.pid)
            print(f"resident memory after {args.minutes} min: {values['VmRSS'] / 1024:.1f} MB "
                  f"(peak {values['VmHWM'] / 1024:.1f} MB; aim < 50 MB for the core)")
        finally:
            daemon.terminate()
            simulator.terminate()
            daemon.wait(10)
            simulator.wait(10)


if __name__ == "__main__":
    main()
