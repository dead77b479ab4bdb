"""Mail content and the recipient filters, pure (services/mail/message.py), and the parts of
the sender and the queue that need no server."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import aiosmtplib
import pytest
from pydantic import ValidationError

from netvision.events.bus import Severity
from netvision.events.catalog import make_event
from netvision.services.mail.message import (
    Attachment,
    MailContext,
    UpsStatus,
    ends,
    event_mail,
    next_daily_status,
    recipient_wants,
    status_mail,
    subject,
)
from netvision.services.mail.queue import event_from_json, event_to_json
from netvision.services.mail.sender import classify
from netvision.settings.models import MailRecipient, MailSettings


def mail_settings(**values: Any) -> MailSettings:
    return MailSettings.model_validate(values)


MOMENT = datetime(2026, 7, 1, 10, 30, 5, tzinfo=UTC)


def alarm(acronym: str = "A01", added: bool = True, severity: Severity = Severity.WARNING, unit: int = 0):  # type: ignore[no-untyped-def]
    event_id = "ups.alarm_added" if added else "ups.alarm_removed"
    extra = {"severity": severity} if added else {}
    return make_event(
        event_id,
        time=MOMENT,
        unit=unit,
        acronym=acronym,
        description="Mains <failure>",
        description_fr="Défaut secteur",
        **extra,
    )


def row(**values: object) -> MailRecipient:
    return MailRecipient(**{"address": "a@example.com", "mail_type": "events", **values})  # type: ignore[arg-type]


# -- filters ---------------------------------------------------------------------------------------


def test_by_severity_takes_the_event_logs_at_or_above_the_level() -> None:
    warning, critical = alarm(), alarm(severity=Severity.CRITICAL)
    assert recipient_wants(row(), warning)
    assert recipient_wants(row(), alarm(added=False))  # information
    assert not recipient_wants(row(severity="warning"), alarm(added=False))
    assert not recipient_wants(row(severity="critical"), warning)
    assert recipient_wants(row(severity="critical"), critical)
    # Trap triggers duplicate the UPS log's alarms: By Event only.
    assert not recipient_wants(row(), make_event("trap.on_battery"))
    # The §18.3 TRAP / email filter keeps the alarm rows (TRAP 3/4) from severity filters.
    assert not recipient_wants(row(), warning, trap_filter=True)
    assert recipient_wants(row(), make_event("ups.status.load_off"), trap_filter=True)


def test_by_event_takes_the_selected_trap_numbers() -> None:
    selected = row(event_filter="events", events=[1, 3])
    assert recipient_wants(selected, make_event("trap.on_battery"))
    assert not recipient_wants(selected, make_event("trap.battery_low"))
    assert recipient_wants(selected, alarm())  # TRAP 3: the alarm row, with its text
    assert not recipient_wants(selected, make_event("trap.alarm_entry_added", well_known=2))
    assert not recipient_wants(selected, make_event("nv.cold_boot"))  # no trap


def test_rows_that_get_no_event_mail() -> None:
    assert not recipient_wants(row(address=""), alarm())
    assert not recipient_wants(row(mail_type="none"), alarm())
    assert not recipient_wants(row(mail_type="daily_status"), alarm())
    assert recipient_wants(row(mail_type="events_and_status"), alarm())
    # Never a mail about a mail.
    for event_id in ("nv.mail_sent", "nv.mail_test", "nv.mail_cannot_connect", "nv.mail_dropped"):
        assert not recipient_wants(row(), make_event(event_id, count=1, hours=1))


def test_what_ends_an_event() -> None:
    assert ends(alarm(added=False), alarm())
    assert not ends(alarm("A02", added=False), alarm())
    assert not ends(alarm(added=False, unit=2), alarm())
    assert ends(make_event("ups.status.normal_mode"), make_event("ups.status.load_on_bypass"))
    assert not ends(make_event("ups.status.load_on_bypass"), make_event("ups.status.load_on_bypass"))
    assert ends(make_event("nv.communication_restored"), make_event("nv.communication_lost", error="x"))
    assert ends(make_event("trap.power_restored"), make_event("trap.on_battery"))
    assert not ends(make_event("nv.cold_boot"), alarm())


# -- content ---------------------------------------------------------------------------------------

CONTEXT = MailContext(
    system_name="Salle\nB",
    contact="ops@example.com",
    location="Hall <B>",
    model="MASTERYS",
    serial_number="SN1",
    language="en",
    time_zone="Europe/Paris",
    sender="ups@example.com",
    subject_prefix="UPS Notification",
    status=UpsStatus(on_battery=True, minutes_left=12.0, load_percent=45.5),
)


def test_an_event_mail_has_everything_once_and_escaped() -> None:
    message = event_mail([alarm("A02"), alarm()], CONTEXT, ["a@example.com"], MOMENT)
    assert message["Subject"] == "UPS Notification Salle B: Mains <failure> (+1 more)"  # one line
    assert message["To"] == "a@example.com" and message["From"] == "ups@example.com"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "01/07/2026 12:30:05  [Warning]  Mains <failure>" in plain  # Paris, summer time
    for text in (
        "On battery: yes",
        "Battery time left: 12 min",
        "Load: 45.5 %",
        "Serial number: SN1",
        "Location: Hall <B>",
    ):
        assert text in plain
    page = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Mains &lt;failure&gt;" in page and "Hall &lt;B&gt;" in page and "<failure>" not in page


def test_french_and_unknown_values() -> None:
    context = MailContext(language="fr", status=UpsStatus(communicating=False))
    message = event_mail(
        [alarm()], context, ["a@example.com"], MOMENT, [Attachment("history.csv", b"a;b\r\n")]
    )
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Défaut secteur" in plain and "[Avertissement]" in plain
    assert "ASI pas connectée" in plain and "Numéro de série : inconnu" in plain
    assert "L'historique est joint" in plain
    ((name, content),) = [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]
    assert name == "history.csv" and content == "a;b\r\n"


def test_status_mail_and_subject() -> None:
    message = status_mail(CONTEXT, ["d@example.com"], MOMENT)
    assert message["Subject"] == "UPS Notification Salle B: Daily status"
    assert subject(MailContext(), "Event") == "Event"


# -- settings --------------------------------------------------------------------------------------


def test_mail_settings() -> None:
    assert mail_settings(security="starttls").port == 587
    assert mail_settings(security="tls").port == 465
    assert mail_settings(security="tls", port=2465).port == 2465
    gmail = mail_settings(
        enabled=True,
        server="smtp.gmail.com",
        security="starttls",
        authentication=True,
        account="someone@gmail.com",
        password="abcd efgh ijkl mnop",
        sender="someone@gmail.com",
        subject_prefix="UPS Notification",
    )
    assert (gmail.port, gmail.delay_minutes, gmail.daily_status_time) == (587, 0, "00:00")
    bad: dict[str, Any]
    for bad in (
        {"password": "a$b"},
        {"daily_status_time": "24:00"},
        {"enabled": True, "server": "smtp.example.com"},  # no sender
        {"authentication": True},  # no account
        {"recipients": [{"address": "x" * 60 + "@example.com"}]},  # over 64
        {"recipients": [{"address": "not an address"}]},
        {"recipients": [{"events": [41]}]},
        {"recipients": [{}] * 9},
    ):
        with pytest.raises(ValidationError):
            mail_settings(**bad)  # type: ignore[arg-type]


# -- sender and queue ------------------------------------------------------------------------------


def test_error_classification() -> None:
    def connect_error(cause: BaseException) -> BaseException:
        try:
            raise aiosmtplib.SMTPConnectError("cannot connect") from cause
        except aiosmtplib.SMTPConnectError as error:
            return error

    assert classify(connect_error(ConnectionRefusedError(111, "refused"))).code == "111"
    assert classify(connect_error(socket.gaierror(-2, "Name or service not known"))).code == "101"
    assert classify(connect_error(OSError(113, "No route to host"))).code == "001"
    assert classify(aiosmtplib.SMTPConnectTimeoutError("timed out")).code == "001"
    assert classify(aiosmtplib.SMTPConnectResponseError(554, "go away")).code == "111"
    assert classify(aiosmtplib.SMTPAuthenticationError(535, "bad credentials")).code == "002"
    refused = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "no such user", "x@example.com")]
    )
    outcome = classify(refused)
    assert (outcome.code, outcome.permanent, outcome.refused_recipients) == ("002", True, ("x@example.com",))


def test_an_event_survives_the_queue_format() -> None:
    event = alarm()
    assert event_from_json(event_to_json(event)) == event


def test_next_daily_status_in_the_configured_zone() -> None:
    summer = datetime(2026, 7, 1, 21, 0, tzinfo=UTC)  # 23:00 in Paris
    assert next_daily_status(summer, "00:00", "Europe/Paris") == datetime(2026, 7, 1, 22, 0, tzinfo=UTC)
    assert next_daily_status(summer, "23:30", "Europe/Paris") == datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
    winter = datetime(2026, 1, 10, 5, 0, tzinfo=UTC)  # 06:00 in Paris
    assert next_daily_status(winter, "06:00", "Europe/Paris") == datetime(2026, 1, 11, 5, 0, tzinfo=UTC)
    assert next_daily_status(winter, "08:15") == datetime(2026, 1, 10, 8, 15, tzinfo=UTC)
    # The day summer time starts in Paris (29 March 2026): 03:00 local is 01:00 UTC.
    before = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert next_daily_status(before, "03:00", "Europe/Paris") == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_port_that_follows_the_security_needs_a_word_not_a_list() -> None:
    from netvision.settings.store import SettingsError, settings_from_toml

    for document in ("[mail]\nsecurity = [1]", "[syslog]\ntransport = {a = 1}"):
        with pytest.raises(SettingsError):
            settings_from_toml(document)
