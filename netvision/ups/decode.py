"""Registers → typed values: bits, scaled measurements, ASCII, identity, topology.

Pure code: everything here works on the words a block returned. A word of
0xFFFF means "not managed by this UPS" and decodes to ``None`` (App. JBUSP,
App. VU-MAP, §11.2.4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime

from .maps.base import NOT_MANAGED, Bit, Level, RegisterMap, TextField
from .model import (
    ActiveAlarm,
    DeviceState,
    Identity,
    RegisterBlock,
    Topology,
    TopologyKind,
    frozen_mapping,
)
from .status import derive, evaluate_conditions

Words = Sequence[int]
Blocks = Mapping[str, Words]


def active_bits(bits: Sequence[Bit], words: Words) -> frozenset[str]:
    """Acronyms of the named bits that are set."""
    return frozenset(
        bit.acronym
        for bit in bits
        if bit.word < len(words) and words[bit.word] >> bit.bit & 1
    )


def scale_of(scale: int, factor10: bool, measure_factor: int) -> int:
    # VU-MAP T014: 0 = raw integer, 1 = value × 10 on the marked columns.
    return scale * 10 if factor10 and measure_factor == 1 else scale


def decode_measurements(register_map: RegisterMap, words: Words, measure_factor: int = 0) -> dict[str, float | None]:
    values: dict[str, float | None] = {}
    for measurement in register_map.measurements:
        if measurement.key is None or measurement.offset >= len(words):
            continue
        raw = words[measurement.offset]
        if raw == NOT_MANAGED:
            values[measurement.key] = None
            continue
        if measurement.signed and raw & 0x8000:
            raw -= 0x10000
        scale = scale_of(measurement.scale, measurement.factor10, measure_factor)
        values[measurement.key] = raw / scale if scale != 1 else float(raw)
    return values


def decode_text(field: TextField, words: Words) -> str:
    data = bytearray()
    for word in words[field.offset : field.offset + field.words]:
        high, low = word >> 8 & 0xFF, word & 0xFF
        data += bytes((low, high) if field.low_byte_first else (high, low))
    return data.split(b"\0")[0].decode("ascii", errors="replace").strip()


def decode_configuration(register_map: RegisterMap, blocks: Blocks) -> dict[str, float | None]:
    raw_values: dict[str, int] = {}
    for word in register_map.configuration:
        block = blocks.get(word.block)
        if block is not None and word.offset < len(block):
            raw_values[word.key] = block[word.offset]
    # T014 scales the configuration's kVA/kW words too (App. VU-MAP).
    factor = raw_values.get("measure_factor", 0)
    values: dict[str, float | None] = {}
    for word in register_map.configuration:
        if word.key not in raw_values:
            continue
        raw = raw_values[word.key]
        scale = scale_of(word.scale, word.factor10, factor if factor != NOT_MANAGED else 0)
        values[word.key] = None if raw == NOT_MANAGED else (raw / scale if scale != 1 else raw)
    return values


def measure_factor(configuration: Mapping[str, float | None]) -> int:
    return int(configuration.get("measure_factor") or 0)


def _phases(code: float | None) -> tuple[int | None, int | None]:
    # VU-MAP T007: MSB input phases, LSB output phases.
    if code is None:
        return None, None
    value = int(code)
    return (value >> 8) or None, (value & 0xFF) or None


def _range_phases(model: str) -> tuple[int | None, int | None]:
    # JBUSP range names carry "3/1", "1/1", "3/3".
    for token in model.split():
        if len(token) == 3 and token[1] == "/" and token[0].isdigit() and token[2].isdigit():
            return int(token[0]), int(token[2])
    return None, None


def decode_identity(register_map: RegisterMap, blocks: Blocks) -> Identity:
    configuration = decode_configuration(register_map, blocks)
    text = {
        name: decode_text(field, blocks[field.block])
        for name, field in (("serial_number", register_map.serial_number), ("reference", register_map.reference))
        if field is not None and field.block in blocks
    }
    type_code_value = configuration.get("ups_type", configuration.get("device_code"))
    type_code = int(type_code_value) if type_code_value is not None else None
    reference = text.get("reference", "")
    model = (register_map.range_name(type_code) if type_code is not None else None) or reference
    if not model:
        model = f"{register_map.title} UPS" if register_map.device_kind == "ups" else "STATYS"
    input_phases, output_phases = _phases(configuration.get("phases"))
    if input_phases is None:
        input_phases, output_phases = _range_phases(model)
    firmware = configuration.get("firmware_version")
    user = {
        name: decode_text(TextField(name, 0, len(blocks[name]), low_byte_first=False), blocks[name])
        for name in ("user_reference", "user_location")
        if name in blocks
    }
    return Identity(
        map_name=register_map.name,
        map_title=register_map.title,
        device_kind=register_map.device_kind,
        type_code=type_code,
        model=model,
        serial_number=text.get("serial_number", ""),
        reference=reference,
        user_reference=user.get("user_reference", ""),
        user_location=user.get("user_location", ""),
        nominal_kva=configuration.get("nominal_kva"),
        nominal_kw=configuration.get("nominal_kw"),
        input_phases=input_phases,
        output_phases=output_phases,
        firmware=f"{firmware:.2f}" if firmware is not None else "",
        nominal_input_voltage=configuration.get("nominal_input_voltage"),
        nominal_output_voltage=configuration.get("nominal_output_voltage"),
        nominal_input_frequency=configuration.get("nominal_input_frequency"),
        nominal_output_frequency=configuration.get("nominal_output_frequency"),
        nominal_battery_capacity_ah=configuration.get("nominal_battery_capacity_ah"),
        configuration=configuration,
    )


def _bitmap_members(bitmap: int, first: int, count: int) -> tuple[int, ...]:
    return tuple(number for number in range(first, first + count) if bitmap >> (number - first) & 1)


def decode_topology(register_map: RegisterMap, identity: Identity, blocks: Blocks) -> Topology:
    """Architecture from the identification tables and the first status words.

    Maps with installation words (VU-MAP T001 installation code, T003 presence
    bitmap, T010 b00 battery present) say it there; the others announce a parallel
    system and its units in status bits (JBUSP S30, S32–S37; App. JBUSP). Both are
    map data (``RegisterMap.installation``, ``unit_present``).
    """
    if register_map.device_kind == "sts":
        return Topology(kind=TopologyKind.STS, battery_present=False)
    configuration = identity.configuration
    statuses = active_bits(register_map.statuses, blocks.get("status", ()))
    measurements = decode_measurements(register_map, blocks.get("measurements", ()), measure_factor(configuration))
    input_phases = identity.input_phases or (3 if measurements.get("input_voltage_l2") is not None else 1)
    output_phases = identity.output_phases or (3 if measurements.get("output_voltage_l2") is not None else 1)
    base = Topology(kind=TopologyKind.SINGLE, input_phases=input_phases, output_phases=output_phases)

    words = register_map.installation
    if words is not None:
        installation = int(configuration.get("installation") or words.default_code)
        presence = int(configuration.get("presence_bitmap") or 0)
        dc_storage = configuration.get("dc_storage")
        battery_present = dc_storage is None or bool(int(dc_storage) >> words.battery_present_bit & 1)
        installation_kind = words.codes.get(installation)
        kind = TopologyKind(installation_kind.kind) if installation_kind else TopologyKind.SINGLE
        members = _bitmap_members(presence, 1, words.presence_units)
        base = replace(base, battery_present=battery_present)
        if kind in (TopologyKind.PARALLEL, TopologyKind.MODULAR_SYSTEM):
            members = tuple(sorted(set(members) | set(register_map.present_units(statuses))))
            if presence >> words.presence_bypass_bit & 1:
                bypass = "centralized"
            else:
                bypass = (installation_kind.bypass if installation_kind else None) or "distributed"
            return replace(base, kind=kind, bypass=bypass, units=members)
        if kind is TopologyKind.MODULAR_UNIT:
            return replace(base, kind=kind, modules=members)
        return base

    nominal_ah = configuration.get("nominal_battery_capacity_ah")
    base = replace(base, battery_present=bool(nominal_ah) or measurements.get("battery_capacity") is not None)
    if announced_parallel(register_map, statuses):
        return replace(
            base, kind=TopologyKind.PARALLEL, bypass="distributed", units=register_map.present_units(statuses)
        )
    if any(name in identity.model.upper() for name in register_map.modular_models):
        return replace(base, kind=TopologyKind.MODULAR_UNIT)
    return base


def announced_parallel(register_map: RegisterMap, statuses: AbstractSet[str]) -> bool:
    """The map's ``parallel_system`` condition over the status bits (JBUSP S30)."""
    return bool(evaluate_conditions(register_map, statuses).get("parallel_system"))


def decode_ups_time(words: Words) -> datetime | None:
    """JBUS UPS clock, 4 words at 0x1360, laid out as Socomec's public JBUS manuals
    (and Network UPS Tools' socomec_jbus driver) read it: minute<<8|second,
    day<<8|hour, month<<8, year − 2000 (docs/decisions.md)."""
    if len(words) < 4 or NOT_MANAGED in words[:4]:
        return None
    try:
        return datetime(
            2000 + words[3], words[2] >> 8, words[1] >> 8, words[1] & 0xFF, words[0] >> 8, words[0] & 0xFF
        )
    except ValueError:
        return None


def _alarm_table(
    register_map: RegisterMap,
    statuses: frozenset[str],
    alarm_bits: frozenset[str],
    previous: DeviceState | None,
    now: datetime,
) -> tuple[ActiveAlarm, ...]:
    """Managed alarm bits, plus warning/critical status bits (JBUSP reports on-battery,
    battery low and discharged as statuses S05, S15, S16), oldest first (§12.3)."""
    since = {alarm.acronym: alarm.since for alarm in previous.alarms} if previous else {}
    rows = [
        ActiveAlarm(bit.acronym, bit.label_en, bit.label_fr, bit.level, since.get(bit.acronym, now))
        for bits, active, information in ((register_map.alarms, alarm_bits, True), (register_map.statuses, statuses, False))
        for bit in bits
        if bit.level is not None and bit.acronym in active and (information or bit.level is not Level.INFORMATION)
    ]
    rows.sort(key=lambda alarm: alarm.since)
    return tuple(rows)


def decode_device(
    register_map: RegisterMap,
    number: int,
    blocks: Blocks,
    addresses: Mapping[str, int],
    configuration: Mapping[str, float | None],
    previous: DeviceState | None,
    now: datetime,
    battery_present: bool = True,
) -> DeviceState:
    """One device's cycle blocks → its state, keeping each alarm's first-seen time."""
    statuses = active_bits(register_map.statuses, blocks.get("status", ()))
    alarm_bits = active_bits(register_map.alarms, blocks.get("alarms", ()))
    measurements = decode_measurements(register_map, blocks.get("measurements", ()), measure_factor(configuration))
    derived = derive(register_map, statuses | alarm_bits, battery_present)
    if register_map.configuration_conditions:
        # Capabilities stated in a configuration word (VU-MAP T008): conditions like the others.
        stated = {
            name: bool(int(configuration.get(key) or 0) >> bit & 1)
            for name, (key, bit) in register_map.configuration_conditions.items()
        }
        derived = replace(derived, conditions=frozen_mapping({**derived.conditions, **stated}))
    return DeviceState(
        number=number,
        statuses=statuses,
        alarm_bits=alarm_bits,
        alarms=_alarm_table(register_map, statuses, alarm_bits, previous, now),
        measurements=measurements,
        derived=derived,
        registers=tuple(
            RegisterBlock(name, addresses[name], tuple(words)) for name, words in blocks.items() if name in addresses
        ),
    )
