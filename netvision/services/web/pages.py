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
from .labels import t
from .layout import ups_reference
from .sessions import Session
from .state import WebState
from .synoptic import STS_ELEMENTS, UNIT_ELEMENTS
from .templating import render, render_fragment, render_public
from .views import control_label, devices

DASHBOARD_TITLES = (
    "remaining_backup_time", "load_rate", "output_current", "output_voltage", "input_voltage", "bypass_voltage",
    "battery_capacity", "battery_voltage", "output_frequency", "input_frequency", "temperature",
)  # fmt: skip


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


def _tree(snapshot: Snapshot, language: str) -> str:
    topology = snapshot.topology
    reference = e(ups_reference(snapshot) or t("tree.system", language))
    items = []
    for device_id, kind, _state in devices(snapshot):
        if kind == "system":
            items.append(
                f'<li><button type="button" class="node" data-device="system">'
                f'<span class="dot" data-tree="system"></span>{reference}</button>'
            )
            if topology is None or topology.battery_present:
                items.append(
                    f'<ul><li><span class="node battery-node"><span class="dot" data-battery-tree="system"></span>'
                    f"{e(t('tree.battery', language))}</span></li></ul>"
                )
            items.append("<ul>")
        elif kind == "unit":
            number = device_id.removeprefix("unit")
            items.append(
                f'<li><button type="button" class="node" data-device="{device_id}">'
                f'<span class="dot" data-tree="{device_id}"></span>{e(t("tree.unit", language))} {e(number)}</button></li>'
            )
        else:
            number = device_id.rsplit("module", 1)[1]
            items.append(
                f'<li class="module"><button type="button" class="node" data-device="{device_id}">'
                f'<span class="dot" data-tree="{device_id}"></span>{e(t("tree.module", language))} {e(number)}</button></li>'
            )
    items.append("</ul></li>")
    return f'<ul class="tree" id="tree">{"".join(items)}</ul>'


def synoptic_svg(language: str) -> str:
    """The unit synoptic of §12.1 (and, with fewer elements, the system view of §12.2)."""
    L = lambda key: e(t(key, language))  # noqa: E731
    return f"""<svg class="synoptic" id="synoptic" viewBox="0 0 780 300" role="img" aria-label="synoptic">
  <g id="el-maintenance_bypass" class="line c-grey"><path d="M30 20 H620 V160"/><text x="300" y="14" class="label">{L('synoptic.maintenance_bypass')}</text></g>
  <g id="el-bypass_supply" class="line c-grey"><path d="M30 70 H120"/></g>
  <g id="el-bypass_input" class="line c-grey"><path d="M120 70 H310"/></g>
  <g id="el-bypass" class="box c-grey" data-table="bypass" tabindex="0" role="button"><rect x="310" y="48" width="90" height="44" rx="6"/><text x="355" y="75">{L('synoptic.bypass')}</text></g>
  <g id="el-bypass_output" class="line c-grey"><path d="M400 70 H580 V160"/></g>
  <g id="el-rectifier_supply" class="line c-grey"><path d="M30 160 H110"/></g>
  <g id="el-rectifier" class="box c-grey" data-table="input" tabindex="0" role="button"><rect x="110" y="138" width="90" height="44" rx="6"/><text x="155" y="165">{L('synoptic.rectifier')}</text></g>
  <g id="el-rectifier_output" class="line c-grey"><path d="M200 160 H235"/></g>
  <g id="el-dc_bus" class="line c-grey"><path d="M235 160 H270 M252 160 V222"/></g>
  <g id="el-inverter_input" class="line c-grey"><path d="M270 160 H310"/></g>
  <g id="el-inverter" class="box c-grey" data-table="inverter" tabindex="0" role="button"><rect x="310" y="138" width="90" height="44" rx="6"/><text x="355" y="165">{L('synoptic.inverter')}</text></g>
  <g id="el-inverter_output" class="line c-grey"><path d="M400 160 H580"/></g>
  <g id="el-output" class="line c-grey"><path d="M580 160 H650"/></g>
  <g id="el-load" class="box c-grey" data-table="output" tabindex="0" role="button"><rect x="650" y="128" width="110" height="64" rx="6"/>
    <text x="705" y="150">{L('synoptic.load')}</text><rect class="load-track" x="662" y="160" width="86" height="12" rx="2"/>
    <rect id="load-bar" class="load-bar" x="662" y="160" width="0" height="12" rx="2"/><text id="load-text" x="705" y="187" class="value"></text></g>
  <g id="el-battery" class="box battery c-grey" data-table="battery" tabindex="0" role="button"><rect x="222" y="222" width="60" height="40" rx="4"/>
    <rect class="battery-tip" x="246" y="217" width="12" height="5"/><rect id="battery-level" class="battery-level" x="226" y="226" width="52" height="32"/>
    <text id="battery-text" x="252" y="280" class="value"></text></g>
  <g id="el-bypass_impossible" class="icon c-hidden"><circle cx="440" cy="70" r="11"/><path d="M434 64 l12 12 m0 -12 l-12 12"/></g>
  <g id="el-maintenance_alarm" class="icon c-hidden"><circle cx="645" cy="20" r="11"/><text x="645" y="25">M</text></g>
  <g id="el-alarm_present" class="icon c-hidden"><a href="/alarms"><circle cx="30" cy="270" r="13"/><text x="30" y="276">!</text></a></g>
  <g id="el-genset" class="icon c-hidden"><circle cx="60" cy="200" r="13"/><text x="60" y="205">G</text></g>
  <g id="el-battery_sharing" class="icon c-hidden"><text x="300" y="250">&#8596;</text></g>
  <text x="30" y="62" class="caption">{L('synoptic.bypass_input')}</text>
  <text x="30" y="130" class="caption">{L('synoptic.rectifier_input')}</text>
</svg>"""


def sts_synoptic_svg(language: str) -> str:
    """The STS synoptic (FR §11.5, §13.1): two sources, two static switches, one output."""
    L = lambda key: e(t(key, language))  # noqa: E731
    return f"""<svg class="synoptic" id="synoptic" viewBox="0 0 780 300" role="img" aria-label="synoptic">
  <g id="el-maintenance_bypass_1" class="line c-grey"><path d="M30 20 H620 V150"/><text x="300" y="14" class="label">{L('synoptic.maintenance_bypass_1')}</text></g>
  <g id="el-maintenance_bypass_2" class="line c-grey"><path d="M30 280 H620 V170"/><text x="300" y="294" class="label">{L('synoptic.maintenance_bypass_2')}</text></g>
  <g id="el-source1_input" class="line c-grey"><path d="M30 80 H310"/></g>
  <g id="el-switch1" class="box c-grey" data-table="source1" tabindex="0" role="button"><rect x="310" y="58" width="100" height="44" rx="6"/><text x="360" y="85">{L('synoptic.switch1')}</text></g>
  <g id="el-switch1_output" class="line c-grey"><path d="M410 80 H580 V160"/></g>
  <g id="el-source2_input" class="line c-grey"><path d="M30 220 H310"/></g>
  <g id="el-switch2" class="box c-grey" data-table="source2" tabindex="0" role="button"><rect x="310" y="198" width="100" height="44" rx="6"/><text x="360" y="225">{L('synoptic.switch2')}</text></g>
  <g id="el-switch2_output" class="line c-grey"><path d="M410 220 H580 V160"/></g>
  <g id="el-output" class="line c-grey"><path d="M580 160 H650"/></g>
  <g id="el-load" class="box c-grey" data-table="output" tabindex="0" role="button"><rect x="650" y="128" width="110" height="64" rx="6"/>
    <text x="705" y="150">{L('synoptic.load')}</text><rect class="load-track" x="662" y="160" width="86" height="12" rx="2"/>
    <rect id="load-bar" class="load-bar" x="662" y="160" width="0" height="12" rx="2"/><text id="load-text" x="705" y="187" class="value"></text></g>
  <g id="el-source1_preferred" class="icon c-hidden"><circle cx="250" cy="80" r="11"/><text x="250" y="85">P</text></g>
  <g id="el-source2_preferred" class="icon c-hidden"><circle cx="250" cy="220" r="11"/><text x="250" y="225">P</text></g>
  <g id="el-not_synchronised" class="icon c-hidden"><circle cx="470" cy="150" r="13"/><text x="470" y="155">&#8800;</text></g>
  <g id="el-bypass_impossible" class="icon c-hidden"><circle cx="520" cy="150" r="11"/><path d="M514 144 l12 12 m0 -12 l-12 12"/></g>
  <g id="el-maintenance_alarm" class="icon c-hidden"><circle cx="645" cy="40" r="11"/><text x="645" y="45">M</text></g>
  <g id="el-alarm_present" class="icon c-hidden"><a href="/alarms"><circle cx="30" cy="150" r="13"/><text x="30" y="156">!</text></a></g>
  <text x="30" y="72" class="caption">{L('synoptic.source1')}</text>
  <text x="30" y="212" class="caption">{L('synoptic.source2')}</text>
</svg>"""


async def home(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    snapshot = state.snapshot
    sts = bool(snapshot.identity and snapshot.identity.device_kind == "sts")
    names = ("ups", "battery", "output", "input", "bypass", "inverter", "source1", "source2")
    table_titles = {name: t(f"table.{name}", language, sts) for name in names}
    parallel = bool(snapshot.topology and snapshot.topology.is_parallel)
    body = f"""<div class="home">
<section class="panel tree-panel">{_tree(snapshot, language)}</section>
<section class="panel synoptic-panel">
  <div class="status-line"><strong id="ups-status"></strong> <span id="battery-status"></span></div>
  {sts_synoptic_svg(language) if sts else synoptic_svg(language)}
  <div class="table-head"><h2 id="table-title"></h2>
  <button type="button" id="table-back" hidden>{e(t('synoptic.back', language))}</button></div>
  <table class="params" id="params"><tbody></tbody></table>
</section>
</div>"""
    elements = list(STS_ELEMENTS if sts else UNIT_ELEMENTS)
    data = {"titles": table_titles, "parallel": parallel, "elements": elements, "device": "system", "sts": sts}
    return page(request, "menu.comprehensive", body, page_name="home", data=data)


async def alarms(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    sts = state.is_sts
    body = f"""<table class="grid summary"><tbody>
<tr><th>{e(t('alarms.count', language))}</th><td id="alarms-count">0</td></tr>
<tr><th>{e(t('alarms.last', language))}</th><td id="alarms-last"></td></tr></tbody></table>
<table class="grid" id="alarm-table"><thead><tr><th>{e(t('alarms.index', language))}</th><th>{e(t('alarms.time', language))}</th>
<th>{e(t('alarms.description', language, sts))}</th><th>{e(t('alarms.level', language))}</th></tr></thead><tbody></tbody></table>
<p class="empty" id="alarms-none" hidden>{e(t('alarms.none', language))}</p>"""
    return page(request, "menu.alarms", body, page_name="alarms")


async def dashboard(request: web.Request) -> web.Response:
    state = state_of(request)
    identity = state.snapshot.identity
    nominal_current = None
    if identity and identity.nominal_kva and identity.nominal_output_voltage:
        phases = identity.output_phases or 3
        nominal_current = identity.nominal_kva * 1000 / (phases * identity.nominal_output_voltage)
    language = state.language(session_of(request))
    body = '<div class="widgets" id="widgets"></div>'
    titles = {key: t(f"param.{key}", language) for key in DASHBOARD_TITLES}
    titles["source1_voltage"] = t("table.source1", language) + " (V)"
    titles["source2_voltage"] = t("table.source2", language) + " (V)"
    data = {
        "nominal_current": nominal_current,
        "nominal_label": t("dashboard.nominal", language),
        "titles": titles,
        "temperature_unit": "°" + state.settings.system.temperature_unit,
    }
    return page(request, "menu.dashboard", body, page_name="dashboard", data=data)


async def clients(request: web.Request) -> web.Response:
    language = state_of(request).language(session_of(request))
    # §15: filled by the shutdown service once it exists; no client is connected until then.
    body = f"""<table class="grid summary"><tbody><tr><th>{e(t('clients.count', language))}</th><td>0</td></tr></tbody></table>
<table class="grid"><thead><tr><th>{e(t('alarms.index', language))}</th><th>{e(t('clients.ip', language))}</th>
<th>{e(t('clients.name', language))}</th><th>{e(t('clients.time', language))}</th></tr></thead><tbody></tbody></table>"""
    return page(request, "menu.clients", body, page_name="clients")


async def control(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    if not session.can_write:
        return page(request, "menu.control", f'<p class="notice">{e(t("control.read_only", language))}</p>', page_name="control")
    rows = "".join(
        f'<tr data-control="{e(name)}" hidden><td>{e(control_label(name, language))}</td>'
        f'<td><input type="radio" name="control" value="{e(name)}" aria-label="{e(control_label(name, language))}"></td></tr>'
        for name in state.snapshot.permissions
        if name != "battery_test"
    )
    body = f"""<form id="control-form" class="controls"><table class="grid"><tbody>{rows}</tbody></table>
<p class="notice" id="controls-none" hidden>{e(t('control.none', language, state.is_sts))}</p>
<button type="submit">{e(t('control.apply', language))}</button></form>
<p id="control-result" class="result" role="status"></p>"""
    return page(request, "menu.control", body, page_name="control")


async def battery_test(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    if not session.can_write:
        return page(request, "menu.battery_test", f'<p class="notice">{e(t("control.read_only", language))}</p>', page_name="battery-test")
    snapshot = state.snapshot
    units = per_unit(snapshot)
    head = "".join(
        f"<th>{e(t(key, language))}</th>"
        for key in (("battery_test.unit",) if units else ())
        + ("battery_test.status", "battery_test.last", "battery_test.result", "battery_test.control")
    )
    rows = []
    for row in state.battery_test_rows(snapshot, language):
        unit = row["unit"]
        rows.append(
            f'<tr data-unit="{unit}">{f"<td>{unit}</td>" if units else ""}'
            f'<td data-field="status_label" data-status="{e(row["status"])}">{e(row["status_label"])}</td>'
            f'<td data-field="last_test_text">{e(row["last_test_text"])}</td>'
            f'<td data-field="result_label" data-result="{e(row["result"])}">{e(row["result_label"])}</td>'
            f'<td><button type="button" data-battery-test="{unit}"{"" if row["can_start"] else " disabled"}>'
            f'{e(t("control.apply", language))}</button></td></tr>'
        )
    body = f"""<table class="grid" id="battery-test-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>
<p class="notice" id="battery-test-none" hidden>{e(t('control.none', language, state.is_sts))}</p>
<p id="control-result" class="result" role="status"></p>"""
    return page(request, "menu.battery_test", body, page_name="battery-test", data={"per_unit": units})


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
    return render_fragment(
        request,
        '{% from "partials/forms.html" import settings_form with context %}{{ settings_form(fields, can_write) }}',
        fields=fields,
        can_write=can_write,
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
