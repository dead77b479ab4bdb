"""The VU-MAP register map against the manual's App. VU-MAP MODBUS TABLE."""

from __future__ import annotations

import re

import pytest

from netvision.ups.expression import compile_expression
from netvision.ups.maps.base import CONDITIONS, CONTROLS, MEASUREMENT_KEYS, Level, unit_address
from netvision.ups.maps.vumap import (
    BATTERY_PRESENT_BIT,
    ENVIRONMENT_BITS,
    FUNCTION_BITS,
    INSTALLATION_CODES,
    PRESENCE_BYPASS_MODULE_BIT,
    UNIT_SYNTHESIS,
    VUMAP,
)

ALL_EXPRESSIONS = [
    *(("condition", name, text) for name, text in VUMAP.conditions.items()),
    *(("well_known", number, text) for number, text in VUMAP.well_known_alarms.items()),
    *(("rfc1628", number, text) for number, text in VUMAP.rfc1628_alarms.items()),
    *(("trap", number, text) for number, text in VUMAP.trap_conditions.items()),
]


def _acronyms() -> set[str]:
    return {bit.acronym for bit in (*VUMAP.statuses, *VUMAP.alarms)}


# --------------------------------------------------------------------------- bits


@pytest.mark.parametrize("bits, prefix", [(VUMAP.statuses, "S"), (VUMAP.alarms, "A")])
def test_bit_acronyms_are_unique_in_range_and_match_their_position(bits, prefix):
    acronyms = [bit.acronym for bit in bits]
    assert len(acronyms) == len(set(acronyms))
    for bit in bits:
        assert re.fullmatch(rf"{prefix}\d{{3}}", bit.acronym)
        number = int(bit.acronym[1:])
        assert 0 <= number <= 127
        assert (bit.word, bit.bit) == divmod(number, 16)
        assert bit.index == number
        assert bit.label_en and bit.label_fr


def test_s017_is_word_1_bit_1():
    bit = VUMAP.bit("S017")
    assert (bit.word, bit.bit) == (1, 1)


def test_named_status_count_matches_the_manual():
    # 14 + 15 + 11 + 15 (0x0030-0x0033) + 14 + 8 (0x0034-0x0035) + 15 + 16 (0x0036-0x0037)
    assert len(VUMAP.statuses) == 108


def test_named_alarm_count_matches_the_manual():
    # 4 × 16 (0x0038-0x003B) + 10 (0x003C) + 1 (0x003D) + 15 + 15 (0x003E-0x003F)
    assert len(VUMAP.alarms) == 105


def test_unnamed_bits_are_absent():
    for acronym in ("S001", "S005", "S029", "S043", "S047", "S054", "S070", "S088", "S111",
                    "A074", "A081", "A111", "A127"):
        with pytest.raises(KeyError):
            VUMAP.bit(acronym)


@pytest.mark.parametrize(
    "acronym, level",
    [
        ("S000", Level.INFORMATION),
        ("S002", Level.WARNING),
        ("S004", Level.CRITICAL),
        ("S010", None),
        ("S015", Level.WARNING),
        ("S031", Level.INFORMATION),
        ("S037", Level.WARNING),
        ("S063", None),
        ("S127", None),
        ("A000", Level.CRITICAL),
        ("A015", Level.WARNING),
        ("A016", Level.CRITICAL),
        ("A019", Level.WARNING),
        ("A034", None),
        ("A047", None),
        ("A059", Level.CRITICAL),
        ("A063", None),
    ],
)
def test_levels_follow_the_manual(acronym, level):
    assert VUMAP.bit(acronym).level is level


def test_unit_synthesis_levels_cover_units_1_to_12():
    for n in range(1, 16):
        general = VUMAP.bit(UNIT_SYNTHESIS["general_alarm"][n - 1])
        stop = VUMAP.bit(UNIT_SYNTHESIS["imminent_stop"][n - 1])
        assert general.level is (Level.WARNING if n <= 12 else None)
        assert stop.level is (Level.CRITICAL if n <= 12 else None)
        assert VUMAP.bit(UNIT_SYNTHESIS["operating"][n - 1]).label_en == f"Unit {n} operating"
        assert VUMAP.bit(UNIT_SYNTHESIS["available"][n - 1]).label_en == f"Unit {n} available"
    assert UNIT_SYNTHESIS["operating"][0] == "S096"
    assert UNIT_SYNTHESIS["imminent_stop"][-1] == "A126"


# --------------------------------------------------------------------------- measurements


def test_named_measurement_count_matches_the_manual():
    # M000-M019, M022-M029, M032-M045, M048-M075
    assert len(VUMAP.measurements) == 70


def test_measurement_acronyms_match_offsets_and_keys_are_unique():
    keys = [m.key for m in VUMAP.measurements]
    assert len(keys) == len(set(keys))
    for measurement in VUMAP.measurements:
        assert measurement.acronym == f"M{measurement.offset:03d}"
        assert 0 <= measurement.offset < VUMAP.block("measurements").count


def test_measurement_keys_and_units_are_canonical():
    for measurement in VUMAP.measurements:
        assert measurement.key in MEASUREMENT_KEYS
        assert measurement.unit == MEASUREMENT_KEYS[measurement.key]


def test_output_frequency_is_tenths_of_hertz():
    frequency = VUMAP.measurement("output_frequency")
    assert (frequency.acronym, frequency.scale, frequency.unit) == ("M013", 10, "Hz")


def test_power_factor_is_hundredths():
    assert VUMAP.measurement("output_power_factor_l1").acronym == "M057"
    assert VUMAP.measurement("output_power_factor_l1").scale == 100


def test_output_kva_takes_the_t014_factor():
    kva = VUMAP.measurement("output_kva")
    assert kva.acronym == "M004" and kva.factor10 and kva.scale == 1


def test_factor10_applies_to_kva_kw_amperes_ampere_hours_and_battery_volts_only():
    for measurement in VUMAP.measurements:
        expected = measurement.unit in ("kVA", "kW", "A", "Ah") or measurement.key in (
            "battery_voltage",
            "battery_voltage_negative",
            "dc_storage_voltage",
        )
        assert measurement.factor10 is expected, measurement.acronym


def test_only_battery_currents_are_signed():
    signed = {m.key for m in VUMAP.measurements if m.signed}
    assert signed == {"battery_current", "battery_current_negative"}


def test_rectifier_input_currents_are_three_phases():
    assert [VUMAP.measurement(f"input_current_{p}").acronym for p in ("l1", "l2", "l3")] == [
        "M064",
        "M065",
        "M066",
    ]


# --------------------------------------------------------------------------- blocks and identity


def test_status_alarms_and_measurements_are_one_96_word_read():
    status, alarms, measurements = (VUMAP.block(name) for name in VUMAP.cycle_blocks)
    assert status.address == 0x0030
    assert status.end == alarms.address
    assert alarms.end == measurements.address
    assert measurements.end - 1 == 0x008F
    assert measurements.end - status.address == 96


def test_every_named_block_exists():
    for name in (VUMAP.probe_block, *VUMAP.identity_blocks, *VUMAP.cycle_blocks, *VUMAP.slow_blocks):
        assert VUMAP.has_block(name)
    assert VUMAP.serial_number is not None and VUMAP.has_block(VUMAP.serial_number.block)
    assert VUMAP.reference is not None and VUMAP.has_block(VUMAP.reference.block)
    assert not VUMAP.serial_number.low_byte_first


def test_unit_tables_are_at_0xn_addresses():
    assert VUMAP.single_unit_number == 0
    assert unit_address(VUMAP.block("status").address, 3) == 0x3030


def test_configuration_words_sit_at_their_acronym_address():
    block = VUMAP.block("configuration")
    keys = {word.key for word in VUMAP.configuration}
    assert len(keys) == len(VUMAP.configuration) == 12
    for word in VUMAP.configuration:
        assert word.block == "configuration"
        assert block.address + word.offset == int(word.acronym[1:])
    factor = {word.acronym for word in VUMAP.configuration if word.factor10}
    assert factor == {"T005", "T006"}


def test_t015_device_codes():
    assert VUMAP.range_name(0x8300) == "MASTERYS GP4"
    assert VUMAP.range_name(0x8001) == "ITYS PRO"
    assert VUMAP.range_name(0x0288) == "DELPHYS BC - GP 2.0"
    assert VUMAP.range_name(0x1234) is None
    assert len(VUMAP.ranges) == 10


def test_installation_codes_and_bit_fields():
    assert INSTALLATION_CODES[0x0101].kind == "single"
    assert INSTALLATION_CODES[0x0801].kind == INSTALLATION_CODES[0x0901].kind == "modular_unit"
    assert INSTALLATION_CODES[0x0601].bypass == "distributed"
    assert INSTALLATION_CODES[0x0608].kind == "modular_system"
    assert len(INSTALLATION_CODES) == 5
    assert FUNCTION_BITS == {"eco_enabled": 0, "energy_saver": 1, "genset": 3, "standby_schedule": 6, "backfeed": 9}
    assert sorted(ENVIRONMENT_BITS.values()) == list(range(8))
    assert PRESENCE_BYPASS_MODULE_BIT == 13
    assert BATTERY_PRESENT_BIT == 0


# --------------------------------------------------------------------------- expressions


@pytest.mark.parametrize("kind, name, text", ALL_EXPRESSIONS)
def test_every_expression_compiles_over_this_maps_acronyms(kind, name, text):
    expression = compile_expression(text)
    assert expression.acronyms <= _acronyms(), (kind, name)


def test_condition_names_are_canonical():
    assert set(VUMAP.conditions) <= set(CONDITIONS)


def test_on_battery_needs_the_load_on_inverter():
    on_battery = compile_expression(VUMAP.conditions["on_battery"])
    assert on_battery({"A019", "S000"})
    assert not on_battery({"A019"})


def test_on_bypass_alarm_excludes_eco_mode_and_energy_saver():
    for expression in (VUMAP.well_known_alarms[55], VUMAP.rfc1628_alarms[9], VUMAP.trap_conditions[18]):
        on_bypass = compile_expression(expression)
        assert on_bypass({"S002"})
        assert not on_bypass({"S002", "S006"})
        assert not on_bypass({"S002", "S007"})


def test_rfc1628_test_in_progress_is_the_battery_test_status():
    assert VUMAP.rfc1628_alarms[24] == "S034"


def test_well_known_alarm_numbering():
    assert set(range(1, 57)) <= set(VUMAP.well_known_alarms)
    assert VUMAP.well_known_alarms[42] == "A096"
    assert VUMAP.well_known_alarms[53] == "A107"
    assert set(VUMAP.rfc1628_alarms) == set(range(1, 25))
    assert set(VUMAP.trap_conditions) == {1, *range(5, 14), *range(15, 20), 22, 23, 24}


# --------------------------------------------------------------------------- controls


def test_control_names_are_canonical():
    assert set(VUMAP.controls) <= set(CONTROLS)
    assert set(VUMAP.controls) == {
        "eco_mode_on",
        "eco_mode_off",
        "battery_test",
        "alarm_acknowledgement",
        "standby_on",  # C002, assumed (INVENTORY ACQ-20)
        "standby_off",  # C003, assumed
    }
    assert (VUMAP.controls["standby_on"].register, VUMAP.controls["standby_on"].value) == (0x00C7, 1 << 2)
    assert VUMAP.controls["standby_off"].permission_bit == 3


@pytest.mark.parametrize(
    "name, bit",
    [("eco_mode_on", 0), ("eco_mode_off", 1), ("battery_test", 12), ("alarm_acknowledgement", 15)],
)
def test_command_bits_and_their_permissions(name, bit):
    control = VUMAP.controls[name]
    assert (control.register, control.value) == (0x00C8, 1 << bit)
    assert (control.permission_register, control.permission_bit) == (0x00CA, bit)
    permissions = VUMAP.block("permissions")
    assert permissions.address <= control.permission_register < permissions.end


def test_remote_control_permission_is_p000():
    assert (VUMAP.remote_permission_register, VUMAP.remote_permission_bit) == (0x00C9, 0)
