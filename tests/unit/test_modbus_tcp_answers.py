"""What the Modbus TCP server answers, from a snapshot, without a socket
(EN App. "MODBUS TCP ACCESS"; MODBUS TCP card §16)."""

from __future__ import annotations

import asyncio
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netvision.events.bus import EventBus
from netvision.services.modbus_tcp.image import RegisterImage
from netvision.services.modbus_tcp.server import ModbusTcpService
from netvision.services.registry import ServiceContext
from netvision.settings import Settings
from netvision.settings.manager import SettingsManager
from netvision.ups.link import LinkError
from netvision.ups.maps.jbusp import JBUSP
from netvision.ups.maps.vumap import VUMAP
from netvision.ups.model import (
    Communication,
    CommunicationState,
    DeviceState,
    Module,
    RegisterBlock,
    Snapshot,
    Unit,
)
from netvision.ups.status import derive_lost
from tests.fakes import FakeUps

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def device(number: int, *blocks: RegisterBlock) -> DeviceState:
    return DeviceState(number, frozenset(), frozenset(), (), {}, derive_lost(), registers=blocks)


def snapshot(state: CommunicationState = CommunicationState.OK, sequence: int = 1, **parts: Any) -> Snapshot:
    return Snapshot(sequence, NOW, Communication(state, NOW), **parts)


JBUSP_SYSTEM = device(
    0,
    RegisterBlock("status", 0x1020, (0x0001, 0x0000, 0x8000, 0x0000)),
    RegisterBlock("alarms", 0x1040, (0, 0, 0, 0x0004)),
    RegisterBlock("measurements", 0x1060, tuple(range(100, 144))),  # 44 of 48 words read
)
JBUSP_IDENTITY = (
    RegisterBlock("identification", 0x1000, tuple(range(12))),
    RegisterBlock("configuration", 0x10E0, tuple(range(200, 216))),
)


def service(poller: FakeUps, **modbus: Any) -> ModbusTcpService:
    settings = Settings.model_validate({"modbus_tcp": {"enabled": True, **modbus}})
    manager = SettingsManager(settings, None, EventBus())
    context = ServiceContext(manager, poller, EventBus(), Path(".")).for_service("modbus_tcp")
    return ModbusTcpService(context)


def read(function: int, address: int, count: int) -> bytes:
    return struct.pack(">BHH", function, address, count)


def words_of(pdu: bytes) -> list[int]:
    assert pdu[1] == len(pdu) - 2, pdu
    return list(struct.unpack(f">{pdu[1] // 2}H", pdu[2:]))


def jbusp_service(**modbus: Any) -> tuple[ModbusTcpService, FakeUps]:
    poller = FakeUps(snapshot(system=JBUSP_SYSTEM), register_map=JBUSP, identity=JBUSP_IDENTITY)
    return service(poller, **modbus), poller


async def test_whole_tables_are_served_at_the_jbusp_addresses() -> None:
    server, _ = jbusp_service()
    assert words_of(await server.answer(1, read(3, 0x1020, 4))) == [1, 0, 0x8000, 0]
    assert words_of(await server.answer(1, read(3, 0x1040, 4))) == [0, 0, 0, 4]
    assert words_of(await server.answer(1, read(3, 0x1000, 12))) == list(range(12))
    assert words_of(await server.answer(1, read(3, 0x10E0, 16))) == list(range(200, 216))


async def test_unread_tail_of_the_measurement_table_is_not_managed() -> None:
    server, _ = jbusp_service()
    # App. JBUSP: "requesting 48 words to address 0x1060"; M44–M47 have no meaning.
    assert words_of(await server.answer(1, read(3, 0x1060, 48))) == [*range(100, 144), *[0xFFFF] * 4]


async def test_part_of_a_table_or_a_single_word_with_either_read_function() -> None:
    server, _ = jbusp_service()
    assert words_of(await server.answer(1, read(4, 0x1062, 3))) == [102, 103, 104]
    assert words_of(await server.answer(1, read(3, 0x1043, 1))) == [4]
    assert (await server.answer(1, read(4, 0x1043, 1)))[0] == 4


async def test_address_outside_the_tables_is_illegal_data_address() -> None:
    server, poller = jbusp_service()
    assert await server.answer(1, read(3, 0x1024, 1)) == bytes([0x83, 0x02])
    assert await server.answer(1, read(4, 0x101F, 2)) == bytes([0x84, 0x02])  # straddles a table start
    assert await server.answer(1, read(3, 0x108F, 2)) == bytes([0x83, 0x02])  # straddles a table end
    assert await server.answer(1, read(3, 0x1360, 4)) == bytes([0x83, 0x02])  # UPS clock: not served
    assert poller.reads == []


async def test_writes_are_illegal_function() -> None:
    server, _ = jbusp_service()
    assert await server.answer(1, struct.pack(">BHH", 6, 0x1020, 1)) == bytes([0x86, 0x01])
    assert await server.answer(1, struct.pack(">BHHB2H", 0x10, 0x1060, 2, 4, 0, 0)) == bytes([0x90, 0x01])
    assert await server.answer(1, struct.pack(">BHH", 5, 0, 0xFF00)) == bytes([0x85, 0x01])


async def test_lost_communication_answers_gateway_target_failed_instead_of_stale_data() -> None:
    server, poller = jbusp_service(pass_through=True)
    poller.snapshot = snapshot(CommunicationState.LOST, 2, system=JBUSP_SYSTEM)
    assert await server.answer(1, read(3, 0x1020, 4)) == bytes([0x83, 0x0B])
    assert await server.answer(1, read(3, 0x2000, 4)) == bytes([0x83, 0x0B])
    assert poller.reads == []
    poller.snapshot = snapshot(CommunicationState.OK, 3, system=JBUSP_SYSTEM)
    assert words_of(await server.answer(1, read(3, 0x1020, 1))) == [1]


async def test_a_starting_poller_has_no_data_to_serve() -> None:
    server = service(FakeUps(snapshot(CommunicationState.STARTING), register_map=None))
    assert await server.answer(1, read(3, 0x1020, 4)) == bytes([0x83, 0x0B])


async def test_new_snapshot_replaces_the_served_words() -> None:
    server, poller = jbusp_service()
    assert words_of(await server.answer(1, read(3, 0x1020, 1))) == [1]
    changed = device(0, RegisterBlock("status", 0x1020, (0x0010, 0, 0, 0)))
    poller.snapshot = snapshot(sequence=2, system=changed)
    assert words_of(await server.answer(1, read(3, 0x1020, 1))) == [0x10]


async def test_pass_through_forwards_unmapped_reads_with_the_card_timeout() -> None:
    server, poller = jbusp_service(pass_through=True)
    poller.through = (7, 8)
    assert words_of(await server.answer(1, read(3, 0x1360, 2))) == [7, 8]
    assert poller.reads == [(0x1360, 2, 0.5)]
    # Cached tables never go to the UPS.
    await server.answer(1, read(3, 0x1020, 4))
    assert len(poller.reads) == 1


async def test_pass_through_without_answer_is_gateway_target_failed() -> None:
    server, poller = jbusp_service(pass_through=True, pass_through_timeout_ms=100)
    poller.through = TimeoutError()
    assert await server.answer(1, read(3, 0x1360, 2)) == bytes([0x83, 0x0B])
    poller.through = LinkError("crc", "answer with a bad CRC")
    assert await server.answer(1, read(4, 0x1360, 2)) == bytes([0x84, 0x0B])
    assert poller.reads[0][2] == 0.1


async def test_pass_through_forwards_the_ups_exception() -> None:
    server, poller = jbusp_service(pass_through=True)
    poller.through = LinkError("exception", "exception reply 0x02", 2)
    assert await server.answer(1, read(3, 0x7000, 2)) == bytes([0x83, 0x02])


async def test_unit_identifier_filter_answers_other_units_with_0x0b() -> None:
    server, _ = jbusp_service(unit_id=1)
    assert words_of(await server.answer(1, read(3, 0x1020, 1))) == [1]
    assert await server.answer(2, read(3, 0x1020, 1)) == bytes([0x83, 0x0B])
    any_unit, _ = jbusp_service()
    for unit in (0, 1, 17, 255):
        assert words_of(await any_unit.answer(unit, read(3, 0x1020, 1))) == [1]


async def test_parallel_system_units_and_modules_are_at_their_own_addresses() -> None:
    system = device(0, RegisterBlock("status", 0x0020, (0xAAAA, 0, 0, 0)))
    unit2 = device(2, RegisterBlock("status", 0x2020, (0x2222, 0, 0, 0)))
    module = device(3, RegisterBlock("measurements", 0x3060, (5,) * 44))
    poller = FakeUps(
        snapshot(system=system, units=(Unit(2, unit2),), modules=(Module(3, module),)),
        register_map=JBUSP,
        identity=(RegisterBlock("identification", 0x2000, (9,) * 12),),
    )
    server = service(poller)
    assert words_of(await server.answer(1, read(3, 0x0020, 1))) == [0xAAAA]
    assert words_of(await server.answer(1, read(3, 0x2020, 1))) == [0x2222]
    assert words_of(await server.answer(1, read(3, 0x2000, 1))) == [9]
    assert words_of(await server.answer(1, read(3, 0x3060, 2))) == [5, 5]
    assert await server.answer(1, read(3, 0x305E, 4)) == bytes([0x83, 0x02])  # 0x305E is unmapped
    assert words_of(await server.answer(1, read(3, 0x308C, 4))) == [0xFFFF] * 4


async def test_adjacent_vumap_tables_read_in_one_request() -> None:
    blocks = (
        RegisterBlock("status", 0x0030, tuple(range(8))),
        RegisterBlock("alarms", 0x0038, tuple(range(10, 18))),
        RegisterBlock("measurements", 0x0040, tuple(range(1000, 1076))),
    )
    poller = FakeUps(snapshot(system=device(0, *blocks)), register_map=VUMAP)
    server = service(poller)
    words = words_of(await server.answer(1, read(3, 0x0030, 96)))
    assert words == [*range(8), *range(10, 18), *range(1000, 1076), *[0xFFFF] * 4]


def test_image_rejects_a_read_that_leaves_the_cached_words() -> None:
    image = RegisterImage.build(None, [RegisterBlock("x", 0xFFFE, (1, 2, 3))])
    assert len(image) == 2
    assert image.read(0xFFFE, 2) == [1, 2]
    assert image.read(0xFFFD, 2) is None


async def test_answers_are_concurrent_safe_for_many_clients() -> None:
    server, _ = jbusp_service()
    answers = await asyncio.gather(*(server.answer(1, read(3, 0x1060 + i, 1)) for i in range(44)))
    assert [words_of(a)[0] for a in answers] == list(range(100, 144))
