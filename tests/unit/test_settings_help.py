"""Every setting has a help text for the person filling the form, in every language, and
the help texts speak to that person: no manual sections or internal references."""

from __future__ import annotations

import re
import typing

from pydantic import BaseModel

from netvision.i18n import en, fr
from netvision.settings import Settings

INTERNAL = re.compile(r"§|INVENTORY|not queried|App\.|RFC 3414|MTC |Annex")


def _model_of(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_of(argument)
        if found is not None:
            return found
    return None


def setting_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted key a form shows: a section's fields (not the section itself), and a
    table with its rows' fields under the table's key (snmp.usm_users, snmp.usm_users.name)."""
    keys = []
    for name, info in model.model_fields.items():
        key = prefix + name
        inner = _model_of(info.annotation)
        if inner is None or typing.get_origin(info.annotation) is list:
            keys.append(key)
        if inner is not None:
            keys.extend(setting_keys(inner, key + "."))
    return keys


def test_every_setting_has_a_help_text_in_every_language() -> None:
    keys = setting_keys(Settings)
    assert {"snmp.trap_receivers.severity", "web.http_port", "serial.serial_timeout_ms.b9600"} <= set(keys)
    assert "system" not in keys and "serial.serial_timeout_ms" not in keys
    for labels in (en.LABELS, fr.LABELS):
        assert [key for key in keys if f"help.{key}" not in labels] == []


def test_help_texts_speak_to_the_user() -> None:
    for labels in (en.LABELS, fr.LABELS):
        bad = {key: text for key, text in labels.items() if key.startswith("help.") and INTERNAL.search(text)}
        assert bad == {}
