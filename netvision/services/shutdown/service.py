"""The shutdown service (EN §16.8): runs the shutdown procedure of the protected servers.

On every snapshot and once a second it asks which shutdown events are present
(conditions.py, in the local time of the configured time zone), steps the pure procedure
(procedure.py), keeps its state in the data directory (state.py), publishes each message
to the clients as a NET VISION event (the NUT server, the SNMP traps, the mails and the
syslog read them) and sends the UPS shut-off and output-on controls through the UPS handle.

Offers ``shutdown.status`` (the latest :class:`ShutdownStatus`), ``shutdown.test`` (the
AC-fail test: '' or the reason it is refused), ``shutdown.force`` (a NUT primary's FSD) and
``shutdown.ups_shut_off`` (a NUT client's ``load.off.delay``: '' or the reason it is refused).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ...events.catalog import make_event
from ...i18n import label
from ...settings import Settings
from ...settings.models import ShutdownSettings
from ...store.timefmt import to_display
from ...ups.model import Snapshot
from ..registry import ServiceContext
from . import conditions, state
from .capability import ups_manages_shut_off
from .procedure import (
    FORCED_SHUTDOWN_HOLD,
    SCHEDULE_EVENTS,
    TEST_CANCEL_DELAY,
    Action,
    ActionKind,
    Inputs,
    control_failed,
    evaluate,
    force,
    start_test,
    ups_shut_off,
)
from .status import ShutdownStatus

log = logging.getLogger("netvision.shutdown")

PresentEvents = Callable[[Snapshot | None, ShutdownSettings, datetime], frozenset[str]]

SOURCE = "shutdown"  # the source of the UPS controls, in the event log
_EVENT_IDS: Mapping[ActionKind, str] = {
    ActionKind.WARNING: "nv.shutdown_warning_sent",
    ActionKind.REQUEST: "nv.shutdown_request_sent",
    ActionKind.CANCEL: "nv.shutdown_cancel_sent",
    ActionKind.UPS_SHUT_OFF: "nv.ups_shutdown_command_sent",
    ActionKind.UPS_OUTPUT_ON: "nv.ups_output_on_sent",
}
SHUT_OFF_CONTROL = "standby_on"
_CONTROLS: Mapping[ActionKind, str] = {
    ActionKind.UPS_SHUT_OFF: SHUT_OFF_CONTROL,
    ActionKind.UPS_OUTPUT_ON: "standby_off",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def _present_events(snapshot: Snapshot | None, settings: ShutdownSettings, now: datetime) -> frozenset[str]:
    # Looked up at each call: conditions.py is the one place that says which events hold.
    return conditions.present_events(snapshot, settings, now)


def mains_present(snapshot: Snapshot) -> bool:
    """The rectifier input supply is present (JBUSP S00, VU-MAP S048)."""
    return snapshot.system is not None and snapshot.system.condition("rectifier_supply_present")


class ShutdownService:
    name = "shutdown"
    # The timings the daemon uses; tests shorten them (seconds).
    tick = 1.0  # the procedure is stepped at least this often
    minute = 60.0  # one minute of the settings (Warning Period, UPS On Delay)
    test_cancel_delay = TEST_CANCEL_DELAY
    forced_hold = FORCED_SHUTDOWN_HOLD

    def __init__(
        self,
        context: ServiceContext,
        present_events: PresentEvents | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._context = context
        self._present_events = present_events or _present_events
        self._clock = clock
        self._unavailable_reported = False
        self._status = ShutdownStatus()
        # What was last known of the UPS, held while it does not answer.
        self._mains = True
        self._manages_shut_off = False
        self._counters: dict[str, int] = dict.fromkeys(
            (
                "warnings",
                "requests",
                "cancels",
                "ups_shut_offs",
                "ups_output_ons",
                "control_failures",
                "tests",
                "forced",
                "shut_offs_asked",
            ),
            0,
        )

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        context = self._context
        self._status = state.load(context.data_dir)
        if self._status.running:
            log.info(
                "shutdown procedure resumed: %s, event %s, deadline %s",
                self._status.phase.value,
                self._status.event,
                self._status.deadline.isoformat() if self._status.deadline else "-",
            )
        context.offer("shutdown.status", self.status)
        context.offer("shutdown.test", self.test)
        context.offer("shutdown.force", self.force)
        context.offer("shutdown.ups_shut_off", self.ups_shut_off)
        context.on_snapshot(lambda _snapshot: self.evaluate())
        context.create_task(self._ticker(), "timer")
        self.evaluate()

    async def stop(self) -> None:
        # The state file already holds the procedure: a restart resumes it.
        pass

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        # The procedure reads the settings at each step: new delays apply now.
        self.evaluate()

    def addresses(self) -> list[str]:
        status = self._status
        if not status.running:
            return ["shutdown procedure idle"]
        return [f"shutdown procedure {status.phase.value} ({status.event})"]

    def counters(self) -> Mapping[str, int]:
        return dict(self._counters)

    # ------------------------------------------------------------ offers

    def status(self) -> ShutdownStatus:
        return self._status

    def test(self, by: str = "", source: str = "") -> str:
        """§16.8 "Shutdown test procedure": '' when started, else why it is refused."""
        settings = self._context.settings
        started, reason = start_test(self._status, settings.shutdown, self._clock(), self.minute)
        if reason:
            return label(reason, settings.system.language)
        log.info("shutdown test started by %s via %s", by or "???", source or "???")
        self._counters["tests"] += 1
        self._change(started)
        self.evaluate()
        return ""

    def force(self, by: str = "", source: str = "") -> None:
        """A NUT primary client's FSD: the shutdown command to every client at once."""
        log.warning("forced shutdown by %s via %s", by or "???", source or "???")
        self._counters["forced"] += 1
        status, actions = force(self._status, self._context.settings.shutdown, self._inputs(frozenset()))
        self._apply(status, actions)

    def ups_shut_off(self, by: str = "", source: str = "") -> str:
        """A NUT client's ``load.off.delay``: the UPS shut-off sequence now (the shutdown
        command to the clients, then the output off after the shut-off delay or once they
        have logged out). '' when started, else why it is refused."""
        settings = self._context.settings
        snapshot = self._context.ups.snapshot
        answering = snapshot is not None and snapshot.communicating
        manages = answering and ups_manages_shut_off(snapshot)
        permitted = answering and bool(snapshot.permissions.get(SHUT_OFF_CONTROL))
        inputs = replace(self._inputs(frozenset()), ups_manages_shut_off=manages)
        status, actions, reason = ups_shut_off(self._status, settings.shutdown, inputs, permitted)
        if reason:
            text = label(reason, settings.system.language)
            log.warning("UPS shut-off asked by %s via %s refused: %s", by or "???", source or "???", text)
            return text
        log.warning(
            "UPS shut-off asked by %s via %s: output off in %d s at the latest",
            by or "???",
            source or "???",
            settings.shutdown.ups_shut_off_delay,
        )
        self._counters["shut_offs_asked"] += 1
        self._apply(status, actions)
        self.evaluate()  # a delay of 0: the output goes off now
        return ""

    # ------------------------------------------------------------ the procedure

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            self.evaluate()

    def evaluate(self) -> None:
        """One step of the procedure with what is known now."""
        status, actions = evaluate(
            self._status, self._context.settings.shutdown, self._inputs(self._events())
        )
        self._apply(status, actions)

    def _events(self) -> frozenset[str]:
        settings = self._context.settings
        snapshot = self._context.ups.snapshot
        now_local = to_display(self._clock(), settings.system.time_zone, settings.system.dst)
        try:
            present = self._present_events(snapshot, settings.shutdown, now_local)
        except NotImplementedError:
            if not self._unavailable_reported:
                log.warning("shutdown events not available: no procedure starts")
                self._unavailable_reported = True
            present = frozenset()
        except Exception as error:  # a fault there must not stop a running procedure
            log.exception("shutdown events could not be evaluated")
            self._context.report_error(f"shutdown events: {error}")
            present = frozenset()
        if snapshot is not None and snapshot.communicating:
            self._mains = mains_present(snapshot)
            self._manages_shut_off = ups_manages_shut_off(snapshot)
            return present
        # The UPS does not answer (or not yet, after a restart): its events stand as last
        # seen, so a link failure neither cancels nor starts a shutdown; the schedule
        # events need no UPS.
        held = {name for name, _since in self._status.present_since if name not in SCHEDULE_EVENTS}
        return frozenset(held | (present & SCHEDULE_EVENTS))

    def _inputs(self, events: frozenset[str]) -> Inputs:
        clients = 0
        table = self._context.offers.get("nut.clients")
        if table is not None:
            try:
                clients = sum(1 for client in table() if client.logged_in)
            except Exception:
                log.exception("the NUT client table could not be read")
        return Inputs(
            now=self._clock(),
            events=events,
            mains_present=self._mains,
            clients_logged_in=clients,
            ups_manages_shut_off=self._manages_shut_off,
            minute=self.minute,
            test_cancel_delay=self.test_cancel_delay,
            forced_hold=self.forced_hold,
        )

    def _apply(self, status: ShutdownStatus, actions: list[Action]) -> None:
        self._change(status)
        for action in actions:
            self._publish(action)
            control = _CONTROLS.get(action.kind)
            if control is not None:
                self._context.create_task(self._send_control(control), control)

    def _change(self, status: ShutdownStatus) -> None:
        if status == self._status:
            return
        self._status = status
        try:
            state.save(self._context.data_dir, status)
        except OSError as error:
            log.error("shutdown state not saved: %s", error)
            self._context.report_error(f"state not saved: {error}")

    def _publish(self, action: Action) -> None:
        counter = {
            ActionKind.WARNING: "warnings",
            ActionKind.REQUEST: "requests",
            ActionKind.CANCEL: "cancels",
            ActionKind.UPS_SHUT_OFF: "ups_shut_offs",
            ActionKind.UPS_OUTPUT_ON: "ups_output_ons",
        }[action.kind]
        self._counters[counter] += 1
        data: dict[str, Any] = {
            "event": action.event,
            "event_en": label(f"shutdown.event.{action.event}", "en"),
            "event_fr": label(f"shutdown.event.{action.event}", "fr"),
            "seconds": action.seconds_left,
            "test": action.test,
        }
        log.info(
            "%s: %s, %d s left%s",
            action.kind.value,
            action.event,
            action.seconds_left,
            " (test)" if action.test else "",
        )
        self._context.bus.publish(make_event(_EVENT_IDS[action.kind], **data))

    async def _send_control(self, control: str) -> None:
        try:
            result = await self._context.ups.submit(control, source=SOURCE, user=SOURCE)
            reason = "" if result.accepted else result.reason or "refused by the UPS"
        except Exception as error:
            reason = str(error) or type(error).__name__
        if reason:
            log.error("UPS control %s failed: %s", control, reason)
            self._counters["control_failures"] += 1
            self._context.report_error(f"{control}: {reason}")
            self._change(control_failed(self._status, f"{control}: {reason}"))
