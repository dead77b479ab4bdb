#!/usr/bin/env python3
"""SNMP agent throughput against net-snmp's snmpd serving a tree of the same size.

Runs the simulated UPS and the daemon (SNMP agent on a free port) each in a child
process, then measures for it and for ``snmpd`` (same OIDs and types, served by
``override`` lines) on another port:

- GET requests per second on one scalar (shared/tools/snmpload.py, v2c, 8 in flight);
- the time of one ``snmpbulkwalk`` of both UPS MIBs (RFC1628 .1.3.6.1.2.1.33 and
  NET VISION .1.3.6.1.4.1.4555), and the varbinds per second it implies.

Prints both and the ratios (agent / snmpd). Needs the Debian packages snmp and snmpd.

usage: scripts/bench_snmp.py [--seconds 5] [--walks 5] [--snmpload ../shared/tools/snmpload.py]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (
    ROOT,
    SIMULATOR,
    children,
    free_port,
    settings_document,
    start_daemon_process,
    start_simulator,
    write_settings,
)

SUBTREES = (".1.3.6.1.2.1.33", ".1.3.6.1.4.1.4555")
GET_OID = ".1.3.6.1.2.1.33.1.2.4.0"  # upsEstimatedChargeRemaining

TYPES = {
    "INTEGER": "integer",
    "STRING": "octet_str",
    "OID": "object_id",
    "Timeticks": "timeticks",
    "Gauge32": "gauge",
    "Counter32": "counter",
    "IpAddress": "ipaddress",
}


def reads_the_ups(port: int) -> bool:
    """The agent answers with the UPS's charge: it reads the UPS."""
    result = subprocess.run(
        [
            "snmpget",
            "-v2c",
            "-c",
            "public",
            "-On",
            "-Oqv",
            "-t",
            "1",
            "-r",
            "0",
            f"127.0.0.1:{port}",
            GET_OID,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MIBS": ""},
    )
    return result.returncode == 0 and result.stdout.strip().isdigit()


def walk(port: int) -> tuple[float, list[str]]:
    start = time.perf_counter()
    lines: list[str] = []
    for subtree in SUBTREES:
        output = subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Cr50", f"127.0.0.1:{port}", subtree],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "MIBS": ""},
        ).stdout
        lines.extend(line for line in output.splitlines() if " = " in line)
    return time.perf_counter() - start, lines


def get_rate(load: Path, port: int, seconds: float) -> float:
    output = subprocess.run(
        [sys.executable, str(load), "127.0.0.1", str(port), GET_OID, str(seconds), "8"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"rate=(\d+)", output).group(1))  # type: ignore[union-attr]


def override_lines(lines: list[str]) -> list[str]:
    """snmpd configuration serving the same OIDs with the same types."""
    config = []
    for line in lines:
        oid, value = line.split(" = ", 1)
        kind, _, text = value.partition(": ")
        if value.startswith('""'):
            kind, text = "STRING", '""'
        snmpd_type = TYPES.get(kind)
        if snmpd_type is None:
            continue
        if snmpd_type == "timeticks":
            text = re.search(r"\((\d+)\)", text).group(1)  # type: ignore[union-attr]
        if snmpd_type == "octet_str" and not text.startswith('"'):
            text = f'"{text}"'
        config.append(f"override {oid} {snmpd_type} {text or '0'}")
    return config


def best_walk(port: int, walks: int) -> tuple[float, int]:
    timings = []
    count = 0
    for _ in range(walks):
        seconds, lines = walk(port)
        timings.append(seconds)
        count = len(lines)
    return min(timings), count


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each GET load")
    parser.add_argument("--walks", type=int, default=5, help="bulk walks per agent (the best is kept)")
    parser.add_argument("--snmpload", type=Path, default=ROOT.parent / "shared" / "tools" / "snmpload.py")
    options = parser.parse_args()
    if not options.snmpload.exists():
        parser.error(f"{options.snmpload} not found (give --snmpload)")
    for binary in ("snmpbulkwalk", "snmpget", "snmpd"):
        if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
            print(f"{binary} is missing (Debian packages snmp, snmpd)")
            return 2
    with tempfile.TemporaryDirectory() as name, children() as processes:
        directory = Path(name)
        link = directory / "ups"
        ours = free_port(socket.SOCK_DGRAM)
        snmp = {"enabled": True, "bind": "127.0.0.1", "port": ours}
        document = settings_document(directory, link, serial={"polling_rate": 2}, snmp=snmp)
        config = write_settings(directory / "netvision.toml", document)
        processes.append(start_simulator(link, *SIMULATOR))
        processes.append(start_daemon_process(config, directory / "daemon.log"))
        deadline = time.monotonic() + 60
        while not reads_the_ups(ours):
            if processes[-1].poll() is not None or time.monotonic() > deadline:
                print(f"the agent did not start: {(directory / 'daemon.log').read_text()}")
                return 1
            time.sleep(0.2)
        time.sleep(2)  # a full poll cycle: every value of the UPS is there
        _, lines = walk(ours)
        theirs = free_port(socket.SOCK_DGRAM)
        snmpd_config = directory / "snmpd.conf"
        snmpd_config.write_text("rocommunity public 127.0.0.1\n" + "\n".join(override_lines(lines)) + "\n")
        processes.append(
            subprocess.Popen(
                ["snmpd", "-f", "-C", "-c", str(snmpd_config), "-Lf", "/dev/null", f"udp:127.0.0.1:{theirs}"],
                env={**os.environ, "SNMP_PERSISTENT_DIR": name, "MIBS": ""},
            )
        )
        for _ in range(100):
            try:
                if len(walk(theirs)[1]) >= len(lines) * 0.9:
                    break
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.1)

        our_get = get_rate(options.snmpload, ours, options.seconds)
        their_get = get_rate(options.snmpload, theirs, options.seconds)
        our_walk, our_count = best_walk(ours, options.walks)
        their_walk, their_count = best_walk(theirs, options.walks)

    print(f"{'':28} {'netvision':>12} {'snmpd':>12} {'ratio':>8}")
    print(f"{'GET 1 scalar (req/s)':28} {our_get:12.0f} {their_get:12.0f} {our_get / their_get:8.3f}")
    print(f"{'bulkwalk both MIBs (s)':28} {our_walk:12.4f} {their_walk:12.4f} {their_walk / our_walk:8.3f}")
    our_rate, their_rate = our_count / our_walk, their_count / their_walk
    print(f"{'bulkwalk varbinds':28} {our_count:12d} {their_count:12d}")
    print(f"{'bulkwalk varbinds/s':28} {our_rate:12.0f} {their_rate:12.0f} {our_rate / their_rate:8.3f}")
    print("(walk times include starting snmpbulkwalk twice, the same for both agents)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
