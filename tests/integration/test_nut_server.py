"""The NUT-compatible server (RFC 9271) with real NUT clients: Debian's upsc, upscmd and
upsrw (libupsclient, NSS TLS), the official Python client PyNUTClient, and raw sockets
for what upsmon sends and for abuse."""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from netvision.daemon import Daemon
from netvision.passwords import hash_password
from netvision.services.nut import NutService
from netvision.services.nut import variables as nut_variables
from netvision.services.shutdown.status import ShutdownStatus
from netvision.settings.models import NutSettings, SystemSettings
from netvision.ups.model import Snapshot
from tests.conftest import free_port, wait_for
from tests.integration.test_snmp_helpers import need

MakeDaemon = Callable[..., Awaitable[Daemon]]

PASSWORDS = {"monitor": "mon-secret", "operator": "op secret#1", "admin": "adm-secret"}
RIGHTS = {"monitor": "monitor", "operator": "instcmd", "admin": "set"}


@functools.cache
def _hash(password: str) -> str:
    return hash_password(password)


def users() -> list[dict[str, str]]:
    return [{"name": name, "password": _hash(PASSWORDS[name]), "rights": RIGHTS[name]} for name in PASSWORDS]


# -- while variables.py is being written: the few variables these tests read ----------------------


def _fake_upses(snapshot: Snapshot | None, system: SystemSettings, nut: NutSettings) -> tuple[Any, ...]:
    return (nut_variables.NutUps(nut.ups_name, f"{system.name} UPS", 0),)


def _fake_variables(
    snapshot: Snapshot | None, unit: int, status: ShutdownStatus, now: datetime, system: SystemSettings
) -> dict[str, str]:
    if snapshot is None or snapshot.system is None:
        return {}
    return {
        "ups.status": ("FSD " if status.forced_shutdown else "") + "OL",
        "ups.mfr": "Socomec",
        "device.location": system.location,
        "battery.charge": "100",
    }


@pytest.fixture(autouse=True)
def nut_names(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        nut_variables.nut_upses(None, SystemSettings(), NutSettings())
    except NotImplementedError:
        monkeypatch.setattr(nut_variables, "nut_upses", _fake_upses)
        monkeypatch.setattr(nut_variables, "variables", _fake_variables)


async def nut_daemon(make_daemon: MakeDaemon, nut: dict[str, Any] | None = None, **options: Any) -> Daemon:
    port = free_port()
    settings = {"enabled": True, "bind": "127.0.0.1", "port": port, "users": users(), **(nut or {})}
    overrides: dict[str, Any] = {"nut": settings}
    overrides.update(options.pop("overrides", {}))
    return await make_daemon(overrides, **options)


def port_of(daemon: Daemon) -> int:
    return daemon.settings.nut.port


def service_of(daemon: Daemon) -> NutService:
    return next(service for service in daemon.services if isinstance(service, NutService))


class Client:
    """A raw NUT connection: one request, one reply line (or a LIST block)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, daemon: Daemon) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(daemon))
        return cls(reader, writer)

    async def ask(self, request: str | bytes) -> str:
        data = request if isinstance(request, bytes) else request.encode() + b"\n"
        self.writer.write(data)
        await self.writer.drain()
        return (await asyncio.wait_for(self.reader.readline(), 10)).decode().rstrip("\n")

    async def block(self, request: str) -> list[str]:
        first = await self.ask(request)
        if not first.startswith("BEGIN "):
            return [first]
        lines = [first]
        while not lines[-1].startswith("END "):
            lines.append((await asyncio.wait_for(self.reader.readline(), 10)).decode().rstrip("\n"))
        return lines

    async def starttls(self, context: ssl.SSLContext) -> None:
        assert await self.ask("STARTTLS") == "OK STARTTLS"
        await self.writer.start_tls(context, server_hostname="127.0.0.1")

    async def closed(self) -> bool:
        try:
            return await asyncio.wait_for(self.reader.read(100), 10) == b""
        except ConnectionError:
            return True

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        client.close()


async def login(daemon: Daemon, user: str, opened: list[Client]) -> Client:
    client = await Client.connect(daemon)
    opened.append(client)
    assert await client.ask(f"USERNAME {user}") == "OK"
    assert await client.ask(f'PASSWORD "{PASSWORDS[user]}"') == "OK"
    return client


def pynut(daemon: Daemon, user: str | None = None, **options: Any) -> Any:
    from PyNUTClient.PyNUT import PyNUTClient

    password = PASSWORDS[user] if user else None
    return PyNUTClient(host="127.0.0.1", port=port_of(daemon), login=user, password=password, timeout=10, **options)


async def nut_tool(tool: str, *args: str, timeout: float = 30.0) -> tuple[int, str, str]:
    """Run upsc/upscmd/upsrw: (exit code, standard output, standard error). libupsclient
    writes its TLS notices on standard error."""
    process = await asyncio.create_subprocess_exec(
        need(tool), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


async def upsc(*args: str) -> tuple[int, str]:
    code, out, err = await nut_tool("upsc", *args)
    return code, out if code == 0 else out + err


# -- reading ------------------------------------------------------------------------------------


async def test_upsc_lists_the_ups_and_its_variables_over_tls(make_daemon: MakeDaemon) -> None:
    daemon = await nut_daemon(make_daemon, {"aliases": ["nas-ups"]}, overrides={"system": {"location": 'Room "B" #2'}})
    port = port_of(daemon)
    code, output = await upsc("-l", f"127.0.0.1:{port}")
    assert code == 0, output
    assert output.split() == ["ups"]
    code, output = await upsc(f"ups@127.0.0.1:{port}")
    assert code == 0, output
    values = dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)
    assert values["ups.status"] == "OL"
    assert values["device.location"] == 'Room "B" #2'  # quoted and escaped, read back whole
    # An alias answers as the UPS itself (a NAS that only knows "ups" or a name of its own).
    code, output = await upsc(f"NAS-UPS@127.0.0.1:{port}", "ups.status")
    assert (code, output.strip()) == (0, "OL")
    code, output = await upsc(f"nope@127.0.0.1:{port}")
    assert code != 0 and "Unknown UPS" in output
    # upsc tries STARTTLS: it got it (libupsclient with NSS, no certificate check).
    assert service_of(daemon).counters()["tls_sessions"] >= 3
