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
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import (
    children,
    free_port,
    settings_document,
    start_daemon_process,
    start_simulator,
    write_settings,
)

AIMS = {"core only": 50, "every service": 80}


def memory(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])  # kB
    return values


def every_service() -> dict[str, dict[str, Any]]:
    """Every network service on, each on a free loopback port."""
    return {
        "web": {
            "http_enabled": True,
            "https_enabled": True,
            "bind": "127.0.0.1",
            "http_port": free_port(),
            "https_port": free_port(),
        },
        "snmp": {"enabled": True, "bind": "127.0.0.1", "port": free_port(socket.SOCK_DGRAM)},
        "modbus_tcp": {"enabled": True, "bind": "127.0.0.1", "port": free_port()},
        "bacnet": {"enabled": True, "bind": "127.0.0.1", "port": free_port(socket.SOCK_DGRAM)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--map", default="jbusp", choices=("jbusp", "vumap", "sts"))
    parser.add_argument("--topology", default="three_phase")
    args = parser.parse_args()

    daemons = {}
    with tempfile.TemporaryDirectory() as root, children() as processes:
        for name in AIMS:
            directory = Path(root) / name.replace(" ", "-")
            directory.mkdir()
            link = directory / "ups"
            services = every_service() if name == "every service" else {}
            document = settings_document(directory, link, serial={"polling_rate": 2}, **services)
            config = write_settings(directory / "netvision.toml", document)
            processes.append(start_simulator(link, "--map", args.map, "--topology", args.topology))
            daemons[name] = start_daemon_process(config, directory / "daemon.log")
            processes.append(daemons[name])
        started = time.monotonic()
        print(
            f"polling a simulated {args.map} UPS for {args.minutes} min: "
            + ", ".join(f"{name} (pid {daemon.pid})" for name, daemon in daemons.items())
        )
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
            print(
                f"  {name:14} {values['VmRSS'] / 1024:6.1f} MB (peak {values['VmHWM'] / 1024:.1f} MB; "
                f"aim at most {AIMS[name]} MB)"
            )


if __name__ == "__main__":
    main()
