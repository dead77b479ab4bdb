#!/usr/bin/env python3
"""SNMP agent throughput against net-snmp's snmpd serving a tree of the same size.

Runs the daemon (embedded simulator, SNMP agent on a free port) in a child
process, then measures for it and for ``snmpd`` (same OIDs and types, served by
``override`` lines) on another port:

- GET requests per second on one scalar (shared/tools/snmpload.py, v2c, 8 in flight);
- the time of one ``snmpbulkwalk`` of both UPS MIBs (RFC1628 .1.3.6.1.2.1.33 and
  NET VISION .1.3.6.1.4.1.4555), and the varbinds per second it implies.

Prints both and the ratios (agent / snmpd). Needs the Debian packages snmp and snmpd.

usage: scripts/bench_snmp.py [--seconds 5] [--walks 5]
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

ROOT = Path(__file__).resolve().parent.parent
LOAD = ROOT.parent / "shared" / "tools" / "snmpload.py"
SUBTREES = (".1.3.6.1.2.1.33", ".1.3.6.1.4.1.4555")
GET_OID = ".1.3.6.1.2.1.33.1.2.4.0"  # upsEstimatedChargeRemaining

AGENT = """
import asyncio, sys
from pathlib import Path
from netvision.daemon import Daemon
from netvision.settings import Settings

async def main(port, data):
    settings = Settings.model_validate({
        "data_dir": data, "serial": {"device": "simulator", "polling_rate": 2},
        "web": {"http_enabled": False, "https_enabled": False},
        "snmp": {"enabled": True, "port": port, "bind": "127.0.0.1"},
        "modbus_tcp": {"enabled": False}, "bacnet": {"enabled": False}})
    daemon = Daemon(settings)
    await daemon.start()
    while not daemon.poller.snapshot.communicating:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""

TYPES = {"INTEGER": "integer", "STRING": "octet_str", "OID": "object_id", "Timeticks": "timeticks",
         "Gauge32": "gauge", "Counter32": "counter", "IpAddress": "ipaddress"}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def walk(port: int) -> tuple[float, list[str]]:
    start = time.perf_counter()
    lines: list[str] = []
    for subtree in SUBTREES:
        output = subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Cr50", f"127.0.0.1:{port}", subtree],
            capture_output=True, text=True, check=True, env={**os.environ, "MIBS": ""},
        ).stdout
        lines.extend(line for line in output.splitlines() if " = " in line)
    return time.perf_counter() - start, lines


def get_rate(port: int, seconds: float) -> float:
    output = subprocess.run(
        [sys.executable, str(LOAD), "127.0.0.1", str(port), GET_OID, str(seconds), "8"],
        capture_output=True, text=True, check=True,
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each GET load")
    parser.add_argument("--walks", type=int, default=5, help="bulk walks per agent (the best is kept)")
    options = parser.parse_args()
    for binary in ("snmpbulkwalk", "snmpd"):
        if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
            print(f"{binary} is missing (Debian packages snmp, snmpd)")
            return 2
    with tempfile.TemporaryDirectory() as temporary:
        ours = free_udp_port()
        agent = subprocess.Popen(
            [sys.executable, "-c", AGENT, str(ours), temporary], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        snmpd = None
        try:
            assert agent.stdout is not None
            if agent.stdout.readline().strip() != "ready":
                print("the agent did not start")
                return 1
            _, lines = walk(ours)
            theirs = free_udp_port()
            config = Path(temporary) / "snmpd.conf"
            config.write_text("rocommunity public 127.0.0.1\n" + "\n".join(override_lines(lines)) + "\n")
            snmpd = subprocess.Popen(
                ["snmpd", "-f", "-C", "-c", str(config), "-Lf", "/dev/null", f"udp:127.0.0.1:{theirs}"],
                env={**os.environ, "SNMP_PERSISTENT_DIR": temporary, "MIBS": ""},
            )
            for _ in range(100):
                try:
                    if len(walk(theirs)[1]) >= len(lines) * 0.9:
                        break
                except subprocess.CalledProcessError:
                    pass
                time.sleep(0.1)

            our_get = get_rate(ours, options.seconds)
            their_get = get_rate(theirs, options.seconds)
            our_walk, our_count = best_walk(ours, options.walks)
            their_walk, their_count = best_walk(theirs, options.walks)
        finally:
            agent.terminate()
            agent.wait()
            if snmpd is not None:
                snmpd.terminate()
                snmpd.wait()

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
