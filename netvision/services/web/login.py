"""Logging in (§11.5): the checks every login goes through, and the login form posted
without scripts.

The login page's script sends the JSON API login (``POST /api/v1/login``); the
same form also posts to ``/login`` as a plain HTML form, so that a browser
without scripts, or a person who presses Enter before the script has loaded,
never sends the password in the address and always gets an answer in words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ...events.catalog import make_event
from ...i18n import label
from .accounts import MAX_USER_NAME, AccountError
from .app import SESSION_COOKIE, failed_logins, set_session_cookie, state_of
from .sessions import Session

MAX_PASSWORD = 256

# Why a login was refused: HTTP status and the English words of the JSON API.
REFUSALS = {
    "invalid": (401, "invalid user name or password"),
    "locked": (429, "too many failed logins: try again later"),
    "disabled": (403, "this account is disabled"),
}


@dataclass
class PasswordRefused(Exception):
    reason: str  # "wrong_current" | "policy"
    message: str


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
    outcome = await state.with_password(state.accounts.authenticate, user, password, validity, remote(request))
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


def form_from_this_site(request: web.Request, same_origin: Callable[[web.Request], bool]) -> bool:
    """A form posted by one of this gateway's pages. The pages send no referrer, so a
    browser posts their forms with ``Origin: null``; its Sec-Fetch-Site header still
    tells where the form came from, and a page cannot forge it."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    return same_origin(request)


async def change_own_password(request: web.Request, session: Session, current: str, new: str) -> None:
    """The session's own password (policy §11.5); the session ends after it."""
    state = state_of(request)
    validity = state.settings.web.password_validity_days
    outcome = await state.with_password(
        state.accounts.authenticate, session.user, current, validity, remote(request)
    )
    if outcome.account is None:
        raise PasswordRefused("wrong_current", "the current password is wrong")
    try:
        await state.with_password(state.accounts.change_password, session.user, new)
    except AccountError as problem:
        raise PasswordRefused("policy", problem.text(state.language(session))) from None
    event = make_event("nv.setting_changed", key=f"password of {session.user}", via="Web", by=session.user)
    state.context.bus.publish(event)
    state.sessions.close(session.token)


async def login_form(request: web.Request) -> web.StreamResponse:
    """``POST /login``: the login form sent without its script. Success goes on to the
    home page (or to the password change); a refusal shows the login page again with
    the reason in words."""
    from .api import same_origin
    from .templating import render_public

    state = state_of(request)
    language = state.settings.system.language
    if not form_from_this_site(request, same_origin):
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


async def password_form(request: web.Request) -> web.StreamResponse:
    """``POST /login/password``: the password change form sent without its script. The
    answer is the login page: to log in with the new password, or the form again with
    the reason."""
    from .api import same_origin
    from .templating import render_public

    state = state_of(request)
    if not form_from_this_site(request, same_origin):
        raise web.HTTPForbidden(text="a change from another site is refused")
    token = request.cookies.get(SESSION_COOKIE)
    session = state.sessions.lookup(token)
    if session is None:
        why = state.sessions.why_ended(token)
        return web.Response(status=303, headers={"Location": f"/login?ended={why}" if why else "/login"})
    form = await request.post()
    csrf = form.get("csrf")
    if not session.csrf_ok(csrf if isinstance(csrf, str) else None):
        raise web.HTTPForbidden(text="missing or wrong CSRF token")
    language = state.language(session)
    current, new, confirm = (form.get(name) for name in ("current", "new", "confirm"))
    error = ""
    if not all(isinstance(value, str) and value for value in (current, new, confirm)):
        error = "login.change_required"
    elif new != confirm:
        error = "login.mismatch"
    else:
        assert isinstance(current, str) and isinstance(new, str)
        try:
            await change_own_password(request, session, current, new)
        except PasswordRefused as refusal:
            error = "login.wrong_current" if refusal.reason == "wrong_current" else refusal.message
        else:
            notice = label("login.changed", language)
            page = render_public(request, "login.html", language, notice=notice, must_change=False, csrf="")
            page.del_cookie(SESSION_COOKIE, path="/")
            return page
    page = render_public(
        request, "login.html", language, notice="", must_change=True, csrf=session.csrf, password_error=error
    )
    page.set_status(400)
    return page


def add_routes(app: web.Application) -> None:
    app.router.add_post("/login", login_form)
    app.router.add_post("/login/password", password_form)
