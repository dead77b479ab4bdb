"""The simulated UPS or STS: state, scenarios, controls, and its register tables.

Pure code, no I/O: rtu.py serves :meth:`SimulatedDevice.read` and
:meth:`SimulatedDevice.write` on a serial line. Every word is encoded from the
map data only (block addresses, bit positions, measurement scale, VU-MAP
``factor10`` columns, signed words, ASCII byte order), so the poller decodes
what a real UPS of that map would send.

Address layout (docs/decisions.md): unit N of a parallel system, or module N
of a modular VU-MAP unit, answers at ``unit_address(address, N)``; the system
at N = 0. A single JBUSP UPS answers at the manual's 0x1xxx addresses (unit 1),
a single VU-MAP UPS or STS at the manual's addresses (unit 0).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from netvision.ups.maps import MAPS_BY_NAME
from netvision.ups.maps.base import (
    NOT_MANAGED,
    Block,
    ConfigWord,
    ControlEncoding,
    Measurement,
    RegisterMap,
    TextField,
    unit_address,
)
from netvision.ups.maps.jbusp import not_managed_measurements

from . import bits as map_bits
from .physics import (
    BATTERY_AH,
    BATTERY_TEST_SECONDS,
    NOMINAL_FREQUENCY,
    NOMINAL_VOLTAGE,
    OVERLOAD_LOAD,
    POWER_FACTOR,
    Jitter,
    StsPower,
    UpsPower,
    aggregate,
    sts_measurements,
    ups_measurements,
)

ILLEGAL_ADDRESS = 0x02
ILLEGAL_VALUE = 0x03
DEVICE_FAILURE = 0x04

TOPOLOGIES: tuple[str, ...] = ("single_phase", "three_phase", "modular", "parallel", "converter")
UPS_SCENARIOS: tuple[str, ...] = (
    "normal",
    "mains_failure",
    "battery_low",
    "imminent_stop",
    "mains_restored",
    "overload",
    "bypass",
    "eco_mode",
    "maintenance_bypass",
    "load_off",
    "battery_test",
)
STS_SCENARIOS: tuple[str, ...] = (
    "normal",
    "source1_failure",
    "source_restored",
    "load_off",
    "overload",
    "imminent_stop",
)

DEFAULT_MODELS: Mapping[str, str | int] = {"jbusp": 87, "vumap": 0x8300, "sts": "STATYS"}
# A modular unit is a MODULYS: JBUSP MODULYS 3/1 UPS (84), VU-MAP MODULYS GP 2.0.
DEFAULT_MODULAR_MODELS: Mapping[str, int] = {"jbusp": 84, "vumap": 0x8100}
# A single-phase default: JBUSP MASTERYS 1/1 UPS (27).
DEFAULT_SINGLE_PHASE_MODELS: Mapping[str, int] = {"jbusp": 27}
MAX_MODULES = 8  # a modular unit holds up to 8 modules (EN §7.4; VU-MAP T003 b00–b07)
FIRMWARE_VERSION = 1.0
BATTERY_TEST_RESULTS = ("pass", "fail")
# VU-MAP T001 installation codes (MSB installation, LSB device type, App. VU-MAP).
VUMAP_SINGLE = 0x0101
VUMAP_MODULAR = 0x0801
VUMAP_PARALLEL = 0x0601
VUMAP_BYPASS_MODULE_BIT = 13  # T003 b13
VUMAP_ECO_ENABLED_BIT = 0  # T008 b00
VUMAP_STANDBY_SCHEDULE_BIT = 6  # T008 b06
VUMAP_BATTERY_PRESENT_BIT = 0  # T010 b00
JBUSP_BIT_TABLE_SLOT = 0x20  # status 0x1020–0x103F, alarms 0x1040–0x105F


class ModbusError(Exception):
    """A request the device refuses, with the Modbus exception code it answers."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message or f"Modbus exception 0x{code:02X}")
        self.code = code


@dataclass
class Node:
    """One addressed device: the system (0), a unit or module (1–15), or a single UPS."""

    number: int
    role: str  # "single" | "system" | "unit" | "module"
    nominal_kva: float
    battery_share: float
    serial: str
    jitter: Jitter
    blocks: tuple[str, ...]
    forced_on: set[str] = field(default_factory=set)
    forced_off: set[str] = field(default_factory=set)


def _normalise(name: str) -> str:
    return " ".join(name.upper().replace("MASTERYYS", "MASTERYS").split())


def _phases_from_range(name: str | None) -> tuple[int, int] | None:
    # JBUSP range names carry the phases: "MASTERYS 3/1 UPS" = 3 in, 1 out.
    for token in (name or "").split():
        if len(token) == 3 and token[1] == "/" and token[0] in "13" and token[2] in "13":
            return int(token[0]), int(token[2])
    return None


def _control_register(register: int, unit: int | None) -> int:
    """A control's command or permission register as ``unit`` answers it (None: the
    system-level register, as the map gives it)."""
    return unit_address(register, unit) if unit is not None else register


def _text_words(text: str, words: int, low_byte_first: bool) -> list[int]:
    data = text.encode("ascii", errors="replace")[: 2 * words].ljust(2 * words, b" ")
    result = []
    for index in range(words):
        first, second = data[2 * index], data[2 * index + 1]
        result.append(second << 8 | first if low_byte_first else first << 8 | second)
    return result


class SimulatedDevice:
    """A UPS (JBUSP or VU-MAP map) or a STATYS STS (STS map) and its register tables.

    ``nominal_kva`` is the rating of one UPS (of each unit of a parallel system,
    of the whole modular unit). ``discharge_speed`` multiplies battery discharge
    and recharge so that tests reach "battery low" in seconds.
    """

    def __init__(
        self,
        map_name: str = "jbusp",
        model: str | int | None = None,
        topology: str = "three_phase",
        *,
        modules: int = 4,
        units: int = 2,
        bypass: str = "distributed",
        nominal_kva: float | None = None,
        seed: int = 0,
        discharge_speed: float = 1.0,
        measure_factor: int = 1,
        battery_test_seconds: float = BATTERY_TEST_SECONDS,
        start_time: datetime | None = None,
    ) -> None:
        if map_name not in MAPS_BY_NAME:
            raise ValueError(f"unknown map {map_name!r} (one of {', '.join(sorted(MAPS_BY_NAME))})")
        if topology not in TOPOLOGIES:
            raise ValueError(f"unknown topology {topology!r} (one of {', '.join(TOPOLOGIES)})")
        if bypass not in ("distributed", "centralized"):
            raise ValueError("bypass must be 'distributed' or 'centralized'")
        if measure_factor not in (0, 1):
            raise ValueError("measure_factor (VU-MAP T014) is 0 or 1")
        self.map: RegisterMap = MAPS_BY_NAME[map_name]
        self.map_name = map_name
        self.is_sts = self.map.device_kind == "sts"
        if self.is_sts and topology not in ("three_phase", "single_phase"):
            raise ValueError("an STS is a single device: topology three_phase or single_phase")
        if topology == "parallel" and not 2 <= units <= self.map.max_units:
            raise ValueError(f"a {self.map.title} parallel system has 2 to {self.map.max_units} units")
        if topology == "modular" and not 1 <= modules <= MAX_MODULES:
            raise ValueError(f"a modular unit has 1 to {MAX_MODULES} modules")
        if topology == "parallel" and bypass == "centralized" and map_name == "vumap" and units > 13:
            # T003 b13 is the bypass module: units 14 and 15 cannot be shown with it.
            raise ValueError("a VU-MAP centralized-bypass system has at most 13 units")
        self.topology = topology
        self.units = units if topology == "parallel" else 1
        self.modules = modules if topology == "modular" else 0
        self.bypass = bypass
        self.seed = seed
        self.measure_factor = measure_factor
        self.battery_test_seconds = battery_test_seconds
        self.battery_present = topology != "converter" and not self.is_sts
        self._rng = random.Random(seed)
        self.sim_seconds = 0.0
        self.start_time = start_time or datetime.now().replace(microsecond=0)
        self.model_code, self.model_name = self._resolve_model(model)
        self.input_phases, self.output_phases = self._phases()
        self.not_managed = self._not_managed_keys()
        default_kva = 10.0 if self.output_phases == 1 else 20.0
        if topology == "modular":
            default_kva = 25.0 * self.modules
        if self.is_sts:
            default_kva = 40.0
        self.nominal_kva = float(nominal_kva if nominal_kva is not None else default_kva)
        if self.nominal_kva <= 0:
            raise ValueError("nominal_kva must be positive")
        self.ups = UpsPower(battery_present=self.battery_present, discharge_speed=discharge_speed)
        self.sts = StsPower()
        self.permitted: dict[str, bool] = {name: True for name in self.map.controls}
        self.remote_permitted = True
        self.permission_table = True  # JBUSP S42 "Controls permission table managed"
        # The UPS manages the Standby Schedule (JBUSP S29, VU-MAP T008 b06): UPS shut-off.
        self.standby_schedule = True
        self.control_log: list[tuple[str, int | None]] = []
        self.scenario_name = "normal"
        self.nodes: dict[int, Node] = {node.number: node for node in self._build_nodes()}
        self.top = min(self.nodes)  # the system level, or the single UPS
        self._layout: dict[int, tuple[Node | None, Block]] = {}
        self._place_blocks()
        self._writable = self._control_addresses()
        self._image: dict[int, int] | None = None

    # -- construction ---------------------------------------------------------------------

    def _resolve_model(self, model: str | int | None) -> tuple[int | None, str]:
        if self.is_sts:
            return None, str(model or DEFAULT_MODELS["sts"])
        if model is None:
            if self.topology == "modular":
                model = DEFAULT_MODULAR_MODELS[self.map_name]
            elif self.topology == "single_phase":
                model = DEFAULT_SINGLE_PHASE_MODELS.get(self.map_name, DEFAULT_MODELS[self.map_name])
            else:
                model = DEFAULT_MODELS[self.map_name]
        code: int | None = None
        if isinstance(model, int):
            code = model
        elif model.strip().isdigit() or model.strip().lower().startswith("0x"):
            code = int(model.strip(), 0)
        else:
            for entry in self.map.ranges:
                if _normalise(entry.name) == _normalise(model):
                    code = entry.first
                    break
            if code is None:
                names = ", ".join(entry.name for entry in self.map.ranges)
                raise ValueError(f"unknown {self.map.title} model {model!r} (one of {names})")
        name = self.map.range_name(code)
        if name is None:
            raise ValueError(f"type code {code} is not in the {self.map.title} range table")
        return code, name

    def _phases(self) -> tuple[int, int]:
        if self.map_name == "jbusp":
            from_range = _phases_from_range(self.model_name)
            if from_range is not None:
                return from_range
        return (1, 1) if self.topology == "single_phase" else (3, 3)

    def _not_managed_keys(self) -> frozenset[str]:
        """Measurement keys this model answers 0xFFFF for (App. JBUSP, per range column)."""
        if self.map_name != "jbusp":
            return frozenset()
        acronyms = not_managed_measurements(self.model_code)
        return frozenset(m.key for m in self.map.measurements if m.key and m.acronym in acronyms)

    def system_code(self) -> int | None:
        """JBUSP type code of the system level: the range's SYSTEM code (86 for MASTERYS 3/1)."""
        if self.map_name != "jbusp" or self.model_code is None:
            return self.model_code
        name = _normalise(self.model_name)
        for suffix in (" UPS", " SINGLE UNIT"):
            if name.endswith(suffix):
                wanted = name[: -len(suffix)] + " SYSTEM"
                for entry in self.map.ranges:
                    if _normalise(entry.name) == wanted:
                        return entry.first
        return self.model_code

    def _serial(self, number: int) -> str:
        return f"SIM{self.seed % 100000:05d}{number:02d}"

    def _build_nodes(self) -> list[Node]:
        per_unit = tuple(block.name for block in self.map.blocks if block.per_unit)
        if self.map_name == "jbusp":
            system_blocks = tuple(
                name
                for name in ("identification", "status", "alarms", "measurements", "configuration")
                if self.map.has_block(name)
            )
            unit_blocks = per_unit
        else:
            system_blocks = per_unit
            unit_blocks = tuple(
                name
                for name in (
                    "configuration",
                    "serial_number",
                    "reference",
                    "status",
                    "alarms",
                    "measurements",
                )
                if self.map.has_block(name)
            )

        def node(number: int, role: str, kva: float, share: float, blocks: tuple[str, ...]) -> Node:
            jitter = Jitter(random.Random(f"{self.seed}:{number}"))
            return Node(number, role, kva, share, self._serial(number), jitter, blocks)

        single_number = self.map.single_unit_number
        if self.topology == "parallel":
            nodes = [node(0, "system", self.nominal_kva * self.units, float(self.units), system_blocks)]
            nodes += [node(k, "unit", self.nominal_kva, 1.0, unit_blocks) for k in range(1, self.units + 1)]
            return nodes
        if self.topology == "modular" and self.map_name == "vumap":
            module_kva = self.nominal_kva / self.modules
            nodes = [node(0, "system", self.nominal_kva, 1.0, system_blocks)]
            nodes += [
                node(k, "module", module_kva, 1.0 / self.modules, unit_blocks)
                for k in range(1, self.modules + 1)
            ]
            return nodes
        return [node(single_number, "single", self.nominal_kva, 1.0, per_unit)]

    def _place_blocks(self) -> None:
        placements: list[tuple[int, Node | None, Block]] = []
        for block in self.map.blocks:
            if not block.per_unit:
                placements.append((block.address, None, block))
        for node in self.nodes.values():
            for name in node.blocks:
                block = self.map.block(name)
                placements.append((unit_address(block.address, node.number), node, block))
        for start, owner, block in placements:
            for address in range(start, start + block.count):
                if address in self._layout:
                    raise ValueError(f"{self.map.title}: block {block.name} overlaps at 0x{address:04X}")
                self._layout[address] = (owner, block)
        self._block_starts = {
            (owner.number if owner else None, block.name): start for start, owner, block in placements
        }

    def _control_units(self, encoding: ControlEncoding) -> list[int | None]:
        if not encoding.per_unit:
            return [None]
        return [number for number, node in self.nodes.items() if node.role in ("single", "unit")]

    def _control_addresses(self) -> dict[int, list[tuple[str, ControlEncoding, int | None]]]:
        writable: dict[int, list[tuple[str, ControlEncoding, int | None]]] = {}
        for name, encoding in self.map.controls.items():
            for unit in self._control_units(encoding):
                address = _control_register(encoding.register, unit)
                writable.setdefault(address, []).append((name, encoding, unit))
        return writable

    # -- register access -------------------------------------------------------------------

    def read(self, address: int, count: int) -> list[int]:
        """Words ``address`` … ``address + count − 1``; an address outside every table is 0x02
        (JBUSP: the status and alarm tables run to the next table, their tail reads 0)."""
        if count < 1:
            raise ModbusError(ILLEGAL_VALUE, "count must be at least 1")
        image = self._current_image()
        words = []
        for current in range(address, address + count):
            if current not in image:
                raise ModbusError(ILLEGAL_ADDRESS, f"0x{current:04X} is not in a {self.map.title} table")
            words.append(image[current])
        return words

    def write(self, address: int, values: Sequence[int]) -> None:
        """Control register writes (function 0x06/0x10); anything else is 0x02."""
        for offset in range(len(values)):
            if address + offset not in self._writable:
                raise ModbusError(ILLEGAL_ADDRESS, f"0x{address + offset:04X} is not a control register")
        for offset, value in enumerate(values):
            self._write_control(address + offset, value)

    def registers(self, unit: int | None = None) -> dict[int, int]:
        """Every word the device serves (``unit`` given: those at 0xN…, N = unit)."""
        image = self._current_image()
        return {address: word for address, word in image.items() if unit is None or address >> 12 == unit}

    def block_address(self, name: str, unit: int | None = None) -> int:
        block = self.map.block(name)
        if not block.per_unit:
            return block.address
        return unit_address(block.address, self.top if unit is None else unit)

    def block_words(self, name: str, unit: int | None = None) -> list[int]:
        """The words of one table of the system/single UPS (or of ``unit``)."""
        block = self.map.block(name)
        return self.read(self.block_address(name, unit), block.count)

    def addresses(self) -> list[tuple[int, int, str, int | None]]:
        """Every table served: (address, count, block name, node number or None)."""
        return sorted(
            (start, self.map.block(name).count, name, number)
            for (number, name), start in self._block_starts.items()
        )

    # -- time ----------------------------------------------------------------------------------

    def tick(self, seconds: float) -> None:
        """Advance the simulated physics by ``seconds``."""
        if seconds <= 0:
            return
        self.sim_seconds += seconds
        if self.is_sts:
            self.sts.tick(seconds, self._rng)
        else:
            self.ups.tick(seconds, self._rng)
        for node in self.nodes.values():
            node.jitter.step(seconds)
        self._changed()

    def now(self) -> datetime:
        """The device's clock (JBUSP 0x1360): start time plus simulated seconds."""
        return self.start_time + timedelta(seconds=int(self.sim_seconds))

    def _changed(self) -> None:
        self._image = None

    # -- scenarios ----------------------------------------------------------------------------

    @property
    def scenarios(self) -> tuple[str, ...]:
        return STS_SCENARIOS if self.is_sts else UPS_SCENARIOS

    def scenario(self, name: str, **options: Any) -> None:
        """Put the device in a documented situation (see UPS_SCENARIOS / STS_SCENARIOS)."""
        if name not in self.scenarios:
            raise ValueError(f"unknown scenario {name!r} (one of {', '.join(self.scenarios)})")
        allowed = {"discharge_speed", "result", "load"}
        unknown = set(options) - allowed
        if unknown:
            raise ValueError(f"unknown scenario option(s): {', '.join(sorted(unknown))}")
        if self.is_sts:
            self._sts_scenario(name, options)
        else:
            self._ups_scenario(name, options)
        if name == "normal":
            # Back to normal also drops every bit set or masked by alarm() / status().
            for node in self.nodes.values():
                node.forced_on.clear()
                node.forced_off.clear()
        self.scenario_name = name
        self._changed()

    def _ups_scenario(self, name: str, options: Mapping[str, Any]) -> None:
        power = self.ups
        if "discharge_speed" in options:
            speed = float(options["discharge_speed"])
            if speed <= 0:
                raise ValueError("discharge_speed must be positive")
            power.discharge_speed = speed
        if name == "normal":
            speed = power.discharge_speed
            self.ups = UpsPower(battery_present=self.battery_present, discharge_speed=speed)
        elif name in ("mains_failure", "battery_low", "imminent_stop"):
            power.mains_present = False
            power.bypass_present = False
            power.eco = False
            power.test_remaining = None
            if not power.battery_present:
                power.path = "off"  # a converter has no battery to hold the load
            elif power.path in ("inverter", "bypass"):
                power.path = "inverter"
            if name == "battery_low":
                power.charge = min(power.charge, 0.15)
            elif name == "imminent_stop":
                power.charge = min(power.charge, 0.04)
        elif name == "mains_restored":
            power.mains_present = True
            power.bypass_present = True
            if power.path == "off" and not power.standby:
                power.path = "inverter"  # automatic restart when mains returns (not from standby)
        elif name == "overload":
            power.load = power.load_target = float(options.get("load", OVERLOAD_LOAD))
        elif name == "bypass":
            power.bypass_present = True
            power.path = "bypass"
            power.eco = False
        elif name == "eco_mode":
            power.bypass_present = True
            power.path = "bypass"
            power.eco = True
        elif name == "maintenance_bypass":
            power.path = "maintenance"
            power.eco = False
        elif name == "load_off":
            power.path = "off"
            power.eco = False
        elif name == "battery_test":
            result = options.get("result", "pass")
            if result not in BATTERY_TEST_RESULTS:
                raise ValueError("battery test result is 'pass' or 'fail'")
            self._start_battery_test(result)
        if "load" in options and name != "overload":
            self.ups.load = self.ups.load_target = float(options["load"])  # "normal" made a new one

    def _start_battery_test(self, result: str = "pass") -> None:
        self.ups.test_remaining = self.battery_test_seconds
        self.ups.test_result = result
        self.ups.test_failed = False

    def _sts_scenario(self, name: str, options: Mapping[str, Any]) -> None:
        power = self.sts
        if name == "normal":
            self.sts = StsPower()
        elif name == "source1_failure":
            power.source1_present = False
            power.transfer()
        elif name == "source_restored":
            power.source1_present = power.source2_present = True
            if power.active is not None:
                power.transfer()
        elif name == "load_off":
            power.active = None
        elif name == "overload":
            power.load = power.load_target = float(options.get("load", OVERLOAD_LOAD))
        elif name == "imminent_stop":
            power.forced_imminent_stop = True
        if "load" in options and name != "overload":
            self.sts.load = self.sts.load_target = float(options["load"])  # "normal" made a new one

    def alarm(self, acronym: str, on: bool = True, unit: int | None = None) -> None:
        """Raise or drop any alarm bit of the map (on the system/single UPS, or on ``unit``)."""
        self._force(acronym, on, unit, alarm=True)

    def status(self, acronym: str, on: bool = True, unit: int | None = None) -> None:
        """Set or clear any status bit of the map."""
        self._force(acronym, on, unit, alarm=False)

    def _force(self, acronym: str, on: bool, unit: int | None, *, alarm: bool) -> None:
        table = self.map.alarms if alarm else self.map.statuses
        if acronym not in {bit.acronym for bit in table}:
            kind = "alarm" if alarm else "status"
            raise ValueError(f"{self.map.title} has no {kind} bit {acronym!r}")
        node = self._node(unit)
        if on:
            node.forced_on.add(acronym)
            node.forced_off.discard(acronym)
        else:
            node.forced_on.discard(acronym)
            # A bit the physics sets stays masked until the next "normal" scenario.
            node.forced_off.add(acronym)
        self._changed()

    def _node(self, unit: int | None) -> Node:
        number = self.top if unit is None else unit
        if number not in self.nodes:
            raise ValueError(f"no unit {number} (units: {', '.join(map(str, sorted(self.nodes)))})")
        return self.nodes[number]

    # -- permissions and controls -----------------------------------------------------------

    def permissions(self, control: str = "all", allowed: bool = True) -> None:
        """Allow or forbid a control, ``"remote"`` (VU-MAP P000, JBUSP S06) or ``"all"``;
        ``"table"`` off makes a UPS without a permission table (JBUSP S42 = 0): its
        permission words read 0 and it accepts every control it has."""
        if control == "table":
            self.permission_table = allowed
        elif control == "all":
            for name in self.permitted:
                self.permitted[name] = allowed
            self.remote_permitted = allowed
        elif control == "remote":
            self.remote_permitted = allowed
        elif control in self.permitted:
            self.permitted[control] = allowed
        else:
            names = ", ".join(["all", "remote", "table", *self.permitted])
            raise ValueError(f"{self.map.title} has no control {control!r} (one of {names})")
        self._changed()

    def _write_control(self, address: int, value: int) -> None:
        candidates = self._writable[address]
        chosen = [entry for entry in candidates if entry[1].value == value]
        if not chosen:
            # Command bits (VU-MAP C000–C031): each set bit is one command.
            by_value = {entry[1].value: entry for entry in candidates}
            bits_set = [1 << bit for bit in range(16) if value >> bit & 1]
            if not all(bit in by_value for bit in bits_set):
                raise ModbusError(
                    ILLEGAL_VALUE, f"0x{value:04X} is not a command of register 0x{address:04X}"
                )
            chosen = [by_value[bit] for bit in bits_set]
        for name, _encoding, _unit in chosen:
            if not (self.remote_permitted and (self.permitted.get(name, False) or not self.permission_table)):
                raise ModbusError(DEVICE_FAILURE, f"{name} is not permitted")
        for name, _encoding, unit in chosen:
            self.apply_control(name, unit)

    def apply_control(self, name: str, unit: int | None = None) -> None:
        """Carry out a control as the UPS would (permission already checked)."""
        if self.is_sts:
            self._apply_sts_control(name)
        else:
            self._apply_ups_control(name)
        self.control_log.append((name, unit))
        self._changed()

    def _apply_ups_control(self, name: str) -> None:
        power = self.ups
        if name in ("eco_mode_on", "transfer_to_bypass"):
            if not power.bypass_present or power.path in ("off", "maintenance") or power.on_battery:
                raise ModbusError(DEVICE_FAILURE, f"{name}: bypass not available")
            power.path = "bypass"
            power.eco = name == "eco_mode_on"
        elif name in ("eco_mode_off", "transfer_to_inverter"):
            if power.path == "bypass":
                power.path = "inverter"
            power.eco = False
        elif name == "battery_test":
            if not power.battery_present or not power.mains_present or power.battery_test_running:
                raise ModbusError(DEVICE_FAILURE, "battery test not possible now")
            self._start_battery_test(
                power.test_result if power.test_result in BATTERY_TEST_RESULTS else "pass"
            )
        elif name == "alarm_acknowledgement":
            self._acknowledge()
        elif name == "standby_on":
            # The UPS shut-off of the shutdown procedure (§16.8): the output goes off.
            power.path = "off"
            power.eco = False
            power.standby = True
        elif name == "standby_off":
            if not (power.mains_present or (power.battery_present and power.charge > 0.0)):
                raise ModbusError(DEVICE_FAILURE, "standby_off: no mains and no battery")
            if power.path == "off":
                power.path = "inverter"
            power.standby = False
        # Other controls of CONTROLS have no documented register on JBUSP/VU-MAP.

    def _apply_sts_control(self, name: str) -> None:
        power = self.sts
        if name == "switch_to_preferred_source" and power.source_present(power.preferred):
            power.active = power.preferred
        elif name == "switch_to_alternate_source" and power.source_present(3 - power.preferred):
            power.active = 3 - power.preferred
        elif name in ("source1_preferred", "source2_preferred"):
            power.preferred = 1 if name == "source1_preferred" else 2
            power.transfer()
        elif name == "alarm_acknowledgement":
            self._acknowledge()

    def set_battery_test_result(self, result: str) -> None:
        """The outcome of the next battery test started by a control."""
        if result not in BATTERY_TEST_RESULTS:
            raise ValueError("battery test result is 'pass' or 'fail'")
        self.ups.test_result = result

    def _acknowledge(self) -> None:
        # Alarm reset clears the memorised alarms whose cause is gone: injected alarm
        # bits and a failed battery test (EN §16.1 "Alarm Acknowledgement").
        alarm_names = {bit.acronym for bit in self.map.alarms}
        for node in self.nodes.values():
            node.forced_on -= alarm_names
        self.ups.test_failed = False

    # -- bits ------------------------------------------------------------------------------------

    def _latched(self) -> bool:
        alarm_names = {bit.acronym for bit in self.map.alarms}
        return self.ups.test_failed or any(node.forced_on & alarm_names for node in self.nodes.values())

    def _ups_flags(self, node: Node) -> set[str]:
        power = self.ups
        flags: set[str] = {"input_breakers_closed", "permission_table"} if self.permission_table else {"input_breakers_closed"}
        if power.mains_present:
            flags |= {"rectifier_supply_present", "rectifier_on"}
            if power.battery_present:
                flags.add("charger_on")
        else:
            flags.add("rectifier_supply_failed")
        flags.add("bypass_supply_present" if power.bypass_present else "bypass_supply_failed")
        if power.inverter_on:
            flags.add("inverter_on")
            if power.bypass_present:
                flags.add("synchronised")
        if power.load_on_inverter:
            flags.add("load_on_inverter")
        if power.load_on_bypass:
            flags.add("load_on_bypass")
        if power.eco:
            flags.add("eco_mode")
        if power.standby and power.path == "off":
            flags.add("standby")
        if self.standby_schedule:
            flags.add("standby_schedule")
        if power.path == "maintenance":
            flags.add("maintenance_bypass")
        if power.load_off:
            flags.add("load_off")
        if power.path in ("inverter", "bypass"):
            flags |= {"operating", "available", "output_breaker_closed"}
        if power.on_battery:
            flags.add("on_battery")
        if power.battery_present:
            flags.add("battery_test_supported")
            if power.battery_test_running:
                flags.add("battery_test_in_progress")
            if power.test_failed:
                flags.add("battery_test_failed")
            if power.battery_low:
                flags.add("battery_low")
            if power.battery_discharged:
                flags.add("battery_discharged")
            if not (power.battery_low or power.battery_discharged or power.test_failed):
                flags.add("battery_ok")
            if power.charging:
                flags.add("battery_charging")
            elif power.mains_present and power.charge >= 0.995:
                flags.add("battery_charged")
        if power.overload:
            flags.add("overload")
        if power.imminent_stop:
            flags.add("imminent_stop")
        if not self.remote_permitted:
            flags.add("remote_controls_disabled")
        if self.topology == "parallel":
            flags.add("parallel_system")
        if self._latched():
            flags.add("acknowledgement_requested")
        return flags

    def _sts_flags(self) -> set[str]:
        power = self.sts
        flags: set[str] = {"input_switches_closed"}
        flags.add("source1_ok" if power.source1_present else "source1_absent")
        if not power.source1_present:
            flags.add("source1_failed")
        flags.add("source2_ok" if power.source2_present else "source2_absent")
        if not power.source2_present:
            flags.add("source2_failed")
        if power.synchronised:
            flags.add("synchronised")
        if power.preferred == 1:
            flags.add("source1_preferred")
        if power.on_preferred:
            flags.add("load_on_preferred")
        if power.on_alternate:
            flags.add("load_on_alternate")
        if power.load_off:
            flags |= {"load_off", "output_absent"}
        else:
            flags.add("output_ok")
        if power.active == 1:
            flags.add("load_on_source1")
        elif power.active == 2:
            flags.add("load_on_source2")
        if power.overload:
            flags.add("overload")
        if power.imminent_stop:
            flags.add("imminent_stop")
        if self.remote_permitted:
            flags.add("remote_controls_enabled")
        return flags

    def _compute_bits(self) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
        """Node number → (active statuses, active alarms)."""
        status_names = {bit.acronym for bit in self.map.statuses}
        alarm_names = {bit.acronym for bit in self.map.alarms}
        table = map_bits.FLAGS_BY_MAP[self.map_name]
        general = map_bits.GENERAL_ALARM.get(self.map_name)
        result: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        # Units and modules first: the system's synthesis bits come from them.
        for node in sorted(self.nodes.values(), key=lambda n: n.role == "system"):
            flags = self._sts_flags() if self.is_sts else self._ups_flags(node)
            active = {acronym for flag in flags for acronym in table.get(flag, ())}
            active |= node.forced_on
            if node.role == "system" or (self.topology == "parallel" and self.map_name == "jbusp"):
                active |= self._synthesis(node, result)
            alarms = (active - node.forced_off) & alarm_names
            if general and any(
                acronym != general and not map_bits.is_synthesis_bit(self.map_name, acronym)
                for acronym in alarms
            ):
                active.add(general)
            active -= node.forced_off
            result[node.number] = (frozenset(active & status_names), frozenset(active & alarm_names))
        return result

    def _synthesis(self, node: Node, done: Mapping[int, tuple[frozenset[str], frozenset[str]]]) -> set[str]:
        """Per-unit bits of a parallel system (JBUSP S32–S37 in every table, A32–A37 at the
        system; VU-MAP S096/S112/A096/A112 at the system) or of a modular unit's modules."""
        found: set[str] = set()
        general = map_bits.GENERAL_ALARM.get(self.map_name)
        members = [number for number, other in self.nodes.items() if other.role in ("unit", "module")]
        for number in members:
            present = map_bits.unit_synthesis(self.map_name, "present", number)
            if present:
                found.add(present)
            # The synthesis words are for parallel systems only (App. MODBUS TCP ACCESS, note (*)).
            if node.role != "system" or number not in done or self.topology != "parallel":
                continue
            _statuses, alarms = done[number]
            running = not self.ups.load_off and self.ups.path != "maintenance"
            stopping = bool(alarms & set(map_bits.FLAGS_BY_MAP[self.map_name].get("imminent_stop", ())))
            for kind, condition in (
                ("operating", running),
                ("available", running and not stopping),
                ("general_alarm", general in alarms),
                ("imminent_stop", stopping),
            ):
                acronym = map_bits.unit_synthesis(self.map_name, kind, number)
                if acronym and condition:
                    found.add(acronym)
        return found

    # -- measurements ---------------------------------------------------------------------------

    def _compute_measurements(self) -> dict[int, dict[str, float | None]]:
        if self.is_sts:
            node = self.nodes[self.top]
            return {
                self.top: sts_measurements(
                    self.sts, node.jitter, nominal_kva=self.nominal_kva, phases=self.output_phases
                )
            }
        values: dict[int, dict[str, float | None]] = {}
        members = [node for node in self.nodes.values() if node.role in ("unit", "module", "single")]
        for node in members:
            values[node.number] = ups_measurements(
                self.ups,
                node.jitter,
                nominal_kva=node.nominal_kva,
                share=node.battery_share,
                input_phases=self.input_phases,
                output_phases=self.output_phases,
                battery=self.battery_present,
            )
            values[node.number].update(dict.fromkeys(self.not_managed))
        for node in self.nodes.values():
            if node.role == "system":
                values[node.number] = aggregate(
                    [values[member.number] for member in members], [member.nominal_kva for member in members]
                )
        return values

    # -- encoding ---------------------------------------------------------------------------------

    def _scale(self, scale: int, factor10: bool) -> int:
        # VU-MAP T014 = 1: the marked columns are ×10 (App. VU-MAP).
        return scale * 10 if factor10 and self.measure_factor == 1 else scale

    def encode_measurement(self, measurement: Measurement, value: float | None) -> int:
        if value is None:
            return NOT_MANAGED
        raw = round(value * self._scale(measurement.scale, measurement.factor10))
        if measurement.signed:
            raw = max(-0x8000, min(0x7FFF, raw))
            if raw == -1:
                raw = 0  # 0xFFFF would read as "not managed"
            return raw & 0xFFFF
        return max(0, min(NOT_MANAGED - 1, raw))

    def encode_config(self, word: ConfigWord, value: float | None) -> int:
        if value is None:
            return NOT_MANAGED
        return max(0, min(NOT_MANAGED - 1, round(value * self._scale(word.scale, word.factor10))))

    def configuration_values(self, node: Node) -> dict[str, float | None]:
        """Identification/configuration words of one node, by ConfigWord key."""
        if self.is_sts:
            return {}
        system = node.role == "system"
        kva = node.nominal_kva
        battery_ah = BATTERY_AH * node.battery_share if self.battery_present else 0.0
        if self.map_name == "jbusp":
            if system:
                code, number = self.system_code(), self.units
            elif node.role == "unit":
                code, number = self.model_code, node.number
            else:
                # T02 "Module number": 1 for a single UPS, the module count of a modular one.
                code, number = self.model_code, (self.modules or 1)
            return {
                "ups_type": code,
                "nominal_kva": kva,
                "module_number": number,
                "nominal_input_voltage": NOMINAL_VOLTAGE,
                "nominal_output_voltage": NOMINAL_VOLTAGE,
                "nominal_input_frequency": NOMINAL_FREQUENCY,
                "nominal_output_frequency": NOMINAL_FREQUENCY,
                "firmware_version": FIRMWARE_VERSION,
                "nominal_battery_capacity_ah": battery_ah,
                "power_share_plugs": 0,
            }
        members = [other.number for other in self.nodes.values() if other.role in ("unit", "module")]
        if system and self.topology == "parallel":
            installation, count, device_number = VUMAP_PARALLEL, len(members), 0
            presence = sum(1 << (number - 1) for number in members)
            if self.bypass == "centralized":
                presence |= 1 << VUMAP_BYPASS_MODULE_BIT
        elif system:
            installation, count, device_number = VUMAP_MODULAR, len(members), 1
            presence = sum(1 << (number - 1) for number in members)
        else:
            installation, count, presence = VUMAP_SINGLE, 0, 0
            device_number = node.number or 1
        return {
            "installation": installation,
            "device_count": count,
            "presence_bitmap": presence,
            "device_number": device_number,
            "nominal_kva": kva,
            "nominal_kw": kva * POWER_FACTOR,
            "phases": self.input_phases << 8 | self.output_phases,
            "functions": (1 << VUMAP_ECO_ENABLED_BIT)
            | ((1 << VUMAP_STANDBY_SCHEDULE_BIT) if self.standby_schedule else 0),
            "environment": 0,
            "dc_storage": (1 << VUMAP_BATTERY_PRESENT_BIT) if self.battery_present else 0,
            "measure_factor": self.measure_factor,
            "device_code": self.model_code,
        }

    def _texts(self, node: Node) -> list[tuple[TextField, str]]:
        texts: list[tuple[TextField, str]] = []
        if self.map.serial_number is not None:
            texts.append((self.map.serial_number, node.serial))
        if self.map.reference is not None:
            texts.append((self.map.reference, self.model_name))
        for name, text in (("user_reference", "UPS-SIM"), ("user_location", "Test bench")):
            if self.map.has_block(name):
                texts.append((TextField(name, 0, self.map.block(name).count, low_byte_first=False), text))
        return texts

    def _date_time_words(self) -> list[int]:
        # JBUSP 0x1360: minute<<8 | second; day<<8 | hour; month<<8; year - 2000 (docs/decisions.md).
        now = self.now()
        return [now.minute << 8 | now.second, now.day << 8 | now.hour, now.month << 8, now.year - 2000]

    def _current_image(self) -> dict[int, int]:
        if self._image is None:
            self._image = self._build_image()
        return self._image

    def _build_image(self) -> dict[int, int]:
        bits_by_node = self._compute_bits()
        measurements = self._compute_measurements()
        image: dict[int, int] = {}
        for (number, name), start in self._block_starts.items():
            block = self.map.block(name)
            words = [NOT_MANAGED if name == "measurements" else 0] * block.count
            node = self.nodes.get(number) if number is not None else None
            if node is not None:
                self._fill_block(
                    node, block, words, bits_by_node[node.number], measurements.get(node.number, {})
                )
            image.update(zip(range(start, start + block.count), words, strict=True))
        if self.map_name == "jbusp":
            # The status and alarm tables run to the next table (0x1020–0x103F,
            # 0x1040–0x105F); the words past S63/A63 have no bit set. Network UPS Tools'
            # socomec_jbus, written for real units, reads 6 status words at 0x1020.
            for (_number, name), start in self._block_starts.items():
                if name in ("status", "alarms"):
                    for address in range(start, start + JBUSP_BIT_TABLE_SLOT):
                        image.setdefault(address, 0)
        self._fill_permissions(image)
        return image

    def _fill_block(
        self,
        node: Node,
        block: Block,
        words: list[int],
        active: tuple[frozenset[str], frozenset[str]],
        values: Mapping[str, float | None],
    ) -> None:
        name = block.name
        statuses, alarms = active
        if name in ("status", "alarms"):
            for bit in self.map.statuses if name == "status" else self.map.alarms:
                if bit.acronym in (statuses if name == "status" else alarms) and bit.word < len(words):
                    words[bit.word] |= 1 << bit.bit
        if name == "measurements":
            for measurement in self.map.measurements:
                if measurement.key is not None and measurement.offset < len(words):
                    words[measurement.offset] = self.encode_measurement(
                        measurement, values.get(measurement.key)
                    )
        configuration = self.configuration_values(node)
        for word in self.map.configuration:
            if word.block == name and word.offset < len(words) and word.key in configuration:
                words[word.offset] = self.encode_config(word, configuration[word.key])
        for text_field, text in self._texts(node):
            if text_field.block == name:
                encoded = _text_words(text, text_field.words, text_field.low_byte_first)
                words[text_field.offset : text_field.offset + text_field.words] = encoded
        if name == "date_time":
            words[:4] = self._date_time_words()

    def _fill_permissions(self, image: dict[int, int]) -> None:
        # The UPS shows a permitted control as a 1 bit (spec/README.md: JBUS 0x05C0,
        # 0x15C1…; VU-MAP P000–P031 at 0x00C9/0x00CA).
        for name, encoding in self.map.controls.items():
            if encoding.permission_register is None or encoding.permission_bit is None:
                continue
            for unit in self._control_units(encoding):
                address = _control_register(encoding.permission_register, unit)
                if address in image and self.permitted.get(name, False) and self.permission_table:
                    image[address] |= 1 << encoding.permission_bit
        register, bit = self.map.remote_permission_register, self.map.remote_permission_bit
        if register is not None and bit is not None and register in image:
            if self.remote_permitted:
                image[register] |= 1 << bit
            else:
                image[register] &= ~(1 << bit) & 0xFFFF

    # -- inspection ------------------------------------------------------------------------------

    def active_bits(self, unit: int | None = None) -> tuple[frozenset[str], frozenset[str]]:
        """(statuses, alarms) set on the system/single UPS, or on ``unit``."""
        return self._compute_bits()[self._node(unit).number]

    def measurements(self, unit: int | None = None) -> dict[str, float | None]:
        """Physical values (before encoding) of the system/single UPS, or of ``unit``."""
        keys = {measurement.key for measurement in self.map.measurements if measurement.key}
        values = self._compute_measurements()[self._node(unit).number]
        return {key: value for key, value in values.items() if key in keys}

    def state(self) -> dict[str, Any]:
        """A JSON-ready summary: statuses, alarms and measurements of every device."""
        bits_by_node = self._compute_bits()
        measurements = self._compute_measurements()
        keys = [measurement.key for measurement in self.map.measurements if measurement.key]
        devices = {}
        for number, node in sorted(self.nodes.items()):
            statuses, alarms = bits_by_node[number]
            values = measurements.get(number, {})
            devices[str(number)] = {
                "role": node.role,
                "statuses": sorted(statuses),
                "alarms": sorted(alarms),
                "measurements": {
                    key: (round(value, 2) if value is not None else None)
                    for key in keys
                    if (value := values.get(key)) is not None or key in values
                },
            }
        power: dict[str, Any]
        if self.is_sts:
            power = {
                "source1_present": self.sts.source1_present,
                "source2_present": self.sts.source2_present,
                "preferred": self.sts.preferred,
                "active": self.sts.active,
                "load": round(self.sts.load, 3),
            }
        else:
            power = {
                "mains_present": self.ups.mains_present,
                "bypass_present": self.ups.bypass_present,
                "path": self.ups.path,
                "eco": self.ups.eco,
                "battery_charge": round(self.ups.charge, 4),
                "time_on_battery": round(self.ups.time_on_battery, 1),
                "load": round(self.ups.load, 3),
                "battery_test_running": self.ups.battery_test_running,
                "battery_test_failed": self.ups.test_failed,
            }
        return {
            "map": self.map_name,
            "model": self.model_name,
            "type_code": self.model_code,
            "topology": self.topology,
            "units": self.units,
            "modules": self.modules,
            "scenario": self.scenario_name,
            "sim_seconds": round(self.sim_seconds, 3),
            "power": power,
            "permissions": {"remote": self.remote_permitted, **self.permitted},
            "devices": devices,
        }
