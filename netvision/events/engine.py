"""The event engine: compares consecutive snapshots and publishes typed events.

Pure diffing (:func:`diff`) plus a small stateful wrapper (:class:`EventEngine`)
subscribed to the poller. Rules (docs/decisions.md):

- alarm added / removed: rows of the system's alarm table (§12.3, §21.3), with
  the time each appeared; a STS also logs its information-level status bits
  (FR §18.4 lists them);
- UPS status events (§21.3): when the derived UPS status (§12.1.5) changes;
- communication lost / restored (§21.4) with "UPS not connected" / "UPS
  connected" in the UPS log (§21.3); while lost nothing is diffed, and on
  restoration the UPS is compared with the last state seen before the loss;
- trap triggers: each map ``trap_conditions`` expression that becomes true
  (App. "NET VISION 7 TRAP DESCRIPTION"), once per rising edge (the SNMP
  service repeats TRAP 1 every minute on its own setting); the first snapshot
  only sets the baseline, the alarms present then being logged as added;
- controls: an accepted control is a UPS event with who sent it, a refused one a
  NET VISION warning.

Events are at system level, also for a parallel system (§12.3): unit general
alarms arrive through the system's unit synthesis bits ("Unit n general alarm").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..ups.controls import CONTROL_LABELS, ControlResult
from ..ups.expression import compile_expression
from ..ups.maps.base import Level, RegisterMap
from ..ups.model import ActiveAlarm, CommunicationState, Snapshot
from .bus import Event, EventBus, Severity
from .catalog import STATUS_EVENTS, TRAP_EVENTS, make_event

log = logging.getLogger("netvision.events.engine")

LEVEL_SEVERITY = {
    Level.INFORMATION: Severity.INFORMATION,
    Level.WARNING: Severity.WARNING,
    Level.CRITICAL: Severity.CRITICAL,
}


@dataclass(frozen=True)
class UpsView:
    """What the engine compares of one communicating snapshot."""

    rows: Mapping[str, ActiveAlarm]  # acronym -> row, tracked alarms and (STS) statuses
    ups_status: str
    traps: frozenset[int]  # trap numbers whose map expression holds
    well_known: frozenset[int]
    rfc1628: frozenset[int]


def _tokens(expression: str) -> set[str]:
    for operator in "&|!()":
        expression = expression.replace(operator, " ")
    return set(expression.split())


def view_of(snapshot: Snapshot, register_map: RegisterMap | None) -> UpsView | None:
    system = snapshot.system
    if system is None or not snapshot.communicating:
        return None
    rows = {alarm.acronym: alarm for alarm in system.alarms}
    if register_map is not None and register_map.device_kind == "sts":
        # FR §18.4: the STS events log also lists information statuses (Source 1 OK…).
        for bit in register_map.statuses:
            if bit.level is Level.INFORMATION and bit.acronym in system.statuses and bit.acronym not in rows:
                rows[bit.acronym] = ActiveAlarm(bit.acronym, bit.label_en, bit.label_fr, bit.level, snapshot.time)
    traps: frozenset[int] = frozenset()
    if register_map is not None:
        active = system.active
        traps = frozenset(
            number
            for number, text in register_map.trap_conditions.items()
            if text and number in TRAP_EVENTS and compile_expression(text)(active)
        )
    return UpsView(
        rows=rows,
        ups_status=system.derived.ups_status,
        traps=traps,
        well_known=system.derived.well_known_alarms,
        rfc1628=system.derived.rfc1628_alarms,
    )


def _related(acronym: str, expressions: Mapping[int, str], true_now: Iterable[int]) -> list[int]:
    """Well-known alarm numbers that hold and whose expression names ``acronym``:
    the index TRAP 3/TRAP 4 carry (App. traps)."""
    return sorted(number for number in true_now if acronym in _tokens(expressions.get(number, "")))


def diff(
    before: UpsView | None,
    after: UpsView,
    register_map: RegisterMap | None,
    time: datetime,
) -> list[Event]:
    """Events between two communicating views; ``before`` None = first sight of the UPS."""
    events: list[Event] = []
    old_rows = before.rows if before else {}
    well_known = register_map.well_known_alarms if register_map else {}
    rfc1628 = register_map.rfc1628_alarms if register_map else {}
    for acronym, row in old_rows.items():
        if acronym not in after.rows:
            events.append(
                make_event(
                    "ups.alarm_removed",
                    time=time,
                    acronym=acronym,
                    description=row.label_en,
                    description_fr=row.label_fr,
                    level=row.level.value,
                    well_known=_related(acronym, well_known, before.well_known if before else ()),
                    rfc1628=_related(acronym, rfc1628, before.rfc1628 if before else ()),
                )
            )
    added = sorted(
        (row for acronym, row in after.rows.items() if acronym not in old_rows), key=lambda r: r.since
    )
    for row in added:
        events.append(
            make_event(
                "ups.alarm_added",
                time=row.since,
                acronym=row.acronym,
                severity=LEVEL_SEVERITY[row.level],
                description=row.label_en,
                description_fr=row.label_fr,
                level=row.level.value,
                well_known=_related(row.acronym, well_known, after.well_known),
                rfc1628=_related(row.acronym, rfc1628, after.rfc1628),
            )
        )
    if before is None or before.ups_status != after.ups_status:
        key = after.ups_status.split(".", 1)[-1]
        if key in STATUS_EVENTS:
            events.append(make_event(f"ups.status.{key}", time=time, status=after.ups_status))
    if before is not None:
        for number in sorted(after.traps - before.traps):
            events.append(make_event(f"trap.{TRAP_EVENTS[number][0]}", time=time, condition=number))
    return events


class EventEngine:
    """Subscribes to the poller and publishes every event on the bus."""

    def __init__(self, bus: EventBus, register_map: Callable[[], RegisterMap | None]) -> None:
        self.bus = bus
        self._register_map = register_map
        self._view: UpsView | None = None  # last communicating view (kept while lost)
        self._state = CommunicationState.STARTING

    def attach(self, poller) -> None:  # type: ignore[no-untyped-def]
        poller.subscribe(self.on_snapshot)
        poller.subscribe_controls(self.on_control)

    def _publish(self, events: Iterable[Event]) -> None:
        for event in events:
            self.bus.publish(event)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        self._publish(self.events_for(snapshot))

    def events_for(self, snapshot: Snapshot) -> list[Event]:
        """The events ``snapshot`` raises after the previous ones (updates the state)."""
        events: list[Event] = []
        state = snapshot.communication.state
        time = snapshot.time
        if state is CommunicationState.LOST:
            if self._state is CommunicationState.OK:
                events.append(
                    make_event("nv.communication_lost", time=time, error=snapshot.communication.last_error)
                )
                events.append(make_event("ups.not_connected", time=time))
            self._state = state
            return events
        if state is not CommunicationState.OK:
            return events
        register_map = self._register_map()
        view = view_of(snapshot, register_map)
        if view is None:
            return events
        if self._state is CommunicationState.LOST:
            events.append(make_event("nv.communication_restored", time=time))
        if self._state is not CommunicationState.OK:
            events.append(make_event("ups.connected", time=time))
        events += diff(self._view, view, register_map, time)
        self._view = view
        self._state = state
        return events

    def on_control(self, result: ControlResult) -> None:
        label_en, label_fr = CONTROL_LABELS.get(result.control, (result.control, result.control))
        via, by = result.source or "???", result.user or "???"
        if result.accepted:
            event = make_event(
                f"ups.control.{result.control}", time=result.time, via=via, by=by, control=result.control
            )
        else:
            event = make_event(
                "nv.control_refused",
                time=result.time,
                control=label_en,
                control_fr=label_fr,
                via=via,
                by=by,
                reason=result.reason,
            )
        self.bus.publish(event)


BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def startup_events(data_dir: Path, boot_id_file: Path = BOOT_ID) -> list[Event]:
    """What the daemon logs when it starts (§21.4): "Cold boot" when the machine
    booted since the last start (its kernel boot id changed), then always
    "NET VISION UPS Agent Restart" (TRAP 27, "NET VISION is restarting")."""
    events: list[Event] = []
    marker = data_dir / "boot_id"
    try:
        current = boot_id_file.read_text().strip()
    except OSError:
        current = ""
    try:
        previous = marker.read_text().strip()
    except OSError:
        previous = None
    if current and current != previous:
        events.append(make_event("nv.cold_boot"))
        try:
            marker.write_text(current + "\n")
        except OSError as error:
            log.warning("cannot record the boot id in %s: %s", marker, error)
    events.append(make_event("nv.agent_restart"))
    return events


__all__ = ["EventEngine", "UpsView", "diff", "startup_events", "view_of"]
