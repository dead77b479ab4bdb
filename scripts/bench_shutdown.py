#!/usr/bin/env python3
"""Shutdown of many NUT clients: from a mains failure to the first warning, then the
forced shutdown (FSD) as every client sees it, and what the daemon costs meanwhile.

Three processes besides this one: the simulated UPS (9600 baud, wire timing) with its
control socket, the daemon (``netvision run --config``, its default polling) with the
NUT server, a ``monitor`` NUT user, the ``ac_failed`` shutdown row (warning period
--warning-period min, 1st warning 0 s, interval --interval s) and syslog over UDP to a
socket of this bench, and --upsmon stock ``upsmon`` processes (``/lib/nut/upsmon -F``,
secondary, the stock POLLFREQ and POLLFREQALERT of 5 s, a SHUTDOWNCMD that writes the
time it ran to a file; run as the user ``nut`` when the bench runs as root, since root's
upsmon allows one instance per machine).

This process runs --clients NUT clients on one event loop, as upsmon does: USERNAME,
PASSWORD, LOGIN ups, then ``GET VAR ups ups.status`` every --poll s (spread over the
period); "seen" is the wall-clock time the first answer with FSD arrived.

The run: the daemon alone for --baseline s; the clients and the upsmon processes log in
and poll for --minutes (the steady state); then a mains failure through the simulator's
control socket (the "UPS event", wall clock just before the command); the warning
period runs; the FSD. Figures:

1. UPS event → first syslog message of the change (detection, the on-battery event) and
   → the syslog message of nv.shutdown_warning_sent (first warning): arrival at the
   bench's UDP socket.
2. The FSD decision: the time of nv.shutdown_request_sent in the daemon's NET VISION
   event log (logs.sqlite3, ``netvision_events.time_us``; shutdown-state.json's
   ``shutdown_sent`` if the row is missing); per client seen − decision (min, median,
   p99, max, spread = max − min; aim: all within 1 s); per upsmon the time its
   SHUTDOWNCMD ran − decision.
3. The daemon's RSS (/proc/PID/status VmRSS) and CPU (/proc/PID/stat utime + stime),
   sampled every second: alone, with the clients (steady state), during the event.
4. Client errors and disconnections.

All times are wall-clock times of one machine; the resolution of "seen" is the poll
period. The machine may be shared with other work: CPU figures are the daemon's own,
latencies include any wait for a core.

usage: scripts/bench_shutdown.py [--clients 250] [--upsmon 3] [--poll 0.5] [--minutes 3]
                                 [--warning-period 1] [--interval 10] [--baseline 20]
a short run (about 1.5 min, the warning period lasts 1 min at least):
       scripts/bench_shutdown.py --clients 50 --upsmon 1 --minutes 0.25 --baseline 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pwd
import re
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchlib import (
    SIMULATOR,
    WIRE_TIMING,
    children,
    free_port,
    percentile,
    settings_document,
    simctl,
    start_daemon_process,
    start_simulator,
    write_settings,
)

UPSMON = Path("/lib/nut/upsmon")
USER, PASSWORD = "monitor", "bench-monitor-secret"
UPSMON_POLL = 5  # s: upsmon's stock POLLFREQ and POLLFREQALERT
AIM_SPREAD = 1.0  # s: every NUT client sees FSD within this of the decision
ANSWER_TIMEOUT = 10.0  # s for one answer of the daemon before the client counts an error
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
ID = re.compile(rb' id="([^"]+)"')


# -- the daemon's process --------------------------------------------------------------------------


def settings(
    directory: Path, link: Path, nut_port: int, syslog_port: int, args: argparse.Namespace
) -> dict[str, Any]:
    return settings_document(
        directory,
        link,
        serial={"baud_rate": 9600},
        syslog={"enabled": True, "server": "127.0.0.1", "port": syslog_port, "transport": "udp"},
        nut={
            "enabled": True,
            "bind": "127.0.0.1",
            "port": nut_port,
            "starttls": False,
            "max_clients": min(1000, max(300, args.clients + args.upsmon + 20)),
            "users": [{"name": USER, "password": PASSWORD, "rights": "monitor"}],
        },
        shutdown={
            "enabled": True,
            "events": [
                {
                    "event": "ac_failed",
                    "enabled": True,
                    "warning_period": args.warning_period,
                    "first_warning": 0,
                    "warning_interval": args.interval,
                }
            ],
        },
    )


@dataclass
class Sample:
    at: float  # wall clock
    cpu: float  # s of CPU (user + system)
    rss: int  # kB


def sample(pid: int) -> Sample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICK  # utime, stime (fields 14, 15)
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return Sample(time.time(), cpu, rss)


async def watch(pid: int, samples: list[Sample]) -> None:
    while True:
        with contextlib.suppress(OSError, ValueError):
            samples.append(sample(pid))
        await asyncio.sleep(1.0)


def phase(samples: list[Sample], start: float, end: float) -> str:
    inside = [s for s in samples if start <= s.at <= end]
    if len(inside) < 2:
        return "(too short to measure)"
    cpu = (inside[-1].cpu - inside[0].cpu) / (inside[-1].at - inside[0].at)
    rss = [s.rss / 1024 for s in inside]
    return (
        f"CPU {cpu * 100:5.1f} % of one core   RSS median {statistics.median(rss):5.1f} MB, "
        f"max {max(rss):5.1f} MB   ({inside[-1].at - inside[0].at:.0f} s)"
    )


# -- syslog ----------------------------------------------------------------------------------------


class Syslog(asyncio.DatagramProtocol):
    """Each datagram: (arrival, event id) — the id from the message's structured data."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, str]] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        match = ID.search(data)
        self.messages.append((time.time(), match.group(1).decode() if match else "?"))

    def first(self, since: float, event: str | None = None) -> tuple[float, str] | None:
        return next(((at, id_) for at, id_ in self.messages if at >= since and event in (None, id_)), None)


# -- the NUT clients -------------------------------------------------------------------------------


@dataclass
class Clients:
    port: int
    poll: float
    count: int
    logged_in: int = 0
    seen: dict[int, float] = field(default_factory=dict)  # client → wall clock of its first FSD
    latencies: list[float] = field(default_factory=list)  # s, steady state only
    errors: Counter[str] = field(default_factory=Counter)
    disconnected: set[int] = field(default_factory=set)
    measuring: bool = False
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, number: int) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.port), ANSWER_TIMEOUT
            )
        except (OSError, TimeoutError) as error:
            self.errors[f"connect: {type(error).__name__}"] += 1
            self.disconnected.add(number)
            return

        async def ask(request: str) -> str:
            writer.write(request.encode() + b"\n")
            answer = await asyncio.wait_for(reader.readline(), ANSWER_TIMEOUT)
            if not answer:
                raise ConnectionResetError("closed by the daemon")
            return answer.decode(errors="replace").strip()

        try:
            for request in (f"USERNAME {USER}", f"PASSWORD {PASSWORD}", "LOGIN ups"):
                answer = await ask(request)
                if not answer.startswith("OK"):
                    self.errors[f"{request.split()[0]}: {answer}"] += 1
                    return
            self.logged_in += 1
            await asyncio.sleep(self.poll * number / self.count)  # spread over the period, as hosts are
            while not self.stop.is_set():
                started = time.perf_counter()
                answer = await ask("GET VAR ups ups.status")
                took = time.perf_counter() - started
                if answer.startswith("ERR"):
                    self.errors[f"GET VAR: {answer}"] += 1
                elif number not in self.seen and "FSD" in answer.partition('"')[2].split():
                    self.seen[number] = time.time()
                elif self.measuring:
                    self.latencies.append(took)
                await asyncio.sleep(self.poll)
            writer.write(b"LOGOUT\n")
        except (OSError, TimeoutError) as error:
            self.errors[f"disconnected: {type(error).__name__}: {error}"[:90]] += 1
            self.disconnected.add(number)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


# -- upsmon ----------------------------------------------------------------------------------------


async def start_upsmon(directory: Path, nut_port: int) -> tuple[asyncio.subprocess.Process, Path, Path]:
    directory.mkdir()
    ran, log = directory / "shutdown-ran", directory / "upsmon.log"
    script = directory / "shutdown.sh"
    script.write_text(f"#!/bin/sh\n/bin/date +%s.%N > {ran}\n")
    script.chmod(0o755)
    config = directory / "upsmon.conf"
    config.write_text(
        f"MONITOR ups@127.0.0.1:{nut_port} 1 {USER} {PASSWORD} secondary\n"
        f'SHUTDOWNCMD "{script}"\n'
        f"POLLFREQ {UPSMON_POLL}\nPOLLFREQALERT {UPSMON_POLL}\nDEADTIME 15\nFINALDELAY 0\n"
        f"POWERDOWNFLAG {directory / 'killpower'}\n"
    )
    config.chmod(0o600)
    environment = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "NUT_CONFPATH": str(directory),
        "NUT_STATEPATH": str(directory),
        "NUT_ALTPIDPATH": str(directory),
    }
    # Run by root, upsmon keeps its PID file in /run/nut, one for the machine: a second one
    # would refuse to start. Run by another user it keeps it in NUT_ALTPIDPATH.
    account: dict[str, Any] = {}
    if os.geteuid() == 0:
        owner = pwd.getpwnam("nut")
        directory.parent.chmod(0o711)
        for path in (directory, config, script):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        account = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(UPSMON), "-F", "-p", "-D", env=environment, stdout=output, stderr=subprocess.STDOUT, **account
        )
    return process, ran, log


# -- the bench -------------------------------------------------------------------------------------


async def ups_status(port: int) -> str:
    """``ups.status`` as a NUT client reads it now ('' while the daemon cannot say)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return ""
    try:
        writer.write(b"GET VAR ups ups.status\n")
        answer = (await asyncio.wait_for(reader.readline(), 5)).decode()
        return answer.partition('"')[2].rstrip().rstrip('"') if answer.startswith("VAR") else ""
    except (OSError, TimeoutError):
        return ""
    finally:
        writer.close()


def logged_time(data_dir: Path, event: str, since: float) -> float | None:
    """The time (wall clock, s) of the first ``event`` in the NET VISION event log since ``since``."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{data_dir / 'logs.sqlite3'}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT time_us FROM netvision_events WHERE event = ? AND time_us >= ? ORDER BY id LIMIT 1",
                (event, int(since * 1e6)),
            ).fetchone()
    except sqlite3.Error:
        return None
    return row[0] / 1e6 if row else None


def state_file_time(data_dir: Path) -> float | None:
    try:
        sent = json.loads((data_dir / "shutdown-state.json").read_text()).get("shutdown_sent")
    except (OSError, ValueError):
        return None
    return datetime.fromisoformat(sent).timestamp() if sent else None


async def bench(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory() as name, children() as processes:
        directory = Path(name)
        link, control, data_dir = directory / "ups", directory / "control", directory / "data"
        syslog = Syslog()
        transport, _ = await loop.create_datagram_endpoint(lambda: syslog, local_addr=("127.0.0.1", 0))
        syslog_port = transport.get_extra_info("sockname")[1]
        nut_port = free_port()
        config = write_settings(
            directory / "netvision.toml", settings(directory, link, nut_port, syslog_port, args)
        )
        upsmons: list[tuple[asyncio.subprocess.Process, Path, Path]] = []
        tasks: list[asyncio.Task[None]] = []
        clients = Clients(nut_port, args.poll, args.clients)
        try:
            processes.append(start_simulator(link, *SIMULATOR, *WIRE_TIMING, "--control", str(control)))
            daemon = start_daemon_process(config, directory / "daemon.log")
            processes.append(daemon)
            deadline = time.monotonic() + 60
            while not await ups_status(nut_port):
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the daemon does not answer: " + (directory / "daemon.log").read_text()[-2000:]
                    )
                await asyncio.sleep(0.2)
            samples: list[Sample] = []
            tasks.append(asyncio.create_task(watch(daemon.pid, samples)))
            print(
                f"shutdown bench: daemon pid {daemon.pid}, simulator at 9600 baud (wire timing), "
                f"{args.clients} NUT clients polling every {args.poll:g} s + {args.upsmon} stock upsmon "
                f"(POLLFREQALERT {UPSMON_POLL} s), ac_failed: warning period {args.warning_period} min, "
                f"1st warning 0 s, interval {args.interval} s; a shared machine (other work runs on it)",
                flush=True,
            )
            alone = time.time()
            await asyncio.sleep(args.baseline)

            connecting = time.time()
            if args.upsmon and not UPSMON.exists():
                print(f"  {UPSMON} is missing: no upsmon processes")
            elif args.upsmon:
                for number in range(args.upsmon):
                    upsmons.append(await start_upsmon(directory / f"upsmon{number}", nut_port))
            tasks += [asyncio.create_task(clients.run(number)) for number in range(args.clients)]
            while clients.logged_in + sum(clients.errors.values()) < args.clients:
                if time.time() - connecting > 60:
                    break
                await asyncio.sleep(0.1)
            steady = time.time()
            print(
                f"  {clients.logged_in} clients logged in {steady - connecting:.1f} s after the first connection; "
                f"steady state for {args.minutes:g} min",
                flush=True,
            )
            clients.measuring = True
            for minute in range(int(args.minutes * 60) // 60):
                await asyncio.sleep(60)
                print(f"  {minute + 1} min  {phase(samples, steady, time.time())}", flush=True)
            await asyncio.sleep(args.minutes * 60 % 60)
            clients.measuring = False

            event = time.time()
            await simctl(control, {"cmd": "scenario", "name": "mains_failure"})
            print("  mains failure sent; waiting for the warning period and the FSD", flush=True)
            limit = event + args.warning_period * 60 + 2 * UPSMON_POLL + 60
            while time.time() < limit:
                everyone = len(clients.seen) + len(clients.disconnected) >= args.clients
                if everyone and all(ran.exists() for _, ran, _ in upsmons):
                    break
                await asyncio.sleep(0.1)
            done = time.time()
            await asyncio.sleep(5)  # the last answers, and the store writes its rows
            clients.stop.set()
            decision = None
            for _ in range(50):
                decision = logged_time(data_dir, "nv.shutdown_request_sent", event)
                if decision is not None:
                    break
                await asyncio.sleep(0.2)
            source = "event log"
            if decision is None:
                decision, source = state_file_time(data_dir), "shutdown-state.json"
            warning_logged = logged_time(data_dir, "nv.shutdown_warning_sent", event)
            report(args, syslog, clients, upsmons, samples, decision, source, warning_logged,
                   (alone, connecting, steady, event, done))  # fmt: skip
        finally:
            clients.stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for process, _, _ in upsmons:
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        process.terminate()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(process.wait(), 10)
            transport.close()


def report(
    args: argparse.Namespace,
    syslog: Syslog,
    clients: Clients,
    upsmons: list[tuple[asyncio.subprocess.Process, Path, Path]],
    samples: list[Sample],
    decision: float | None,
    source: str,
    warning_logged: float | None,
    marks: tuple[float, float, float, float, float],
) -> None:
    alone, connecting, steady, event, done = marks
    print("\n1. from the UPS event (mains failure command)")
    detected = syslog.first(event)
    warning = syslog.first(event, "nv.shutdown_warning_sent")
    if detected is not None:
        print(f"   detection (first syslog message, {detected[1]}): {(detected[0] - event) * 1000:8.1f} ms")
    if warning is not None:
        logged = f"; in the event log at {(warning_logged - event) * 1000:.1f} ms" if warning_logged else ""
        print(
            f"   first warning (syslog nv.shutdown_warning_sent): {(warning[0] - event) * 1000:8.1f} ms{logged}"
        )
    else:
        print("   first warning: no syslog message nv.shutdown_warning_sent")
    warnings = [at for at, id_ in syslog.messages if at >= event and id_ == "nv.shutdown_warning_sent"]
    print(f"   warnings received: {len(warnings)} (interval {args.interval} s)")

    print("\n2. the FSD")
    if decision is None:
        print("   no nv.shutdown_request_sent in the event log nor in shutdown-state.json")
        return
    request = syslog.first(event, "nv.shutdown_request_sent")
    print(
        f"   decision ({source}): {decision - event:.3f} s after the UPS event "
        f"(warning period {args.warning_period * 60} s)"
        + (f"; its syslog message {(request[0] - decision) * 1000:.1f} ms later" if request else "")
    )
    delays = [at - decision for at in clients.seen.values()]
    if delays:
        spread = max(delays) - min(delays)
        met = "met" if max(delays) <= AIM_SPREAD else "NOT met"
        print(
            f"   {len(delays)}/{args.clients} NUT clients saw FSD (poll every {args.poll:g} s), "
            f"seen − decision: min {min(delays) * 1000:.0f} ms, median {statistics.median(delays) * 1000:.0f} ms, "
            f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms; "
            f"spread {spread * 1000:.0f} ms; all within {AIM_SPREAD:g} s: {met}"
        )
    missing = args.clients - len(delays)
    if missing:
        print(f"   {missing} NUT client(s) never saw FSD")
    for number, (process, ran, log) in enumerate(upsmons):
        if ran.exists():
            when = float(ran.read_text().strip())
            print(f"   upsmon {number}: SHUTDOWNCMD ran {when - decision:.3f} s after the decision")
        else:
            lines = log.read_text(errors="replace").strip().splitlines() or [""]
            state = "running" if process.returncode is None else f"exited with {process.returncode}"
            print(f"   upsmon {number}: SHUTDOWNCMD did not run ({state}; its last line: {lines[-1][:120]})")
    print(
        f"   (a stock upsmon polls every {UPSMON_POLL} s (POLLFREQALERT), so it sees FSD up to {UPSMON_POLL} s later)"
    )

    print("\n3. the daemon's process")
    print(f"   alone (before the clients)     {phase(samples, alone, connecting)}")
    print(f"   with the clients, steady state {phase(samples, steady, event)}")
    print(f"   the event (failure → FSD seen) {phase(samples, event, done)}")
    print(f"   around the FSD (decision +5 s) {phase(samples, decision - 1, decision + 5)}")
    if clients.latencies:
        print(
            f"   steady state answers: {len(clients.latencies)}, p50 "
            f"{percentile(clients.latencies, 0.5) * 1000:.2f} ms, p99 {percentile(clients.latencies, 0.99) * 1000:.2f} ms"
        )

    print("\n4. client errors and disconnections")
    if not clients.errors:
        print("   none")
    for text, count in clients.errors.most_common(8):
        print(f"   {count:5d} × {text}")
    print("   (the figures come from a machine shared with other work)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=250, help="plain asyncio NUT clients")
    parser.add_argument("--upsmon", type=int, default=3, help="stock upsmon processes (secondary)")
    parser.add_argument("--poll", type=float, default=0.5, help="s between two GET VAR of a client")
    parser.add_argument("--minutes", type=float, default=3, help="steady state before the mains failure")
    parser.add_argument("--warning-period", type=int, default=1, help="min (ac_failed row)")
    parser.add_argument("--interval", type=int, default=10, help="s between two warnings (ac_failed row)")
    parser.add_argument("--baseline", type=float, default=20, help="s of the daemon alone")
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
