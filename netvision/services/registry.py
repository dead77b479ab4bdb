"""The one place where services are registered.

Every service has the same small lifecycle — start, stop, reconfigure — and is
switched on or off by a setting (the manual's "NET VISION Control" page,
§18.3). Services read the latest snapshot from the context and never talk to
the poller's port or to each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..clock import ClockSetter, SystemClock
from ..events.bus import EventBus
from ..settings import Settings
from ..settings.manager import SettingsManager
from ..ups.poller import Poller

if TYPE_CHECKING:
    from ..events.engine import EventEngine
    from ..store import LogRecorder, LogStore

log = logging.getLogger("netvision.services")


@dataclass
class ServiceContext:
    """What a service may use: the settings (and the one path to change them), the
    poller's snapshots and control queue, the event bus, the data directory."""

    settings_manager: SettingsManager
    poller: Poller
    bus: EventBus
    data_dir: Path
    # The logs (§21: read pages, export CSV, clear) and the event engine; None only in
    # tests that build a context without them.
    store: LogStore | None = None
    recorder: LogRecorder | None = None
    engine: EventEngine | None = None
    # Sets the board's clock (§18.1 manual set); tests give a recording fake.
    clock: ClockSetter = field(default_factory=SystemClock)

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
def _snmp(context: ServiceContext) -> Service:
    from .snmp.service import SnmpService

    return SnmpService(context)


SERVICES: list[ServiceEntry] = [
    ServiceEntry("snmp", enabled=lambda s: s.snmp.enabled, factory=_snmp),
]


def _modbus_tcp(context: ServiceContext) -> Service:
    from .modbus_tcp import ModbusTcpService

    return ModbusTcpService(context)


SERVICES.append(ServiceEntry("modbus_tcp", enabled=lambda s: s.modbus_tcp.enabled, factory=_modbus_tcp))


def _bacnet(context: ServiceContext) -> Service:
    from .bacnet import create_service

    return create_service(context)


SERVICES.append(ServiceEntry("bacnet", enabled=lambda s: s.bacnet.enabled, factory=_bacnet))


def _web(context: ServiceContext) -> Service:
    from .web import WebService

    return WebService(context)


SERVICES.append(
    ServiceEntry("web", enabled=lambda s: s.web.http_enabled or s.web.https_enabled, factory=_web)
)


def enabled_services(settings: Settings) -> list[ServiceEntry]:
    return [entry for entry in SERVICES if entry.enabled(settings)]
