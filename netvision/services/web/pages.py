"""Server-rendered pages (EN §11–§21; FR §11–§13 for the STS views).

Each page is plain HTML built here; ``static/app.js`` fills live values from
the event stream and sends every change through the REST API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from aiohttp import web
from markupsafe import Markup

from ...ups.model import Snapshot
from .app import SESSION_COOKIE, session_of, state_of
from .battery import per_unit
from .forms import form_fields
from .labels import has, t
from .layout import ups_reference
from .sessions import Session
from .state import WebState
from .synoptic import STS_ELEMENTS, UNIT_ELEMENTS
from .templating import render, render_fragment, render_public
from .views import alarms_json, control_label, control_outcomes, devices

MEASUREMENT_CHOICES = (
    "load_rate_l1", "load_rate_l2", "load_rate_l3", "output_voltage_l1", "output_voltage_l2",
    "output_voltage_l3", "output_current_l1", "output_current_l2", "output_current_l3", "output_frequency",
    "input_voltage_l1", "input_voltage_l2", "input_voltage_l3", "input_frequency", "bypass_voltage_l1",
    "battery_voltage", "battery_current", "battery_capacity", "remaining_backup_time", "ambient_temperature",
    "output_kva", "output_kw",
)  # fmt: skip


DASHBOARD_TITLES = (
    "remaining_backup_time", "load_rate", "output_current", "output_voltage", "input_voltage", "bypass_voltage",
    "battery_capacity", "battery_voltage", "output_frequency", "input_frequency", "temperature",
)  # fmt: skip


def measurement_label(key: str, language: str) -> str:
    """ "Output Voltage (V) L1" for output_voltage_l1: the table label and the phase."""
    base, _, phase = key.rpartition("_")
    if phase in ("l1", "l2", "l3") and has(f"param.{base}"):
        return f"{t(f'param.{base}', language)} {phase.upper()}"
    special = {"ambient_temperature": "param.temperature"}
    label_key = special.get(key, f"param.{key}")
    return t(label_key, language) if has(label_key) else key


def e(value: object) -> str:
    return escape(str(value), quote=True)


# -- layout --------------------------------------------------------------------------------------


def page(
    request: web.Request, title_key: str, body: str, *, page_name: str, data: dict[str, Any] | None = None
) -> web.Response:
    """A page whose body is still built in Python (a template's ``content`` block is preferred)."""
    return render(request, "base.html", title_key=title_key, page_name=page_name, data=data, body=Markup(body))


def _static(request: web.Request, name: str) -> str:
    return str(request.app.router["static"].url_for(filename=name)) if "static" in request.app.router else f"/static/{name}"


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


async def graph(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    managed = [key for key in MEASUREMENT_CHOICES if state.snapshot.system and state.snapshot.system.measurements.get(key) is not None]
    boxes = "".join(
        f'<label><input type="checkbox" name="series" value="{key}" data-label="{e(measurement_label(key, language))}"'
        f'{" checked" if index < 3 else ""}> {e(measurement_label(key, language))}</label>'
        for index, key in enumerate(managed)
    )
    body = f"""<div class="graph-controls"><button type="button" id="graph-start">{e(t('graph.start', language))}</button>
<button type="button" id="graph-stop" disabled>{e(t('graph.stop', language))}</button> <span class="hint">{e(t('graph.help', language))}</span></div>
<fieldset class="series">{boxes}</fieldset><div id="charts" class="charts"></div>"""
    return page(request, "menu.graph", body, page_name="graph")


async def clients(request: web.Request) -> web.Response:
    return render(request, "clients.html", title_key="menu.clients", page_name="clients")


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


# -- settings forms (§18.1–§18.3, §20) -------------------------------------------------------------

CONFIGURATION_KEYS = (
    "system.name", "system.contact", "system.location", "logs.history_interval", "logs.extended_interval",
    "serial.polling_rate", "web.password_validity_days", "serial.serial_timeout_ms.b57600",
    "serial.serial_timeout_ms.b19200", "serial.serial_timeout_ms.b9600", "system.temperature_unit",
    "snmp.read_community", "snmp.write_community", "web.login_timeout", "serial.baud_rate", "system.language",
)  # fmt: skip
NV_CONTROL_KEYS = (
    "web.https_enabled", "web.https_port", "web.http_enabled", "web.http_port", "snmp.enabled", "snmp.port",
    "snmp.v1", "snmp.v2c", "snmp.v3", "modbus_tcp.enabled", "modbus_tcp.port", "bacnet.enabled", "bacnet.port",
    "serial.unit_select", "snmp.trap_filter", "access_control.enabled",
)  # fmt: skip
DATETIME_KEYS = ("system.time_zone", "system.dst", "system.synchronize_ups_clock")
NTP_KEYS = ("system.ntp_enabled", "system.ntp_server_1", "system.ntp_server_2", "system.ntp_period", "system.ntp_nts")


def settings_form(
    request: web.Request, keys: Sequence[str], language: str, can_write: bool, can_change_secrets: bool = False
) -> str:
    fields = form_fields(state_of(request).settings, keys, language, can_write, can_change_secrets)
    return str(  # plain text: concatenated into f-string pages (Markup would escape what it is added to)
        render_fragment(
            request,
            '{% from "partials/forms.html" import settings_form with context %}{{ settings_form(fields, can_write) }}',
            fields=fields,
            can_write=can_write,
        )
    )


async def configuration(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    form = settings_form(request, CONFIGURATION_KEYS, language, session.can_write, session.is_admin)
    from .api import mib_files

    mibs = "".join(
        f'<a class="button secondary" href="/api/v1/mibs/{e(name)}" download>{e(t("config.mib", language))}: {e(name)}</a> '
        for name in mib_files()
    )
    tools = f'<section class="panel files"><p>{mibs}</p></section>' if mibs else ""

    def text(key: str) -> str:
        return t(f"config.{key}", language)

    backup = ""
    if session.is_admin:
        backup = f"""<h2>{e(text("backup"))}</h2><p class="hint">{e(text("backup_help"))}</p>
<form id="backup-form" class="inline"><label>{e(text("backup_password"))} <input type="password" name="password" minlength="8" autocomplete="new-password" required></label>
<button type="submit">{e(text("backup_download"))}</button></form>"""
    if session.can_write:
        tools += f"""<section class="panel files"><h2>{e(t('config.download', language))}</h2>
<p><a class="button" href="/api/v1/configuration" download>{e(t('config.download', language))}</a>
<a class="button" href="/api/v1/certificate/ca" download>{e(t('config.ca_download', language))}</a></p>
<p><label>{e(t('config.upload', language))} <input type="file" id="config-upload" accept=".toml,.json,text/plain"></label>
<label>{e(text("backup_password"))} <input type="password" id="config-upload-password" autocomplete="off"></label></p>
<div class="notice" id="config-preview" role="alertdialog" hidden data-secret="{e(text("secret"))}" data-nothing="{e(text("nothing"))}">
<p><strong>{e(text("confirm"))}</strong> <span id="config-preview-note"></span></p><ul id="config-preview-changes"></ul>
<button type="button" id="config-apply">{e(text("apply"))}</button>
<button type="button" class="secondary" id="config-cancel">{e(text("cancel"))}</button></div>
{backup}<h2>{e(t('config.certificate', language))}</h2><p id="certificate-info"></p>
<p><label>{e(t('config.cert_upload', language))} <input type="file" id="cert-upload" accept=".pem,.crt,.key"></label>
<button type="button" id="cert-remove">{e(t('config.cert_remove', language))}</button></p></section>"""
    return page(request, "menu.configuration", form + tools, page_name="configuration")


async def nv_control(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    form = settings_form(request, NV_CONTROL_KEYS, language, session.can_write)
    body = form + _services_table(state, language) + _agent_actions(state, session, language)
    return page(request, "menu.nv_control", body, page_name="nv-control")


def _services_table(state: WebState, language: str) -> str:
    """What each service is doing now: state, where it listens, its last error and counters."""
    rows = []
    for health in state.context.services_health():
        counters = ", ".join(f"{t('services.counter.' + name, language)}: {value}" for name, value in health.counters.items())
        addresses = "<br>".join(e(address) for address in health.addresses)
        rows.append(
            f'<tr data-service="{e(health.name)}"><td>{e(t("services.name." + health.name, language))}</td>'
            f'<td class="service-{e(health.state.value)}">{e(t("services.state." + health.state.value, language))}</td>'
            f"<td>{addresses}</td><td>{e(health.last_error)}</td><td>{e(counters)}</td></tr>"
        )
    head = "".join(
        f'<th scope="col">{e(t("services." + column, language))}</th>'
        for column in ("service", "state", "addresses", "last_error", "counters")
    )
    return (
        f'<section class="panel"><h2>{e(t("services.title", language))}</h2>'
        f'<table class="grid" id="services"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
    )


def _agent_actions(state: WebState, session: Session, language: str) -> str:
    """Restart and configuration reset (App. SSH menu 3 and 4), admin only, each behind
    a confirmation in the page."""
    if not session.is_admin or state.context.agent is None:
        return ""
    rows = []
    for action in ("restart", "reset"):
        rows.append(
            f'<p><button type="button" data-agent-action="{action}">{e(t(f"agent.{action}", language))}</button> '
            f'<span class="hint">{e(t(f"agent.{action}_help", language))}</span></p>'
            f'<div class="notice" data-agent-confirm="{action}" role="alertdialog" hidden>'
            f'<span>{e(t(f"agent.confirm_{action}", language))}</span> '
            f'<button type="button" data-agent-go="{action}">{e(t("agent.confirm", language))}</button> '
            f'<button type="button" class="secondary" data-agent-cancel="{action}">{e(t("agent.cancel", language))}</button></div>'
        )
    return (
        f'<section class="panel" id="agent-actions"><h2>{e(t("agent.title", language))}</h2>{"".join(rows)}'
        f'<p id="agent-result" class="result" role="status" data-restarting="{e(t("agent.restarting", language))}"></p></section>'
    )


async def date_time(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    sts = state.is_sts
    ups_time = state.snapshot.ups_time
    from .api import ups_clock_note

    note = f'<p class="notice" id="ups-clock-note">{e(t("datetime.ups_not_written", language, sts))}</p>' if ups_clock_note(state) else ""
    clock = f"""<table class="grid"><tbody>
<tr><th>{e(t('datetime.system_time', language))}</th><td id="nv-time" data-time="{e(state.snapshot.time.isoformat())}"></td></tr>
<tr><th>{e(t('datetime.ups_time', language, sts))}</th><td>{e(ups_time.strftime('%d/%m/%Y %H:%M:%S') if ups_time else '—')}</td></tr>
<tr><th>{e(t('datetime.browser_time', language))}</th><td id="browser-time"></td></tr></tbody></table>{note}"""
    setters = ""
    if session.can_write:
        # §18.1: "Synchronize with computer time" and "Set manually" (default 01/01/2022 00:00:00).
        setters = f"""<section class="panel" id="clock-setters">
<h2>{e(t('datetime.sync_browser', language))}</h2>
<p><button type="button" id="clock-browser">{e(t('datetime.sync_browser', language))}</button></p>
<h2>{e(t('datetime.set_manually', language))}</h2>
<form id="clock-form" class="inline">
<label>{e(t('datetime.date', language))} <input type="text" name="date" value="01/01/2022" pattern="\\d{{2}}/\\d{{2}}/\\d{{4}}" required></label>
<label>{e(t('datetime.time', language))} <input type="text" name="time" value="00:00:00" pattern="\\d{{2}}:\\d{{2}}:\\d{{2}}" required></label>
<button type="submit">{e(t('datetime.set', language))}</button></form>
<p id="clock-result" class="result" role="status" data-done="{e(t('datetime.changed', language))}"></p></section>"""
    form = settings_form(request, DATETIME_KEYS, language, session.can_write)
    ntp = f"""<h2>{e(t('datetime.ntp', language))}</h2><p class="hint">{e(t('datetime.ntp_later', language))}</p>
{settings_form(request, NTP_KEYS, language, session.can_write)}"""
    return page(request, "menu.datetime", clock + setters + form + ntp, page_name="datetime")


async def links_setup(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    links = list(state.settings.web.external_links)
    disabled = "" if session.can_write else " disabled"
    rows = []
    for index in range(4):
        link = links[index] if index < len(links) else None
        text, address, enabled = (link.text, link.address, link.enabled) if link else ("", "", False)
        rows.append(
            f'<tr data-link="{index}"><td>{index + 1}</td><td><input type="text" name="text" value="{e(text)}" maxlength="64"{disabled}></td>'
            f'<td><input type="text" name="address" value="{e(address)}" maxlength="255"{disabled}></td>'
            f'<td><select name="enabled"{disabled}><option value="false">{e(t("form.disabled", language))}</option>'
            f'<option value="true"{" selected" if enabled else ""}>{e(t("form.enabled", language))}</option></select></td></tr>'
        )
    button = f'<button type="submit">{e(t("form.save", language))}</button>' if session.can_write else ""
    body = f"""<form id="links-form"><table class="grid"><thead><tr><th>#</th><th>Screen Text</th><th>Link Address</th><th>Status</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>{button}</form>"""
    return page(request, "menu.links_setup", body, page_name="links-setup")


async def users(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    if not session.is_admin:
        raise web.HTTPForbidden(text="only admin manages accounts")
    accounts = state.accounts.users()

    def role_select(current: str) -> str:
        return "".join(
            f'<option value="{role}"{" selected" if role == current else ""}>{e(t(f"role.{role}", language))}</option>'
            for role in ("disabled", "read_only", "read_write")
        )

    def language_select(current: str) -> str:
        return "".join(
            f'<option value="{code}"{" selected" if code == current else ""}>{e(label)}</option>'
            for code, label in (("", "—"), ("en", t("lang.en", language)), ("fr", t("lang.fr", language)))
        )

    delete = f'<button type="button" data-delete-user>{e(t("form.delete", language))}</button>'
    rows = []
    for index in range(8):
        account = accounts[index] if index < len(accounts) else None
        name = account.name if account else ""
        rows.append(
            f'<tr data-user-row="{index}" data-existing="{e(name)}"><td>{index + 1}</td>'
            f'<td><input type="text" name="name" value="{e(name)}" maxlength="32"{" readonly" if account else ""}></td>'
            f'<td><input type="password" name="password" autocomplete="new-password" placeholder="{"••••••••" if account else ""}"></td>'
            f'<td><select name="role">{role_select(account.role if account else "read_only")}</select></td>'
            f'<td><select name="language">{language_select(account.language if account else "")}</select></td>'
            f'<td><button type="button" data-save-user>{e(t("form.save", language))}</button>'
            f"{delete if account else ''}</td></tr>"
        )
    body = f"""<p class="hint">{e(t('login.change_help', language))}</p>
<table class="grid" id="users-table"><thead><tr><th>#</th><th>{e(t('users.name', language))}</th><th>{e(t('login.password', language))}</th>
<th>{e(t('users.access', language))}</th><th>{e(t('users.language', language))}</th><th></th></tr></thead><tbody>{"".join(rows)}</tbody></table>"""
    return page(request, "menu.users", body, page_name="users")


async def account(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    current = state.accounts.get(session.user)
    chosen = current.language if current else ""
    options = "".join(
        f'<option value="{code}"{" selected" if code == chosen else ""}>{e(label)}</option>'
        for code, label in (("", "—"), ("en", t("lang.en", language)), ("fr", t("lang.fr", language)))
    )
    body = f"""<form id="language-form" class="inline"><label>{e(t('users.language', language))}
<select name="language">{options}</select></label> <button type="submit">{e(t('form.save', language))}</button></form>
<h2>{e(t('login.change_title', language))}</h2>{_password_form(language)}"""
    return page(request, "menu.account", body, page_name="account")


def _password_form(language: str) -> str:
    return f"""<form id="password-form" class="stack">
<p class="hint">{e(t('login.change_help', language))}</p>
<label>{e(t('login.current', language))} <input type="password" name="current" autocomplete="current-password" required></label>
<label>{e(t('login.new', language))} <input type="password" name="new" autocomplete="new-password" required></label>
<label>{e(t('login.confirm', language))} <input type="password" name="confirm" autocomplete="new-password" required></label>
<button type="submit">{e(t('login.change', language))}</button>
<p class="error" id="password-error" role="alert" data-mismatch="{e(t('login.mismatch', language))}" data-done="{e(t('login.changed', language))}"></p></form>"""


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
        ("/graph", graph),
        ("/clients", clients),
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
