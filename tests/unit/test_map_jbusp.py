"""The JBUSP map matches the EN appendix "JBUSP UPS MODBUS TABLE" and the FR annex."""

from __future__ import annotations

import pytest

from netvision.ups.expression import compile_expression
from netvision.ups.maps.base import CONDITIONS, CONTROLS, MEASUREMENT_KEYS, Level, unit_address
from netvision.ups.maps.jbusp import JBUSP

ACRONYMS = {bit.acronym for bit in (*JBUSP.statuses, *JBUSP.alarms)}


def _all_expressions() -> list[str]:
    return [
        *JBUSP.conditions.values(),
        *JBUSP.well_known_alarms.values(),
        *JBUSP.rfc1628_alarms.values(),
        *JBUSP.trap_conditions.values(),
    ]


def test_blocks_are_the_manual_addresses_and_lengths() -> None:
    assert [(b.name, b.address, b.count, b.per_unit) for b in JBUSP.blocks] == [
        ("identification", 0x1000, 12, True),
        ("status", 0x1020, 4, True),
        ("alarms", 0x1040, 4, True),
        ("measurements", 0x1060, 48, True),
        ("configuration", 0x10E0, 32, True),
        ("date_time", 0x1360, 4, True),
        ("permissions", 0x05C0, 2, False),
        ("battery_test_permission", 0x15C1, 1, True),
    ]


def test_blocks_do_not_overlap() -> None:
    ordered = sorted(JBUSP.blocks, key=lambda block: block.address)
    for previous, following in zip(ordered, ordered[1:], strict=False):
        assert previous.end <= following.address, (previous, following)


def test_read_plan_names_every_block_once() -> None:
    planned = [*JBUSP.identity_blocks, *JBUSP.cycle_blocks, *JBUSP.slow_blocks]
    assert sorted(planned) == sorted(b.name for b in JBUSP.blocks)
    assert JBUSP.probe_block == "identification"
    assert JBUSP.identity_blocks == ("identification", "configuration")
    assert JBUSP.cycle_blocks == ("status", "alarms", "measurements")
    assert JBUSP.slow_blocks == ("date_time", "permissions", "battery_test_permission")
    assert (JBUSP.name, JBUSP.title, JBUSP.device_kind) == ("jbusp", "JBUSP", "ups")


def test_a_single_ups_is_unit_1_of_at_most_6() -> None:
    assert JBUSP.single_unit_number == 1 and JBUSP.max_units == 6
    # The manual's 0x1xxx tables are unit 1's: unit_address leaves them where they are.
    for block in JBUSP.blocks:
        if block.per_unit:
            assert unit_address(block.address, JBUSP.single_unit_number) == block.address
    assert unit_address(JBUSP.block("status").address, 0) == 0x0020
    assert unit_address(JBUSP.block("status").address, 6) == 0x6020


def test_named_bit_and_word_counts_equal_the_manual() -> None:
    # Statuses: S00–S15 all named; S16, S17, S23, S24, S26–S31; S32–S43, S46; S48, S49.
    assert len(JBUSP.statuses) == 41
    assert [sum(1 for bit in JBUSP.statuses if bit.word == word) for word in range(4)] == [16, 10, 13, 2]
    # Alarms: all but A09, A11, A12, A24, A28, A53, A63.
    assert len(JBUSP.alarms) == 57
    assert [sum(1 for bit in JBUSP.alarms if bit.word == word) for word in range(4)] == [13, 14, 16, 14]
    # Measurements: M00–M24 and M33–M43.
    assert len(JBUSP.measurements) == 36
    assert [m.offset for m in JBUSP.measurements] == [*range(0, 25), *range(33, 44)]


def test_levels_count_the_manual_level_column() -> None:
    # Blank level = not managed by NET VISION.
    assert sum(1 for bit in JBUSP.statuses if bit.managed) == 20
    assert sum(1 for bit in JBUSP.alarms if bit.managed) == 40
    blank_statuses = {"S06", "S07", "S09", "S23", "S24", "S28", "S29", "S30", "S31"}
    blank_statuses |= {f"S{n}" for n in range(32, 44)}
    assert {bit.acronym for bit in JBUSP.statuses if not bit.managed} == blank_statuses


def test_bit_acronyms_are_unique_and_follow_the_bit_numbering() -> None:
    bits = (*JBUSP.statuses, *JBUSP.alarms)
    assert len(ACRONYMS) == len(bits)
    for prefix, table, block in (("S", JBUSP.statuses, "status"), ("A", JBUSP.alarms, "alarms")):
        for bit in table:
            assert bit.acronym == f"{prefix}{bit.index:02d}"
            assert 0 <= bit.bit < 16 and 0 <= bit.word < JBUSP.block(block).count
            assert bit.label_en and bit.label_fr


def test_measurement_acronyms_are_unique_and_inside_the_block() -> None:
    offsets = [m.offset for m in JBUSP.measurements]
    assert len(set(offsets)) == len(offsets)
    keys = [m.key for m in JBUSP.measurements]
    assert len(set(keys)) == len(keys)
    for measurement in JBUSP.measurements:
        assert measurement.acronym == f"M{measurement.offset:02d}"
        assert 0 <= measurement.offset < JBUSP.block("measurements").count
        assert measurement.label_en and measurement.label_fr


def test_every_measurement_key_is_canonical_with_its_unit() -> None:
    for measurement in JBUSP.measurements:
        assert measurement.key is not None and measurement.key in MEASUREMENT_KEYS, measurement
        assert measurement.unit == MEASUREMENT_KEYS[measurement.key], measurement


@pytest.mark.parametrize(
    ("acronym", "level", "label_en", "label_fr"),
    [
        ("S00", Level.INFORMATION, "Rectifier input supply present", "Alimentation redresseur présente"),
        ("S05", Level.WARNING, "On battery / Battery discharging", "En autonomie / Batterie en décharge"),
        ("S06", None, "Remote controls disabled", "Télécommandes désactivées"),
        ("S07", None, "Eco-mode ON", "Eco mode activé"),
        ("S15", Level.CRITICAL, "Battery near end of backup time", "Batterie proche de la fin d'autonomie"),
        ("S17", Level.INFORMATION, "Battery OK", "Batterie OK"),
        ("S37", None, "Unit 6 present", "Unité 6 présente"),
        (
            "S49",
            Level.WARNING,
            "End of the first maintenance period",
            "Fin de la première période de maintenance",
        ),
        ("A00", Level.WARNING, "General alarm", "Alarme générale"),
        ("A03", None, "Output voltage out of tolerance", "Tension de sortie hors tolérances"),
        ("A31", Level.CRITICAL, "Imminent STOP", "ARRÊT imminent"),
        ("A37", Level.WARNING, "Unit 6 general alarm", "Alarme générale unité 6"),
        ("A38", Level.WARNING, "External alarm 1", "Alarme externe 1"),
        ("A39", None, "External alarm 2", "Alarme externe 2"),
        ("A49", Level.CRITICAL, "Battery discharged", "Batterie déchargée"),
        ("A62", Level.CRITICAL, "Bypass critical alarm", "Alarme critique by-pass"),
    ],
)
def test_bits_match_the_manual(acronym: str, level: Level | None, label_en: str, label_fr: str) -> None:
    bit = JBUSP.bit(acronym)
    assert (bit.level, bit.label_en, bit.label_fr) == (level, label_en, label_fr)


def test_bit_positions() -> None:
    assert (JBUSP.bit("S17").word, JBUSP.bit("S17").bit) == (1, 1)
    assert (JBUSP.bit("S48").word, JBUSP.bit("S48").bit) == (3, 0)
    assert (JBUSP.bit("A31").word, JBUSP.bit("A31").bit) == (1, 15)
    assert (JBUSP.bit("A62").word, JBUSP.bit("A62").bit) == (3, 14)


@pytest.mark.parametrize(
    ("key", "acronym", "unit", "scale", "signed"),
    [
        ("load_rate_l1", "M00", "%", 1, False),
        ("battery_capacity_ah", "M05", "Ah", 10, False),
        ("input_current_l3", "M14", "A", 1, False),
        ("output_current_l1", "M15", "A", 10, False),
        ("output_frequency", "M19", "Hz", 10, False),
        ("battery_voltage_negative", "M21", "V", 10, False),
        ("ambient_temperature", "M22", "°C", 1, False),
        ("remaining_backup_time", "M23", "min", 1, False),
        ("battery_current", "M24", "A", 10, True),
        ("input_voltage_l1", "M33", "V", 1, False),
        ("output_kw", "M36", "kW", 10, False),
        ("output_kva_l3", "M39", "kVA", 10, False),
        ("input_power_l2", "M41", "kW", 10, False),
        ("input_frequency", "M43", "Hz", 10, False),
    ],
)
def test_measurements_match_the_manual(key: str, acronym: str, unit: str, scale: int, signed: bool) -> None:
    measurement = JBUSP.measurement(key)
    assert (measurement.acronym, measurement.unit, measurement.scale, measurement.signed) == (
        acronym,
        unit,
        scale,
        signed,
    )


def test_only_the_battery_current_is_signed() -> None:
    assert [m.acronym for m in JBUSP.measurements if m.signed] == ["M24"]


def test_configuration_words() -> None:
    words = {(w.block, w.acronym): w for w in JBUSP.configuration}
    assert len(words) == len(JBUSP.configuration)
    assert {(block, w.key, w.offset, w.unit, w.scale) for (block, _), w in words.items()} == {
        ("identification", "ups_type", 0, "", 1),
        ("identification", "nominal_kva", 1, "kVA", 10),
        ("identification", "module_number", 2, "", 1),
        ("configuration", "nominal_input_voltage", 0, "V", 1),
        ("configuration", "nominal_output_voltage", 1, "V", 1),
        ("configuration", "nominal_input_frequency", 2, "Hz", 1),
        ("configuration", "nominal_output_frequency", 3, "Hz", 1),
        ("configuration", "firmware_version", 4, "", 100),
        ("configuration", "nominal_battery_capacity_ah", 8, "Ah", 10),
        ("configuration", "power_share_plugs", 10, "", 1),
    }
    for word in JBUSP.configuration:
        assert word.acronym == f"T{word.offset:02d}"
        assert 0 <= word.offset < JBUSP.block(word.block).count


def test_serial_number_is_0x1003_to_0x1007_low_byte_first() -> None:
    serial = JBUSP.serial_number
    assert serial is not None
    assert (serial.block, serial.offset, serial.words, serial.low_byte_first) == (
        "identification",
        3,
        5,
        True,
    )
    assert JBUSP.block("identification").address + serial.offset == 0x1003
    assert serial.offset + serial.words <= JBUSP.block("identification").count
    assert JBUSP.reference is None


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (20, "MODULYS 1/1 MODULE"),
        (27, "MASTERYS 1/1 UPS"),
        (37, "NETYS PR-RT"),
        (87, "MASTERYS 3/1 UPS"),
        (89, "ITYS 3/1 UPS"),
        (258, "MASTERYS 3/3 MODULE"),
        (513, "DELPHYS MP SINGLE UNIT"),
        (514, "DELPHYS MP SINGLE UNIT"),
        (516, "DELPHYS MX SINGLE UNIT"),
        (648, "DELPHYS GP 2.0"),
        (1014, "DELPHYS MP SYSTEM"),
        (1016, "DELPHYS MP SYSTEM"),
        (1021, "DELPHYS MX SYSTEM"),
    ],
)
def test_range_codes(code: int, name: str) -> None:
    assert JBUSP.range_name(code) == name


def test_range_table_is_complete_and_spelled() -> None:
    assert len(JBUSP.ranges) == 29
    assert JBUSP.range_name(23) is None and JBUSP.range_name(1022) is None
    assert not any("MASTERYYS" in entry.name for entry in JBUSP.ranges)
    ordered = sorted(JBUSP.ranges, key=lambda entry: entry.first)
    for previous, following in zip(ordered, ordered[1:], strict=False):
        assert previous.first <= previous.last < following.first


def test_every_expression_compiles_and_names_existing_bits() -> None:
    for text in _all_expressions():
        expression = compile_expression(text)
        assert expression.acronyms <= ACRONYMS, text


def test_conditions_and_controls_have_canonical_names() -> None:
    assert set(JBUSP.conditions) <= set(CONDITIONS)
    assert set(JBUSP.controls) <= set(CONTROLS)


def test_key_conditions() -> None:
    conditions = JBUSP.conditions
    assert conditions["on_battery"] == "S05"
    assert conditions["remote_controls_permitted"] == "!S06"
    assert conditions["load_off"] == "!S03 & !S04"
    assert compile_expression(conditions["battery_discharged"])({"A49"})
    assert compile_expression(conditions["battery_discharged"])({"S16"})
    assert not compile_expression(conditions["remote_controls_permitted"])({"S06"})
    assert not compile_expression(conditions["load_off"])({"S04"})


def test_well_known_alarms_cover_the_mib_table() -> None:
    alarms = JBUSP.well_known_alarms
    assert set(range(1, 57)) <= set(alarms)
    assert alarms[1] == "A31" and alarms[13] == "S16 | A49" and alarms[55] == "S04 & !S07"
    assert alarms[42] == "A32" and alarms[47] == "A37"
    # "0" in the JBUSP column: not available.
    assert [n for n in range(1, 57) if not alarms[n]] == [8, 16, 48, 49, 50, 51, 52, 53, 54]
    on_bypass = compile_expression(alarms[55])
    assert on_bypass({"S04"}) and not on_bypass({"S04", "S07"})


def test_rfc1628_alarms_cover_the_appendix() -> None:
    alarms = JBUSP.rfc1628_alarms
    assert sorted(alarms) == list(range(1, 25))
    assert alarms[1] == "A01 | A47" and alarms[4] == "S16 | A49" and alarms[24] == "S10"
    assert [n for n in range(1, 25) if not alarms[n]] == [7, 11, 12, 17, 20, 21, 22, 23]


def test_trap_conditions_with_the_recorded_corrections() -> None:
    traps = JBUSP.trap_conditions
    assert sorted(traps) == [1, *range(5, 14), *range(15, 20), 22, 23, 24]
    assert traps[12] == "A52 | A54 | A62"
    # Manual "S04&!S06": S06 is "remote controls disabled"; on bypass and not in eco mode is meant.
    assert traps[18] == "S04 & !S07"
    # Manual "!A15": A15 is "BOOST too high"; the general alarm is A00.
    assert traps[24] == "!A00"


def test_controls_follow_the_jbus_command_table() -> None:
    controls = JBUSP.controls
    assert {
        name: (c.register, c.value, c.permission_register, c.permission_bit, c.per_unit)
        for name, c in controls.items()
    } == {
        "eco_mode_on": (0x05B0, 0x0003, 0x05C0, 3, False),
        "eco_mode_off": (0x05B0, 0x0004, 0x05C0, 4, False),
        "transfer_to_bypass": (0x05B0, 0x000A, 0x05C0, 10, False),
        "transfer_to_inverter": (0x05B0, 0x000B, 0x05C0, 11, False),
        "battery_test": (0x15B0, 0x0010, 0x15C1, 0, True),
        # Assumed codes (INVENTORY ACQ-20): the UPS shut-off of the shutdown procedure.
        "standby_on": (0x05B0, 0x0001, 0x05C0, 1, False),
        "standby_off": (0x05B0, 0x0002, 0x05C0, 2, False),
    }
    # The battery test of module 2 is written to 0x25B0, permitted by 0x25C1 bit 0.
    battery_test = controls["battery_test"]
    assert unit_address(battery_test.register, 2) == 0x25B0
    assert battery_test.permission_register is not None
    assert unit_address(battery_test.permission_register, 2) == 0x25C1
    # Every permission register is read by a block.
    for control in controls.values():
        assert control.permission_register is not None and control.permission_bit is not None
        assert any(b.address <= control.permission_register < b.end for b in JBUSP.blocks)
        assert 0 <= control.permission_bit < 16
