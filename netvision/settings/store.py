"""Load, check and save the settings TOML file.

Saving is atomic (DESIGN.md "Settings"): the new document goes to ``FILE.tmp``
in the same directory and is fsync'ed, the current file is kept as
``FILE.bak``, then ``os.replace`` swaps the new file in and the directory is
fsync'ed. Whatever instant the process dies at, ``FILE`` is either the old
complete document or the new complete document.

Run ``python -m netvision.settings.store --write-defaults config/netvision.toml``
after changing a model, so the shipped defaults file stays in step.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import tomllib
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import annotated_types
import tomli_w
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from netvision.fileio import atomic_write
from netvision.settings.models import Settings

PathLike = str | os.PathLike[str]

HEADER = (
    "# netvision settings: one table per group of the NET VISION management pages (manual §18).\n"
    "# Any key may be left out: it then takes the default shown in config/netvision.toml.\n"
    "# Check a file with: netvision config check FILE\n"
)

# Serialises saves inside one process: they share the FILE.tmp name.
_save_lock = threading.Lock()


class SettingsError(Exception):
    """A settings file (or a change) that cannot be used; one line per problem."""

    def __init__(self, source: str | None, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# -- reading -------------------------------------------------------------------------------------


def load_settings(path: PathLike) -> Settings:
    """Read and validate ``path``; keys left out take their defaults."""
    source = os.fspath(path)
    try:
        raw = Path(source).read_bytes()
    except FileNotFoundError:
        raise SettingsError(source, [f"{source}: file not found"]) from None
    except OSError as exc:
        raise SettingsError(source, [f"{source}: cannot read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(source, [f"{source}: not UTF-8 text (byte {exc.start})"]) from None
    return settings_from_toml(text, source)


# No settings table nests deeper than 5 levels; a document nesting deeper is refused
# before validation (an uploaded file must not cost a deep recursion).
MAX_DEPTH = 16


def depth(value: object, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a parsed document, counted up to ``limit + 1`` and no further."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if level > limit:
            return level
        deepest = max(deepest, level)
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


def parse_toml(text: str, source: str = "<settings>") -> dict[str, Any]:
    """The TOML document as a dict; syntax errors and excessive nesting are SettingsErrors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(source, [_syntax_problem(source, exc)]) from None
    except RecursionError:
        data = None
    if data is None or depth(data) > MAX_DEPTH:
        raise SettingsError(source, [f"{source}: arrays or tables nested more than {MAX_DEPTH} levels deep"])
    return data


def settings_from_toml(text: str, source: str = "<settings>") -> Settings:
    """Validate a TOML document, e.g. an uploaded configuration backup (§18.2)."""
    data = parse_toml(text, source)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(source, validation_problems(exc, source)) from None


def _missing_keys(full: dict[str, Any], given: dict[str, Any], prefix: str = "") -> list[str]:
    missing = []
    for key, value in full.items():
        if key not in given:
            missing.append(prefix + key)
        elif isinstance(value, dict) and isinstance(given[key], dict):
            missing += _missing_keys(value, given[key], f"{prefix}{key}.")
    return missing


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value  # a value or a list (of trap receivers, links...) replaces the current one
    return merged


def settings_from_upload(text: str, current: Settings, source: str = "uploaded file") -> tuple[Settings, list[str]]:
    """A restored configuration (§18.2): the file merged over ``current``, never over the
    defaults, so a partial file changes only what it holds. Secrets the file leaves out
    (a plain download omits them) keep their current values, and so does ``data_dir``.
    Returns the new settings and the keys the file left out (kept as they are)."""
    from .secrets import keep_secrets, secret_keys

    data = parse_toml(text, source)
    base = current.model_dump(mode="json")
    # A plain download leaves the secrets out by design: that does not make it partial.
    secrets = set(secret_keys())
    missing = [key for key in _missing_keys(base, data) if key != "data_dir" and key not in secrets]
    merged = _merge(base, data)
    merged["data_dir"] = current.data_dir
    keep_secrets(merged, base)
    try:
        return Settings.model_validate(merged), missing
    except ValidationError as exc:
        raise SettingsError(source, validation_problems(exc, source)) from None


def check_file(path: PathLike) -> list[str]:
    """Problems found in ``path``, one line each; an empty list means the file is good."""
    try:
        load_settings(path)
    except SettingsError as exc:
        return exc.problems
    return []


_TOML_POSITION = re.compile(r"^(?P<what>.*?)\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$")


def _syntax_problem(source: str, exc: tomllib.TOMLDecodeError) -> str:
    # Python 3.11's TOMLDecodeError has no lineno attribute; the position is in the message.
    message = str(exc)
    match = _TOML_POSITION.match(message)
    if match is None:
        return f"{source}: TOML syntax error: {message}"
    return f"{source}: line {match['line']}, column {match['column']}: TOML syntax error: {match['what']}"


def validation_problems(exc: ValidationError, source: str | None = None) -> list[str]:
    """One short line per pydantic error: ``FILE: dotted.key = value: why``."""
    problems = []
    for error in exc.errors():
        key = _dotted(error["loc"])
        why = _why(error)
        shown = _shown_value(error)
        if key and shown is not None:
            line = f"{key} = {shown}: {why}"
        elif key:
            line = f"{key}: {why}"
        else:
            line = why
        problems.append(f"{source}: {line}" if source else line)
    return problems


def _dotted(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key


# The reason of a number field given nothing (null, "" or spaces): field_errors.py says it in
# the page's language.
ENTER_A_NUMBER = "Enter a number"
NUMBER_ERRORS = ("int_type", "int_parsing", "float_type", "float_parsing")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _why(error: Any) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    simple = {
        "extra_forbidden": "unknown key",
        "missing": "is required",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "string_type": "must be a string",
        "string_pattern_mismatch": "contains characters that are not allowed",
        "model_type": "must be a table",
        "model_attributes_type": "must be a table",
        "dict_type": "must be a table",
        "list_type": "must be an array",
    }
    if kind in NUMBER_ERRORS and _blank(error.get("input")):
        # A number field left empty (the web sends null, a hand-written file ""): what to do,
        # rather than what it is not (docs/decisions.md "Form checks").
        return ENTER_A_NUMBER
    if kind in simple:
        return simple[kind]
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if kind == "greater_than":
        return f"must be more than {ctx['gt']}"
    if kind == "less_than":
        return f"must be less than {ctx['lt']}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else f"needs {ctx['min_length']}+ characters"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    message: str = error["msg"]
    return message[:1].lower() + message[1:]


def _shown_value(error: Any) -> str | None:
    """The offending value in TOML spelling, when it is a short scalar."""
    if error["type"] in ("extra_forbidden", "missing") or not error["loc"]:
        return None
    value = error.get("input")
    if isinstance(value, dict | BaseModel) or value is None:
        return None
    try:
        shown = tomli_w.dumps({"v": value}).split("=", 1)[1].strip()
    except (TypeError, ValueError):
        return None
    return shown if len(shown) <= 60 and "\n" not in shown else None


# -- changes -------------------------------------------------------------------------------------


def _flatten(model: BaseModel, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def changed_keys(old: Settings, new: Settings) -> list[tuple[str, object, object]]:
    """(dotted key, old value, new value) for every leaf that differs, in field order.

    Feeds the NET VISION event "X has been changed via Y by Z" (§21.4).
    """
    before, after = _flatten(old), _flatten(new)
    keys = dict.fromkeys([*before, *after])
    return [(key, before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)]


def apply_changes(settings: Settings, changes: Mapping[str, object]) -> Settings:
    """A new validated ``Settings`` with ``{"serial.polling_rate": 5, ...}`` applied.

    Raises ``SettingsError`` (lines without a file name) when a key is unknown
    or a value is refused; ``settings`` itself is never modified.
    """
    data: dict[str, Any] = settings.model_dump()
    problems = []
    for key, value in changes.items():
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                problems.append(f"{key}: unknown key")
                break
            node = child
        else:
            node[leaf] = value
    if problems:
        raise SettingsError(None, problems)
    from .secrets import keep_secrets

    keep_secrets(data, settings.model_dump())  # a placeholder or a row without its secret keeps it
    try:
        new = Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(None, validation_problems(exc)) from None
    problem = web_unreachable_problem(settings, new)
    if problem:
        raise SettingsError(None, [problem])
    return new


def web_unreachable_problem(old: Settings, new: Settings) -> str | None:
    """The problem of a change that switches off the last web listener, else None.

    With HTTP and HTTPS both off, no browser reaches the pages again until the file is
    edited by hand. A file may still start with both off (a headless gateway), but a
    change never turns the last one off. The problem names both fields.
    """
    if (old.web.http_enabled or old.web.https_enabled) and not (new.web.http_enabled or new.web.https_enabled):
        turned_off = "web.http_enabled" if old.web.http_enabled else "web.https_enabled"
        other = "web.https_enabled" if turned_off == "web.http_enabled" else "web.http_enabled"
        return f"{turned_off}: cannot be disabled while {other} is disabled too: no browser could reach the web pages"
    return None


# -- writing -------------------------------------------------------------------------------------


def _constraint_note(info: FieldInfo) -> str:
    """ "(1..60)" or "(one of: C, F)" from the field's constraints, for the file's comments."""
    annotation = info.annotation
    if typing.get_origin(annotation) is typing.Literal:
        return "(one of: " + ", ".join(str(choice) for choice in typing.get_args(annotation)) + ")"
    low = high = None
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Le):
            high = item.le
    if low is not None and high is not None:
        return f"({low}..{high})"
    if low is not None:
        return f"(>= {low})"
    if high is not None:
        return f"(<= {high})"
    return ""


def _comment(info: FieldInfo) -> str | None:
    parts = [info.description or "", _constraint_note(info)]
    text = " ".join(part for part in parts if part)
    return f"# {text}" if text else None


def _emit(lines: list[str], model: BaseModel, prefix: tuple[str, ...], with_secrets: bool = True) -> None:
    from .secrets import is_secret, redact

    dumped = model.model_dump(mode="json")
    if not with_secrets:
        dumped = redact(dumped, type(model), omit=True)
    tables: list[tuple[str, FieldInfo, object]] = []
    for name, info in type(model).model_fields.items():
        if not with_secrets and is_secret(info):
            continue
        value = getattr(model, name)
        # A non-empty list of tables (snmp.trap_receivers…) is emitted as [[a.b]] under its full path.
        table_list = isinstance(dumped[name], list) and bool(dumped[name]) and isinstance(dumped[name][0], dict)
        if isinstance(value, BaseModel) or isinstance(dumped[name], dict) or table_list:
            tables.append((name, info, value))
            continue
        if dumped[name] is None:
            raise TypeError(f"{'.'.join((*prefix, name))}: TOML has no null, use a default value")
        comment = _comment(info)
        if comment:
            lines.append(comment)
        lines.append(tomli_w.dumps({name: dumped[name]}).rstrip("\n"))
    for name, info, value in tables:
        path = (*prefix, name)
        lines.append("")
        if info.description:
            lines.append(f"# {info.description}")
        if isinstance(value, BaseModel):
            lines.append(f"[{'.'.join(path)}]")
            _emit(lines, value, path, with_secrets)
        else:
            # Each row as its own [[a.b]] table: tomli_w would write a short list inline under a
            # second [a] header, which TOML refuses (the section is declared above).
            items = typing.cast(list[dict[str, Any]], dumped[name])
            for index, item in enumerate(items):
                if index:
                    lines.append("")
                lines.append(f"[[{'.'.join(path)}]]")
                lines.extend(tomli_w.dumps({key: item[key]}).rstrip("\n") for key in item)


def settings_to_toml(settings: Settings, *, with_secrets: bool = True) -> str:
    """The whole document, every key with a comment line, so the file explains itself.
    Without ``with_secrets`` (a plain configuration download) the secrets are left out."""
    lines = HEADER.rstrip("\n").splitlines()
    if not with_secrets:
        lines.append("# Secrets (communities, passwords) are left out: restoring this file keeps the current ones.")
    lines.append("")
    _emit(lines, settings, (), with_secrets)
    return "\n".join(lines) + "\n"


def default_settings_toml() -> str:
    """The content of config/netvision.toml."""
    return settings_to_toml(Settings())


def save_settings(settings: Settings, path: PathLike, *, backup: bool = True) -> None:
    """Write ``settings`` to ``path`` atomically, keeping the previous file as ``path.bak``."""
    text = settings_to_toml(settings)
    # Never write a document this module could not read back.
    if settings_from_toml(text, "<generated>") != settings:
        raise RuntimeError("settings do not survive a TOML round trip")
    # Write beside the real file when path is a symbolic link, so the link stays.
    target = Path(os.path.realpath(path))
    try:
        with _save_lock:
            atomic_write(target, text.encode("utf-8"), backup=backup)
    except OSError as exc:
        source = os.fspath(path)
        raise SettingsError(source, [f"{source}: cannot write: {exc.strerror or exc}"]) from exc


# -- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netvision.settings.store")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write-defaults", metavar="FILE", help="write every default, with comments")
    group.add_argument("--check", metavar="FILE", help="list the problems of a settings file")
    args = parser.parse_args(argv)
    if args.write_defaults:
        existed = os.path.exists(args.write_defaults)
        save_settings(Settings(), args.write_defaults, backup=False)
        if not existed:
            os.chmod(args.write_defaults, 0o644)  # the defaults hold no secret; a new file is 0600
        return 0
    problems = check_file(args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
