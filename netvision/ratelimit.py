"""Occurrences counted per source over time windows, in bounded memory.

Pure: no I/O, no asyncio (the clock is injectable). Every listener that reports
what a source repeats — refused connections, malformed datagrams, firewall
refusals, failed logins — counts it here, so that a flood writes one log line
or event row per source and window, not one per occurrence:

- the first occurrence of a source opens its window and is reported at once;
- the others of that window are counted; they are reported together when the
  window has ended, either by :meth:`PerSourceCounter.ended` (a periodic sweep)
  or, if no sweep took them, with the source's next occurrence;
- at a sweep, a window that ended with occurrences counted is either forgotten
  (``renew=False``: the next occurrence is reported at once again) or renewed
  (``renew=True``: one report per window for as long as the flood goes on); a
  window that ended quiet is forgotten.

Memory is bounded: at most ``max_sources`` sources are told apart. When the
table is full, a new source first makes room by forgetting the windows that
have ended; if none has, it is counted under the one shared entry
:data:`OTHER_SOURCES`. An attacker with many addresses therefore costs at most
``max_sources + 1`` entries and at most that many reports per window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

OTHER_SOURCES = "other sources"

Clock = Callable[[], float]


@dataclass
class _Window:
    started: float
    pending: int = 0  # counted, not reported yet


class PerSourceCounter:
    """Per-source counts over windows of ``window`` seconds, for at most ``max_sources`` sources."""

    def __init__(
        self,
        window: float = 60.0,
        max_sources: int = 256,
        *,
        renew: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        if window <= 0 or max_sources < 1:
            raise ValueError("the window must be positive and at least one source tracked")
        self.window = window
        self.max_sources = max_sources
        self.renew = renew
        self.total = 0  # every occurrence counted so far, reported or not
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def count(self, source: str, now: float | None = None) -> tuple[str, int]:
        """Count one occurrence from ``source``. Returns the entry it was counted under
        (``source``, or :data:`OTHER_SOURCES` when the table is full) and how many
        occurrences to report now: 0 while the entry's window is open (counted, reported
        later), else 1 plus what its ended window still held."""
        self.total += 1
        now = self._clock() if now is None else now
        if source not in self._windows and len(self._windows) >= self.max_sources:
            self._forget_ended(now)
            if len(self._windows) >= self.max_sources:
                source = OTHER_SOURCES
        current = self._windows.get(source)
        if current is None or now - current.started >= self.window:
            self._open(source, now)
            return source, 1 + (current.pending if current is not None else 0)
        current.pending += 1
        return source, 0

    def hit(self, source: str, now: float | None = None) -> int:
        """:meth:`count` without the entry: how many occurrences to report now."""
        return self.count(source, now)[1]

    def ended(self, now: float | None = None) -> list[tuple[str, int]]:
        """The entries whose window has ended with occurrences not reported yet, and their
        counts: they are reported now. Ended windows are forgotten, or renewed from ``now``
        when the counter renews and the window was not quiet."""
        now = self._clock() if now is None else now
        due: list[tuple[str, int]] = []
        for source, window in self._take_ended(now):
            if window.pending:
                due.append((source, window.pending))
                if self.renew:
                    self._open(source, now)
        return due

    def drain(self) -> list[tuple[str, int]]:
        """Every entry's unreported count, window ended or not, and forget them all
        (the service stops: what was counted is reported before it goes)."""
        due = [(source, window.pending) for source, window in self._windows.items() if window.pending]
        self._windows.clear()
        return due

    def unreported(self, source: str) -> int:
        """Occurrences of ``source``'s entry counted since its last report."""
        window = self._windows.get(source)
        return window.pending if window is not None else 0

    def __contains__(self, source: object) -> bool:
        """Whether ``source`` has an entry of its own."""
        return source in self._windows

    @property
    def tracking(self) -> bool:
        """Whether some entry is still kept (a sweep has something to look at)."""
        return bool(self._windows)

    @property
    def sources(self) -> int:
        """Entries kept, :data:`OTHER_SOURCES` included (at most ``max_sources + 1``)."""
        return len(self._windows)

    def _open(self, source: str, now: float) -> None:
        # Re-inserted at the end: the table stays in the order the windows opened, so the
        # ended ones are found at its front without a look at the others (a full table
        # under a flood costs O(1) per new source, not a scan).
        self._windows.pop(source, None)
        self._windows[source] = _Window(now)

    def _take_ended(self, now: float) -> list[tuple[str, _Window]]:
        """Remove and return the windows that have ended (the front of the table)."""
        taken = []
        for source, window in self._windows.items():
            if now - window.started < self.window:
                break
            taken.append((source, window))
        for source, _ in taken:
            del self._windows[source]
        return taken

    def _forget_ended(self, now: float) -> None:
        # Their unreported counts are lost: no sweep took them in time, and keeping them
        # would let a flood from many addresses grow the table without bound.
        self._take_ended(now)
