"""The mail service in the daemon, polling the simulator: a mains failure, battery low and
mains restored reach each recipient as its type and filter say, in the configured language,
with the history log attached where the type asks for it."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

pytest.importorskip("aiosmtpd")

from netvision.events.bus import Event  # noqa: E402
from netvision.services.mail.service import MailService  # noqa: E402
from tests.conftest import wait_for  # noqa: E402
from tests.smtp_server import Server, text_of  # noqa: E402

RECIPIENTS = [
    {"address": "all@example.com", "mail_type": "events"},
    {"address": "critical@example.com", "mail_type": "events", "severity": "critical"},
    {"address": "traps@example.com", "mail_type": "events", "event_filter": "events", "events": [1, 10, 23]},
    {"address": "status@example.com", "mail_type": "events_and_status", "severity": "warning"},
    {"address": "daily@example.com", "mail_type": "daily_status"},
    {"address": "nobody@example.com", "mail_type": "none"},
]


def attachments(message: EmailMessage) -> list[tuple[str | None, str]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


async def test_mains_failure_battery_low_mains_restored(make_daemon: Any) -> None:
    with Server() as server:
        daemon = await make_daemon(
            {
                "system": {"name": "salle-ondulee", "language": "fr", "time_zone": "Europe/Paris"},
                "mail": {
                    "enabled": True,
                    "server": "127.0.0.1",
                    "port": server.port,
                    "sender": "ups@example.com",
                    "subject_prefix": "UPS Notification",
                    "recipients": RECIPIENTS,
                },
            }
        )
        events: list[Event] = []
        daemon.bus.on_event(events.append)
        inbox = server.inbox
        # The start (cold boot, UPS connected…): information only.
        await wait_for(lambda: inbox.to("all@example.com"), timeout=30)
        simulator = daemon.test_simulator.device

        simulator.scenario("mains_failure")
        await wait_for(
            lambda: len(inbox.to("all@example.com")) == 2 and inbox.to("status@example.com"), timeout=30
        )
        await wait_for(lambda: inbox.to("traps@example.com"))
        simulator.scenario("battery_low")
        await wait_for(
            lambda: len(inbox.to("all@example.com")) == 3 and inbox.to("critical@example.com"), timeout=30
        )
        await wait_for(
            lambda: len(inbox.to("traps@example.com")) == 2 and len(inbox.to("status@example.com")) == 2
        )
        simulator.scenario("mains_restored")
        await wait_for(
            lambda: len(inbox.to("all@example.com")) == 4 and len(inbox.to("traps@example.com")) == 3
        )

        (service,) = [s for s in daemon.services if isinstance(s, MailService)]
        assert await service.send_daily_status() == 1
        await wait_for(lambda: inbox.to("daily@example.com"))

    everything = inbox.to("all@example.com")
    assert [m["Subject"].startswith("UPS Notification salle-ondulee: ") for m in everything] == [True] * 4
    failure, low, restored = (text_of(m) for m in everything[1:])
    assert "Sur batterie : oui" in failure and "Sur batterie : non" in restored
    assert "Numéro de série : SIM" in failure
    assert "[Critique]" in low
    assert "L'ASI fonctionne sur batterie" not in failure  # a trap trigger: By Event only
    assert "a disparu" in restored

    (critical,) = inbox.to("critical@example.com")
    assert "[Critique]" in text_of(critical) and "[Avertissement]" not in text_of(critical)

    on_battery, battery_low, power_restored = (text_of(m) for m in inbox.to("traps@example.com"))
    assert "L'ASI fonctionne sur batterie" in on_battery
    assert "Batterie proche de la fin d'autonomie" in battery_low
    assert "Rétablissement" in power_restored or "rétabli" in power_restored

    status_mails = inbox.to("status@example.com")
    assert len(status_mails) == 2  # warnings and criticals only: not the restore
    for message in status_mails:
        ((name, content),) = attachments(message)
        assert name is not None and name.startswith("history-") and name.endswith(".csv")
        assert content.splitlines()[0]  # the CSV header at least
    (daily,) = inbox.to("daily@example.com")
    assert "État quotidien" in daily["Subject"]
    assert len(attachments(daily)) == 1
    assert not inbox.to("nobody@example.com")
    # Every mail is its own "Mail sent"; mails are never about mails.
    assert len(inbox.mails) == 4 + 1 + 3 + 2 + 1  # exactly the expected mails
    assert sum(event.id == "nv.mail_sent" for event in events) >= 10  # the first may precede `events`
    for _, message in inbox.mails:
        assert "Mail envoyé" not in text_of(message)
