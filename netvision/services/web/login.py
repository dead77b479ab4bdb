"""Logging in (§11.5): the checks every login goes through, and the login form posted
without scripts.

The login page's script sends the JSON API login (``POST /api/v1/login``); the
same form also posts to ``/login`` as a plain HTML form, so that a browser
without scripts, or a person who presses Enter before the script has loaded,
never sends the password in the address and always gets an answer in words.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from ...events.catalog import make_event
from .accounts import MAX_USER_NAME
from .app import failed_logins, set_session_cookie, state_of
from .sessions import Session

MAX_PASSWORD = 256

# Why a login was refused: HTTP status and the English words of the JSON API.
REFUSALS = {
    "invalid": (401, "invalid user name or password"),
    "locked": (429, "too many failed logins: try again later"),
    "disabled": (403, "this account is disabled"),
}


@dataclass
class LoginRefused(Exception):
    reason: str  # "invalid" | "locked" | "disabled" | "too_long"
    status: int
    message: str


def remote(request: web.Request) -> str:
    return request.remote or "???"


async def open_session(request: web.Request, user: str, password: str) -> Session:
    """Check the user and password, count and log the failures, open the session."""
    state = state_of(request)
    if len(user) > MAX_USER_NAME:
        failed_logins(request).failed(remote(request), user[:MAX_USER_NAME] + "…")
        raise LoginRefused("too_long", 400, f"user names have at most {MAX_USER_NAME} characters")
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
        reason = outcome.reason if outcome.reason in REFUSALS else "invalid"
        status, message = REFUSALS[reason]
        raise LoginRefused(reason, status, message)
    account = outcome.account
    language = account.language or state.settings.system.language
    session = state.sessions.open(account.name, account.role, language, outcome.must_change, remote(request))
    if not outcome.must_change:
        session.password_notice = state.accounts.days_left(account, validity)
    bus.publish(make_event("nv.web_login", user=account.name, ip=remote(request)))
    return session


async def login_form(request: web.Request) -> web.StreamResponse:
    """``POST /login``: the login form sent without its script. Success goes on to the
    home page (or to the password change); a refusal shows the login page again with
    the reason in words."""
    from .api import same_origin
    from .templating import render_public

    state = state_of(request)
    language = state.settings.system.language
    if not same_origin(request):
        raise web.HTTPForbidden(text="a login from another site is refused")
    form = await request.post()
    user, password = form.get("user"), form.get("password")
    error = ""
    status = 200
    if not isinstance(user, str) or not isinstance(password, str) or not user or not password:
        error, status = "login.required", 400
    elif len(password) > MAX_PASSWORD:
        error, status = "login.invalid", 400
    else:
        try:
            session = await open_session(request, user, password)
        except LoginRefused as refusal:
            error = "login.too_long" if refusal.reason == "too_long" else f"login.{refusal.reason}"
            status = refusal.status
        else:
            response = web.Response(
                status=303, headers={"Location": "/login" if session.must_change else "/"}
            )
            set_session_cookie(request, response, session.token)
            return response
    page = render_public(
        request,
        "login.html",
        language,
        notice="",
        error=error,
        user=user if isinstance(user, str) else "",
        must_change=False,
        csrf="",
    )
    page.set_status(status)
    return page


def add_routes(app: web.Application) -> None:
    app.router.add_post("/login", login_form)
