"""When to shut this server down: upsmon's rules for a secondary, without I/O.

NUT's upsmon (docs/man/upsmon.txt, clients/upsmon.c ``is_ups_critical``) counts a
UPS as critical, and a secondary then shuts its host down at once, when:

- ``FSD`` is in ups.status (the primary, here the gateway, forced the shutdown);
- ``OB`` and ``LB`` are both in ups.status;
- the server has not answered (no reply, ``ERR DATA-STALE``, driver not connected)
  for DEADTIME seconds while the last status known was on battery.

The gateway also publishes ``ups.timer.shutdown`` > 0 while on battery before it
sets FSD: the countdown of its shutdown warning, shown to the user here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .protocol import UpsStatus

INFO, WARNING, CRITICAL = "info", "warning", "critical"


@dataclass(frozen=True)
class Notice:
    """Something worth telling the user: a log line, and a desktop notification if ``notify``."""

    kind: str  # status, comm_lost, comm_ok, warning, warning_over, shutdown
    message: str
    level: str = INFO
    notify: bool = False


@dataclass
class Watch:
    """The state of one monitored UPS, fed with each poll's outcome at time ``now`` (seconds)."""

    deadtime: float = 15.0
    warning_log_every: float = 10.0
    warning_notify_every: float = 60.0
    status: UpsStatus | None = None
    last_heard: float | None = None
    comm_lost: bool = False
    warning_until: float | None = None
    shutdown_reason: str | None = None
    _warning_logged: float = field(default=0.0, repr=False)
    _warning_notified: float = field(default=0.0, repr=False)

    # ------------------------------------------------------------ inputs

    def answered(self, now: float, status: UpsStatus, timer: int | None = None) -> list[Notice]:
        """A poll answered with ``ups.status`` (and ``ups.timer.shutdown``, None if absent)."""
        if self.shutdown_reason is not None:
            return []
        if status.waiting:
            return self.no_answer(now, "the server has no data for the UPS yet (WAIT)")
        notices: list[Notice] = []
        if self.comm_lost and self.status is not None:
            notices.append(Notice("comm_ok", "communication with the UPS restored", INFO, notify=True))
        self.comm_lost = False
        self.last_heard = now
        previous, self.status = self.status, status
        if previous is None or previous.tokens != status.tokens:
            notices.append(self._status_notice(previous, status))
        reason = critical_reason(status)
        if reason is not None:
            notices.extend(self._decide(reason))
            return notices
        notices.extend(self._warning(now, status, timer))
        return notices

    def no_answer(self, now: float, why: str) -> list[Notice]:
        """A poll (or a connection attempt) that brought no fresh status."""
        if self.shutdown_reason is not None:
            return []
        notices: list[Notice] = []
        if not self.comm_lost and self.status is None:
            self.comm_lost = True
            notices.append(Notice("comm_lost", f"no status from the UPS yet: {why}", INFO))
        elif not self.comm_lost:
            self.comm_lost = True
            on_battery = self.status is not None and self.status.on_battery
            message = f"communication with the UPS lost: {why}"
            if on_battery:
                message += f"; shutting down if it lasts {self.deadtime:g} s while on battery"
            notices.append(Notice("comm_lost", message, WARNING, notify=on_battery))
        if self.status is not None and self.status.on_battery and self.last_heard is not None:
            silent = now - self.last_heard
            if silent >= self.deadtime:
                notices.extend(
                    self._decide(f"no news of the UPS for {silent:.0f} s while it was on battery ({why})")
                )
        return notices

    # ------------------------------------------------------------ helpers

    def _status_notice(self, previous: UpsStatus | None, status: UpsStatus) -> Notice:
        text = f"UPS status: {status.describe()}"
        level = WARNING if status.on_battery or status.low_battery or status.forced_shutdown else INFO
        was_on_battery = previous is not None and previous.on_battery
        notify = status.on_battery != was_on_battery and (previous is not None or status.on_battery)
        if status.on_battery and not was_on_battery:
            text = f"UPS on battery: {status.describe()}"
        elif was_on_battery and not status.on_battery:
            text = f"UPS back on mains: {status.describe()}"
        return Notice("status", text, level, notify=notify)

    def _warning(self, now: float, status: UpsStatus, timer: int | None) -> list[Notice]:
        running = status.on_battery and timer is not None and timer > 0
        if not running:
            if self.warning_until is None:
                return []
            self.warning_until = None
            return [Notice("warning_over", "shutdown warning withdrawn", INFO, notify=True)]
        assert timer is not None
        message = f"shutdown warning: this server shuts down in {format_duration(timer)} unless mains return"
        starting = self.warning_until is None
        self.warning_until = now + timer
        if starting:
            self._warning_logged = self._warning_notified = now
            return [Notice("warning", message, WARNING, notify=True)]
        notify = now - self._warning_notified >= self.warning_notify_every
        if notify:
            self._warning_notified = now
        if notify or now - self._warning_logged >= self.warning_log_every:
            self._warning_logged = now
            return [Notice("warning", message, WARNING, notify=notify)]
        return []

    def _decide(self, reason: str) -> list[Notice]:
        self.shutdown_reason = reason
        self.warning_until = None
        return [Notice("shutdown", f"shutting this server down: {reason}", CRITICAL, notify=True)]


def critical_reason(status: UpsStatus) -> str | None:
    """Why this status means "shut down now", or None. FSD wins over everything (upsmon)."""
    if status.forced_shutdown:
        return "the gateway forced a shutdown (FSD)"
    if status.on_battery and status.low_battery:
        return "the UPS is on battery with a low battery (OB LB)"
    return None


def format_duration(seconds: int) -> str:
    minutes, rest = divmod(max(0, seconds), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
