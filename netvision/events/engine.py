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
- trap triggers: each trap condition (status.py, from the map's
  ``trap_conditions``, App. "NET VISION 7 TRAP DESCRIPTION") that becomes true,
  once per rising edge (the SNMP service repeats TRAP 1 every minute on its own
  setting); the first snapshot only sets the baseline, the alarms present then
  being logged as added;
- well-known alarms of the NET VISION MIB and RFC1628 raised / cleared (TRAP 3
  / TRAP 4), with RFC1628's alarm table (ids and times) kept here, also while
  communication is lost (NET VISION .58 / RFC1628 .20 are raised then);
- controls: an accepted control is a UPS event with who sent it, a refused one a
  NET VISION warning.

Events are at system level, also for a parallel system (§12.3): unit general
alarms arrive through the system's unit synthesis bits ("Unit n general alarm").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..ups.controls import CONTROL_LABELS, ControlResult
from ..ups.handle import UpsHandle
from ..ups.maps.base import Level
from ..ups.model import ActiveAlarm, CommunicationState, Snapshot
from ..ups.status import derive_lost
from .alarm_table import WellKnownAlarmTable
from .bus import Event, EventBus, Severity
from .catalog import STATUS_EVENTS, STS_TRAP_EVENTS, TRAP_EVENTS, make_event

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
    traps: frozenset[int]  # trap numbers whose map condition holds (status.py)
    device_kind: str  # "ups" | "sts": the trap list ``traps`` numbers
    well_known_bits: Mapping[int, frozenset[str]]  # raised NET VISION well-known alarm -> its bits
    rfc1628_bits: Mapping[int, frozenset[str]]  # raised RFC1628 well-known alarm -> its bits
    input_out_of_tolerance: bool


def view_of(snapshot: Snapshot) -> UpsView | None:
    system = snapshot.system
    if system is None or not snapshot.communicating:
        return None
    derived = system.derived
    rows = {alarm.acronym: alarm for alarm in system.alarms}
    for status in derived.information_statuses:
        if status.acronym not in rows:
            rows[status.acronym] = ActiveAlarm(
                status.acronym, status.label_en, status.label_fr, status.level, snapshot.time
            )
    return UpsView(
        rows=rows,
        ups_status=derived.ups_status,
        traps=derived.traps,
        device_kind=derived.device_kind,
        well_known_bits=derived.well_known_bits,
        rfc1628_bits=derived.rfc1628_bits,
        input_out_of_tolerance=derived.input_out_of_tolerance,
    )


def _related(acronym: str, bits: Mapping[int, frozenset[str]]) -> list[int]:
    """Raised well-known alarm numbers whose expression names ``acronym``: the index
    TRAP 3/TRAP 4 carry (App. traps)."""
    return sorted(number for number, names in bits.items() if acronym in names)


def diff(before: UpsView | None, after: UpsView, time: datetime) -> list[Event]:
    """Events between two communicating views; ``before`` None = first sight of the UPS."""
    events: list[Event] = []
    old_rows = before.rows if before else {}
    old_well_known = before.well_known_bits if before else {}
    old_rfc1628 = before.rfc1628_bits if before else {}
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
                    well_known=_related(acronym, old_well_known),
                    rfc1628=_related(acronym, old_rfc1628),
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
                well_known=_related(row.acronym, after.well_known_bits),
                rfc1628=_related(row.acronym, after.rfc1628_bits),
            )
        )
    if before is None or before.ups_status != after.ups_status:
        key = after.ups_status.split(".", 1)[-1]
        if key in STATUS_EVENTS:
            events.append(make_event(f"ups.status.{key}", time=time, status=after.ups_status))
    if before is not None:
        triggers = STS_TRAP_EVENTS if after.device_kind == "sts" else TRAP_EVENTS
        for number in sorted(after.traps - before.traps):
            if number in triggers:
                events.append(make_event(f"trap.{triggers[number][0]}", time=time, condition=number))
    return events


class EventEngine:
    """Subscribes to the poller and publishes every event on the bus.

    Besides the events it keeps what only a history of snapshots can tell: RFC1628
    upsAlarmTable (:attr:`alarm_table`, with TRAP 3/4 for each well-known alarm of
    both UPS MIBs) and upsInputLineBads (:attr:`input_line_bads`).
    """

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._view: UpsView | None = None  # last communicating view (kept while lost)
        self._state = CommunicationState.STARTING
        self.alarm_table = WellKnownAlarmTable()
        self._well_known: frozenset[int] | None = None  # NET VISION MIB alarms raised
        # RFC1628 upsInputLineBads: transitions of the input into "out of tolerance"
        # seen by the agent (mains failures included).
        self.input_line_bads = 0
        self._input_bad = False

    def attach(self, ups: UpsHandle) -> None:
        """Follow ``ups``'s snapshots and control results."""
        ups.subscribe(self.on_snapshot)
        ups.subscribe_controls(self.on_control)

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
            events += self._well_known_events(snapshot)
            return events
        if state is not CommunicationState.OK:
            return events
        view = view_of(snapshot)
        if view is None:
            return events
        if self._state is CommunicationState.LOST:
            events.append(make_event("nv.communication_restored", time=time))
        if self._state is not CommunicationState.OK:
            events.append(make_event("ups.connected", time=time))
        events += diff(self._view, view, time)
        if view.input_out_of_tolerance and not self._input_bad:
            self.input_line_bads += 1
        self._input_bad = view.input_out_of_tolerance
        self._view = view
        self._state = state
        events += self._well_known_events(snapshot)
        return events

    def _well_known_events(self, snapshot: Snapshot) -> list[Event]:
        """TRAP 3/4 for each well-known alarm of the NET VISION MIB and RFC1628 raised or
        cleared, and the RFC1628 alarm table; the alarms present at first sight are
        in the table but were not "added" now. A STS has neither MIB."""
        system = snapshot.system
        if snapshot.identity is not None and snapshot.identity.device_kind == "sts":
            return []
        if snapshot.communicating:
            if system is None or system.derived.device_kind == "sts":
                return []
            derived = system.derived
        elif self._well_known is None:
            return []  # lost before the UPS was ever seen: nothing was raised
        else:
            derived = derive_lost()
        time = snapshot.time
        first = self._well_known is None
        before = self._well_known or frozenset()
        netvision = derived.well_known_alarms
        self._well_known = netvision
        added, removed = self.alarm_table.update(derived.rfc1628_alarms, time)
        if first:
            return []
        events = [
            make_event("trap.alarm_entry_added", time=time, mib="netvision", well_known=number)
            for number in sorted(netvision - before)
        ]
        events += [
            make_event("trap.alarm_entry_removed", time=time, mib="netvision", well_known=number)
            for number in sorted(before - netvision)
        ]
        events += [
            make_event(
                "trap.alarm_entry_added", time=time, mib="rfc1628", well_known=row.number, alarm_id=row.alarm_id
            )
            for row in added
        ]
        events += [
            make_event(
                "trap.alarm_entry_removed", time=time, mib="rfc1628", well_known=row.number, alarm_id=row.alarm_id
            )
            for row in removed
        ]
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
