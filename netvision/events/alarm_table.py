"""The active alarm table (§12.3): number of active alarms, last alarm, and for
each alarm its index (Axx / Axxx), the time it appeared, description and level.

For a parallel system the table shows only the alarms of the system level
(§12.3), which is ``snapshot.system`` for every topology.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..ups.maps.base import Level
from ..ups.model import Snapshot

LEVEL_NAMES = {Level.INFORMATION: "information", Level.WARNING: "warning", Level.CRITICAL: "critical"}


@dataclass(frozen=True)
class AlarmRow:
    index: str  # the manual's acronym: A00–A63 (JBUSP), A000–A127 (VU-MAP), or a status (S05)
    time: datetime  # UTC, when the alarm appeared
    description_en: str
    description_fr: str
    level: str  # "information" | "warning" | "critical"

    def description(self, language: str = "en") -> str:
        return self.description_fr if language == "fr" else self.description_en


@dataclass(frozen=True)
class AlarmTable:
    rows: tuple[AlarmRow, ...]  # oldest first

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def last(self) -> AlarmRow | None:
        """The last incoming alarm (§12.3 "Last Alarm")."""
        return self.rows[-1] if self.rows else None


def alarm_table(snapshot: Snapshot) -> AlarmTable:
    """The table for ``snapshot``. While communication is lost the UPS reports
    nothing, so the table is empty (the last known rows are not shown as current)."""
    system = snapshot.system
    if system is None or not snapshot.communicating:
        return AlarmTable(())
    return AlarmTable(
        tuple(
            AlarmRow(alarm.acronym, alarm.since, alarm.label_en, alarm.label_fr, LEVEL_NAMES[alarm.level])
            for alarm in system.alarms
        )
    )


@dataclass(frozen=True)
class WellKnownAlarmRow:
    """One row of RFC1628 upsAlarmTable: upsAlarmId, upsAlarmDescr (the well-known
    alarm number under upsWellKnownAlarms) and when it was detected (upsAlarmTime)."""

    alarm_id: int
    number: int
    since: datetime  # UTC


class WellKnownAlarmTable:
    """RFC1628 upsAlarmTable, kept by the event engine: each raised well-known alarm gets
    a new id, constant until it clears (RFC1628 upsAlarmId); ids are never reused."""

    def __init__(self) -> None:
        self._rows: dict[int, WellKnownAlarmRow] = {}  # well-known number -> row
        self._next_id = 1

    @property
    def rows(self) -> tuple[WellKnownAlarmRow, ...]:
        """The present alarms, oldest first."""
        return tuple(sorted(self._rows.values(), key=lambda row: row.alarm_id))

    def update(
        self, numbers: frozenset[int], time: datetime
    ) -> tuple[list[WellKnownAlarmRow], list[WellKnownAlarmRow]]:
        """Make the table hold ``numbers``; returns the rows (added, removed)."""
        removed = [self._rows.pop(number) for number in sorted(set(self._rows) - numbers)]
        added = []
        for number in sorted(numbers - set(self._rows)):
            row = WellKnownAlarmRow(self._next_id, number, time)
            self._next_id += 1
            self._rows[number] = row
            added.append(row)
        return added, removed
