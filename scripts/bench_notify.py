#!/usr/bin/env python3
"""Notification latency: from a UPS change in the simulator to the mail, the syslog line
and the trap, each beside the detection latency (change → event on the bus).

The simulator runs in its own process on a pseudo-terminal with wire timing on (9600
baud), the daemon in this process with its default polling (2 s, fast lane 500 ms),
and three real receivers on loopback:

- an SMTP server (aiosmtpd): "mail" is the moment its DATA handler accepts the mail;
- rsyslogd with a private configuration, an imtcp listener (``--syslog udp``: imudp)
  and an omfile action: "syslog" is the moment the line is in the file;
- snmptrapd (net-snmp) with ``authCommunity log``, logging to a file (``-Lf``): "trap"
  is the moment its line is in the file.

The SMTP server and the watch on both files run in a child process (``--receivers``),
so that they never wait for the daemon's event loop or its GIL; each arrival is stamped
there with the system's monotonic clock, which both processes share. The files are
polled every millisecond: the resolution of "syslog" and "trap" is about 1 ms.

Each run is a mains failure then a mains restored, made at a random moment of the
polling period through the simulator's control socket; the next change waits until
every receiver has been quiet for a while. For each path the table gives median, p90
and max from the change, and the same less the detection latency of that change,
against the aim: detection + at most 100 ms (every change: the max).

The mail service sends the first events of a burst once no other came for ``SETTLE``
(50 ms) and the rest of the burst (events less than ``BURST_GAP`` apart) as one more
mail: "mail" is the first mail of the change; ``--burst-gap 0`` measures the path with
no grouping at all.

usage: scripts/bench_notify.py [--runs 10] [--syslog tcp|udp] [--burst-gap SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchlib import (
    SIMULATOR,
    WIRE_TIMING,
    children,
    daemon_reading,
    free_port,
    percentile,
    settings_document,
    simctl,
    start_simulator,
)

AIM = 0.100  # s over detection
QUIET = 2.5  # s without any arrival before the next change
TIMEOUT = 20.0  # s for every path to answer a change
PATHS = ("mail", "syslog", "trap")


# -- the receivers' process ------------------------------------------------------------------------


def receivers_main(smtp_port: int, files: list[str]) -> None:
    """aiosmtpd on ``smtp_port`` and a 1 ms watch on ``files`` (syslog, trap): one line
    ``<path> <monotonic time>`` on stdout per arrival."""
    from aiosmtpd.controller import Controller

    lock = threading.Lock()

    def say(path: str, when: float) -> None:
        with lock:
            sys.stdout.write(f"{path} {when:.6f}\n")
            sys.stdout.flush()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            say("mail", time.monotonic())
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    say("ready", time.monotonic())
    watched = [(name, Path(file)) for name, file in zip(("syslog", "trap"), files, strict=True)]
    offsets = {name: 0 for name, _ in watched}
    pending = {name: b"" for name, _ in watched}
    try:
        while True:
            for name, path in watched:
                try:
                    size = path.stat().st_size
                except FileNotFoundError:
                    continue
                if size <= offsets[name]:
                    continue
                now = time.monotonic()
                with path.open("rb") as file:
                    file.seek(offsets[name])
                    data = file.read(size - offsets[name])
                offsets[name] += len(data)
                lines = (pending[name] + data).split(b"\n")
                pending[name] = lines.pop()
                for line in lines:
                    if name != "trap" or line.startswith(b"TRAP|"):
                        say(name, now)
            time.sleep(0.001)
    finally:
        controller.stop()


# -- rsyslogd and snmptrapd ------------------------------------------------------------------------


def start_rsyslogd(directory: Path, transport: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    binary = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    port = free_port(socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM)
    output = directory / "syslog.log"
    module = "imudp" if transport == "udp" else "imtcp"
    (directory / "rsyslog.conf").write_text(
        f'global(workDirectory="{directory}")\n'
        f'module(load="{module}")\n'
        f'input(type="{module}" address="127.0.0.1" port="{port}")\n'
        'template(name="line" type="string" string="%timegenerated:::date-rfc3339% %msgid% %msg%\\n")\n'
        f'*.* action(type="omfile" file="{output}" template="line")\n',
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [binary, "-n", "-f", str(directory / "rsyslog.conf"), "-i", str(directory / "rsyslogd.pid")],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "rsyslogd.err", "ab"),  # noqa: SIM115 - the child owns it
    )
    deadline = time.monotonic() + 20
    while transport == "tcp":
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "rsyslogd did not start: " + (directory / "rsyslogd.err").read_text()
                ) from None
            time.sleep(0.05)
    else:
        time.sleep(1.0)  # imudp: nothing to connect to
    return process, port, output


def start_snmptrapd(directory: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    binary = shutil.which("snmptrapd") or "/usr/sbin/snmptrapd"
    port = free_port(socket.SOCK_DGRAM)
    output = directory / "traps.log"
    (directory / "snmptrapd.conf").write_text("authCommunity log nv\n", encoding="utf-8")
    process = subprocess.Popen(
        [
            binary, "-f", "-C", "-c", str(directory / "snmptrapd.conf"), "-n", "-On",
            "-Lf", str(output), "-F", "TRAP|%P|%N|%q|%v\n", f"udp:127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SNMP_PERSISTENT_DIR": str(directory), "MIBS": ""},
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while b"NET-SNMP version" not in (output.read_bytes() if output.exists() else b""):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("snmptrapd did not start")
        time.sleep(0.05)
    return process, port, output


# -- the bench -------------------------------------------------------------------------------------


async def bench(runs: int, transport: str, burst_gap: float | None) -> None:
    from netvision.daemon import Daemon
    from netvision.events.bus import Event
    from netvision.services.mail import service as mail_service

    if burst_gap is not None:
        defaults = list(mail_service.MailService.__init__.__defaults__ or ())
        defaults[1] = (burst_gap, mail_service.BURST_MAX)
        mail_service.MailService.__init__.__defaults__ = tuple(defaults)
    gap = mail_service.MailService.__init__.__defaults__[1][0]  # type: ignore[index]

    rng = random.Random(1)
    arrivals: dict[str, list[float]] = {path: [] for path in PATHS}
    bus: list[tuple[float, Event]] = []
    with tempfile.TemporaryDirectory() as name, children() as processes:
        directory = Path(name)
        link, control = directory / "ups", directory / "control"
        processes.append(start_simulator(link, *SIMULATOR, *WIRE_TIMING, "--control", str(control)))
        rsyslogd, syslog_port, syslog_file = start_rsyslogd(directory, transport)
        processes.append(rsyslogd)
        trapd, trap_port, trap_file = start_snmptrapd(directory)
        processes.append(trapd)
        trap_file.write_bytes(b"")  # the watch counts from here: not the start banner
        smtp_port = free_port()
        receivers = subprocess.Popen(
            [sys.executable, __file__, "--receivers", str(smtp_port), str(syslog_file), str(trap_file)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        processes.append(receivers)
        assert receivers.stdout is not None
        if not receivers.stdout.readline().startswith("ready"):
            raise RuntimeError("the SMTP server did not start")

        def read() -> None:
            assert receivers.stdout is not None
            for line in receivers.stdout:
                path, when = line.split()
                arrivals[path].append(float(when))

        threading.Thread(target=read, daemon=True).start()

        document = settings_document(
            directory,
            link,
            serial={"baud_rate": 9600},
            snmp={
                "enabled": True,
                "port": free_port(socket.SOCK_DGRAM),
                "bind": "127.0.0.1",
                "on_battery_trap_interval": 3600,  # no repeated TRAP 1 inside a measure
                "trap_receivers": [
                    {"address": "127.0.0.1", "port": trap_port, "community": "nv", "version": "v2c"}
                ],
            },
            mail={
                "enabled": True,
                "server": "127.0.0.1",
                "port": smtp_port,
                "sender": "ups@example.com",
                "delay_minutes": 0,
                "recipients": [
                    {"address": "ops@example.com", "mail_type": "events", "severity": "information"}
                ],
            },
            syslog={"enabled": True, "server": "127.0.0.1", "port": syslog_port, "transport": transport},
        )

        def listen(daemon: Daemon) -> None:
            daemon.bus.on_event(lambda event: bus.append((time.monotonic(), event)))

        async with daemon_reading(
            document, settings_path=directory / "netvision.toml", before_start=listen, timeout=60
        ) as daemon:
            settings = daemon.settings
            polling = settings.serial.polling_rate
            print(
                f"notification latency: simulator at 9600 baud (wire timing), polling {polling} s, "
                f"fast lane {settings.serial.fast_lane_ms} ms, syslog over {transport.upper()}, "
                f"mail burst gap {gap:g} s, {runs} runs × (mains failure, mains restored)",
                flush=True,
            )
            await quiet(arrivals, bus)  # the start's own mails, lines and traps
            rows: list[dict[str, float]] = []
            for run in range(runs):
                for scenario in ("mains_failure", "mains_restored"):
                    await asyncio.sleep(rng.uniform(0, polling))  # a random moment of the period
                    marks = {path: len(arrivals[path]) for path in PATHS}
                    mark = len(bus)
                    changed = time.monotonic()
                    await simctl(control, {"cmd": "scenario", "name": scenario})
                    while len(bus) == mark or any(len(arrivals[path]) == marks[path] for path in PATHS):
                        if time.monotonic() - changed > TIMEOUT:
                            missing = [path for path in PATHS if len(arrivals[path]) == marks[path]]
                            raise RuntimeError(
                                f"{scenario}: nothing within {TIMEOUT} s on {missing or ['bus']}"
                            )
                        await asyncio.sleep(0.01)
                    await quiet(arrivals, bus)
                    row = {"detection": bus[mark][0] - changed}
                    for path in PATHS:
                        row[path] = arrivals[path][marks[path]] - changed
                    # The mail's hold: from the last event before it (not the mail service's own).
                    mail_at = arrivals["mail"][marks["mail"]]
                    before = [
                        at for at, event in bus[mark:] if at <= mail_at and not event.id.startswith("nv.mail")
                    ]
                    row["mail after the last event"] = mail_at - max(before)
                    row["spread"] = max(before) - bus[mark][0]
                    row["events"] = len([1 for at, event in bus[mark:] if at <= mail_at])
                    rows.append(row)
                    print(
                        f"  run {run + 1:2d} {scenario:15s} "
                        + "  ".join(f"{key} {row[key] * 1000:7.1f}" for key in ("detection", *PATHS))
                        + " ms",
                        flush=True,
                    )
            report(rows, gap)


async def quiet(arrivals: dict[str, list[float]], bus: list[tuple[float, Any]]) -> None:
    """Until nothing has arrived anywhere for QUIET s."""
    while True:
        last = max([at for path in PATHS for at in arrivals[path][-1:]] + [at for at, _ in bus[-1:]] + [0.0])
        wait = last + QUIET - time.monotonic()
        if wait <= 0:
            return
        await asyncio.sleep(wait)


def report(rows: list[dict[str, float]], gap: float) -> None:
    def figures(values: list[float]) -> str:
        return (
            f"{statistics.median(values) * 1000:8.1f} {percentile(values, 0.9) * 1000:8.1f} "
            f"{max(values) * 1000:8.1f}"
        )

    detection = [row["detection"] for row in rows]
    print(f"\n{len(rows)} changes; ms from the change, and less the detection of the same change")
    print(
        f"{'path':26s} {'median':>8s} {'p90':>8s} {'max':>8s}   {'median':>8s} {'p90':>8s} {'max':>8s}   aim"
    )
    print(f"{'detection (event on bus)':26s} {figures(detection)}")
    for path, title in (
        ("mail", "mail accepted (SMTP)"),
        ("syslog", "syslog line (rsyslog)"),
        ("trap", "trap (snmptrapd)"),
    ):
        values = [row[path] for row in rows]
        extra = [row[path] - row["detection"] for row in rows]
        met = "met" if max(extra) <= AIM else "NOT met"
        print(f"{title:26s} {figures(values)}   {figures(extra)}   max ≤ +{AIM * 1000:.0f} ms: {met}")
    hold = [row["mail after the last event"] for row in rows]
    events = [row["events"] for row in rows]
    spread = [row["spread"] for row in rows]
    print(
        f"\nmail after the last event before it: median {statistics.median(hold) * 1000:.1f} ms, "
        f"max {max(hold) * 1000:.1f} ms (burst gap {gap:g} s); events on the bus before the mail: "
        f"median {statistics.median(events):g}, max {max(events):g}, first to last: "
        f"median {statistics.median(spread) * 1000:.1f} ms, max {max(spread) * 1000:.1f} ms"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--receivers":
        receivers_main(int(sys.argv[2]), sys.argv[3:5])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="mains failure + mains restored pairs")
    parser.add_argument(
        "--syslog", choices=("tcp", "udp"), default="tcp", help="rsyslog listener and transport"
    )
    parser.add_argument(
        "--burst-gap", type=float, default=None, help="the mail service's burst gap in s (default: its own)"
    )
    arguments = parser.parse_args()
    asyncio.run(bench(arguments.runs, arguments.syslog, arguments.burst_gap))


if __name__ == "__main__":
    main()
