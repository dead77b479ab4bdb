"""What services may know of the UPS: a narrow handle, never the poller itself.

A service reads the latest snapshot, is told of each new one and of each
control's outcome, submits a control, or reads registers through (Modbus TCP
pass-through). :class:`UpsHandle` is that contract; :class:`PollerHandle` is the
daemon's implementation. It outlives the poller (an agent restart builds a new
one), so the event engine and the logs subscribe once, and a listener is
released by calling what ``subscribe`` returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from .model import RegisterBlock, Snapshot

if TYPE_CHECKING:
    from .controls import ControlResult
    from .maps.base import RegisterMap
    from .poller import Poller

log = logging.getLogger("netvision.ups")

Unsubscribe = Callable[[], None]
SnapshotListener = Callable[[Snapshot], None]
ControlListener = Callable[["ControlResult"], None]
T = TypeVar("T")


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


class PollerHandle:
    """The :class:`UpsHandle` the daemon gives out, following its current poller."""

    def __init__(self, poller: Poller) -> None:
        self._snapshots: _Listeners[Snapshot] = _Listeners("snapshot")
        self._controls: _Listeners[ControlResult] = _Listeners("control")
        self._poller = poller
        self.attach(poller)

    def attach(self, poller: Poller) -> None:
        """Follow ``poller`` from now on (the daemon's start and each agent restart)."""
        self._poller = poller
        poller.subscribe(self._snapshots.call)
        poller.subscribe_controls(self._controls.call)

    @property
    def poller(self) -> Poller:
        return self._poller

    @property
    def listener_count(self) -> int:
        return len(self._snapshots) + len(self._controls)

    @property
    def snapshot(self) -> Snapshot:
        return self._poller.snapshot

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
        return await self._poller.submit(control, source=source, user=user, unit=unit)

    async def read_through(self, address: int, count: int, timeout: float) -> tuple[int, ...]:
        return await self._poller.read_through(address, count, timeout)
