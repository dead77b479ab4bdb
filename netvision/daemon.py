"""The daemon: builds the poller and the enabled services from the settings,
runs them, and stops them cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Any

from .events.bus import EventBus
from .events.engine import EventEngine, startup_events
from .services.registry import Service, ServiceContext, ServiceEntry, enabled_services
from .settings import Settings
from .settings.manager import SettingsManager
from .store import DATABASE_NAME, LogRecorder, LogStore
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
        serial_timeout_ms={rate: timeouts.for_baud(rate) for rate in (57600, 19200, 9600, 2400)},
        request_retries=serial.request_retries,
        failed_cycles_before_lost=serial.failed_cycles_before_lost,
        reconnect_delay=serial.reconnect_delay,
    )


class Daemon:
    def __init__(self, settings: Settings, settings_path: Path | None = None, data_dir: Path | None = None) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir or settings.data_dir)
        self.bus = EventBus()
        self.settings_manager = SettingsManager(settings, settings_path, self.bus)
        self.simulator: Any = None  # the embedded simulator, when serial.device = "simulator"
        self.poller: Poller | None = None
        self.services: list[Service] = []
        self._started: set[str] = set()
        self._context: ServiceContext | None = None
        self._poller_task: asyncio.Task[None] | None = None
        self.store: LogStore | None = None
        self.recorder: LogRecorder | None = None
        self.engine: EventEngine | None = None

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        device = self.settings.serial.device
        if device == EMBEDDED_SIMULATOR:
            from .sim import Simulator

            self.simulator = Simulator(map_name="jbusp", topology="three_phase", baud=self.settings.serial.baud_rate)
            await self.simulator.start()
            device = self.simulator.device_path
            log.info("embedded UPS simulator on %s", device)
        self.poller = Poller(poller_config(self.settings, device))
        await self._start_logs(self.poller)
        context = ServiceContext(
            self.settings_manager,
            self.poller,
            self.bus,
            self.data_dir,
            store=self.store,
            recorder=self.recorder,
            engine=self.engine,
        )
        self._context = context
        for entry in enabled_services(self.settings):
            await self._start_service(entry)
        self.settings_manager.on_change(self._start_newly_enabled)
        # After the services, so that TRAP 27 "NET VISION is restarting" reaches the
        # receivers; before the poller, so that the logs open with the restart (§21.4).
        for event in startup_events(self.data_dir):
            self.bus.publish(event)
        self._poller_task = asyncio.create_task(self.poller.run(), name="poller")

    async def _start_service(self, entry: ServiceEntry) -> None:
        assert self._context is not None
        service = entry.factory(self._context)
        try:
            await service.start()
        except Exception:
            # One service that cannot start (port in use…) must not stop the others.
            log.exception("service %s did not start", entry.name)
            return
        self.services.append(service)
        self._started.add(entry.name)

    async def _start_newly_enabled(self, settings: Settings, keys: list[str]) -> None:
        """A service switched on in the NET VISION Control page (§18.3) starts at once;
        running services apply their own changes, switching off included."""
        for entry in enabled_services(settings):
            if entry.name not in self._started:
                await self._start_service(entry)

    async def _start_logs(self, poller: Poller) -> None:
        """The store (both event logs, history, extended history) and the event engine."""
        self.engine = EventEngine(self.bus, lambda: poller.register_map)
        self.engine.attach(poller)
        store = LogStore(self.data_dir / DATABASE_NAME)
        try:
            recreated = await store.open()
        except Exception:
            # No logs (unwritable data directory…) is no reason to stop monitoring the UPS.
            log.exception("the logs database %s cannot be opened: running without logs", store.path)
            return
        self.store = store
        self.recorder = LogRecorder(store, self.bus, lambda: self.settings_manager.settings, lambda: poller.snapshot)
        self.recorder.attach_bus()
        self.settings_manager.on_change(self.recorder.on_settings_changed)
        poller.subscribe(self.recorder.on_snapshot)
        await self.recorder.start(recreated)

    def addresses(self) -> list[str]:
        lines = []
        if self.poller is not None:
            lines.append(f"ups serial {self.poller.config.device} (auto-detected baud rate and map)")
        for service in self.services:
            lines.extend(service.addresses())
        return lines

    async def stop(self) -> None:
        for service in reversed(self.services):
            try:
                await service.stop()
            except Exception:
                log.exception("service %s did not stop cleanly", service.name)
        self.services.clear()
        if self.poller is not None:
            self.poller.stop()
        if self._poller_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller_task
        if self.recorder is not None:
            try:
                await self.recorder.stop()
            except Exception:
                log.exception("the logs did not close cleanly")
            self.recorder = None
        if self.simulator is not None:
            await self.simulator.stop()

    async def run_until_signal(self, on_started=None) -> None:  # type: ignore[no-untyped-def]
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await self.start()
        try:
            if on_started is not None:
                on_started(self)
            waiters = [asyncio.create_task(stopping.wait())]
            if self._poller_task is not None:
                waiters.append(self._poller_task)  # type: ignore[arg-type]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if self._poller_task is not None and self._poller_task.done() and not stopping.is_set():
                self._poller_task.result()  # re-raise what stopped the poller
        finally:
            log.info("stopping")
            await self.stop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
