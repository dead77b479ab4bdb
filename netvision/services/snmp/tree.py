"""A sorted, immutable table of (OID, value) pairs answering GET and GETNEXT by bisection.

pysnmp's stock MIB instrumentation walks a tree of Python objects for every
GETNEXT (a few hundred calls per request); a whole NMS walk then costs seconds
of CPU on a small board (shared/notes §3). The agent instead rebuilds one of
these tables from each new snapshot and answers from it in O(log n).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Any

Oid = tuple[int, ...]


def parse_oid(text: str) -> Oid:
    return tuple(int(arc) for arc in text.strip(".").split("."))


def format_oid(oid: Oid) -> str:
    return "." + ".".join(str(arc) for arc in oid)


class OidTree:
    """OIDs in lexicographic order (tuple order is SNMP order) with their values."""

    __slots__ = ("_oids", "_values", "_index")

    def __init__(self, entries: Iterable[tuple[Oid, Any]]) -> None:
        table = dict(entries)  # a later entry for the same OID wins
        self._oids: list[Oid] = sorted(table)
        self._values: list[Any] = [table[oid] for oid in self._oids]
        self._index: dict[Oid, Any] = table

    def __len__(self) -> int:
        return len(self._oids)

    def __contains__(self, oid: object) -> bool:
        return oid in self._index

    def get(self, oid: Oid) -> Any | None:
        return self._index.get(oid)

    def next(self, oid: Oid) -> tuple[Oid, Any] | None:
        """The first entry strictly after ``oid`` (GETNEXT), or None at the end of the view."""
        position = bisect_right(self._oids, oid)
        if position < len(self._oids):
            return self._oids[position], self._values[position]
        return None

    def subtree(self, prefix: Oid) -> list[tuple[Oid, Any]]:
        start = bisect_left(self._oids, prefix)
        result = []
        for position in range(start, len(self._oids)):
            oid = self._oids[position]
            if oid[: len(prefix)] != prefix:
                break
            result.append((oid, self._values[position]))
        return result

    def items(self) -> list[tuple[Oid, Any]]:
        return list(zip(self._oids, self._values, strict=True))
