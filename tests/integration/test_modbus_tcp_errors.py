"""Refusals of the Modbus TCP server: writes 0x01, unmapped addresses 0x02, exception
0x0B while the UPS is silent and recovery after; the optional pass-through to the UPS
(EN App. "MODBUS TCP ACCESS"; MODBUS TCP card §16)."""

from __future__ import annotations

import pytest
from pymodbus.client import AsyncModbusTcpClient

from netvision.daemon import Daemon
from tests.conftest import wait_for
from tests.integration.test_modbus_tcp_helpers import (
    MakeDaemon,
    mbpoll,
    mbpoll_available,
    mbpoll_binary,
    mbpoll_words,
    modbus_daemon,
    port_of,
)

ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, GATEWAY_TARGET_FAILED = 0x01, 0x02, 0x0B


async def connect(daemon: Daemon) -> AsyncModbusTcpClient:
    client = AsyncModbusTcpClient("127.0.0.1", port=port_of(daemon), timeout=5, retries=0)
    assert await client.connect()
    return client


async def test_every_write_function_is_refused_with_illegal_function(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon)
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    before = sim.device.read(0x1020, 4)
    client = await connect(daemon)
    try:
        answers = [
            await client.write_register(0x1020, 1),
            await client.write_registers(0x1060, [1, 2, 3]),
            await client.write_coil(0, True),
            await client.write_coils(0, [True, False]),
            await client.mask_write_register(address=0x1020, and_mask=0, or_mask=0xFFFF),
            await client.readwrite_registers(read_address=0x1020, read_count=1, write_address=0x1020, values=[1]),
            await client.read_coils(0, count=8),
            await client.read_discrete_inputs(0, count=8),
        ]
        for answer in answers:
            assert answer.isError() and answer.exception_code == ILLEGAL_FUNCTION, answer
        # The UPS saw none of them, and the connection still answers reads.
        assert (await client.read_holding_registers(0x1020, count=4)).registers == before
        assert sim.device.read(0x1020, 4) == before
    finally:
        client.close()


async def test_addresses_outside_the_tables_are_illegal_address(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon)
    client = await connect(daemon)
    try:
        for address, count in ((0x0000, 1), (0x1024, 1), (0x101F, 2), (0x108E, 4), (0x1360, 4), (0xFFFF, 1)):
            answer = await client.read_holding_registers(address, count=count)
            assert answer.isError() and answer.exception_code == ILLEGAL_ADDRESS, hex(address)
        # JBUSP addresses do not exist on a VU-MAP UPS and the other way round (§7.3).
        assert (await client.read_input_registers(0x0030, count=8)).exception_code == ILLEGAL_ADDRESS
    finally:
        client.close()


async def test_mbpoll_sees_illegal_function_and_illegal_address(make_daemon: MakeDaemon) -> None:
    mbpoll_binary()
    daemon = await modbus_daemon(make_daemon)
    code, _, err = await mbpoll(port_of(daemon), "-r", str(0x1020), "127.0.0.1", "5")
    assert code != 0 and "Illegal function" in err
    code, _, err = await mbpoll(port_of(daemon), "-t", "0", "-r", "0", "127.0.0.1", "1")
    assert code != 0 and "Illegal function" in err
    code, _, err = await mbpoll(port_of(daemon), "-r", str(0x2000), "-c", "2", "127.0.0.1")
    assert code != 0 and "Illegal data address" in err


async def test_silent_ups_answers_0x0b_and_data_returns_with_it(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon, map_name="vumap")
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    poller = daemon.ups
    assert poller is not None
    client = await connect(daemon)
    try:
        assert (await client.read_holding_registers(0x0040, count=10)).registers == sim.device.read(0x0040, 10)
        sim.slave.fault("no_answer")
        await wait_for(lambda: not poller.snapshot.communicating, timeout=60)
        for read in (client.read_holding_registers, client.read_input_registers):
            answer = await read(0x0040, count=10)
            assert answer.isError() and answer.exception_code == GATEWAY_TARGET_FAILED
        # Even an address no table holds: nothing is known while the UPS is silent.
        assert (await client.read_holding_registers(0x7000, count=1)).exception_code == GATEWAY_TARGET_FAILED
        if mbpoll_available():
            code, _, err = await mbpoll(port_of(daemon), "-r", str(0x0030), "-c", "8", "127.0.0.1")
            assert code != 0 and "Target device failed to respond" in err
        sim.slave.clear_faults()
        await wait_for(lambda: poller.snapshot.communicating, timeout=60)
        # The same session carries on with fresh data.
        assert (await client.read_holding_registers(0x0040, count=10)).registers == sim.device.read(0x0040, 10)
    finally:
        client.close()


async def test_pass_through_reads_the_ups_outside_the_cached_tables(make_daemon: MakeDaemon) -> None:
    # VU-MAP modules: the poller reads their statuses, alarms and measurements only;
    # their identification tables come from the UPS on demand.
    daemon = await modbus_daemon(
        make_daemon, {"pass_through": True}, map_name="vumap", topology="modular", modules=2
    )
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    client = await connect(daemon)
    try:
        for address, count in ((0x1001, 15), (0x2010, 10), (0x101A, 10), (0x00C9, 2)):
            answer = await client.read_holding_registers(address, count=count)
            assert not answer.isError(), (hex(address), answer)
            assert answer.registers == sim.device.read(address, count), hex(address)
        # An address the UPS itself refuses: its own exception comes back.
        assert (await client.read_holding_registers(0x7000, count=2)).exception_code == ILLEGAL_ADDRESS
        if mbpoll_available():
            code, out, err = await mbpoll(port_of(daemon), "-t", "4:hex", "-r", str(0x1010), "-c", "10", "127.0.0.1")
            assert code == 0, err
            assert list(mbpoll_words(out).values()) == sim.device.read(0x1010, 10)
    finally:
        client.close()


async def test_pass_through_without_an_answer_is_0x0b(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(
        make_daemon, {"pass_through": True, "pass_through_timeout_ms": 200}, map_name="jbusp"
    )
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    client = await connect(daemon)
    try:
        assert (await client.read_holding_registers(0x1360, count=4)).registers == sim.device.read(0x1360, 4)
        sim.slave.fault("no_answer")
        answer = await client.read_holding_registers(0x1360, count=4)
        assert answer.isError() and answer.exception_code == GATEWAY_TARGET_FAILED
    finally:
        sim.slave.clear_faults()
        client.close()


async def test_a_failure_inside_the_server_answers_0x04_and_the_session_goes_on(
    make_daemon: MakeDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = await modbus_daemon(make_daemon, {"pass_through": True})
    sim = daemon.test_simulator  # type: ignore[attr-defined]

    async def broken(address: int, count: int, timeout: float) -> tuple[int, ...]:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(daemon.ups, "read_through", broken)
    client = await connect(daemon)
    try:
        assert (await client.read_holding_registers(0x1360, count=4)).exception_code == 0x04
        assert (await client.read_holding_registers(0x1020, count=4)).registers == sim.device.read(0x1020, 4)
    finally:
        client.close()
