"""Setting the board's clock (EN §18.1 "Set values manually", "Synchronize with
computer time").

The web service gets a ``ClockSetter`` from its context, so that tests record
the requested time instead of moving the clock of the machine they run on.
The real setter needs CAP_SYS_TIME (root or ``AmbientCapabilities=CAP_SYS_TIME``
in the systemd unit); without it the change is refused with a clear error.
"""

from __future__ import annotations

import errno
import time
from datetime import UTC, datetime
from typing import Protocol


class ClockError(RuntimeError):
    """The clock could not be set; the message says why (shown to the user)."""


class ClockSetter(Protocol):
    def set_time(self, when: datetime) -> None:
        """Set the system clock to ``when`` (timezone-aware)."""
        ...


class SystemClock:
    """The real clock of the board (CLOCK_REALTIME)."""

    def set_time(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ClockError("the new time must carry its time zone")
        try:
            time.clock_settime(time.CLOCK_REALTIME, when.astimezone(UTC).timestamp())
        except PermissionError:
            raise ClockError(
                "the daemon may not set the clock: it needs CAP_SYS_TIME (run it as root or grant the capability)"
            ) from None
        except OSError as problem:
            if problem.errno in (errno.EPERM, errno.EACCES):
                raise ClockError("the daemon may not set the clock: it needs CAP_SYS_TIME") from None
            raise ClockError(f"cannot set the clock: {problem.strerror or problem}") from None

