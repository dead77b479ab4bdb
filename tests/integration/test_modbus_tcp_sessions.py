"""Modbus TCP sessions: the connection limit, the idle timeout, the session events
and settings applied without a restart (EN §18.12; MODBUS TCP card §4.1, §13.7.1)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from pymodbus.client import AsyncModbusTcpClient

from netvision.daemon import Daemon
from tests.conftest import free_port, wait_for
from tests.integration.test_modbus_tcp_helpers import (
    MakeDaemon,
    modbus_daemon,
    port_of,
    read_answer,
    read_frame,
    record_events,
)


async def open_session(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, transaction: int = 1) -> bool:
    writer.write(read_frame(transaction, 0x1020, 4))
    await writer.drain()
    got, _, pdu = await asyncio.wait_for(read_answer(reader), 10)
    return got == transaction and pdu[:2] == bytes([3, 8])


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    with contextlib.suppress(ConnectionError):
        return await asyncio.wait_for(reader.read(100), 20) == b""
    return True


def close(writer: asyncio.StreamWriter) -> None:
    writer.close()


def sessions(daemon: Daemon) -> int:
    service = next(s for s in daemon.services if s.name == "modbus_tcp")
    return service.session_count  # type: ignore[no-any-return]


async def test_connection_beyond_the_limit_is_refused_without_disturbing_the_others(
    make_daemon: MakeDaemon,
) -> None:
    daemon = await modbus_daemon(make_daemon, {"max_connections": 2})
    events = record_events(daemon)
    port = port_of(daemon)
    first, second = await open_session(port), await open_session(port)
    assert await answers(*first) and await answers(*second)
    extra = await open_session(port)
    assert await closed_by_server(extra[0])
    close(extra[1])
    assert await answers(*first, transaction=2) and await answers(*second, transaction=3)
    refused = [e for e in events if e.id == "nv.modbus_tcp_session_refused"]
    assert len(refused) == 1 and "refused" in refused[0].text_en and refused[0].log == "netvision"
    # A freed place is taken again.
    close(first[1])
    await wait_for(lambda: sessions(daemon) == 1)
    third = await open_session(port)
    assert await answers(*third)
    close(second[1])
    close(third[1])


async def test_sessions_opened_and_closed_are_netvision_events(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon)
    events = record_events(daemon)
    client = AsyncModbusTcpClient("127.0.0.1", port=port_of(daemon), timeout=5, retries=0)
    assert await client.connect()
    assert not (await client.read_holding_registers(0x1020, count=4)).isError()
    local_port = client.ctx.transport.get_extra_info("sockname")[1]  # type: ignore[union-attr]
    client.close()
    await wait_for(lambda: any(e.id == "nv.modbus_tcp_session_closed" for e in events))
    opened = next(e for e in events if e.id == "nv.modbus_tcp_session_opened")
    closed = next(e for e in events if e.id == "nv.modbus_tcp_session_closed")
    assert opened.text_en == f"Modbus TCP session 1 opened by 127.0.0.1:{local_port}"
    assert opened.text_fr == f"Session Modbus TCP 1 ouverte par 127.0.0.1:{local_port}"
    assert closed.text_en == f"Modbus TCP session 1 with 127.0.0.1:{local_port} closed: closed by the client"
    assert closed.log == "netvision" and closed.severity.value == "information"


async def test_silent_connection_is_closed_after_the_idle_timeout(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon, {"idle_timeout": 1})
    events = record_events(daemon)
    port = port_of(daemon)
    silent = await open_session(port)
    truncated = await open_session(port)
    truncated[1].write(read_frame(1, 0x1020, 4)[:9])  # a frame that never ends
    assert await closed_by_server(silent[0])
    assert await closed_by_server(truncated[0])
    await wait_for(lambda: sessions(daemon) == 0)
    reasons = [e.text_en for e in events if e.id == "nv.modbus_tcp_session_closed"]
    assert len(reasons) == 2 and all(reason.endswith("idle for 1 s") for reason in reasons)
    close(silent[1])
    close(truncated[1])
    # The server still takes new sessions.
    fresh = await open_session(port)
    assert await answers(*fresh)
    close(fresh[1])


async def test_port_and_limits_change_without_a_restart(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon)
    old_port, new_port = port_of(daemon), free_port()
    kept = await open_session(old_port)
    assert await answers(*kept)
    await daemon.settings_manager.change({"modbus_tcp.port": new_port}, via="test", by="test")
    with pytest.raises(OSError):
        await open_session(old_port)
    moved = await open_session(new_port)
    assert await answers(*moved)
    assert await answers(*kept, transaction=2)  # an open session is not cut by the move
    await daemon.settings_manager.change({"modbus_tcp.max_connections": 2}, via="test", by="test")
    extra = await open_session(new_port)
    assert await closed_by_server(extra[0])
    close(extra[1])
    close(kept[1])
    close(moved[1])


async def test_unit_identifier_setting_applies_at_once(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon)
    reader, writer = await open_session(port_of(daemon))
    writer.write(read_frame(1, 0x1020, 1, unit=7))
    assert (await read_answer(reader))[2][:1] == b"\x03"
    await daemon.settings_manager.change({"modbus_tcp.unit_id": 1}, via="test", by="test")
    writer.write(read_frame(2, 0x1020, 1, unit=7))
    assert await read_answer(reader) == (2, 7, bytes([0x83, 0x0B]))
    writer.write(read_frame(3, 0x1020, 1, unit=1))
    transaction, unit, pdu = await read_answer(reader)
    assert (transaction, unit, pdu[:2]) == (3, 1, bytes([3, 2]))
    close(writer)


async def test_disabling_closes_sessions_and_enabling_serves_again(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon)
    port = port_of(daemon)
    session = await open_session(port)
    assert await answers(*session)
    await daemon.settings_manager.change({"modbus_tcp.enabled": False}, via="test", by="test")
    assert await closed_by_server(session[0])
    close(session[1])
    with pytest.raises(OSError):
        await open_session(port)
    assert daemon.addresses() == [line for line in daemon.addresses() if not line.startswith("modbus_tcp")]
    await daemon.settings_manager.change({"modbus_tcp.enabled": True}, via="test", by="test")
    again = await open_session(port)
    assert await answers(*again)
    assert f"modbus_tcp tcp 127.0.0.1:{port}" in daemon.addresses()
    close(again[1])


async def test_a_flood_of_refused_connections_is_one_event_per_source_and_minute(
    make_daemon: MakeDaemon, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = await modbus_daemon(make_daemon, {"max_connections": 1})
    service = next(s for s in daemon.services if s.name == "modbus_tcp")
    events = record_events(daemon)
    port = port_of(daemon)
    holder = await open_session(port)
    assert await answers(*holder)
    with caplog.at_level("INFO"):
        for _ in range(200):
            _reader, writer = await open_session(port)
            close(writer)
        await wait_for(lambda: service.counters()["sessions_refused"] == 200)
        assert await answers(*holder, transaction=2)  # the open session never noticed
        refused = [e for e in events if e.id == "nv.modbus_tcp_session_refused"]
        assert len(refused) == 1 and refused[0].text_en.startswith("1 Modbus TCP connection(s) from 127.0.0.1 refused")
        assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1
        # Once the source's minute is over, the rest is one row with its count.
        service._refused.window = 0.2
        await wait_for(lambda: len([e for e in events if e.id == "nv.modbus_tcp_session_refused"]) == 2)
    refused = [e for e in events if e.id == "nv.modbus_tcp_session_refused"]
    assert refused[1].text_en.startswith("199 Modbus TCP connection(s) from 127.0.0.1 refused")
    close(holder[1])
