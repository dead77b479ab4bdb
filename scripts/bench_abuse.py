#!/usr/bin/env python3
"""The daemon under every flood of issue 10 at once, and what the floods cost.

Starts a simulator and `netvision run` (web HTTP, SNMP, Modbus TCP with pass-through,
BACnet, the firewall rejecting 127.0.0.2; all on loopback free ports), each in its own
process. A first phase without floods (--baseline seconds) measures the legitimate
clients alone; then, for --minutes, these floods run at once, each in a process of its
own, at bounded rates and counts:

- large SNMP GETs (~60 KB, one OID of thousands of arcs) with the read community;
- Modbus TCP pass-through reads (addresses outside the cached tables);
- failed web logins with 60 KB user names;
- refused Modbus TCP connections: beyond the session limit, and from 127.0.0.2 (firewall);
- half-sent HTTP requests held open;
- malformed datagrams to SNMP and BACnet;
- forged BACnet SubscribeCOV requests from many source ports;
- NUT (RFC 9271): connections pipelining LIST VAR, LIST CLIENT and VER without end,
  more connections than one address may hold, one wrong password a second.

Meanwhile a legitimate SNMP GET, a web snapshot request and a NUT ``GET VAR`` are
timed a few times a second. Printed for each phase: poll cycles done against those the polling period
allows (missed cycles), communication-lost events, resident memory growth (VmRSS),
rows added to the event logs, p50/p99 of the legitimate requests and their failures.
Aims (issue 10): 0 missed cycles and 0 communication-lost events, memory growth
under 5 MB.

usage: scripts/bench_abuse.py [--minutes 3] [--baseline 30]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchlib import ROOT, free_port, start_simulator

from netvision.services.snmp.fastpath import encode_integer, encode_oid, tlv
from netvision.services.web.accounts import AccountStore

ADMIN_PASSWORD = "BenchAdmin2024!"
NUT_PASSWORD = "bench-nut-secret"
POLLING_RATE = 1
SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)


# -- encodings -------------------------------------------------------------------------------------


def snmp_get(oid: tuple[int, ...], request_id: int, community: bytes = b"public") -> bytes:
    varbinds = tlv(0x30, tlv(0x30, encode_oid(oid) + b"\x05\x00"))
    pdu = tlv(0xA0, encode_integer(request_id) + encode_integer(0) + encode_integer(0) + varbinds)
    return tlv(0x30, encode_integer(1) + tlv(0x04, community) + pdu)


def modbus_read(transaction: int, address: int, count: int) -> bytes:
    return struct.pack(">HHHBBHH", transaction & 0xFFFF, 0, 6, 1, 3, address, count)


def subscribe_cov(invoke: int, process: int, instance: int) -> bytes:
    """BACnet/IP SubscribeCOV (confirmed, service 5) for analogValue ``instance``, 1 h lifetime."""
    object_id = struct.pack(">I", (2 << 22) | instance)
    apdu = (
        bytes((0x00, 0x05, invoke & 0xFF, 0x05))
        + b"\x0a" + struct.pack(">H", process & 0xFFFF)  # [0] subscriberProcessIdentifier
        + b"\x1c" + object_id  # [1] monitoredObjectIdentifier
        + b"\x29\x00"  # [2] issueConfirmedNotifications FALSE
        + b"\x3a\x0e\x10"  # [3] lifetime 3600 s
    )  # fmt: skip
    npdu = b"\x01\x04"
    return b"\x81\x0a" + struct.pack(">H", 4 + len(npdu) + len(apdu)) + npdu + apdu


# -- floods (each runs in a process of its own until its deadline) --------------------------------


def paced(rate: float, deadline: float) -> Any:
    """Yield about ``rate`` times a second until ``deadline`` (monotonic)."""
    interval = 1.0 / rate
    next_time = time.monotonic()
    while (now := time.monotonic()) < deadline:
        if now < next_time:
            time.sleep(next_time - now)
        next_time += interval
        yield


# What each flood did, reported by its process at the end.
TALLY: Counter[str] = Counter()
# The floods come from an address of their own, as an intruder's would; the legitimate
# clients measured meanwhile come from 127.0.0.1. 127.0.0.2 is the one the firewall rejects.
ATTACKER = "127.0.0.3"


def attacker_udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((ATTACKER, 0))
    sock.setblocking(False)
    return sock


def attacker_tcp(port: int, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(ATTACKER, 0))


def flood_large_snmp(ports: dict[str, int], deadline: float) -> None:
    # One OID of ~30,000 two-byte arcs: a ~60 KB GET with the read community.
    datagram = snmp_get((1, 3, *([300] * 30_000)), 1)[:65_000]
    with attacker_udp() as sock:
        for _ in paced(5, deadline):
            with contextlib.suppress(OSError):
                sock.sendto(datagram, ("127.0.0.1", ports["snmp"]))
                TALLY["sent"] += 1
            with contextlib.suppress(OSError):
                while sock.recv(65_535):
                    TALLY["answered"] += 1


def flood_pass_through(ports: dict[str, int], deadline: float) -> None:
    transaction = 0
    while time.monotonic() < deadline:
        try:
            with attacker_tcp(ports["modbus"]) as sock:
                for _ in paced(50, deadline):
                    transaction += 1
                    sock.sendall(modbus_read(transaction, 0x7000 + transaction % 64, 16))
                    TALLY["sent"] += 1
                    answer = sock.recv(512)
                    if not answer:
                        break
                    exception = len(answer) > 8 and answer[7] & 0x80
                    TALLY[f"exception 0x{answer[8]:02X}" if exception else "answered"] += 1
        except OSError:
            time.sleep(0.5)


def flood_failed_logins(ports: dict[str, int], deadline: float) -> None:
    body = json.dumps({"user": "u" * 60_000, "password": "wrong"}).encode()
    request = (
        f"POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Origin: http://127.0.0.1:{ports['http']}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    for _ in paced(10, deadline):
        with contextlib.suppress(OSError), attacker_tcp(ports["http"]) as sock:
            sock.sendall(request)
            TALLY["sent"] += 1
            sock.settimeout(5)
            answer = sock.recv(4096)
            TALLY["HTTP " + answer[9:12].decode(errors="replace") if answer else "closed"] += 1
            while sock.recv(4096):
                pass


def flood_refused_modbus(ports: dict[str, int], deadline: float) -> None:
    held: list[socket.socket] = []
    try:
        for _ in range(3):  # take the remaining sessions (limit 3, one is the pass-through flood's)
            with contextlib.suppress(OSError):
                held.append(attacker_tcp(ports["modbus"]))
        for n, _ in enumerate(paced(40, deadline)):
            source = "127.0.0.2" if n % 2 else ATTACKER  # the firewall's refusal, the limit's
            with contextlib.suppress(OSError):
                TALLY["attempts from " + source] += 1
                sock = socket.create_connection(("127.0.0.1", ports["modbus"]), timeout=5, source_address=(source, 0))
                sock.settimeout(2)
                try:
                    closed = sock.recv(16) == b""
                except ConnectionError:
                    closed = True
                except OSError:
                    closed = False
                TALLY[("closed at once from " if closed else "left open from ") + source] += 1
                sock.close()
            # Keep the held sessions alive past the idle timeout.
            for sock in held:
                with contextlib.suppress(OSError):
                    sock.sendall(modbus_read(1, 0x1020, 1))
    finally:
        for sock in held:
            sock.close()


def flood_half_sent_http(ports: dict[str, int], deadline: float, count: int) -> None:
    partial = b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    opened: list[socket.socket] = []
    try:
        while time.monotonic() < deadline:
            opened = [sock for sock in opened if sock.fileno() >= 0]
            while len(opened) < count and time.monotonic() < deadline:
                try:
                    sock = attacker_tcp(ports["http"], timeout=2)
                    sock.sendall(partial)
                    opened.append(sock)
                    TALLY["opened"] += 1
                except OSError:
                    break
            time.sleep(1)
            alive = []
            for sock in opened:
                try:
                    sock.sendall(b"a")  # one byte a second: never a whole header
                    alive.append(sock)
                except OSError:
                    sock.close()
            TALLY["closed by the server"] += len(opened) - len(alive)
            TALLY["most held at once"] = max(TALLY["most held at once"], len(alive))
            opened = alive
    finally:
        for sock in opened:
            sock.close()


def flood_malformed(ports: dict[str, int], deadline: float) -> None:
    rng = random.Random(10)
    with attacker_udp() as sock:
        for _ in paced(100, deadline):
            datagram = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
            if rng.random() < 0.5:
                datagram = b"\x81" + datagram  # looks like BVLC
            with contextlib.suppress(OSError):
                sock.sendto(datagram, ("127.0.0.1", ports["snmp"] if rng.random() < 0.5 else ports["bacnet"]))
                TALLY["sent"] += 1
            with contextlib.suppress(OSError):
                while sock.recv(65_535):
                    TALLY["answered"] += 1


def flood_cov(ports: dict[str, int], deadline: float) -> None:
    sockets = []
    for _ in range(16):
        sockets.append(attacker_udp())
    try:
        for n, _ in enumerate(paced(40, deadline)):
            sock = sockets[n % len(sockets)]
            with contextlib.suppress(OSError):
                sock.sendto(subscribe_cov(n, n, n % 32), ("127.0.0.1", ports["bacnet"]))
                TALLY["sent"] += 1
            with contextlib.suppress(OSError):
                while answer := sock.recv(4096):
                    TALLY["simple ACK" if answer[6:7] == b"\x20" else "other answer"] += 1
    finally:
        for sock in sockets:
            sock.close()


def flood_nut(ports: dict[str, int], deadline: float) -> None:
    """NUT: 16 connections pipelining requests as fast as the server takes them (reading
    the answers), 40 more beyond the address's share, a wrong password each second."""
    import selectors

    requests = (b"LIST VAR ups\n", b"LIST CLIENT ups\n", b"VER\n", b"GET VAR ups ups.status\n")
    selector = selectors.DefaultSelector()
    held: list[socket.socket] = []
    try:
        for n in range(16):
            with contextlib.suppress(OSError):
                sock = attacker_tcp(ports["nut"])
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, requests[n % 4] * 64)
                held.append(sock)
        for _ in range(24):  # the address's share is 32: 16 more are served, 8 refused
            with contextlib.suppress(OSError):
                sock = attacker_tcp(ports["nut"], timeout=0.3)
                try:
                    closed = sock.recv(16) == b""
                except TimeoutError:
                    closed = False
                except OSError:
                    closed = True
                TALLY["extra connection " + ("refused" if closed else "held")] += 1
                if closed:
                    sock.close()
                else:
                    held.append(sock)
        next_guess = time.monotonic()
        while time.monotonic() < deadline:
            for key, events in selector.select(0.2):
                sock = key.fileobj  # type: ignore[assignment]
                try:
                    if events & selectors.EVENT_READ:
                        data = sock.recv(65_536)
                        if not data:
                            selector.unregister(sock)
                            TALLY["flood connections closed by the server"] += 1
                            continue
                        TALLY["answer lines"] += data.count(b"\n")
                    if events & selectors.EVENT_WRITE:
                        TALLY["requests sent"] += sock.send(key.data) // len(key.data.split(b"\n")[0] + b"\n")
                except BlockingIOError:
                    pass
                except OSError:
                    with contextlib.suppress(Exception):
                        selector.unregister(sock)
            if time.monotonic() >= next_guess:
                next_guess += 1.0
                # From a second address: the first holds its whole share of connections.
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", ports["nut"]), 10, ("127.0.0.5", 0)) as sock,
                ):
                    sock.sendall(b"USERNAME admin\nPASSWORD wrong\nLOGIN ups\n")
                    answer = b""
                    while answer.count(b"\n") < 3 and (chunk := sock.recv(256)):
                        answer += chunk
                    last = answer.decode(errors="replace").splitlines()[-1:] or ["closed"]
                    TALLY["wrong password: " + last[0]] += 1
    finally:
        for sock in held:
            sock.close()


def run_flood(target: Callable[..., None], tallies: Any, label: str, *arguments: Any) -> None:
    try:
        target(*arguments)
    finally:
        tallies.put((label, dict(TALLY)))


FLOODS: dict[str, Callable[..., None]] = {
    "large SNMP GETs 5/s": flood_large_snmp,
    "Modbus pass-through reads 50/s": flood_pass_through,
    "failed logins, 60 KB user names 10/s": flood_failed_logins,
    "refused Modbus connections 40/s": flood_refused_modbus,
    "half-sent HTTP requests held open": flood_half_sent_http,
    "malformed SNMP/BACnet datagrams 100/s": flood_malformed,
    "forged BACnet COV subscriptions 40/s": flood_cov,
    "NUT pipelined requests, extra connections, wrong passwords": flood_nut,
}


# -- the daemon and what it reports ---------------------------------------------------------------


def settings_text(directory: Path, link: Path, ports: dict[str, int]) -> str:
    return "\n".join(
        [
            f'data_dir = "{directory}/data"',
            "[serial]", f'device = "{link}"', f"polling_rate = {POLLING_RATE}",
            "[web]", 'bind = "127.0.0.1"', f"http_port = {ports['http']}", "https_enabled = false",
            "[snmp]", "enabled = true", 'bind = "127.0.0.1"', f"port = {ports['snmp']}",
            "[modbus_tcp]", "enabled = true", 'bind = "127.0.0.1"', f"port = {ports['modbus']}",
            "pass_through = true", "max_connections = 3",
            "[bacnet]", "enabled = true", 'bind = "127.0.0.1"', f"port = {ports['bacnet']}",
            "[nut]", "enabled = true", 'bind = "127.0.0.1"', f"port = {ports['nut']}",
            "[[nut.users]]", 'name = "admin"', f'password = "{NUT_PASSWORD}"', 'rights = "set"',
            "[access_control]", "enabled = true",
            "[[access_control.rules]]", 'address = "127.0.0.2"', "prefix_length = 32", 'action = "reject"',
        ]
    ) + "\n"  # fmt: skip


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Web:
    """A logged-in admin session over plain sockets (the bench stays dependency-free)."""

    def __init__(self, port: int) -> None:
        import http.client

        self.port = port
        self.cookie = ""
        self._client = http.client
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Origin": f"http://127.0.0.1:{self.port}"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self._connection.request(method, path, body=data, headers=headers)
            response = self._connection.getresponse()
        except (OSError, self._client.HTTPException):
            self._connection.close()
            self._connection = self._client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            raise
        raw = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.startswith("nv_session="):
            self.cookie = cookie.split(";", 1)[0]
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw

    def login(self) -> None:
        status, body = self.request("POST", "/api/v1/login", {"user": "admin", "password": ADMIN_PASSWORD})
        if status != 200:
            raise SystemExit(f"cannot log in: {status} {body}")


def daemon_figures(web: Web) -> dict[str, Any]:
    _, snapshot = web.request("GET", "/api/v1/snapshot")
    _, counts = web.request("GET", "/api/v1/logs")
    communication = snapshot.get("communication", {}) if isinstance(snapshot, dict) else {}
    return {
        "cycles": int(communication.get("cycles") or 0),
        "state": communication.get("state"),
        "log_rows": sum(int(counts.get(name) or 0) for name in ("ups", "netvision")) if isinstance(counts, dict) else 0,
    }


# -- legitimate clients ----------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def legitimate(ports: dict[str, int], seconds: float) -> dict[str, Any]:
    """Time a legitimate SNMP GET, a web snapshot request and a NUT GET VAR 4 times a second each."""
    snmp_times: list[float] = []
    web_times: list[float] = []
    nut_times: list[float] = []
    failures = {"snmp": 0, "web": 0, "nut": 0}
    nut: socket.socket | None = None
    web = Web(ports["http"])
    web.login()
    deadline = time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        request_id = 0
        for _ in paced(4, deadline):
            request_id += 1
            started = time.perf_counter()
            try:
                sock.sendto(snmp_get(SYS_DESCR, request_id), ("127.0.0.1", ports["snmp"]))
                while True:
                    answer = sock.recv(65_535)
                    if encode_integer(request_id) in answer[:40]:
                        break
                snmp_times.append(time.perf_counter() - started)
            except OSError:
                failures["snmp"] += 1
            started = time.perf_counter()
            try:
                status, _ = web.request("GET", "/api/v1/snapshot")
                if status == 200:
                    web_times.append(time.perf_counter() - started)
                else:
                    failures["web"] += 1
            except (OSError, Exception):
                failures["web"] += 1
            started = time.perf_counter()
            try:
                if nut is None:
                    nut = socket.create_connection(("127.0.0.1", ports["nut"]), timeout=2)
                nut.sendall(b"GET VAR ups ups.status\n")
                answer = b""
                while not answer.endswith(b"\n"):
                    chunk = nut.recv(512)
                    if not chunk:
                        raise ConnectionError("closed")
                    answer += chunk
                if answer.startswith(b"VAR "):
                    nut_times.append(time.perf_counter() - started)
                else:
                    failures["nut"] += 1
            except OSError:
                failures["nut"] += 1
                if nut is not None:
                    nut.close()
                nut = None
    if nut is not None:
        nut.close()
    return {"snmp": snmp_times, "web": web_times, "nut": nut_times, "failures": failures}


def lost_events_since(web: Web, since: str) -> int:
    """"UPS communication lost" rows of the NET VISION event log from ``since`` (ISO, UTC) on."""
    lost = 0
    for page in range(1, 21):
        _, body = web.request("GET", f"/api/v1/logs/netvision?per_page=1000&page={page}&order=desc")
        rows = body.get("rows", []) if isinstance(body, dict) else []
        recent = [row for row in rows if row.get("iso", "") >= since]
        lost += sum("communication lost" in row.get("text", "") for row in recent)
        if len(recent) < len(rows) or page >= int(body.get("pages") or 1):
            break
    return lost


def run_phase(name: str, seconds: float, ports: dict[str, int], pid: int, floods: bool, half_open: int) -> None:
    web = Web(ports["http"])
    web.login()
    since = datetime.now(UTC).isoformat()
    before, rss_before, started = daemon_figures(web), rss_kb(pid), time.monotonic()
    processes = []
    tallies: Any = multiprocessing.Queue()
    if floods:
        deadline = time.monotonic() + seconds
        for label, target in FLOODS.items():
            arguments: tuple[Any, ...] = (ports, deadline)
            if target is flood_half_sent_http:
                arguments = (ports, deadline, half_open)
            process = multiprocessing.Process(target=run_flood, args=(target, tallies, label, *arguments), daemon=True)
            process.start()
            processes.append(process)
    measured = legitimate(ports, seconds)
    reports: dict[str, dict[str, int]] = {}
    for _ in processes:
        with contextlib.suppress(Exception):
            label, tally = tallies.get(timeout=30)
            reports[label] = tally
    for process in processes:
        process.join(30)
        if process.is_alive():
            process.terminate()
    elapsed = time.monotonic() - started
    # The floods are over: the web answers again; read what the daemon says now.
    for _ in range(30):
        try:
            web = Web(ports["http"])
            web.login()
            after = daemon_figures(web)
            lost = lost_events_since(web, since)
            break
        except (OSError, SystemExit):
            time.sleep(1)
    else:
        raise SystemExit("the web server no longer answers")
    rss_after = rss_kb(pid)
    cycles = after["cycles"] - before["cycles"]
    expected = int(elapsed / POLLING_RATE)
    print(f"\n== {name}: {elapsed:.0f} s{' with ' + str(len(FLOODS)) + ' floods at once' if floods else ''}")
    if floods:
        for label in FLOODS:
            done = ", ".join(f"{key} {value}" for key, value in sorted(reports.get(label, {}).items()))
            print(f"   flood: {label}: {done or 'no report'}")
    print(f"   poll cycles           {cycles} of {expected} the polling period allows "
          f"(missed {max(0, expected - cycles)}); communication now {after['state']}")
    print(f"   communication lost    {lost} event(s)")
    print(f"   resident memory       {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MB "
          f"(growth {(rss_after - rss_before) / 1024:+.1f} MB)")
    print(f"   event log rows added  {after['log_rows'] - before['log_rows']}")
    for kind, label in (("snmp", "legitimate SNMP GET"), ("web", "web snapshot request"), ("nut", "NUT GET VAR")):
        times = measured[kind]
        print(f"   {label:21} p50 {percentile(times, 0.5) * 1000:7.1f} ms  p99 {percentile(times, 0.99) * 1000:7.1f} ms"
              f"  ({len(times)} answered, {measured['failures'][kind]} failed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3, help="duration of the flood phase")
    parser.add_argument("--baseline", type=float, default=30, help="seconds of the first phase, without floods")
    parser.add_argument("--half-open", type=int, default=300, help="half-sent HTTP requests held open")
    parser.add_argument("--map", default="jbusp", choices=("jbusp", "vumap"))
    args = parser.parse_args()

    ports = {
        "http": free_port(),
        "snmp": free_port(socket.SOCK_DGRAM),
        "modbus": free_port(),
        "bacnet": free_port(socket.SOCK_DGRAM),
        "nut": free_port(),
    }
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as root:
        directory = Path(root)
        link = directory / "ups"
        config = directory / "netvision.toml"
        config.write_text(settings_text(directory, link, ports))
        (directory / "data").mkdir()
        AccountStore.open(directory / "data", lambda: "02:00:00:00:00:01").change_password("admin", ADMIN_PASSWORD)
        try:
            processes.append(start_simulator(link, "--map", args.map))
            daemon = subprocess.Popen(
                [sys.executable, "-m", "netvision", "--log-level", "warning", "run", "--config", str(config)],
                cwd=ROOT,
                stderr=open(directory / "daemon.log", "wb"),  # noqa: SIM115
            )
            processes.append(daemon)
            deadline = time.monotonic() + 60
            while True:
                try:
                    web = Web(ports["http"])
                    web.login()
                    if daemon_figures(web)["state"] == "ok":
                        break
                except (OSError, SystemExit):
                    pass
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the daemon did not start communicating")
                time.sleep(0.5)
            print(f"daemon pid {daemon.pid}, polling every {POLLING_RATE} s; ports {ports}")
            run_phase("without floods", args.baseline, ports, daemon.pid, floods=False, half_open=args.half_open)
            run_phase("under floods", args.minutes * 60, ports, daemon.pid, floods=True, half_open=args.half_open)
            log_lines = (directory / "daemon.log").read_text(errors="replace").splitlines()
            print(f"\ndaemon log: {len(log_lines)} lines, {os.path.getsize(directory / 'daemon.log')} bytes")
            kinds = Counter(line.split(" ", 3)[-1][:60] for line in log_lines if line.strip())
            for text, count in kinds.most_common(5):
                print(f"   {count:6d}  {text}")
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(10)


if __name__ == "__main__":
    main()
