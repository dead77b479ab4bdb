"""Wake-on-LAN: magic packets captured on a loopback UDP socket, byte for byte; the
wake-up after a stop during an AC failure; nothing sent when nothing asks."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netvision.events.bus import EventBus
from netvision.events.catalog import make_event
from netvision.services.registry import SERVICES, ServiceContext, enabled_services
from netvision.services.wake_on_lan import WakeOnLanService
from netvision.services.wake_on_lan.service import MARKER_NAME
from netvision.settings import Settings
from netvision.settings.manager import SettingsManager
from netvision.ups.model import Communication, CommunicationState, Derived, DeviceState, Identity, Snapshot
from tests.conftest import wait_for
from tests.fakes import NOW, FakeUps

SERVERS = ["00:11:22:33:44:55", "aa:bb:cc:dd:ee:ff", "02:00:00:00:00:01"]


def packet(mac: str) -> bytes:
    return b"\xff" * 6 + bytes.fromhex(mac.replace(":", "")) * 16


def snapshot(on_battery: bool, sequence: int = 1, device_kind: str = "ups") -> Snapshot:
    derived = Derived("s", "b", "o", 3, 2, conditions={"on_battery": on_battery})
    system = DeviceState(0, frozenset(), frozenset(), (), {}, derived)
    identity = Identity("jbusp", "JBUSP", device_kind, None, "model", "SN")
    return Snapshot(
        sequence, NOW, Communication(CommunicationState.OK, NOW), identity=identity, system=system
    )


@pytest.fixture
def capture() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    yield sock
    sock.close()


def captured(sock: socket.socket) -> list[bytes]:
    packets = []
    while True:
        try:
            packets.append(sock.recv(2048))
        except BlockingIOError:
            return packets


def make_service(
    tmp_path: Path, port: int, ups: FakeUps | None = None, **wake_on_lan: Any
) -> tuple[WakeOnLanService, EventBus, ServiceContext]:
    targets = [
        {"mac": SERVERS[0], "description": "file server"},
        {"mac": SERVERS[1], "enabled": False},
        {"mac": SERVERS[2].upper().replace(":", "-")},
    ]
    settings = Settings.model_validate(
        {
            "data_dir": str(tmp_path),
            "wake_on_lan": {
                "enabled": True,
                "targets": targets,
                "address": "127.0.0.1",
                "port": port,
                **wake_on_lan,
            },
        }
    )
    bus = EventBus()
    context = ServiceContext(SettingsManager(settings, None, bus), ups or FakeUps(), bus, tmp_path)
    context = context.for_service("wake_on_lan")
    return WakeOnLanService(context), bus, context


def test_both_services_are_registered_and_off_by_default() -> None:
    names = {entry.name: entry for entry in SERVICES}
    assert {"syslog", "wake_on_lan"} <= set(names)
    running = {entry.name for entry in enabled_services(Settings())}
    assert not {"syslog", "wake_on_lan"} & running
    assert names["syslog"].sections == ("syslog",)
    assert names["wake_on_lan"].sections == ("wake_on_lan",)
    on = Settings.model_validate(
        {"syslog": {"enabled": True, "server": "192.0.2.1"}, "wake_on_lan": {"enabled": True}}
    )
    assert {"syslog", "wake_on_lan"} <= {entry.name for entry in enabled_services(on)}


async def test_test_sends_each_enabled_server_its_packet_repeat_times(
    tmp_path: Path, capture: socket.socket
) -> None:
    port = capture.getsockname()[1]
    service, bus, context = make_service(tmp_path, port, repeat=2, interval=1)
    events = bus.subscribe("test")
    await service.start()
    try:
        started = asyncio.get_running_loop().time()
        assert await service.test(by="admin") == 4
        assert asyncio.get_running_loop().time() - started >= 0.9  # one interval between the rounds
        expected = [packet(SERVERS[0]), packet(SERVERS[2])] * 2
        assert captured(capture) == expected
        event = events.get_nowait()
        assert event is not None and event.id == "nv.wol_sent"
        assert event.text_en == "Wake On LAN packet sent to clients"
        assert event.data["by"] == "admin"
        assert service.counters()["packets_sent"] == 4
    finally:
        await context.release()
        await service.stop()


async def test_test_of_the_ticked_servers_only(tmp_path: Path, capture: socket.socket) -> None:
    service, _bus, context = make_service(tmp_path, capture.getsockname()[1])
    await service.start()
    try:
        assert await service.test([SERVERS[1]]) == 1  # a disabled row may still be tested
        assert captured(capture) == [packet(SERVERS[1])]
    finally:
        await context.release()


async def test_after_an_ac_failure_stop_the_servers_are_woken_when_mains_is_back(
    tmp_path: Path, capture: socket.socket
) -> None:
    port = capture.getsockname()[1]
    # The UPS goes on battery; the gateway stops before the mains comes back.
    service, bus, context = make_service(tmp_path, port)
    await service.start()
    bus.publish(make_event("trap.on_battery"))
    assert (tmp_path / MARKER_NAME).exists()
    await context.release()
    await service.stop()

    # The gateway starts again: the UPS is still on battery, then the mains returns.
    ups = FakeUps(snapshot(on_battery=True))
    service, bus, context = make_service(tmp_path, port, ups)
    events = bus.subscribe("test")
    await service.start()
    try:
        await asyncio.sleep(0.2)
        assert captured(capture) == []
        ups.publish(snapshot(on_battery=False, sequence=2))
        await wait_for(lambda: service.counters()["packets_sent"] == 2)
        await asyncio.sleep(0.05)
        assert captured(capture) == [packet(SERVERS[0]), packet(SERVERS[2])]
        assert not (tmp_path / MARKER_NAME).exists()
        event = events.get_nowait()
        assert event is not None and event.id == "nv.wol_sent" and event.data["via"] == "startup"
        ups.publish(snapshot(on_battery=False, sequence=3))
        await asyncio.sleep(0.1)
        assert captured(capture) == []  # once
    finally:
        await context.release()


async def test_mains_back_before_the_stop_wakes_nobody(tmp_path: Path, capture: socket.socket) -> None:
    port = capture.getsockname()[1]
    service, bus, context = make_service(tmp_path, port)
    await service.start()
    bus.publish(make_event("trap.on_battery"))
    bus.publish(make_event("trap.power_restored"))
    assert not (tmp_path / MARKER_NAME).exists()
    await context.release()
    await service.stop()
    service, bus, context = make_service(tmp_path, port, FakeUps(snapshot(on_battery=False)))
    await service.start()
    try:
        await asyncio.sleep(0.2)
        assert captured(capture) == []
        assert service.counters()["packets_sent"] == 0
    finally:
        await context.release()


async def test_no_wake_up_behind_a_sts(tmp_path: Path, capture: socket.socket) -> None:
    (tmp_path / MARKER_NAME).write_text("trap.on_battery\n")
    ups = FakeUps(snapshot(on_battery=False, device_kind="sts"))
    service, _bus, context = make_service(tmp_path, capture.getsockname()[1], ups)
    await service.start()
    try:
        await asyncio.sleep(0.2)
        assert captured(capture) == []
        assert not (tmp_path / MARKER_NAME).exists()
    finally:
        await context.release()
