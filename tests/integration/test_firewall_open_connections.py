"""A firewall change (EN §18.3, §18.15) applies to the connections already open: with real
sockets on loopback, the Modbus TCP session, the HTTP keep-alive connection and the live
update stream of 127.0.0.2, over HTTP and HTTPS, and its NUT connection are closed once a rule
refuses it, while 127.0.0.1 keeps its connections; each service logs the change once, with its
count."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from netvision.daemon import Daemon
from netvision.events.bus import Event
from tests.conftest import free_port
from tests.integration.test_modbus_tcp_helpers import read_answer, read_frame
from tests.integration.test_web_helpers import WRITER_PASSWORD

MakeDaemon = Callable[..., Awaitable[Daemon]]
REFUSED = "127.0.0.2"
KEPT = "127.0.0.1"
REJECT_REFUSED = [{"address": REFUSED, "prefix_length": 32, "action": "reject"}]


async def start(make_daemon: MakeDaemon) -> tuple[Daemon, dict[str, int]]:
    ports = {"http": free_port(), "https": free_port(), "modbus": free_port(), "nut": free_port()}
    daemon = await make_daemon(
        {
            "web": {
                "http_enabled": True,
                "http_port": ports["http"],
                "https_enabled": True,
                "https_port": ports["https"],
                "redirect_http": False,
                "bind": "127.0.0.1",
            },
            "modbus_tcp": {"enabled": True, "bind": "127.0.0.1", "port": ports["modbus"]},
            "nut": {"enabled": True, "bind": "127.0.0.1", "port": ports["nut"], "starttls": False},
            "access_control": {"enabled": True, "rules": []},  # everyone accepted for now
        },
        map_name="jbusp",
        time_scale=0,
    )
    web = next(service for service in daemon.services if service.name == "web")
    web.state.accounts.put_user("writer", "read_write", WRITER_PASSWORD, must_change=False)
    return daemon, ports


async def modbus_session(port: int, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    assert await modbus_reads(reader, writer)
    return reader, writer


async def modbus_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    writer.write(read_frame(1, 0x1020, 4))
    await writer.drain()
    _, _, pdu = await asyncio.wait_for(read_answer(reader), 10)
    return pdu[:1] == b"\x03"


async def nut_session(port: int, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    assert await nut_answers(reader, writer)
    return reader, writer


async def nut_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    writer.write(b"GET VAR ups ups.status\n")
    await writer.drain()
    return (await asyncio.wait_for(reader.readline(), 10)).startswith(b"VAR ups ups.status")


async def http_get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    """One GET /login on a kept-alive connection; its status."""
    writer.write(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    assert length is not None, head
    await reader.readexactly(int(length[1]))
    return int(head.split(b" ", 2)[1])


async def closed(reader: asyncio.StreamReader, within: float = 5.0) -> bool:
    """Whether the server closes the connection within ``within`` seconds (whatever it sent before)."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


async def stream_ends(response: aiohttp.ClientResponse, within: float = 5.0) -> bool:
    try:
        async with asyncio.timeout(within):
            while await response.content.readany():
                pass
    except TimeoutError:
        return False
    except aiohttp.ClientError:
        pass
    return True


async def test_a_firewall_change_closes_the_open_connections_of_an_address_now_refused(
    make_daemon: MakeDaemon, caplog: pytest.LogCaptureFixture
) -> None:
    daemon, ports = await start(make_daemon)
    events: list[Event] = []
    daemon.bus.on_event(events.append)
    refused_modbus = await modbus_session(ports["modbus"], REFUSED)
    kept_modbus = await modbus_session(ports["modbus"], KEPT)
    refused_nut = await nut_session(ports["nut"], REFUSED)
    kept_nut = await nut_session(ports["nut"], KEPT)
    refused_http = await asyncio.open_connection("127.0.0.1", ports["http"], local_addr=(REFUSED, 0))
    kept_http = await asyncio.open_connection("127.0.0.1", ports["http"], local_addr=(KEPT, 0))
    assert await http_get(*refused_http) == 200 and await http_get(*kept_http) == 200
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE  # the card's own certificate
    refused_https = await asyncio.open_connection(
        "127.0.0.1", ports["https"], local_addr=(REFUSED, 0), ssl=tls
    )
    assert await http_get(*refused_https) == 200
    base = f"http://127.0.0.1:{ports['http']}"
    connector = aiohttp.TCPConnector(local_addr=(REFUSED, 0))
    browser = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        async with browser.post(
            f"{base}/api/v1/login", json={"user": "writer", "password": WRITER_PASSWORD}
        ) as response:
            assert response.status == 200, await response.text()
        live = await browser.get(f"{base}/api/v1/live")
        assert live.status == 200 and b"event: snapshot" in await asyncio.wait_for(
            live.content.readuntil(b"\n\n"), 10
        )

        with caplog.at_level(logging.INFO, logger="netvision"):
            await daemon.settings_manager.change(
                {"access_control.rules": REJECT_REFUSED}, via="web", by="admin"
            )
            # 127.0.0.2 sees every connection closed: the Modbus session, the keep-alive one, the stream.
            assert await closed(refused_modbus[0])
            assert await closed(refused_http[0])
            assert await closed(refused_https[0])
            assert await stream_ends(live)
            assert await closed(refused_nut[0])
            # 127.0.0.1 keeps its connections and is served on them.
            assert await modbus_reads(*kept_modbus)
            assert await http_get(*kept_http) == 200
            assert await nut_answers(*kept_nut)

        assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
        lines = [
            record.getMessage()
            for record in caplog.records
            if "firewall rules changed" in record.getMessage()
        ]
        assert len(lines) == 3, lines  # once per change and service
        modbus_line = next(line for line in lines if line.startswith("Modbus TCP"))
        assert "1 session(s) from addresses now refused closed, 1 kept" in modbus_line
        nut_line = next(line for line in lines if line.startswith("NUT"))
        assert "1 connection(s) from addresses now refused closed, 1 kept" in nut_line
        web_line = next(line for line in lines if line.startswith("web"))
        found = re.search(r"(\d+) connection\(s\) from addresses now refused closed, (\d+) kept", web_line)
        assert found is not None and int(found[1]) >= 3 and found[2] == "1", web_line
        closed_events = [event for event in events if event.id == "nv.modbus_tcp_session_closed"]
        assert [event.data["reason"] for event in closed_events] == ["address now refused by the firewall"]
        assert closed_events[0].data["client"].startswith(REFUSED)

        # A change elsewhere leaves every connection alone.
        await daemon.settings_manager.change({"modbus_tcp.idle_timeout": 120}, via="web", by="admin")
        await asyncio.sleep(0.3)
        assert await modbus_reads(*kept_modbus)
        assert await http_get(*kept_http) == 200
        assert await nut_answers(*kept_nut)
    finally:
        await browser.close()
        for _, writer in (
            refused_modbus,
            kept_modbus,
            refused_http,
            kept_http,
            refused_https,
            refused_nut,
            kept_nut,
        ):
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
