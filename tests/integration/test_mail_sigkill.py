"""The mail queue survives a kill -9: the SMTP server is down, events happen, the daemon is
killed with SIGKILL and started again, the server comes back, and every pending mail
arrives exactly once."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import sqlite3
import subprocess
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import pytest

pytest.importorskip("aiosmtpd")

from tests.conftest import free_port, wait_for  # noqa: E402
from tests.integration.test_mail_smtp import Server, text_of  # noqa: E402
from tests.integration.test_store_sigkill import PYTHON, _simctl, processes  # noqa: E402, F401

QUEUE = "mail-queue.db"


def _config(path: Path, device: Path, data: Path, smtp_port: int) -> None:
    path.write_text(
        f"""data_dir = "{data}"

[serial]
device = "{device}"
polling_rate = 1
reconnect_delay = 0.2

[web]
http_enabled = false
https_enabled = false

[snmp]
enabled = false

[modbus_tcp]
enabled = false

[bacnet]
enabled = false

[mail]
enabled = true
server = "127.0.0.1"
port = {smtp_port}
sender = "ups@example.com"

[[mail.recipients]]
address = "all@example.com"
mail_type = "events"

[[mail.recipients]]
address = "battery@example.com"
mail_type = "events"
event_filter = "events"
events = [1]
"""
    )


def _queued_messages(data: Path) -> list[tuple[EmailMessage, int]]:
    """(message, attempts) of every queued mail, as a reader sees them now."""
    path = data / QUEUE
    if not path.exists():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = connection.execute("SELECT message, attempts FROM mails ORDER BY id").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()
    return [
        (cast(EmailMessage, email.message_from_bytes(row[0], policy=email.policy.default)), row[1])
        for row in rows
    ]


def _queued(data: Path) -> list[tuple[str, int]]:
    """(Message-ID, attempts) of every queued mail."""
    return [(message["Message-ID"], attempts) for message, attempts in _queued_messages(data)]


def _queued_for(data: Path, address: str, text: str = "") -> bool:
    """Whether a queued mail to ``address`` says ``text``."""
    return any(
        address in str(message["To"]) and text in text_of(message) for message, _ in _queued_messages(data)
    )


async def test_pending_mails_survive_sigkill_and_arrive_once(
    tmp_path: Path,
    processes: list[subprocess.Popen[bytes]],  # noqa: F811
) -> None:
    link, control, data = tmp_path / "ups", tmp_path / "sim.sock", tmp_path / "data"
    config = tmp_path / "netvision.toml"
    smtp_port = free_port()
    _config(config, link, data, smtp_port)
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    sim = subprocess.Popen(
        [PYTHON, "-m", "netvision", "sim", "--map", "jbusp", "--link", str(link), "--control", str(control)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    processes.append(sim)
    await wait_for(lambda: control.exists() and link.exists(), timeout=60, interval=0.1)

    def run_daemon() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [PYTHON, "-m", "netvision", "--log-level", "warning", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        processes.append(process)
        return process

    daemon = run_daemon()
    # The start's events make mails that cannot go: the server is down. The first of them
    # (cold boot) leaves before the UPS is read: the mains failure must come after the
    # daemon's first reading, or that reading finds the UPS on battery already and reports
    # its alarms without the change to battery (TRAP 1).
    await wait_for(lambda: any(attempts for _, attempts in _queued(data)), timeout=60, interval=0.1)
    await wait_for(lambda: _queued_for(data, "all@example.com", "UPS connected"), timeout=60, interval=0.1)
    _simctl(control, {"cmd": "scenario", "name": "mains_failure"})
    # The mains failure's first mails: one for everyone, one for the TRAP 1 recipient. The
    # rest of the burst may still wait for its mail: the kill must lose none of it either.
    await wait_for(lambda: _queued_for(data, "battery@example.com"), timeout=30, interval=0.1)
    pending = [message_id for message_id, _ in _queued(data)]
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.wait(10)

    run_daemon()
    await asyncio.sleep(1.0)
    with Server(port=smtp_port) as server:
        inbox = server.inbox

        def arrived() -> bool:
            with inbox.lock:
                received = {message["Message-ID"] for _, message in inbox.mails}
            return set(pending) <= received

        await wait_for(arrived, timeout=60, interval=0.2)
        await wait_for(lambda: not _queued(data), timeout=30, interval=0.2)
        await asyncio.sleep(1.0)  # anything sent twice would come now

    identifiers = Counter(message["Message-ID"] for _, message in inbox.mails)
    assert all(count == 1 for count in identifiers.values()), identifiers
    assert set(pending) <= set(identifiers)
    on_battery = [m for m in inbox.to("battery@example.com") if "on battery power" in text_of(m)]
    assert len(on_battery) == 1
    # The restarted daemon sees the UPS for the first time and reports the alarms present:
    # a new mail, not the old one again (the Message-IDs above are each once).
