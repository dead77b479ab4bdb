"""What the shutdown procedure is doing now, as the other services read it.

Pure data. The shutdown service (EN §16.8) publishes one :class:`ShutdownStatus` each
time its state changes and offers the latest as ``offers["shutdown.status"]``: the NUT
server turns it into ``FSD`` and ``ups.timer.shutdown``, the SNMP agent and the web pages
show it. The same record is what the service keeps in its state file, so that a restart of
the gateway resumes the procedure where it stood (procedure.py, state.py).
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
    # The procedure's memory (procedure.py), kept across a restart of the gateway:
    # each shutdown event present at the last evaluation and when it was first seen (UTC),
    # in the manual's order;
    present_since: tuple[tuple[str, datetime], ...] = ()
    # the events whose shutdown was carried out and that are still present: never again
    # while they stay (§16.8: the agent is ready again once the cancel was sent);
    completed: frozenset[str] = frozenset()
    # a NUT client was logged in after the shutdown command (the logout rule applies);
    clients_seen: bool = False
    # when the test, or a NUT primary's forced shutdown, sends its cancel (UTC).
    cancel_at: datetime | None = None

    @property
    def forced_shutdown(self) -> bool:
        """NUT's FSD: the servers must shut down now."""
        return self.phase is Phase.SHUTDOWN

    @property
    def running(self) -> bool:
        """A procedure or a test is under way (the test button is disabled, §16.8)."""
        return self.phase is not Phase.IDLE

    def seconds_left(self, now: datetime) -> int | None:
        """Seconds until the shutdown command (NUT ``ups.timer.shutdown``); 0 once sent,
        None when no procedure runs."""
        if self.phase is Phase.SHUTDOWN:
            return 0
        if self.phase is Phase.WARNING and self.deadline is not None:
            return max(0, round((self.deadline - now).total_seconds()))
        return None


IDLE = ShutdownStatus()
