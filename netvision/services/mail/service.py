"""The e-mail service (EN §18.3 "SMTP", §18.9): events and a daily status to up to 8 recipients.

From an event to a mail:

1. Every event some recipient wants is written to the queue on disk at once (queue.py).
2. "Delay before sending" (N minutes): the event waits N minutes and is mailed only if
   still present. An event is no longer present when a later event ended it within the
   delay (message.ends: the alarm row removed, another UPS status, communication
   restored, the EMD or trap pair "restored"); the ending event is then not mailed either,
   the pair having come and gone. An alarm row is also checked against the alarm table
   of the latest snapshot when its delay is over. With no delay every event is mailed.
3. Events that become due less than a gap apart make a burst. Its first events go out at
   once: as soon as no other came for SETTLE (the events of one UPS reading come within a
   few milliseconds), so the first news of a mains failure is not held back. The rest of
   the burst waits for its end (a gap without events, at most BURST_MAX) and goes out as
   one more mail (a longer burst: one more every BURST_MAX). Each recipient gets, per mail,
   the events of that mail it wants (message.py). Waiting events are on disk (step 1).
4. The mails go to the queue; the sender delivers them oldest first, retrying with
   back-off while the server is away, and drops the ones older than the configured age.

"Mail sent", the error events (codes of sender.py) and "Mail send test" are NET VISION
events; an error event is published when the outcome changes, not at every retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ...events.alarm_table import alarm_table
from ...events.bus import Event
from ...events.catalog import make_event
from ...i18n import label
from ...settings import Settings
from ...settings.models import MailRecipient, MailSettings
from ..registry import ServiceContext
from .codes import UNKNOWN
from .message import (
    ATTACHING_TYPES,
    Attachment,
    MailContext,
    UpsStatus,
    anyone_wants,
    ends,
    event_mail,
    history_filename,
    is_mail_event,
    make_test_mail,
    next_daily_status,
    recipient_wants,
    status_mail,
)
from .queue import QUEUE_NAME, MailQueue, NewMail
from .sender import Outcome, deliver

log = logging.getLogger("netvision.mail")

# A burst: events due less than BURST_GAP s apart. Its first events leave once no other
# came for SETTLE s; the rest leave together once none came for BURST_GAP s, or when the
# first of them has waited BURST_MAX s.
BURST_GAP = 1.0
BURST_MAX = 5.0
SETTLE = 0.05
# The history attached to a mail: the last day.
HISTORY_SPAN = timedelta(hours=24)
DIAGNOSTICS = 50
SERVER_KEYS = ("server", "port", "security", "ca_file", "authentication", "account", "password", "sender")


@dataclass
class _Pending:
    event: Event
    received: float  # time.time()
    row: asyncio.Task[int] | int
    ended: bool = False


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt, for the mail diagnostics page."""

    time: datetime
    recipients: tuple[str, ...]
    kind: str  # "events" | "daily_status" | "test"
    code: str  # "" = accepted
    text: str
    detail: str = ""  # the server's reply, or what failed (for words in another language)
    server: str = ""  # server:port it went to


@dataclass
class _Counters:
    sent: int = 0
    failed_attempts: int = 0
    dropped: int = 0
    tests: int = 0
    values: dict[str, int] = field(default_factory=dict)


def _load_percent(measurements: Mapping[str, float | None]) -> float | None:
    values = [
        value
        for key in ("load_rate", "load_rate_l1", "load_rate_l2", "load_rate_l3")
        if (value := measurements.get(key)) is not None
    ]
    return max(values) if values else None


class MailService:
    name = "mail"

    def __init__(
        self,
        context: ServiceContext,
        retry_delays: tuple[float, float] = (2.0, 300.0),
        burst: tuple[float, float] = (BURST_GAP, BURST_MAX),
        timeout: float = 30.0,
    ) -> None:
        self._context = context
        self._settings: MailSettings = context.settings.mail
        self._retry_delays = retry_delays
        self._burst = burst
        # Due time (wall clock) of the newest event mailed: the burst goes on while the next
        # event is due less than a gap after it.
        self._burst_last = float("-inf")
        self._timeout = timeout
        self._queue = MailQueue(context.data_dir / QUEUE_NAME)
        self._pending: list[_Pending] = []
        self._group_wake = asyncio.Event()
        self._send_wake = asyncio.Event()
        self._last_code: str | None = None
        self._counters = _Counters()
        self._attempts: deque[Attempt] = deque(maxlen=DIAGNOSTICS)
        self._queued = 0
        self._sending = asyncio.Lock()

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._settings = self._context.settings.mail
        await self._queue.open()
        # A start is a new chance for what waited: attempts count again from the first delay.
        await self._queue.retry_now(time.time(), reset_attempts=True)
        for stored in await self._queue.pending_events():
            self._pending.append(_Pending(stored.event, stored.received, stored.row_id))
        self._context.on_event(self._on_event)
        # The web page's "Send test" and mail diagnostics; withdrawn when the service stops.
        self._context.offer("mail.send_test", self.send_test)
        self._context.offer("mail.diagnostics", self.diagnostics)
        self._context.create_task(self._group_forever(), "group")
        self._context.create_task(self._send_forever(), "send")
        self._context.create_task(self._daily_forever(), "daily")
        self._group_wake.set()
        self._send_wake.set()

    async def stop(self) -> None:
        # The daemon has cancelled the tasks; what was not sent stays in the queue.
        for pending in self._pending:
            if isinstance(pending.row, asyncio.Task):
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await pending.row
        await self._queue.close()

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        self._settings = new.mail
        if any(getattr(old.mail, key) != getattr(new.mail, key) for key in SERVER_KEYS):
            await self._queue.retry_now(time.time())
            self._last_code = None
            self._send_wake.set()
        self._group_wake.set()

    def addresses(self) -> list[str]:
        settings = self._settings
        host = f"[{settings.server}]" if ":" in settings.server else settings.server
        return [f"mail via smtp://{host}:{settings.port} ({settings.security})"]

    def counters(self) -> Mapping[str, int]:
        counters = self._counters
        return {
            "sent": counters.sent,
            "failed_attempts": counters.failed_attempts,
            "dropped": counters.dropped,
            "tests": counters.tests,
            "queued": self._queued,
            "waiting_events": len(self._pending),
        }

    def diagnostics(self) -> list[Attempt]:
        """The last delivery attempts, newest first (the mail debug page)."""
        return list(reversed(self._attempts))

    @property
    def queue(self) -> MailQueue:
        return self._queue

    # ------------------------------------------------------------ events

    def _on_event(self, event: Event) -> None:
        if is_mail_event(event):
            return
        settings = self._settings
        now = time.time()
        if settings.delay_minutes:
            ended_one = False
            for pending in self._pending:
                if (
                    not pending.ended
                    and ends(event, pending.event)
                    and now < pending.received + self._delay()
                ):
                    pending.ended = True
                    ended_one = True
            if ended_one:
                self._group_wake.set()
                if not event.id.startswith("ups.status."):
                    return  # the pair came and went within the delay: neither is mailed
                # A new UPS status is a state of its own: it waits for its own delay.
        if not anyone_wants(settings.recipients, event, self._context.settings.snmp.trap_filter):
            return
        row = self._context.create_task(self._queue.add_event(event, now), "keep-event")
        self._pending.append(_Pending(event, now, row))
        self._group_wake.set()

    def _delay(self) -> float:
        return self._settings.delay_minutes * 60.0

    def _still_present(self, event: Event) -> bool:
        """At the end of the delay: an alarm row must still be in the alarm table."""
        if event.id != "ups.alarm_added":
            return True
        snapshot = self._context.ups.snapshot
        if snapshot is None or not snapshot.communicating or snapshot.system is None:
            return True  # nothing known: the row was not seen leaving
        return any(row.index == event.acronym for row in alarm_table(snapshot).rows)

    async def _group_forever(self) -> None:
        gap, longest = self._burst
        while True:
            self._group_wake.clear()
            now = time.time()
            delay = self._delay()
            live = [pending for pending in self._pending if not pending.ended]
            due = [pending for pending in live if pending.received + delay <= now]
            wake_at: float | None = None
            if due:
                first = min(pending.received for pending in due) + delay
                newest = max(pending.received for pending in due) + delay
                # The first events of a burst only wait for the rest of their UPS reading.
                leading = first >= self._burst_last + gap
                wait = min(gap, SETTLE) if leading else gap
                if now >= newest + wait or now >= first + longest:
                    self._burst_last = max(self._burst_last, newest)
                    await self._flush(due)
                    continue
                wake_at = min(newest + wait, first + longest)
            waiting = [pending.received + delay for pending in live if pending.received + delay > now]
            if waiting:
                wake_at = min([*waiting, *([wake_at] if wake_at else [])])
            await _wait(self._group_wake, None if wake_at is None else max(0.01, wake_at - time.time()))

    async def _flush(self, due: list[_Pending]) -> None:
        ended = [pending for pending in self._pending if pending.ended]
        checking = bool(self._settings.delay_minutes)
        events = [pending.event for pending in due if not checking or self._still_present(pending.event)]
        mails = await self._event_mails(events)
        rows = []
        for pending in [*due, *ended]:
            row = pending.row
            if isinstance(row, asyncio.Task):
                try:
                    row = await row
                except Exception:
                    log.exception("an event for a mail was not written to the queue")
                    continue
            rows.append(row)
        await self._queue.commit_group(rows, mails, time.time())
        gone = {id(pending) for pending in [*due, *ended]}
        self._pending = [pending for pending in self._pending if id(pending) not in gone]
        if mails:
            self._queued += len(mails)
            self._send_wake.set()

    # ------------------------------------------------------------ composing

    def mail_context(self) -> MailContext:
        settings = self._context.settings
        system, mail = settings.system, self._settings
        snapshot = self._context.ups.snapshot
        identity = snapshot.identity if snapshot is not None else None
        status = UpsStatus(communicating=False)
        if snapshot is not None and snapshot.communicating and snapshot.system is not None:
            state = snapshot.system
            status = UpsStatus(
                on_battery=state.condition("on_battery"),
                minutes_left=state.measurements.get("remaining_backup_time"),
                load_percent=_load_percent(state.measurements),
            )
        return MailContext(
            system_name=system.name,
            contact=system.contact,
            location=system.location,
            model=identity.model if identity is not None else "",
            serial_number=identity.serial_number if identity is not None else "",
            language=system.language,
            time_zone=system.time_zone,
            dst=system.dst,
            sender=mail.sender,
            subject_prefix=mail.subject_prefix,
            status=status,
        )

    async def history_attachment(self, context: MailContext, now: datetime) -> Attachment | None:
        store = self._context.store
        if store is None:
            return None
        settings = self._context.settings
        try:
            if self._context.recorder is not None:
                await store.flush()
            chunks = [
                chunk
                async for chunk in store.export_csv(
                    "history",
                    time_zone=context.time_zone,
                    dst=context.dst,
                    language=context.language,
                    temperature_unit=settings.system.temperature_unit,
                    start=now - HISTORY_SPAN,
                )
            ]
        except Exception:
            log.exception("the history log could not be read for a mail")
            return None
        return Attachment(history_filename(context, now), "".join(chunks).encode("utf-8"))

    async def _event_mails(self, events: list[Event]) -> list[NewMail]:
        if not events:
            return []
        context = self.mail_context()
        now = datetime.now(UTC)
        trap_filter = self._context.settings.snmp.trap_filter
        attachment: Attachment | None = None
        mails = []
        for recipient in self._settings.recipients:
            wanted = [event for event in events if recipient_wants(recipient, event, trap_filter)]
            if not wanted:
                continue
            attachments: list[Attachment] = []
            if recipient.mail_type in ATTACHING_TYPES:
                attachment = attachment or await self.history_attachment(context, now)
                attachments = [attachment] if attachment else []
            message = event_mail(wanted, context, [recipient.address], now, attachments)
            mails.append(NewMail("events", (recipient.address,), message.as_bytes()))
        return mails

    # ------------------------------------------------------------ daily status

    def next_daily_status(self, now: datetime) -> datetime:
        system = self._context.settings.system
        return next_daily_status(now, self._settings.daily_status_time, system.time_zone, system.dst)

    async def _daily_forever(self) -> None:
        while True:
            target = self.next_daily_status(datetime.now(UTC))
            while (remaining := (target - datetime.now(UTC)).total_seconds()) > 0:
                # Short sleeps: a clock or setting change moves the target.
                await asyncio.sleep(min(remaining, 60.0))
                if self.next_daily_status(datetime.now(UTC) - timedelta(seconds=1)) != target:
                    break
            else:
                await self.send_daily_status()
                await asyncio.sleep(1.0)

    async def send_daily_status(self) -> int:
        """Queue the daily status for every "Daily Status" recipient; returns how many."""
        recipients = [r for r in self._settings.recipients if r.address and r.mail_type == "daily_status"]
        if not recipients:
            return 0
        context = self.mail_context()
        now = datetime.now(UTC)
        attachment = await self.history_attachment(context, now)
        mails = [
            NewMail(
                "daily_status",
                (recipient.address,),
                status_mail(context, [recipient.address], now, [attachment] if attachment else []).as_bytes(),
            )
            for recipient in recipients
        ]
        await self._queue.add_mails(mails, time.time())
        self._queued += len(mails)
        self._send_wake.set()
        return len(mails)

    # ------------------------------------------------------------ sending

    def _backoff(self, attempts: int) -> float:
        first, longest = self._retry_delays
        return float(min(first * 2 ** min(attempts, 20), longest))

    async def _send_forever(self) -> None:
        while True:
            self._send_wake.clear()
            wake_at = await self._send_due()
            await _wait(self._send_wake, None if wake_at is None else max(0.05, wake_at - time.time()))

    async def _send_due(self) -> float | None:
        """Deliver what is due; returns when the next attempt is due (None: nothing queued)."""
        settings = self._settings
        hours = settings.max_queue_age_hours
        dropped = await self._queue.drop_older_than(time.time() - hours * 3600)
        if dropped:
            self._counters.dropped += len(dropped)
            log.warning("%d mail(s) not delivered in %d h dropped", len(dropped), hours)
            self._context.bus.publish(make_event("nv.mail_dropped", count=len(dropped), hours=hours))
        mails = await self._queue.mails()
        self._queued = len(mails)
        server_back = False
        for mail in mails:
            now = time.time()
            if mail.next_attempt > now and not server_back:
                continue
            async with self._sending:
                outcome = await deliver(settings, mail.message, list(mail.recipients), self._timeout)
            self._record(mail.recipients, mail.kind, outcome)
            if outcome.ok or outcome.permanent:
                await self._queue.delivered(mail.row_id)
                self._queued -= 1
                server_back = server_back or outcome.ok  # the others need not wait their back-off
                continue
            await self._queue.failed(
                mail.row_id, time.time() + self._backoff(mail.attempts), outcome.code, outcome.detail
            )
            if outcome.code != UNKNOWN:
                break  # the server is away: the other mails wait for the next attempt
        remaining = await self._queue.mails()
        self._queued = len(remaining)
        return min((mail.next_attempt for mail in remaining), default=None)

    def _record(self, recipients: tuple[str, ...], kind: str, outcome: Outcome) -> None:
        """Count, log and publish one attempt's outcome."""
        text = outcome_text(outcome, self._settings, self._context.settings.system.language)
        server = f"{self._settings.server}:{self._settings.port}"
        self._attempts.append(
            Attempt(datetime.now(UTC), recipients, kind, outcome.code, text, outcome.detail, server)
        )
        bus = self._context.bus
        if kind == "test":
            return
        if outcome.ok:
            self._counters.sent += 1
            self._last_code = ""
            log.info("mail to %s accepted: %s", ", ".join(recipients), outcome.detail)
            bus.publish(make_event("nv.mail_sent", recipients=", ".join(recipients)))
            if outcome.refused_recipients:
                bus.publish(
                    make_event("nv.mail_incorrect_receiver", recipients=", ".join(outcome.refused_recipients))
                )
            return
        self._counters.failed_attempts += 1
        log.warning("mail to %s not delivered: %s", ", ".join(recipients), text)
        if outcome.permanent:
            bus.publish(
                make_event("nv.mail_incorrect_receiver", recipients=", ".join(outcome.refused_recipients))
            )
            return
        if outcome.code == self._last_code:
            return  # the same failure again: one event per change, not per retry
        self._last_code = outcome.code
        bus.publish(error_event(outcome))

    async def send_test(self, recipient_index: int, language: str | None = None) -> str:
        """The "Send Test" of recipient row ``recipient_index`` (1 to 8, as the table shows it):
        a test mail sent at once, outside the queue; returns the outcome in words, in
        ``language`` (the person's; the configured language by default)."""
        settings = self._settings
        language = language or self._context.settings.system.language
        recipients = settings.recipients
        row: MailRecipient | None = (
            recipients[recipient_index - 1] if 1 <= recipient_index <= len(recipients) else None
        )
        if row is None or not row.address:
            return label("mail.outcome.no_address", language).format(index=recipient_index)
        self._context.bus.publish(make_event("nv.mail_test", recipients=row.address))
        message = make_test_mail(self.mail_context(), [row.address], datetime.now(UTC))
        async with self._sending:
            outcome = await deliver(settings, message, [row.address], self._timeout)
        self._counters.tests += 1
        self._record((row.address,), "test", outcome)
        if not outcome.ok:
            self._context.bus.publish(error_event(outcome))
        return outcome_text(outcome, settings, language)


async def _wait(wake: asyncio.Event, timeout: float | None) -> None:
    """Until ``wake`` is set or ``timeout`` s have passed. A cancellation lost on the way
    (Python 3.11's wait_for drops one that comes as the wait ends, and so may the SMTP
    client during a delivery) is raised here: the service's stop never hangs."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout)


def error_event(outcome: Outcome) -> Event:
    """The NET VISION event of a failed delivery (§21.4 mail events)."""
    if outcome.code in ("001", "111"):
        return make_event("nv.mail_cannot_connect", code=outcome.code, error=outcome.detail)
    if outcome.code == "101":
        return make_event("nv.mail_incorrect_server", code=outcome.code, error=outcome.detail)
    if outcome.refused_recipients:
        return make_event("nv.mail_incorrect_receiver", recipients=", ".join(outcome.refused_recipients))
    return make_event("nv.mail_send_error_detail", code=outcome.code, error=outcome.detail[:200])


def outcome_text(outcome: Outcome, settings: MailSettings, language: str) -> str:
    """An attempt's outcome in words: the server's reply, or the manual's code and meaning."""
    if outcome.ok:
        server = f"{settings.server}:{settings.port}"
        return label("mail.outcome.sent", language).format(server=server, reply=outcome.detail)
    meaning = label(f"mail.error.{outcome.code}", language)
    return label("mail.outcome.error", language).format(
        code=outcome.code, meaning=meaning, detail=outcome.detail
    )
