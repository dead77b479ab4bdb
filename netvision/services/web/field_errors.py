"""Which field of a page a refused settings change is about, and what to tell the user.

The settings store refuses a change with one line per problem (``snmp.port = 70000: must
be at most 65535``, ``snmp.usm_users[1]: the auth password needs 8 characters at least``,
``bacnet.port: udp port 161 is already used by snmp.port``). A page needs the field to
highlight and a message naming it by its label: :func:`problem_fields` gives
``[{"field": key, "message": text}]``. A row of a table is ``<table key>.<row>.<name>``
(``snmp.trap_receivers.2.port``), the row being the one shown on the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ...i18n import has, label

_KEY = re.compile(
    # A value may hold colons (a MAC or IPv6 address): the store writes it quoted.
    r'^(?P<key>[a-z_][a-z0-9_]*(?:(?:\.[a-z_][a-z0-9_]*)|(?:\[\d+\]))*)(?: = (?:"(?:[^"\\]|\\.)*"|[^:]*))?: (?P<why>.*)$'
)
_MENTIONED = re.compile(r"\b[a-z_]+(?:\.[a-z_0-9]+)+\b")
_ROW = re.compile(r"^(?P<table>[a-z_.]+)\[(?P<index>\d+)\](?:\.(?P<name>[a-z_]+))?$")


# The store's reasons, in the page's language: (pattern, label key with the pattern's groups).
_REASONS = (
    (re.compile(r"^must be at most (?P<n>-?[\d.]+)$"), "field_error.at_most"),
    (re.compile(r"^must be at least (?P<n>-?[\d.]+)$"), "field_error.at_least"),
    (re.compile(r"^must be a whole number$"), "field_error.whole_number"),
    (re.compile(r"^Enter a number$"), "form_check.enter_number"),  # a number field left empty
    (re.compile(r"^must be true or false$"), "field_error.boolean"),
    (re.compile(r"^must be one of .*$"), "field_error.one_of"),
    (re.compile(r"^must not be empty$"), "field_error.empty"),
    (re.compile(r"^is required$"), "field_error.required"),
    (re.compile(r"^must be at most (?P<n>\d+) characters$"), "field_error.too_long"),
    (re.compile(r"^not an IPv4 or IPv6 address$"), "field_error.address"),
    (
        re.compile(r"^(?P<proto>tcp|udp) port (?P<port>\d+) is already used by (?P<other>.+)$"),
        "field_error.port_used",
    ),
    (re.compile(r"^enabled but none of v1, v2c, v3 is accepted$"), "field_error.no_snmp_version"),
    (re.compile(r"^the auth password needs 8 characters at least.*$"), "field_error.auth_password"),
    (re.compile(r"^the priv password needs 8 characters at least.*$"), "field_error.priv_password"),
    (re.compile(r"^\(\)\[\]\{\}\\\$%&/ are not allowed in passwords.*$"), "field_error.password_characters"),
    (
        re.compile(r"^1 to 32 letters, digits, '_', '\.' or '-', starting with a letter or digit$"),
        "nut.name_rule",
    ),
    (re.compile(r"^the UPS name and its aliases must differ$"), "nut.names_differ"),
)


def reason(why: str, language: str) -> str:
    """The store's reason in ``language``, when the label tables have it."""
    for pattern, key in _REASONS:
        match = pattern.match(why)
        if match and has(key):
            values = {
                name: value.upper() if name == "proto" else value for name, value in match.groupdict().items()
            }
            return label(key, language).format(**values)
    return why


def _under(key: str, changed: Iterable[str]) -> bool:
    return any(key == item or key.startswith(item + ".") or item.startswith(key + ".") for item in changed)


def _field_label(key: str, language: str) -> str:
    name = f"setting.{key}"
    return label(name, language) if has(name) else key.rsplit(".", 1)[-1]


def problem_fields(
    problems: Sequence[str],
    changed: Iterable[str],
    language: str = "en",
    *,
    row_of: Callable[[str, int], int] | None = None,
    row_fields: dict[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """The field each problem is about, with a message naming it by its label.

    ``changed``: the dotted keys the request changed; a problem naming several keys (a port
    clash) is put on the one that changed. ``row_of(table, stored index)``: the page row of a
    stored row (rows without an address are not stored). ``row_fields``: a table's field
    names, to find the field a row-level problem is about ("the auth password ...")."""
    changed = list(changed)
    out = []
    for problem in problems:
        match = _KEY.match(problem)
        key, why = (match["key"], match["why"]) if match else ("", problem)
        candidates = [key] if key else []
        candidates += [word for word in _MENTIONED.findall(why) if word not in candidates]
        chosen = next((item for item in candidates if item in changed), None)
        chosen = chosen or next((item for item in candidates if _under(item, changed)), None) or (key or None)
        if chosen is None:
            out.append({"field": "", "message": problem})
            continue
        if key and chosen != key and chosen in why:
            why = why.replace(chosen, key)  # a clash: said from the side of the field that changed
        why = _MENTIONED.sub(lambda m: _field_label(m[0], language) if has(f"setting.{m[0]}") else m[0], why)
        raw = why
        why = reason(why, language)
        colon = label("colon", language)
        row = _ROW.match(chosen)
        if row:
            table, index = row["table"], int(row["index"])
            names = list((row_fields or {}).get(table, ()))
            name = row["name"]
            if name is None:  # a problem of the whole row: the field it speaks of, else the first
                text = raw.lower()
                name = next((n for n in names if n.replace("_", " ") in text), None)
                name = name or next(
                    (n for n in names if n.rsplit("_", 1)[-1] in text), names[0] if names else ""
                )
            shown = row_of(table, index) if row_of else index
            field = f"{table}.{shown}.{name}" if name else f"{table}.{shown}"
            row_label = _field_label(f"{table}.row", language)
            message = f"{row_label} {shown + 1}, {_field_label(f'{table}.{name}', language)}{colon}{why}"
            out.append({"field": field, "message": message})
            continue
        if chosen not in changed and "." in chosen and "[" not in chosen:
            # A section-level problem ("snmp: enabled but none of v1, v2c, v3 ..."): the changed
            # field of that section the message speaks of, else the first changed one.
            inside = [item for item in changed if item.startswith(chosen + ".")]
            spoken = [item for item in inside if item.rsplit(".", 1)[-1] in raw]
            chosen = (spoken or inside or [chosen])[0]
        elif "." not in chosen:
            inside = [item for item in changed if item.startswith(chosen + ".")]
            spoken = [item for item in inside if re.search(rf"\b{re.escape(item.rsplit('.', 1)[-1])}\b", raw)]
            chosen = (spoken or inside or [chosen])[0]
        out.append({"field": chosen, "message": f"{_field_label(chosen, language)}{colon}{why}"})
    return out
