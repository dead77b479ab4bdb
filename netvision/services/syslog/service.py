"""The syslog service (EN §18.13): every UPS and NET VISION event that passes the
Syslog filter goes to one server as an RFC 5424 message, in the configured language."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Mapping

from ...events.bus import Event
from ...events.catalog import make_event
from ...settings import Settings
from ...settings.models import SyslogSettings
from ..registry import ServiceContext
from .message import format_message, hostname, selected
from .sender import Destination, SyslogSender

log = logging.getLogger("netvision.syslog")

# At most one "messages dropped" event per this many seconds, carrying the total.
DROP_REPORT_INTERVAL = 60.0


def destination(settings: SyslogSettings) -> Destination:
    return Destination(
        settings.transport,
        settings.server,
        settings.port,
        settings.ca_file,
        settings.client_certificate_file,
        settings.client_key_file,
    )


class SyslogService:
    name = "syslog"

    def __init__(self, context: ServiceContext, retry_delays: tuple[float, float] = (0.5, 30.0)) -> None:
        self._context = context
        self._settings: SyslogSettings = context.settings.syslog
        self._retry_delays = retry_delays
        self._sender: SyslogSender | None = None
        self._task: asyncio.Task[None] | None = None
        self._machine_name = socket.gethostname()
        self._last_drop_report: float | None = None
        self._dropped_before = 0  # dropped by the senders replaced after a settings change

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._settings = self._context.settings.syslog
        self._start_sender()
        self._context.on_event(self._on_event)

    async def stop(self) -> None:
        await self._stop_sender()

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        """The filter and facility apply to the next event; a new server, transport,
        certificate or queue size reconnects, keeping the messages not sent yet."""
        self._settings = new.syslog
        sender = self._sender
        if (
            sender is None
            or destination(new.syslog) != sender.destination
            or new.syslog.queue_size != sender.queue_size
        ):
            pending = list(sender.queue) if sender is not None else []
            await self._stop_sender()
            self._start_sender()
            assert self._sender is not None
            for message in pending:
                self._sender.offer(message)

    def addresses(self) -> list[str]:
        sender = self._sender
        if sender is None:
            return []
        # Words-free, as every service's addresses: the pages say "connected" in their language
        # from the counters (connections, disconnections).
        return [str(sender.destination)]

    def counters(self) -> Mapping[str, int]:
        sender = self._sender
        if sender is None:
            return {}
        counters = dict(sender.counters)
        counters["dropped"] += self._dropped_before
        counters["queued"] = len(sender.queue)
        return counters

    @property
    def sender(self) -> SyslogSender | None:
        return self._sender

    # ------------------------------------------------------------ sending

    def _start_sender(self) -> None:
        settings = self._settings
        self._sender = SyslogSender(
            destination(settings), settings.queue_size, self._dropped, self._retry_delays
        )
        self._task = self._context.create_task(self._sender.run(), "sender")

    async def _stop_sender(self) -> None:
        task, self._task = self._task, None
        if self._sender is not None:
            self._dropped_before += self._sender.counters["dropped"]
            if self._sender.last_error:
                self._context.report_error(self._sender.last_error)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _on_event(self, event: Event) -> None:
        settings, sender = self._settings, self._sender
        if sender is None or not selected(event, settings.groups):
            return
        system = self._context.settings.system
        snapshot = self._context.ups.snapshot
        identity = snapshot.identity if snapshot is not None else None
        message = format_message(
            event,
            host=hostname(system.name, self._machine_name),
            facility=settings.facility,
            language=system.language,
            serial_number=identity.serial_number if identity is not None else "",
            time_zone=system.time_zone,
            dst=system.dst,
        )
        sender.offer(message)

    def _dropped(self, count: int) -> None:
        """The queue was full: one event now and then, with the total dropped so far."""
        now = time.monotonic()
        if self._last_drop_report is not None and now - self._last_drop_report < DROP_REPORT_INTERVAL:
            return
        self._last_drop_report = now
        total = count + self._dropped_before
        log.warning("syslog queue full: %d message(s) dropped in all", total)
        # Published after this offer returns: the event is itself queued for the server.
        asyncio.get_running_loop().call_soon(
            self._context.bus.publish,
            make_event("nv.syslog_dropped", server=str(self._settings.server), count=total),
        )
