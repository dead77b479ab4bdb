"""The label tables (netvision/i18n/en.py, fr.py): the same keys, no empty text, the same
placeholders, and French that is French, not English copied over."""

from __future__ import annotations

import re
import string

from netvision.i18n import en, fr

# Words and names that French writes as English does.
SAME_IN_FRENCH = {
    "action", "actions", "bypass", "communication", "configuration", "date", "description", "index",
    "information", "menu", "module", "modbus", "normal", "notification", "ok", "options", "port",
    "service", "services", "source 1", "source 2", "test", "type", "version", "contact", "notifications",
    "messages", "transport", "wake on lan", "{minutes} min",
}  # fmt: skip
# Acronyms, units, numbers and protocol names: nothing to translate in a value made of these.
TECHNICAL = re.compile(
    r"(?:[A-Z0-9][A-Z0-9./_-]*[a-z]?|v\d\w*|\d[\w.,]*|%|°C|°F|mn|ms|s|min|max|minutes|kVA|kW|Hz|V|A|"
    r"Celsius|Fahrenheit|Modbus|BACnet(?:/IP)?|NET|VISION|IPv4|IPv6|[()/:·–—,.+-])"
)


def is_technical(text: str) -> bool:
    return all(TECHNICAL.fullmatch(word) for word in re.findall(r"[^\s()/:,]+|[()/:,]", text))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_both_tables_have_the_same_keys() -> None:
    assert sorted(en.LABELS.keys() - fr.LABELS.keys()) == [], "keys missing in fr.py"
    assert sorted(fr.LABELS.keys() - en.LABELS.keys()) == [], "keys missing in en.py"


def test_no_label_is_empty() -> None:
    for name, table in (("en", en.LABELS), ("fr", fr.LABELS)):
        empty = [key for key, value in table.items() if not value.strip()]
        assert empty == [], f"empty labels in {name}.py"


def test_both_languages_use_the_same_placeholders() -> None:
    different = {
        key: (placeholders(english), placeholders(fr.LABELS[key]))
        for key, english in en.LABELS.items()
        if key in fr.LABELS and placeholders(english) != placeholders(fr.LABELS[key])
    }
    assert different == {}


def test_french_labels_are_not_english_copied_over() -> None:
    copied = {
        key: value
        for key, value in en.LABELS.items()
        if fr.LABELS.get(key) == value and value.lower() not in SAME_IN_FRENCH and not is_technical(value)
    }
    assert copied == {}, "French identical to English: translate, or add a word French shares"


def test_the_technical_rule_lets_only_acronyms_and_units_through() -> None:
    assert is_technical("SNMP v1") and is_technical("SNMP v2c") and is_technical("Modbus TCP")
    assert is_technical("BACnet/IP") and is_technical("kVA") and is_technical("NET VISION")
    assert is_technical("30 minutes") and is_technical("°C (Celsius)")
    assert not is_technical("Battery OK") and not is_technical("Log out") and not is_technical("Time")
