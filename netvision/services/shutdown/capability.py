"""Whether the UPS manages the shut-off of its output (EN §16.8 "UPS shut off": "available
if the Standby Schedule function is managed by the UPS. Otherwise this function is not
displayed"). Pure code, the one place the pages, the API and the procedure ask it."""

from __future__ import annotations

from ...ups.model import Snapshot


def ups_manages_shut_off(snapshot: Snapshot | None) -> bool:
    """True when the UPS says it manages the standby schedule; a UPS that has not said so
    (or a map that does not know) does not: the shut-off is then neither shown nor sent."""
    system = snapshot.system if snapshot is not None else None
    return system is not None and system.condition("standby_schedule")
