"""Command status tracking (NUT protocol 1.3: ``SET TRACKING ON``, ``GET TRACKING <id>``).

Each tracked ``INSTCMD`` or ``SET VAR`` gets an identifier (a UUID, as upsd gives) and a
status clients read back: ``PENDING``, ``SUCCESS`` or ``ERR <word>``. Pure; bounded in
count and age.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

PENDING = "PENDING"
SUCCESS = "SUCCESS"
FAILED = "ERR FAILED"
INVALID = "ERR INVALID-ARGUMENT"
UNKNOWN = "ERR UNKNOWN"


class TrackingTable:
    def __init__(
        self, max_entries: int = 256, max_age: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def new(self) -> str:
        identifier = str(uuid.uuid4())
        self.set(identifier, PENDING)
        return identifier

    def set(self, identifier: str, status: str) -> None:
        now = self._clock()
        key = identifier.lower()
        self._entries[key] = (now, status)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        self._expire(now)

    def get(self, identifier: str) -> str:
        self._expire(self._clock())
        entry = self._entries.get(identifier.lower())
        return entry[1] if entry is not None else UNKNOWN

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self, now: float) -> None:
        while self._entries:
            key, (since, _) = next(iter(self._entries.items()))
            if now - since <= self.max_age:
                break
            del self._entries[key]
