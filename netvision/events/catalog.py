"""The one catalogue of events: id, English and French text, severity, the
NET VISION trap it maps to, and whether it may start a shutdown.

SNMP traps, mails, syslog lines and both event logs all come from here.
Texts may hold ``{placeholders}`` filled from the event's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from .bus import Event, Severity

I, W, C = Severity.INFORMATION, Severity.WARNING, Severity.CRITICAL


@dataclass(frozen=True)
class EventType:
    id: str
    log: str  # "ups" | "netvision"
    severity: Severity
    text_en: str
    text_fr: str
    trap: int | None = None
    shutdown: bool = False


_TYPES: tuple[EventType, ...] = (
    # NET VISION events (§21.4)
    EventType("nv.cold_boot", "netvision", I, "Cold boot", "Démarrage à froid"),
    EventType("nv.agent_restart", "netvision", I, "NET VISION UPS Agent Restart", "Redémarrage de l'agent NET VISION", trap=27),
    EventType("nv.communication_lost", "netvision", C, "UPS communication lost", "Communication ASI perdue", trap=14, shutdown=True),
    EventType("nv.communication_restored", "netvision", I, "UPS communication restored", "Communication ASI rétablie", trap=25),
    EventType(
        "nv.setting_changed",
        "netvision",
        I,
        "{key} has been changed via {via} by {by}",
        "{key} a été modifié via {via} par {by}",
    ),
)

CATALOG: Mapping[str, EventType] = MappingProxyType({event_type.id: event_type for event_type in _TYPES})


class _Missing(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "???"  # the manual's placeholder for an unknown IP/user/source (§21.4)


def make_event(
    event_id: str,
    *,
    time: datetime | None = None,
    unit: int = 0,
    acronym: str | None = None,
    **data: Any,
) -> Event:
    event_type = CATALOG[event_id]
    values = _Missing(data)
    return Event(
        id=event_id,
        log=event_type.log,
        severity=event_type.severity,
        time=time or datetime.now(timezone.utc),
        text_en=event_type.text_en.format_map(values),
        text_fr=event_type.text_fr.format_map(values),
        trap=event_type.trap,
        shutdown=event_type.shutdown,
        unit=unit,
        acronym=acronym,
        data=MappingProxyType(dict(data)),
    )
