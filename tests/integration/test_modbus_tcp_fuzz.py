"""Random and truncated frames: the Modbus TCP server stays up, answers what can be
answered, drops what cannot, and keeps serving a well-behaved client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import struct

import pytest
from pymodbus.client import AsyncModbusTcpClient

from tests.conftest import wait_for
from tests.integration.test_modbus_tcp_helpers import (
    MakeDaemon,
    modbus_daemon,
    port_of,
    read_answer,
    read_frame,
)


async def send_and_close(port: int, data: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        writer.write_eof()
        # Whatever comes back (answers, or nothing) until the server is done with us.
        with contextlib.suppress(ConnectionError):
            while await asyncio.wait_for(reader.read(4096), 20):
                pass
    finally:
        writer.close()


def random_pdu_frame(rng: random.Random, transaction: int) -> bytes:
    pdu = bytes([rng.randrange(256)]) + rng.randbytes(rng.randrange(0, 253))
    return struct.pack(">HHHB", transaction, 0, len(pdu) + 1, rng.randrange(256)) + pdu


async def test_random_and_truncated_frames_do_not_disturb_a_good_client(
    make_daemon: MakeDaemon, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="netvision.modbus_tcp")
    daemon = await modbus_daemon(make_daemon, {"max_connections": 16, "idle_timeout": 2})
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    port = port_of(daemon)
    expected = sim.device.read(0x1060, 44)
    good = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=5, retries=0)
    assert await good.connect()
    rng = random.Random(20261121)
    valid = read_frame(7, 0x1020, 4)
    try:
        for round_number in range(30):
            garbage = [
                rng.randbytes(rng.randrange(1, 300)),  # noise
                rng.randbytes(rng.randrange(1, 7)),  # less than a header
                valid[: rng.randrange(1, len(valid))],  # a request cut short
                struct.pack(">HHHB", 1, 0, rng.choice([0, 1, 255, 0xFFFF]), 1) + rng.randbytes(20),  # bad length
                b"".join(random_pdu_frame(rng, n) for n in range(5)) + rng.randbytes(3),
                rng.randbytes(65536),  # a flood
            ]
            await asyncio.gather(*(send_and_close(port, data) for data in garbage))
            answer = await good.read_holding_registers(0x1060, count=44)
            assert answer.registers == expected, round_number
        await wait_for(lambda: next(s for s in daemon.services if s.name == "modbus_tcp").session_count == 1)
    finally:
        good.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_random_pdus_in_valid_frames_get_one_answer_each(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon)
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(daemon))
    rng = random.Random(7)
    try:
        for transaction in range(300):
            frame = random_pdu_frame(rng, transaction)
            writer.write(frame)
            got, unit, pdu = await asyncio.wait_for(read_answer(reader), 10)
            assert (got, unit) == (transaction, frame[6])
            function = frame[7]
            if pdu[0] & 0x80:
                assert pdu[0] == function | 0x80 and pdu[1] in (1, 2, 3), (frame.hex(), pdu.hex())
            else:
                assert function in (3, 4) and pdu[1] == len(pdu) - 2
    finally:
        writer.close()


async def test_pipelined_requests_and_foreign_protocol_frames(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon)
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(daemon))
    foreign = struct.pack(">HHHB", 999, 7, 6, 1) + bytes([3, 0x10, 0x20, 0, 4])  # protocol identifier 7
    try:
        writer.write(b"".join(read_frame(n, 0x1060 + n % 40, 4) + foreign for n in range(100)))
        for n in range(100):
            transaction, _, pdu = await asyncio.wait_for(read_answer(reader), 10)
            assert transaction == n  # the foreign frames got no answer
            words = list(struct.unpack(">4H", pdu[2:]))
            assert words == sim.device.read(0x1060 + n % 40, 4)
    finally:
        writer.close()
