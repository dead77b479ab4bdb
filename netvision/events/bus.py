"""The in-process event bus: any service subscribes; publishing never blocks.

Each subscriber has its own bounded queue. When a subscriber falls behind, its
oldest events are dropped (and counted) so that the poller, which publishes
after every cycle, is never held back by a slow consumer.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

log = logging.getLogger("netvision.events")


class Severity(enum.StrEnum):
    """The manual's three levels (§18.8, §21.3): information, warning, critical."""

    INFORMATION = "information"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def letter(self) -> str:
        return self.value[0].upper()

    @property
    def rank(self) -> int:
        return ("information", "warning", "critical").index(self.value)


@dataclass(frozen=True)
class Event:
    """One occurrence of a catalogue event (events/catalog.py)."""

    id: str  # catalogue id
    log: str  # "ups" | "netvision": the event log it belongs to (§21.3, §21.4)
    severity: Severity
    time: datetime  # UTC
    text_en: str
    text_fr: str
    trap: int | None = None  # NET VISION trap number (App. traps)
    shutdown: bool = False  # may start a shutdown of the protected servers
    unit: int = 0  # 0 = system level
    acronym: str | None = None  # alarm/status acronym for alarm events
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def text(self, language: str = "en") -> str:
        return self.text_fr if language == "fr" else self.text_en


class Subscription:
    def __init__(self, bus: EventBus, maxsize: int, name: str) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.name = name
        self.dropped = 0

    def _offer(self, event: Event) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()
                self.dropped += 1
                if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                    log.warning("event subscriber %s is behind: %d events dropped", self.name, self.dropped)

    async def get(self) -> Event:
        return await self._queue.get()

    def get_nowait(self) -> Event | None:
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        self._bus._unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self._queue.get()


class EventBus:
    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._callbacks: list[Callable[[Event], None]] = []
        self.published = 0

    def subscribe(self, name: str = "", maxsize: int = 1000) -> Subscription:
        """A queue of every event published from now on."""
        subscription = Subscription(self, maxsize, name)
        self._subscriptions.append(subscription)
        return subscription

    def on_event(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` synchronously for every event; it must be quick.
        Returns the function that stops it."""
        self._callbacks.append(callback)

        def remove() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return remove

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions) + len(self._callbacks)

    def _unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def publish(self, event: Event) -> None:
        self.published += 1
        for subscription in list(self._subscriptions):
            subscription._offer(event)
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("event callback failed")
