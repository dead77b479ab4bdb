"""The one place where services are registered.

Every service has the same small lifecycle — start, stop, reconfigure — and is
switched on or off by a setting (the manual's "NET VISION Control" page,
§18.3). The daemon drives it: it starts a service when it becomes enabled,
stops it when disabled, and calls ``reconfigure(old, new)`` when a settings
section the service owns changed. Services read the UPS through a narrow handle
(ups/handle.py) and never talk to the poller or to each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..access import AccessGuard, source_key
from ..clock import ClockSetter, SystemClock
from ..events.bus import Event, EventBus, Subscription
from ..events.catalog import make_event
from ..settings import Settings
from ..settings.manager import Listener, SettingsManager
from ..ups.handle import UpsHandle
from ..ups.model import Snapshot

if TYPE_CHECKING:
    from ..events.engine import EventEngine
    from ..store import LogRecorder, LogStore
    from ..ups.battery_test import BatteryTests
    from ..ups.controls import ControlResult

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


class ServiceState(enum.StrEnum):
    """Where a service is in its lifecycle, as the NET VISION Control page shows it."""

    DISABLED = "disabled"  # switched off in the settings (§18.3)
    RUNNING = "running"
    FAILED = "failed"  # enabled, but could not start (port in use…): see last_error


@dataclass(frozen=True)
class ServiceHealth:
    """One service's report: ``GET /api/v1/services`` and the NET VISION Control page."""

    name: str
    state: ServiceState
    addresses: tuple[str, ...] = ()
    last_error: str = ""
    since: datetime | None = None  # when it entered this state (UTC)
    counters: Mapping[str, int | float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state.value,
            "addresses": list(self.addresses),
            "last_error": self.last_error,
            "since": self.since.isoformat() if self.since else None,
            "counters": dict(self.counters),
        }


@dataclass
class ServiceContext:
    """What a service may use: the settings (and the one path to change them), the UPS
    handle, the event bus, the logs, the data directory.

    The daemon gives each service a context of its own (:meth:`for_service`). What the
    service subscribes through it (snapshots, control results, events, settings changes)
    and the tasks it starts with :meth:`create_task` are released by the daemon when the
    service stops, so a service keeps no guard against late callbacks.
    """

    settings_manager: SettingsManager
    ups: UpsHandle
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
    # Every service's health report (the daemon's); the web shows it.
    services_health: Callable[[], list[ServiceHealth]] = list
    # The battery test read model (ups/battery_test.py); None in tests without it.
    battery_tests: BatteryTests | None = None
    # The IP access control (§18.15), one for the daemon: every service's context shares it.
    access: AccessGuard = field(default_factory=AccessGuard)
    # What running services offer the others by name (the SNMP service's "send a test trap"
    # for the web page): one dict for the daemon, each entry withdrawn when its service stops.
    offers: dict[str, Callable[..., Any]] = field(default_factory=dict)
    name: str = ""
    last_error: str = ""
    _releases: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)

    @property
    def settings(self) -> Settings:
        return self.settings_manager.settings

    def for_service(self, name: str) -> ServiceContext:
        """A context of the same daemon whose subscriptions belong to service ``name``."""
        return replace(self, name=name, last_error="", _releases=[], _tasks=set())

    def allows(self, address: str, protocol: str = "") -> bool:
        """May a client at ``address`` be served (the firewall, EN §18.15)? A refusal is
        counted per source and logged as at most one event per source and minute."""
        if self.access.allows(self.settings.access_control, address):
            return True
        # Past the table's bound, the refusals of new sources share one entry ("other sources").
        source, count = self.access.denials.count(source_key(address), time.monotonic())
        if count:
            protocol = protocol or self.name
            log.warning("%s access from %s rejected by the firewall (%d attempt(s))", protocol, source, count)
            self.bus.publish(make_event("nv.access_denied", protocol=protocol, client=source, count=count))
        return False

    # -- subscriptions, released with the service -------------------------------------------------

    def on_snapshot(self, listener: Callable[[Snapshot], None]) -> None:
        """``listener(snapshot)`` after each new snapshot, until the service stops."""
        self._releases.append(self.ups.subscribe(listener))

    def on_control(self, listener: Callable[[ControlResult], None]) -> None:
        """``listener(result)`` after each control, until the service stops."""
        self._releases.append(self.ups.subscribe_controls(listener))

    def on_settings(self, listener: Listener) -> None:
        """``await listener(settings, keys)`` after each saved change, until the service stops.
        Only for what a service reads outside the sections it owns: the daemon already
        calls ``reconfigure`` for those."""
        self.settings_manager.on_change(listener)
        self._releases.append(lambda: self.settings_manager.remove_listener(listener))

    def subscribe_events(self, maxsize: int = 1000) -> Subscription:
        """A queue of every event published from now on, closed when the service stops."""
        subscription = self.bus.subscribe(self.name, maxsize=maxsize)
        self._releases.append(subscription.close)
        return subscription

    def offer(self, name: str, action: Callable[..., Any]) -> None:
        """Let other services call ``action`` as ``offers[name]`` until this service stops."""
        self.offers[name] = action

        def withdraw() -> None:
            if self.offers.get(name) is action:
                del self.offers[name]

        self._releases.append(withdraw)

    def on_event(self, callback: Callable[[Event], None]) -> None:
        """``callback(event)`` synchronously for each event, until the service stops."""
        self._releases.append(self.bus.on_event(callback))

    def create_task(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """A task of the service, cancelled when it stops; its failure is its last error."""
        task = asyncio.get_running_loop().create_task(coroutine, name=f"{self.name}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            self.report_error(f"{task.get_name()}: {error}")
            log.error("%s failed", task.get_name(), exc_info=error)

    def report_error(self, message: str) -> None:
        """Record what went wrong last (shown on the service's health report)."""
        self.last_error = message

    @property
    def subscriptions(self) -> int:
        return len(self._releases) + len(self._tasks)

    async def release(self) -> None:
        """Forget every subscription and cancel every task of the service (the daemon, at stop)."""
        releases, self._releases = self._releases, []
        for release in reversed(releases):
            release()
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class Service(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        """Apply a change of the sections the service's entry names (it is running before and after)."""
        ...

    def addresses(self) -> list[str]:
        """Where a client should point, one line each (``web http://127.0.0.1:8080/``)."""
        ...

    def counters(self) -> Mapping[str, int | float]:
        """What the service has done so far (requests, sessions, traps…), for its health report."""
        ...


ALL_SECTIONS: tuple[str, ...] = tuple(name for name in Settings.model_fields if name != "data_dir")


@dataclass(frozen=True)
class ServiceEntry:
    """A service as the daemon knows it: when it runs, how it is built, and which settings
    sections it owns (a change to one of them reaches it as ``reconfigure(old, new)``).
    The factory imports the service's module, so a disabled service costs no memory."""

    name: str
    enabled: Callable[[Settings], bool]
    factory: Callable[[ServiceContext], Service]
    sections: tuple[str, ...]


def _snmp(context: ServiceContext) -> Service:
    from .snmp.service import SnmpService

    return SnmpService(context)


def _mail(context: ServiceContext) -> Service:
    from .mail.service import MailService

    return MailService(context)


def _modbus_tcp(context: ServiceContext) -> Service:
    from .modbus_tcp import ModbusTcpService

    return ModbusTcpService(context)


def _bacnet(context: ServiceContext) -> Service:
    from .bacnet import create_service

    return create_service(context)


def _nut(context: ServiceContext) -> Service:
    from .nut import NutService

    return NutService(context)


def _web(context: ServiceContext) -> Service:
    from .web.service import WebService

    return WebService(context)


def _syslog(context: ServiceContext) -> Service:
    from .syslog import SyslogService

    return SyslogService(context)


def _shutdown(context: ServiceContext) -> Service:
    from .shutdown import ShutdownService

    return ShutdownService(context)


def _wake_on_lan(context: ServiceContext) -> Service:
    from .wake_on_lan import WakeOnLanService

    return WakeOnLanService(context)


# The one list of services, in start order. Later features add their entry here.
SERVICES: list[ServiceEntry] = [
    # First, so that the events of the other services' start reach the syslog server.
    # The host name, language and time zone of the messages are read at each event.
    ServiceEntry("syslog", lambda s: s.syslog.enabled, _syslog, ("syslog",)),
    # The SNMP objects read the identity, the serial link, the logs and the shutdown settings too.
    ServiceEntry("snmp", lambda s: s.snmp.enabled, _snmp, ("snmp", "system", "serial", "logs", "shutdown")),
    ServiceEntry("modbus_tcp", lambda s: s.modbus_tcp.enabled, _modbus_tcp, ("modbus_tcp",)),
    # The unit-level objects follow serial.unit_select (FR §15.3).
    ServiceEntry("bacnet", lambda s: s.bacnet.enabled, _bacnet, ("bacnet", "serial")),
    # The shutdown procedure (§16.8) reads its local time in the system's time zone; the
    # pages and the NUT server read its status.
    ServiceEntry("shutdown", lambda s: s.shutdown.enabled, _shutdown, ("shutdown", "system")),
    # The NUT variables carry the identity; the shut-off delay is a NUT variable.
    ServiceEntry("nut", lambda s: s.nut.enabled, _nut, ("nut", "system", "shutdown")),
    # The pages show every setting.
    ServiceEntry("web", lambda s: s.web.http_enabled or s.web.https_enabled, _web, ALL_SECTIONS),
    ServiceEntry("wake_on_lan", lambda s: s.wake_on_lan.enabled, _wake_on_lan, ("wake_on_lan",)),
    # The mails carry the system's name, contact, location, language and time zone.
    ServiceEntry("mail", lambda s: s.mail.enabled, _mail, ("mail", "system")),
]


def enabled_services(settings: Settings) -> list[ServiceEntry]:
    return [entry for entry in SERVICES if entry.enabled(settings)]


def changed_sections(keys: Iterable[str]) -> set[str]:
    """``{"snmp"}`` for ``["snmp.port", "snmp.v1"]``."""
    return {key.split(".", 1)[0] for key in keys}
