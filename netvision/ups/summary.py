"""The state at a glance: what the status banner of every page says.

Pure code, a function of the :class:`Snapshot`. Every page, the dashboard tile and
any later service (a mail subject, a display) read the same answer: one kind, the
minutes of backup left, the alarms and since when the state holds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from .maps.base import Level
from .model import ActiveAlarm, CommunicationState, DeviceState, Snapshot


class SummaryKind(enum.StrEnum):
    STARTING = "starting"  # the UPS is being detected
    COMMUNICATION_LOST = "communication_lost"
    IMMINENT_STOP = "imminent_stop"
    BATTERY_LOW = "battery_low"
    ON_BATTERY = "on_battery"
    BATTERY_TEST = "battery_test"  # the battery feeds the load on purpose, mains present
    LOAD_OFF = "load_off"
    ON_BYPASS = "on_bypass"
    ON_ALTERNATE_SOURCE = "on_alternate_source"  # a STS feeding the load from its alternate source
    ALARM = "alarm"
    NORMAL = "normal"


class Tone(enum.StrEnum):
    """How loud the banner is: its colour."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


TONES: dict[SummaryKind, Tone] = {
    SummaryKind.STARTING: Tone.INFO,
    SummaryKind.COMMUNICATION_LOST: Tone.CRITICAL,
    SummaryKind.IMMINENT_STOP: Tone.CRITICAL,
    SummaryKind.BATTERY_LOW: Tone.CRITICAL,
    SummaryKind.ON_BATTERY: Tone.WARNING,
    SummaryKind.BATTERY_TEST: Tone.INFO,
    SummaryKind.LOAD_OFF: Tone.CRITICAL,
    SummaryKind.ON_BYPASS: Tone.WARNING,
    SummaryKind.ON_ALTERNATE_SOURCE: Tone.WARNING,
    SummaryKind.ALARM: Tone.WARNING,
    SummaryKind.NORMAL: Tone.OK,
}

_LEVEL_RANK = {Level.INFORMATION: 0, Level.WARNING: 1, Level.CRITICAL: 2}


@dataclass(frozen=True)
class Summary:
    kind: SummaryKind
    tone: Tone
    minutes_left: float | None = None  # remaining backup time while the battery feeds the load
    alarm_count: int = 0
    worst_alarm: ActiveAlarm | None = None
    since: datetime | None = None  # when this state began, where known
    last_read: datetime | None = None  # communication lost: when the values were read


def worst_alarm(alarms: tuple[ActiveAlarm, ...]) -> ActiveAlarm | None:
    """The most severe alarm; among equals, the newest."""
    if not alarms:
        return None
    return max(alarms, key=lambda alarm: (_LEVEL_RANK.get(alarm.level, 0), alarm.since))


def _on_battery_since(state: DeviceState, now: datetime) -> datetime | None:
    seconds = state.measurement("time_on_battery")
    return now - timedelta(seconds=seconds) if seconds is not None else None


def summarize(snapshot: Snapshot) -> Summary:
    """The banner of one snapshot. The first state that holds wins: a silent UPS first
    (nothing else is known), then what stops the load, then what runs it on a weaker path,
    then alarms."""
    communication = snapshot.communication
    state = snapshot.system
    if not snapshot.communicating:
        if communication.state is CommunicationState.STARTING and state is None:
            return Summary(SummaryKind.STARTING, TONES[SummaryKind.STARTING], since=communication.since)
        since = (
            communication.since if communication.state is not CommunicationState.OK else snapshot.valid_until
        )
        return Summary(
            SummaryKind.COMMUNICATION_LOST,
            TONES[SummaryKind.COMMUNICATION_LOST],
            since=since,
            last_read=snapshot.last_read,
        )
    if state is None:
        return Summary(SummaryKind.STARTING, TONES[SummaryKind.STARTING], since=communication.since)
    c = state.condition
    alarms = state.alarms
    worst = worst_alarm(alarms)
    minutes = state.measurement("remaining_backup_time")
    on_battery = c("on_battery")
    count = len(alarms)
    if c("imminent_stop"):
        kind = SummaryKind.IMMINENT_STOP
    elif on_battery and (c("battery_low") or c("battery_discharged")):
        kind = SummaryKind.BATTERY_LOW
    elif on_battery and c("battery_test_in_progress"):
        kind = SummaryKind.BATTERY_TEST
    elif on_battery:
        kind = SummaryKind.ON_BATTERY
    elif c("load_on_maintenance_bypass") or c("maintenance_bypass_closed"):
        kind = SummaryKind.ON_BYPASS
    elif c("load_off"):
        kind = SummaryKind.LOAD_OFF
    elif c("load_on_automatic_bypass") and not c("eco_mode"):
        kind = SummaryKind.ON_BYPASS
    elif c("load_on_manual_bypass_1") or c("load_on_manual_bypass_2"):
        kind = SummaryKind.ON_BYPASS
    elif c("load_on_alternate_source"):
        kind = SummaryKind.ON_ALTERNATE_SOURCE
    elif alarms:
        kind = SummaryKind.ALARM
    else:
        kind = SummaryKind.NORMAL
    if kind in (
        SummaryKind.IMMINENT_STOP,
        SummaryKind.BATTERY_LOW,
        SummaryKind.ON_BATTERY,
        SummaryKind.BATTERY_TEST,
    ):
        left = minutes if on_battery else None
        since = _on_battery_since(state, snapshot.time) if on_battery else None
        return Summary(
            kind, TONES[kind], minutes_left=left, alarm_count=count, worst_alarm=worst, since=since
        )
    if kind is SummaryKind.ALARM and worst is not None:
        tone = Tone.CRITICAL if worst.level is Level.CRITICAL else Tone.WARNING
        return Summary(kind, tone, alarm_count=count, worst_alarm=worst, since=worst.since)
    return Summary(kind, TONES[kind], alarm_count=count, worst_alarm=worst)
