"""E-mail content, pure: which events a recipient gets, and the mail for a group of events.

No I/O here (queue.py keeps, sender.py delivers, service.py decides when). A mail holds:

- the subject: the prefix (§18.9 "Mail Subject Prefix"), the system name and the first
  event, with the count of the others;
- the identity of §18.2 (system name, contact, location) and of the UPS (model, serial);
- each event with its time (``dd/mm/yyyy hh:mm:ss`` in the configured zone) and severity;
- the current status: on battery or not, minutes of battery left, load;
- a plain text part and a small HTML alternative (every value escaped);
- the history log as a CSV attachment for "Daily Status" and "Events/Status".

Which events a recipient gets (§18.9 "Email sending follows the same rule as for TRAP
management"):

- By Severity: the events both event logs hold (UPS and NET VISION), at or above the
  row's level. The trap triggers are left out: the UPS events log already has the alarm
  behind each of them. With the "SNMP TRAP / email Filter" switch on (§18.3), the alarm
  rows themselves (TRAP 3/4) are left out, as for the trap receivers.
- By Event: the events whose trap number is selected in the row ("the emails are sent at
  the same time as SNMP TRAP"); TRAP 3/4 come from the UPS log's alarm rows, which carry
  the alarm's text.
- Never the mail events themselves ("Mail sent"…): a mail about a mail would loop.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ...events.bus import Event, Severity
from ...i18n import label
from ...settings.models import MailRecipient
from ...store.timefmt import format_time, to_display

SEVERITY_RANK = {"information": 0, "warning": 1, "critical": 2}
# The well-known alarm traps of the engine: the UPS log's alarm rows stand for them.
ALARM_ENTRY_EVENTS = frozenset({"trap.alarm_entry_added", "trap.alarm_entry_removed"})
ALARM_TRAPS = (3, 4)
EVENT_TYPES = ("events", "events_and_status")
STATUS_TYPES = ("daily_status",)
ATTACHING_TYPES = ("daily_status", "events_and_status")


def is_mail_event(event: Event) -> bool:
    return event.id.startswith("nv.mail_")


def recipient_wants(recipient: MailRecipient, event: Event, trap_filter: bool = False) -> bool:
    """Does ``recipient`` get a mail for ``event`` (§18.9 filters)?"""
    if not recipient.address or recipient.mail_type not in EVENT_TYPES or is_mail_event(event):
        return False
    if recipient.event_filter == "events":
        if event.trap is None or event.id in ALARM_ENTRY_EVENTS:
            return False
        return event.trap in recipient.events
    if event.log not in ("ups", "netvision"):
        return False
    if trap_filter and event.log == "ups" and event.trap in ALARM_TRAPS:
        return False
    return Severity(event.severity).rank >= SEVERITY_RANK[recipient.severity]


def anyone_wants(recipients: Iterable[MailRecipient], event: Event, trap_filter: bool = False) -> bool:
    return any(recipient_wants(recipient, event, trap_filter) for recipient in recipients)


# -- "still present" (the delay before sending) -------------------------------------------------

# Trap triggers and EMD events that end another one: later -> the earlier ones it ends.
_ENDS: dict[str, frozenset[str]] = {
    "nv.communication_restored": frozenset({"nv.communication_lost"}),
    "ups.connected": frozenset({"ups.not_connected"}),
    "nv.emd_temperature_not_high": frozenset({"nv.emd_temperature_high"}),
    "nv.emd_temperature_not_low": frozenset({"nv.emd_temperature_low"}),
    "nv.emd_humidity_not_high": frozenset({"nv.emd_humidity_high"}),
    "nv.emd_humidity_not_low": frozenset({"nv.emd_humidity_low"}),
    "nv.emd_alarm1_inactive": frozenset({"nv.emd_alarm1_active"}),
    "nv.emd_alarm2_inactive": frozenset({"nv.emd_alarm2_active"}),
    "trap.power_restored": frozenset({"trap.on_battery", "trap.on_battery_power", "trap.battery_low"}),
    "trap.ups_normal": frozenset({"trap.on_bypass", "trap.critical_alarm", "trap.preventive_alarm"}),
    "trap.alarm_cancelled": frozenset({"trap.critical_alarm", "trap.preventive_alarm", "trap.battery_alarm"}),
    "trap.com_established": frozenset({"trap.communication_lost"}),
}


def ends(later: Event, earlier: Event) -> bool:
    """Does ``later`` show that the condition ``earlier`` reported is gone?

    - an alarm row removed ends the same row added (same unit and acronym);
    - a new UPS status ends the previous status;
    - a "restored" / "not active" event ends its pair (communication, EMD, trap triggers).
    """
    if earlier.id == "ups.alarm_added":
        return later.id == "ups.alarm_removed" and (later.unit, later.acronym) == (
            earlier.unit,
            earlier.acronym,
        )
    if earlier.id.startswith("ups.status.") and later.id.startswith("ups.status."):
        return later.id != earlier.id
    return earlier.id in _ENDS.get(later.id, frozenset())


# -- content ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpsStatus:
    """The status line of every mail; None = not known (UPS not communicating)."""

    on_battery: bool | None = None
    minutes_left: float | None = None
    load_percent: float | None = None
    communicating: bool = True


@dataclass(frozen=True)
class MailContext:
    """What every mail says besides its events (§18.2 identity, the UPS, the settings)."""

    system_name: str = ""
    contact: str = ""
    location: str = ""
    model: str = ""
    serial_number: str = ""
    language: str = "en"
    time_zone: str = "UTC"
    dst: str = "auto"
    sender: str = ""
    subject_prefix: str = ""
    status: UpsStatus = field(default_factory=UpsStatus)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "text"
    subtype: str = "csv"


def _t(key: str, context: MailContext, **values: object) -> str:
    text = label(key, context.language)
    return text.format(**values) if values else text


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def identity_lines(context: MailContext) -> list[tuple[str, str]]:
    unknown = _t("mail.unknown", context)
    return [
        (_t("mail.system", context), context.system_name or unknown),
        (_t("mail.contact", context), context.contact or unknown),
        (_t("mail.location", context), context.location or unknown),
        (_t("mail.ups_model", context), context.model or unknown),
        (_t("mail.serial_number", context), context.serial_number or unknown),
    ]


def status_lines(context: MailContext) -> list[tuple[str, str]]:
    status, unknown = context.status, _t("mail.unknown", context)
    if not status.communicating:
        return [(_t("mail.status", context), _t("mail.not_communicating", context))]
    on_battery = (
        unknown if status.on_battery is None else _t("mail.yes" if status.on_battery else "mail.no", context)
    )
    minutes = (
        unknown
        if status.minutes_left is None
        else _t("mail.minutes", context, minutes=_number(status.minutes_left))
    )
    load = unknown if status.load_percent is None else f"{_number(status.load_percent)} %"
    return [
        (_t("mail.on_battery", context), on_battery),
        (_t("mail.minutes_left", context), minutes),
        (_t("mail.load", context), load),
    ]


def event_rows(events: Sequence[Event], context: MailContext) -> list[tuple[str, str, str]]:
    """(time, severity, text) per event, oldest first."""
    return [
        (
            format_time(event.time, context.time_zone, context.dst),
            _t(f"mail.severity.{Severity(event.severity).value}", context),
            event.text(context.language),
        )
        for event in sorted(events, key=lambda event: event.time)
    ]


def subject(context: MailContext, headline: str, others: int = 0) -> str:
    parts = [context.subject_prefix.strip(), context.system_name.strip()]
    text = " ".join(part for part in parts if part)
    text = f"{text}: {headline}" if text else headline
    if others:
        text += " " + _t("mail.subject.more", context, count=others)
    # A header is one line: a newline in a setting or an event text must not end it.
    return " ".join(text.split())


def _colon(context: MailContext) -> str:
    """ "name: value" in the mail's language."""
    return label("colon", context.language)


def _plain(intro: str, rows: list[tuple[str, str, str]], context: MailContext, footer: str) -> str:
    colon = _colon(context)
    lines = [intro, ""]
    for time, severity, text in rows:
        lines.append(f"{time}  [{severity}]  {text}")
    if rows:
        lines.append("")
    lines.append(_t("mail.status", context))
    lines.extend(f"  {name}{colon}{value}" for name, value in status_lines(context))
    lines.append("")
    lines.extend(f"{name}{colon}{value}" for name, value in identity_lines(context))
    if footer:
        lines.extend(["", footer])
    return "\n".join(lines) + "\n"


def _html(intro: str, rows: list[tuple[str, str, str]], context: MailContext, footer: str) -> str:
    e, colon = html.escape, _colon(context)
    parts = [f'<!DOCTYPE html>\n<html lang="{e(context.language)}"><body>', f"<p>{e(intro)}</p>"]
    if rows:
        parts.append(
            "<table><thead><tr>"
            f"<th>{e(_t('mail.time', context))}</th><th>{e(_t('mail.severity', context))}</th>"
            f"<th>{e(_t('mail.event', context))}</th></tr></thead><tbody>"
        )
        parts.extend(
            f"<tr><td>{e(time)}</td><td>{e(sev)}</td><td>{e(text)}</td></tr>" for time, sev, text in rows
        )
        parts.append("</tbody></table>")
    parts.append(f"<h2>{e(_t('mail.status', context))}</h2><ul>")
    parts.extend(f"<li>{e(name)}{colon}{e(value)}</li>" for name, value in status_lines(context))
    parts.append("</ul><ul>")
    parts.extend(f"<li>{e(name)}{colon}{e(value)}</li>" for name, value in identity_lines(context))
    parts.append("</ul>")
    if footer:
        parts.append(f"<p>{e(footer)}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _build(
    context: MailContext,
    recipients: Sequence[str],
    subject_text: str,
    intro: str,
    rows: list[tuple[str, str, str]],
    attachments: Sequence[Attachment],
    now: datetime,
) -> EmailMessage:
    footer = _t("mail.history_attached", context) if attachments else ""
    message = EmailMessage()
    message["Subject"] = subject_text
    message["From"] = context.sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now)
    domain = context.sender.rpartition("@")[2] or "netvision.invalid"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(_plain(intro, rows, context, footer))
    message.add_alternative(_html(intro, rows, context, footer), subtype="html")
    for attachment in attachments:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    # After the parts: set before, it would move into the first part with the other Content-* headers.
    message["Content-Language"] = context.language
    return message


def event_mail(
    events: Sequence[Event],
    context: MailContext,
    recipients: Sequence[str],
    now: datetime,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """One mail for a group of events (a burst goes out as one mail)."""
    ordered = sorted(events, key=lambda event: event.time)
    headline = ordered[0].text(context.language) if ordered else ""
    intro = _t("mail.intro.events", context, count=len(ordered))
    return _build(
        context,
        recipients,
        subject(context, headline, len(ordered) - 1),
        intro,
        event_rows(ordered, context),
        attachments,
        now,
    )


def status_mail(
    context: MailContext, recipients: Sequence[str], now: datetime, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    """The daily status (§18.9 "Daily Status"): the status and identity, the history log attached."""
    title = _t("mail.daily_status", context)
    intro = _t("mail.intro.daily_status", context, time=format_time(now, context.time_zone, context.dst))
    return _build(context, recipients, subject(context, title), intro, [], attachments, now)


def make_test_mail(context: MailContext, recipients: Sequence[str], now: datetime) -> EmailMessage:
    """The "Send Test" mail."""
    title = _t("mail.test", context)
    intro = _t("mail.intro.test", context, time=format_time(now, context.time_zone, context.dst))
    return _build(context, recipients, subject(context, title), intro, [], [], now)


def history_filename(context: MailContext, now: datetime) -> str:
    day = format_time(now, context.time_zone, context.dst, iso=True)[:10]
    return f"history-{day}.csv"


def next_daily_status(now: datetime, at: str, time_zone: str = "UTC", dst: str = "auto") -> datetime:
    """The next "Mail Daily Status Report at (hh:mm)" after ``now``, in the configured zone
    (with "auto" summer time, the zone's rules for that day), as UTC."""
    hours, minutes = (int(part) for part in at.split(":"))
    local = to_display(now, time_zone, dst)
    target = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target.astimezone(UTC)
