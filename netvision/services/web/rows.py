"""Tables of rows of a list setting: the NUT users, the SNMPv3 users (§18.7), the trap
receivers (§18.8), the mail recipients (§18.9) and the Wake-on-LAN servers (§18.11).

Each is one :class:`ListSetting`: the page shows its rows (``partials/tables.html``
``rows_form``, ``static/js/rows.js``) and one route saves the table whole. A table is
saved through its own route rather than the settings form because its rows carry secrets
(a community, a password) the page never has: a row sends ``null`` for a secret left
empty, and keeps the secret of the saved row it was shown from (``slot``), even when its
name or address changes. Only the accounts that may change the table see its controls;
the others see the rows, read only, or not at all when the table is admin's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from ...i18n import has, label
from ...settings.models import Settings
from ...settings.secrets import is_secret
from ...settings.store import SettingsError, apply_changes
from .app import ApiError, session_of, state_of
from .field_errors import problem_fields
from .forms import FormField, make_field
from .routes import Handler, Route, problems
from .sessions import Session

VIA = "Web"

# Field names of each table's rows, for the errors of a whole row (field_errors.problem_fields).
TABLES: dict[str, Sequence[str]] = {}


@dataclass
class TableRow:
    """One row of a table of settings: its place on the page, the saved row it shows
    (None for a new one) and its fields, in column order."""

    index: int | str
    slot: int | None
    fields: list[FormField]
    extra: dict[str, Any] = field(default_factory=dict)


def table_row(
    model: type[BaseModel],
    item: BaseModel,
    table_key: str,
    columns: tuple[str, ...],
    index: int | str,
    slot: int | None,
    language: str,
    can_write: bool,
    can_change_secrets: bool,
) -> TableRow:
    prefix = table_key.replace(".", "-").replace("_", "-")
    fields = [
        make_field(
            getattr(item, name),
            model.model_fields[name],
            name,
            language,
            ident=f"{prefix}-{index}-{name}",
            label_key=f"setting.{table_key}.{name}",
            can_write=can_write,
            can_change_secrets=can_change_secrets,
        )
        for name in columns
    ]
    # Choice words are the table's (choice.snmp.trap_receivers.version.v1...), not the row's own key.
    for form_field in fields:
        if form_field.kind == "choice":
            form_field.choices = [
                (value, _choice(f"{table_key}.{form_field.key}", value, text, language))
                for value, text in form_field.choices
            ]
    return TableRow(index, slot, fields)


def _choice(key: str, value: str, fallback: str, language: str) -> str:
    name = f"choice.{key}.{value}"
    return label(name, language) if has(name) else fallback


def column_labels(table_key: str, columns: tuple[str, ...], language: str) -> list[str]:
    return [label(f"setting.{table_key}.{name}", language) for name in columns]


# -- one list setting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSetting:
    """A list setting shown as a table of rows, and how its page and route treat it.

    ``texts`` names the page's words by what rows.js does with them: ``saved``, ``full``
    (the table is full), ``confirm_remove`` / ``remove`` / ``removed`` (deleting a row),
    ``confirm_clear`` / ``clear`` / ``cleared`` (emptying a row of a fixed table), ``set``
    (a secret now set). A confirmation may name the row by ``{row}`` and by its ``name_field``.
    """

    key: str  # the setting, "nut.users"
    model: type[BaseModel]  # one row of the setting
    body: type[BaseModel]  # what the page sends: {"rows": [...]}
    columns: tuple[str, ...]
    max_rows: int
    path: str  # the route that saves the table
    ident: str  # the page's ids: <ident>-form, <ident>-add, <ident>-empty
    table_id: str
    row_label: str  # label key of one row ("nut.user")
    name_field: str  # the field that names a row in a confirmation, and gets the focus when added
    blank: Callable[[], BaseModel]  # a new row
    texts: Mapping[str, str]
    what: str  # the table in words, for a refusal ("NUT users")
    fixed: bool = False  # always max_rows rows on the page, the unused ones empty (§18.8, §18.9)
    used_by: str | None = None  # a row with this field empty is not used, and not stored
    admin_only: bool = False  # else admin and Read/Write accounts change it
    clearable: bool = False  # a fixed table's row has a Clear button
    unique: str | None = None  # a field two rows may not share (a NUT user's name)
    new_needs: str | None = None  # a secret a new row must be given (a NUT user's password)

    def can_change(self, session: Session) -> bool:
        return session.is_admin if self.admin_only else session.can_write

    def saved(self, settings: Settings) -> list[Any]:
        section, leaf = self.key.split(".")
        return list(getattr(getattr(settings, section), leaf))


def register(table: ListSetting) -> ListSetting:
    TABLES.setdefault(table.key, table.columns)
    return table


def rows_view(table: ListSetting, settings: Settings, session: Session, language: str) -> dict[str, Any]:
    """What ``partials/tables.html`` ``rows_form`` draws: the rows (the saved ones, then the
    unused ones of a fixed table), a blank row to add or to clear with, and the words."""
    can_change = table.can_change(session)
    saved = table.saved(settings)
    count = table.max_rows if table.fixed else len(saved)
    rows: list[TableRow] = []
    for index in range(count):
        slot = index if index < len(saved) else None
        item: Any = saved[index] if slot is not None else table.blank()
        row = table_row(
            table.model, item, table.key, table.columns, index, slot, language, can_change, session.is_admin
        )
        if "events" in table.model.model_fields:
            row.extra = {"events": set(item.events), "by_events": item.event_filter == "events"}
        rows.append(row)
    template = None
    if can_change:
        template = table_row(
            table.model, table.blank(), table.key, table.columns, "__ROW__", None, language, True,
            session.is_admin,
        )  # fmt: skip
    return {
        "key": table.key,
        "ident": table.ident,
        "table_id": table.table_id,
        "path": table.path,
        "rows": rows,
        "template_row": template,
        "columns": column_labels(table.key, table.columns, language),
        "row_label": label(table.row_label, language),
        "can_change": can_change,
        "fixed": table.fixed,
        "clearable": table.clearable and can_change,
        "config": {
            "path": table.path,
            "max_rows": table.max_rows,
            "next_row": count,
            "name_field": table.name_field,
            "used_by": table.used_by or "",
            "unique": table.unique or "",
            "new_needs": table.new_needs or "",
            "texts": {name: label(key, language) for name, key in table.texts.items()},
        },
    }


# -- saving a table ----------------------------------------------------------------------------------


class TableSaved(BaseModel):
    ok: bool
    rows: int = Field(description="How many rows are saved")


async def _body(request: web.Request, model: type[BaseModel], table_key: str) -> Any:
    """The body as ``model``; a wrong row field is named as the page shows it (422)."""
    from .api import read_json

    body = await read_json(request)
    try:
        return model.model_validate(body)
    except ValidationError as error:
        found = problems(error)
        given_rows = body.get("rows")
        rows: list[Any] = given_rows if isinstance(given_rows, list) else []
        for item in found:
            parts = item["field"].split(".")
            if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
                given = rows[int(parts[1])] if int(parts[1]) < len(rows) else {}
                shown = given.get("row", parts[1]) if isinstance(given, dict) else parts[1]
                item["field"] = f"{table_key}.{shown}.{parts[2]}"
        raise ApiError(422, "; ".join(f"{p['field']}: {p['message']}" for p in found), fields=found) from None


def row_problems(
    table: ListSetting, rows: Sequence[Mapping[str, Any]], saved_count: int, language: str
) -> list[dict[str, Any]]:
    """The page's own checks of a table's used rows, as ``[{"field", "message"}]`` (the row as
    numbered on the page): a name already used by an earlier row is refused on the later one,
    and a new row (no saved row behind it) needs its secret (an existing row keeps its own when
    left empty: secrets are write-only)."""
    colon = label("colon", language)
    row_word = label(f"setting.{table.key}.row", language) if has(f"setting.{table.key}.row") else "#"
    out: list[dict[str, Any]] = []
    first: dict[str, int] = {}

    def problem(row: Mapping[str, Any], name: str, why: str) -> None:
        shown = int(row.get("row", 0))
        column = label(f"setting.{table.key}.{name}", language)
        out.append({"field": f"{table.key}.{shown}.{name}", "message": f"{row_word} {shown + 1}, {column}{colon}{why}"})

    for row in rows:
        if table.unique:
            value = str(row.get(table.unique) or "").strip()
            if value in first:
                problem(
                    row, table.unique,
                    label("form_check.name_taken", language).format(name=value, row=first[value] + 1),
                )  # fmt: skip
            elif value:
                first[value] = int(row.get("row", 0))
        if table.new_needs:
            slot = row.get("slot")
            is_new = slot is None or not 0 <= int(slot) < saved_count
            if is_new and not row.get(table.new_needs):
                problem(row, table.new_needs, label("form_check.password_needed", language))
    return out


async def _save_table(
    request: web.Request, table_key: str, model: type[BaseModel], rows: list[Any], keep_row: Any
) -> web.Response:
    from .api import _check_secrets, json_response

    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    section, leaf = table_key.split(".")
    current = list(getattr(getattr(state.settings, section), leaf))
    secrets = [name for name, info in model.model_fields.items() if is_secret(info)]
    stored: list[dict[str, Any]] = []
    shown: list[int] = []
    for row in rows:
        data = row.model_dump(exclude={"row", "slot"})
        if not keep_row(data):
            continue
        old = current[row.slot] if row.slot is not None and 0 <= row.slot < len(current) else None
        for name in secrets:
            if data.get(name) is None:
                if old is not None:
                    data[name] = getattr(old, name)
                else:
                    data.pop(name)  # a new row: the setting's default
        stored.append(data)
        shown.append(row.row)
    changes = {table_key: stored}

    def row_of(table: str, index: int) -> int:
        return shown[index] if table == table_key and index < len(shown) else index

    try:
        new = apply_changes(state.settings, changes)
        _check_secrets(request, state.settings, new)
        await state.context.settings_manager.change(changes, via=VIA, by=session.user)
    except SettingsError as problem:
        fields = problem_fields(problem.problems, [table_key], language, row_of=row_of, row_fields=TABLES)
        raise ApiError(400, "invalid settings", problems=list(problem.problems), fields=fields) from None
    return json_response({"ok": True, "rows": len(stored)})


def put_rows(table: ListSetting) -> Handler:
    """The handler that saves ``table`` whole (PUT): only the accounts that may change it."""

    async def handler(request: web.Request) -> web.Response:
        session = session_of(request)
        if not table.can_change(session):
            if table.admin_only:
                raise ApiError(403, f"only admin manages {table.what}")
            raise ApiError(403, "read only access: this change needs an admin or Read/Write account")
        body = await _body(request, table.body, table.key)
        used = table.used_by
        # A row without its name or address is not used (§18.8, §18.9): it is not stored.
        keep = (lambda data: bool(str(data[used]).strip())) if used else (lambda data: True)
        if table.unique or table.new_needs:
            state = state_of(request)
            kept = [row.model_dump() for row in body.rows if keep(row.model_dump(exclude={"row", "slot"}))]
            found = row_problems(table, kept, len(table.saved(state.settings)), state.language(session))
            if found:
                messages = [item["message"] for item in found]
                raise ApiError(400, "invalid settings", problems=messages, fields=found)
        return await _save_table(request, table.key, table.model, body.rows, keep)

    return handler


def rows_route(table: ListSetting, summary: str) -> Route:
    return Route(
        "PUT", table.path, put_rows(table), summary, body=table.body, response=TableSaved, errors=(400, 422)
    )
