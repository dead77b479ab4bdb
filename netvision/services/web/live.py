"""Live updates pushed to the pages: server-sent events, one message per poll.

The stream ends when the session ends (timeout, logout, or a new login
elsewhere, §11.5); the page then goes back to the login page. An open stream is
not activity for a write session; it keeps a Read Only session logged in while
``web.monitoring_stays_logged_in`` is on (sessions.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web

from .app import SESSION_COOKIE, session_of, state_of
from .routes import Route, add

KEEPALIVE_SECONDS = 15.0


async def live(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = session_of(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    wake = asyncio.Event()
    state.hub.waiters.add(wake)
    session.streams += 1
    sent_sequence = -1
    sent_controls = len(state.hub.controls)
    try:
        while True:
            if state.sessions.lookup(token, touch=False, streaming=True) is not session:
                reason = state.sessions.why_ended(token) or "ended"
                await response.write(f"event: ended\ndata: {json.dumps({'reason': reason})}\n\n".encode())
                break
            snapshot = state.snapshot
            if snapshot.sequence != sent_sequence:
                sent_sequence = snapshot.sequence
                body = state.live_body(state.language(session))
                await response.write(b"event: snapshot\ndata: " + body + b"\n\n")
            for result in state.hub.controls[sent_controls:]:
                data = {"control": result.control, "accepted": result.accepted, "reason": result.reason}
                await response.write(f"event: control\ndata: {json.dumps(data)}\n\n".encode())
            sent_controls = len(state.hub.controls)
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), KEEPALIVE_SECONDS)
            if not wake.is_set():
                await response.write(b": keep-alive\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        state.hub.waiters.discard(wake)
        session.streams -= 1
    return response


ROUTES = [
    Route(
        "GET",
        "/api/v1/live",
        live,
        "Server-sent events: 'snapshot' after every poll, 'control' results, 'ended' when the session ends",
        raw_response=("text/event-stream", "The event stream"),
    )
]


def add_routes(app: web.Application) -> None:
    add(app, ROUTES)
