"""Stand-ins for what a service may use, implementing the same protocols as the real ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from netvision.ups.controls import ControlResult
from netvision.ups.handle import Unsubscribe, UpsHandle
from netvision.ups.model import (
    ActiveAlarm,
    Communication,
    CommunicationState,
    Derived,
    DeviceState,
    RegisterBlock,
    Snapshot,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def device_state(
    conditions: Mapping[str, bool] | None = None,
    measurements: Mapping[str, float | None] | None = None,
    alarms: Iterable[ActiveAlarm] = (),
    *,
    number: int = 0,
) -> DeviceState:
    """The state of a UPS (or of its unit ``number``) as the poller derives it: load on
    inverter, battery OK, and the ``conditions`` named true or false."""
    return DeviceState(
        number=number,
        statuses=frozenset(),
        alarm_bits=frozenset(),
        alarms=tuple(alarms),
        measurements=measurements if measurements is not None else {},
        derived=Derived(
            "ups_status.load_on_inverter",
            "battery_status.ok",
            "output_status.load_on_inverter",
            3,
            2,
            conditions if conditions is not None else {},
        ),
    )


def words_with(register_map: Any, acronyms: Iterable[str], count: int) -> list[int]:
    """``count`` register words with the bits of ``acronyms`` set, as ``register_map`` places them."""
    words = [0] * count
    for acronym in acronyms:
        bit = register_map.bit(acronym)
        words[bit.word] |= 1 << bit.bit
    return words


class FakeUps:
    """A :class:`UpsHandle` whose snapshots the test publishes; controls and
    pass-through reads are recorded and answered as the test says."""

    def __init__(
        self, snapshot: Snapshot | None = None, register_map: Any = None, identity: tuple[RegisterBlock, ...] = ()
    ) -> None:
        self.snapshot = snapshot or Snapshot(0, NOW, Communication(CommunicationState.STARTING, NOW))
        self.register_map = register_map
        self.identity_registers = identity
        self.listeners: list[Callable[[Snapshot], None]] = []
        self.control_listeners: list[Callable[[ControlResult], None]] = []
        self.controls: list[tuple[str, str, str, int | None]] = []
        self.reads: list[tuple[int, int, float]] = []
        self.through: Any = (1, 2, 3)
        self.accept = True

    def subscribe(self, listener: Callable[[Snapshot], None]) -> Unsubscribe:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def subscribe_controls(self, listener: Callable[[ControlResult], None]) -> Unsubscribe:
        self.control_listeners.append(listener)
        return lambda: self.control_listeners.remove(listener)

    def publish(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        for listener in list(self.listeners):
            listener(snapshot)

    async def submit(self, control: str, *, source: str = "", user: str = "", unit: int | None = None) -> ControlResult:
        self.controls.append((control, source, user, unit))
        result = ControlResult(control, self.accept, "" if self.accept else "refused", NOW, source, user)
        for listener in list(self.control_listeners):
            listener(result)
        return result

    async def read_through(self, address: int, count: int, timeout: float) -> tuple[int, ...]:
        self.reads.append((address, count, timeout))
        if isinstance(self.through, BaseException):
            raise self.through
        return tuple(self.through)[:count]


def _implements_the_protocol(ups: FakeUps) -> UpsHandle:
    return ups  # mypy checks that FakeUps is a UpsHandle
