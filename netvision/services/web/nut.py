"""The NUT server page (its settings and NUT users) and the Client Table (EN §15), with
their API.

Every NUT client (upsmon, a NAS) is a shutdown client of the gateway: the Client Table
lists the connections the NUT service offers (``nut.clients``). A NUT user's password is a
secret: the page and the API only say whether it is set, and only admin changes the users
(their rights reach instant commands and the forced shutdown).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ...i18n import label
from ...settings.models import NutUser
from ..nut.clients import NutClient
from .app import session_of, state_of
from .forms import form_fields
from .integrations import _texts
from .routes import Route, add
from .rows import ListSetting, register, rows_route, rows_view
from .templating import format_time, render

MAX_NUT_USERS = 32
NUT_KEYS = (
    "nut.enabled",
    "nut.port",
    "nut.bind",
    "nut.ups_name",
    "nut.aliases",
    "nut.starttls",
    "nut.require_tls",
    "nut.max_clients",
)
USER_COLUMNS = ("name", "password", "rights")


def client_view(
    client: NutClient, language: str, time_zone: str = "UTC", dst: str = "auto"
) -> dict[str, Any]:
    """One row of the Client Table."""
    return {
        "index": client.index,
        "address": client.address,
        "port": client.port,
        "user": client.user,
        "ups": client.ups,
        "connected_since": client.connected_since.isoformat(),
        "connected_text": format_time(client.connected_since, time_zone, dst),
        "primary": client.primary,
        "role_text": label("clients.primary" if client.primary else "clients.secondary", language)
        if client.ups
        else label("clients.reader", language),
        "tls": client.tls,
    }


def clients_view(state: Any, language: str) -> dict[str, Any]:
    offer = state.context.offers.get("nut.clients")
    system = state.settings.system
    clients = list(offer()) if offer is not None else []
    rows = [client_view(client, language, system.time_zone, system.dst) for client in clients]
    return {"running": offer is not None, "count": len(rows), "clients": rows}


def gateway_address(request: web.Request, bind: str) -> str:
    """The address a NUT client reaches the gateway at: the one it listens on, else the one
    this browser reached it at."""
    if bind not in ("0.0.0.0", "::", ""):
        return bind
    host = request.url.host or ""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# -- pages -------------------------------------------------------------------------------------------


async def clients_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    view = clients_view(state, language)
    return render(
        request,
        "clients.html",
        title_key="menu.clients",
        page_name="clients",
        data={"texts": _texts(language, "clients.yes", "clients.no")},
        view=view,
        nut_enabled=state.settings.nut.enabled,
    )


async def nut_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    nut = state.settings.nut
    fields = form_fields(state.settings, NUT_KEYS, language, session.can_write, session.is_admin)
    address = gateway_address(request, nut.bind)
    user = nut.users[0].name if nut.users else label("nut.example_user", language)
    port = "" if nut.port == 3493 else f":{nut.port}"
    return render(
        request,
        "nut.html",
        title_key="menu.nut",
        page_name="nut",
        fields=fields,
        # Only admin sees the users (their rights reach the forced shutdown): the others a count.
        table=rows_view(NUT_USERS, state.settings, session, language)
        if NUT_USERS.can_change(session)
        else None,
        monitor_line=f"MONITOR {nut.ups_name}@{address}{port} 1 {user} {label('nut.example_password', language)} secondary",
        nut=nut,
        address=address,
        can_write=session.can_write,
        is_admin=session.is_admin,
    )


# -- API ---------------------------------------------------------------------------------------------


class NutUserRow(BaseModel):
    """A row of the NUT users table as the page sends it."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0, le=999, description="The row on the page")
    slot: int | None = Field(default=None, description="The saved row it was shown from; null for a new one")
    name: str = Field(default="", max_length=32)
    password: str | None = Field(
        default=None, max_length=128, description="null keeps the saved user's password"
    )
    rights: str = Field(default="monitor", max_length=16)


class NutUsersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[NutUserRow] = Field(max_length=MAX_NUT_USERS)


class NutClientView(BaseModel):
    index: int
    address: str
    port: int
    user: str = Field(description="The NUT user it logged in with ('' before USERNAME)")
    ups: str = Field(description="The UPS name of its LOGIN ('' = a reader, not a shutdown client)")
    connected_since: str
    connected_text: str = Field(description="dd/mm/yyyy hh:mm:ss in NET VISION's time zone")
    primary: bool
    role_text: str
    tls: bool


class NutClientsView(BaseModel):
    running: bool = Field(description="The NUT server is running")
    count: int
    clients: list[NutClientView]


async def get_clients(request: web.Request) -> web.Response:
    from .api import json_response

    state = state_of(request)
    return json_response(clients_view(state, state.language(session_of(request))))


NUT_USERS = register(
    ListSetting(
        key="nut.users",
        model=NutUser,
        body=NutUsersBody,
        columns=USER_COLUMNS,
        max_rows=MAX_NUT_USERS,
        path="/api/v1/nut/users",
        ident="nut-users",
        table_id="nut-users",
        row_label="nut.user",
        name_field="name",
        blank=lambda: NutUser.model_construct(name="", password="", rights="monitor"),
        texts={
            "saved": "nut.users_saved",
            "full": "nut.users_full",
            "confirm_remove": "nut.confirm_remove",
            "remove": "nut.remove",
            "removed": "nut.removed",
            "set": "secret.set",
            "name_taken": "form_check.name_taken",
            "password_needed": "form_check.password_needed",
        },
        what="NUT users",
        used_by="name",
        admin_only=True,
        unique="name",
        new_needs="password",
    )
)


# -- routes ----------------------------------------------------------------------------------------

PAGES = (("/clients", clients_page), ("/nut", nut_page))

ROUTES = [
    Route(
        "GET",
        "/api/v1/nut/clients",
        get_clients,
        "The Client Table: every connection to the NUT server, with its user and UPS",
        response=NutClientsView,
    ),
    rows_route(
        NUT_USERS,
        "Save the NUT users table (admin, 32 rows at most); a null password keeps the saved one; 400 for a "
        "name used twice (the later row named) or a new user without a password",
    ),
]


def add_routes(app: web.Application) -> None:
    add(app, ROUTES)
    for path, handler in PAGES:
        app.router.add_get(path, handler)
