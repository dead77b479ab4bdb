"""The device model: immutable snapshots of system → units → modules.

Pure data, no I/O. The poller builds one :class:`Snapshot` per cycle; every
service reads the latest one. Measurements are in physical units, ``None``
where the UPS reports 0xFFFF (not managed).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from .maps.base import Level


def frozen_mapping(values: Mapping[Any, Any] | None = None) -> Mapping[Any, Any]:
    return MappingProxyType(dict(values or {}))


class CommunicationState(enum.StrEnum):
    STARTING = "starting"  # detection not finished yet
    OK = "ok"
    LOST = "lost"


class TopologyKind(enum.StrEnum):
    SINGLE = "single"
    MODULAR_UNIT = "modular_unit"
    PARALLEL = "parallel"
    MODULAR_SYSTEM = "modular_system"
    STS = "sts"


@dataclass(frozen=True)
class Identity:
    """What the UPS says of itself, read once after detection (§7.3, App. Modbus)."""

    map_name: str
    map_title: str
    device_kind: str  # "ups" | "sts"
    type_code: int | None
    model: str  # range/model name (JBUSP 0x1000, VU-MAP T015) or reference (STS)
    serial_number: str
    reference: str = ""
    user_reference: str = ""
    user_location: str = ""
    nominal_kva: float | None = None
    nominal_kw: float | None = None
    input_phases: int | None = None
    output_phases: int | None = None
    firmware: str = ""
    nominal_input_voltage: float | None = None
    nominal_output_voltage: float | None = None
    nominal_input_frequency: float | None = None
    nominal_output_frequency: float | None = None
    nominal_battery_capacity_ah: float | None = None
    configuration: Mapping[str, float | None] = field(default_factory=frozen_mapping)


@dataclass(frozen=True)
class Topology:
    """Architecture of the system (§7.4, §11.3)."""

    kind: TopologyKind
    bypass: str | None = None  # "distributed" | "centralized" for parallel systems
    units: tuple[int, ...] = ()  # unit numbers of a parallel system
    modules: tuple[int, ...] = ()  # module numbers of a modular unit
    battery_present: bool = True
    input_phases: int = 3
    output_phases: int = 3

    @property
    def is_parallel(self) -> bool:
        return self.kind in (TopologyKind.PARALLEL, TopologyKind.MODULAR_SYSTEM)


@dataclass(frozen=True)
class ActiveAlarm:
    """One row of the alarm table (§12.3): index, time, description, level."""

    acronym: str
    label_en: str
    label_fr: str
    level: Level
    since: datetime


@dataclass(frozen=True)
class InformationStatus:
    """A status bit of information level that the device logs as an event (a STS, FR §18.4)."""

    acronym: str
    label_en: str
    label_fr: str
    level: Level


@dataclass(frozen=True)
class Derived:
    """Values computed once from the bits and measurements (status.py)."""

    ups_status: str  # i18n key, §12.1.5
    battery_status: str  # i18n key, §12.1.6
    output_status: str  # i18n key, §12.1.7
    rfc1628_output_source: int  # upsOutputSource: 1 other … 5 battery
    rfc1628_battery_status: int  # upsBatteryStatus: 1 unknown, 2 normal, 3 low, 4 depleted
    conditions: Mapping[str, bool] = field(default_factory=frozen_mapping)
    well_known_alarms: frozenset[int] = frozenset()  # NET VISION MIB upsWellKnownAlarms
    rfc1628_alarms: frozenset[int] = frozenset()  # RFC1628 upsWellKnownAlarms
    # The bits each raised well-known alarm's expression names (which alarm row is behind it).
    well_known_bits: Mapping[int, frozenset[str]] = field(default_factory=frozen_mapping)
    rfc1628_bits: Mapping[int, frozenset[str]] = field(default_factory=frozen_mapping)
    # Trap numbers whose map condition holds (App. "NET VISION 7 TRAP DESCRIPTION"), in
    # the device's trap list: the NET VISION list for a UPS, the STS list for a STS.
    traps: frozenset[int] = frozenset()
    device_kind: str = "ups"  # "ups" | "sts": which trap list ``traps`` numbers
    # RFC1628 "input out of tolerance" (upsInputLineBads counts its rising edges).
    input_out_of_tolerance: bool = False
    information_statuses: tuple[InformationStatus, ...] = ()  # set, logged as events (STS)


@dataclass(frozen=True)
class RegisterBlock:
    """Raw words of one block as read, at its absolute address."""

    name: str
    address: int
    words: tuple[int, ...]


@dataclass(frozen=True)
class DeviceState:
    """What one addressed device (system, single UPS, unit or module) reports."""

    number: int
    statuses: frozenset[str]  # every named status bit set (managed or not)
    alarm_bits: frozenset[str]  # every named alarm bit set (managed or not)
    alarms: tuple[ActiveAlarm, ...]  # the alarm table: managed bits, oldest first
    measurements: Mapping[str, float | None]
    derived: Derived
    registers: tuple[RegisterBlock, ...] = ()

    def measurement(self, key: str) -> float | None:
        return self.measurements.get(key)

    @property
    def active(self) -> frozenset[str]:
        return self.statuses | self.alarm_bits

    def condition(self, name: str) -> bool:
        return bool(self.derived.conditions.get(name, False))


@dataclass(frozen=True)
class Module:
    number: int
    state: DeviceState


@dataclass(frozen=True)
class Unit:
    number: int
    state: DeviceState
    identity: Identity | None = None
    modules: tuple[Module, ...] = ()


@dataclass(frozen=True)
class PollStatistics:
    cycles: int = 0
    requests: int = 0
    errors: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    wrong_slave: int = 0
    exceptions: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    consecutive_failed_cycles: int = 0
    last_cycle_seconds: float | None = None
    last_cycle_requests: int = 0
    last_cycle_bytes: int = 0
    last_cycle_wire_seconds: float | None = None  # wire minimum of the last cycle's frames
    fast_reads: int = 0  # status/alarm reads of the fast lane, between two cycles
    # Share of wall time the wire was busy (wire minimum of the frames exchanged) over
    # the last polling period, fast lane included.
    link_utilisation: float | None = None


@dataclass(frozen=True)
class Communication:
    state: CommunicationState
    since: datetime
    baud_rate: int | None = None
    map_name: str | None = None
    statistics: PollStatistics = field(default_factory=PollStatistics)
    last_error: str = ""
    # While the communication is not OK: when the values were last read (the time of the
    # last good cycle), None if the UPS never answered. See :attr:`Snapshot.last_read`.
    last_read: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """The whole system at one instant. Immutable; a new one after every cycle."""

    sequence: int
    time: datetime
    communication: Communication
    identity: Identity | None = None
    topology: Topology | None = None
    system: DeviceState | None = None  # system level (or the single UPS)
    units: tuple[Unit, ...] = ()
    modules: tuple[Module, ...] = ()  # modules of a modular unit
    permissions: Mapping[str, bool] = field(default_factory=frozen_mapping)
    remote_controls_permitted: bool = False
    ups_time: datetime | None = None
    # The UPS answers its clock block (JBUSP 0x1360) with a time: the poller read it.
    has_clock: bool = False
    # Past this time the values are too old to be called present, even if no cycle has
    # failed yet (a poller that stopped publishing): the age is part of the state.
    valid_until: datetime | None = None

    @property
    def communicating(self) -> bool:
        """The UPS answers and this snapshot is recent enough to stand for it now."""
        if self.communication.state is not CommunicationState.OK:
            return False
        return self.valid_until is None or datetime.now(UTC) <= self.valid_until

    @property
    def last_read(self) -> datetime | None:
        """When the values were read: this snapshot's time while the UPS answers (a failed
        cycle keeps the time of the last good one), the last good cycle once it is lost."""
        return self.time if self.communicating else self.communication.last_read

    @property
    def stale(self) -> bool:
        """The values are those of the last good read, not the UPS's present state."""
        return not self.communicating and self.system is not None

    def unit(self, number: int) -> Unit | None:
        for unit in self.units:
            if unit.number == number:
                return unit
        return None

    def device(self, unit_select: int = 0) -> DeviceState | None:
        """The device a "unit select" setting points at: 0 = system (§18.3)."""
        if unit_select:
            unit = self.unit(unit_select)
            return unit.state if unit else None
        return self.system
