"""REST API, version 1 (JSON). Every page reads and changes through it.

Described by the OpenAPI document at ``/api/v1/openapi.json`` (openapi.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, JsonValue, WithJsonSchema
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
from . import routes
from .accounts import ADMIN, MAX_USER_NAME, MAX_USERS, USER_ROLES, AccountError
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
from .login import LoginRefused, PasswordRefused, change_own_password, open_session
from .routes import Route, parse_body
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


# -- request and answer models (the OpenAPI document is made from them) --------------------------


class Body(BaseModel):
    """A JSON request body: unknown keys are errors, and types are strict ("1" is no number)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Answer(BaseModel):
    """A JSON answer's shape, for the document (answers may gain keys in later versions)."""


WRITE_ONLY: dict[str, JsonValue] = {"writeOnly": True}
Language = Literal["", "en", "fr"]
# A password is at most 256 characters: a longer one could never be given at the login.
Password = Annotated[str, Field(max_length=256, json_schema_extra=WRITE_ONLY)]


class LoginBody(Body):
    user: str = Field(min_length=1, max_length=MAX_USER_NAME)
    password: Password


class PasswordBody(Body):
    current: Password
    new: Password = Field(description="12 characters at least, with upper and lower case, a digit and one of ! % # @ ^ *")


class AccountPatch(Body):
    language: Language = Field(description='The page language; "" = the system language')


class ControlBody(Body):
    control: str = Field(min_length=1, max_length=64, description="A control of GET /api/v1/controls")
    unit: int | None = Field(default=None, ge=0, le=15, description="Unit of a parallel system (0 or none = system)")


class ClockBody(Body):
    time: str = Field(
        min_length=10,
        max_length=40,
        description="ISO 8601 date and time, such as 2026-03-01T12:30:00+01:00; "
        "without an offset it is local time of system.time_zone; years 2000 to 2099",
    )
    source: Literal["manual", "browser"] = "manual"


# The changes' schema is made from the settings models (openapi.py, SettingsChanges).
Changes = Annotated[
    dict[str, JsonValue],
    Field(min_length=1),
    WithJsonSchema({"type": "object", "x-settings-changes": True}),
]


class SettingsPatch(Body):
    changes: Changes
    confirm_lockout: bool = Field(
        default=False, description="Apply a firewall change after which this client would be refused (else 409)"
    )


class SettingsCheck(Body):
    changes: Changes
    confirm_lockout: bool = Field(default=False, description="Ignored when checking")


class ConfigurationFile(Body):
    file: str = Field(description="The configuration file (TOML) or an encrypted backup")
    password: Password | None = Field(default=None, description="The backup's password, for an encrypted backup")


class BackupBody(Body):
    password: Password = Field(description="The password that encrypts the backup: 8 characters at least")


class AccountPut(Body):
    role: Literal[USER_ROLES] = Field(description="Access type")  # type: ignore[valid-type]
    password: Password = Field(default="", description='A first password, changed at the first login; "" keeps the current one')
    language: Language = ""


class Ok(Answer):
    ok: bool


class LoggedOut(Ok):
    login_again: bool = False


class Restarting(Ok):
    restarting: bool


class Session(Answer):
    user: str
    role: Literal["admin", "read_write", "read_only"]
    language: str
    must_change: bool
    can_write: bool
    csrf: str


class LoginAnswer(Session):
    password_days_left: int | None = Field(description="Days before the password must be changed (none: no limit)")


class Account(Answer):
    name: str
    role: Literal["admin", "read_write", "read_only", "disabled"]
    language: str
    must_change: bool
    password_changed: float = Field(description="When the password was set (seconds since 1970)")


class Accounts(Answer):
    accounts: list[Account]
    max_users: int = Field(description=f"Users besides admin ({MAX_USERS})")


class Communication(Answer):
    state: str
    since: str
    baud_rate: int | None
    map_name: str | None
    last_error: str
    cycles: int
    errors: int


class Snapshot(Answer):
    sequence: int
    time: str
    stale: bool = Field(description="Communication lost: the values are the last read")
    last_read: str | None = Field(description="When the values were read")
    communication: Communication
    identity: dict[str, JsonValue] | None
    topology: dict[str, JsonValue] | None
    system: dict[str, JsonValue] | None
    units: list[dict[str, JsonValue]]
    modules: list[dict[str, JsonValue]]
    permissions: dict[str, bool]
    remote_controls_permitted: bool
    ups_time: str | None


class ServiceHealth(Answer):
    name: str
    state: Literal["disabled", "running", "failed"]
    addresses: list[str]
    last_error: str
    since: str | None = Field(description="When it entered this state")
    counters: dict[str, float]


class Services(Answer):
    services: list[ServiceHealth]


class Alarm(Answer):
    acronym: str
    label: str
    level: str
    level_label: str
    since: str


class Alarms(Answer):
    unit: int
    alarms: list[Alarm]
    stale: bool = Field(description="Communication lost: the alarms are not known (none listed)")
    last_read: str | None = None


class AlarmsQuery(Body):
    unit: str = Field(default="0", pattern="^[0-9]+$", description="0 = the system, else a unit of a parallel system")


class Control(Answer):
    control: str
    label: str
    permitted: bool


class Controls(Answer):
    remote_controls_permitted: bool
    controls: list[Control]


class ControlResult(Answer):
    control: str
    accepted: bool
    reason: str


class BatteryTest(Answer):
    per_unit: bool
    permitted: bool
    rows: list[dict[str, JsonValue]]


class Clock(Answer):
    time: str
    time_zone: str
    ups_time: str | None
    ups_clock_written: bool
    ups_clock_note: bool = Field(description="The UPS clock is not written (no public write register)")


class ClockSet(Ok):
    time: str
    ups_clock_written: bool
    ups_clock_note: bool


class Validation(Answer):
    valid: bool
    problems: list[str]


class RestoreChange(Answer):
    key: str
    old: JsonValue = Field(description='The current value ("********" for a secret)')
    new: JsonValue = Field(description='The value after the restore ("********" for a secret)')
    secret: bool


class RestoreReport(Answer):
    changes: list[RestoreChange]
    partial: bool
    kept: list[str] = Field(description="Settings the file leaves out: they keep their current values")
    encrypted: bool
    note: str


class Restored(RestoreReport):
    ok: bool


class Certificate(Answer):
    subject: str
    issuer: str
    not_before: str
    not_after: str
    uploaded: bool


class Mibs(Answer):
    mibs: list[str]


class MibName(Body):
    name: str = Field(description="A name of GET /api/v1/mibs")


class AccountName(Body):
    name: str = Field(min_length=1, max_length=MAX_USER_NAME)


class LockoutQuery(Body):
    confirm_lockout: Literal["true", "false"] = Field(
        default="false", description="Apply a firewall change after which this client would be refused (else 409)"
    )


# -- login, session, password (§11.5) ------------------------------------------------------------


async def login(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        raise ApiError(415, "the login is a JSON body (Content-Type: application/json)")
    if not same_origin(request):
        raise ApiError(403, "a login from another site is refused")
    try:
        body = await parse_body(request, LoginBody, status=400)
    except ApiError as problem:
        if "fields" in problem.extra:  # JSON, but not a login: a long user name is logged, cut
            user = (await read_json(request)).get("user")
            if isinstance(user, str) and len(user) > MAX_USER_NAME:
                failed_logins(request).failed(remote(request), user[:MAX_USER_NAME] + "…")
        raise
    try:
        session = await open_session(request, body.user, body.password)
    except LoginRefused as refusal:
        raise ApiError(refusal.status, refusal.message, reason=refusal.reason) from None
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
    session = session_of(request)
    body = await parse_body(request, PasswordBody)
    current, new = body.current, body.new
    try:
        await change_own_password(request, session, current, new)
    except PasswordRefused as refusal:
        raise ApiError(403 if refusal.reason == "wrong_current" else 400, refusal.message) from None
    response = json_response({"ok": True, "login_again": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def patch_account(request: web.Request) -> web.Response:
    """Own preferences: the page language (per user)."""
    state = state_of(request)
    session = session_of(request)
    body = await parse_body(request, AccountPatch)
    try:
        account = state.accounts.set_language(session.user, body.language)
    except AccountError as problem:
        raise ApiError(400, problem.text(state.language(session))) from None
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
    body = await parse_body(request, ControlBody, status=400)
    control, unit = body.control, body.unit
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
    body = await parse_body(request, ClockBody, status=400)
    source = body.source
    when = parse_new_time(body.time, state.settings.system.time_zone)
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


def _changes(body: SettingsPatch | SettingsCheck) -> dict[str, Any]:
    changes = body.changes
    if "data_dir" in changes:
        raise ApiError(400, "data_dir cannot be changed from the web")
    return changes


# Settings that grant SNMP access besides the secrets: a v3 user made noAuthNoPriv with write
# access would let anyone who knows its name restart or reset the agent.
ACCESS_KEYS = ("snmp.usm_users", "nut.users")  # a NUT user's rights reach the forced shutdown


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
    changes = _changes(await parse_body(request, SettingsCheck))
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
    body = await parse_body(request, SettingsPatch)
    changes = _changes(body)
    _check_firewall(request, changes, body.confirm_lockout)
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
    password = (await parse_body(request, BackupBody)).password
    text = settings_to_toml(state.settings)
    try:
        sealed = await asyncio.to_thread(backup.encrypt, text, password)
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
    password: str | None = None
    if request.content_type == "application/json":
        body = await parse_body(request, ConfigurationFile)
        text, password = body.file, body.password
    else:
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "the configuration file is not UTF-8 text") from None
    encrypted = backup.is_backup(text)
    if encrypted:
        try:
            text = await asyncio.to_thread(backup.decrypt, text, password)
        except backup.BackupError as problem:
            raise ApiError(400, str(problem), encrypted=True) from None
    try:
        new, missing = settings_from_upload(text, state.settings)
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
    body = await parse_body(request, AccountPut)
    try:
        account = await state.with_password(state.accounts.put_user, name, body.role, body.password, body.language)
    except AccountError as problem:
        raise ApiError(400, problem.text(state.language(session))) from None
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
        status = 404 if problem.key == "account.no_account" else 400
        raise ApiError(status, problem.text(state.language(session))) from None
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
    from .openapi import openapi_document

    return json_response(openapi_document())


TOML = "application/toml"
CONFIGURATION_FILES = (
    (TOML, "The configuration file (TOML), whole or in part"),
    ("application/octet-stream", "The configuration file (TOML) or an encrypted backup, as a file"),
)

ROUTES = [
    Route("POST", "/api/v1/login", login, "Open a session: same-origin JSON only; a new admin or Read/Write "
          "login takes the write session over; locked after repeated failures per account and address",
          body=LoginBody, response=LoginAnswer, errors=(401, 403, 415, 429), public=True, invalid_body=400,
          description="The session cookie is set. A wrong body is a 400 here, naming each wrong field."),
    Route("POST", "/api/v1/logout", logout, "Close the session", response=Ok),
    Route("GET", "/api/v1/session", get_session, "The current session and its CSRF token", response=Session),
    Route("POST", "/api/v1/password", change_password, "Change one's own password; the session ends",
          body=PasswordBody, response=LoggedOut, errors=(400,)),
    Route("PATCH", "/api/v1/account", patch_account, "One's own preferences: the page language",
          body=AccountPatch, response=Account, errors=(400,)),
    Route("GET", "/api/v1/snapshot", get_snapshot, "The latest snapshot: identity, topology, system, units, modules",
          response=Snapshot),
    Route("GET", "/api/v1/alarms", get_alarms, "The alarm table of the system or of one unit", parameters=AlarmsQuery,
          response=Alarms, errors=(400, 404)),
    Route("GET", "/api/v1/services", get_services, "Every service's health: state, listening addresses, last error, counters",
          response=Services),
    Route("GET", "/api/v1/controls", get_controls, "The controls of this UPS and whether it permits them now",
          response=Controls),
    Route("POST", "/api/v1/controls", post_control, "Send a control through the poller's queue (admin, Read/Write)",
          body=ControlBody, response=ControlResult, errors=(400, 409), invalid_body=400,
          description="409: refused by the UPS (the answer says why). A wrong body is a 400 here, naming each wrong field."),
    Route("GET", "/api/v1/battery-test", get_battery_test, "Battery test: status, last test and result, per unit for distributed batteries",
          response=BatteryTest),
    Route("GET", "/api/v1/clock", get_clock, "The date and time of NET VISION and of the UPS", response=Clock),
    Route("POST", "/api/v1/clock", set_clock, "Set the clock by hand or from the browser's clock (admin, Read/Write)",
          body=ClockBody, response=ClockSet, errors=(400, 503), invalid_body=400,
          description="The change is logged. A wrong body is a 400 here, naming each wrong field."),
    Route("GET", "/api/v1/settings", get_settings, "Every setting; a secret is \"********\" when set, \"\" when not",
          response=Settings),
    Route("PATCH", "/api/v1/settings", patch_settings, "Change settings (admin, Read/Write; the firewall, SNMP secrets and v3 users: admin)",
          body=SettingsPatch, response=Settings, errors=(400, 409),
          description="400: a value is refused (problems says which; fields names each field by its label, in the "
                      "session's language). A number field given null or \"\" is refused with \"Enter a number\" "
                      "(never read as 0). 409: a firewall change would refuse this client."),
    Route("POST", "/api/v1/settings/validate", validate_settings, "Check changes without applying them",
          body=SettingsCheck, response=Validation, errors=(400,)),
    Route("GET", "/api/v1/configuration", download_configuration,
          "Download the configuration (TOML) without its secrets: restoring it keeps the current ones",
          raw_response=(TOML, "netvision.toml")),
    Route("POST", "/api/v1/configuration", upload_configuration,
          "Restore a configuration, merged over the current settings (a partial file changes only what it holds); "
          "checked completely before anything changes",
          body=ConfigurationFile, raw_body=CONFIGURATION_FILES, parameters=LockoutQuery, response=Restored,
          errors=(400, 409, 413)),
    Route("POST", "/api/v1/configuration/preview", preview_configuration,
          "What restoring this configuration would change, for the confirmation (nothing is applied)",
          body=ConfigurationFile, raw_body=CONFIGURATION_FILES, response=RestoreReport, errors=(400, 413)),
    Route("POST", "/api/v1/configuration/backup", download_backup,
          "Encrypted backup with the secrets (admin): AES-256-GCM under a key derived (scrypt) from the password",
          body=BackupBody, raw_response=("application/json", "netvision-backup.json"), errors=(400,)),
    Route("GET", "/api/v1/accounts", get_accounts, "The multi-user table (admin)", response=Accounts),
    Route("PUT", "/api/v1/accounts/{name}", put_account, "Create or change a user (admin)", parameters=AccountName,
          body=AccountPut, response=Account, errors=(400,)),
    Route("DELETE", "/api/v1/accounts/{name}", delete_account, "Delete a user (admin)", parameters=AccountName,
          response=Ok, errors=(400, 404)),
    Route("GET", "/api/v1/certificate", get_certificate, "The HTTPS certificate in use", response=Certificate),
    Route("POST", "/api/v1/certificate", upload_certificate,
          "Upload a PEM file holding the private key and its certificate (8 KB at most)",
          raw_body=(("application/x-pem-file", "The PEM file, sent as is"),), response=Certificate, errors=(400, 413)),
    Route("DELETE", "/api/v1/certificate", delete_certificate, "Remove the uploaded certificate (back to the generated one)",
          response=Certificate),
    Route("GET", "/api/v1/certificate/ca", download_ca, "The root CA certificate (cacert.crt)",
          raw_response=("application/x-x509-ca-cert", "cacert.crt")),
    Route("POST", "/api/v1/agent/restart", restart_agent, "Restart NET VISION (admin): answered, then every service restarts",
          response=Restarting, errors=(503,)),
    Route("POST", "/api/v1/agent/reset", reset_agent,
          "Reset the configuration to default, serial link and accounts kept, then restart (admin)",
          response=Restarting, errors=(503,)),
    Route("GET", "/api/v1/mibs", get_mibs, "The MIB files shipped", response=Mibs),
    Route("GET", "/api/v1/mibs/{name}", download_mib, "One MIB file", parameters=MibName,
          raw_response=("text/plain", "The MIB file"), errors=(404,)),
    Route("GET", "/api/v1/openapi.json", get_openapi, "This document", public=True),
]  # fmt: skip


def add_routes(app: web.Application) -> None:
    routes.add(app, ROUTES)
