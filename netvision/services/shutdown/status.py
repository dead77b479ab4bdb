"""What the shutdown procedure is doing now, as the other services read it.

Pure data. The shutdown service (EN §16.8) publishes one :class:`ShutdownStatus` each
time its state changes and offers the latest as ``offers["shutdown.status"]``: the NUT
server turns it into ``FSD`` and ``ups.timer.shutdown``, the SNMP agent and the web pages
show it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Phase(enum.StrEnum):
    IDLE = "idle"  # no shutdown event present (or its action is disabled)
    WARNING = "warning"  # the reversible period: the event may still clear (§16.8)
    SHUTDOWN = "shutdown"  # the shutdown command is sent: NUT clients see FSD


class UpsShutOff(enum.StrEnum):
    """Where the UPS shut-off stands (§16.8 "UPS shut off"), after the shutdown command."""

    NONE = "none"  # not enabled, not managed by the UPS, or no shutdown
    WAITING = "waiting"  # waiting for the clients to log out or the shut-off delay to run out
    OFF = "off"  # the output was switched off; waiting for the mains (or the restart time)
    RESTART_PENDING = "restart_pending"  # the mains is back: the On Delay is running
    FAILED = "failed"  # the UPS refused the control (see ``shut_off_error``)


@dataclass(frozen=True)
class ShutdownStatus:
    phase: Phase = Phase.IDLE
    # The shutdown event that started the procedure (settings.models.SHUTDOWN_EVENTS), or
    # "test" for the AC-fail test, or "client" for a NUT primary's FSD.
    event: str = ""
    test: bool = False  # the AC-fail test is running (§16.8 "Shutdown test procedure")
    started: datetime | None = None  # the event appeared (UTC)
    deadline: datetime | None = None  # end of the warning period: the shutdown command (UTC)
    shutdown_sent: datetime | None = None  # when the shutdown command was sent (UTC)
    next_warning: datetime | None = None
    warnings_sent: int = 0
    ups_shut_off: UpsShutOff = UpsShutOff.NONE
    ups_off_at: datetime | None = None  # latest time the output goes off (UTC)
    restart_at: datetime | None = None  # when the output is switched on again (UTC)
    shut_off_error: str = ""

    @property
    def forced_shutdown(self) -> bool:
        """NUT's FSD: the servers must shut down now."""
        return self.phase is Phase.SHUTDOWN

    def seconds_left(self, now: datetime) -> int | None:
        """Seconds until the shutdown command (NUT ``ups.timer.shutdown``); 0 once sent,
        None when no procedure runs."""
        if self.phase is Phase.SHUTDOWN:
            return 0
        if self.phase is Phase.WARNING and self.deadline is not None:
            return max(0, round((self.deadline - now).total_seconds()))
        return None


IDLE = ShutdownStatus()
