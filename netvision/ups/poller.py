"""The serial poller: the one owner of the UPS port.

At start and after a loss of communication it finds the baud rate (the
configured one first, then 57600, 9600, 19200, 2400; slave 1, no parity) and
the register map (VU-MAP, JBUSP, STS, by probing their identification
tables), reads identity and configuration once, then reads statuses, alarms
and measurements of every device every polling period (§18.2), publishing an
immutable :class:`Snapshot` after each cycle. Between two cycles the fast lane
reads the system's status and alarm words (the map's ``fast_blocks``) every
``fast_lane`` seconds and publishes a new snapshot as soon as they changed;
measurements keep the polling period. Controls are queued and written between
two reads (§16.1). :meth:`Poller.reconfigure` applies new serial settings to the
running poller.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from . import controls as control_rules
from .controls import ControlRefused, ControlRequest, ControlResult
from .decode import decode_device, decode_identity, decode_topology, decode_ups_time
from .link import LinkCounters, LinkError, ModbusLink
from .maps import ALL_MAPS
from .maps.base import NOT_MANAGED, Block, RegisterMap, unit_address
from .model import (
    Communication,
    CommunicationState,
    DeviceState,
    Identity,
    Module,
    PollStatistics,
    RegisterBlock,
    Snapshot,
    Topology,
    TopologyKind,
    Unit,
)
from .status import derive_lost

log = logging.getLogger("netvision.poller")

DETECTION_BAUD_RATES = (57600, 9600, 19200, 2400)
MAX_READ_REGISTERS = 125  # Modbus limit for function 0x03


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PollerConfig:
    device: str
    baud_rate: int = 9600
    auto_detect: bool = True
    slave_id: int = 1
    polling_rate: float = 2.0
    # §18.2 "Serial Timeout (ms)": extra answer time per baud rate.
    serial_timeout_ms: Mapping[int, int] = field(
        default_factory=lambda: {57600: 20, 19200: 50, 9600: 100, 2400: 200}
    )
    request_retries: int = 1
    failed_cycles_before_lost: int = 3
    reconnect_delay: float = 1.0
    slow_every: int = 30  # cycles between two reads of permissions and UPS clock
    # Seconds between two reads of the system's status and alarm words between full
    # cycles (settings serial.fast_lane_ms); 0 = no fast lane.
    fast_lane: float = 0.5
    # Share of each polling period that Modbus TCP pass-through reads may keep the link
    # busy: a flood of them delays its own answers (0x0B), never the poll.
    pass_through_share: float = 0.25

    def link_settings(self) -> tuple[str, int, int, bool]:
        """The settings whose change makes the poller close the link and detect the UPS again."""
        return (self.device, self.baud_rate, self.slave_id, self.auto_detect)

    def serial_timeout(self, baud_rate: int) -> float:
        known = self.serial_timeout_ms
        if baud_rate in known:
            return known[baud_rate] / 1000
        # A baud rate without its own setting: the nearest slower one's timeout.
        slower = [rate for rate in known if rate <= baud_rate]
        return known[max(slower)] / 1000 if slower else max(known.values()) / 1000

    def baud_candidates(self) -> tuple[int, ...]:
        if not self.auto_detect:
            return (self.baud_rate,)
        return (self.baud_rate, *(rate for rate in DETECTION_BAUD_RATES if rate != self.baud_rate))


@dataclass(frozen=True)
class ReadRequest:
    """One function-0x03 read covering one or more contiguous blocks of one device."""

    address: int
    count: int
    parts: tuple[tuple[Block, int, int], ...]  # (block, offset in the reply, words)


def needed_words(register_map: RegisterMap, block: Block) -> int:
    """Words of a block up to its last named entry: the rest is never read."""
    last = -1
    if block.name == "status":
        last = max((bit.word for bit in register_map.statuses), default=-1)
    elif block.name == "alarms":
        last = max((bit.word for bit in register_map.alarms), default=-1)
    elif block.name == "measurements":
        last = max((m.offset for m in register_map.measurements if m.key is not None), default=-1)
    return min(block.count, last + 1) if last >= 0 else block.count


def block_address(block: Block, unit: int) -> int:
    return unit_address(block.address, unit) if block.per_unit else block.address


def plan_reads(register_map: RegisterMap, unit: int, block_names: Iterable[str]) -> list[ReadRequest]:
    """Requests for ``block_names`` of device ``unit``: contiguous blocks share one request."""
    blocks = sorted(
        (register_map.block(name) for name in block_names), key=lambda block: block_address(block, unit)
    )
    requests: list[ReadRequest] = []
    for block in blocks:
        address = block_address(block, unit)
        words = needed_words(register_map, block)
        if requests:
            last = requests[-1]
            if last.address + last.count == address and last.count + words <= MAX_READ_REGISTERS:
                requests[-1] = ReadRequest(last.address, last.count + words, (*last.parts, (block, last.count, words)))
                continue
        requests.append(ReadRequest(address, words, ((block, 0, words),)))
    return requests


@dataclass(frozen=True)
class _PassThroughRead:
    """A read of registers outside the cached tables, for the Modbus TCP gateway mode."""

    address: int
    count: int
    future: asyncio.Future[tuple[int, ...]]


@dataclass
class _Device:
    number: int  # 0 = system or single UPS; N = unit or module N
    address_unit: int  # the unit number used in register addresses
    state: DeviceState | None = None
    identity: Identity | None = None
    blocks: dict[str, tuple[int, ...]] = field(default_factory=dict)  # the words last read


class Poller:
    def __init__(self, config: PollerConfig, maps: Sequence[RegisterMap] = ALL_MAPS) -> None:
        self.config = config
        self.maps = tuple(maps)
        self.counters = LinkCounters()
        now = utc_now()
        self.snapshot = Snapshot(0, now, Communication(CommunicationState.STARTING, now))
        self.control_results: deque[ControlResult] = deque(maxlen=100)
        self._listeners: list[Callable[[Snapshot], None]] = []
        self._control_listeners: list[Callable[[ControlResult], None]] = []
        self._controls: asyncio.Queue[ControlRequest] = asyncio.Queue()
        self._reads: deque[_PassThroughRead] = deque()
        self._through_period_start = 0.0  # loop time the pass-through reads' share began
        self._through_spent = 0.0  # link seconds they used of it
        self._identity_registers: tuple[RegisterBlock, ...] = ()
        self._link: ModbusLink | None = None
        self._map: RegisterMap | None = None
        self._identity: Identity | None = None
        self._topology: Topology | None = None
        self._devices: list[_Device] = []
        self._slow_words: dict[int, int] = {}
        self._unavailable_slow: set[tuple[str, int]] = set()
        self._ups_time: datetime | None = None
        self._has_clock = False
        self._cycles = 0
        self._fast_reads = 0
        self._sampled_at = 0.0  # loop time the system's status words were last asked for
        self._fast_lane_ok = True  # False after a failed fast read, until the next cycle
        self._fast_read_seconds = 0.0  # how long the last fast read took
        self._cycle_status_seconds = 0.0  # from a cycle's start to the publication of the system's words
        # Seconds, requests, bytes and wire seconds of every fast read, kept out of the cycle figures.
        self._fast_cost = (0.0, 0, 0, 0.0)
        self._published_words: dict[str, tuple[int, ...] | None] = {}  # the system's fast-lane words last published
        self._period: tuple[float, float] | None = None  # loop time and wire seconds at the last cycle start
        self._utilisation: float | None = None
        self._relink = False  # the link settings changed: close the link and detect again
        self._keep_states = False  # the next identification follows a relink
        self._config_version = 0
        self._failed_cycles = 0
        self._last_error = ""
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()  # set by stop(), a queued control or read
        self._last_cycle: tuple[float, int, int, float] | None = None  # seconds, requests, bytes, wire

    # ----------------------------------------------------------------- API

    def subscribe(self, listener: Callable[[Snapshot], None]) -> None:
        """Call ``listener(snapshot)`` after every cycle; it must not block."""
        self._listeners.append(listener)

    def subscribe_controls(self, listener: Callable[[ControlResult], None]) -> None:
        self._control_listeners.append(listener)

    async def submit(self, control: str, *, source: str = "", user: str = "", unit: int | None = None) -> ControlResult:
        """Queue a control; returns once it was written (or refused)."""
        request = ControlRequest(control, source=source, user=user, unit=unit)
        if not self.snapshot.communicating:
            return self._finish(request, False, "the UPS is not communicating")
        await self._controls.put(request)
        self._wake.set()
        return await request.future

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def reconfigure(self, config: PollerConfig) -> None:
        """Apply new serial settings to the running poller (synchronous, from the event loop).

        Polling rate, fast lane, request retries, serial timeouts, failed-cycle count
        and reconnect delay take effect from the next request or cycle (a wait under
        way is recomputed). A change of device, baud rate, slave id or auto-detection
        closes the link after the request under way and detects the UPS again;
        communication is declared lost only if that detection does not find it.
        """
        old, self.config = self.config, config
        self._config_version += 1
        if self._link is not None:
            self._link.retries = config.request_retries
            self._link.serial_timeout = config.serial_timeout(self._link.baud_rate)
        if old.link_settings() != config.link_settings():
            log.info("serial link settings changed: detecting the UPS again")
            self._relink = True
        self._wake.set()

    @property
    def register_map(self) -> RegisterMap | None:
        return self._map

    @property
    def identity_registers(self) -> tuple[RegisterBlock, ...]:
        """The identity tables as read once after detection, every device, absolute addresses."""
        return self._identity_registers

    async def read_through(self, address: int, count: int, timeout: float) -> tuple[int, ...]:
        """Read ``count`` registers at ``address`` between two cycle reads, like a control.

        Raises :class:`LinkError` when the UPS answers with an exception or does not
        answer, and :class:`TimeoutError` after ``timeout`` seconds (MTC §16: 500 ms).
        """
        if not self.snapshot.communicating or self._link is None:
            raise LinkError("io", "the UPS is not communicating")
        request = _PassThroughRead(address, count, asyncio.get_running_loop().create_future())
        self._reads.append(request)
        self._wake.set()
        # On timeout wait_for cancels the future; the poller then skips the request.
        return await asyncio.wait_for(request.future, timeout)

    async def run(self) -> None:
        """Detect, identify and poll until :meth:`stop`; re-detect after every loss."""
        try:
            while not self._stopping.is_set():
                self._relink = False
                if not await self._detect():
                    if self.snapshot.communication.state is CommunicationState.OK:
                        # Not found again after a change of the link settings.
                        self._declare_lost()
                    await self._sleep(self.config.reconnect_delay)
                    continue
                try:
                    await self._identify()
                    await self._poll_until_lost()
                except LinkError as error:
                    self._cycle_failed(error)
                    self._declare_lost()
                finally:
                    self._close()
        finally:
            self._close()
            self._refuse_pending("the poller stopped")

    async def probe(self) -> Snapshot:
        """One detection, identification and full cycle (``netvision probe``)."""
        try:
            if not await self._detect():
                raise LinkError("timeout", f"no UPS answered on {self.config.device}: {self._last_error}")
            await self._identify()
            await self._read_slow(force=True)
            await self._cycle()
            return self.snapshot
        finally:
            self._close()

    # ----------------------------------------------------------- detection

    async def _detect(self) -> bool:
        for baud_rate in self.config.baud_candidates():
            if self._stopping.is_set():
                return False
            link = ModbusLink(
                self.config.device,
                baud_rate,
                slave_id=self.config.slave_id,
                retries=0,
                serial_timeout=self.config.serial_timeout(baud_rate),
                counters=self.counters,
            )
            try:
                await link.open()
            except LinkError as error:
                self._last_error = str(error)
                log.warning("serial port %s: %s", self.config.device, error)
                return False
            for register_map in self.maps:
                block = register_map.block(register_map.probe_block)
                address = block_address(block, register_map.single_unit_number)
                try:
                    await link.read(address, block.count)
                except LinkError as error:
                    self._last_error = f"{register_map.title} at {baud_rate} baud: {error}"
                    if error.kind == "io":
                        break
                    continue
                log.info("UPS found: %s map at %d baud", register_map.title, baud_rate)
                link.retries = self.config.request_retries
                self._link, self._map = link, register_map
                return True
            link.close()
        self._publish_detection_failure()
        return False

    def _publish_detection_failure(self) -> None:
        state = self.snapshot.communication.state
        if state is CommunicationState.STARTING:
            self._publish(replace(self.snapshot, communication=self._communication(state)))

    def _close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    # ------------------------------------------------------ identification

    async def _read_blocks(
        self, unit: int, names: Iterable[str], optional: bool = False
    ) -> dict[str, tuple[int, ...]]:
        """Read blocks of one device; with ``optional``, a block the device answers
        with an exception is left out instead of failing the read."""
        assert self._link is not None and self._map is not None
        blocks: dict[str, tuple[int, ...]] = {}
        for request in plan_reads(self._map, unit, names):
            try:
                words = await self._link.read(request.address, request.count)
            except LinkError as error:
                if not (optional and error.kind == "exception"):
                    raise
                continue
            for block, offset, count in request.parts:
                blocks[block.name] = words[offset : offset + count]
            await self._service_controls()
        return blocks

    async def _read_identity(self, unit: int) -> dict[str, tuple[int, ...]]:
        """The probe block must answer; the other identity blocks (reference,
        user texts…) are read one by one and may be missing on a unit."""
        assert self._map is not None
        probe = self._map.probe_block
        blocks = await self._read_blocks(unit, [probe])
        for name in self._map.identity_blocks:
            if name != probe:
                blocks.update(await self._read_blocks(unit, [name], optional=True))
        return blocks

    async def _identify(self) -> None:
        register_map = self._map
        assert register_map is not None
        single = register_map.single_unit_number
        blocks = await self._read_identity(single)
        identity_registers = self._register_blocks(single, blocks)
        identity = decode_identity(register_map, blocks)
        status = await self._read_blocks(single, register_map.cycle_blocks)
        topology = decode_topology(register_map, identity, {**blocks, **status})
        devices = [_Device(0, single, identity=identity)]
        if topology.is_parallel:
            # The system's own tables are at unit 0 (docs/decisions.md).
            try:
                system_blocks = await self._read_identity(0)
                identity = decode_identity(register_map, system_blocks)
                identity_registers.update(self._register_blocks(0, system_blocks))
            except LinkError as error:
                if error.kind != "exception":
                    raise
            devices = [_Device(0, 0, identity=identity)]
            for number in topology.units:
                unit_blocks = await self._read_identity(number)
                identity_registers.update(self._register_blocks(number, unit_blocks))
                unit_identity = decode_identity(register_map, unit_blocks)
                devices.append(_Device(number, number, identity=unit_identity))
        elif topology.kind is TopologyKind.MODULAR_UNIT and register_map.polls_modules:
            devices += [_Device(number, number) for number in topology.modules]
        if self._keep_states:
            # Detected again after a change of the link settings: the alarms keep their times.
            previous = {device.number: device for device in self._devices}
            for device in devices:
                if device.number in previous:
                    device.state, device.blocks = previous[device.number].state, previous[device.number].blocks
            self._keep_states = False
        self._identity, self._topology, self._devices = identity, topology, devices
        self._identity_registers = tuple(identity_registers[address] for address in sorted(identity_registers))
        self._unavailable_slow.clear()
        self._has_clock = False
        log.info(
            "identified %s %s (serial %s), %s with %d unit(s)/module(s)",
            register_map.title,
            identity.model,
            identity.serial_number or "?",
            topology.kind.value,
            len(devices) - 1,
        )

    def _register_blocks(self, unit: int, blocks: Mapping[str, tuple[int, ...]]) -> dict[int, RegisterBlock]:
        assert self._map is not None
        registers = {}
        for name, words in blocks.items():
            address = block_address(self._map.block(name), unit)
            registers[address] = RegisterBlock(name, address, tuple(words))
        return registers

    # ------------------------------------------------------------- polling

    async def _poll_until_lost(self) -> None:
        """Cycles until the UPS is lost, the poller stops or the link settings change."""
        loop = asyncio.get_running_loop()
        await self._read_slow(force=True)
        while not self._stopping.is_set() and not self._relink:
            started = loop.time()
            self._measure_period(started)
            try:
                await self._cycle()
            except LinkError as error:
                if self._relink:
                    break
                # No fast read until a cycle succeeds: a late answer must land in idle time.
                self._fast_lane_ok = False
                self._cycle_failed(error)
                if self._failed_cycles >= self.config.failed_cycles_before_lost:
                    self._declare_lost()
                    return
            else:
                if self._cycles % self.config.slow_every == 0:
                    await self._read_slow()
                if self._topology_changed():
                    await self._identify()
            await self._between_cycles(started)
        if self._relink:
            self._keep_states = True

    def _measure_period(self, started: float) -> None:
        """Link utilisation over the period that ends now: wire time / wall time."""
        wire = self.counters.wire_seconds
        if self._period is not None and started > self._period[0]:
            self._utilisation = (wire - self._period[1]) / (started - self._period[0])
        self._period = (started, wire)

    async def _between_cycles(self, started: float) -> None:
        """Wait for the next cycle (Polling Rate, §18.2: the period between the starts of
        two cycles), reading the fast lane meanwhile. Settings are read afresh after
        every wait, so that a new polling rate or fast lane applies at once."""
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set() and not self._relink:
            next_cycle = started + self.config.polling_rate
            fast_due = self._fast_read_due(next_cycle)
            target = fast_due if fast_due is not None else next_cycle
            now = loop.time()
            if target > now:
                await self._sleep(target - now, wake_on_control=True)
                continue
            if fast_due is None:
                return
            await self._fast_read()

    def _fast_read_due(self, next_cycle: float | None = None) -> float | None:
        """When the next fast read should start, or None (no fast lane, or the next cycle
        comes first). A fast read starts early by its own duration, so that the words it
        publishes are never more than ``fast_lane`` newer than the last ones read."""
        fast = self.config.fast_lane
        if fast <= 0 or not self._fast_lane_ok:
            return None
        due = self._sampled_at + fast - min(self._fast_read_seconds, fast / 2)
        if next_cycle is not None:
            # None when the next cycle publishes the system's words in time, or a fast
            # read was just made for want of that; else at the latest when the cycle starts.
            if next_cycle + self._cycle_status_seconds <= self._sampled_at + fast or self._sampled_at >= next_cycle:
                return None
            due = min(due, next_cycle)
        return due

    async def _fast_read(self) -> None:
        """The system's status and alarm words; a new snapshot if they changed."""
        register_map, topology = self._map, self._topology
        assert register_map is not None and topology is not None and self._devices
        system = self._devices[0]
        loop = asyncio.get_running_loop()
        self._sampled_at = loop.time()
        counters = self.counters
        before = (counters.requests, counters.bytes_sent + counters.bytes_received, counters.wire_seconds)
        try:
            blocks = await self._read_blocks(system.address_unit, register_map.fast_blocks)
        except LinkError as error:
            # Never a failed cycle: the next full cycle tells whether the UPS is still there.
            log.debug("fast lane read failed: %s", error)
            self._fast_lane_ok = False
            return
        finally:
            seconds, requests, data, wire = self._fast_cost
            self._fast_cost = (
                seconds + loop.time() - self._sampled_at,
                requests + counters.requests - before[0],
                data + counters.bytes_sent + counters.bytes_received - before[1],
                wire + counters.wire_seconds - before[2],
            )
        self._fast_read_seconds = loop.time() - self._sampled_at
        self._fast_reads += 1
        if system.state is None:
            return
        now = utc_now()
        if any(system.blocks.get(name) != words for name, words in blocks.items()):
            system.blocks = {**system.blocks, **blocks}
            system.state = decode_device(
                register_map,
                system.number,
                system.blocks,
                {name: block_address(register_map.block(name), system.address_unit) for name in system.blocks},
                system.identity.configuration if system.identity else {},
                system.state,
                now,
                topology.battery_present,
            )
        # Also words a cycle under way read but has not published yet.
        if self._system_fast_words() != self._published_words:
            self._publish(self._build_snapshot(CommunicationState.OK, now))

    def _system_fast_words(self) -> dict[str, tuple[int, ...] | None]:
        if self._map is None or not self._devices:
            return {}
        return {name: self._devices[0].blocks.get(name) for name in self._map.fast_blocks}

    async def _cycle(self) -> None:
        assert self._map is not None and self._topology is not None
        loop = asyncio.get_running_loop()
        before = (self.counters.requests, self.counters.bytes_sent + self.counters.bytes_received, self.counters.wire_seconds)
        fast_before = self._fast_cost
        started = loop.time()
        self._sampled_at = started
        self._fast_lane_ok = True
        now = utc_now()
        configuration = self._identity.configuration if self._identity else {}
        device_seconds = 0.0  # how long the last device read took
        for index, device in enumerate(self._devices):
            # A long cycle (the units of a parallel system) lets the fast lane in between
            # two devices: before a device read that would end after the fast read is due.
            due = self._fast_read_due() if index else None
            if due is not None and loop.time() + device_seconds >= due:
                await self._fast_read()
            device_started = loop.time()
            blocks = await self._read_blocks(device.address_unit, self._map.cycle_blocks)
            device_seconds = loop.time() - device_started
            addresses = {
                name: block_address(self._map.block(name), device.address_unit) for name in blocks
            }
            device.state = decode_device(
                self._map,
                device.number,
                blocks,
                addresses,
                device.identity.configuration if device.identity else configuration,
                device.state,
                now,
                self._topology.battery_present,
            )
            device.blocks = blocks
            if index == 0 and len(self._devices) > 1 and self.config.fast_lane > 0:
                self._cycle_status_seconds = loop.time() - started
                if self._system_fast_words() != self._published_words:
                    # The units of a long cycle are still to be read: the system's new
                    # statuses are published now, as the fast lane would.
                    self._publish(self._build_snapshot(CommunicationState.OK, now))
        if len(self._devices) == 1:
            self._cycle_status_seconds = loop.time() - started
        self._cycles += 1
        self._failed_cycles = 0
        self._last_error = ""
        fast = [after - earlier for after, earlier in zip(self._fast_cost, fast_before, strict=True)]
        self._last_cycle = (
            loop.time() - started - fast[0],
            self.counters.requests - before[0] - int(fast[1]),
            self.counters.bytes_sent + self.counters.bytes_received - before[1] - int(fast[2]),
            self.counters.wire_seconds - before[2] - fast[3],
        )
        self._publish(self._build_snapshot(CommunicationState.OK, now))

    async def _read_slow(self, force: bool = False) -> None:
        """Permissions and UPS clock. A block a device answers with an exception is
        absent from that device and not asked again; any other failure ends these
        reads, and is raised when ``force`` is set (at start and before a control)."""
        register_map = self._map
        if register_map is None or self._link is None:
            return
        # Per-unit tables exist on the units of a parallel system, not at system level.
        if self._topology_is_parallel():
            physical_units = [device.address_unit for device in self._devices[1:]]
        else:
            physical_units = [self._devices[0].address_unit]
        for name in register_map.slow_blocks:
            block = register_map.block(name)
            for unit in physical_units if block.per_unit else [0]:
                if (name, unit) in self._unavailable_slow:
                    continue
                address = block_address(block, unit)
                try:
                    words = await self._link.read(address, block.count)
                except LinkError as error:
                    if error.kind == "exception":
                        self._unavailable_slow.add((name, unit))
                        continue
                    if force:
                        raise
                    return
                for offset, word in enumerate(words):
                    self._slow_words[address + offset] = word
                if name == register_map.clock_block:
                    self._ups_time = decode_ups_time(words)
                    self._has_clock = any(word != NOT_MANAGED for word in words)

    def _topology_is_parallel(self) -> bool:
        return self._topology is not None and self._topology.is_parallel

    def _topology_changed(self) -> bool:
        """Maps that announce the architecture in status bits (JBUSP S30, S32–S37) tell
        units joining or leaving a parallel system while polling."""
        register_map = self._map
        if register_map is None or not register_map.topology_in_statuses or self._topology is None:
            return False
        system = self._devices[0].state
        if system is None or self._identity is None:
            return False
        parallel = system.condition("parallel_system")
        units = register_map.present_units(system.statuses)
        if parallel != self._topology.is_parallel:
            return True
        return parallel and units != self._topology.units

    def _cycle_failed(self, error: LinkError) -> None:
        self._failed_cycles += 1
        self._last_error = str(error)
        log.warning(
            "poll cycle failed (%d/%d): %s",
            self._failed_cycles,
            self.config.failed_cycles_before_lost,
            error,
        )
        if self.snapshot.communication.state is CommunicationState.OK:
            self._publish(replace(self.snapshot, communication=self._communication(CommunicationState.OK)))

    def _declare_lost(self) -> None:
        if self.snapshot.communication.state is CommunicationState.LOST:
            return
        log.error("communication with the UPS lost: %s", self._last_error)
        self._keep_states = False
        self._publish(self._build_snapshot(CommunicationState.LOST, utc_now()))
        self._refuse_pending("communication with the UPS was lost")

    # ------------------------------------------------------------ controls

    def _pass_through_allowed(self) -> bool:
        """Whether a pass-through read may use the link now: each polling period grants
        them ``pass_through_share`` of its time; the rest wait for the next period."""
        now = asyncio.get_running_loop().time()
        if now - self._through_period_start >= self.config.polling_rate:
            self._through_period_start, self._through_spent = now, 0.0
        return self._through_spent < self.config.pass_through_share * self.config.polling_rate

    def _pass_through_renewal(self) -> float:
        """Seconds until the pass-through reads get a new share of the link."""
        now = asyncio.get_running_loop().time()
        return max(0.0, self._through_period_start + self.config.polling_rate - now)

    async def _service_controls(self) -> None:
        loop = asyncio.get_running_loop()
        while self._reads and self._link is not None:
            while self._reads and self._reads[0].future.done():  # its caller gave up waiting
                self._reads.popleft()
            if not self._reads or not self._pass_through_allowed():
                break
            read = self._reads.popleft()
            started = loop.time()
            try:
                words = await self._link.read(read.address, read.count)
            except LinkError as error:
                # A failed pass-through read is the caller's answer, never a failed cycle.
                if not read.future.done():
                    read.future.set_exception(error)
            else:
                if not read.future.done():
                    read.future.set_result(words)
            finally:
                self._through_spent += loop.time() - started
        while not self._controls.empty():
            request = self._controls.get_nowait()
            try:
                await self._apply_control(request)
            except ControlRefused as refusal:
                self._finish(request, False, str(refusal))
            except LinkError as error:
                self._finish(request, False, f"the UPS did not accept the control: {error}")
            else:
                self._finish(request, True, "")

    async def _apply_control(self, request: ControlRequest) -> None:
        register_map = self._map
        if register_map is None or self._link is None or self._topology is None:
            raise ControlRefused("the UPS is not communicating")
        encoding = register_map.controls.get(request.control)
        if encoding is None:
            raise ControlRefused(f"{request.control} is not available on a {register_map.title} device")
        # Controls go to the system (§16.1); a per-unit control of a parallel
        # system is dispatched to every unit.
        if request.unit is not None:
            units = [request.unit]
        elif encoding.per_unit and self._topology.is_parallel:
            units = list(self._topology.units)
        else:
            units = [self._devices[0].address_unit]
        await self._read_slow(force=True)
        system = self._devices[0].state
        conditions = system.derived.conditions if system else {}
        for unit in units:
            reason = control_rules.check_permission(register_map, request.control, unit, self._slow_words, conditions)
            if reason:
                raise ControlRefused(reason)
        for unit in units:
            await self._link.write(control_rules.write_address(encoding, unit), encoding.value)
        log.info("control %s sent (%s %s)", request.control, request.source, request.user)

    def _finish(self, request: ControlRequest, accepted: bool, reason: str) -> ControlResult:
        result = ControlResult(request.control, accepted, reason, utc_now(), request.source, request.user)
        if not accepted:
            log.warning("control %s refused: %s", request.control, reason)
        self.control_results.append(result)
        if not request.future.done():
            request.future.set_result(result)
        for listener in self._control_listeners:
            try:
                listener(result)
            except Exception:
                log.exception("control listener failed")
        return result

    def _refuse_pending(self, reason: str) -> None:
        while self._reads:
            read = self._reads.popleft()
            if not read.future.done():
                read.future.set_exception(LinkError("io", reason))
        while not self._controls.empty():
            self._finish(self._controls.get_nowait(), False, reason)

    # ------------------------------------------------------------ snapshot

    def _communication(self, state: CommunicationState) -> Communication:
        counters = self.counters
        last = self._last_cycle
        statistics = PollStatistics(
            cycles=self._cycles,
            requests=counters.requests,
            errors=counters.errors,
            timeouts=counters.timeouts,
            crc_errors=counters.crc_errors,
            wrong_slave=counters.wrong_slave,
            exceptions=counters.exceptions,
            bytes_sent=counters.bytes_sent,
            bytes_received=counters.bytes_received,
            consecutive_failed_cycles=self._failed_cycles,
            last_cycle_seconds=last[0] if last else None,
            last_cycle_requests=last[1] if last else 0,
            last_cycle_bytes=last[2] if last else 0,
            last_cycle_wire_seconds=last[3] if last else None,
            fast_reads=self._fast_reads,
            link_utilisation=self._utilisation,
        )
        previous = self.snapshot.communication
        since = previous.since if previous.state is state else utc_now()
        return Communication(
            state=state,
            since=since,
            baud_rate=self._link.baud_rate if self._link else previous.baud_rate,
            map_name=self._map.name if self._map else None,
            statistics=statistics,
            last_error=self._last_error,
            last_read=self.snapshot.last_read,
        )

    def _build_snapshot(self, state: CommunicationState, now: datetime) -> Snapshot:
        def state_of(device: _Device) -> DeviceState | None:
            if device.state is None or state is CommunicationState.OK:
                return device.state
            return replace(device.state, derived=derive_lost())

        system = state_of(self._devices[0]) if self._devices else None
        units: tuple[Unit, ...] = ()
        modules: tuple[Module, ...] = ()
        if self._topology is not None:
            others = [(device, state_of(device)) for device in self._devices[1:]]
            if self._topology.is_parallel:
                units = tuple(Unit(d.number, s, d.identity) for d, s in others if s is not None)
            else:
                modules = tuple(Module(d.number, s) for d, s in others if s is not None)
        if state is CommunicationState.OK:
            self._published_words = self._system_fast_words()
        permitted: dict[str, bool] = {}
        remote = False
        if self._map is not None and system is not None and state is CommunicationState.OK:
            unit = self._devices[0].address_unit
            if self._topology_is_parallel() and self._topology is not None and self._topology.units:
                unit = self._topology.units[0]
            conditions = system.derived.conditions
            permitted = control_rules.permissions(self._map, unit, self._slow_words, conditions)
            remote = control_rules.remote_permitted(self._map, self._slow_words, conditions)
        return Snapshot(
            sequence=self.snapshot.sequence + 1,
            time=now,
            communication=self._communication(state),
            identity=self._identity,
            topology=self._topology,
            system=system,
            units=units,
            modules=modules,
            permissions=permitted,
            remote_controls_permitted=remote,
            ups_time=self._ups_time,
            has_clock=self._has_clock,
            valid_until=now + timedelta(seconds=self._validity()),
        )

    def _validity(self) -> float:
        """How long a snapshot stands for the UPS: until communication would be declared
        lost had every following cycle failed, plus a second of slack."""
        period = max(self.config.polling_rate, self._last_cycle[0] if self._last_cycle else 0.0)
        return (self.config.failed_cycles_before_lost + 1) * period + 1.0

    def _publish(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        for listener in self._listeners:
            try:
                listener(snapshot)
            except Exception:
                log.exception("snapshot listener failed")

    async def _sleep(self, seconds: float, wake_on_control: bool = False) -> None:
        """Sleep, but wake at once to stop, or to serve a queued control or read; return
        early when the settings changed, so that the caller recomputes its wait."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        version = self._config_version
        while not self._stopping.is_set() and not self._relink and version == self._config_version:
            reads_ready = bool(self._reads) and self._pass_through_allowed()
            if wake_on_control and (not self._controls.empty() or reads_ready):
                await self._service_controls()
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            if wake_on_control and self._reads:
                # Reads wait for their next share of the link: wake when it comes.
                remaining = min(remaining, self._pass_through_renewal() + 0.001)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=remaining)
            except TimeoutError:
                if loop.time() >= deadline:
                    return
