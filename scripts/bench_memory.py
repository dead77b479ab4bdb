#!/usr/bin/env python3
"""Resident memory of the daemon while it polls a simulated UPS.

Starts two daemons side by side, each as `netvision run` with its own simulator
process: the core only (every network service switched off) and every service on
(web HTTP and HTTPS, SNMP, Modbus TCP, BACnet, on free loopback ports). They poll
for --minutes (10 by default); the resident set size (VmRSS) of each is printed
every minute, then with its peak (VmHWM). Aims: core under 50 MB, every service
on at most 80 MB.

usage: scripts/bench_memory.py [--minutes 10] [--map jbusp]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, free_port, start_simulator

AIMS = {"core only": 50, "every service": 80}


def memory(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])  # kB
    return values


def settings_lines(directory: Path, link: Path, services: bool) -> list[str]:
    lines = [f'data_dir = "{directory}/data"', "[serial]", f'device = "{link}"', "polling_rate = 2"]
    if not services:
        return lines + [
            "[web]", "http_enabled = false", "https_enabled = false",
            "[snmp]", "enabled = false",
            "[modbus_tcp]", "enabled = false",
            "[bacnet]", "enabled = false",
        ]
    return lines + [
        "[web]", 'bind = "127.0.0.1"', f"http_port = {free_port()}", f"https_port = {free_port()}",
        "[snmp]", "enabled = true", 'bind = "127.0.0.1"', f"port = {free_port(socket.SOCK_DGRAM)}",
        "[modbus_tcp]", "enabled = true", 'bind = "127.0.0.1"', f"port = {free_port()}",
        "[bacnet]", "enabled = true", 'bind = "127.0.0.1"', f"port = {free_port(socket.SOCK_DGRAM)}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--map", default="jbusp", choices=("jbusp", "vumap", "sts"))
    parser.add_argument("--topology", default="three_phase")
    args = parser.parse_args()

    processes: list[subprocess.Popen[bytes]] = []
    daemons: dict[str, subprocess.Popen[bytes]] = {}
    with tempfile.TemporaryDirectory() as root:
        try:
            for name in AIMS:
                directory = Path(root) / name.replace(" ", "-")
                directory.mkdir()
                link = directory / "ups"
                config = directory / "netvision.toml"
                config.write_text("\n".join(settings_lines(directory, link, name == "every service")) + "\n")
                processes.append(start_simulator(link, "--map", args.map, "--topology", args.topology))
                daemon = subprocess.Popen(
                    [sys.executable, "-m", "netvision", "--log-level", "warning", "run", "--config", str(config)],
                    cwd=ROOT,
                )
                processes.append(daemon)
                daemons[name] = daemon
            started = time.monotonic()
            print(f"polling a simulated {args.map} UPS for {args.minutes} min: "
                  + ", ".join(f"{name} (pid {daemon.pid})" for name, daemon in daemons.items()))
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                time.sleep(min(60.0, args.minutes * 60 - elapsed))
                for name, daemon in daemons.items():
                    if daemon.poll() is not None:
                        raise SystemExit(f"the daemon ({name}) exited with {daemon.returncode}")
                figures = "  ".join(
                    f"{name} {memory(daemon.pid)['VmRSS'] / 1024:6.1f} MB" for name, daemon in daemons.items()
                )
                print(f"{(time.monotonic() - started) / 60:5.1f} min  RSS  {figures}", flush=True)
            print(f"resident memory after {args.minutes} min:")
            for name, daemon in daemons.items():
                values = memory(daemon.pid)
                print(f"  {name:14} {values['VmRSS'] / 1024:6.1f} MB (peak {values['VmHWM'] / 1024:.1f} MB; "
                      f"aim at most {AIMS[name]} MB)")
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)


if __name__ == "__main__":
    main()
