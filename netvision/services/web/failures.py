"""Failed logins in the NET VISION event log: one event per source and minute, with the count.

The first failure from a quiet source is logged at once (who tried which name);
the failures that follow within the minute are counted and logged as one event
when the minute ends, and again each minute while they go on. A flood therefore
adds one row per source and minute, and at most ``max_sources`` sources are
told apart: the others share one row ("other sources"), so a flood from many
addresses is bounded too. The counting is the shared per-source counter
(``netvision/ratelimit.py``); this module adds the minute's sweep and the events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ...events.bus import EventBus
from ...events.catalog import make_event
from ...ratelimit import OTHER_SOURCES, PerSourceCounter

__all__ = ["OTHER_SOURCES", "FailedLogins"]


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
        # Windows that end with failures counted are renewed: one row a minute while they go on.
        self._counter = PerSourceCounter(window, max_sources, renew=True)
        self._users: dict[str, str] = {}  # entry -> the last name tried from it
        self._sweep: asyncio.Task[None] | None = None

    def failed(self, source: str, user: str) -> None:
        key, report = self._counter.count(source)
        self._users[key] = user
        if report == 1:
            self.bus().publish(make_event("nv.web_login_failed", user=user, ip=key, count=1))
        elif report:
            # The minute ended before the sweep took its count: this failure closes it.
            self._publish(key, report)
        if self._sweep is None or self._sweep.done():
            self._sweep = asyncio.get_running_loop().create_task(
                self._sweep_windows(), name="web-failed-logins"
            )

    async def _sweep_windows(self) -> None:
        """Each ended minute's count, as long as some source is tracked."""
        while self._counter.tracking:
            await asyncio.sleep(min(1.0, self.window))
            for key, count in self._counter.ended():
                self._publish(key, count)
            self._forget_users()

    def _publish(self, key: str, count: int) -> None:
        self.bus().publish(
            make_event("nv.web_login_failures", ip=key, count=count, user=self._users.get(key, ""))
        )

    def _forget_users(self) -> None:
        for key in [key for key in self._users if key not in self._counter]:
            del self._users[key]

    def sources(self) -> int:
        return self._counter.sources

    def close(self) -> None:
        """Log what is still counted (the service stops) and forget every source."""
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for key, count in self._counter.drain():
            self._publish(key, count)
        self._users.clear()
