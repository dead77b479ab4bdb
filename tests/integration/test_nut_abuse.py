"""The NUT server (RFC 9271) as an attacker on the network sees it: real sockets against
the real daemon polling the simulator. Each test is an attack, and checks that the
attacker gets a clear answer or is dropped, that the log stays short, and that the
others (a well-behaved client, upsc, the poller) are still served."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
import time
from collections.abc import AsyncIterator

import pytest

from netvision.daemon import Daemon
from netvision.services.nut.service import CONNECT_BURST
from tests.conftest import wait_for
from tests.integration.test_nut_server import (
    PASSWORDS,
    Client,
    MakeDaemon,
    made_once,  # noqa: F401  (the gateway's certificate, made once)
    nut_daemon,
    port_of,
    service_of,
    tls_source,  # noqa: F401
    upsc,
)

ATTACKER = "127.0.0.3"  # an address of its own, as an intruder's would be (127.0.0.1 is local)
GOOD = 'VAR ups ups.status "OL"'


@pytest.fixture
async def opened() -> AsyncIterator[list[Client]]:
    clients: list[Client] = []
    yield clients
    for client in clients:
        client.close()


async def connect(daemon: Daemon, opened: list[Client], source: str = "127.0.0.1") -> Client:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(daemon), local_addr=(source, 0))
    client = Client(reader, writer)
    opened.append(client)
    return client


def cycles(daemon: Daemon) -> int:
    assert daemon.ups is not None
    return daemon.ups.snapshot.communication.statistics.cycles


def warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "netvision.nut" and text in r.getMessage()]


async def test_one_address_cannot_take_every_place(
    make_daemon: MakeDaemon, opened: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "netvision.nut")
    daemon = await nut_daemon(make_daemon, {"max_clients": 10})
    hogs = [await connect(daemon, opened, ATTACKER) for _ in range(12)]
    answered = 0
    for hog in hogs:
        try:
            answered += await asyncio.wait_for(hog.ask("NETVER"), 2) == "1.3"
        except (TimeoutError, ConnectionError, UnicodeDecodeError):
            pass
    assert answered == 5  # half the table at most
    others = [await connect(daemon, opened) for _ in range(4)]  # and upsc: the table's other half
    for other in others:
        assert await other.ask("GET VAR ups ups.status") == GOOD
    code, output = await upsc(f"ups@127.0.0.1:{port_of(daemon)}", "ups.status")
    assert (code, output.strip()) == (0, "OL")
    # One warning for the refused flood, not one per connection.
    assert len(warnings(caplog, f"from {ATTACKER} refused")) == 1


async def test_an_address_reconnecting_without_end_is_refused_for_a_while(
    make_daemon: MakeDaemon, opened: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    service = service_of(daemon)
    served = 0
    for _ in range(CONNECT_BURST + 20):  # each one could ask for a TLS handshake
        client = await connect(daemon, opened, ATTACKER)
        try:
            served += await asyncio.wait_for(client.ask("NETVER"), 2) == "1.3"
        except (TimeoutError, ConnectionError):
            pass
        client.close()
    assert CONNECT_BURST <= served < CONNECT_BURST + 20
    assert await (await connect(daemon, opened)).ask("NETVER") == "1.3"  # others still come in
    await asyncio.sleep(2 / service.connect_rate)
    assert await (await connect(daemon, opened, ATTACKER)).ask("NETVER") == "1.3"  # and it again, later


async def test_slowloris_and_unended_lines_are_dropped_others_served(
    make_daemon: MakeDaemon, opened: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    service_of(daemon)._server.idle_timeout = 1.0
    slow = await connect(daemon, opened, ATTACKER)
    carriage = await connect(daemon, opened, ATTACKER)
    talking = await connect(daemon, opened)
    started = time.monotonic()
    for n in range(6):
        # A byte every 0.3 s, never a newline; CR alone ends no line either.
        slow.writer.write(b"GET VAR ups ups.status"[n : n + 1])
        carriage.writer.write(b"NETVER\r")
        assert await talking.ask("GET VAR ups ups.status") == GOOD
        await asyncio.sleep(0.3)
    assert await slow.closed() and await carriage.closed()
    assert time.monotonic() - started < 5
    assert await talking.ask("NETVER") == "1.3"


async def test_junk_is_answered_with_protocol_errors_and_logged_once(
    make_daemon: MakeDaemon, opened: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "netvision.nut")
    daemon = await nut_daemon(make_daemon)
    rogue = await connect(daemon, opened, ATTACKER)
    other = await connect(daemon, opened)
    junk = {
        b"\x00\x00\x00\n": "ERR UNKNOWN-COMMAND",
        b"\xc3\x28\xa0\xa1 VAR\n": "ERR UNKNOWN-COMMAND",  # invalid UTF-8
        b"GET VAR ups \x00ups.status\n": GOOD,  # NUL dropped, as parseconf does
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n": "ERR UNKNOWN-COMMAND",  # TLS before STARTTLS
        b"A" * 70_000 + b"\n": "ERR TOO-LONG",
        b'GET VAR "ups\n': "ERR INVALID-ARGUMENT",
        b"LOGIN ups\n": "ERR USERNAME-REQUIRED",
        b"USERNAME " + b"u" * 400 + b"\n": "ERR INVALID-USERNAME",
        b"PASSWORD " + b"p" * 400 + b"\n": "ERR INVALID-PASSWORD",
        b"FSD ups\n": "ERR USERNAME-REQUIRED",
    }
    for _ in range(20):
        for request, answer in junk.items():
            assert await rogue.ask(request) == answer
        assert await other.ask("GET VAR ups ups.status") == GOOD
    assert service_of(daemon).counters()["bad_requests"] == 20 * 5
    assert len(warnings(caplog, "bad NUT request")) == 1  # the first at once, the rest a minute later


async def test_privileged_commands_need_their_rights_and_names_cannot_inject(
    make_daemon: MakeDaemon, opened: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    reader = await connect(daemon, opened)
    assert await reader.ask("USERNAME monitor") == "OK"
    assert await reader.ask("USERNAME admin") == "ERR ALREADY-SET-USERNAME"
    assert await reader.ask(f"PASSWORD {PASSWORDS['monitor']}") == "OK"
    assert await reader.ask(f"PASSWORD {PASSWORDS['admin']}") == "ERR ALREADY-SET-PASSWORD"
    assert await reader.ask("PRIMARY ups") == "ERR ACCESS-DENIED"
    assert await reader.ask("FSD ups") == "ERR ACCESS-DENIED"
    assert await reader.ask("INSTCMD ups test.battery.start") == "ERR ACCESS-DENIED"
    assert await reader.ask("SET VAR ups ups.delay.shutdown 10") == "ERR ACCESS-DENIED"
    admin = await connect(daemon, opened)
    assert await admin.ask("USERNAME admin") == "OK"
    assert await admin.ask(f"PASSWORD {PASSWORDS['admin']}") == "OK"
    assert await admin.ask('INSTCMD ups "test.battery.start\\nFSD ups"') == "ERR CMD-NOT-SUPPORTED"
    assert await admin.ask(b"SET VAR ups ups.delay.shutdown --5\n") == "ERR INVALID-VALUE"
    assert await admin.ask('SET VAR ups ups.delay.shutdown "1\\n2"') == "ERR INVALID-VALUE"
    assert await admin.ask("SET VAR ups ups.delay.shutdown " + "9" * 500) == "ERR INVALID-VALUE"
    assert await admin.ask('SET VAR ups "ups.delay.shutdown\\" 5" 5') == "ERR VAR-NOT-SUPPORTED"
    assert await admin.ask("GET VAR ups ups.status") == GOOD
    assert daemon.settings.shutdown.ups_shut_off_delay != 5


async def test_brute_force_over_connections_and_names_locks_the_source_not_the_others(
    make_daemon: MakeDaemon, opened: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "netvision.nut")
    daemon = await nut_daemon(make_daemon)
    service = service_of(daemon)

    async def guess(name: str, password: str, source: str = ATTACKER) -> str:
        client = await connect(daemon, opened, source)
        assert await client.ask(f"USERNAME {name}") == "OK"
        assert await client.ask(f"PASSWORD {password}") == "OK"
        return await asyncio.wait_for(client.ask("LOGIN ups"), 20)

    # One guess per connection (PASSWORD is taken once), spread over names known or not.
    names = ["root", "nut", "upsmon", "admin", "monitor", "operator", "user", "admin", "monitor", "operator"]
    answers = await asyncio.gather(*(guess(name, f"guess{n}") for n, name in enumerate(names)))
    assert set(answers) == {"ERR ACCESS-DENIED"}
    checks = service.counters()["password_checks"]
    # The source is locked out for every name, right password or not, without a check.
    assert await guess("admin", PASSWORDS["admin"]) == "ERR ACCESS-DENIED"
    assert await guess("newname", "x") == "ERR ACCESS-DENIED"
    assert service.counters()["password_checks"] == checks
    # The real admin, elsewhere, still logs in.
    assert await guess("admin", PASSWORDS["admin"], "127.0.0.1") == "OK"
    assert len(warnings(caplog, "NUT login of")) <= 3  # first failure, lock-out start, not one per guess
    # Secrets never come back, not even in the log.
    assert not any(secret in caplog.text for secret in ("guess1", PASSWORDS["admin"]))


async def test_starttls_abuse_never_passes_clear_bytes_as_tls(
    make_daemon: MakeDaemon, opened: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon, {"require_tls": True})
    server = service_of(daemon)._server
    server.handshake_timeout = 1.0
    other = await connect(daemon, opened)
    # require_tls: nothing but STARTTLS, VER, NETVER and HELP in clear.
    assert await other.ask("GET VAR ups ups.status") == "ERR ACCESS-DENIED"
    assert await other.ask("LIST UPS") == "ERR ACCESS-DENIED"
    assert await other.ask("LIST CLIENT ups") == "ERR ACCESS-DENIED"
    assert await other.ask("USERNAME admin") == "ERR ACCESS-DENIED"
    assert await other.ask("NETVER") == "1.3"
    assert (await other.ask("VER")).startswith("NET VISION")
    # Junk instead of a ClientHello: the connection ends, nothing more is read from it.
    junk = await connect(daemon, opened, ATTACKER)
    assert await junk.ask("STARTTLS") == "OK STARTTLS"
    junk.writer.write(b"GET VAR ups ups.status\nUSERNAME admin\n")
    assert await junk.closed()
    # Commands in clear right behind STARTTLS (injected by someone in the middle): closed.
    injected = await connect(daemon, opened, ATTACKER)
    injected.writer.write(b"STARTTLS\nUSERNAME admin\n")
    assert (await asyncio.wait_for(injected.reader.readline(), 10)).decode().strip() == "OK STARTTLS"
    assert await injected.closed()
    # The same, with STARTTLS ending exactly where one read ends and the rest buffered.
    filler = b"NETVER\n" * ((4096 - len(b"STARTTLS\n")) // 7)
    filler += b"V" * (4096 - len(b"STARTTLS\n") - len(filler) - 1) + b"\n"
    boundary = await connect(daemon, opened, ATTACKER)
    boundary.writer.write(filler + b"STARTTLS\n" + b"LIST VAR ups\n")
    received = b""
    while chunk := await asyncio.wait_for(boundary.reader.read(1 << 16), 10):
        received += chunk  # until the server closes
    lines = received.decode().splitlines()
    assert lines[-1] == "OK STARTTLS" and not any(line.startswith("VAR ") for line in lines)
    # A client that stops in the middle of the handshake is dropped after the handshake timeout.
    stalled = await connect(daemon, opened, ATTACKER)
    assert await stalled.ask("STARTTLS") == "OK STARTTLS"
    stalled.writer.write(b"\x16\x03\x01\x00\xc8\x01\x00\x00")  # half a ClientHello, then nothing
    started = time.monotonic()
    assert await stalled.closed()
    assert time.monotonic() - started < 5
    # STARTTLS twice, then the commands of a TLS session.
    context = ssl.create_default_context(cafile=str(daemon.data_dir / "tls" / "cacert.crt"))
    context.check_hostname = False
    secure = await connect(daemon, opened)
    await secure.starttls(context)
    assert await secure.ask("STARTTLS") == "ERR ALREADY-SSL-MODE"
    assert await secure.ask("GET VAR ups ups.status") == GOOD
    assert await other.ask("NETVER") == "1.3"


async def _flood(
    daemon: Daemon, opened: list[Client], request: bytes, until: float, counted: list[int]
) -> None:
    """Pipelines ``request`` as fast as the server takes it, and reads every answer."""
    client = await connect(daemon, opened, ATTACKER)

    async def pump() -> None:
        with_errors = (ConnectionError, RuntimeError)
        while time.monotonic() < until:
            try:
                client.writer.write(request * 100)
                await client.writer.drain()
            except with_errors:
                return

    pumping = asyncio.create_task(pump())
    try:
        while time.monotonic() < until:
            data = await client.reader.read(1 << 16)
            if not data:
                break
            counted[0] += data.count(b"\n")
    finally:
        pumping.cancel()
        client.close()


async def test_pipelined_floods_cost_bounded_and_the_poller_keeps_polling(
    make_daemon: MakeDaemon, opened: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    service = service_of(daemon)
    good = await connect(daemon, opened)
    before, requests_before = cycles(daemon), service.counters()["requests"]
    until = time.monotonic() + 3.3
    counted = [0]
    requests = (b"VER\n", b"LIST VAR ups\n", b"LIST CLIENT ups\n", b"GET VAR ups ups.status\n")
    floods = [
        asyncio.create_task(_flood(daemon, opened, requests[n % len(requests)], until, counted))
        for n in range(12)
    ]
    latencies = []
    await asyncio.sleep(0.3)  # the attackers connected and flooding
    while time.monotonic() < until:
        started = time.perf_counter()
        assert await good.ask("GET VAR ups ups.status") == GOOD
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.1)
    code, output = await upsc(f"ups@127.0.0.1:{port_of(daemon)}")
    await asyncio.gather(*floods, return_exceptions=True)
    assert code == 0 and "ups.status: OL" in output
    assert max(latencies) < 0.5, latencies
    assert cycles(daemon) - before >= 2  # about one a second, as without the flood
    assert service.counters()["throttled"] > 0
    # Each connection got its burst and then its rate, no more.
    server = service._server
    flooded = service.counters()["requests"] - requests_before
    assert flooded < 12 * (server.request_burst + 4 * server.request_rate) + 100, flooded


async def test_a_client_that_does_not_read_stops_being_read(
    make_daemon: MakeDaemon, opened: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    service = service_of(daemon)
    hog = await connect(daemon, opened, ATTACKER)
    hog.writer.transport.pause_reading()  # type: ignore[attr-defined]
    chunk = b"LIST VAR ups\n" * 1000
    sent = 0
    with contextlib.suppress(TimeoutError, ConnectionError):
        while sent < 2000:  # 26 MB at most
            hog.writer.write(chunk)
            sent += 1
            await asyncio.wait_for(hog.writer.drain(), 1.0)
    # TCP holds the attacker: the server stopped reading, its answers wait in a bounded buffer.
    assert sent < 2000
    server = service._server
    assert service.counters()["requests"] < server.request_burst + 10 * server.request_rate
    good = await connect(daemon, opened)
    assert await good.ask("GET VAR ups ups.status") == GOOD


async def test_a_client_gone_with_requests_pipelined_leaves_no_trace_in_the_log(
    make_daemon: MakeDaemon, opened: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    daemon = await nut_daemon(make_daemon)
    service = service_of(daemon)
    for _ in range(3):
        gone = await connect(daemon, opened, ATTACKER)
        gone.writer.write(b"LIST VAR ups\n" * 600)  # more than the budget lets through at once
        await gone.writer.drain()
        await asyncio.sleep(0.3)
        sock = gone.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset
        gone.writer.transport.abort()
    await wait_for(lambda: service.counters()["clients"] == 0, timeout=5)
    good = await connect(daemon, opened)
    assert await good.ask("GET VAR ups ups.status") == GOOD
    assert not [r for r in caplog.records if r.name == "asyncio"], [r.getMessage() for r in caplog.records]
