"""Server-rendered pages (EN §11–§21; FR §11–§13 for the STS views).

Each handler gathers what its template (``templates/<page>.html``) shows; the page's
script (``static/js/pages/<page>.js``) fills live values from the event stream and
sends every change through the REST API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from aiohttp import web

from ...store.timefmt import MANUAL_FORMAT, to_display
from ...ups.model import Snapshot
from .app import SESSION_COOKIE, session_of, state_of
from .battery import per_unit
from .forms import form_fields
from .labels import has, t
from .layout import ups_reference
from .sessions import Session
from .state import WebState
from .synoptic import STS_ELEMENTS, UNIT_ELEMENTS
from .templating import render, render_public
from .views import alarms_json, control_label, control_outcomes, devices

DASHBOARD_TITLES = (
    "remaining_backup_time", "load_rate", "output_current", "output_voltage", "input_voltage", "bypass_voltage",
    "battery_capacity", "battery_voltage", "output_frequency", "input_frequency", "temperature",
)  # fmt: skip


# -- home: tree view and synoptic (§11.3, §12) -----------------------------------------------------


def _tree(snapshot: Snapshot, language: str, sts: bool) -> list[dict[str, str]]:
    """The tree view's nodes (§11.3): the system, then its units and modules."""
    nodes = []
    for device_id, kind, _state in devices(snapshot):
        if kind == "system":
            text = ups_reference(snapshot) or t("tree.system", language, sts)
        elif kind == "unit":
            text = f"{t('tree.unit', language, sts)} {device_id.removeprefix('unit')}"
        else:
            text = f"{t('tree.module', language, sts)} {device_id.rsplit('module', 1)[1]}"
        nodes.append({"id": device_id, "kind": kind, "text": text})
    return nodes


async def home(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    snapshot = state.snapshot
    sts = state.is_sts
    names = ("ups", "battery", "output", "input", "bypass", "inverter", "source1", "source2")
    table_titles = {name: t(f"table.{name}", language, sts) for name in names}
    parallel = bool(snapshot.topology and snapshot.topology.is_parallel)
    elements = list(STS_ELEMENTS if sts else UNIT_ELEMENTS)
    data = {"titles": table_titles, "parallel": parallel, "elements": elements, "device": "system", "sts": sts}
    return render(
        request,
        "home.html",
        title_key="menu.comprehensive",
        page_name="home",
        data=data,
        tree=_tree(snapshot, language, sts),
        battery_present=snapshot.topology is None or snapshot.topology.battery_present,
    )


def _time_settings(state: WebState) -> tuple[str, str]:
    system = state.settings.system
    return system.time_zone, system.dst


async def alarms(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    snapshot = state.snapshot
    time_zone, dst = _time_settings(state)
    rows = [] if snapshot.stale else alarms_json(snapshot.system, language, time_zone, dst)
    return render(request, "alarms.html", title_key="menu.alarms", page_name="alarms", alarms=rows)


async def dashboard(request: web.Request) -> web.Response:
    state = state_of(request)
    identity = state.snapshot.identity
    nominal_current = None
    if identity and identity.nominal_kva and identity.nominal_output_voltage:
        phases = identity.output_phases or 3
        nominal_current = identity.nominal_kva * 1000 / (phases * identity.nominal_output_voltage)
    language = state.language(session_of(request))
    titles = {key: t(f"param.{key}", language) for key in DASHBOARD_TITLES}
    titles["source1_voltage"] = t("table.source1", language) + " (V)"
    titles["source2_voltage"] = t("table.source2", language) + " (V)"
    data = {
        "nominal_current": nominal_current,
        "nominal_label": t("dashboard.nominal", language),
        "titles": titles,
        "temperature_unit": "°" + state.settings.system.temperature_unit,
    }
    return render(request, "dashboard.html", title_key="menu.dashboard", page_name="dashboard", data=data)


def _ask(control: str, language: str, sts: bool, unit: int | None = None) -> str:
    """The confirmation question of a control: its own where it has one, else a general one."""
    if control == "battery_test" and unit:
        return t("control.ask.battery_test_unit", language).format(unit=unit)
    key = f"control.ask.{control}"
    if has(key):
        return t(key, language)
    return t("control.ask", language).format(control=control_label(control, language))


async def control(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    snapshot = state.snapshot
    sts = state.is_sts
    controls = [
        {
            "name": name,
            "label": control_label(name, language),
            "ask": _ask(name, language, sts),
            "allowed": bool(snapshot.remote_controls_permitted and permitted),
        }
        for name, permitted in snapshot.permissions.items()
        if name != "battery_test"
    ]
    data = {"outcomes": control_outcomes(snapshot.permissions, language)}
    return render(
        request,
        "control.html",
        title_key="menu.control",
        page_name="control",
        data=data,
        controls=controls,
        any_allowed=any(c["allowed"] for c in controls),
    )


async def battery_test(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    snapshot = state.snapshot
    units = per_unit(snapshot)
    rows = []
    if session.can_write:
        for row in state.battery_test_rows(snapshot, language):
            ask = _ask("battery_test", language, state.is_sts, row["unit"] if units else None)
            rows.append({**row, "ask": ask})
    data = {"per_unit": units, "outcomes": control_outcomes(("battery_test",), language)}
    return render(
        request,
        "battery_test.html",
        title_key="menu.battery_test",
        page_name="battery-test",
        data=data,
        per_unit=units,
        rows=rows,
        any_allowed=any(row["can_start"] for row in rows),
    )


# -- settings pages (§18.1–§18.4, §20) ------------------------------------------------------------

CONFIGURATION_KEYS = (
    "system.name", "system.contact", "system.location", "logs.history_interval", "logs.extended_interval",
    "serial.polling_rate", "web.password_validity_days", "serial.serial_timeout_ms.b57600",
    "serial.serial_timeout_ms.b19200", "serial.serial_timeout_ms.b9600", "system.temperature_unit",
    "web.login_timeout", "serial.baud_rate", "system.language",
)  # fmt: skip
# SNMP, Modbus TCP and BACnet have their own pages; this one keeps the web server's listeners.
NV_CONTROL_KEYS = (
    "web.https_enabled",
    "web.https_port",
    "web.http_enabled",
    "web.http_port",
    "access_control.enabled",
    "shutdown.enabled",
    "nut.enabled",
)
DATETIME_KEYS = ("system.time_zone", "system.dst", "system.synchronize_ups_clock")
NTP_KEYS = ("system.ntp_enabled", "system.ntp_server_1", "system.ntp_server_2", "system.ntp_period", "system.ntp_nts")
LANGUAGES = ("", "en", "fr")
ROLES = ("disabled", "read_only", "read_write")
MAX_USERS = 8
MAX_LINKS = 4
CONFIGURATION_WORDS = (
    "secret", "nothing", "restored", "restore_cancelled", "lockout", "backup_done", "cert_installed", "cert_confirm",
    "cert_ok", "cert_removed", "cert_info", "cert_uploaded_info",
)  # fmt: skip
USERS_WORDS = ("saved", "added", "deleted", "confirm_delete", "delete_ok", "name_needed")


def _words(language: str, names: Sequence[str], prefix: str = "settings.") -> dict[str, str]:
    """The sentences a page's script reports with, in the page's language."""
    return {name: t(f"{prefix}{name}", language) for name in names}


def _fields(request: web.Request, keys: Sequence[str], can_write: bool, can_change_secrets: bool = False) -> list[Any]:
    state = state_of(request)
    language = state.language(session_of(request))
    return form_fields(state.settings, keys, language, can_write, can_change_secrets)


async def configuration(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    from .api import mib_files

    return render(
        request,
        "configuration.html",
        title_key="menu.configuration",
        page_name="configuration",
        data={"words": _words(state.language(session), CONFIGURATION_WORDS)},
        fields=_fields(request, CONFIGURATION_KEYS, session.can_write, session.is_admin),
        mibs=mib_files(),
    )


async def nv_control(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    return render(
        request,
        "nv_control.html",
        title_key="menu.nv_control",
        page_name="nv-control",
        data={"listener": _words(language, ("off", "off_ok", "port", "port_ok"), "settings.listener_")},
        fields=_fields(request, NV_CONTROL_KEYS, session.can_write),
        services=_services_table(state, language),
        agent_actions=_agent_actions(state, session),
    )


def _services_table(state: WebState, language: str) -> list[dict[str, Any]]:
    """What each service is doing now: state, where it listens, its last error and counters."""
    rows = []
    for health in state.context.services_health():
        counters = ", ".join(f"{t('services.counter.' + name, language)}: {value}" for name, value in health.counters.items())
        rows.append(
            {
                "name": health.name,
                "label": t("services.name." + health.name, language),
                "state": health.state.value,
                "addresses": list(health.addresses),
                "last_error": health.last_error or "",
                "counters": counters,
            }
        )
    return rows


def _agent_actions(state: WebState, session: Session) -> list[str]:
    """Restart and configuration reset (App. SSH menu 3 and 4): admin only, each asks first."""
    if not session.is_admin or state.context.agent is None:
        return []
    return ["restart", "reset"]


async def date_time(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    system = state.settings.system
    from .api import ups_clock_note

    now = state.snapshot.time
    offset = to_display(now, system.time_zone, system.dst).utcoffset()
    data = {
        "time_zone": system.time_zone,
        "dst": system.dst,
        "offset_minutes": int(offset.total_seconds() // 60) if offset else 0,
    }
    return render(
        request,
        "datetime.html",
        title_key="menu.datetime",
        page_name="datetime",
        data=data,
        nv_time=now,
        # The UPS clock is the UPS's own wall time, with no zone: shown as it reads.
        ups_time=state.snapshot.ups_time.strftime(MANUAL_FORMAT) if state.snapshot.ups_time else "—",
        ups_clock_note=ups_clock_note(state),
        fields=_fields(request, DATETIME_KEYS, session.can_write),
        ntp_fields=_fields(request, NTP_KEYS, session.can_write),
    )


async def links_setup(request: web.Request) -> web.Response:
    state = state_of(request)
    links = list(state.settings.web.external_links)
    rows = [links[index] if index < len(links) else None for index in range(MAX_LINKS)]
    return render(request, "links_setup.html", title_key="menu.links_setup", page_name="links-setup", rows=rows)


async def users(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    if not session.is_admin:
        raise web.HTTPForbidden(text="only admin manages accounts")
    accounts = state.accounts.users()
    rows = [accounts[index] if index < len(accounts) else None for index in range(MAX_USERS)]
    return render(
        request,
        "users.html",
        title_key="menu.users",
        page_name="users",
        data={"words": _words(state.language(session), USERS_WORDS, "settings.user_")},
        rows=rows,
        roles=ROLES,
        languages=LANGUAGES,
    )


async def account(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    current = state.accounts.get(session.user)
    return render(
        request,
        "account.html",
        title_key="menu.account",
        page_name="account",
        data={"words": _words(state.language(session), ("saved",), "settings.account_")},
        chosen=current.language if current else "",
        languages=LANGUAGES,
    )


# -- login (§11.5) ----------------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    state = state_of(request)
    settings = state.settings
    session = state.sessions.lookup(request.cookies.get(SESSION_COOKIE), touch=False)
    language = session.language if session and session.language else settings.system.language
    ended = request.query.get("ended", "")
    notice = t(f"login.{ended}", language) if ended in ("replaced", "timeout") else ""
    if session is not None and not session.must_change:
        raise web.HTTPFound("/")
    must_change = session is not None and session.must_change
    return render_public(
        request, "login.html", language, notice=notice, must_change=must_change, csrf=session.csrf if session else ""
    )


async def logout_page(request: web.Request) -> web.Response:
    raise web.HTTPFound("/login")


def _routes() -> Iterable[tuple[str, Any]]:
    from .firewall import firewall_page

    return (
        ("/firewall", firewall_page),
        ("/", home),
        ("/alarms", alarms),
        ("/dashboard", dashboard),
        ("/control", control),
        ("/battery-test", battery_test),
        ("/configuration", configuration),
        ("/nv-control", nv_control),
        ("/datetime", date_time),
        ("/links-setup", links_setup),
        ("/users", users),
        ("/account", account),
        ("/login", login_page),
    )


def add_routes(app: web.Application) -> None:
    for path, handler in _routes():
        app.router.add_get(path, handler)
