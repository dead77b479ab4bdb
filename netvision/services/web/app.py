"""The aiohttp application: security headers, sessions, CSRF and role checks.

Every request but the login page, the static files and the OpenAPI document
needs a session (EN §9.3: "NET VISION requests always a login"). Every change
(POST, PUT, PATCH, DELETE) needs the session's CSRF token in the
``X-CSRF-Token`` header, and the handler checks the role on the server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web, web_response

from .connections import ConnectionLimits
from .failures import FailedLogins
from .sessions import Session
from .state import STATE_KEY, WebState

log = logging.getLogger("netvision.web")

STATIC_DIR = Path(__file__).with_name("static")
SESSION_COOKIE = "nv_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_KEY = web.RequestKey("session", Session)
# /login/password checks its session and CSRF token itself (a form posted without script).
PUBLIC_PATHS = {"/login", "/login/password", "/api/v1/login", "/api/v1/openapi.json", "/favicon.ico"}
# Requests allowed while the password must be changed (§11.5 first login).
CHANGE_PASSWORD_PATHS = {"/api/v1/password", "/api/v1/logout", "/api/v1/session", "/logout"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# No version in the Server header. aiohttp writes its default into the answers it makes
# itself (a malformed request's 400) from this module global; the app's own answers get
# the same name in ``security_headers``.
SERVER_NAME = "netvision"
web_response.SERVER_SOFTWARE = SERVER_NAME

FAILURES_KEY = web.AppKey("netvision_failed_logins", FailedLogins)
LIMITS_KEY = web.AppKey("netvision_connection_limits", ConnectionLimits)


def failed_logins(request: web.Request) -> FailedLogins:
    return request.app[FAILURES_KEY]


def state_of(request: web.Request) -> WebState:
    return request.app[STATE_KEY]


def error(status: int, message: str, **extra: Any) -> web.Response:
    body = json.dumps({"error": message, **extra})
    return web.Response(status=status, text=body, content_type="application/json")


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def session_of(request: web.Request) -> Session:
    return request[SESSION_KEY]


def require_write(request: web.Request) -> Session:
    session = session_of(request)
    if not session.can_write:
        raise ApiError(403, "read only access: this change needs an admin or Read/Write account")
    return session


def require_admin(request: web.Request) -> Session:
    session = session_of(request)
    if not session.is_admin:
        raise ApiError(403, "only admin manages accounts")
    return session


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except ApiError as problem:
        response = error(problem.status, problem.message, **problem.extra)
    except web.HTTPException as http_error:
        if not is_api(request) or http_error.status < 400:
            raise
        response = error(http_error.status, http_error.reason)
    headers = response.headers
    headers["Server"] = SERVER_NAME
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Pages and answers are never cached; scripts and styles are revalidated (their
    # modules import each other by plain address, so a stale copy must not outlive an upgrade).
    headers.setdefault("Cache-Control", "no-cache" if request.path.startswith("/static/") else "no-store")
    if request.secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


@web.middleware
async def https_redirect(request: web.Request, handler: Handler) -> web.StreamResponse:
    """While HTTPS is on, pages asked over HTTP go to HTTPS (``web.redirect_http``). The REST
    API is not redirected: scripts and monitoring tools keep working over either port."""
    settings = state_of(request).settings.web
    if (
        request.secure
        or not (settings.redirect_http and settings.https_enabled)
        or request.method not in ("GET", "HEAD")
        or is_api(request)
    ):
        return await handler(request)
    host = request.url.raw_host or "localhost"
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    port = "" if settings.https_port == 443 else f":{settings.https_port}"
    raise web.HTTPTemporaryRedirect(f"https://{host}{port}{request.rel_url}", headers={"Server": SERVER_NAME})


@web.middleware
async def authentication(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if path in PUBLIC_PATHS or path.startswith("/static/"):
        return await handler(request)
    state = state_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    # The live stream is not activity: an open page alone must not keep a session alive.
    session = state.sessions.lookup(token, touch=path != "/api/v1/live")
    if session is None:
        why = state.sessions.why_ended(token)
        if is_api(request):
            return error(401, "login required", ended=why)
        raise web.HTTPFound(f"/login?ended={why}" if why else "/login")
    if session.must_change and path not in CHANGE_PASSWORD_PATHS:
        if is_api(request):
            return error(403, "the password must be changed first", must_change=True)
        raise web.HTTPFound("/login")
    if request.method in UNSAFE_METHODS and not session.csrf_ok(request.headers.get(CSRF_HEADER)):
        return error(403, "missing or wrong CSRF token")
    request[SESSION_KEY] = session
    return await handler(request)


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=request.secure,  # plain HTTP is on by default (§18.3): Secure only over HTTPS
        samesite="Strict",
        path="/",
    )


def build_app(state: WebState) -> web.Application:
    from . import api, integrations, live, login, logs, notifications, nut, pages, shutdown, templating

    app = web.Application(middlewares=[security_headers, https_redirect, authentication], client_max_size=64 * 1024)
    app[STATE_KEY] = state
    # How many Read Only sessions beside the write session, and whether a live page keeps
    # them logged in: read at each login and each check, so a change applies at once.
    state.sessions.read_only_limit = lambda: state.settings.web.read_only_sessions
    state.sessions.stream_keeps_read_only = lambda: state.settings.web.monitoring_stays_logged_in
    app[FAILURES_KEY] = FailedLogins(lambda: state.context.bus)
    app[LIMITS_KEY] = ConnectionLimits()

    async def close_failures(app: web.Application) -> None:
        app[FAILURES_KEY].close()

    app.on_cleanup.append(close_failures)
    api.add_routes(app)
    live.add_routes(app)
    login.add_routes(app)
    logs.add_routes(app)
    pages.add_routes(app)
    integrations.add_routes(app)
    notifications.add_routes(app)
    shutdown.add_routes(app)
    nut.add_routes(app)
    templating.setup(app)
    app.router.add_static("/static/", STATIC_DIR, append_version=True)
    return app
