"""The integration settings pages: SNMP agent, SNMP trap receivers (EN §18.8), SNMPv3 USM
users (§18.7), Modbus TCP (§18.12) and BACnet (FR §15.13), with their API.

Plain settings use the settings form (``PATCH /api/v1/settings``). The two tables are
lists of rows saved whole through their own routes (rows.py), because their rows carry
secrets (a community, a v3 user's passwords) the page never has.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ...events.bus import Severity
from ...events.catalog import CATALOG
from ...i18n import has, label
from ...settings.models import TrapReceiver, UsmUser
from ..snmp.traps import NV_TRAPS
from .app import ApiError, require_write, session_of, state_of
from .forms import form_fields
from .routes import Route, add
from .rows import TABLES as TABLES
from .rows import VIA as VIA
from .rows import ListSetting, register, rows_route, rows_view
from .rows import TableRow as TableRow
from .rows import TableSaved as TableSaved
from .rows import _body as _body
from .rows import _save_table as _save_table
from .rows import column_labels as column_labels
from .rows import table_row as table_row
from .templating import render

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
    data = {
        "texts": _texts(
            language, "traps.sent", "traps.error", "traps.snmp_off", "traps.not_saved", "traps.sending"
        ),
        "snmp_enabled": snmp.enabled,
    }
    return render(
        request,
        "traps.html",
        title_key="menu.snmp_traps",
        page_name="snmp-traps",
        data=data,
        table=rows_view(TRAP_RECEIVERS, state.settings, session, language),
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
    return render(
        request,
        "snmp_users.html",
        title_key="menu.snmp_users",
        page_name="snmp-users",
        table=rows_view(USM_USERS, state.settings, session, language),
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


class TestTrapSent(BaseModel):
    ok: bool
    outcome: Literal["sent"]
    to: str = Field(description="address:port the test trap went to")
    version: str


TRAP_RECEIVERS = register(
    ListSetting(
        key="snmp.trap_receivers",
        model=TrapReceiver,
        body=TrapReceiversBody,
        columns=RECEIVER_COLUMNS,
        max_rows=MAX_RECEIVERS,
        path="/api/v1/snmp/trap-receivers",
        ident="traps",
        table_id="trap-receivers",
        row_label="traps.receiver",
        name_field="address",
        blank=lambda: TrapReceiver(community=""),
        texts={
            "saved": "traps.saved",
            "set": "secret.set",
            "confirm_clear": "traps.confirm_clear",
            "clear": "traps.clear_row",
            "cleared": "traps.row_cleared",
        },
        what="trap receivers",
        fixed=True,
        used_by="address",
        clearable=True,
    )
)
USM_USERS = register(
    ListSetting(
        key="snmp.usm_users",
        model=UsmUser,
        body=UsmUsersBody,
        columns=USM_COLUMNS,
        max_rows=MAX_USM_USERS,
        path="/api/v1/snmp/usm-users",
        ident="usm",
        table_id="usm-users",
        row_label="usm.user",
        name_field="name",
        blank=lambda: UsmUser.model_construct(name="", auth_password="", priv_password=""),
        texts={
            "saved": "form.saved",
            "full": "usm.full",
            "confirm_remove": "usm.confirm_remove",
            "remove": "usm.remove",
            "removed": "usm.removed",
            "set": "secret.set",
        },
        what="SNMPv3 users",
        admin_only=True,
    )
)


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
    rows_route(
        TRAP_RECEIVERS,
        "Save the SNMP trap receivers table (8 rows at most); a null community keeps the saved one",
    ),
    Route(
        "POST",
        "/api/v1/snmp/trap-receivers/{row}/test",
        send_test_trap,
        "Send the test trap (TRAP 40) to one saved trap receiver",
        response=TestTrapSent,
        errors=(404, 409, 429, 502, 504),
    ),
    rows_route(USM_USERS, "Save the SNMPv3 USM users table (admin); a null password keeps the saved one"),
]


def add_routes(app: web.Application) -> None:
    app[LIMIT_KEY] = TestTrapLimit()
    add(app, ROUTES)
    for path, handler in PAGES:
        app.router.add_get(path, handler)
