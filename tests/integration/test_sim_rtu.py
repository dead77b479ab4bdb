"""The simulator over a real pseudo-terminal, driven by pymodbus' RTU client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import select
import termios
import tty
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pymodbus import FramerType
from pymodbus.client import AsyncModbusSerialClient
from pymodbus.exceptions import ModbusIOException
from pymodbus.framer.rtu import FramerRTU

from netvision.sim import Simulator
from netvision.sim.control import sim_client_main

# pymodbus logs every timeout at error level; the faults below cause them on purpose.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

Client = AsyncModbusSerialClient
Factory = Callable[..., Awaitable[Simulator]]
TIMEOUT = 0.3


def make_client(path: str, baud: int = 9600) -> Client:
    return AsyncModbusSerialClient(
        path, framer=FramerType.RTU, baudrate=baud, timeout=TIMEOUT, retries=0, reconnect_delay=0
    )


@pytest.fixture
async def start_sim() -> AsyncIterator[Factory]:
    started: list[Simulator] = []

    async def factory(map_name: str = "jbusp", **options: Any) -> Simulator:
        # Frozen physics: registers read over the line equal device.registers().
        options.setdefault("time_scale", 0.0)
        sim = Simulator(map_name, **options)
        await sim.start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        await sim.stop()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Awaitable[Client]]]:
    clients: list[Client] = []

    async def factory(path: str, baud: int = 9600) -> Client:
        client = make_client(path, baud)
        assert await client.connect()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


def raw_exchange(path: str, frame: bytes, wait: float = 0.3, baud: int = termios.B9600) -> bytes:
    """Write one frame on the tty and collect what comes back within ``wait`` seconds."""
    # Non-blocking: another reader of the same tty could take the bytes select() saw.
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        tty.setraw(fd)
        attributes = termios.tcgetattr(fd)
        attributes[4] = attributes[5] = baud
        termios.tcsetattr(fd, termios.TCSANOW, attributes)
        os.write(fd, frame)
        data = b""
        while True:
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                return data
            with contextlib.suppress(BlockingIOError):
                data += os.read(fd, 1024)
    finally:
        os.close(fd)


def with_crc(body: bytes) -> bytes:
    return body + FramerRTU.compute_CRC(body).to_bytes(2, "big")


async def read_table(client: Client, address: int, count: int) -> list[int]:
    words: list[int] = []
    while count:
        size = min(count, 125)
        response = await client.read_holding_registers(address, count=size, device_id=1)
        assert not response.isError(), f"0x{address:04X}: {response}"
        words += response.registers
        address += size
        count -= size
    return words


# -- every table of every map -------------------------------------------------------------

LAYOUTS = [
    ("jbusp", {}),
    ("jbusp", {"topology": "single_phase"}),
    ("jbusp", {"topology": "parallel", "units": 3}),
    ("vumap", {}),
    ("vumap", {"topology": "parallel", "units": 3, "bypass": "centralized"}),
    ("vumap", {"topology": "modular", "modules": 2}),
    ("vumap", {"topology": "converter", "measure_factor": 0}),
    ("sts", {}),
]


@pytest.mark.parametrize(("map_name", "options"), LAYOUTS)
async def test_every_table_reads_as_the_device_registers(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]], map_name: str, options: dict[str, Any]
) -> None:
    sim = await start_sim(map_name, **options)
    client = await connect(sim.device_path)
    expected = sim.device.registers()
    tables = sim.device.addresses()
    assert tables
    for address, count, _name, _unit in tables:
        words = await read_table(client, address, count)
        assert words == [expected[a] for a in range(address, address + count)]


# The reads of Network UPS Tools' socomec_jbus (written against real units), and parts
# of tables the NET VISION manual documents (Modbus TCP "up to 15 words" at 0x10E0,
# one word T10 at 0x10EA, one measurement).
JBUSP_READS = [
    (0x1000, 12), (0x10E0, 32), (0x1360, 4), (0x1020, 6), (0x1040, 4), (0x1060, 48),
    (0x10E0, 15), (0x10E0, 16), (0x10EA, 1), (0x10FF, 1), (0x1077, 1), (0x1003, 5),
]


@pytest.mark.parametrize("topology", ["three_phase", "parallel"])
async def test_jbusp_answers_every_documented_read_and_part_of_a_table(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]], topology: str
) -> None:
    sim = await start_sim("jbusp", topology=topology)
    client = await connect(sim.device_path)
    for address, count in JBUSP_READS:
        response = await client.read_holding_registers(address, count=count, device_id=1)
        assert not response.isError(), (hex(address), count, response)
        assert response.registers == sim.device.read(address, count)
    configuration = await client.read_holding_registers(0x10E0, count=32, device_id=1)
    assert configuration.registers[:4] == [230, 230, 50, 50]  # T00–T03 nominal values
    past = await client.read_holding_registers(0x10F0, count=17, device_id=1)  # T16 … past T31
    assert past.isError() and past.exception_code == 0x02


async def test_function_04_reads_the_same_tables(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("vumap")
    client = await connect(sim.device_path)
    response = await client.read_input_registers(0x0030, count=96, device_id=1)
    assert response.registers == sim.device.read(0x0030, 96)


async def test_scenario_change_is_seen_on_the_line(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("jbusp")
    client = await connect(sim.device_path)
    before = await client.read_holding_registers(0x1020, count=4, device_id=1)
    assert not before.registers[0] >> 5 & 1
    sim.device.scenario("mains_failure")
    after = await client.read_holding_registers(0x1020, count=4, device_id=1)
    assert after.registers[0] >> 5 & 1  # S05 on battery


# -- exceptions -----------------------------------------------------------------------------


async def test_exceptions_illegal_function_address_and_value(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("vumap")
    client = await connect(sim.device_path)
    coils = await client.read_coils(0, count=8, device_id=1)
    assert coils.isError() and coils.exception_code == 0x01
    hole = await client.read_holding_registers(0x0500, count=4, device_id=1)
    assert hole.isError() and hole.exception_code == 0x02
    crossing = await client.read_holding_registers(0x0088, count=16, device_id=1)
    assert crossing.isError() and crossing.exception_code == 0x02
    write = await client.write_register(0x0040, 1, device_id=1)
    assert write.isError() and write.exception_code == 0x02
    client.close()  # the raw frames below must not be read by the client
    # count 126: the client refuses to build it, so the frame is written raw.
    reply = await asyncio.to_thread(raw_exchange, sim.device_path, with_crc(bytes([1, 3, 0, 0x40, 0, 126])))
    assert reply == with_crc(bytes([1, 0x83, 0x03]))
    # A function code pymodbus does not know still gets exception 0x01.
    reply = await asyncio.to_thread(raw_exchange, sim.device_path, with_crc(bytes([1, 0x41, 0, 0])))
    assert reply == with_crc(bytes([1, 0xC1, 0x01]))
    assert sim.slave.counters.exceptions[0x01] == 2


async def test_requests_for_another_slave_are_ignored(start_sim: Factory) -> None:
    sim = await start_sim("jbusp")
    reply = await asyncio.to_thread(raw_exchange, sim.device_path, with_crc(bytes([2, 3, 0x10, 0x20, 0, 4])))
    assert reply == b""
    assert sim.slave.counters.ignored == 1
    reply = await asyncio.to_thread(raw_exchange, sim.device_path, with_crc(bytes([1, 3, 0x10, 0x20, 0, 4])))
    assert reply[:3] == bytes([1, 3, 8])


async def test_garbage_before_a_request_is_skipped(start_sim: Factory) -> None:
    sim = await start_sim("jbusp")
    reply = await asyncio.to_thread(
        raw_exchange, sim.device_path, b"\x00\xff\x13" + with_crc(bytes([1, 3, 0x10, 0x20, 0, 4]))
    )
    assert reply[:3] == bytes([1, 3, 8])


async def test_write_multiple_registers_to_a_control_register(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("jbusp")
    client = await connect(sim.device_path)
    response = await client.write_registers(0x05B0, [0x0003], device_id=1)
    assert not response.isError()
    assert "S07" in sim.device.active_bits()[0]


# -- controls and permissions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("map_name", "register", "value", "control", "bit"),
    [("jbusp", 0x05B0, 0x0003, "eco_mode_on", "S07"), ("vumap", 0x00C8, 0x0001, "eco_mode_on", "S006")],
)
async def test_control_accepted_or_refused_by_permission(
    start_sim: Factory,
    connect: Callable[..., Awaitable[Client]],
    map_name: str,
    register: int,
    value: int,
    control: str,
    bit: str,
) -> None:
    sim = await start_sim(map_name)
    client = await connect(sim.device_path)
    sim.device.permissions(control, False)
    refused = await client.write_register(register, value, device_id=1)
    assert refused.isError() and refused.exception_code == 0x04
    assert bit not in sim.device.active_bits()[0]

    sim.device.permissions(control, True)
    accepted = await client.write_register(register, value, device_id=1)
    assert not accepted.isError()
    assert accepted.registers == [value]
    assert bit in sim.device.active_bits()[0]


# -- faults -----------------------------------------------------------------------------------


async def test_no_answer_fault_for_a_number_of_replies(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("jbusp")
    client = await connect(sim.device_path)
    sim.slave.fault("no_answer", count=2)
    for _ in range(2):
        with pytest.raises(ModbusIOException):
            await client.read_holding_registers(0x1020, count=4, device_id=1)
    response = await client.read_holding_registers(0x1020, count=4, device_id=1)
    assert not response.isError()
    assert sim.slave.counters.faults["no_answer"] == 2
    assert not sim.slave.faults


@pytest.mark.parametrize("kind", ["bad_crc", "wrong_slave", "garbage"])
async def test_corrupted_replies_are_not_accepted(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]], kind: str
) -> None:
    sim = await start_sim("vumap")
    client = await connect(sim.device_path)
    sim.slave.fault(kind, count=1)
    with pytest.raises(ModbusIOException):
        await client.read_holding_registers(0x0030, count=8, device_id=1)
    assert sim.slave.counters.faults[kind] == 1
    assert sim.slave.counters.replies == 1  # something was sent, just not a good reply
    response = await client.read_holding_registers(0x0030, count=8, device_id=1)
    assert response.registers == sim.device.read(0x0030, 8)


async def test_corrupted_reply_bytes(start_sim: Factory) -> None:
    sim = await start_sim("jbusp")
    request = with_crc(bytes([1, 3, 0x10, 0x20, 0, 4]))
    good = await asyncio.to_thread(raw_exchange, sim.device_path, request)
    sim.slave.fault("bad_crc", count=1)
    bad = await asyncio.to_thread(raw_exchange, sim.device_path, request)
    assert bad[:-1] == good[:-1] and bad[-1] != good[-1]
    sim.slave.fault("wrong_slave", count=1)
    other = await asyncio.to_thread(raw_exchange, sim.device_path, request)
    assert other[0] == 2 and FramerRTU.check_CRC(other[:-2], int.from_bytes(other[-2:], "big"))


async def test_exception_fault_answers_every_read_with_the_code(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("vumap")
    client = await connect(sim.device_path)
    sim.slave.fault("exception", 0x06)
    for address in (0x0030, 0x0001):
        response = await client.read_holding_registers(address, count=4, device_id=1)
        assert response.isError() and response.exception_code == 0x06
    sim.slave.clear_faults()
    response = await client.read_holding_registers(0x0030, count=4, device_id=1)
    assert not response.isError()


async def test_delay_fault_makes_the_client_time_out(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("jbusp")
    client = await connect(sim.device_path)
    sim.slave.fault("delay", 0.6, count=1)
    with pytest.raises(ModbusIOException):
        await client.read_holding_registers(0x1020, count=4, device_id=1)
    # Let the late reply arrive and be dropped before the next request.
    await asyncio.sleep(0.6)
    client.close()
    client = await connect(sim.device_path)
    response = await client.read_holding_registers(0x1020, count=4, device_id=1)
    assert not response.isError()


async def test_baud_fault_needs_the_client_to_redetect(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("jbusp")
    client = await connect(sim.device_path)
    sim.slave.fault("baud", 19200)
    with pytest.raises(ModbusIOException):
        await client.read_holding_registers(0x1000, count=12, device_id=1)
    client.close()
    fast = await connect(sim.device_path, baud=19200)
    response = await fast.read_holding_registers(0x1000, count=12, device_id=1)
    assert not response.isError()
    sim.slave.clear_fault("baud")
    assert sim.slave.baud == 9600


async def test_baud_mismatch_gives_no_answer(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("vumap", baud=57600)
    client = await connect(sim.device_path, baud=9600)
    with pytest.raises(ModbusIOException):
        await client.read_holding_registers(0x0001, count=15, device_id=1)
    assert sim.slave.counters.discarded_bytes > 0
    assert sim.slave.counters.requests == 0
    client.close()
    right = await connect(sim.device_path, baud=57600)
    response = await right.read_holding_registers(0x0001, count=15, device_id=1)
    assert response.registers == sim.device.read(0x0001, 15)


async def test_wire_timing_still_answers(
    start_sim: Factory, connect: Callable[..., Awaitable[Client]]
) -> None:
    sim = await start_sim("vumap", wire_timing=True, baud=57600)
    client = await connect(sim.device_path, baud=57600)
    response = await client.read_holding_registers(0x0030, count=96, device_id=1)
    assert response.registers == sim.device.read(0x0030, 96)


async def test_counters_per_function(start_sim: Factory, connect: Callable[..., Awaitable[Client]]) -> None:
    sim = await start_sim("jbusp")
    client = await connect(sim.device_path)
    await client.read_holding_registers(0x1020, count=4, device_id=1)
    await client.read_input_registers(0x1020, count=4, device_id=1)
    await client.write_register(0x05B0, 0x0004, device_id=1)
    counters = sim.slave.counters
    assert counters.requests == 3 and counters.replies == 3
    assert counters.functions == {0x03: 1, 0x04: 1, 0x06: 1}


async def test_link_points_at_the_pty(start_sim: Factory, tmp_path: Path) -> None:
    link = tmp_path / "ups"
    sim = await start_sim("jbusp", link=str(link))
    assert os.path.realpath(link) == sim.device_path
    await sim.stop()
    assert not link.exists()


# -- control socket ---------------------------------------------------------------------------


async def control_exchange(path: str, *requests: dict[str, Any] | bytes) -> list[dict[str, Any]]:
    reader, writer = await asyncio.open_unix_connection(path)
    answers = []
    for request in requests:
        line = request if isinstance(request, bytes) else json.dumps(request).encode() + b"\n"
        writer.write(line)
        await writer.drain()
        answers.append(json.loads(await reader.readline()))
    writer.close()
    await writer.wait_closed()
    return answers


async def test_control_socket_commands(start_sim: Factory, tmp_path: Path) -> None:
    control = str(tmp_path / "sim.sock")
    sim = await start_sim("jbusp", control_path=control)
    answers = await control_exchange(
        control,
        {"cmd": "scenario", "name": "mains_failure"},
        b"this is not json\n",
        {"cmd": "alarm", "acronym": "A02", "on": True},
        {"cmd": "frobnicate"},
        {"cmd": "fault", "kind": "no_answer", "count": 3},
        {"cmd": "clear_faults"},
        {"cmd": "permission", "control": "eco_mode_on", "allowed": False},
        {"cmd": "state"},
        {"cmd": "registers", "address": 0x1060, "count": 48, "unit": 1},
        {"cmd": "scenario", "name": "no_such_scenario"},
    )
    oks = [answer["ok"] for answer in answers]
    assert oks == [True, False, True, False, True, True, True, True, True, False]
    assert "error" in answers[1] and "error" in answers[3] and "error" in answers[9]
    assert answers[4]["faults"] == [{"kind": "no_answer", "value": None, "remaining": 3}]
    assert answers[5]["faults"] == []
    assert answers[6]["permissions"]["eco_mode_on"] is False
    state = answers[7]["state"]
    assert "S05" in state["devices"]["1"]["statuses"]
    assert "A02" in state["devices"]["1"]["alarms"]
    assert answers[8]["registers"] == sim.device.read(0x1060, 48)
    assert sim.device.permitted["eco_mode_on"] is False


async def test_simctl_sends_one_command(
    start_sim: Factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    control = str(tmp_path / "sim.sock")
    sim = await start_sim("vumap", control_path=control)
    code = await asyncio.to_thread(sim_client_main, [control, "alarm", "A054", "on"])
    assert code == 0
    assert "A054" in sim.device.active_bits()[1]
    code = await asyncio.to_thread(sim_client_main, [control, "fault", "delay", "0.5", "count=2"])
    assert code == 0
    assert sim.slave.faults["delay"].remaining == 2
    code = await asyncio.to_thread(sim_client_main, [control, "registers", "0x0001", "15"])
    assert code == 0
    output = capsys.readouterr().out
    assert json.loads(output[output.rindex('{\n  "ok"') :])["registers"] == sim.device.read(0x0001, 15)
    code = await asyncio.to_thread(sim_client_main, [control, "scenario", "volcano"])
    assert code == 1


# -- real serial port mode and the CLI entry point ------------------------------------------------


async def test_serial_port_mode_answers_on_the_given_port() -> None:
    # A pty stands in for the serial port: the test talks on its master side.
    master, slave = os.openpty()
    os.set_blocking(master, False)
    sim = Simulator("jbusp", serial_port=os.ttyname(slave), time_scale=0)
    try:
        await sim.start()
        os.write(master, with_crc(bytes([1, 3, 0x10, 0x00, 0, 3])))
        reply = b""
        for _ in range(100):  # bounded wait for the 11-byte reply
            await asyncio.sleep(0.01)
            with contextlib.suppress(BlockingIOError):
                reply += os.read(master, 256)
            if len(reply) >= 11:
                break
        words = sim.device.read(0x1000, 3)
        assert reply == with_crc(bytes([1, 3, 6]) + b"".join(word.to_bytes(2, "big") for word in words))
    finally:
        await sim.stop()
        os.close(master)
        os.close(slave)


async def test_run_simulator_prints_the_path_and_serves_until_cancelled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from netvision.sim import add_sim_arguments, run_simulator

    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    link = tmp_path / "sts"
    control = tmp_path / "sim.sock"
    args = parser.parse_args(["--map", "sts", "--link", str(link), "--control", str(control), "--seed", "4"])
    task = asyncio.create_task(run_simulator(args))
    for _ in range(200):  # bounded wait for start-up
        if control.exists():
            break
        await asyncio.sleep(0.01)
    printed = capsys.readouterr().out.strip()
    assert printed == os.path.realpath(link)
    client = make_client(str(link))
    assert await client.connect()
    response = await client.read_holding_registers(0x0100, count=10, device_id=1)
    assert bytes(b for word in response.registers for b in word.to_bytes(2, "big")).startswith(b"STATYS")
    client.close()
    answers = await control_exchange(str(control), {"cmd": "scenario", "name": "source1_failure"})
    assert answers[0]["ok"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not link.exists() and not control.exists()
