"""The STS map matches the French manual's annex "Table d'adresses MODBUS pour STS"."""

from __future__ import annotations

import re

import pytest

from netvision.ups.expression import compile_expression
from netvision.ups.maps.base import CONDITIONS, MEASUREMENT_KEYS, Level
from netvision.ups.maps.sts import STS, STS_STATUS_TEXTS, STS_TRAPS

ACRONYMS = {bit.acronym for bit in (*STS.statuses, *STS.alarms)}


def _all_expressions() -> list[str]:
    return [
        *STS.conditions.values(),
        *STS.trap_conditions.values(),
        *STS.well_known_alarms.values(),
        *STS.rfc1628_alarms.values(),
    ]


def test_blocks_are_the_annex_addresses_and_lengths() -> None:
    assert [(b.name, b.address, b.count) for b in STS.blocks] == [
        ("reference", 0x0100, 10),
        ("serial_number", 0x0116, 10),
        ("configuration", 0x0120, 16),
        ("status", 0x0140, 4),
        ("alarms", 0x0148, 2),
        ("measurements", 0x0220, 64),
    ]


def test_blocks_do_not_overlap() -> None:
    ordered = sorted(STS.blocks, key=lambda block: block.address)
    for previous, following in zip(ordered, ordered[1:], strict=False):
        assert previous.end <= following.address, (previous, following)


def test_read_plan_names_existing_blocks_once() -> None:
    planned = [STS.probe_block, *STS.identity_blocks, *STS.cycle_blocks, *STS.slow_blocks]
    assert all(STS.has_block(name) for name in planned)
    assert sorted({*STS.identity_blocks, *STS.cycle_blocks}) == sorted(b.name for b in STS.blocks)
    assert STS.probe_block == "reference"
    assert STS.device_kind == "sts" and STS.max_units == 1 and STS.single_unit_number == 0


def test_named_bit_and_word_counts_equal_the_annex() -> None:
    # Annex: 0x0140 14 + 0x0141 12 + 0x0142 11 named status bits; 0x0148 14 + 0x0149 10 alarms;
    # 0x0220–0x023F 29 + 0x0240–0x025F 19 named measurement words.
    assert len(STS.statuses) == 37
    assert [sum(1 for bit in STS.statuses if bit.word == word) for word in range(4)] == [14, 12, 11, 0]
    assert len(STS.alarms) == 24
    assert [sum(1 for bit in STS.alarms if bit.word == word) for word in range(2)] == [14, 10]
    assert len(STS.measurements) == 48
    assert sum(1 for m in STS.measurements if m.offset < 0x20) == 29


def test_acronyms_are_unique_and_follow_the_bit_numbering() -> None:
    bits = (*STS.statuses, *STS.alarms)
    assert len(ACRONYMS) == len(bits)
    for bit in STS.statuses:
        assert bit.acronym == f"S{bit.index:03d}"
        assert 0 <= bit.bit < 16 and bit.word < STS.block("status").count
    for bit in STS.alarms:
        assert bit.acronym == f"A{bit.index:03d}"
        assert 0 <= bit.bit < 16 and bit.word < STS.block("alarms").count


def test_measurement_acronyms_are_unique_and_inside_the_block() -> None:
    offsets = [m.offset for m in STS.measurements]
    assert len(set(offsets)) == len(offsets)
    for measurement in STS.measurements:
        assert measurement.acronym == f"M{measurement.offset:03d}"
        assert 0 <= measurement.offset < STS.block("measurements").count


@pytest.mark.parametrize(
    ("acronym", "word", "bit", "label_fr", "level"),
    [
        ("S000", 0, 0, "Source 1 OK", Level.INFORMATION),
        ("S001", 0, 1, "Source 1 critique", Level.CRITICAL),
        ("S013", 0, 13, "Sources mobiles", Level.WARNING),
        ("S016", 1, 0, "S1 comme source privilégiée", Level.INFORMATION),
        ("S019", 1, 3, "Charge non alimentée", Level.CRITICAL),
        ("S035", 2, 3, "SS1 fermée", Level.INFORMATION),
        ("S045", 2, 13, "Télécommandes activées", Level.INFORMATION),
        ("S047", 2, 15, "Mode utilisateur", Level.INFORMATION),
        ("A000", 0, 0, "Arrêt imminent", Level.CRITICAL),
        ("A003", 0, 3, "Surcharge", Level.WARNING),
        ("A015", 0, 15, "Alimentation 2 en défaut", Level.CRITICAL),
        ("A018", 1, 2, "Température ambiante max.", Level.WARNING),
        ("A031", 1, 15, "Alarme générale", Level.WARNING),
    ],
)
def test_bits_match_the_annex(acronym: str, word: int, bit: int, label_fr: str, level: Level) -> None:
    entry = STS.bit(acronym)
    assert (entry.word, entry.bit, entry.label_fr, entry.level) == (word, bit, label_fr, level)


def test_unnamed_bits_are_absent() -> None:
    for acronym in ("S005", "S011", "S022", "S025", "S027", "S031", "S040", "S044", "A008", "A012", "A019"):
        assert acronym not in ACRONYMS


def test_every_named_bit_has_an_event_level() -> None:
    # FR §18.4 lists one event, with its level, for every status and alarm of the annex.
    assert all(bit.managed for bit in (*STS.statuses, *STS.alarms))
    assert sum(bit.level is Level.CRITICAL for bit in STS.statuses) == 3
    assert sum(bit.level is Level.CRITICAL for bit in STS.alarms) == 4


def test_every_bit_has_both_labels() -> None:
    for bit in (*STS.statuses, *STS.alarms):
        assert bit.label_en.strip() and bit.label_fr.strip()
        assert bit.label_en == bit.label_en.strip() and bit.label_fr == bit.label_fr.strip()


@pytest.mark.parametrize(
    ("key", "offset", "unit", "scale"),
    [
        ("source1_voltage_l1", 0x00, "V", 1),
        ("source1_frequency", 0x06, "Hz", 10),
        ("switch1_temperature", 0x07, "°C", 1),
        ("source2_voltage_u31", 0x0D, "V", 1),
        ("switch2_temperature", 0x0F, "°C", 1),
        ("output_frequency", 0x16, "Hz", 10),
        ("output_current_n", 0x1B, "A", 10),
        ("load_rate", 0x1D, "%", 1),
        ("phase_shift", 0x1F, "°", 1),
        ("output_kva_l1", 0x20, "kVA", 10),
        ("output_power_factor_l3", 0x25, "", 100),
        ("output_crest_factor_n", 0x2B, "", 10),
        ("ambient_temperature", 0x2F, "°C", 1),
        ("output_kw", 0x33, "kW", 10),
        ("load_rate_n", 0x3B, "%", 1),
    ],
)
def test_measurements_match_the_annex(key: str, offset: int, unit: str, scale: int) -> None:
    measurement = STS.measurement(key)
    assert (measurement.offset, measurement.unit, measurement.scale) == (offset, unit, scale)


def test_only_the_phase_shift_is_signed() -> None:
    assert [m.key for m in STS.measurements if m.signed] == ["phase_shift"]


def test_measurement_keys_are_canonical_with_the_same_unit() -> None:
    keys = [m.key for m in STS.measurements]
    assert len(set(keys)) == len(keys)
    for measurement in STS.measurements:
        assert measurement.key in MEASUREMENT_KEYS, measurement.key
        assert measurement.unit == MEASUREMENT_KEYS[measurement.key], measurement.key
        assert measurement.scale >= 1 and not measurement.factor10


def test_condition_names_are_known() -> None:
    assert set(STS.conditions) <= set(CONDITIONS)
    for name in (
        "source1_ok",
        "source2_ok",
        "sources_synchronised",
        "source1_preferred",
        "load_on_preferred_source",
        "load_on_alternate_source",
        "load_off",
        "load_on_manual_bypass_1",
        "load_on_manual_bypass_2",
        "load_on_source1",
        "load_on_source2",
        "output_ok",
        "remote_controls_permitted",
        "maintenance_alarm",
        "imminent_stop",
        "overload",
        "general_alarm",
    ):
        assert STS.conditions[name], name


def test_every_expression_compiles_over_this_maps_acronyms() -> None:
    for text in _all_expressions():
        expression = compile_expression(text)
        assert expression.acronyms <= ACRONYMS, text
        for acronym in re.findall(r"[SA]\d+", text):
            assert re.fullmatch(r"[SA]\d{3}", acronym), text


def test_remote_controls_permitted_is_bit_13_of_the_third_status_word() -> None:
    bit = STS.bit(STS.conditions["remote_controls_permitted"])
    assert (bit.word, bit.bit) == (2, 13)
    assert compile_expression(STS.conditions["remote_controls_permitted"])({"S045"})


def test_sources_synchronised_when_permanently_or_instantaneously_in_sync() -> None:
    synchronised = compile_expression(STS.conditions["sources_synchronised"])
    assert synchronised({"S012"}) and synchronised({"S015"})
    assert not synchronised({"S013", "S014"})


def test_traps_are_the_eight_of_the_annex_each_with_a_trigger() -> None:
    assert [name for _, name, _ in STS_TRAPS] == [
        "stsTrapImminentStop",
        "stsTrapOverload",
        "stsTrapSwitchOnPreferredSource",
        "stsTrapSwitchOnAlternateSource",
        "stsTrapSource1PreferredSource",
        "stsTrapOutputLoadOFF",
        "stsTrapGeneralAlarm",
        "stsTrapAlarmCancelled",
    ]
    assert sorted(STS.trap_conditions) == [number for number, _, _ in STS_TRAPS]
    assert all(STS.trap_conditions.values())


def test_alarm_cancelled_trap_is_the_fall_of_the_general_alarm() -> None:
    general = compile_expression(STS.trap_conditions[7])
    cancelled = compile_expression(STS.trap_conditions[8])
    assert general({"A031"}) and not cancelled({"A031"})
    assert cancelled(set()) and not general(set())


def test_status_texts_are_the_manual_list_in_order() -> None:
    assert [english for _, english, _ in STS_STATUS_TEXTS] == [
        "Unknown",
        "In Service mode",
        "On maintenance bypass 1",
        "On maintenance bypass 2",
        "Imminent stop",
        "On preferred source",
        "On alternate source",
        "Load off",
    ]
    keys = [key for key, _, _ in STS_STATUS_TEXTS]
    assert len(set(keys)) == len(keys)
    assert all(french for _, _, french in STS_STATUS_TEXTS)


def test_ups_only_tables_are_empty() -> None:
    assert STS.ranges == () and STS.configuration == ()
    assert dict(STS.well_known_alarms) == {} and dict(STS.rfc1628_alarms) == {}
    assert dict(STS.controls) == {}
    assert STS.remote_permission_register is None


def test_text_fields_are_ten_words_most_significant_byte_first() -> None:
    for field, block in ((STS.reference, "reference"), (STS.serial_number, "serial_number")):
        assert field is not None
        assert (field.block, field.offset, field.words, field.low_byte_first) == (block, 0, 10, False)
        assert field.offset + field.words <= STS.block(block).count
