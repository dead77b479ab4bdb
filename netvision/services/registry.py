"""The one place where services are registered.

Every service has the same small lifecycle — start, stop, reconfigure — and is
switched on or off by a setting (the manual's "NET VISION Control" page,
§18.3). Services read the latest snapshot from the context and never talk to
the poller's port or to each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..events.bus import EventBus
from ..settings import Settings
from ..settings.manager import SettingsManager
from ..ups.poller import Poller

log = logging.getLogger("netvision.services")


@dataclass
class ServiceContext:
    """What a service may use: the settings (and the one path to change them), the
    poller's snapshots and control queue, the event bus, the data directory."""

    settings_manager: SettingsManager
    poller: Poller
    bus: EventBus
    data_dir: Path

    @property
    def settings(self) -> Settings:
        return self.settings_manager.settings


class Service(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def reconfigure(self, settings: Settings) -> None: ...

    def addresses(self) -> list[str]:
        """Where a client should point, one line each (``web http://127.0.0.1:8080/``)."""
        ...


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    enabled: Callable[[Settings], bool]
    factory: Callable[[ServiceContext], Service]


# Later features add their entry here: web, snmp, modbus_tcp, bacnet, mail, syslog, shutdown.
SERVICES: list[ServiceEntry] = []


def enabled_services(settings: Settings) -> list[ServiceEntry]:
    return [entry for entry in SERVICES if entry.enabled(settings)]
