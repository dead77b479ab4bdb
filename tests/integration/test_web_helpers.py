"""Helpers shared by the web tests: a daemon with the web service on free ports, logged-in clients."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from netvision.daemon import Daemon
from tests.conftest import free_port

ADMIN_PASSWORD = "Admin1234567!"
WRITER_PASSWORD = "Writer123456#"
READER_PASSWORD = "Reader123456@"


@dataclass
class WebDaemon:
    daemon: Daemon
    service: Any  # netvision.services.web.service.WebService
    http: str
    https: str

    @property
    def simulator(self) -> Any:
        return self.daemon.test_simulator  # type: ignore[attr-defined]

    @property
    def clock(self) -> RecordingClock:
        return self.service.context.clock

    @property
    def accounts(self) -> Any:
        return self.service.state.accounts


class RecordingClock:
    """Stands for the board's clock in every web test: records, never sets this machine's clock."""

    def __init__(self) -> None:
        self.calls: list[datetime] = []
        self.refuse: str = ""  # a ClockError message to raise instead

    def set_time(self, when: datetime) -> None:
        if self.refuse:
            from netvision.clock import ClockError

            raise ClockError(self.refuse)
        self.calls.append(when)


def client() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies set by a host given as an IP address (127.0.0.1).
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def login(session: aiohttp.ClientSession, base: str, user: str, password: str) -> dict[str, Any]:
    async with session.post(f"{base}/api/v1/login", json={"user": user, "password": password}) as response:
        body = await response.json()
        assert response.status == 200, body
        return body


def csrf_of(session: dict[str, Any]) -> dict[str, str]:
    """The header a logged-in ``session`` (what ``login`` answered) sends with each change."""
    return {"X-CSRF-Token": session["csrf"]}


class Catcher(asyncio.DatagramProtocol):
    """Every datagram received: what the pages' test buttons send (test trap, Wake-on-LAN)."""

    def __init__(self) -> None:
        self.datagrams: list[bytes] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.datagrams.append(data)


async def catcher() -> tuple[int, Catcher, asyncio.DatagramTransport]:
    """A Catcher on a free UDP port of 127.0.0.1: (port, catcher, transport to close)."""
    port = free_port(socket.SOCK_DGRAM)
    transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        Catcher, local_addr=("127.0.0.1", port)
    )
    return port, protocol, transport


@pytest.fixture
async def make_web(make_daemon: Callable[..., Awaitable[Daemon]]) -> AsyncIterator[Callable[..., Awaitable[WebDaemon]]]:
    """``web = await make_web(map_name="vumap")``: the daemon with HTTP and HTTPS on free ports,
    admin's password already changed and two users (writer: Read/Write, reader: Read Only)."""

    async def make(web: dict[str, Any] | None = None, *, users: bool = True, **simulator: Any) -> WebDaemon:
        http_port, https_port = free_port(), free_port()
        settings = {
            "http_enabled": True,
            "http_port": http_port,
            "https_enabled": True,
            "https_port": https_port,
            "bind": "127.0.0.1",
            "redirect_http": False,  # the tests call pages over both ports
            **(web or {}),
        }
        daemon = await make_daemon({"web": settings}, **simulator)
        service = next(service for service in daemon.services if service.name == "web")
        service.context.clock = RecordingClock()
        result = WebDaemon(daemon, service, f"http://127.0.0.1:{http_port}", f"https://127.0.0.1:{https_port}")
        if users:
            result.accounts.change_password("admin", ADMIN_PASSWORD)
            result.accounts.put_user("writer", "read_write", WRITER_PASSWORD, must_change=False)
            result.accounts.put_user("reader", "read_only", READER_PASSWORD, must_change=False)
        return result

    yield make
