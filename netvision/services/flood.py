"""Counting what a flood repeats, so that logs and event rows stay bounded.

A refused connection or a malformed datagram is counted per source; only the
first of a source in a window is reported at once, the others of that window
are reported together, with their count, when the window ends (``pending``) or
at the source's next occurrence after it (``hit``). Sources are bounded too:
past ``max_sources`` new ones share one entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

OTHER_SOURCES = "other sources"


@dataclass
class _Window:
    started: float
    pending: int = 0


class FloodCounter:
    """Per-source counts over windows of ``window`` seconds."""

    def __init__(
        self, window: float = 60.0, max_sources: int = 256, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.max_sources = max_sources
        self.total = 0
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def hit(self, source: str) -> int:
        """Count one occurrence; returns how many to report now (0 = counted, reported later)."""
        self.total += 1
        now = self._clock()
        if source not in self._windows and len(self._windows) >= self.max_sources:
            self._expire(now)
            if len(self._windows) >= self.max_sources:
                source = OTHER_SOURCES
        current = self._windows.get(source)
        if current is None or now - current.started >= self.window:
            report = 1 + (current.pending if current is not None else 0)
            self._windows[source] = _Window(now)
            return report
        current.pending += 1
        return 0

    @property
    def tracking(self) -> bool:
        """Whether some source's window is still open."""
        return bool(self._windows)

    def pending(self) -> list[tuple[str, int]]:
        """Sources whose window has ended with occurrences not reported yet; forgets them."""
        now = self._clock()
        due = [
            (source, window.pending)
            for source, window in self._windows.items()
            if now - window.started >= self.window and window.pending
        ]
        self._expire(now)
        return due

    def _expire(self, now: float) -> None:
        for source in [s for s, w in self._windows.items() if now - w.started >= self.window]:
            del self._windows[source]
