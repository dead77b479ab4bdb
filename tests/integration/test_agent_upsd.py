"""``netvision agent`` against Network UPS Tools' own upsd (Debian nut-server) and
its ``dummy-ups`` driver, both run as this user in a temporary directory.

The driver reads the UPS's variables from a file (dummy-once mode: read again each
time the file's modification time changes, in whole seconds, so each change gets a
new time); upsd serves them on a free port. The agent runs as a real process, as
``netvision agent`` on a server would, with a shutdown command that writes a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
import signal
import socket
import ssl
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from netvision.agent.client import Agent
from netvision.agent.config import AgentConfig
from tests.conftest import free_port, wait_for
from tests.integration.test_snmp_helpers import need
from tests.pki import make_ca, make_server_certificate

WORKTREE = Path(__file__).resolve().parents[2]
POLL = 0.2
DEADTIME = 1.0

# The shutdown command: asks upsd how many clients are still logged in (the agent said
# LOGOUT before, so the gateway, a NUT primary, would not wait for it), writes it down.
SHUTDOWN_PROGRAM = """
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as s:
    s.sendall(b"GET NUMLOGINS ups\\n")
    reply = s.makefile().readline().split()
with open(sys.argv[2], "a") as f:
    f.write("shutdown numlogins=" + reply[-1] + "\\n")
"""


def ask(port: int, *lines: str) -> list[str]:
    """Raw NUT requests on one connection, one reply line each."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        stream = connection.makefile("rw")
        replies = []
        for line in lines:
            stream.write(line + "\n")
            stream.flush()
            replies.append(stream.readline().strip())
        return replies


class NutLab:
    """upsd + dummy-ups in ``root``; ``set_status`` changes what the UPS says."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / "state"
        self.port = free_port()
        self.device = root / "ups.dev"
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._stamp = int(time.time()) - 1000

    def write_device(self, lines: str) -> None:
        temporary = self.device.with_suffix(".tmp")
        temporary.write_text(lines)
        self._stamp += 1  # the driver compares whole seconds: each change a new second
        os.utime(temporary, (self._stamp, self._stamp))
        os.replace(temporary, self.device)

    async def start(self) -> None:
        driver, upsd = need("dummy-ups"), "/lib/nut/upsd"
        if not os.path.exists(upsd):
            pytest.skip("upsd (Debian nut-server) is not installed")
        self.state.mkdir(mode=0o700)
        self.write_device("ups.status: OL\nbattery.charge: 100\n")
        (self.root / "ups.conf").write_text(
            f'[ups]\n  driver = dummy-ups\n  port = {self.device}\n  mode = dummy-once\n  desc = "test UPS"\n'
            "  pollinterval = 1\n"
        )
        (self.root / "upsd.conf").write_text(f"LISTEN 127.0.0.1 {self.port}\nMAXAGE 2\n")
        users = self.root / "upsd.users"
        users.write_text(
            "[monuser]\n  password = secret\n  upsmon secondary\n"
            "[admin]\n  password = primary-secret\n  upsmon primary\n"
        )
        users.chmod(0o600)
        env = {**os.environ, "NUT_CONFPATH": str(self.root), "NUT_STATEPATH": str(self.state)}
        user = pwd.getpwuid(os.getuid()).pw_name
        self.processes["driver"] = await asyncio.create_subprocess_exec(
            driver,
            "-a",
            "ups",
            "-u",
            user,
            "-F",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await wait_for(lambda: any(self.state.iterdir()), timeout=10)  # the driver's socket
        self.processes["upsd"] = await asyncio.create_subprocess_exec(
            upsd,
            "-u",
            user,
            "-F",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await self.wait_status("OL")

    def status(self) -> str:
        try:
            return ask(self.port, "GET VAR ups ups.status")[0]
        except OSError as error:
            return str(error)

    async def wait_status(self, text: str) -> None:
        await wait_for(lambda: self.status() == f'VAR ups ups.status "{text}"', timeout=10)

    async def set_status(self, text: str, extra: str = "") -> None:
        self.write_device(f"ups.status: {text}\n{extra}")
        await self.wait_status(text)

    def numlogins(self) -> int:
        return int(ask(self.port, "GET NUMLOGINS ups")[0].split()[-1])

    def signal(self, name: str, number: int) -> None:
        self.processes[name].send_signal(number)

    async def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGCONT)
                process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)
            with contextlib.suppress(ProcessLookupError):
                process.kill()


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[NutLab]:
    nut = NutLab(tmp_path / "nut")
    nut.root.mkdir()
    try:
        await nut.start()
        yield nut
    finally:
        await nut.stop()


def agent_command(port: int, ups: str) -> list[str]:
    """``netvision agent`` watching ``ups`` on the NUT server at 127.0.0.1:``port``, at the
    tests' poll interval and dead time."""
    return [
        sys.executable, "-m", "netvision", "agent", "--host", "127.0.0.1", "--port", str(port), "--ups", ups,
        "--poll", str(POLL), "--deadtime", str(DEADTIME),
    ]  # fmt: skip


class AgentProcess:
    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    def text(self) -> str:
        return self.log.read_text()

    async def wait_log(self, fragment: str, timeout: float = 10) -> None:
        await wait_for(lambda: fragment in self.text(), timeout=timeout)

    async def exit_code(self, timeout: float = 15) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)


@pytest.fixture
async def start_agent(tmp_path: Path, lab: NutLab) -> AsyncIterator:
    started: list[AgentProcess] = []
    (tmp_path / "password").write_text("secret\n")

    async def start(*options: str) -> AgentProcess:
        log = tmp_path / f"agent{len(started)}.log"
        shutdown = f"{sys.executable} -c '{SHUTDOWN_PROGRAM}' {lab.port} {tmp_path / 'order'}"
        process = await asyncio.create_subprocess_exec(
            *agent_command(lab.port, "ups"),
            "--username",
            "monuser",
            "--password-file",
            str(tmp_path / "password"),
            "--shutdown-command",
            shutdown,
            *options,
            cwd=WORKTREE,
            stdout=log.open("w"),
            stderr=asyncio.subprocess.STDOUT,
            env={key: value for key, value in os.environ.items() if key != "NETVISION_AGENT_PASSWORD"},
        )
        agent = AgentProcess(process, log)
        started.append(agent)
        await agent.wait_log("logged in on ups@127.0.0.1")
        return agent

    yield start
    for agent in started:
        with contextlib.suppress(ProcessLookupError):
            agent.process.terminate()
        await agent.process.wait()


def pre_shutdown_script(tmp_path: Path, body: str) -> str:
    script = tmp_path / "pre-shutdown.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def order(tmp_path: Path) -> list[str]:
    path = tmp_path / "order"
    return path.read_text().splitlines() if path.exists() else []


async def test_on_battery_alone_waits_then_low_battery_runs_script_then_shutdown(
    lab: NutLab, start_agent, tmp_path: Path
) -> None:
    script = pre_shutdown_script(tmp_path, f"echo script >> {tmp_path / 'order'}")
    agent = await start_agent("--script", script)
    await agent.wait_log("UPS status: OL (on line)")
    assert lab.numlogins() == 1  # LOGIN as a secondary: the gateway counts this server

    # A short mains failure: the warning comes and goes with the mains.
    await lab.set_status("OB", "ups.timer.shutdown: 30\n")
    await agent.wait_log("shuts down in 30 s")
    await lab.set_status("OL", "ups.timer.shutdown: -1\n")
    await agent.wait_log("UPS back on mains: OL (on line)")
    await agent.wait_log("shutdown warning withdrawn")

    # On battery with the gateway's warning running: shown with its countdown, no shutdown.
    await lab.set_status("OB", "ups.timer.shutdown: 95\n")
    await agent.wait_log("UPS on battery: OB (on battery)")
    await agent.wait_log("shutdown warning: this server shuts down in 1 min 35 s unless mains return")
    await asyncio.sleep(2 * DEADTIME)
    assert order(tmp_path) == [] and agent.process.returncode is None

    await lab.set_status("OB LB")
    assert await agent.exit_code() == 0
    # The script first, then LOGOUT (no client left logged in), then the shutdown command.
    assert order(tmp_path) == ["script", "shutdown numlogins=0"]
    text = agent.text()
    assert "shutting this server down: the UPS is on battery with a low battery (OB LB)" in text
    assert "the pre-shutdown program" in text and "exit status 0" in text


async def test_fsd_set_by_a_primary_shuts_down_even_on_mains(
    lab: NutLab, start_agent, tmp_path: Path
) -> None:
    agent = await start_agent()
    await agent.wait_log("UPS status: OL (on line)")
    replies = ask(
        lab.port, "USERNAME admin", "PASSWORD primary-secret", "LOGIN ups", "PRIMARY ups", "FSD ups"
    )
    assert replies[-1] == "OK FSD-SET"
    assert await agent.exit_code() == 0
    assert "the gateway forced a shutdown (FSD)" in agent.text()
    assert order(tmp_path) == ["shutdown numlogins=0"]  # the agent logged out; the primary had left


async def test_script_past_its_time_limit_is_killed_and_shutdown_goes_on(
    lab: NutLab, start_agent, tmp_path: Path
) -> None:
    script = pre_shutdown_script(
        tmp_path, f"echo started >> {tmp_path / 'order'}\nsleep 60\necho finished >> {tmp_path / 'order'}"
    )
    agent = await start_agent("--script", script, "--script-timeout", "0.5")
    began = time.monotonic()
    await lab.set_status("OB LB")
    assert await agent.exit_code() == 0
    assert time.monotonic() - began < 10
    assert order(tmp_path) == ["started", "shutdown numlogins=0"]
    text = agent.text()
    assert "ran past its 0.5 s limit" in text
    assert "exit status -15" in text  # ended by SIGTERM


async def test_stale_data_while_on_battery_shuts_down_after_deadtime(
    lab: NutLab, start_agent, tmp_path: Path
) -> None:
    agent = await start_agent("--dry-run")
    await lab.set_status("OB")
    await agent.wait_log("UPS on battery")
    lab.signal("driver", signal.SIGSTOP)  # upsd answers ERR DATA-STALE after MAXAGE (2 s)
    await agent.wait_log("communication with the UPS lost: ERR DATA-STALE", timeout=10)
    assert await agent.exit_code() == 0
    text = agent.text()
    assert "while it was on battery (ERR DATA-STALE)" in text
    assert "dry run: would run:" in text and order(tmp_path) == []  # printed, not run


async def test_lost_server_on_mains_does_not_shut_down(lab: NutLab, start_agent, tmp_path: Path) -> None:
    agent = await start_agent()
    await agent.wait_log("UPS status: OL (on line)")
    lab.signal("upsd", signal.SIGTERM)
    await agent.wait_log("communication with the UPS lost")
    await asyncio.sleep(2 * DEADTIME)
    assert agent.process.returncode is None and order(tmp_path) == []


# ---------------------------------------------------------------- STARTTLS
# Debian's upsd is built with NSS and wants a certificate database for STARTTLS; the
# agent's side of STARTTLS is shown against a small in-test server instead, which
# speaks the few lines needed and records what it heard, and whether under TLS.


class TlsNutServer:
    def __init__(self, directory: Path, starttls: bool = True) -> None:
        self.directory = directory
        self.ca_file = directory / "ca.pem"
        make_server_certificate(directory, make_ca(directory, "ca"))
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(directory / "server.pem", directory / "server.key")
        self.starttls = starttls
        self.heard: list[tuple[str, bool]] = []  # (request, under TLS)
        self.port = free_port()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        secure = False
        try:
            while line := (await reader.readline()).decode().strip():
                self.heard.append((line, secure))
                if line == "STARTTLS" and self.starttls:
                    writer.write(b"OK STARTTLS\n")
                    await writer.drain()
                    await writer.start_tls(self.context)
                    secure = True
                    continue
                if line == "STARTTLS":
                    reply = "ERR FEATURE-NOT-CONFIGURED"
                elif line.startswith("GET VAR ups ups.status"):
                    reply = 'VAR ups ups.status "FSD OL"'
                elif line.startswith("GET VAR"):
                    reply = "ERR VAR-NOT-SUPPORTED"
                elif line == "LOGOUT":
                    reply = "OK Goodbye"
                else:
                    reply = "OK"
                writer.write(reply.encode() + b"\n")
                await writer.drain()
        except (ssl.SSLError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[TlsNutServer]:
    fake = TlsNutServer(tmp_path)
    server = await asyncio.start_server(fake.serve, "127.0.0.1", fake.port)
    try:
        yield fake
    finally:
        server.close()
        await server.wait_closed()


def tls_config(port: int, **options: Any) -> AgentConfig:
    settings = {"username": "monuser", "password": "secret", "tls": True, "poll": POLL, "deadtime": DEADTIME}
    return AgentConfig(host="127.0.0.1", port=port, dry_run=True, **{**settings, **options})


async def quiet(title: str, message: str) -> None:
    return None


async def test_starttls_verified_with_the_ca_file_protects_the_password(tls_server: TlsNutServer) -> None:
    agent = Agent(tls_config(tls_server.port, ca=str(tls_server.ca_file)), notify=quiet)
    assert await asyncio.wait_for(agent.run(), 10) == 0
    assert agent.watch.shutdown_reason == "the gateway forced a shutdown (FSD)"
    assert tls_server.heard[0] == ("STARTTLS", False)
    assert ("PASSWORD secret", True) in tls_server.heard  # only ever sent under TLS
    assert ("LOGIN ups", True) in tls_server.heard and ("LOGOUT", True) in tls_server.heard


async def test_an_unverified_certificate_gets_no_password(tls_server: TlsNutServer) -> None:
    agent = Agent(tls_config(tls_server.port), notify=quiet)  # the system store: does not know this CA
    task = asyncio.create_task(agent.run())
    await wait_for(lambda: agent.watch.comm_lost, timeout=5)
    agent.stopping.set()
    assert await asyncio.wait_for(task, 5) == 0
    assert agent.watch.shutdown_reason is None
    assert [line for line, _ in tls_server.heard] == ["STARTTLS"] * len(tls_server.heard)

    insecure = Agent(tls_config(tls_server.port, insecure=True), notify=quiet)
    assert await asyncio.wait_for(insecure.run(), 10) == 0  # --insecure, explicitly: accepted
    assert insecure.watch.shutdown_reason is not None


async def test_a_server_without_tls_gets_no_password(tls_server: TlsNutServer, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="netvision.agent")
    tls_server.starttls = False
    agent = Agent(tls_config(tls_server.port, ca=str(tls_server.ca_file)), notify=quiet)
    task = asyncio.create_task(agent.run())
    await wait_for(lambda: agent.watch.comm_lost, timeout=5)
    agent.stopping.set()
    await asyncio.wait_for(task, 5)
    assert {line for line, _ in tls_server.heard} == {"STARTTLS"}
    assert "the gateway refused STARTTLS (FEATURE-NOT-CONFIGURED)" in caplog.text


async def test_a_wrong_ups_name_is_explained(lab: NutLab, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *agent_command(lab.port, "qnapups"),
        "--dry-run",
        cwd=WORKTREE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await asyncio.sleep(1.5)
    finally:
        process.terminate()
    output = (await process.communicate())[0].decode()
    assert process.returncode == 0  # SIGTERM: a clean stop
    assert output.count("the gateway has no UPS named 'qnapups'; it serves: ups") == 1
    assert "ERR UNKNOWN-UPS" in output and "would run" not in output


async def test_a_slow_desktop_never_delays_the_shutdown(tls_server: TlsNutServer) -> None:
    shown: list[str] = []

    async def slow_desktop(title: str, message: str) -> None:
        shown.append(message)
        await asyncio.sleep(60)

    agent = Agent(tls_config(tls_server.port, ca=str(tls_server.ca_file)), notify=slow_desktop)
    began = time.monotonic()
    assert await asyncio.wait_for(agent.run(), 10) == 0
    assert time.monotonic() - began < 5  # 2 s of patience for the last notification at most
    assert "shutting this server down: the gateway forced a shutdown (FSD)" in shown
