"""Settings forms: what each field of a settings page shows, ready for the
``partials/forms.html`` macros. Every settings page (and the tables of rows, such as
trap receivers or SNMPv3 users) is made of these.

A field's label is ``setting.<dotted key>`` in the label tables, its help text
``help.<dotted key>``. A secret is never sent to the browser: its field says whether
it is set, and a value typed in replaces it.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ...i18n import has, label
from ...settings import Settings
from ...settings.secrets import is_secret

# The longest name of a list typed as one text (a NUT name: 32 characters).
MAX_LIST_NAME = 32


@dataclass
class FormField:
    key: str  # dotted settings key, or a row's field name in a table
    ident: str  # the HTML id
    label: str
    help: str
    kind: str  # "bool", "choice", "int", "text", "secret"
    value: Any = ""
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    value_type: str = "str"  # how the script sends it: "str", "int", "bool"
    disabled: bool = False
    secret_set: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None


def field_info(settings: BaseModel, dotted: str) -> tuple[Any, FieldInfo]:
    """(value, field info) of a dotted settings key."""
    *parents, leaf = dotted.split(".")
    node: BaseModel = settings
    for part in parents:
        node = getattr(node, part)
    return getattr(node, leaf), type(node).model_fields[leaf]


def _bounds(info: FieldInfo) -> tuple[int | None, int | None, int | None]:
    low = high = length = None
    for item in info.metadata:
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
        length = getattr(item, "max_length", None) if getattr(item, "max_length", None) is not None else length
    return low, high, length


def choice_label(key: str, choice: object, language: str) -> str:
    """A choice's words: ``choice.<key>.<value>`` if the tables have it, else the value."""
    name = f"choice.{key}.{choice}"
    return label(name, language) if has(name) else str(choice)


def make_field(
    value: Any,
    info: FieldInfo,
    key: str,
    language: str,
    *,
    ident: str,
    label_key: str,
    can_write: bool,
    can_change_secrets: bool = False,
) -> FormField:
    annotation = info.annotation
    help_key = "help." + label_key.removeprefix("setting.")
    help_text = label(help_key, language) if has(help_key) else ""
    low, high, length = _bounds(info)
    common: dict[str, Any] = {
        "key": key,
        "ident": ident,
        "label": label(label_key, language) if has(label_key) else key,
        "help": help_text,
        "disabled": not can_write,
        "max_length": length,
    }
    if is_secret(info):
        return FormField(kind="secret", secret_set=bool(value), **{**common, "disabled": not (can_write and can_change_secrets)})
    if annotation is bool:
        choices = [("true", label("form.enabled", language)), ("false", label("form.disabled", language))]
        return FormField(kind="bool", value="true" if value else "false", choices=choices, value_type="bool", **common)
    if typing.get_origin(annotation) is typing.Literal:
        options = typing.get_args(annotation)
        kind = "int" if isinstance(options[0], int) else "str"
        choices = [(str(option), choice_label(key, option, language)) for option in options]
        return FormField(kind="choice", value=str(value), choices=choices, value_type=kind, **common)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        # A list of names (the NUT server's aliases): typed as one text, separated by commas.
        # Its max_length counts names, not characters: the text takes that many long names.
        if common.get("max_length"):
            common = {**common, "max_length": common["max_length"] * (MAX_LIST_NAME + 2)}
        return FormField(kind="text", value=", ".join(value), value_type="list", **common)
    if isinstance(value, int):
        return FormField(kind="int", value=value, value_type="int", minimum=low, maximum=high, **common)
    return FormField(kind="text", value="" if value is None else str(value), **common)


def form_fields(
    settings: Settings, keys: Sequence[str], language: str, can_write: bool, can_change_secrets: bool = False
) -> list[FormField]:
    """The fields of a settings form, in order."""
    fields = []
    for key in keys:
        value, info = field_info(settings, key)
        fields.append(
            make_field(
                value,
                info,
                key,
                language,
                ident="f-" + key.replace(".", "-"),
                label_key=f"setting.{key}",
                can_write=can_write,
                can_change_secrets=can_change_secrets,
            )
        )
    return fields
