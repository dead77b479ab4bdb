"""Secret settings (SNMP communities, SNMPv3 keys, later SMTP/RADIUS passwords).

A field declared with the ``Secret`` type of models.py is write-only outside the
daemon: the web API and pages show only whether it is set (``PLACEHOLDER`` or
""), a plain configuration download leaves it out, and a value equal to the
placeholder (or a key left out) keeps the current secret. Items of a list of
tables (USM users, trap receivers) are matched by their first field (the user
name, the receiver address), so reordering or removing a row keeps each row's
own secret.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .models import SECRET, Settings

PLACEHOLDER = "********"


def is_secret(info: FieldInfo) -> bool:
    return any(item is SECRET for item in info.metadata)


def _model_of(info: FieldInfo) -> tuple[type[BaseModel] | None, bool]:
    """(model class, is a list of it) of a field holding a table or a list of tables."""
    annotation = info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True
    return None, False


def secret_keys(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """Dotted keys of every secret field; ``[]`` marks a list of tables."""
    keys: list[str] = []
    for name, info in model.model_fields.items():
        if is_secret(info):
            keys.append(prefix + name)
            continue
        child, many = _model_of(info)
        if child is not None:
            keys += secret_keys(child, f"{prefix}{name}{'[]' if many else ''}.")
    return keys


def _identity(model: type[BaseModel], item: Any) -> Any:
    first = next(iter(model.model_fields))
    return item.get(first) if isinstance(item, dict) else None


def redact(document: dict[str, Any], model: type[BaseModel] = Settings, *, omit: bool = False) -> dict[str, Any]:
    """A copy of a dumped settings document without its secrets: each set secret becomes
    ``PLACEHOLDER`` (an unset one stays ""), or is left out with ``omit``."""
    result: dict[str, Any] = {}
    for key, value in document.items():
        info = model.model_fields.get(key)
        if info is None:
            result[key] = value
            continue
        if is_secret(info):
            if not omit:
                result[key] = PLACEHOLDER if value else ""
            continue
        child, many = _model_of(info)
        if child is not None and many and isinstance(value, list):
            result[key] = [redact(item, child, omit=omit) if isinstance(item, dict) else item for item in value]
        elif child is not None and isinstance(value, dict):
            result[key] = redact(value, child, omit=omit)
        else:
            result[key] = value
    return result


def _matching(model: type[BaseModel], item: dict[str, Any], olds: list[Any]) -> dict[str, Any]:
    """The current row ``item`` stands for: same first field; among several (two receivers at
    one address), the one whose other non-secret fields are the same."""
    identity = _identity(model, item)
    candidates = [old for old in olds if isinstance(old, dict) and _identity(model, old) == identity]
    plain = [name for name, info in model.model_fields.items() if not is_secret(info)]
    for old in candidates:
        if all(old.get(name) == item.get(name) for name in plain if name in item):
            return old
    return candidates[0] if candidates else {}


def keep_secrets(new: dict[str, Any], old: dict[str, Any], model: type[BaseModel] = Settings) -> None:
    """In the raw document ``new`` (changed in place), a secret given as ``PLACEHOLDER`` or
    left out takes its value in ``old`` (the current settings, dumped). A placeholder with
    nothing to keep becomes "" so that validation says the value is missing."""
    for name, info in model.model_fields.items():
        if is_secret(info):
            if name not in new or new[name] == PLACEHOLDER:
                if name in old:
                    new[name] = old[name]
                elif name in new:
                    new[name] = ""
            continue
        child, many = _model_of(info)
        value = new.get(name)
        if child is None or value is None:
            continue
        previous = old.get(name)
        if many and isinstance(value, list):
            olds = previous if isinstance(previous, list) else []
            for item in value:
                if not isinstance(item, dict):
                    continue
                keep_secrets(item, _matching(child, item, olds), child)
        elif not many and isinstance(value, dict):
            keep_secrets(value, previous if isinstance(previous, dict) else {}, child)


def _secret_values(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, object]]:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if is_secret(info):
            yield prefix + name, value
            continue
        if isinstance(value, BaseModel):
            yield from _secret_values(value, f"{prefix}{name}.")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, BaseModel):
                    identity = getattr(item, next(iter(type(item).model_fields)))
                    yield from _secret_values(item, f"{prefix}{name}[{identity}].")


def changed_secrets(old: Settings, new: Settings) -> list[str]:
    """Keys of the secrets that ``new`` adds, removes or changes (an admin's change)."""
    before, after = dict(_secret_values(old)), dict(_secret_values(new))
    keys = dict.fromkeys([*before, *after])
    return [key for key in keys if before.get(key) != after.get(key)]


def secret_leaf(key: str) -> bool:
    """True when the dotted settings key names a secret or a list holding secrets."""
    keys = secret_keys()
    return key in keys or any(secret.startswith(key + "[].") for secret in keys)
