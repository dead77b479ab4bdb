"""The daemon: builds the poller and the enabled services from the settings,
runs them, and stops them cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .events.bus import EventBus
from .events.catalog import make_event
from .events.engine import EventEngine, startup_events
from .limits import make_private, set_process_limits
from .services.registry import (
    SERVICES,
    AgentControl,
    Service,
    ServiceContext,
    ServiceEntry,
    ServiceHealth,
    ServiceState,
    changed_sections,
    enabled_services,
)
from .settings import Settings
from .settings.manager import SettingsManager
from .store import DATABASE_NAME, LogRecorder, LogStore
from .ups.battery_test import BatteryTests
from .ups.handle import PollerHandle
from .ups.poller import Poller, PollerConfig

log = logging.getLogger("netvision.daemon")

EMBEDDED_SIMULATOR = "simulator"


def poller_config(settings: Settings, device: str | None = None) -> PollerConfig:
    serial = settings.serial
    timeouts = serial.serial_timeout_ms
    return PollerConfig(
        device=device or serial.device,
        baud_rate=serial.baud_rate,
        auto_detect=serial.auto_detect,
        slave_id=serial.slave_id,
        polling_rate=float(serial.polling_rate),
        fast_lane=serial.fast_lane_ms / 1000,
        serial_timeout_ms={rate: timeouts.for_baud(rate) for rate in (57600, 19200, 9600, 2400)},
        request_retries=serial.request_retries,
        failed_cycles_before_lost=serial.failed_cycles_before_lost,
        reconnect_delay=serial.reconnect_delay,
    )


def factory_defaults(current: Settings) -> Settings:
    """The settings of a configuration reset (App. SSH "3 Reset Configuration to Default",
    App. MIB upsAgentResetToDefault): the defaults, but the data directory and the
    serial link are kept, so that the box keeps its logs and goes on talking to its
    UPS (on a NET VISION card the UPS link needs no setting; here it may be a device
    path or an RTU address the defaults do not know). Accounts live apart and are not
    touched: "Reset Accounts/Passwords" is a separate menu entry (App. SSH, §10)."""
    return Settings(data_dir=current.data_dir, serial=current.serial)


@dataclass
class _ServiceRecord:
    """A registered service as the daemon knows it: its entry, its state, and the instance
    and context while it runs."""

    entry: ServiceEntry
    service: Service | None = None
    context: ServiceContext | None = None
    state: ServiceState = ServiceState.DISABLED
    last_error: str = ""
    since: datetime = field(default_factory=lambda: datetime.now(UTC))

    def set_state(self, state: ServiceState, error: str = "") -> None:
        if state != self.state:
            self.since = datetime.now(UTC)
        self.state, self.last_error = state, error


class Daemon:
    # Tests replace it to keep the listening ports of a reset on free ports.
    factory_defaults = staticmethod(factory_defaults)

    def __init__(self, settings: Settings, settings_path: Path | None = None, data_dir: Path | None = None) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir or settings.data_dir)
        self.bus = EventBus()
        self.settings_manager = SettingsManager(settings, settings_path, self.bus)
        self.simulator: Any = None  # the embedded simulator, when serial.device = "simulator"
        self.poller: Poller | None = None
        self.ups: PollerHandle | None = None  # what services see of the UPS; outlives the poller
        self._records: dict[str, _ServiceRecord] = {entry.name: _ServiceRecord(entry) for entry in SERVICES}
        self._context: ServiceContext | None = None
        self._poller_task: asyncio.Future[None] | None = None
        self._device_path = ""
        self.store: LogStore | None = None
        self.recorder: LogRecorder | None = None
        self.engine: EventEngine | None = None
        self.battery_tests: BatteryTests | None = None
        self.agent = AgentControl(self.restart_agent, self.reset_to_default)
        self._restart_lock = asyncio.Lock()
        self._applied = settings  # the settings the services and the poller were last given

    @property
    def services(self) -> list[Service]:
        """The running services, in start order."""
        return [record.service for record in self._records.values() if record.service is not None]

    async def start(self) -> None:
        make_private(self.data_dir)
        self._device_path = await self._device()
        self.poller = Poller(poller_config(self.settings, self._device_path))
        self.ups = PollerHandle(self.poller)
        # Before the services: BACnet and SNMP read the tests from their own snapshot listeners.
        self.battery_tests = BatteryTests(self.data_dir)
        self.ups.subscribe(self.battery_tests.on_snapshot)
        self.ups.subscribe_controls(self.battery_tests.on_control)
        await self._start_logs(self.ups)
        self.settings_manager.on_change(self._on_settings)
        await self._start_agent()

    async def _device(self) -> str:
        """The serial device to poll; "simulator" starts the embedded simulator once
        (it stands for the UPS: an agent restart does not restart it)."""
        device = self.settings.serial.device
        if device != EMBEDDED_SIMULATOR:
            return device
        if self.simulator is None:
            from .sim import Simulator

            self.simulator = Simulator.embedded(self.data_dir, baud=self.settings.serial.baud_rate)
            await self.simulator.start()
            simulator = self.simulator
            log.info("embedded UPS simulator on %s, control %s", simulator.device_path, simulator.control_path)
        return str(self.simulator.device_path)

    async def _start_agent(self, restart: dict[str, str] | None = None) -> None:
        """The services and the poller, from the current settings (start and warm restart)."""
        assert self.ups is not None and self.poller is not None
        self._context = ServiceContext(
            self.settings_manager,
            self.ups,
            self.bus,
            self.data_dir,
            store=self.store,
            recorder=self.recorder,
            engine=self.engine,
            agent=self.agent,
            services_health=self.services_health,
            battery_tests=self.battery_tests,
        )
        self._applied = self.settings_manager.settings
        for entry in enabled_services(self._applied):
            await self._start_service(self._records[entry.name])
        # After the services, so that TRAP 27 "NET VISION is restarting" reaches the
        # receivers; before the poller, so that the logs open with the restart (§21.4).
        for event in startup_events(self.data_dir):
            if restart and event.id == "nv.agent_restart":
                event = make_event("nv.agent_restart", via=restart["via"], by=restart["by"])  # who asked
            self.bus.publish(event)
        self._poller_task = self.ups.start()

    async def _start_service(self, record: _ServiceRecord) -> None:
        assert self._context is not None
        context = self._context.for_service(record.entry.name)
        try:
            service = record.entry.factory(context)
            await service.start()
        except Exception as error:
            # One service that cannot start (port in use…) must not stop the others.
            log.exception("service %s did not start", record.entry.name)
            await context.release()
            record.service, record.context = None, None
            record.set_state(ServiceState.FAILED, f"did not start: {error}")
            return
        record.service, record.context = service, context
        record.set_state(ServiceState.RUNNING)

    async def _stop_service(self, record: _ServiceRecord, state: ServiceState = ServiceState.DISABLED) -> None:
        """Release what the service subscribed (no callback reaches it any more), then stop it."""
        service, context = record.service, record.context
        record.service, record.context = None, None
        if context is not None:
            await context.release()
        if service is not None:
            try:
                await service.stop()
            except Exception:
                log.exception("service %s did not stop cleanly", service.name)
        record.set_state(state)

    async def _on_settings(self, settings: Settings, keys: list[str]) -> None:
        """Route a saved change: the poller applies the serial settings live; a service
        switched on in the NET VISION Control page (§18.3) starts, one switched off stops,
        and a running one whose sections changed is reconfigured."""
        if self._restart_lock.locked():
            return  # a reset to default: the restart starts from the new settings itself
        old, self._applied = self._applied, settings
        sections = changed_sections(keys)
        if "serial" in sections and self.ups is not None:
            self.ups.reconfigure(poller_config(settings, self._device_path))
        wanted = {entry.name for entry in enabled_services(settings)}
        # Stops first: a port may move from one service to another.
        for record in self._records.values():
            if record.service is not None and record.entry.name not in wanted:
                await self._stop_service(record)
            elif record.service is None and record.entry.name not in wanted:
                record.set_state(ServiceState.DISABLED)
        for record in self._records.values():
            if record.entry.name not in wanted:
                continue
            if record.service is None:
                await self._start_service(record)  # newly enabled, or failed and changed
            elif sections.intersection(record.entry.sections):
                try:
                    await record.service.reconfigure(old, settings)
                except Exception as error:
                    # The settings are saved; the service reports why they do not apply.
                    log.exception("service %s could not apply the new settings", record.entry.name)
                    if record.context is not None:
                        record.context.report_error(f"new settings not applied: {error}")

    def services_health(self) -> list[ServiceHealth]:
        """Every registered service's report, disabled ones included."""
        reports = []
        for record in self._records.values():
            service, context = record.service, record.context
            addresses: tuple[str, ...] = ()
            counters: Mapping[str, int | float] = {}
            last_error = record.last_error
            if service is not None:
                try:
                    addresses = tuple(service.addresses())
                    counters = service.counters()
                except Exception as error:
                    log.exception("service %s health report failed", record.entry.name)
                    last_error = f"health report failed: {error}"
            if context is not None and context.last_error:
                last_error = context.last_error
            reports.append(
                ServiceHealth(record.entry.name, record.state, addresses, last_error, record.since, counters)
            )
        return reports

    async def restart_agent(self, via: str, by: str) -> None:
        """A warm restart of the agent in this process (App. SSH "4 Restart SNMP/WEB Card",
        upsAgentRestart; §10: it "does not affect the NET VISION settings"): every service
        and the poller stop and start again from the current settings. The logs, the
        event engine and the embedded simulator go on; "Warm boot" is logged with who
        asked, then "NET VISION UPS Agent Restart" and TRAP 27 at the new start (§21.4)."""
        await self._restart(via, by)

    async def reset_to_default(self, via: str, by: str) -> None:
        """Configuration reset (App. SSH "3 Reset Configuration to Default",
        upsAgentResetToDefault), then a restart. The defaults go through the one
        settings path (each changed key is logged) while the services are stopped, so
        that none of them reopens its sockets twice; then "NET VISION UPS Agent
        Parameters reset to default" (§21.4)."""
        await self._restart(via, by, reset=True)

    async def _restart(self, via: str, by: str, *, reset: bool = False) -> None:
        async with self._restart_lock:
            log.info("NET VISION %s asked via %s by %s", "reset to default" if reset else "restart", via, by)
            self.bus.publish(make_event("nv.warm_boot", via=via, by=by))
            await self._stop_services()
            await self._stop_poller()
            if reset:
                current = self.settings_manager.settings
                await self.settings_manager.replace(self.factory_defaults(current), via=via, by=by)
                self.bus.publish(make_event("nv.parameters_reset", via=via, by=by))
            self.settings = self.settings_manager.settings
            self._device_path = await self._device()
            self.poller = Poller(poller_config(self.settings, self._device_path))
            assert self.ups is not None
            self.ups.attach(self.poller)  # the engine, the logs and the services follow it
        await self._start_agent({"via": via, "by": by})

    def _snapshot(self) -> Any:
        assert self.ups is not None
        return self.ups.snapshot

    async def _start_logs(self, ups: PollerHandle) -> None:
        """The store (both event logs, history, extended history) and the event engine."""
        self.engine = EventEngine(self.bus)
        self.engine.attach(ups)
        store = LogStore(self.data_dir / DATABASE_NAME)
        try:
            recreated = await store.open()
        except Exception:
            # No logs (unwritable data directory…) is no reason to stop monitoring the UPS.
            log.exception("the logs database %s cannot be opened: running without logs", store.path)
            return
        self.store = store
        self.recorder = LogRecorder(store, self.bus, lambda: self.settings_manager.settings, self._snapshot)
        self.recorder.attach_bus()
        self.settings_manager.on_change(self.recorder.on_settings_changed)
        ups.subscribe(self.recorder.on_snapshot)
        await self.recorder.start(recreated)

    def addresses(self) -> list[str]:
        lines = []
        if self.poller is not None:
            lines.append(f"ups serial {self.poller.config.device} (auto-detected baud rate and map)")
        for service in self.services:
            lines.extend(service.addresses())
        return lines

    async def _stop_services(self) -> None:
        for record in reversed(self._records.values()):
            if record.service is not None:
                await self._stop_service(record, ServiceState.DISABLED)

    async def _stop_poller(self) -> None:
        if self.ups is not None and self._poller_task is not None:
            self.ups.stop()
        if self._poller_task is not None:
            try:
                await self._poller_task
            except asyncio.CancelledError:
                pass
            except Exception:
                # Already raised to run_until_signal; a restart must go on regardless.
                log.exception("the poller had stopped with an error")

    async def stop(self) -> None:
        await self.agent.cancel()  # a restart under way stops where it is
        await self._stop_services()
        await self._stop_poller()
        if self.recorder is not None:
            try:
                await self.recorder.stop()
            except Exception:
                log.exception("the logs did not close cleanly")
            self.recorder = None
        if self.simulator is not None:
            await self.simulator.stop()

    async def _wait_until(self, stopping: asyncio.Event) -> None:
        """Until ``stopping`` is set or the poller stops by itself (its error is raised);
        a poller stopped by an agent restart is followed by the new one."""
        stop_waiter = asyncio.create_task(stopping.wait())
        try:
            while not stopping.is_set():
                poller_task = self._poller_task
                waiters: list[asyncio.Future[Any]] = [stop_waiter]
                if poller_task is not None:
                    waiters.append(poller_task)
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                if stopping.is_set() or poller_task is None or not poller_task.done():
                    continue
                if self._restart_lock.locked():
                    async with self._restart_lock:  # wait for the restart to start the new poller
                        pass
                if poller_task is self._poller_task:
                    poller_task.result()  # re-raise what stopped the poller
                    return
        finally:
            stop_waiter.cancel()

    async def run_until_signal(self, on_started=None) -> None:  # type: ignore[no-untyped-def]
        set_process_limits()
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await self.start()
        try:
            if on_started is not None:
                on_started(self)
            await self._wait_until(stopping)
        finally:
            log.info("stopping")
            await self.stop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
