"""REST API, version 1 (JSON). Every page reads and changes through it.

Described by the OpenAPI document at ``/api/v1/openapi.json`` (openapi.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from yarl import URL

from ...clock import ClockError
from ...events.catalog import make_event
from ...settings import Settings
from ...settings.secrets import changed_secrets, redact, secret_leaf
from ...settings.store import (
    MAX_DEPTH,
    SettingsError,
    apply_changes,
    changed_keys,
    depth,
    settings_from_upload,
    settings_to_toml,
)
from .accounts import ADMIN, MAX_USER_NAME, AccountError
from .app import (
    SESSION_COOKIE,
    ApiError,
    failed_logins,
    require_admin,
    require_write,
    session_of,
    set_session_cookie,
    state_of,
)
from .battery import battery_test_permitted, per_unit
from .openapi import openapi_document
from .tls import MAX_UPLOAD_BYTES, CertificateError
from .views import alarms_json, control_label

log = logging.getLogger("netvision.web")

VIA = "Web"


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda value: json.dumps(value, default=str))


async def read_json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "the body is not valid JSON") from None
    except RecursionError:
        raise ApiError(400, f"the JSON body nests more than {MAX_DEPTH} levels deep") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    if depth(body) > MAX_DEPTH:
        raise ApiError(400, f"the JSON body nests more than {MAX_DEPTH} levels deep")
    return body


def same_origin(request: web.Request) -> bool:
    """A login comes from this gateway's own pages (or a client that is no browser): a
    cross-site page cannot post it, even as text/plain or a form that needs no preflight."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is not None:
        try:
            url = URL(origin)
        except ValueError:
            return False
        return url.scheme == request.scheme and url.raw_authority.lower() == request.host.lower()
    return True


def remote(request: web.Request) -> str:
    return request.remote or "???"


# -- login, session, password (§11.5) ------------------------------------------------------------


async def login(request: web.Request) -> web.Response:
    state = state_of(request)
    if request.content_type != "application/json":
        raise ApiError(415, "the login is a JSON body (Content-Type: application/json)")
    if not same_origin(request):
        raise ApiError(403, "a login from another site is refused")
    body = await read_json(request)
    user, password = body.get("user"), body.get("password")
    if not isinstance(user, str) or not isinstance(password, str) or not user or len(password) > 256:
        raise ApiError(400, "user and password are required strings")
    if len(user) > MAX_USER_NAME:
        failed_logins(request).failed(remote(request), user[:MAX_USER_NAME] + "…")
        raise ApiError(400, f"user names have at most {MAX_USER_NAME} characters")
    validity = state.settings.web.password_validity_days
    outcome = await asyncio.to_thread(state.accounts.authenticate, user, password, validity, remote(request))
    bus = state.context.bus
    if outcome.account is None:
        if outcome.reason in ("invalid", "locked"):
            failed_logins(request).failed(remote(request), user)
        if outcome.locked_now:
            bus.publish(make_event("nv.web_account_locked", user=user, ip=remote(request)))
        if outcome.delay:
            await asyncio.sleep(outcome.delay)  # slows guessing down; other requests go on
        status = {"locked": 429, "disabled": 403}.get(outcome.reason, 401)
        messages = {
            "locked": "too many failed logins: try again later",
            "disabled": "this account is disabled",
        }
        raise ApiError(status, messages.get(outcome.reason, "invalid user name or password"), reason=outcome.reason)
    account = outcome.account
    language = account.language or state.settings.system.language
    session = state.sessions.open(account.name, account.role, language, outcome.must_change, remote(request))
    if not outcome.must_change:
        session.password_notice = state.accounts.days_left(account, validity)
    bus.publish(make_event("nv.web_login", user=account.name, ip=remote(request)))
    response = json_response({**session_json(session), "password_days_left": session.password_notice})
    set_session_cookie(request, response, session.token)
    return response


def session_json(session: Any) -> dict[str, Any]:
    return {
        "user": session.user,
        "role": session.role,
        "language": session.language,
        "must_change": session.must_change,
        "can_write": session.can_write,
        "csrf": session.csrf,
    }


async def logout(request: web.Request) -> web.Response:
    state = state_of(request)
    state.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def get_session(request: web.Request) -> web.Response:
    return json_response(session_json(session_of(request)))


async def change_password(request: web.Request) -> web.Response:
    """Own password; after it the session ends and a new login is needed (§11.5)."""
    state = state_of(request)
    session = session_of(request)
    body = await read_json(request)
    current, new = body.get("current"), body.get("new")
    if not isinstance(current, str) or not isinstance(new, str):
        raise ApiError(400, "current and new are required strings")
    validity = state.settings.web.password_validity_days
    outcome = await asyncio.to_thread(state.accounts.authenticate, session.user, current, validity, remote(request))
    if outcome.account is None:
        raise ApiError(403, "the current password is wrong")
    try:
        await asyncio.to_thread(state.accounts.change_password, session.user, new)
    except AccountError as problem:
        raise ApiError(400, str(problem)) from None
    state.context.bus.publish(make_event("nv.setting_changed", key=f"password of {session.user}", via=VIA, by=session.user))
    state.sessions.close(session.token)
    response = json_response({"ok": True, "login_again": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def patch_account(request: web.Request) -> web.Response:
    """Own preferences: the page language (per user)."""
    state = state_of(request)
    session = session_of(request)
    body = await read_json(request)
    language = body.get("language")
    if not isinstance(language, str):
        raise ApiError(400, "language is a required string")
    try:
        account = state.accounts.set_language(session.user, language)
    except AccountError as problem:
        raise ApiError(400, str(problem)) from None
    session.language = account.language or state.settings.system.language
    return json_response(account.public())


# -- monitoring ----------------------------------------------------------------------------------


async def get_snapshot(request: web.Request) -> web.Response:
    state = state_of(request)
    body = state.snapshot_body(state.language(session_of(request)))
    return web.Response(body=body, content_type="application/json")


async def get_services(request: web.Request) -> web.Response:
    """Every service's health: state, where it listens, last error, counters (§18.3)."""
    state = state_of(request)
    return web.json_response({"services": [health.as_dict() for health in state.context.services_health()]})


async def get_alarms(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    snapshot = state.snapshot
    unit = request.query.get("unit", "0")
    if not unit.isdigit():
        raise ApiError(400, "unit must be a number (0 = system)")
    device = snapshot.device(int(unit))
    if device is None and int(unit):
        raise ApiError(404, f"no unit {unit}")
    if snapshot.stale:
        # Communication lost: the alarms are not known any more (the last values are, marked stale).
        last_read = snapshot.last_read
        return json_response(
            {"unit": int(unit), "alarms": [], "stale": True, "last_read": last_read.isoformat() if last_read else None}
        )
    return json_response({"unit": int(unit), "alarms": alarms_json(device, language), "stale": False})


# -- controls (§16.1, §16.2) ---------------------------------------------------------------------


async def get_controls(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    snapshot = state.snapshot
    controls = [
        {"control": name, "label": control_label(name, language), "permitted": bool(permitted)}
        for name, permitted in snapshot.permissions.items()
    ]
    return json_response(
        {"remote_controls_permitted": snapshot.remote_controls_permitted, "controls": controls}
    )


async def post_control(request: web.Request) -> web.Response:
    state = state_of(request)
    session = require_write(request)
    body = await read_json(request)
    control = body.get("control")
    unit = body.get("unit")
    if not isinstance(control, str) or not control:
        raise ApiError(400, "control is a required string")
    if unit is not None and (not isinstance(unit, int) or isinstance(unit, bool) or not 0 <= unit <= 15):
        raise ApiError(400, "unit must be an integer 0..15")
    if control not in state.snapshot.permissions:
        raise ApiError(400, f"unknown control {control!r} for this UPS")
    result = await state.context.ups.submit(control, source=VIA, user=session.user, unit=unit or None)
    data = {"control": result.control, "accepted": result.accepted, "reason": result.reason}
    return json_response(data, status=200 if result.accepted else 409)


async def get_battery_test(request: web.Request) -> web.Response:
    """§16.2: status, last test and result, per unit for a VU-MAP distributed-battery system."""
    state = state_of(request)
    snapshot = state.snapshot
    rows = state.battery_test_rows(snapshot, state.language(session_of(request)))
    return json_response({"per_unit": per_unit(snapshot), "permitted": battery_test_permitted(snapshot), "rows": rows})


# -- date and time (§18.1) -----------------------------------------------------------------------


def ups_clock_note(state: Any) -> bool:
    """True when "Synchronize UPS" is on and the UPS has a clock (JBUSP 0x1360): the UPS
    clock is then not written, for lack of a public write register (docs/decisions.md)."""
    return bool(state.settings.system.synchronize_ups_clock and state.snapshot.has_clock)


async def get_clock(request: web.Request) -> web.Response:
    state = state_of(request)
    snapshot = state.snapshot
    system = state.settings.system
    return json_response(
        {
            "time": datetime.now(UTC).isoformat(),
            "time_zone": system.time_zone,
            "ups_time": snapshot.ups_time.isoformat() if snapshot.ups_time else None,
            "ups_clock_written": False,
            "ups_clock_note": ups_clock_note(state),
        }
    )


def parse_new_time(value: object, time_zone: str) -> datetime:
    """ISO 8601 date and time; without an offset it is local time of the configured zone."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        raise ApiError(400, 'time is a required ISO 8601 string such as "2026-03-01T12:30:00+01:00"')
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"time {value!r} is not an ISO 8601 date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC if time_zone == "UTC" else ZoneInfo(time_zone))
    # The board's clock is a 64-bit epoch; the range keeps obvious typos out (year 20226).
    if not 2000 <= when.astimezone(UTC).year <= 2099:
        raise ApiError(400, "the year must be between 2000 and 2099")
    return when


async def set_clock(request: web.Request) -> web.Response:
    """§18.1 "Set values manually" and "Synchronize with computer time" (admin, Read/Write)."""
    state = state_of(request)
    session = require_write(request)
    body = await read_json(request)
    source = body.get("source", "manual")
    if source not in ("manual", "browser"):
        raise ApiError(400, "source is manual or browser")
    when = parse_new_time(body.get("time"), state.settings.system.time_zone)
    before = datetime.now(UTC)
    try:
        await asyncio.to_thread(state.context.clock.set_time, when)
    except ClockError as problem:
        log.warning("web: %s asked to set the clock: %s", session.user, problem)
        raise ApiError(503, str(problem)) from None
    state.context.bus.publish(
        make_event(
            "nv.time_changed_by_user",
            source=f"{VIA} ({session.user})",
            via=VIA,
            by=session.user,
            method=source,
            previous=before.isoformat(),
            new_time=when.astimezone(UTC).isoformat(),
        )
    )
    return json_response(
        {"ok": True, "time": when.isoformat(), "ups_clock_written": False, "ups_clock_note": ups_clock_note(state)}
    )


# -- settings (§18.1–§18.3, §20) -----------------------------------------------------------------


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def settings_json(settings: Settings) -> dict[str, Any]:
    """The settings as the API shows them to every role: a secret is PLACEHOLDER when set,
    "" when not (settings/secrets.py)."""
    return redact(settings.model_dump(mode="json"))


async def get_settings(request: web.Request) -> web.Response:
    return json_response(settings_json(state_of(request).settings))


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    changes = body.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise ApiError(400, 'the body must be {"changes": {"section.key": value, ...}}')
    if "data_dir" in changes:
        raise ApiError(400, "data_dir cannot be changed from the web")
    return changes


# Settings that grant SNMP access besides the secrets: a v3 user made noAuthNoPriv with write
# access would let anyone who knows its name restart or reset the agent.
ACCESS_KEYS = ("snmp.usm_users",)


def _check_secrets(request: web.Request, old: Settings, new: Settings) -> None:
    """Communities and v3 users grant SNMP access (writes, restart, reset): only admin sets
    them, so a Read/Write user cannot give himself what the web denies him."""
    if session_of(request).is_admin:
        return
    changed = changed_secrets(old, new)
    changed += [key for key, _old, _new in changed_keys(old, new) if key in ACCESS_KEYS and key not in changed]
    if changed:
        raise ApiError(403, "only admin sets SNMP communities, passwords and v3 users", keys=changed)


async def validate_settings(request: web.Request) -> web.Response:
    state = state_of(request)
    require_write(request)
    changes = _changes(await read_json(request))
    try:
        apply_changes(state.settings, changes)
    except SettingsError as problem:
        return json_response({"valid": False, "problems": list(problem.problems)})
    return json_response({"valid": True, "problems": []})


def _check_firewall(request: web.Request, changes: dict[str, Any], confirmed: bool) -> None:
    """A firewall change is admin's, and one that would cut this browser off needs confirmation (§18.15)."""
    from ...settings.store import apply_changes
    from .firewall import check_lockout

    if not any(key.startswith("access_control") for key in changes):
        return
    state = state_of(request)
    try:
        new = apply_changes(state.settings, changes)
    except SettingsError as problem:
        raise ApiError(400, "invalid settings", problems=list(problem.problems)) from None
    check_lockout(request, state.settings, new, confirmed)


async def patch_settings(request: web.Request) -> web.Response:
    state = state_of(request)
    session = require_write(request)
    body = await read_json(request)
    changes = _changes(body)
    _check_firewall(request, changes, body.get("confirm_lockout") is True)
    try:
        _check_secrets(request, state.settings, apply_changes(state.settings, changes))
        new = await state.context.settings_manager.change(changes, via=VIA, by=session.user)
    except SettingsError as problem:
        from .field_errors import problem_fields

        fields = problem_fields(problem.problems, changes, state.language(session))
        raise ApiError(400, "invalid settings", problems=list(problem.problems), fields=fields) from None
    return json_response(settings_json(new))


async def download_configuration(request: web.Request) -> web.Response:
    """§18.2 "Download Configuration": the settings file without its secrets (communities,
    passwords; accounts live apart). Restoring it keeps the current secrets."""
    state = state_of(request)
    require_write(request)
    return web.Response(
        text=settings_to_toml(state.settings, with_secrets=False),
        content_type="application/toml",
        headers={"Content-Disposition": 'attachment; filename="netvision.toml"'},
    )


async def download_backup(request: web.Request) -> web.Response:
    """The whole configuration with its secrets, encrypted with a password admin chooses."""
    from ...settings import backup

    state = state_of(request)
    require_admin(request)
    password = (await read_json(request)).get("password")
    text = settings_to_toml(state.settings)
    try:
        sealed = await asyncio.to_thread(backup.encrypt, text, password)  # type: ignore[arg-type]
    except backup.BackupError as problem:
        raise ApiError(400, str(problem)) from None
    return web.Response(
        text=sealed,
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="netvision-backup.json"'},
    )


async def _uploaded(request: web.Request) -> tuple[Settings, list[str], bool]:
    """The configuration a restore would install: (settings, keys the file leaves out, encrypted).

    The body is the file itself (TOML, or an encrypted backup), or JSON
    ``{"file": text, "password": backup password}``. Nothing is applied here."""
    from ...settings import backup

    state = state_of(request)
    password: object = None
    text: object
    if request.content_type == "application/json":
        body = await read_json(request)
        text, password = body.get("file"), body.get("password")
        if not isinstance(text, str):
            raise ApiError(400, 'the body must be {"file": "<the configuration file>", "password": "..."}')
    else:
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "the configuration file is not UTF-8 text") from None
    assert isinstance(text, str)
    encrypted = backup.is_backup(text)
    if encrypted:
        try:
            text = await asyncio.to_thread(backup.decrypt, str(text), password)
        except backup.BackupError as problem:
            raise ApiError(400, str(problem), encrypted=True) from None
    try:
        new, missing = settings_from_upload(str(text), state.settings)
    except SettingsError as problem:
        raise ApiError(400, "the configuration file was refused, nothing changed", problems=list(problem.problems)) from None
    return new, missing, encrypted


def _restore_report(old: Settings, new: Settings, missing: list[str], encrypted: bool) -> dict[str, Any]:
    before, after = settings_json(old), settings_json(new)

    def shown(document: dict[str, Any], key: str) -> Any:
        node: Any = document
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    changes = []
    for key, _old, _new in changed_keys(old, new):
        secret = secret_leaf(key)
        changes.append({"key": key, "old": shown(before, key), "new": shown(after, key), "secret": secret})
    note = (
        f"the file leaves out {len(missing)} settings: they keep their current values (merged, not reset)"
        if missing
        else "the file holds every setting"
    )
    return {"changes": changes, "partial": bool(missing), "kept": missing, "encrypted": encrypted, "note": note}


async def preview_configuration(request: web.Request) -> web.Response:
    """What a restore of this file would change, for the confirmation (nothing applied)."""
    state = state_of(request)
    require_write(request)
    new, missing, encrypted = await _uploaded(request)
    _check_secrets(request, state.settings, new)
    return json_response(_restore_report(state.settings, new, missing, encrypted))


async def upload_configuration(request: web.Request) -> web.Response:
    """§18.2 "Upload Configuration": validated completely before anything is applied, merged
    over the current settings (a partial file changes only what it holds)."""
    state = state_of(request)
    session = require_write(request)
    old = state.settings
    new, missing, encrypted = await _uploaded(request)
    _check_secrets(request, old, new)
    from .firewall import check_lockout

    check_lockout(request, old, new, request.query.get("confirm_lockout") == "true")
    report = _restore_report(old, new, missing, encrypted)
    await state.context.settings_manager.replace(new, via=VIA, by=session.user)
    return json_response({"ok": True, **report})


# -- accounts (§18.4) ----------------------------------------------------------------------------


async def get_accounts(request: web.Request) -> web.Response:
    state = state_of(request)
    require_admin(request)
    accounts = [state.accounts.accounts[ADMIN].public()] + [user.public() for user in state.accounts.users()]
    return json_response({"accounts": accounts, "max_users": 8})


async def put_account(request: web.Request) -> web.Response:
    state = state_of(request)
    session = require_admin(request)
    name = request.match_info["name"]
    body = await read_json(request)
    role, password, language = body.get("role"), body.get("password", ""), body.get("language", "")
    if not isinstance(role, str) or not isinstance(password, str) or not isinstance(language, str):
        raise ApiError(400, "role is required; password and language are strings")
    try:
        account = await asyncio.to_thread(state.accounts.put_user, name, role, password, language)
    except AccountError as problem:
        raise ApiError(400, str(problem)) from None
    state.sessions.end_user(name)  # a changed account logs in again with its new rights
    state.context.bus.publish(make_event("nv.setting_changed", key=f"user {name}", via=VIA, by=session.user))
    return json_response(account.public())


async def delete_account(request: web.Request) -> web.Response:
    state = state_of(request)
    session = require_admin(request)
    name = request.match_info["name"]
    try:
        state.accounts.delete_user(name)
    except AccountError as problem:
        raise ApiError(404 if "no account" in str(problem) else 400, str(problem)) from None
    state.sessions.end_user(name)
    state.context.bus.publish(make_event("nv.setting_changed", key=f"user {name}", via=VIA, by=session.user))
    return json_response({"ok": True})


# -- certificates (§3.5, §18.2) ------------------------------------------------------------------


async def get_certificate(request: web.Request) -> web.Response:
    state = state_of(request)
    info = await asyncio.to_thread(state.certificates.info)
    return json_response(info.as_dict())


async def download_ca(request: web.Request) -> web.Response:
    state = state_of(request)
    data = await asyncio.to_thread(state.certificates.ca_certificate)
    return web.Response(
        body=data,
        content_type="application/x-x509-ca-cert",
        headers={"Content-Disposition": 'attachment; filename="cacert.crt"'},
    )


async def upload_certificate(request: web.Request) -> web.Response:
    state = state_of(request)
    session = require_write(request)
    data = await request.content.read(MAX_UPLOAD_BYTES + 1)
    try:
        info = await asyncio.to_thread(state.certificates.upload, data)
    except CertificateError as problem:
        raise ApiError(400, str(problem)) from None
    state.context.bus.publish(make_event("nv.setting_changed", key="HTTPS certificate", via=VIA, by=session.user))
    return json_response(info.as_dict())


async def delete_certificate(request: web.Request) -> web.Response:
    state = state_of(request)
    session = require_write(request)
    info = await asyncio.to_thread(state.certificates.remove_uploaded)
    state.context.bus.publish(make_event("nv.setting_changed", key="HTTPS certificate", via=VIA, by=session.user))
    return json_response(info.as_dict())


# -- restart and reset to default (App. SSH menu 3 and 4, §18.3) ----------------------------------


def _agent(request: web.Request) -> tuple[Any, Any]:
    state = state_of(request)
    session = session_of(request)
    if not session.is_admin:
        raise ApiError(403, "only admin restarts NET VISION or resets its configuration")
    agent = state.context.agent
    if agent is None:
        raise ApiError(503, "this daemon cannot restart its agent")
    if agent.busy:
        raise ApiError(503, "a restart is already under way")
    return agent, session


async def restart_agent(request: web.Request) -> web.Response:
    """Answered first; the restart runs after, and stops this web server with the rest."""
    agent, session = _agent(request)
    agent.request_restart(via=VIA, by=session.user)
    return json_response({"ok": True, "restarting": True})


async def reset_agent(request: web.Request) -> web.Response:
    agent, session = _agent(request)
    agent.request_reset(via=VIA, by=session.user)
    return json_response({"ok": True, "restarting": True})


MIB_DIR = Path(__file__).resolve().parent.parent.parent / "mibs"


def mib_files() -> list[str]:
    """The MIB files the daemon ships (netvision/mibs), for "Download MIB file" (§18.2)."""
    if not MIB_DIR.is_dir():
        return []
    return sorted(path.name for path in MIB_DIR.iterdir() if path.is_file() and path.suffix == ".txt")


async def get_mibs(request: web.Request) -> web.Response:
    return json_response({"mibs": mib_files()})


async def download_mib(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in mib_files():  # only names listed there: no path from the request reaches the disk
        raise ApiError(404, f"no MIB file {name!r}")
    return web.Response(
        body=(MIB_DIR / name).read_bytes(),
        content_type="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def get_openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document())


ROUTES = [
    ("POST", "/api/v1/login", login),
    ("POST", "/api/v1/logout", logout),
    ("GET", "/api/v1/session", get_session),
    ("POST", "/api/v1/password", change_password),
    ("PATCH", "/api/v1/account", patch_account),
    ("GET", "/api/v1/snapshot", get_snapshot),
    ("GET", "/api/v1/alarms", get_alarms),
    ("GET", "/api/v1/services", get_services),
    ("GET", "/api/v1/controls", get_controls),
    ("POST", "/api/v1/controls", post_control),
    ("GET", "/api/v1/battery-test", get_battery_test),
    ("GET", "/api/v1/clock", get_clock),
    ("POST", "/api/v1/clock", set_clock),
    ("GET", "/api/v1/settings", get_settings),
    ("PATCH", "/api/v1/settings", patch_settings),
    ("POST", "/api/v1/settings/validate", validate_settings),
    ("GET", "/api/v1/configuration", download_configuration),
    ("POST", "/api/v1/configuration", upload_configuration),
    ("POST", "/api/v1/configuration/preview", preview_configuration),
    ("POST", "/api/v1/configuration/backup", download_backup),
    ("GET", "/api/v1/accounts", get_accounts),
    ("PUT", "/api/v1/accounts/{name}", put_account),
    ("DELETE", "/api/v1/accounts/{name}", delete_account),
    ("GET", "/api/v1/certificate", get_certificate),
    ("POST", "/api/v1/certificate", upload_certificate),
    ("DELETE", "/api/v1/certificate", delete_certificate),
    ("GET", "/api/v1/certificate/ca", download_ca),
    ("POST", "/api/v1/agent/restart", restart_agent),
    ("POST", "/api/v1/agent/reset", reset_agent),
    ("GET", "/api/v1/mibs", get_mibs),
    ("GET", "/api/v1/mibs/{name}", download_mib),
    ("GET", "/api/v1/openapi.json", get_openapi),
]


def add_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
