"""Web sessions (EN §11.5): one session at a time, closed after the Login Timeout.

"NET VISION does not allow more than one session": a new login ends the
previous one, whoever holds it. The timeout counts from the last request
of the session (idle time, ``web.login_timeout``). Each session carries its
own CSRF token, required on every change.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field


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

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "read_write") and not self.must_change

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and not self.must_change

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token or "")


@dataclass
class SessionManager:
    timeout: Callable[[], float]  # seconds, read at each check so a settings change applies at once
    clock: Callable[[], float] = time.monotonic
    current: Session | None = None
    ended: dict[str, str] = field(default_factory=dict)  # token -> why it ended (for the login page)

    def open(self, user: str, role: str, language: str, must_change: bool, remote: str = "") -> Session:
        if self.current is not None:
            self._end(self.current, "replaced")
        now = self.clock()
        self.current = Session(
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
        return self.current

    def lookup(self, token: str | None, touch: bool = True) -> Session | None:
        """The live session of ``token``; ``touch`` counts the request as activity."""
        session = self.current
        if not token or session is None or not hmac.compare_digest(session.token, token):
            return None
        now = self.clock()
        if now - session.last_seen > self.timeout():
            self._end(session, "timeout")
            return None
        if touch:
            session.last_seen = now
        return session

    def why_ended(self, token: str | None) -> str:
        return self.ended.get(token or "", "")

    def close(self, token: str | None) -> None:
        session = self.current
        if session is not None and token and hmac.compare_digest(session.token, token):
            self._end(session, "logout")

    def end_user(self, user: str, reason: str = "account changed") -> None:
        if self.current is not None and self.current.user == user:
            self._end(self.current, reason)

    def _end(self, session: Session, reason: str) -> None:
        if len(self.ended) > 64:
            self.ended.clear()
        self.ended[session.token] = reason
        if self.current is session:
            self.current = None
