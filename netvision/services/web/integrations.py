"""The integration settings pages: SNMP agent, SNMP trap receivers (EN §18.8), SNMPv3 USM
users (§18.7), Modbus TCP (§18.12) and BACnet (FR §15.13), with their API.

Plain settings use the settings form (``PATCH /api/v1/settings``). The two tables are
saved whole through their own routes, because their rows carry secrets (a community, a
v3 user's passwords) the page never has: a row sends ``null`` for a secret left empty,
and keeps the secret of the saved row it was shown from (``slot``), even when its
address or name changes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...events.bus import Severity
from ...events.catalog import CATALOG
from ...i18n import has, label
from ...settings.models import TrapReceiver, UsmUser
from ...settings.secrets import is_secret
from ...settings.store import SettingsError, apply_changes
from ..snmp.traps import NV_TRAPS
from .app import ApiError, require_admin, require_write, session_of, state_of
from .field_errors import problem_fields
from .forms import FormField, form_fields, make_field
from .routes import Route, add, problems
from .templating import render

VIA = "Web"
MAX_RECEIVERS = 8
MAX_USM_USERS = 16

SNMP_KEYS = (
    "snmp.enabled",
    "snmp.port",
    "snmp.bind",
    "snmp.v1",
    "snmp.v2c",
    "snmp.v3",
    "snmp.read_community",
    "snmp.write_community",
    "serial.unit_select",
    "snmp.trap_filter",
    "snmp.on_battery_trap_interval",
)
MODBUS_KEYS = (
    "modbus_tcp.enabled",
    "modbus_tcp.port",
    "modbus_tcp.bind",
    "modbus_tcp.max_connections",
    "modbus_tcp.idle_timeout",
    "modbus_tcp.unit_id",
    "modbus_tcp.pass_through",
    "modbus_tcp.pass_through_timeout_ms",
)
BACNET_KEYS = ("bacnet.enabled", "bacnet.port", "bacnet.bind", "bacnet.device_id")

RECEIVER_COLUMNS = ("address", "port", "version", "community", "trap_type", "event_filter", "severity")
USM_COLUMNS = (
    "name",
    "security_level",
    "auth_protocol",
    "auth_password",
    "priv_protocol",
    "priv_password",
    "write",
)
TABLES: dict[str, Sequence[str]] = {"snmp.trap_receivers": RECEIVER_COLUMNS, "snmp.usm_users": USM_COLUMNS}


# -- the table of rows (partials/tables.html) ------------------------------------------------------


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


# -- trap numbers in words (App. "NET VISION 7 TRAP DESCRIPTION") --------------------------------


def trap_events(language: str) -> list[dict[str, Any]]:
    """Traps 1 to 40 with their words and level, the most severe first (§18.8: "TRAP list
    selection ordered by severity")."""
    texts: dict[int, tuple[str, str]] = {}
    for event in CATALOG.values():
        number = event.trap
        if number is None or event.log == "ups" or event.id.startswith("trap.sts_") or number in texts:
            continue
        texts[number] = (event.text_en, event.text_fr)
    out: list[dict[str, Any]] = []
    ranks: dict[int, int] = {}
    for number in range(1, 41):
        key = f"traps.event.{number}"
        if has(key):
            text = label(key, language)
        else:
            english, french = texts.get(number, (NV_TRAPS[number][0], NV_TRAPS[number][0]))
            text = french if language == "fr" else english
        severity: Severity = NV_TRAPS[number][1] if number in NV_TRAPS else Severity.INFORMATION
        ranks[number] = severity.rank
        out.append({"number": number, "text": text, "severity": severity.value})
    out.sort(key=lambda item: (-ranks[item["number"]], item["number"]))
    return out


# -- pages -------------------------------------------------------------------------------------------


def _texts(language: str, *keys: str) -> dict[str, str]:
    return {key.rsplit(".", 1)[-1]: label(key, language) for key in keys}


async def snmp_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    if not session.can_write:
        raise web.HTTPForbidden(text="the SNMP settings are for admin and Read/Write accounts")
    language = state.language(session)
    fields = form_fields(state.settings, SNMP_KEYS, language, session.can_write, session.is_admin)
    return render(
        request,
        "snmp.html",
        title_key="menu.snmp",
        page_name="snmp",
        fields=fields,
        can_write=session.can_write,
        can_change_secrets=session.is_admin,
    )


async def traps_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    if not session.can_write:
        raise web.HTTPForbidden(text="the trap receivers are for admin and Read/Write accounts")
    language = state.language(session)
    snmp = state.settings.snmp
    saved = list(snmp.trap_receivers)
    rows = []
    for index in range(MAX_RECEIVERS):
        slot = index if index < len(saved) else None
        receiver = saved[index] if slot is not None else TrapReceiver(community="")
        row = table_row(
            TrapReceiver, receiver, "snmp.trap_receivers", RECEIVER_COLUMNS, index, slot, language,
            session.can_write, session.is_admin,
        )  # fmt: skip
        row.extra = {"events": set(receiver.events), "by_events": receiver.event_filter == "events"}
        rows.append(row)
    data = {
        "texts": _texts(
            language,
            "traps.sent",
            "traps.error",
            "traps.snmp_off",
            "traps.not_saved",
            "traps.sending",
            "traps.saved",
            "traps.selected",
            "secret.set",
        ),  # fmt: skip
        "snmp_enabled": snmp.enabled,
    }
    return render(
        request,
        "traps.html",
        title_key="menu.snmp_traps",
        page_name="snmp-traps",
        data=data,
        rows=rows,
        columns=column_labels("snmp.trap_receivers", RECEIVER_COLUMNS, language),
        events=trap_events(language),
        can_write=session.can_write,
        snmp_enabled=snmp.enabled,
    )


async def usm_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    if not session.is_admin:
        raise web.HTTPForbidden(text="only admin manages SNMPv3 users")
    language = state.language(session)
    users = state.settings.snmp.usm_users
    rows = [
        table_row(UsmUser, user, "snmp.usm_users", USM_COLUMNS, index, index, language, True, True)
        for index, user in enumerate(users)
    ]
    blank = UsmUser.model_construct(name="", auth_password="", priv_password="")
    template = table_row(UsmUser, blank, "snmp.usm_users", USM_COLUMNS, "__ROW__", None, language, True, True)
    data = {
        "texts": _texts(
            language,
            "usm.confirm_remove",
            "usm.remove",
            "usm.removed",
            "form.saved",
            "usm.full",
            "secret.set",
        ),
        "max_rows": MAX_USM_USERS,
        "next_row": len(users),
    }
    return render(
        request,
        "snmp_users.html",
        title_key="menu.snmp_users",
        page_name="snmp-users",
        data=data,
        rows=rows,
        template_row=template,
        columns=column_labels("snmp.usm_users", USM_COLUMNS, language),
        can_write=True,
        v3_enabled=state.settings.snmp.v3,
    )


async def modbus_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    fields = form_fields(state.settings, MODBUS_KEYS, language, session.can_write)
    return render(request, "modbus.html", title_key="menu.modbus_tcp", page_name="modbus", fields=fields)


async def bacnet_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    fields = form_fields(state.settings, BACNET_KEYS, language, session.can_write)
    identity = state.snapshot.identity
    # The device object's name is the UPS model, as the BACnet service names it (bacnet/values.py).
    device_name = (identity.model if identity is not None else "") or "NET VISION"
    return render(
        request,
        "bacnet.html",
        title_key="menu.bacnet",
        page_name="bacnet",
        fields=fields,
        device_name=device_name,
        sts=state.is_sts,
    )


# -- saving a table ----------------------------------------------------------------------------------


class TrapReceiverRow(BaseModel):
    """A row of the trap receivers table as the page sends it."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0, le=MAX_RECEIVERS - 1, description="The row on the page, 0 to 7")
    slot: int | None = Field(default=None, description="The saved row it was shown from; null for a new one")
    address: str = ""
    port: int = 162
    community: str | None = Field(
        default=None, description="null keeps the saved row's community (or v3 user)"
    )
    trap_type: str = "netvision"
    version: str = "v1"
    event_filter: str = "severity"
    severity: str = "information"
    events: list[int] = Field(default_factory=list, max_length=40)


class TrapReceiversBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[TrapReceiverRow] = Field(max_length=MAX_RECEIVERS)


class UsmUserRow(BaseModel):
    """A row of the SNMPv3 USM table as the page sends it."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0, le=999, description="The row on the page")
    slot: int | None = Field(default=None, description="The saved row it was shown from; null for a new one")
    name: str = ""
    security_level: str = "authPriv"
    auth_protocol: str = "sha"
    auth_password: str | None = Field(default=None, description="null keeps the saved user's password")
    priv_protocol: str = "aes"
    priv_password: str | None = Field(default=None, description="null keeps the saved user's password")
    write: bool = False


class UsmUsersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[UsmUserRow] = Field(max_length=MAX_USM_USERS)


class TableSaved(BaseModel):
    ok: bool
    rows: int = Field(description="How many rows are saved")


class TestTrapSent(BaseModel):
    ok: bool
    outcome: Literal["sent"]
    to: str = Field(description="address:port the test trap went to")
    version: str


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


async def put_trap_receivers(request: web.Request) -> web.Response:
    require_write(request)
    body: TrapReceiversBody = await _body(request, TrapReceiversBody, "snmp.trap_receivers")
    # A row without an address is not used (§18.8): it is not stored.
    return await _save_table(
        request, "snmp.trap_receivers", TrapReceiver, body.rows, lambda data: bool(data["address"].strip())
    )


async def put_usm_users(request: web.Request) -> web.Response:
    require_admin(request)
    body: UsmUsersBody = await _body(request, UsmUsersBody, "snmp.usm_users")
    return await _save_table(request, "snmp.usm_users", UsmUser, body.rows, lambda data: True)


# -- test trap -------------------------------------------------------------------------------------


class TestTrapLimit:
    """At most one test trap a second and ``per_minute`` a minute, for the whole gateway:
    the button cannot be used to flood a receiver."""

    def __init__(self, per_minute: int = 10, gap: float = 1.0) -> None:
        self.per_minute = per_minute
        self.gap = gap
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """0 when a test trap may go now (and counts it), else the seconds to wait."""
        while self.times and now - self.times[0] >= 60:
            self.times.popleft()
        if self.times and now - self.times[-1] < self.gap:
            return self.gap - (now - self.times[-1])
        if len(self.times) >= self.per_minute:
            return 60 - (now - self.times[0])
        self.times.append(now)
        return 0.0


LIMIT_KEY = web.AppKey("netvision_test_trap_limit", TestTrapLimit)


async def send_test_trap(request: web.Request) -> web.Response:
    """TRAP 40 to one saved receiver, through the SNMP service; the answer says whether it left."""
    from .api import json_response

    require_write(request)
    state = state_of(request)
    try:
        index = int(request.match_info["row"])
    except ValueError:
        raise ApiError(404, "no such row") from None
    if not 0 <= index < MAX_RECEIVERS:
        raise ApiError(404, "no such row")
    snmp = state.settings.snmp
    action = state.context.offers.get("snmp.test_trap")
    if not snmp.enabled or action is None:
        raise ApiError(409, "the SNMP service is not running: no trap can be sent", reason="snmp_off")
    if index >= len(snmp.trap_receivers):
        raise ApiError(409, "this row is not saved: save the table first", reason="not_saved")
    wait = request.app[LIMIT_KEY].wait(time.monotonic())
    if wait:
        raise ApiError(
            429, f"too many test traps: wait {wait:.0f} s", reason="busy", retry_after=round(wait, 1)
        )
    receiver = snmp.trap_receivers[index]
    try:
        where = await asyncio.wait_for(action(index), timeout=5)
    except TimeoutError:
        raise ApiError(504, "the test trap was not sent in time", reason="error") from None
    except Exception as problem:  # what the sending said: a v3 user missing, an unusable address...
        raise ApiError(502, f"the test trap was not sent: {problem}", reason="error") from None
    return json_response({"ok": True, "outcome": "sent", "to": where, "version": receiver.version})


# -- routes ----------------------------------------------------------------------------------------

PAGES = (
    ("/snmp", snmp_page),
    ("/snmp-traps", traps_page),
    ("/snmp-users", usm_page),
    ("/modbus", modbus_page),
    ("/bacnet", bacnet_page),
)

ROUTES = [
    Route(
        "PUT",
        "/api/v1/snmp/trap-receivers",
        put_trap_receivers,
        "Save the SNMP trap receivers table (8 rows at most); a null community keeps the saved one",
        body=TrapReceiversBody,
        response=TableSaved,
        errors=(400, 422),
    ),
    Route(
        "POST",
        "/api/v1/snmp/trap-receivers/{row}/test",
        send_test_trap,
        "Send the test trap (TRAP 40) to one saved trap receiver",
        response=TestTrapSent,
        errors=(404, 409, 429, 502, 504),
    ),
    Route(
        "PUT",
        "/api/v1/snmp/usm-users",
        put_usm_users,
        "Save the SNMPv3 USM users table (admin); a null password keeps the saved one",
        body=UsmUsersBody,
        response=TableSaved,
        errors=(400, 422),
    ),
]


def add_routes(app: web.Application) -> None:
    app[LIMIT_KEY] = TestTrapLimit()
    add(app, ROUTES)
    for path, handler in PAGES:
        app.router.add_get(path, handler)
