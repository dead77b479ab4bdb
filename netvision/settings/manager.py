"""The one path every settings change takes, from the web UI, SNMP or the CLI:
validate, save atomically, log "X has been changed via Y by Z" (§21.4), and
tell the services that depend on it, without a restart where possible."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from ..events.bus import EventBus
from ..events.catalog import make_event
from .models import Settings
from .store import apply_changes, changed_keys, save_settings

log = logging.getLogger("netvision.settings")

Listener = Callable[[Settings, list[str]], Awaitable[None]]


class SettingsManager:
    def __init__(self, settings: Settings, path: Path | None, bus: EventBus) -> None:
        self.settings = settings
        self.path = path
        self.bus = bus
        self._listeners: list[Listener] = []
        self._lock = asyncio.Lock()

    def on_change(self, listener: Listener) -> None:
        """``await listener(new_settings, changed_dotted_keys)`` after every saved change."""
        self._listeners.append(listener)

    def listeners(self) -> list[Listener]:
        return list(self._listeners)

    def remove_listener(self, listener: Listener) -> None:
        """Forget ``listener`` (a stopped service's, at an agent restart); unknown ones are ignored."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def change(self, changes: Mapping[str, object], *, via: str, by: str) -> Settings:
        """Apply ``{"serial.polling_rate": 5, …}``; raises SettingsError and changes nothing if invalid."""
        async with self._lock:
            new = apply_changes(self.settings, changes)
            return await self._commit(new, via=via, by=by)

    async def replace(self, new: Settings, *, via: str, by: str) -> Settings:
        """Install a whole validated Settings (configuration restore)."""
        async with self._lock:
            return await self._commit(new, via=via, by=by)

    async def _commit(self, new: Settings, *, via: str, by: str) -> Settings:
        changed = changed_keys(self.settings, new)
        if not changed:
            return self.settings
        if self.path is not None:
            await asyncio.to_thread(save_settings, new, self.path)
        self.settings = new
        for key, _old, _value in changed:
            self.bus.publish(make_event("nv.setting_changed", key=key, via=via, by=by))
        keys = [key for key, _old, _value in changed]
        for listener in list(self._listeners):
            try:
                await listener(new, keys)
            except Exception:
                log.exception("a service failed to apply the new settings")
        return new
