"""What every web handler shares: the service context, accounts, the session,
the certificates and the live-update hub. Stored on the aiohttp application."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from ...settings import Settings
from ...ups.battery_test import BatteryTests
from ...ups.controls import ControlResult
from ...ups.model import Snapshot
from ..registry import ServiceContext
from . import battery
from .accounts import AccountStore, mac_address
from .sessions import Session, SessionManager
from .tls import CertificateStore
from .units import fahrenheit
from .views import live_json, snapshot_json

T = TypeVar("T")


@dataclass
class LiveHub:
    """Wakes every open live stream after each poll; streams never block the poller."""

    waiters: set[asyncio.Event] = field(default_factory=set)
    controls: list[ControlResult] = field(default_factory=list)

    def notify(self) -> None:
        for event in list(self.waiters):
            event.set()

    def on_control(self, result: ControlResult) -> None:
        self.controls.append(result)
        del self.controls[:-20]
        self.notify()


class WebState:
    def __init__(self, context: ServiceContext, mac: Callable[[], str] | None = None) -> None:
        self.context = context
        data_dir = Path(context.data_dir)
        self.accounts = AccountStore.open(
            data_dir, mac or (lambda: mac_address(context.settings.web.mac_interface))
        )
        self.sessions = self._sessions(context)
        self.certificates = CertificateStore(data_dir / "tls")
        self.hub = LiveHub()
        # The daemon's battery test tracker (ups/battery_test.py), fed by the daemon.
        self.battery_tests: BatteryTests = context.battery_tests or BatteryTests(None)
        self._cache: dict[tuple[str, int, str, str, str, str], bytes] = {}
        # One password check or hash at a time: scrypt takes 16 MiB while it runs, so N
        # logins at once would take N times that (the others wait on the event loop).
        self._scrypt = asyncio.Lock()

    async def with_password(self, function: Callable[..., T], *arguments: Any) -> T:
        """``function(*arguments)`` (it checks or hashes a password: scrypt) in a worker
        thread, after the one running, if any."""
        async with self._scrypt:
            return await asyncio.to_thread(function, *arguments)

    def _sessions(self, context: ServiceContext) -> SessionManager:
        """The session survives an agent restart (App. SSH menu 4): the page that asked for
        it reconnects by itself instead of going back to the login page."""
        agent = context.agent
        carried = agent.carried.get("web.sessions") if agent is not None else None
        sessions = carried if isinstance(carried, SessionManager) else SessionManager(timeout=lambda: 0.0)
        sessions.timeout = lambda: float(self.settings.web.login_timeout)
        if agent is not None:
            agent.carried["web.sessions"] = sessions
        return sessions

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def snapshot(self) -> Snapshot:
        return self.context.ups.snapshot

    @property
    def is_sts(self) -> bool:
        """An STS (STATYS) is shown with its own wording (FR §11–§13)."""
        identity = self.snapshot.identity
        return bool(identity and identity.device_kind == "sts")

    def language(self, session: Session | None) -> str:
        if session is not None and session.language:
            return session.language
        return self.settings.system.language

    def _cached(self, kind: str, language: str, build: Callable[[Snapshot], Any]) -> bytes:
        snapshot = self.snapshot
        system = self.settings.system
        key = (kind, snapshot.sequence, language, system.temperature_unit, system.time_zone, system.dst)
        body = self._cache.get(key)
        if body is None:
            if len(self._cache) > 16:
                self._cache.clear()
            body = json.dumps(build(snapshot), default=str, separators=(",", ":")).encode()
            self._cache[key] = body
        return body

    def snapshot_body(self, language: str) -> bytes:
        """The snapshot as JSON, built once per poll and language (the hot path of the API)."""
        return self._cached("snapshot", language, lambda s: snapshot_json(s, language))

    def live_body(self, language: str) -> bytes:
        system = self.settings.system

        def build(snapshot: Snapshot) -> dict[str, Any]:
            data = live_json(snapshot, language, fahrenheit(self.settings), system.time_zone, system.dst)
            data["battery_tests"] = self.battery_test_rows(snapshot, language)
            return data

        return self._cached("live", language, build)

    def battery_test_rows(self, snapshot: Snapshot, language: str) -> list[dict[str, Any]]:
        """§16.2 rows: the tracker's results beside the UPS's test status."""
        return battery.rows(self.battery_tests.state(), snapshot, language)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """After every poll: wake the live streams."""
        self.hub.notify()

    def counters(self) -> dict[str, int]:
        return {"live_streams": len(self.hub.waiters)}

    def store(self) -> Any:
        """The logs store once the daemon provides one (``context.store``), else None."""
        return getattr(self.context, "store", None)


STATE_KEY = web.AppKey("netvision_web", WebState)
