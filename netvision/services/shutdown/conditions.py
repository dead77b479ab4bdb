"""Which shutdown events are present now (EN §16.8 "Shutdown event selection").

Pure code: from the latest snapshot, the shutdown settings and the local time, the set of
event names (settings.models.SHUTDOWN_EVENTS) whose condition holds. Whether an event's
action is enabled is the procedure's business, not this module's.
"""

from __future__ import annotations

from datetime import datetime

from ...settings.models import ShutdownSettings
from ...ups.model import Snapshot


def present_events(snapshot: Snapshot | None, settings: ShutdownSettings, now: datetime) -> frozenset[str]:
    """The shutdown events present at ``now`` (an aware datetime in the configured time zone)."""
    raise NotImplementedError
