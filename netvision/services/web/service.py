"""The web service: HTTP and HTTPS listeners serving the pages and the REST API
(EN §3.4–3.5, §11–§21). Ports and on/off switches come from ``[web]`` (§18.3)
and apply without a restart; a firewall change (§18.15) closes the open connections
from an address the new rules refuse."""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import Callable

from aiohttp import web

from ...settings import Settings
from ..listen import tcp_listener
from ..registry import ServiceContext
from .accounts import AccountError, initial_admin_password
from .app import LIMITS_KEY, build_app
from .connections import LimitedSite
from .state import WebState

log = logging.getLogger("netvision.web")


class WebService:
    name = "web"

    def __init__(self, context: ServiceContext, mac: Callable[[], str] | None = None) -> None:
        self.context = context
        self.state = WebState(context, mac)
        self.app = build_app(self.state)
        self.runner: web.AppRunner | None = None
        self.sites: list[tuple[str, web.SockSite]] = []
        self._listening: tuple[object, ...] = ()

    async def start(self) -> None:
        limits = self.app[LIMITS_KEY]
        self.runner = web.AppRunner(
            self.app,
            access_log=None,
            shutdown_timeout=1.0,
            handle_signals=False,
            keepalive_timeout=limits.keepalive_timeout,
        )
        await self.runner.setup()
        self.context.on_snapshot(self.state.on_snapshot)
        self.context.on_control(self.state.hub.on_control)
        await self._open_sites(self.context.settings)
        admin = self.state.accounts.get("admin")
        if admin is not None and admin.initial:
            interface = self.context.settings.web.mac_interface or "the first non-loopback interface"
            log.info("web: admin's first password is the last 6 characters of the MAC address of %s (§11.5)", interface)

    async def _open_sites(self, settings: Settings) -> None:
        web_settings = settings.web
        assert self.runner is not None
        limits = self.app[LIMITS_KEY]  # connection caps and deadlines (connections.py)
        if web_settings.http_enabled:
            site = LimitedSite(self.runner, self._listener(web_settings.bind, web_settings.http_port, "HTTP"), limits=limits)
            await site.start()
            self.sites.append(("http", site))
        if web_settings.https_enabled:
            context = await asyncio.to_thread(self.state.certificates.ssl_context)
            site = LimitedSite(
                self.runner,
                self._listener(web_settings.bind, web_settings.https_port, "HTTPS"),
                ssl_context=context,
                limits=limits,
            )
            await site.start()
            self.sites.append(("https", site))
        self._listening = self._listen_key(settings)

    def _listener(self, bind: str, port: int, protocol: str) -> socket.socket:
        # The firewall (§18.15) refuses a client at accept, before TLS or HTTP is read.
        return tcp_listener(bind, port, functools.partial(self.context.allows, protocol=protocol))

    @staticmethod
    def _listen_key(settings: Settings) -> tuple[object, ...]:
        w = settings.web
        return (w.bind, w.http_enabled, w.http_port, w.https_enabled, w.https_port)

    async def _close_sites(self) -> None:
        for _kind, site in self.sites:
            await site.stop()
        self.sites.clear()

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        """Every page may show the change; new listeners reopen once the answer to the
        change has left (it may come over the old port)."""
        self.state._cache.clear()
        if self._listen_key(new) != self._listening:
            self.context.create_task(self._reopen(new), name="reopen")
        if new.access_control != old.access_control:
            self.context.create_task(self._close_refused(), name="firewall")

    async def _close_refused(self) -> None:
        """Close the connections from addresses the firewall now refuses (keep-alive and
        live update streams), once the answer to the change has left (it may go to one)."""
        await asyncio.sleep(0.2)
        allows = functools.partial(self.context.access.allows, self.context.settings.access_control)
        closed, kept = self.app[LIMITS_KEY].close_refused(allows)
        log.info("web: firewall rules changed: %d connection(s) from addresses now refused closed, %d kept", closed, kept)

    async def _reopen(self, settings: Settings) -> None:
        await asyncio.sleep(0.2)
        if self.runner is None or self._listen_key(settings) == self._listening:
            return
        await self._close_sites()
        try:
            await self._open_sites(settings)
        except OSError as error:
            log.exception("web: cannot listen with the new settings")
            self.context.report_error(f"cannot listen with the new settings: {error}")

    def counters(self) -> dict[str, int]:
        limits = self.app[LIMITS_KEY]
        return {
            **self.state.counters(),
            "connections_open": limits.total,
            "connections_refused": limits.refused,
            "connections_timed_out": limits.timed_out,
        }

    async def stop(self) -> None:
        await self._close_sites()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def addresses(self) -> list[str]:
        lines = []
        bind = self.context.settings.web.bind
        host = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
        for kind, site in self.sites:
            port = site._sock.getsockname()[1]
            lines.append(f"web {kind}://{host}:{port}/")
        hint = self.first_login_hint()
        if lines and hint:
            lines.append(hint)
        return lines

    def first_login_hint(self) -> str:
        """How to log in the first time (§11.5), while admin still has the MAC-derived password."""
        admin = self.state.accounts.get("admin")
        if admin is None or not admin.initial:
            return ""
        try:
            mac = self.state.accounts.mac()
            password = initial_admin_password(mac)
        except AccountError:
            return ""
        interface = self.context.settings.web.mac_interface
        where = f"MAC {mac} of {interface}" if interface else f"MAC {mac}"
        return f"web first login: admin / {password} (last 6 characters of the {where}), change it at first login"
