"""What services may know of the UPS: a narrow handle, never the poller itself.

A service reads the latest snapshot, is told of each new one and of each
control's outcome, submits a control, or reads registers through (Modbus TCP
pass-through). :class:`UpsHandle` is that contract; :class:`PollerHandle` is the
daemon's implementation: it runs the poller on a thread of its own and outlives
it (an agent restart builds a new one), so the event engine and the logs
subscribe once. A listener is released by calling what ``subscribe`` returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .model import RegisterBlock, Snapshot

if TYPE_CHECKING:
    from .controls import ControlResult
    from .maps.base import RegisterMap
    from .poller import Poller, PollerConfig

log = logging.getLogger("netvision.ups")

Unsubscribe = Callable[[], None]
SnapshotListener = Callable[[Snapshot], None]
ControlListener = Callable[["ControlResult"], None]
T = TypeVar("T")
R = TypeVar("R")


class UpsHandle(Protocol):
    @property
    def snapshot(self) -> Snapshot:
        """The latest snapshot (immutable)."""
        ...

    @property
    def register_map(self) -> RegisterMap | None:
        """The detected map (None before detection): the Modbus TCP server re-exposes its addresses."""
        ...

    @property
    def identity_registers(self) -> tuple[RegisterBlock, ...]:
        """The identity tables as read after detection (absolute addresses)."""
        ...

    def subscribe(self, listener: SnapshotListener) -> Unsubscribe:
        """``listener(snapshot)`` after each new snapshot; it must not block."""
        ...

    def subscribe_controls(self, listener: ControlListener) -> Unsubscribe:
        """``listener(result)`` after each control was written or refused."""
        ...

    async def submit(
        self, control: str, *, source: str = "", user: str = "", unit: int | None = None
    ) -> ControlResult:
        """Queue a control; returns once it was written (or refused)."""
        ...

    async def read_through(self, address: int, count: int, timeout: float) -> tuple[int, ...]:
        """Read registers between two poll reads (LinkError, TimeoutError)."""
        ...


class _Listeners(Generic[T]):
    """A list of callbacks, each removable by the function ``add`` returns."""

    def __init__(self, kind: str) -> None:
        self._kind = kind
        self._callbacks: list[Callable[[T], None]] = []

    def add(self, callback: Callable[[T], None]) -> Unsubscribe:
        self._callbacks.append(callback)

        def remove() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return remove

    def __len__(self) -> int:
        return len(self._callbacks)

    def call(self, value: T) -> None:
        for callback in list(self._callbacks):
            try:
                callback(value)
            except Exception:
                # One failing listener must not keep the others from the news.
                log.exception("a %s listener failed", self._kind)


class PollerThread:
    """A poller on an event loop of its own, in a thread of its own, as NUT gives each
    driver a process of its own: its request timeouts measure the wire, not the time
    the services keep the daemon's loop busy, so a flood of requests can never make
    the UPS look silent."""

    def __init__(self, poller: Poller) -> None:
        self.poller = poller
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> asyncio.Future[None]:
        """Start polling; the returned future (of the calling loop) ends as ``poller.run()`` ends."""
        caller = asyncio.get_running_loop()
        done: asyncio.Future[None] = caller.create_future()

        def finish(error: BaseException | None) -> None:
            if done.done():
                return
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            self._ready.set()
            error: BaseException | None = None
            try:
                loop.run_until_complete(self.poller.run())
            except BaseException as exception:  # handed to the caller's future
                error = exception
            finally:
                with contextlib.suppress(Exception):
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
                with contextlib.suppress(RuntimeError):  # the caller's loop is closed
                    caller.call_soon_threadsafe(finish, error)

        self._thread = threading.Thread(target=run, name="poller", daemon=True)
        self._thread.start()
        self._ready.wait()
        return done

    def call(self, function: Callable[..., object], *args: object) -> None:
        """``function(*args)`` on the poller's loop."""
        assert self.loop is not None
        with contextlib.suppress(RuntimeError):  # the poller's loop has ended
            self.loop.call_soon_threadsafe(function, *args)

    async def run(self, coroutine: Coroutine[Any, Any, R]) -> R:
        """Await ``coroutine`` on the poller's loop from the caller's."""
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    def stop(self) -> None:
        self.call(self.poller.stop)


class PollerHandle:
    """The :class:`UpsHandle` the daemon gives out, following its current poller.

    The poller runs on its own thread (:class:`PollerThread`); snapshots and control
    results reach the listeners on the daemon's loop, and :attr:`snapshot` is the
    latest one delivered there, so that what a service reads always agrees with
    what it was told."""

    def __init__(self, poller: Poller) -> None:
        self._snapshots: _Listeners[Snapshot] = _Listeners("snapshot")
        self._controls: _Listeners[ControlResult] = _Listeners("control")
        self._poller = poller
        self._thread = PollerThread(poller)
        self._snapshot = poller.snapshot
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connect(poller)

    def start(self) -> asyncio.Future[None]:
        """Start the poller on its thread; the future ends as it stops (its error raised)."""
        self._loop = asyncio.get_running_loop()
        return self._thread.start()

    def stop(self) -> None:
        self._thread.stop()

    def attach(self, poller: Poller) -> None:
        """Follow ``poller`` from now on (each agent restart); call :meth:`start` next."""
        self._poller = poller
        self._thread = PollerThread(poller)
        self._snapshot = poller.snapshot
        self._connect(poller)

    def _connect(self, poller: Poller) -> None:
        def forward_snapshot(snapshot: Snapshot) -> None:
            self._deliver(self._publish_snapshot, poller, snapshot)

        def forward_control(result: ControlResult) -> None:
            self._deliver(self._controls.call, poller, result)

        poller.subscribe(forward_snapshot)
        poller.subscribe_controls(forward_control)

    def _deliver(self, function: Callable[[Any], None], poller: Poller, value: Any) -> None:
        loop = self._loop
        if loop is None or poller is not self._poller:
            return  # a poller that was replaced by an agent restart
        with contextlib.suppress(RuntimeError):  # the daemon's loop has closed
            loop.call_soon_threadsafe(function, value)

    def _publish_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._snapshots.call(snapshot)

    def reconfigure(self, config: PollerConfig) -> None:
        """New serial settings, applied by the poller on its own loop."""
        self._thread.call(self._poller.reconfigure, config)

    @property
    def poller(self) -> Poller:
        return self._poller

    @property
    def listener_count(self) -> int:
        return len(self._snapshots) + len(self._controls)

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def register_map(self) -> RegisterMap | None:
        return self._poller.register_map

    @property
    def identity_registers(self) -> tuple[RegisterBlock, ...]:
        return self._poller.identity_registers

    def subscribe(self, listener: SnapshotListener) -> Unsubscribe:
        return self._snapshots.add(listener)

    def subscribe_controls(self, listener: ControlListener) -> Unsubscribe:
        return self._controls.add(listener)

    async def submit(
        self, control: str, *, source: str = "", user: str = "", unit: int | None = None
    ) -> ControlResult:
        return await self._thread.run(self._poller.submit(control, source=source, user=user, unit=unit))

    async def read_through(self, address: int, count: int, timeout: float) -> tuple[int, ...]:
        return await self._thread.run(self._poller.read_through(address, count, timeout))
