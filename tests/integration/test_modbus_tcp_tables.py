"""Modbus TCP clients (pymodbus, mbpoll) read the UPS tables word for word as the
simulated UPS holds them (EN §7.3, App. "MODBUS TCP ACCESS")."""

from __future__ import annotations

from typing import Any

import pytest
from pymodbus.client import AsyncModbusTcpClient

from netvision.daemon import Daemon
from tests.conftest import next_snapshot, wait_for
from tests.integration.test_modbus_tcp_helpers import (
    MakeDaemon,
    mbpoll,
    mbpoll_binary,
    mbpoll_words,
    modbus_daemon,
    port_of,
)


def served_tables(daemon: Daemon) -> list[tuple[int, int, str]]:
    """Every table of the simulated UPS the poller reads and the server must serve."""
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    register_map = daemon.ups.register_map  # type: ignore[union-attr]
    names = (*register_map.identity_blocks, *register_map.cycle_blocks)
    cached = {block.address for block in daemon.ups.identity_registers}  # type: ignore[union-attr]
    snapshot = daemon.ups.snapshot  # type: ignore[union-attr]
    devices = [snapshot.system, *(u.state for u in snapshot.units), *(m.state for m in snapshot.modules)]
    cached |= {block.address for state in devices if state for block in state.registers}
    tables = [(address, count, name) for address, count, name, _ in sim.device.addresses() if name in names]
    return [table for table in tables if table[0] in cached]


async def check_tables(daemon: Daemon, client: AsyncModbusTcpClient) -> int:
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    tables = served_tables(daemon)
    for address, count, name in tables:
        expected = sim.device.read(address, count)
        holding = await client.read_holding_registers(address, count=count)
        assert not holding.isError(), (hex(address), name, holding)
        assert holding.registers == expected, (hex(address), name)
        inputs = await client.read_input_registers(address, count=count)
        assert inputs.registers == expected, (hex(address), name)
        # "NET VISION allows reading part of the table or single word."
        last = await client.read_holding_registers(address + count - 1, count=1)
        assert last.registers == expected[-1:], (hex(address), name)
        middle = count // 2
        part = await client.read_input_registers(address + middle, count=count - middle)
        assert part.registers == expected[middle:], (hex(address), name)
    return len(tables)


@pytest.mark.parametrize(
    ("simulator", "tables"),
    [
        ({"map_name": "jbusp", "topology": "three_phase"}, 5),
        ({"map_name": "jbusp", "topology": "single_phase"}, 5),
        ({"map_name": "jbusp", "topology": "parallel", "units": 2}, 15),
        ({"map_name": "vumap", "topology": "three_phase"}, 8),
        ({"map_name": "vumap", "topology": "parallel", "units": 2}, 20),
        ({"map_name": "vumap", "topology": "modular", "modules": 2}, 14),
        ({"map_name": "sts"}, 6),
    ],
    ids=lambda value: "-".join(str(v) for v in value.values()) if isinstance(value, dict) else str(value),
)
async def test_pymodbus_reads_every_table_as_the_ups_holds_it(
    make_daemon: MakeDaemon, simulator: dict[str, Any], tables: int
) -> None:
    daemon = await modbus_daemon(make_daemon, **simulator)
    client = AsyncModbusTcpClient("127.0.0.1", port=port_of(daemon), timeout=5, retries=0)
    assert await client.connect()
    try:
        assert await check_tables(daemon, client) == tables
    finally:
        client.close()


async def test_tables_follow_a_scenario_change(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon, map_name="jbusp", topology="three_phase")
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    client = AsyncModbusTcpClient("127.0.0.1", port=port_of(daemon), timeout=5, retries=0)
    assert await client.connect()
    try:
        before = (await client.read_holding_registers(0x1020, count=4)).registers
        sim.device.scenario("mains_failure")
        await next_snapshot(daemon)
        await next_snapshot(daemon)
        after = (await client.read_holding_registers(0x1020, count=4)).registers
        assert after == sim.device.read(0x1020, 4)
        assert after != before
        assert await check_tables(daemon, client) == 5
    finally:
        client.close()


# --------------------------------------------------------------------------- mbpoll


@pytest.mark.parametrize("map_name", ["jbusp", "vumap", "sts"])
async def test_mbpoll_reads_every_table_as_the_ups_holds_it(make_daemon: MakeDaemon, map_name: str) -> None:
    mbpoll_binary()
    daemon = await modbus_daemon(make_daemon, map_name=map_name, topology="three_phase")
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    tables = served_tables(daemon)
    assert tables
    for address, count, name in tables:
        for table_type in ("4:hex", "3:hex"):  # holding (0x03) and input (0x04) registers
            code, out, err = await mbpoll(
                port_of(daemon), "-t", table_type, "-r", str(address), "-c", str(count), "127.0.0.1"
            )
            assert code == 0, (name, err)
            expected = dict(zip(range(address, address + count), sim.device.read(address, count), strict=True))
            assert mbpoll_words(out) == expected, (hex(address), name, table_type)


async def test_mbpoll_reads_a_single_word(make_daemon: MakeDaemon) -> None:
    daemon = await modbus_daemon(make_daemon, map_name="vumap", topology="three_phase")
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    await wait_for(lambda: daemon.ups.snapshot.communicating)  # type: ignore[union-attr]
    code, out, err = await mbpoll(port_of(daemon), "-t", "4:hex", "-r", str(0x0042), "127.0.0.1")
    assert code == 0, err
    assert mbpoll_words(out) == {0x0042: sim.device.read(0x0042, 1)[0]}
