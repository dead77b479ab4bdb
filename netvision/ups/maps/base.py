"""The shape of a register map: blocks, status/alarm bits, measurements,
configuration words, range codes, derived conditions and control encodings.

A map module (``jbusp.py``, ``vumap.py``, ``sts.py``) is pure data built from
these types. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple


class Level(enum.StrEnum):
    """Alarm/status level of the manual's tables; a bit without level is not managed."""

    INFORMATION = "I"
    WARNING = "W"
    CRITICAL = "C"


@dataclass(frozen=True)
class Block:
    """A contiguous run of registers read with one request (function 0x03)."""

    name: str
    address: int
    count: int
    # False for a table that exists once for the whole system (JBUS command table 0x05C0).
    per_unit: bool = True

    @property
    def end(self) -> int:
        return self.address + self.count


@dataclass(frozen=True)
class Bit:
    """One status (Sxx) or alarm (Axx) bit: bit ``bit`` of word ``word`` of its block.

    S00 is bit 0 of the first word, S16 bit 0 of the second (spec/README.md).
    """

    acronym: str
    word: int
    bit: int
    label_en: str
    label_fr: str
    level: Level | None = None

    @property
    def index(self) -> int:
        return self.word * 16 + self.bit

    @property
    def managed(self) -> bool:
        return self.level is not None


@dataclass(frozen=True)
class Measurement:
    """One measurement word (Mxx).

    ``key`` is a name from :data:`MEASUREMENT_KEYS` (or ``None`` for a word the
    manual lists without meaning). The physical value is ``raw / scale``;
    ``factor10`` marks VU-MAP columns whose scale is 10 when T014 = 1.
    ``signed`` words are two's complement (battery current ±).
    """

    acronym: str
    offset: int
    key: str | None
    label_en: str
    label_fr: str
    unit: str = ""
    scale: int = 1
    signed: bool = False
    factor10: bool = False


@dataclass(frozen=True)
class ConfigWord:
    """One identification/configuration word (JBUSP T00–T15, VU-MAP T001–T015)."""

    acronym: str
    block: str
    offset: int
    key: str
    label_en: str
    label_fr: str
    unit: str = ""
    scale: int = 1
    # VU-MAP T005/T006 are ×10 when T014 = 1, like the measurement columns.
    factor10: bool = False


@dataclass(frozen=True)
class RangeCode:
    """UPS range/model name for a type code (JBUSP 0x1000, VU-MAP T015 0x000F)."""

    first: int
    last: int
    name: str


@dataclass(frozen=True)
class ControlEncoding:
    """How one control is written, and where the UPS says it is permitted.

    ``register``/``value``: a function 0x06 write of ``value`` to ``register``.
    ``permission_register``/``permission_bit``: the bit that must read 1 before
    the control may be sent (``None`` = no permission table for this control).
    ``per_unit``: the register is repeated per unit/module at the map's unit stride.
    ``announced_by``: the condition that says the UPS offers the control, the only
    test left when the UPS manages no permission table (JBUSP S42 = 0, controls.py).
    """

    register: int
    value: int
    permission_register: int | None = None
    permission_bit: int | None = None
    per_unit: bool = False
    announced_by: str | None = None


@dataclass(frozen=True)
class TextField:
    """An ASCII field (serial number, reference) and its byte order in a word."""

    block: str
    offset: int
    words: int
    low_byte_first: bool


class Installation(NamedTuple):
    """Topology of an installation code; ``kind`` is a model.TopologyKind value."""

    kind: str
    bypass: str | None = None  # "distributed" | "centralized" for a parallel system


@dataclass(frozen=True)
class InstallationWords:
    """A map that states its architecture in configuration words (VU-MAP T001, T003,
    T010): the codes of the installation word, the presence bitmap's unit bits and
    bypass-module bit, and the battery-present bit of the DC storage word."""

    codes: Mapping[int, Installation]
    default_code: int
    presence_units: int  # bits b00… of the presence bitmap = unit/module 1…n
    presence_bypass_bit: int
    battery_present_bit: int


@dataclass(frozen=True)
class RegisterMap:
    """Everything the poller, the model and the services know of one map."""

    name: str  # "jbusp" | "vumap" | "sts"
    title: str  # "JBUSP" | "VU-MAP" | "STS"
    device_kind: str  # "ups" | "sts"
    blocks: tuple[Block, ...]
    statuses: tuple[Bit, ...]
    alarms: tuple[Bit, ...]
    measurements: tuple[Measurement, ...]
    configuration: tuple[ConfigWord, ...]
    ranges: tuple[RangeCode, ...]
    serial_number: TextField | None
    reference: TextField | None
    # The block whose successful read identifies this map during detection.
    probe_block: str
    # Blocks read once after detection, and on every cycle.
    identity_blocks: tuple[str, ...]
    cycle_blocks: tuple[str, ...]
    # Blocks that change rarely (permissions, UPS clock): read at identification,
    # before a control, and every ``slow_every`` cycles.
    slow_blocks: tuple[str, ...] = ()
    # Global "remote control permitted" bit in a permission register (VU-MAP P000);
    # maps without one express it as the condition ``remote_controls_permitted``.
    remote_permission_register: int | None = None
    remote_permission_bit: int | None = None
    # Semantic condition name (see CONDITIONS) -> expression over acronyms.
    conditions: Mapping[str, str] = field(default_factory=dict)
    # NET VISION MIB upsWellKnownAlarms number -> expression ("" = not available).
    well_known_alarms: Mapping[int, str] = field(default_factory=dict)
    # RFC1628 upsWellKnownAlarms number -> expression ("" = not available).
    rfc1628_alarms: Mapping[int, str] = field(default_factory=dict)
    # NET VISION trap number -> JBUSP/VU-MAP trigger expression, where the map gives one.
    trap_conditions: Mapping[int, str] = field(default_factory=dict)
    # Control name (see CONTROLS) -> how it is written.
    controls: Mapping[str, ControlEncoding] = field(default_factory=dict)
    # Semantic condition name -> (configuration key, bit): capabilities a map states in a
    # configuration word rather than a status bit (VU-MAP T008 "Function").
    configuration_conditions: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    # Unit N of a parallel system (0 = system) answers at (address & 0x0FFF) | N << 12.
    # The unit number whose tables stand at the manual's addresses for a single UPS.
    single_unit_number: int = 0
    max_units: int = 1
    # Status and alarm blocks of the system read between two full cycles (the fast lane).
    fast_blocks: tuple[str, ...] = ()
    # The slow block holding the UPS clock (decode.decode_ups_time), if the map has one.
    clock_block: str | None = None
    # Architecture (decode.decode_topology): from configuration words where the map
    # has them; else from the "parallel_system" condition and ``unit_present``.
    installation: InstallationWords | None = None
    # unit_present[n - 1]: the acronyms any of which says that unit n is in the system.
    unit_present: tuple[tuple[str, ...], ...] = ()
    # Model names that make a single UPS a modular unit (when no installation word says so).
    modular_models: tuple[str, ...] = ()
    # The modules of a modular unit answer at their own unit address and are polled.
    polls_modules: bool = False

    def __post_init__(self) -> None:
        mappings = ("conditions", "well_known_alarms", "rfc1628_alarms", "trap_conditions", "controls")
        for name in (*mappings, "configuration_conditions"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def block(self, name: str) -> Block:
        for block in self.blocks:
            if block.name == name:
                return block
        raise KeyError(f"{self.title} has no block {name!r}")

    def has_block(self, name: str) -> bool:
        return any(block.name == name for block in self.blocks)

    def bit(self, acronym: str) -> Bit:
        for bit in (*self.statuses, *self.alarms):
            if bit.acronym == acronym:
                return bit
        raise KeyError(f"{self.title} has no bit {acronym!r}")

    def measurement(self, key: str) -> Measurement:
        for measurement in self.measurements:
            if measurement.key == key:
                return measurement
        raise KeyError(f"{self.title} has no measurement {key!r}")

    def present_units(self, active: AbstractSet[str]) -> tuple[int, ...]:
        """Unit numbers the status bits ``active`` announce (JBUSP S32–S37, VU-MAP unit synthesis)."""
        return tuple(number for number, acronyms in enumerate(self.unit_present, start=1) if active & set(acronyms))

    @property
    def topology_in_statuses(self) -> bool:
        """The architecture is announced by status bits, so it may change while polling."""
        return self.installation is None and bool(self.unit_present)

    def range_name(self, code: int) -> str | None:
        for entry in self.ranges:
            if entry.first <= code <= entry.last:
                return entry.name
        return None


def numbered_bits(
    prefix: str, digits: int, rows: tuple[tuple[int, Level | None, str, str], ...]
) -> tuple[Bit, ...]:
    """Bits from ``(number, level, English, French)`` rows: number n is bit n % 16 of
    word n // 16 of its block (S17 is bit 1 of the second word, spec/README.md)."""
    return tuple(
        Bit(f"{prefix}{number:0{digits}d}", number // 16, number % 16, label_en, label_fr, level)
        for number, level, label_en, label_fr in rows
    )


def unit_address(address: int, unit: int) -> int:
    """Address of a table of unit ``unit`` (0 = system level).

    Public JBUS manuals address module N's tables at 0xN… (0x15B0 for module 1
    where the system's is 0x05B0); docs/decisions.md records the convention.
    """
    return (address & 0x0FFF) | (unit << 12)


# Canonical measurement keys shared by every map and every service, with their unit.
# Phase suffixes: _l1 _l2 _l3 (phase-neutral), _n (neutral), _u12 _u23 _u31 (phase-phase).
MEASUREMENT_KEYS: Mapping[str, str] = MappingProxyType(
    {
        # output
        "load_rate": "%",
        **{f"load_rate_{p}": "%" for p in ("l1", "l2", "l3", "n")},
        "output_kva": "kVA",
        **{f"output_kva_{p}": "kVA" for p in ("l1", "l2", "l3")},
        "output_kw": "kW",
        **{f"output_kw_{p}": "kW" for p in ("l1", "l2", "l3")},
        **{f"output_current_{p}": "A" for p in ("l1", "l2", "l3", "n")},
        **{f"output_voltage_{p}": "V" for p in ("l1", "l2", "l3", "u12", "u23", "u31")},
        "output_frequency": "Hz",
        "output_crest_factor": "",
        **{f"output_crest_factor_{p}": "" for p in ("l1", "l2", "l3", "n")},
        **{f"output_power_factor_{p}": "" for p in ("l1", "l2", "l3")},
        # battery
        "battery_capacity": "%",
        "battery_capacity_ah": "Ah",
        "battery_voltage": "V",
        "battery_voltage_negative": "V",
        "battery_current": "A",
        "battery_current_negative": "A",
        "remaining_backup_time": "min",
        "time_on_battery": "s",
        "battery_temperature": "°C",
        "battery_temperature_average": "°C",
        "dc_storage_voltage": "V",
        "dc_storage_temperature": "°C",
        # rectifier input
        **{f"input_voltage_{p}": "V" for p in ("l1", "l2", "l3", "u12", "u23", "u31")},
        **{f"input_current_{p}": "A" for p in ("l1", "l2", "l3")},
        **{f"input_power_{p}": "kW" for p in ("l1", "l2", "l3")},
        "input_frequency": "Hz",
        # bypass input
        **{f"bypass_voltage_{p}": "V" for p in ("l1", "l2", "l3", "u12", "u23", "u31")},
        **{f"bypass_current_{p}": "A" for p in ("l1", "l2", "l3")},
        **{f"bypass_power_{p}": "kW" for p in ("l1", "l2", "l3")},
        "bypass_frequency": "Hz",
        # environment
        "ambient_temperature": "°C",
        # STS sources and switches
        **{f"source1_voltage_{p}": "V" for p in ("l1", "l2", "l3", "u12", "u23", "u31")},
        "source1_frequency": "Hz",
        "switch1_temperature": "°C",
        **{f"source2_voltage_{p}": "V" for p in ("l1", "l2", "l3", "u12", "u23", "u31")},
        "source2_frequency": "Hz",
        "switch2_temperature": "°C",
        "phase_shift": "°",
    }
)

# Semantic conditions a map may define as expressions over its acronyms.
# status.py derives every displayed state from these names only.
CONDITIONS: tuple[str, ...] = (
    # power path
    "rectifier_supply_present",
    "rectifier_on",
    "inverter_on",
    "load_on_inverter",
    "load_on_automatic_bypass",
    "load_on_maintenance_bypass",
    "maintenance_bypass_closed",
    "on_battery",
    "load_off",
    "bypass_supply_present",
    "bypass_on",
    "genset_on",
    # operating modes
    "eco_mode",
    "energy_saver",
    "standby",
    "in_service_mode",
    "line_interactive",
    "auto_test",
    "operating",
    "available",
    "unit_isolated",
    "normal_mode",
    # battery
    "battery_present",
    "battery_ok",
    "battery_charging",
    "battery_charged",
    "battery_low",
    "battery_discharged",
    "battery_disconnected",
    "battery_alarm",
    "battery_room_alarm",
    "battery_temperature_alarm",
    "battery_to_input",
    "battery_test_in_progress",
    "battery_test_programmed",
    "battery_test_failed",
    "battery_test_standby",  # JBUSP S12 (§16.2 "On standby")
    "battery_test_supported",  # JBUSP S13 (§16.2 "Disabled" when false)
    "battery_test_interrupted",  # VU-MAP S037 (§16.2 result "Interrupted")
    "battery_shared",
    # alarms and protections
    "imminent_stop",
    "overload",
    "general_alarm",
    "maintenance_alarm",
    "transfer_impossible",
    "transfer_locked",
    "rectifier_preventive_alarm",
    "rectifier_critical_alarm",
    "inverter_preventive_alarm",
    "inverter_critical_alarm",
    "bypass_preventive_alarm",
    "bypass_critical_alarm",
    # topology and control
    "parallel_system",
    "remote_controls_permitted",
    "permission_table_managed",  # JBUSP S42: the control permission table is read
    # The UPS manages the Standby Schedule (JBUSP S29, VU-MAP T008 b06): the UPS shut-off of
    # the shutdown procedure is offered (§16.8 "UPS shut off"; INVENTORY SHD-05).
    "standby_schedule",
    # STS
    "source1_ok",
    "source2_ok",
    "source1_preferred",
    "load_on_preferred_source",
    "load_on_alternate_source",
    "load_on_source1",
    "load_on_source2",
    "load_on_manual_bypass_1",
    "load_on_manual_bypass_2",
    "sources_synchronised",  # STS sources; UPS bypass input and inverter
    "output_ok",
)

# Controls a map may encode. Names follow the manual's UPS Control page (§16.1, §16.2)
# and the STS control page (FR §13.8).
CONTROLS: tuple[str, ...] = (
    "transfer_to_inverter",
    "transfer_to_bypass",
    "line_interactive_on",
    "line_interactive_off",
    "eco_mode_on",
    "eco_mode_off",
    "standby_on",
    "standby_off",
    "alarm_acknowledgement",
    "battery_test",
    "switch_to_preferred_source",
    "switch_to_alternate_source",
    "source1_preferred",
    "source2_preferred",
)

NOT_MANAGED = 0xFFFF
