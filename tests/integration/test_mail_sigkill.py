"""The mail queue survives a kill -9: the SMTP server is down, events happen, the daemon is
killed with SIGKILL and started again, the server comes back, and every pending mail
arrives exactly once."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import pytest

pytest.importorskip("aiosmtpd")

from tests.conftest import free_port  # noqa: E402
from tests.daemon_process import rows, simulator_and_daemon  # noqa: E402
from tests.smtp_server import Server, text_of  # noqa: E402

QUEUE = "mail-queue.db"


def _mail(smtp_port: int) -> dict[str, object]:
    """The mail service: the SMTP server on ``smtp_port``, one recipient of every event and
    one of the on-battery event (TRAP 1) alone."""
    return {
        "enabled": True,
        "server": "127.0.0.1",
        "port": smtp_port,
        "sender": "ups@example.com",
        "recipients": [
            {"address": "all@example.com", "mail_type": "events"},
            {
                "address": "battery@example.com",
                "mail_type": "events",
                "event_filter": "events",
                "events": [1],
            },
        ],
    }


def _queued_messages(data: Path) -> list[tuple[EmailMessage, int]]:
    """(message, attempts) of every queued mail, as a reader sees them now."""
    return [
        (cast(EmailMessage, email.message_from_bytes(message, policy=email.policy.default)), attempts)
        for message, attempts in rows(data / QUEUE, "SELECT message, attempts FROM mails ORDER BY id")
    ]


def _queued(data: Path) -> list[tuple[str, int]]:
    """(Message-ID, attempts) of every queued mail."""
    return [(message["Message-ID"], attempts) for message, attempts in _queued_messages(data)]


def _queued_for(data: Path, address: str, text: str = "") -> bool:
    """Whether a queued mail to ``address`` says ``text``."""
    return any(
        address in str(message["To"]) and text in text_of(message) for message, _ in _queued_messages(data)
    )


async def test_pending_mails_survive_sigkill_and_arrive_once(tmp_path: Path) -> None:
    smtp_port = free_port()
    async with simulator_and_daemon(tmp_path, {"mail": _mail(smtp_port)}) as (simulator, daemon):
        data = daemon.data_dir
        daemon.start()
        # The start's events make mails that cannot go: the server is down. The first of them
        # (cold boot) leaves before the UPS is read: the mains failure must come after the
        # daemon's first reading, or that reading finds the UPS on battery already and reports
        # its alarms without the change to battery (TRAP 1).
        await daemon.wait_for(lambda: any(attempts for _, attempts in _queued(data)))
        await daemon.wait_for(lambda: _queued_for(data, "all@example.com", "UPS connected"))
        simulator.scenario("mains_failure")
        # The mains failure's first mails: one for everyone, one for the TRAP 1 recipient. The
        # rest of the burst may still wait for its mail: the kill must lose none of it either.
        await daemon.wait_for(lambda: _queued_for(data, "battery@example.com"), timeout=30)
        pending = [message_id for message_id, _ in _queued(data)]
        daemon.kill()

        daemon.restart()
        await asyncio.sleep(1.0)
        with Server(port=smtp_port) as server:
            inbox = server.inbox

            def arrived() -> bool:
                with inbox.lock:
                    received = {message["Message-ID"] for _, message in inbox.mails}
                return set(pending) <= received

            await daemon.wait_for(arrived, interval=0.2)
            await daemon.wait_for(lambda: not _queued(data), timeout=30, interval=0.2)
            await asyncio.sleep(1.0)  # anything sent twice would come now

    identifiers = Counter(message["Message-ID"] for _, message in inbox.mails)
    assert all(count == 1 for count in identifiers.values()), identifiers
    assert set(pending) <= set(identifiers)
    on_battery = [m for m in inbox.to("battery@example.com") if "on battery power" in text_of(m)]
    assert len(on_battery) == 1
    # The restarted daemon sees the UPS for the first time and reports the alarms present:
    # a new mail, not the old one again (the Message-IDs above are each once).
