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
