"""Failed logins in the NET VISION event log: one event per source and minute, with the count.

The first failure from a quiet source is logged at once (who tried which name);
the failures that follow within the minute are counted and logged as one event
when the minute ends, and again each minute while they go on. A flood therefore
adds one row per source and minute, and at most ``max_sources`` sources are
told apart: the others share one row ("other sources"), so a flood from many
addresses is bounded too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ...events.bus import EventBus
from ...events.catalog import make_event

OTHER_SOURCES = "other sources"


@dataclass
class _Window:
    count: int = 0
    user: str = ""
    handle: asyncio.TimerHandle | None = None


class FailedLogins:
    def __init__(
        self,
        bus: Callable[[], EventBus],
        window: float = 60.0,
        max_sources: int = 64,
    ) -> None:
        self.bus = bus
        self.window = window
        self.max_sources = max_sources
        self._windows: dict[str, _Window] = {}

    def failed(self, source: str, user: str) -> None:
        key = source if source in self._windows or len(self._windows) < self.max_sources else OTHER_SOURCES
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
            self.bus().publish(make_event("nv.web_login_failed", user=user, ip=key, count=1))
            self._schedule(key, window)
        else:
            window.count += 1
            window.user = user

    def _schedule(self, key: str, window: _Window) -> None:
        window.handle = asyncio.get_running_loop().call_later(self.window, self._flush, key)

    def _flush(self, key: str) -> None:
        window = self._windows.get(key)
        if window is None:
            return
        if not window.count:
            del self._windows[key]  # a quiet minute: the next failure is logged at once again
            return
        self._publish(key, window)
        self._schedule(key, window)

    def _publish(self, key: str, window: _Window) -> None:
        event = make_event("nv.web_login_failures", ip=key, count=window.count, user=window.user)
        window.count = 0
        self.bus().publish(event)

    def sources(self) -> int:
        return len(self._windows)

    def close(self) -> None:
        """Log what is still counted (the service stops) and forget every source."""
        for key, window in list(self._windows.items()):
            if window.handle is not None:
                window.handle.cancel()
            if window.count:
                self._publish(key, window)
        self._windows.clear()
