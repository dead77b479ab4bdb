"""The IP access control (the card's firewall, EN §18.3, §18.15) on every listener, with
real clients on loopback: a client bound to 127.0.0.2 is refused by the web server,
the SNMP agent (both paths), the Modbus TCP server and the BACnet device, while
127.0.0.1 is still served; a change that would cut off the browser that saves it
needs confirmation."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from netvision.daemon import Daemon
from netvision.events.bus import Event
from netvision.services.snmp.fastpath import encode_integer, encode_oid, tlv
from tests.conftest import free_port, wait_for
from tests.integration.test_modbus_tcp_helpers import read_answer, read_frame
from tests.integration.test_web_helpers import ADMIN_PASSWORD, WRITER_PASSWORD, client, login

MakeDaemon = Callable[..., Awaitable[Daemon]]
REFUSED = "127.0.0.2"
REJECT_REFUSED = [{"address": REFUSED, "prefix_length": 32, "action": "reject"}]
SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
# BACnet/IP ReadProperty(device 1883, object-name), confirmed, invoke id 1.
READ_DEVICE_NAME = bytes.fromhex("810a0011" "0104" "0005010c" "0c0200075b" "194d")


async def start(make_daemon: MakeDaemon, rules: list[dict[str, Any]] | None = None) -> tuple[Daemon, dict[str, int]]:
    ports = {
        "http": free_port(),
        "snmp": free_port(socket.SOCK_DGRAM),
        "modbus": free_port(),
        "bacnet": free_port(socket.SOCK_DGRAM),
    }
    daemon = await make_daemon(
        {
            "web": {"http_enabled": True, "http_port": ports["http"], "https_enabled": False, "bind": "127.0.0.1"},
            "snmp": {
                "enabled": True,
                "bind": "127.0.0.1",
                "port": ports["snmp"],
                "usm_users": [{"name": "watcher", "security_level": "noAuthNoPriv"}],
            },
            "modbus_tcp": {"enabled": True, "bind": "127.0.0.1", "port": ports["modbus"]},
            "bacnet": {"enabled": True, "bind": "127.0.0.1", "port": ports["bacnet"]},
            "access_control": {"enabled": True, "rules": rules if rules is not None else REJECT_REFUSED},
        },
        map_name="jbusp",
        time_scale=0,
    )
    web = next(service for service in daemon.services if service.name == "web")
    web.state.accounts.change_password("admin", ADMIN_PASSWORD)
    web.state.accounts.put_user("writer", "read_write", WRITER_PASSWORD)
    return daemon, ports


def record(daemon: Daemon) -> list[Event]:
    events: list[Event] = []
    daemon.bus.on_event(events.append)
    return events


def snmp_get(community: bytes, request_id: int) -> bytes:
    varbind = tlv(0x30, encode_oid(SYS_DESCR) + b"\x05\x00")
    pdu = tlv(0xA0, encode_integer(request_id) + encode_integer(0) + encode_integer(0) + tlv(0x30, varbind))
    return tlv(0x30, encode_integer(1) + tlv(0x04, community) + pdu)


def udp_from(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 0))
    sock.setblocking(False)
    return sock


async def exchange(port: int, refused_datagram: bytes, served_datagram: bytes) -> tuple[bytes | None, bytes]:
    """Send from 127.0.0.2 then from 127.0.0.1 to the same socket; once 127.0.0.1 has its
    answer, the earlier datagram from 127.0.0.2 has been handled: return what it got."""
    loop = asyncio.get_running_loop()
    refused, served = udp_from(REFUSED), udp_from("127.0.0.1")
    try:
        refused.sendto(refused_datagram, ("127.0.0.1", port))
        served.sendto(served_datagram, ("127.0.0.1", port))
        answer = await asyncio.wait_for(loop.sock_recv(served, 4096), 10)
        try:
            got: bytes | None = refused.recv(4096)
        except BlockingIOError:
            got = None
        return got, answer
    finally:
        refused.close()
        served.close()


async def snmpget(port: int, clientaddr: str, *options: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "snmpget", *options, "-r", "0", "-t", "2", f"--clientaddr={clientaddr}", f"127.0.0.1:{port}", "1.3.6.1.2.1.1.5.0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def modbus_answers(port: int, source: str) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    except ConnectionError:
        return False  # reset at once: the server closed it at accept
    try:
        writer.write(read_frame(1, 0x1020, 4))
        await writer.drain()
        _, _, pdu = await asyncio.wait_for(read_answer(reader), 10)
        return pdu[:1] == b"\x03"
    except (asyncio.IncompleteReadError, ConnectionError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def web_status(port: int, source: str) -> int | None:
    """The status of GET /login from ``source``, None when the connection is refused."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        try:
            async with session.get(f"http://127.0.0.1:{port}/login", timeout=aiohttp.ClientTimeout(total=10)) as response:
                return response.status
        except aiohttp.ClientConnectionError:
            return None


async def test_a_rejected_address_is_refused_by_every_listener_and_others_are_served(make_daemon: MakeDaemon) -> None:
    daemon, ports = await start(make_daemon)
    events = record(daemon)

    # Web: the connection is closed at accept, before any HTTP is read.
    assert await web_status(ports["http"], REFUSED) is None
    assert await web_status(ports["http"], "127.0.0.1") == 200

    # SNMP fast path (community GET) and pysnmp path (v3), with net-snmp's snmpget.
    got, answer = await exchange(ports["snmp"], snmp_get(b"public", 7), snmp_get(b"public", 8))
    assert got is None and answer[:1] == b"\x30"
    code, out = await snmpget(ports["snmp"], "127.0.0.1", "-v2c", "-c", "public")
    assert code == 0 and "Socomec" in out, out
    code, out = await snmpget(ports["snmp"], "127.0.0.1", "-v3", "-l", "noAuthNoPriv", "-u", "watcher")
    assert code == 0 and "Socomec" in out, out
    code, out = await snmpget(ports["snmp"], REFUSED, "-v3", "-l", "noAuthNoPriv", "-u", "watcher")
    assert code != 0 and "Timeout" in out, out

    # Modbus TCP: closed at accept; 127.0.0.1 still reads.
    assert not await modbus_answers(ports["modbus"], REFUSED)
    assert await modbus_answers(ports["modbus"], "127.0.0.1")

    # BACnet: the datagram is dropped before it is decoded.
    got, answer = await exchange(ports["bacnet"], READ_DEVICE_NAME, READ_DEVICE_NAME)
    assert got is None and answer[4:5] == b"\x01" and answer[6] >> 4 == 3  # a ComplexACK to 127.0.0.1

    # Every refusal is counted; 127.0.0.2 makes one event for the minute, 127.0.0.1 none.
    web = next(service for service in daemon.services if service.name == "web")
    assert web.context.access.denials.total >= 5
    denied = [event for event in events if event.id == "nv.access_denied"]
    assert len(denied) == 1 and denied[0].data["client"] == REFUSED and denied[0].log == "netvision"
    assert "127.0.0.2" in denied[0].text_en and denied[0].data["protocol"] == "HTTP"


async def test_a_change_that_would_cut_off_the_browser_needs_confirmation(make_daemon: MakeDaemon) -> None:
    daemon, ports = await start(make_daemon, rules=[])
    base = f"http://127.0.0.1:{ports['http']}"
    lock_me_out = {"access_control.rules": [{"address": "127.0.0.0", "prefix_length": 8, "action": "reject"}]}
    async with client() as writer_session:
        writer = await login(writer_session, base, "writer", WRITER_PASSWORD)
        async with writer_session.patch(
            f"{base}/api/v1/settings", json={"changes": {"access_control.rules": REJECT_REFUSED}},
            headers={"X-CSRF-Token": writer["csrf"]},
        ) as response:
            assert response.status == 403  # only admin changes the firewall
    async with client() as session:
        admin = await login(session, base, "admin", ADMIN_PASSWORD)
        headers = {"X-CSRF-Token": admin["csrf"]}
        async with session.get(f"{base}/firewall") as response:
            page = await response.text()
            assert response.status == 200 and 'id="firewall-rules"' in page and "Prefix Length" in page
        # Rejecting another address needs no confirmation.
        async with session.patch(f"{base}/api/v1/settings", json={"changes": {"access_control.rules": REJECT_REFUSED}}, headers=headers) as response:
            assert response.status == 200, await response.text()
        assert await web_status(ports["http"], REFUSED) is None
        # Rejecting 127.0.0.0/8 would cut this browser off: 409, nothing changed.
        async with session.patch(f"{base}/api/v1/settings", json={"changes": lock_me_out}, headers=headers) as response:
            body = await response.json()
            assert response.status == 409 and body["lockout"] is True and "127.0.0.1" in body["error"]
        assert daemon.settings_manager.settings.access_control.rules[0].address == REFUSED
        assert await web_status(ports["http"], "127.0.0.1") == 200
        # Confirmed, it applies: new connections from 127.0.0.1 are refused too.
        confirmed = {"changes": lock_me_out, "confirm_lockout": True}
        async with session.patch(f"{base}/api/v1/settings", json=confirmed, headers=headers) as response:
            assert response.status == 200
    await wait_for(lambda: daemon.settings_manager.settings.access_control.rules[0].address == "127.0.0.0")
    assert await web_status(ports["http"], "127.0.0.1") is None
    assert not await modbus_answers(ports["modbus"], "127.0.0.1")
