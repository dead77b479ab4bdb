"""The one place where services are registered.

Every service has the same small lifecycle — start, stop, reconfigure — and is
switched on or off by a setting (the manual's "NET VISION Control" page,
§18.3). Services read the latest snapshot from the context and never talk to
the poller's port or to each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..clock import ClockSetter, SystemClock
from ..events.bus import EventBus
from ..settings import Settings
from ..settings.manager import SettingsManager
from ..ups.poller import Poller

if TYPE_CHECKING:
    from ..events.engine import EventEngine
    from ..store import LogRecorder, LogStore

log = logging.getLogger("netvision.services")


AgentAction = Callable[[str, str], Awaitable[None]]  # (via, by)


class AgentControl:
    """Restart and reset to default of the agent itself (SSH menu "3 Reset Configuration
    to Default" / "4 Restart SNMP/WEB Card", App. SSH; upsAgentResetToDefault and
    upsAgentRestart, App. MIB upsAgent), created by the daemon.

    A service asks from inside a request handler with :meth:`request_restart` or
    :meth:`request_reset`: the action runs as a task owned by the daemon, after the
    answer has left, since the restart stops the asking service itself.
    """

    def __init__(self, restart: AgentAction, reset_to_default: AgentAction, delay: float = 0.2) -> None:
        self.restart = restart
        self.reset_to_default = reset_to_default
        self.delay = delay
        # What a service hands over to its successor across a warm restart (web sessions).
        self.carried: dict[str, Any] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def request_restart(self, via: str, by: str) -> None:
        self._spawn(self.restart, via, by)

    def request_reset(self, via: str, by: str) -> None:
        self._spawn(self.reset_to_default, via, by)

    @property
    def busy(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def _spawn(self, action: AgentAction, via: str, by: str) -> None:
        async def run() -> None:
            await asyncio.sleep(self.delay)  # let the answer to the request leave first
            try:
                await action(via, by)
            except Exception:
                log.exception("the agent restart asked via %s by %s failed", via, by)

        task = asyncio.get_running_loop().create_task(run(), name="agent-restart")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel(self) -> None:
        """Stop a pending or running request (the daemon is stopping)."""
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass


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
    # Restart / reset to default of the agent (App. SSH menu 3 and 4); None when the
    # context was built without a daemon (tests).
    agent: AgentControl | None = None

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
