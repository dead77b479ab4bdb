"""The name the NUT server counts its floods with: the counter itself is
:class:`netvision.ratelimit.PerSourceCounter` (one per-source windowed counter for
every listener); ``FloodCounter`` keeps its ``pending()`` for the code that calls it so."""

from __future__ import annotations

from ..ratelimit import OTHER_SOURCES, PerSourceCounter

__all__ = ["OTHER_SOURCES", "FloodCounter"]


class FloodCounter(PerSourceCounter):
    """A :class:`PerSourceCounter` whose ended windows are forgotten once reported."""

    def pending(self) -> list[tuple[str, int]]:
        """Sources whose window has ended with occurrences not reported yet; forgets them."""
        return self.ended()
