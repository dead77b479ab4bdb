"""Feeds the logs: every event of the UPS and NET VISION logs, a history sample
every History Log Interval, and the min/avg/max of every poll over each
Extended Log Interval (§18.2, §21). Also prunes old records and clears logs.

Intervals are timed on the monotonic clock, so setting the wall clock (NTP,
by hand) neither floods nor starves the logs; records carry the wall time in
UTC and keep their insertion order (ids) whatever the clock does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..events.bus import EventBus
from ..events.catalog import LOG_CLEARED_EVENTS, LOG_SCHEMA_EVENTS, make_event
from ..settings import Settings
from ..ups.model import Snapshot
from .columns import DEVICE_STS, DEVICE_UPS, EXTENDED_KEYS, history_values
from .database import LogStore, Statistics

log = logging.getLogger("netvision.store")

PRUNE_EVERY = 3600.0  # seconds between two retention passes


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Accumulator:
    """min / sum / max / count of one measurement over the current extended window."""

    minimum: float = float("inf")
    maximum: float = float("-inf")
    total: float = 0.0
    count: int = 0

    def add(self, value: float) -> None:
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)
        self.total += value
        self.count += 1

    def statistics(self) -> Statistics | None:
        if not self.count:
            return None
        return Statistics(self.minimum, self.total / self.count, self.maximum)


@dataclass
class ExtendedWindow:
    start: datetime
    samples: int = 0
    values: dict[str, _Accumulator] = field(default_factory=dict)

    def add(self, measurements: Mapping[str, float | None]) -> None:
        self.samples += 1
        for key in EXTENDED_KEYS:
            value = measurements.get(key)
            if value is not None:
                self.values.setdefault(key, _Accumulator()).add(value)

    def statistics(self) -> dict[str, Statistics | None]:
        return {key: (self.values[key].statistics() if key in self.values else None) for key in EXTENDED_KEYS}


class LogRecorder:
    """Connects the store to the bus, the poller's snapshots and the settings."""

    def __init__(
        self,
        store: LogStore,
        bus: EventBus,
        settings: Callable[[], Settings],
        snapshot: Callable[[], Snapshot] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.bus = bus
        self._settings = settings
        self._snapshot = snapshot
        self._clock = clock
        self._window: ExtendedWindow | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._periodic: dict[str, asyncio.Task[None]] = {}
        self._last_cycle = -1

    # ----------------------------------------------------------------- lifecycle

    def attach_bus(self) -> None:
        """Every event of the UPS and NET VISION logs goes to the store (synchronous, quick)."""
        self.bus.on_event(self.store.add_event)

    async def start(self, recreated: list[str] | None = None) -> None:
        for name in recreated or ():
            self.bus.publish(make_event(LOG_SCHEMA_EVENTS[name]))
        self._restart_periodic()
        self._tasks.append(asyncio.create_task(self._prune_forever(), name="store-prune"))

    async def stop(self) -> None:
        for task in [*self._periodic.values(), *self._tasks]:
            task.cancel()
        for task in [*self._periodic.values(), *self._tasks]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._periodic.clear()
        self._tasks.clear()
        # A clean stop keeps the partial window rather than losing up to an interval of data.
        await self.close_extended_window()
        await self.store.close()

    def _restart_periodic(self) -> None:
        settings = self._settings().logs
        for name, period, job in (
            ("history", float(settings.history_interval), self.record_history_now),
            ("extended", settings.extended_interval * 60.0, self.close_extended_window),
        ):
            task = self._periodic.pop(name, None)
            if task is not None:
                task.cancel()
            self._periodic[name] = asyncio.create_task(self._every(period, job), name=f"store-{name}")

    async def _every(self, period: float, job: Callable[[], Awaitable[Any]]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + period
        while True:
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            try:
                await job()
            except Exception:
                log.exception("log recording failed")
            deadline += period
            if deadline < loop.time():  # the loop was held up: skip, do not burst
                deadline = loop.time() + period

    async def on_settings_changed(self, settings: Settings, keys: list[str]) -> None:
        """SettingsManager listener: new intervals apply at once (§18.2)."""
        changed = False
        if "logs.history_interval" in keys:
            self.bus.publish(make_event("nv.history_interval_changed"))
            changed = True
        if "logs.extended_interval" in keys:
            self.bus.publish(make_event("nv.extended_interval_changed"))
            # The window under way was measured with the old interval: close it now.
            await self.close_extended_window()
            changed = True
        if changed:
            self._restart_periodic()

    # ------------------------------------------------------------------ recording

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """Poller listener: every poll cycle of a communicating UPS feeds the extended window
        once (a fast-lane snapshot between two cycles carries the same measurements)."""
        cycle = snapshot.communication.statistics.cycles
        if not snapshot.communicating or snapshot.system is None or cycle == self._last_cycle:
            return
        self._last_cycle = cycle
        if snapshot.identity is not None and snapshot.identity.device_kind == "sts":
            return  # the extended log is a UPS log (FR §11.2.4)
        if self._window is None:
            self._window = ExtendedWindow(snapshot.time)
        self._window.add(snapshot.system.measurements)

    async def record_history_now(self) -> bool:
        """Write one history sample of the latest snapshot; False while the UPS does not answer."""
        if self._snapshot is None:
            return False
        snapshot = self._snapshot()
        if not snapshot.communicating or snapshot.system is None:
            return False
        device = (
            DEVICE_STS
            if snapshot.identity is not None and snapshot.identity.device_kind == "sts"
            else DEVICE_UPS
        )
        self.store.add_history(self._clock(), history_values(snapshot.system.measurements), device)
        return True

    async def close_extended_window(self) -> bool:
        """Write the min/avg/max of the window under way, if it has samples, and start a new one."""
        window, self._window = self._window, None
        if window is None or not window.samples:
            return False
        self.store.add_extended(window.start, self._clock(), window.samples, window.statistics())
        return True

    # ------------------------------------------------------------- clear, prune

    async def clear(self, name: str, *, via: str = "???", by: str = "???") -> int:
        """Clear one log (§21.5); the clear itself is a NET VISION event (§21.4)."""
        count = await self.store.clear(name)
        log.info("%s log cleared via %s by %s (%d records)", name, via, by, count)
        self.bus.publish(make_event(LOG_CLEARED_EVENTS[name], via=via, by=by))
        return count

    async def prune(self) -> int:
        settings = self._settings().logs
        now = self._clock()
        deleted = 0
        for name, days in (
            ("history", settings.history_retention_days),
            ("extended", settings.extended_retention_days),
            ("ups", settings.event_retention_days),
            ("netvision", settings.event_retention_days),
        ):
            deleted += await self.store.prune(name, now - timedelta(days=days))
        return deleted

    async def _prune_forever(self) -> None:
        while True:
            try:
                deleted = await self.prune()
                if deleted:
                    log.info("log retention: %d old records deleted", deleted)
            except Exception:
                log.exception("log pruning failed")
            await asyncio.sleep(PRUNE_EVERY)
