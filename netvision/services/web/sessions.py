"""Web sessions (EN §11.5): one session with write rights, Read Only viewers beside it.

The manual says "NET VISION does not allow more than one session": a new login
ends the previous one. Here that rule holds for the session that can change
things: a new admin or Read/Write login ends the current one ("replaced").
Read Only sessions live beside it, up to ``web.read_only_sessions`` of them; a
Read Only login never ends the write session. When the Read Only places are
all taken, the new login takes the place of the Read Only session that has
been idle longest (one without a live page first), which ends "replaced".
With ``web.read_only_sessions = 0`` the manual's rule applies to everyone:
one session at a time, whoever logs in ends the previous one.

The timeout counts from the last request of the session (idle time,
``web.login_timeout``). An open live stream is not activity, except for a Read
Only session while ``web.monitoring_stays_logged_in`` is on: a monitoring page
left open on a wall screen stays logged in. Each session carries its own CSRF
token, required on every change.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

WRITE_ROLES = ("admin", "read_write")


@dataclass
class Session:
    token: str
    csrf: str
    user: str
    role: str
    language: str
    created: float
    last_seen: float
    must_change: bool = False
    remote: str = ""
    # FR §11.6: days before the password must be changed, shown once after the login.
    password_notice: int | None = None
    streams: int = 0  # live streams open on this session now

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES and not self.must_change

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and not self.must_change

    @property
    def holds_write_place(self) -> bool:
        """The account may change things (even before its first password change): its
        session takes the single write place."""
        return self.role in WRITE_ROLES

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token or "")


@dataclass
class SessionManager:
    timeout: Callable[[], float]  # seconds, read at each check so a settings change applies at once
    clock: Callable[[], float] = time.monotonic
    read_only_limit: Callable[[], int] = lambda: 4  # web.read_only_sessions
    stream_keeps_read_only: Callable[[], bool] = lambda: True  # web.monitoring_stays_logged_in
    writer: Session | None = None
    readers: list[Session] = field(default_factory=list)
    ended: dict[str, str] = field(default_factory=dict)  # token -> why it ended (for the login page)

    @property
    def current(self) -> Session | None:
        """The write session, else the most recent Read Only one."""
        return self.writer or (self.readers[-1] if self.readers else None)

    def sessions(self) -> list[Session]:
        return ([self.writer] if self.writer is not None else []) + list(self.readers)

    def open(self, user: str, role: str, language: str, must_change: bool, remote: str = "") -> Session:
        now = self.clock()
        session = Session(
            token=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            user=user,
            role=role,
            language=language,
            created=now,
            last_seen=now,
            must_change=must_change,
            remote=remote,
        )
        limit = max(0, int(self.read_only_limit()))
        if limit == 0:
            # The manual's rule: one session at a time, whoever holds it.
            for previous in self.sessions():
                self._end(previous, "replaced")
        elif session.holds_write_place:
            if self.writer is not None:
                self._end(self.writer, "replaced")
        else:
            self._drop_timed_out(now)
            while len(self.readers) >= limit:
                self._end(self._least_active_reader(), "replaced")
        if session.holds_write_place:
            self.writer = session
        else:
            self.readers.append(session)
        return session

    def _least_active_reader(self) -> Session:
        # A reader with a live page open goes last; among the others, the one idle longest.
        return min(self.readers, key=lambda s: (s.streams > 0, s.last_seen, s.created))

    def _drop_timed_out(self, now: float) -> None:
        for session in self.sessions():
            if self._expired(session, now):
                self._end(session, "timeout")

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.last_seen > self.timeout()

    def _find(self, token: str | None) -> Session | None:
        if not token:
            return None
        for session in self.sessions():
            if hmac.compare_digest(session.token, token):
                return session
        return None

    def lookup(self, token: str | None, touch: bool = True, streaming: bool = False) -> Session | None:
        """The live session of ``token``; ``touch`` counts the request as activity.

        ``streaming`` is a live stream's check: it keeps a Read Only session alive while
        ``web.monitoring_stays_logged_in`` is on, never a write session."""
        session = self._find(token)
        if session is None:
            return None
        now = self.clock()
        if self._expired(session, now):
            self._end(session, "timeout")
            return None
        if touch or (streaming and self.stream_keeps_alive(session)):
            session.last_seen = now
        return session

    def stream_keeps_alive(self, session: Session) -> bool:
        return session.role == "read_only" and not session.must_change and bool(self.stream_keeps_read_only())

    def why_ended(self, token: str | None) -> str:
        return self.ended.get(token or "", "")

    def close(self, token: str | None) -> None:
        session = self._find(token)
        if session is not None:
            self._end(session, "logout")

    def end_user(self, user: str, reason: str = "account changed") -> None:
        for session in self.sessions():
            if session.user == user:
                self._end(session, reason)

    def _end(self, session: Session, reason: str) -> None:
        if len(self.ended) > 64:
            self.ended.clear()
        self.ended[session.token] = reason
        if self.writer is session:
            self.writer = None
        else:
            self.readers = [reader for reader in self.readers if reader is not session]
