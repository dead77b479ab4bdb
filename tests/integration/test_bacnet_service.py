"""The BACnet service's lifecycle with a stand-in poller: STS detection, a port
already in use, settings changes (UDP sockets on loopback, no client)."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netvision.events.bus import EventBus
from netvision.services.bacnet.service import BacnetService
from netvision.services.registry import SERVICES, ServiceContext
from netvision.settings import Settings
from netvision.settings.manager import SettingsManager
from netvision.ups.model import Communication, CommunicationState, Identity, Snapshot
from tests.conftest import free_port, wait_for
from tests.fakes import FakeUps

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def identified(device_kind: str, sequence: int) -> Snapshot:
    identity = Identity(
        map_name="sts" if device_kind == "sts" else "jbusp",
        map_title="STS" if device_kind == "sts" else "JBUSP",
        device_kind=device_kind,
        type_code=None,
        model="STATYS" if device_kind == "sts" else "MASTERYS 3/1 UPS",
        serial_number="SN",
    )
    return Snapshot(sequence, NOW, Communication(CommunicationState.STARTING, NOW), identity=identity)


def make_service(tmp_path: Path, port: int) -> tuple[BacnetService, FakeUps, SettingsManager]:
    settings = Settings.model_validate(
        {"data_dir": str(tmp_path), "bacnet": {"enabled": True, "bind": "127.0.0.1", "port": port}}
    )
    manager = SettingsManager(settings, None, EventBus())
    poller = FakeUps()
    context = ServiceContext(manager, poller, EventBus(), tmp_path).for_service("bacnet")
    return BacnetService(context), poller, manager


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_bacnet_is_registered_and_follows_its_enabled_setting() -> None:
    (entry,) = [entry for entry in SERVICES if entry.name == "bacnet"]
    assert not entry.enabled(Settings())
    assert entry.enabled(Settings.model_validate({"bacnet": {"enabled": True}}))


async def test_device_closes_for_an_sts_and_reopens_for_a_ups(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    service, poller, _manager = make_service(tmp_path, port)
    await service.start()
    try:
        assert service.addresses() == [f"bacnet udp 127.0.0.1:{port} (device 1883)"]
        poller.publish(identified("sts", 1))
        assert service.addresses() == []
        assert port_is_free(port)
        poller.publish(identified("ups", 2))
        await wait_for(lambda: service.addresses(), timeout=10)
        assert not port_is_free(port)
    finally:
        await service.stop()
    assert port_is_free(port)


async def test_a_port_in_use_fails_the_start_and_a_new_port_recovers(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        service, _poller, manager = make_service(tmp_path, port)
        with pytest.raises(OSError):
            await service.start()
        assert service.addresses() == []
        new_port = free_port(socket.SOCK_DGRAM)
        old = manager.settings
        new = await manager.change({"bacnet.port": new_port}, via="test", by="test")
        await service.reconfigure(old, new)
        try:
            assert service.addresses() == [f"bacnet udp 127.0.0.1:{new_port} (device 1883)"]
        finally:
            await service.stop()


async def test_a_new_device_id_reopens_the_device(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    service, _poller, manager = make_service(tmp_path, port)
    await service.start()
    try:
        old = manager.settings
        new = await manager.change({"bacnet.device_id": 77}, via="test", by="test")
        await service.reconfigure(old, new)
        assert service.addresses() == [f"bacnet udp 127.0.0.1:{port} (device 77)"]
    finally:
        await service.stop()
    await asyncio.sleep(0)
    assert port_is_free(port)


def test_bacnet_bind_must_be_ipv4() -> None:
    with pytest.raises(ValueError):
        Settings.model_validate({"bacnet": {"bind": "::1"}})
    assert Settings.model_validate({"bacnet": {"bind": "127.0.0.1"}}).bacnet.bind == "127.0.0.1"



async def test_cov_subscriptions_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    from bacpypes3.apdu import SubscribeCOVRequest
    from bacpypes3.errors import ExecutionError
    from bacpypes3.pdu import Address

    from netvision.services.bacnet import device as d

    monkeypatch.setattr(d, "MAX_COV_SUBSCRIPTIONS", 2)
    objects = d.make_value_objects()
    app, link = d.build_application([d.make_device_object(1883), *objects], "127.0.0.1", 0)
    await asyncio.gather(*link.server._transport_tasks)
    subscriber = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    subscriber.bind(("127.0.0.1", 0))

    def request(process: int, instance: int) -> SubscribeCOVRequest:
        apdu = SubscribeCOVRequest(
            subscriberProcessIdentifier=process,
            monitoredObjectIdentifier=("analogValue", instance),
            issueConfirmedNotifications=False,
            lifetime=60,
        )
        apdu.pduSource = Address(f"127.0.0.1:{subscriber.getsockname()[1]}")
        apdu.apduInvokeID = process
        return apdu

    try:
        await app.do_SubscribeCOVRequest(request(1, 0))
        await app.do_SubscribeCOVRequest(request(2, 1))
        with pytest.raises(ExecutionError) as refused:
            await app.do_SubscribeCOVRequest(request(3, 2))
        assert (refused.value.errorClass, refused.value.errorCode) == ("resources", "noSpaceToAddListElement")
        await app.do_SubscribeCOVRequest(request(2, 1))  # a renewal is still accepted
        assert app.cov_subscription_count() == 2
    finally:
        for detection in app._cov_detections.values():
            for subscription in list(detection.cov_subscriptions):
                subscription.cancel_subscription()
        link.close()
        subscriber.close()
