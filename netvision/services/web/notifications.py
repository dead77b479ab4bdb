"""The notification pages: the e-mail server and its 8 recipients (EN §18.9), the mail
diagnostics (the card's mail debug page), syslog (§18.13) and Wake-on-LAN (§18.11), with
their API.

Plain settings use the settings form (``PATCH /api/v1/settings``); the mail password is a
secret, write-only and admin's. The recipients and the Wake-on-LAN servers are tables
saved whole through their own routes, as the trap receivers are. "Send test" and the
Wake-on-LAN "Test" reach the running service through what it offers (``mail.send_test``,
``wake_on_lan.test``): a service that is off offers nothing, and the answer says so.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ...i18n import label
from ...settings.models import SYSLOG_GROUPS, MailRecipient, WakeOnLanTarget
from ..mail.codes import CODES
from .app import ApiError, require_write, session_of, state_of
from .forms import form_fields
from .integrations import TestTrapLimit, _texts, trap_events
from .routes import Route, add
from .rows import ListSetting, register, rows_route, rows_view
from .templating import render

MAX_RECIPIENTS = 8
MAX_WOL_TARGETS = 32
# A test mail waits for the server at most the sender's own timeout (30 s), and a little more.
TEST_MAIL_TIMEOUT = 40.0
TEST_WOL_TIMEOUT = 15 * 60.0  # 10 repeats 60 s apart at most

MAIL_KEYS = (
    "mail.enabled",
    "mail.server",
    "mail.port",
    "mail.security",
    "mail.ca_file",
    "mail.authentication",
    "mail.account",
    "mail.password",
    "mail.sender",
    "mail.subject_prefix",
    "mail.daily_status_time",
    "mail.delay_minutes",
    "mail.max_queue_age_hours",
)
SYSLOG_KEYS = (
    "syslog.enabled",
    "syslog.server",
    "syslog.port",
    "syslog.transport",
    "syslog.facility",
    "syslog.ca_file",
    "syslog.client_certificate_file",
    "syslog.client_key_file",
    "syslog.queue_size",
)
WOL_KEYS = (
    "wake_on_lan.enabled",
    "wake_on_lan.repeat",
    "wake_on_lan.interval",
    "wake_on_lan.address",
    "wake_on_lan.port",
)
RECIPIENT_COLUMNS = ("address", "description", "mail_type", "event_filter", "severity")
WOL_COLUMNS = ("mac", "enabled", "description")


# -- pages -------------------------------------------------------------------------------------------


async def mail_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    mail = state.settings.mail
    fields = form_fields(state.settings, MAIL_KEYS, language, session.can_write, session.is_admin)
    running = "mail.send_test" in state.context.offers
    data = {
        "texts": _texts(
            language,
            "notify.sending",
            "notify.not_saved",
            "notify.test_failed",
            "notify.mail_off",
        ),
        "mail_running": running,
    }
    return render(
        request,
        "mail.html",
        title_key="menu.mail",
        page_name="mail",
        data=data,
        fields=fields,
        table=rows_view(MAIL_RECIPIENTS, state.settings, session, language),
        events=trap_events(language),
        can_write=session.can_write,
        can_change_secrets=session.is_admin,
        mail_enabled=mail.enabled,
        mail_running=running,
    )


def _attempts(request: web.Request) -> list[Any]:
    diagnostics = state_of(request).context.offers.get("mail.diagnostics")
    return list(diagnostics()) if diagnostics is not None else []


def attempt_view(attempt: Any, language: str) -> dict[str, Any]:
    """One delivery attempt as the diagnostics page and API show it."""
    code = attempt.code
    return {
        "time": attempt.time,
        "recipients": ", ".join(attempt.recipients),
        "kind": attempt.kind,
        "kind_text": label(f"notify.kind.{attempt.kind}", language),
        "delivered": not code,
        "code": code,
        "meaning": label(f"mail.error.{code}", language) if code in CODES else "",
        "outcome": _outcome_words(attempt, language),
    }


def _outcome_words(attempt: Any, language: str) -> str:
    """An attempt's outcome in the person's language (the service wrote it in the configured one)."""
    server, detail = getattr(attempt, "server", ""), getattr(attempt, "detail", "")
    if not server:
        return str(attempt.text)
    if not attempt.code:
        return label("mail.outcome.sent", language).format(server=server, reply=detail)
    meaning = label(f"mail.error.{attempt.code}", language)
    return label("mail.outcome.error", language).format(code=attempt.code, meaning=meaning, detail=detail)


async def mail_diagnostics_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    attempts = [attempt_view(attempt, language) for attempt in _attempts(request)]
    return render(
        request,
        "mail_diagnostics.html",
        title_key="menu.mail_diagnostics",
        page_name="mail-diagnostics",
        attempts=attempts,
        codes=[(code, label(f"mail.error.{code}", language)) for code in CODES],
        mail_running="mail.diagnostics" in state.context.offers,
    )


def _service_health(request: web.Request, name: str) -> Any:
    for health in state_of(request).context.services_health():
        if health.name == name:
            return health
    return None


async def syslog_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    syslog = state.settings.syslog
    fields = form_fields(state.settings, SYSLOG_KEYS, language, session.can_write)
    groups = [
        (group, label(f"choice.syslog.groups.{group}", language), group in syslog.groups)
        for group in SYSLOG_GROUPS
    ]
    health = _service_health(request, "syslog")
    counters = dict(health.counters) if health is not None else {}
    # The counters panel follows the service while the page is open (syslog.js, GET /api/v1/services).
    data = {
        "texts": _texts(
            language, "notify.groups_none", "notify.syslog_connected", "notify.syslog_not_connected"
        )
    }
    return render(
        request,
        "syslog.html",
        title_key="menu.syslog",
        page_name="syslog",
        data=data,
        fields=fields,
        groups=groups,
        can_write=session.can_write,
        syslog_enabled=syslog.enabled,
        running=bool(counters),
        counters=counters,
        connected=syslog_connected(counters),
        addresses=list(health.addresses) if health is not None else [],
        last_error=health.last_error if health is not None else "",
    )


def syslog_connected(counters: dict[str, Any]) -> bool:
    """The sender counts each connection and each loss of one: connected while more of
    the first (the same rule as static/js/pages/syslog.js)."""
    return bool(counters.get("connections", 0) > counters.get("disconnections", 0))


async def wake_on_lan_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    settings = state.settings.wake_on_lan
    fields = form_fields(state.settings, WOL_KEYS, language, session.can_write)
    data = {
        "texts": _texts(
            language,
            "notify.wol_sending",
            "notify.wol_sent",
            "notify.wol_none",
            "notify.wol_not_running",
            "notify.wol_not_saved",
            "notify.test_failed",
        ),
    }
    return render(
        request,
        "wake_on_lan.html",
        title_key="menu.wake_on_lan",
        page_name="wake-on-lan",
        data=data,
        fields=fields,
        table=rows_view(WOL_TARGETS, state.settings, session, language),
        can_write=session.can_write,
        wol_enabled=settings.enabled,
    )


# -- tables ------------------------------------------------------------------------------------------


class MailRecipientRow(BaseModel):
    """A row of the mail recipients table as the page sends it."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0, le=MAX_RECIPIENTS - 1, description="The row on the page, 0 to 7")
    slot: int | None = Field(default=None, description="The saved row it was shown from; null for a new one")
    address: str = ""
    description: str = ""
    mail_type: str = "none"
    event_filter: str = "severity"
    severity: str = "information"
    events: list[int] = Field(default_factory=list, max_length=40)


class MailRecipientsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[MailRecipientRow] = Field(max_length=MAX_RECIPIENTS)


class WakeOnLanRow(BaseModel):
    """A row of the Wake-on-LAN servers table as the page sends it."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0, le=999, description="The row on the page")
    slot: int | None = Field(default=None, description="The saved row it was shown from; null for a new one")
    mac: str = ""
    enabled: bool = True
    description: str = ""


class WakeOnLanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[WakeOnLanRow] = Field(max_length=MAX_WOL_TARGETS)


MAIL_RECIPIENTS = register(
    ListSetting(
        key="mail.recipients",
        model=MailRecipient,
        body=MailRecipientsBody,
        columns=RECIPIENT_COLUMNS,
        max_rows=MAX_RECIPIENTS,
        path="/api/v1/mail/recipients",
        ident="recipients",
        table_id="mail-recipients",
        row_label="notify.recipient",
        name_field="address",
        blank=MailRecipient,
        texts={
            "saved": "notify.recipients_saved",
            "confirm_clear": "notify.confirm_clear",
            "clear": "notify.clear_row",
            "cleared": "notify.row_cleared",
        },
        what="mail recipients",
        fixed=True,
        used_by="address",
        clearable=True,
    )
)
WOL_TARGETS = register(
    ListSetting(
        key="wake_on_lan.targets",
        model=WakeOnLanTarget,
        body=WakeOnLanBody,
        columns=WOL_COLUMNS,
        max_rows=MAX_WOL_TARGETS,
        path="/api/v1/wake-on-lan/targets",
        ident="wol",
        table_id="wol-targets",
        row_label="notify.wol_target",
        name_field="mac",
        blank=lambda: WakeOnLanTarget.model_construct(mac="", enabled=True, description=""),
        texts={
            "saved": "notify.wol_saved",
            "full": "notify.wol_full",
            "confirm_remove": "notify.wol_confirm_remove",
            "remove": "notify.wol_remove",
            "removed": "notify.wol_removed",
        },
        what="Wake-on-LAN servers",
    )
)


# -- tests -------------------------------------------------------------------------------------------


class TestMailSent(BaseModel):
    ok: bool
    delivered: bool = Field(description="The mail server took the test mail")
    code: str = Field(description="'' when delivered, else the error code: 001, 002, 101 or 111")
    meaning: str = Field(description="The error code's meaning, in the session's language")
    outcome: str = Field(description="The outcome in words: the server's reply, or the error")


class MailAttempt(BaseModel):
    time: datetime
    recipients: str
    kind: str = Field(description="events, daily_status or test")
    delivered: bool
    code: str
    meaning: str
    outcome: str


class MailDiagnostics(BaseModel):
    running: bool = Field(description="The mail service is running (e-mail enabled)")
    attempts: list[MailAttempt] = Field(description="The last delivery attempts, newest first")


class WakeOnLanSent(BaseModel):
    ok: bool
    packets: int = Field(description="Magic packets sent")
    servers: int = Field(description="Enabled servers of the saved table")


MAIL_LIMIT_KEY = web.AppKey("netvision_test_mail_limit", TestTrapLimit)
WOL_LIMIT_KEY = web.AppKey("netvision_test_wol_limit", TestTrapLimit)


def _limit(request: web.Request, key: web.AppKey[TestTrapLimit], what: str) -> None:
    wait = request.app[key].wait(time.monotonic())
    if wait:
        raise ApiError(429, f"too many {what}: wait {wait:.0f} s", reason="busy", retry_after=round(wait, 1))


async def send_test_mail(request: web.Request) -> web.Response:
    """A test mail to one saved recipient, through the mail service; the answer is the
    SMTP outcome in words (a refusal by the server is an answer too: 200)."""
    from .api import json_response

    require_write(request)
    state = state_of(request)
    language = state.language(session_of(request))
    try:
        index = int(request.match_info["row"])
    except ValueError:
        raise ApiError(404, "no such row") from None
    if not 0 <= index < MAX_RECIPIENTS:
        raise ApiError(404, "no such row")
    mail = state.settings.mail
    action = state.context.offers.get("mail.send_test")
    if not mail.enabled or action is None:
        raise ApiError(409, label("mail.outcome.disabled", language), reason="mail_off")
    if index >= len(mail.recipients) or not mail.recipients[index].address:
        raise ApiError(409, "this row is not saved: save the table first", reason="not_saved")
    _limit(request, MAIL_LIMIT_KEY, "test mails")
    address = mail.recipients[index].address
    try:
        outcome = await asyncio.wait_for(action(index + 1, language), timeout=TEST_MAIL_TIMEOUT)
    except TimeoutError:
        raise ApiError(504, "the mail server did not answer in time", reason="error") from None
    except Exception as problem:
        raise ApiError(502, f"the test mail was not sent: {problem}", reason="error") from None
    # The attempt it made: the newest test to this address (mails of events may have been
    # tried meanwhile).
    attempts = _attempts(request)
    made = next((a for a in attempts if a.kind == "test" and a.recipients == (address,)), None)
    code = made.code if made is not None else ""
    meaning = label(f"mail.error.{code}", language) if code in CODES else ""
    return json_response(
        {"ok": True, "delivered": not code, "code": code, "meaning": meaning, "outcome": outcome}
    )


async def get_mail_diagnostics(request: web.Request) -> web.Response:
    from .api import json_response

    state = state_of(request)
    language = state.language(session_of(request))
    attempts = []
    for attempt in _attempts(request):
        view = attempt_view(attempt, language)
        view.pop("kind_text")
        view["time"] = view["time"].isoformat()
        attempts.append(view)
    return json_response({"running": "mail.diagnostics" in state.context.offers, "attempts": attempts})


async def wake_on_lan_test(request: web.Request) -> web.Response:
    """The page's "Test": magic packets to every enabled server of the saved table."""
    from .api import json_response

    session = require_write(request)
    state = state_of(request)
    settings = state.settings.wake_on_lan
    action = state.context.offers.get("wake_on_lan.test")
    if not settings.enabled or action is None:
        raise ApiError(409, "Wake-on-LAN is not enabled: no packet can be sent", reason="wol_off")
    servers = sum(1 for target in settings.targets if target.enabled)
    _limit(request, WOL_LIMIT_KEY, "tests")
    try:
        packets = await asyncio.wait_for(action(via="Web", by=session.user), timeout=TEST_WOL_TIMEOUT)
    except TimeoutError:
        raise ApiError(504, "the packets were not sent in time", reason="error") from None
    except Exception as problem:  # an address the network refuses...
        raise ApiError(502, f"the packets were not sent: {problem}", reason="error") from None
    return json_response({"ok": True, "packets": packets, "servers": servers})


# -- routes ----------------------------------------------------------------------------------------

PAGES = (
    ("/mail", mail_page),
    ("/mail-diagnostics", mail_diagnostics_page),
    ("/syslog", syslog_page),
    ("/wake-on-lan", wake_on_lan_page),
)

ROUTES = [
    rows_route(
        MAIL_RECIPIENTS,
        "Save the mail recipients table (8 rows at most); a row without an address is not stored",
    ),
    Route(
        "POST",
        "/api/v1/mail/recipients/{row}/test",
        send_test_mail,
        "Send a test mail to one saved recipient; the answer is the SMTP outcome in words",
        response=TestMailSent,
        errors=(404, 409, 429, 502, 504),
    ),
    Route(
        "GET",
        "/api/v1/mail/diagnostics",
        get_mail_diagnostics,
        "The last mail delivery attempts, newest first, with their error codes",
        response=MailDiagnostics,
    ),
    rows_route(WOL_TARGETS, "Save the Wake-on-LAN servers table (32 rows at most)"),
    Route(
        "POST",
        "/api/v1/wake-on-lan/test",
        wake_on_lan_test,
        "Send the magic packets now to every enabled server of the saved table",
        response=WakeOnLanSent,
        errors=(409, 429, 502, 504),
    ),
]


def add_routes(app: web.Application) -> None:
    app[MAIL_LIMIT_KEY] = TestTrapLimit()
    app[WOL_LIMIT_KEY] = TestTrapLimit()
    add(app, ROUTES)
    for path, handler in PAGES:
        app.router.add_get(path, handler)
