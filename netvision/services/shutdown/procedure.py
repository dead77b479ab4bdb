"""The shutdown procedure (EN §16.8 "Shutdown sequence"), as a pure state machine.

No I/O, no clock: :func:`evaluate` takes the time, the shutdown events present and what
is known of the UPS and the clients, and returns the next :class:`ShutdownStatus` with the
actions the service must carry out (tell the clients, switch the UPS output). The service
calls it on every snapshot and once a second; every time is UTC and every delay is
counted in seconds, so a restart of the gateway resumes from the persisted status.

The sequence:

- an enabled shutdown event appears: the reversible *warning period* starts; its end is
  the deadline, ``warning_period`` minutes later (0 = the shutdown command at once,
  §16.8 "WARNING!"). The first warning goes ``first_warning`` s after the event, the next
  ones every ``warning_interval`` s (0 = one warning only) while the deadline is ahead;
- every enabled event cleared before the deadline: the procedure is cancelled;
- another event whose deadline comes sooner (battery low during an AC-failed warning)
  takes over: the earliest deadline of the enabled events present always rules;
- at the deadline the shutdown command (FSD) goes to the clients; with the UPS shut-off
  enabled and managed by the UPS, the output is switched off once every client has logged
  out (plus ``shut_off_after_logout`` s) or ``ups_shut_off_delay`` s after the command,
  whichever comes first, and switched on again ``ups_on_delay`` minutes after the mains
  returns (after the restart time of a schedule event; 0 = no restart);
- the shutdown stays until its events clear (or the output is back on): then the cancel
  lets the clients recover the normal status. A completed shutdown is never repeated
  while its event stays present.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ...settings.models import SHUTDOWN_EVENTS, ShutdownSettings
from .status import IDLE, Phase, ShutdownStatus, UpsShutOff

# §16.8 "Shutdown test procedure": "NET VISION waits around 2 minutes before sending a
# shutdown cancel command".
TEST_CANCEL_DELAY = 120.0
# A NUT primary's forced shutdown is held at least this long, so that every client sees
# FSD, before it may be cancelled (mains back, no shutdown event).
FORCED_SHUTDOWN_HOLD = 120.0

TEST_EVENT = "test"
CLIENT_EVENT = "client"
# The schedule events (§16.5, §16.6): their restart time is when the event clears.
SCHEDULE_EVENTS = frozenset({"weekly_schedule", "special_day"})
_ORDER: dict[str, int] = {name: index for index, name in enumerate(SHUTDOWN_EVENTS)}


class ActionKind(enum.StrEnum):
    WARNING = "warning"  # shutdown warning to the clients (trap 20)
    REQUEST = "request"  # shutdown request / command to the clients (trap 21)
    CANCEL = "cancel"  # shutdown cancel to the clients (trap 26)
    UPS_SHUT_OFF = "ups_shut_off"  # standby_on: the UPS output goes off
    UPS_OUTPUT_ON = "ups_output_on"  # standby_off: the UPS output comes back


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    event: str  # the procedure's event (SHUTDOWN_EVENTS, "test" or "client")
    seconds_left: int = 0  # until the shutdown command (warnings)
    test: bool = False


@dataclass(frozen=True)
class Inputs:
    """What the procedure is told at each evaluation."""

    now: datetime  # UTC
    events: frozenset[str]  # the shutdown events present (conditions.present_events)
    mains_present: bool = True
    clients_logged_in: int = 0  # NUT clients logged in to the UPS
    ups_manages_shut_off: bool = False  # the UPS manages the Standby Schedule (§16.8)
    # Seconds in one minute of the settings (Warning Period, UPS On Delay): 60, less in tests.
    minute: float = 60.0
    test_cancel_delay: float = TEST_CANCEL_DELAY
    forced_hold: float = FORCED_SHUTDOWN_HOLD


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _enabled(settings: ShutdownSettings, name: str) -> bool:
    try:
        return settings.event(name).enabled
    except KeyError:
        return False


def _period(settings: ShutdownSettings, name: str, minute: float) -> timedelta:
    return _seconds(settings.event(name).warning_period * minute)


def _ordered(names: Iterable[str]) -> tuple[str, ...]:
    given = set(names)
    return tuple(name for name in SHUTDOWN_EVENTS if name in given)


def _track(status: ShutdownStatus, events: frozenset[str], now: datetime) -> ShutdownStatus:
    """Remember when each present event was first seen; forget the cleared ones."""
    since = dict(status.present_since)
    present = tuple((name, since.get(name, now)) for name in _ordered(events))
    return replace(status, present_since=present, completed=status.completed & events)


def _candidates(
    minute: float, status: ShutdownStatus, settings: ShutdownSettings
) -> list[tuple[datetime, int, str, datetime]]:
    """(deadline, manual order, event, first seen) of each enabled event that may run a
    procedure now, earliest deadline first."""
    rows = []
    for name, since in status.present_since:
        if name in status.completed or not _enabled(settings, name):
            continue
        rows.append((since + _period(settings, name, minute), _ORDER.get(name, len(_ORDER)), name, since))
    rows.sort()
    return rows


def _first_warning(
    settings: ShutdownSettings, row_event: str, since: datetime, deadline: datetime, now: datetime
) -> datetime | None:
    row = settings.event(row_event)
    first = since + _seconds(row.first_warning)
    if row.warning_interval > 0:
        # A late start (an event taking over): the next beat of its own rhythm.
        first = _next_beat(first, row.warning_interval, now, strictly_after=False)
    elif first < now:
        first = now
    return first if first < deadline else None


def _next_beat(start: datetime, interval: float, now: datetime, strictly_after: bool) -> datetime:
    """The first time ``start + k * interval`` (k ≥ 1 when ``strictly_after``, else k ≥ 0)
    at or after ``now`` (after ``now`` when ``strictly_after``): a resumed procedure skips
    the warnings it missed instead of sending them all at once."""
    elapsed = (now - start).total_seconds()
    beats = (
        max(0, math.floor(elapsed / interval) + 1)
        if strictly_after
        else max(0, math.ceil(elapsed / interval))
    )
    return start + _seconds(max(beats, 1 if strictly_after else 0) * interval)


def _row_event(status: ShutdownStatus) -> str:
    """The settings row that times the procedure: the test runs the AC-failed row."""
    return "ac_failed" if status.test else status.event


def evaluate(
    status: ShutdownStatus, settings: ShutdownSettings, inputs: Inputs
) -> tuple[ShutdownStatus, list[Action]]:
    """The procedure one step on: the new status and the actions to carry out, in order."""
    now = inputs.now
    status = _track(status, inputs.events, now)
    actions: list[Action] = []
    if status.phase is Phase.IDLE:
        status = _maybe_start(status, settings, inputs)
    if status.phase is Phase.WARNING:
        status = _warning(status, settings, inputs, actions)
    if status.phase is Phase.SHUTDOWN:
        status = _shutdown(status, settings, inputs, actions)
    return status, actions


def _maybe_start(status: ShutdownStatus, settings: ShutdownSettings, inputs: Inputs) -> ShutdownStatus:
    now = inputs.now
    candidates = _candidates(inputs.minute, status, settings)
    if not candidates:
        return status
    deadline, _order, name, since = candidates[0]
    return _begin(
        status,
        name,
        started=since,
        deadline=deadline,
        next_warning=_first_warning(settings, name, since, deadline, now),
    )


def _warning(
    status: ShutdownStatus, settings: ShutdownSettings, inputs: Inputs, actions: list[Action]
) -> ShutdownStatus:
    now = inputs.now
    candidates = _candidates(inputs.minute, status, settings)
    if candidates:
        deadline, _order, name, since = candidates[0]
        # The earliest deadline rules: an event with a shorter one takes over, and when
        # the procedure's event clears, the next one present goes on with its own. A real
        # event ends a test: the servers are shut down for good.
        if status.test or (name, deadline) != (status.event, status.deadline):
            status = replace(
                status,
                event=name,
                test=False,
                started=since,
                deadline=deadline,
                cancel_at=None,
                next_warning=_first_warning(settings, name, since, deadline, now),
            )
    elif not status.test:
        # §16.8 "Reversible period": the event is removed, the shutdown is cancelled.
        actions.append(Action(ActionKind.CANCEL, status.event))
        return _idle(status)
    assert status.deadline is not None
    if now >= status.deadline:
        return _send_request(status, settings, inputs, actions)
    if status.next_warning is not None and now >= status.next_warning:
        left = max(0, round((status.deadline - now).total_seconds()))
        actions.append(Action(ActionKind.WARNING, status.event, left, status.test))
        interval = settings.event(_row_event(status)).warning_interval
        following: datetime | None = None
        if interval > 0:
            following = _next_beat(status.next_warning, interval, now, strictly_after=True)
            if following >= status.deadline:
                following = None
        status = replace(status, next_warning=following, warnings_sent=status.warnings_sent + 1)
    return status


def _send_request(
    status: ShutdownStatus, settings: ShutdownSettings, inputs: Inputs, actions: list[Action]
) -> ShutdownStatus:
    now = inputs.now
    actions.append(Action(ActionKind.REQUEST, status.event, 0, status.test))
    completed = status.completed
    if not status.test:
        completed |= {name for name, _since in status.present_since if _enabled(settings, name)}
    status = replace(
        status,
        phase=Phase.SHUTDOWN,
        shutdown_sent=now,
        next_warning=None,
        completed=completed,
        cancel_at=now + _seconds(inputs.test_cancel_delay) if status.test else None,
    )
    # §16.8: the test never switches the UPS off.
    if settings.ups_shut_off and inputs.ups_manages_shut_off and not status.test:
        status = replace(
            status,
            ups_shut_off=UpsShutOff.WAITING,
            ups_off_at=now + _seconds(settings.ups_shut_off_delay),
            clients_seen=inputs.clients_logged_in > 0,
        )
    return status


def _shutdown(
    status: ShutdownStatus, settings: ShutdownSettings, inputs: Inputs, actions: list[Action]
) -> ShutdownStatus:
    now = inputs.now
    if status.test:
        candidates = _candidates(inputs.minute, status, settings)
        if candidates:
            # A real event during the test's last minutes: the shutdown is real now.
            status = replace(status, test=False, event=candidates[0][2], cancel_at=None)
            if settings.ups_shut_off and inputs.ups_manages_shut_off:
                status = replace(
                    status,
                    ups_shut_off=UpsShutOff.WAITING,
                    ups_off_at=now + _seconds(settings.ups_shut_off_delay),
                    clients_seen=inputs.clients_logged_in > 0,
                )
        elif status.cancel_at is not None and now >= status.cancel_at:
            actions.append(Action(ActionKind.CANCEL, status.event, 0, True))
            return _idle(status)
        else:
            return status
    # Every event that appears while the servers shut down belongs to this shutdown.
    enabled_present = {name for name, _since in status.present_since if _enabled(settings, name)}
    status = replace(status, completed=status.completed | enabled_present)
    shut_off = status.ups_shut_off
    if shut_off is UpsShutOff.WAITING:
        return _waiting(status, settings, inputs, actions)
    if shut_off is UpsShutOff.OFF:
        if _may_restart(status, inputs):
            if settings.ups_on_delay == 0:
                # "A restart time set to 0 means that the UPS will not restart."
                actions.append(Action(ActionKind.CANCEL, status.event))
                return _idle(status, keep_shut_off=True)
            return replace(
                status,
                ups_shut_off=UpsShutOff.RESTART_PENDING,
                restart_at=now + _seconds(settings.ups_on_delay * inputs.minute),
            )
        return status
    if shut_off is UpsShutOff.RESTART_PENDING:
        if not _may_restart(status, inputs):
            return replace(status, ups_shut_off=UpsShutOff.OFF, restart_at=None)
        if status.restart_at is not None and now >= status.restart_at:
            actions.append(Action(ActionKind.UPS_OUTPUT_ON, status.event))
            actions.append(Action(ActionKind.CANCEL, status.event))
            return _idle(status)
        return status
    # No UPS shut-off (or it failed): the shutdown holds while its events are present.
    if enabled_present:
        return status
    if status.event == CLIENT_EVENT:
        held = status.cancel_at is not None and now < status.cancel_at
        if held or not inputs.mains_present:
            return status
    actions.append(Action(ActionKind.CANCEL, status.event))
    return _idle(status)


def _waiting(
    status: ShutdownStatus, settings: ShutdownSettings, inputs: Inputs, actions: list[Action]
) -> ShutdownStatus:
    now = inputs.now
    if inputs.clients_logged_in > 0:
        status = replace(status, clients_seen=True)
    elif status.clients_seen:
        # Every client has logged out: each host is in its last steps of shutdown.
        after_logout = now + _seconds(settings.shut_off_after_logout)
        if status.ups_off_at is None or after_logout < status.ups_off_at:
            status = replace(status, ups_off_at=after_logout)
        status = replace(status, clients_seen=False)
    if status.ups_off_at is not None and now >= status.ups_off_at:
        actions.append(Action(ActionKind.UPS_SHUT_OFF, status.event))
        return replace(status, ups_shut_off=UpsShutOff.OFF)
    return status


def _may_restart(status: ShutdownStatus, inputs: Inputs) -> bool:
    """The mains is back; for a schedule event, its restart time has come too."""
    if not inputs.mains_present:
        return False
    if status.event in SCHEDULE_EVENTS:
        return status.event not in inputs.events
    return True


def _begin(
    status: ShutdownStatus,
    event: str,
    *,
    started: datetime,
    deadline: datetime,
    next_warning: datetime | None,
    test: bool = False,
) -> ShutdownStatus:
    """A procedure starting afresh (an event, the test or a client's FSD): its warning
    period, nothing of an earlier procedure but the memory of the events."""
    return replace(
        IDLE,
        present_since=status.present_since,
        completed=status.completed,
        phase=Phase.WARNING,
        event=event,
        test=test,
        started=started,
        deadline=deadline,
        next_warning=next_warning,
    )


def _idle(status: ShutdownStatus, keep_shut_off: bool = False) -> ShutdownStatus:
    return replace(
        IDLE,
        present_since=status.present_since,
        completed=status.completed,
        ups_shut_off=status.ups_shut_off if keep_shut_off else UpsShutOff.NONE,
        event=status.event if keep_shut_off else "",
    )


def start_test(
    status: ShutdownStatus, settings: ShutdownSettings, now: datetime, minute: float = 60.0
) -> tuple[ShutdownStatus, str]:
    """§16.8 "Shutdown test procedure": the AC-failed sequence as if the mains had failed.
    Returns the new status and '', or the unchanged status and the i18n key of the reason
    the test is refused."""
    if not _enabled(settings, "ac_failed"):
        return status, "shutdown.refused.disabled"
    if status.running:
        return status, "shutdown.refused.running"
    deadline = now + _period(settings, "ac_failed", minute)
    next_warning = _first_warning(settings, "ac_failed", now, deadline, now)
    started = _begin(status, TEST_EVENT, started=now, deadline=deadline, next_warning=next_warning, test=True)
    return started, ""


def force(
    status: ShutdownStatus, settings: ShutdownSettings, inputs: Inputs
) -> tuple[ShutdownStatus, list[Action]]:
    """A NUT primary client's FSD: the shutdown command at once (event "client")."""
    if status.phase is Phase.SHUTDOWN:
        if status.test:
            status = replace(status, test=False, event=CLIENT_EVENT)
        return status, []
    actions: list[Action] = []
    status = _begin(status, CLIENT_EVENT, started=inputs.now, deadline=inputs.now, next_warning=None)
    status = _send_request(status, settings, inputs, actions)
    return replace(status, cancel_at=inputs.now + _seconds(inputs.forced_hold)), actions


def control_failed(status: ShutdownStatus, reason: str) -> ShutdownStatus:
    """The UPS refused the shut-off or the output-on control: stop managing its output."""
    return replace(status, ups_shut_off=UpsShutOff.FAILED, shut_off_error=reason, restart_at=None)


def ups_shut_off(
    status: ShutdownStatus, settings: ShutdownSettings, inputs: Inputs, permitted: bool
) -> tuple[ShutdownStatus, list[Action], str]:
    """A NUT client's ``load.off.delay``: the UPS shut-off sequence now, whether or not the
    admin turned the procedure's UPS shut-off on (the client asked for it). The shutdown
    command goes to every client (event "client", as a forced shutdown), and the output
    goes off ``ups_shut_off_delay`` s later, or earlier once every client has logged out
    (plus ``shut_off_after_logout`` s), as the procedure's own shut-off; the restart
    follows ``ups_on_delay`` as usual.

    ``permitted``: the UPS permits its standby control now. Returns the new status, the
    actions, and '' or the i18n key of the reason it is refused (status unchanged)."""
    if not inputs.ups_manages_shut_off:
        return status, [], "shutdown.refused.shut_off_not_managed"
    if not permitted:
        return status, [], "shutdown.refused.shut_off_not_permitted"
    if status.phase is Phase.SHUTDOWN and status.ups_shut_off in (UpsShutOff.OFF, UpsShutOff.RESTART_PENDING):
        return status, [], "shutdown.refused.shut_off_done"
    actions: list[Action] = []
    if status.phase is not Phase.SHUTDOWN or status.test:
        # The clients are told first (a test becomes a real shutdown).
        status, actions = force(status, settings, inputs)
    off_at = inputs.now + _seconds(settings.ups_shut_off_delay)
    if status.ups_shut_off is UpsShutOff.WAITING and status.ups_off_at is not None:
        off_at = min(off_at, status.ups_off_at)  # a shut-off already on its way keeps its time
    status = replace(
        status,
        ups_shut_off=UpsShutOff.WAITING,
        ups_off_at=off_at,
        shut_off_error="",
        clients_seen=status.clients_seen or inputs.clients_logged_in > 0,
    )
    return status, actions, ""
