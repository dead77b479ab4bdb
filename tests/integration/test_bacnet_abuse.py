"""The BACnet/IP device under abuse: forged Forwarded-NPDUs, malformed datagrams,
COV subscriptions that never end, costly ReadPropertyMultiple requests (raw UDP on
loopback against a device of the real application class)."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netvision.services.bacnet import device as d

DEVICE_ID = 1883
# ReadProperty(device,1883 object-name), invoke ID 7 (BACnet clause 15.5, 20.1.2).
READ_NAME_APDU = bytes((0x00, 0x05, 0x07, 0x0C, 0x0C)) + struct.pack(">I", (8 << 22) | DEVICE_ID) + b"\x19\x4d"
WHO_IS = b"\x01\x00\x10\x08"  # NPDU without reply expected, Who-Is with no range


def original_unicast(npdu: bytes) -> bytes:
    return b"\x81\x0a" + struct.pack(">H", 4 + len(npdu)) + npdu


def forwarded(npdu: bytes, origin: tuple[str, int]) -> bytes:
    address = socket.inet_aton(origin[0]) + struct.pack(">H", origin[1])
    return b"\x81\x04" + struct.pack(">H", 10 + len(npdu)) + address + npdu


class Device:
    def __init__(self, app: Any, link: Any, port: int, peers: list[str]) -> None:
        self.app, self.link, self.port, self.peers = app, link, port, peers


@pytest.fixture
async def device() -> AsyncIterator[Device]:
    peers: list[str] = []
    objects = d.make_value_objects()
    app, link = d.build_application([d.make_device_object(DEVICE_ID), *objects], "127.0.0.1", 0, peers=lambda: peers)
    await asyncio.gather(*link.server._transport_tasks)
    yield Device(app, link, link.server.local_address[1], peers)
    for detection in app._cov_detections.values():
        for subscription in list(detection.cov_subscriptions):
            subscription.cancel_subscription()
    link.close()
    app.close()


async def receive(sock: socket.socket, timeout: float) -> bytes | None:
    loop = asyncio.get_running_loop()
    try:
        data, _ = await asyncio.wait_for(loop.sock_recvfrom(sock, 2048), timeout)
    except TimeoutError:
        return None
    return bytes(data)


async def answers_read_property(device: Device) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.1", 0))
        client.setblocking(False)
        client.sendto(original_unicast(b"\x01\x04" + READ_NAME_APDU), ("127.0.0.1", device.port))
        answer = await receive(client, 10)
    # A ComplexACK (0x30) for invoke ID 7, ReadProperty (0x0C), with the name "NET VISION".
    return answer is not None and b"\x30\x07\x0c" in answer and b"NET VISION" in answer


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


async def test_forwarded_npdu_is_accepted_only_from_a_configured_peer(device: Device, caplog: Any) -> None:
    attacker, victim = udp_socket(), udp_socket()
    try:
        forged = forwarded(WHO_IS, victim.getsockname())
        assert len(forged) < 25
        with caplog.at_level(logging.INFO):
            for _ in range(50):
                attacker.sendto(forged, ("127.0.0.1", device.port))
            assert await receive(victim, 0.5) is None  # no I-Am reflected to the address inside
            assert await receive(attacker, 0.1) is None
            assert await answers_read_property(device)
        lines = [r for r in caplog.records if "Forwarded-NPDU" in r.getMessage()]
        assert len(lines) == 1 and not any(r.exc_info for r in caplog.records)
        assert device.app.guard is not None and device.app.guard.dropped.total == 50
        # A configured BBMD peer forwards on behalf of others: answered as BACnet says (J.4.5).
        device.peers.append("127.0.0.1")
        attacker.sendto(forged, ("127.0.0.1", device.port))
        i_am = await receive(victim, 10)
        assert i_am is not None and i_am[4:].startswith(b"\x01") and b"\x10\x00" in i_am
    finally:
        attacker.close()
        victim.close()


async def test_a_malformed_datagram_is_one_log_line_without_traceback(device: Device, caplog: Any) -> None:
    sender = udp_socket()
    try:
        with caplog.at_level(logging.DEBUG):
            for datagram in [b"\x81\x0a", b"\x81\x0a\x00\x05\x01", b"\x81\x0a\x00\x08\x01\x04\x00\x05"] * 20:
                sender.sendto(datagram, ("127.0.0.1", device.port))
            sender.sendto(b"\x81\x0a" + b"\x00" * 3000, ("127.0.0.1", device.port))  # larger than any NPDU
            assert await answers_read_property(device)
    finally:
        sender.close()
    assert not any(r.exc_info for r in caplog.records)
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) == 1
    assert len(caplog.text) < 1000


async def test_cov_lifetimes_are_bounded_and_subscriptions_counted_per_source(device: Device) -> None:
    from bacpypes3.apdu import SubscribeCOVRequest
    from bacpypes3.errors import ExecutionError
    from bacpypes3.pdu import Address

    def request(process: int, instance: int, lifetime: int | None, source: str = "127.0.0.1:47999") -> Any:
        apdu = SubscribeCOVRequest(
            subscriberProcessIdentifier=process,
            monitoredObjectIdentifier=("analogValue", instance),
            issueConfirmedNotifications=False,
            lifetime=lifetime,
        )
        apdu.pduSource = Address(source)
        apdu.apduInvokeID = process % 256
        return apdu

    for lifetime in (0, d.MAX_COV_LIFETIME + 1):  # indefinite, and longer than an hour
        with pytest.raises(ExecutionError) as refused:
            await device.app.do_SubscribeCOVRequest(request(1, 1, lifetime))
        assert (refused.value.errorClass, refused.value.errorCode) == ("services", "valueOutOfRange")
    for process in range(d.MAX_COV_SUBSCRIPTIONS_PER_SOURCE):
        await device.app.do_SubscribeCOVRequest(request(process, 1 + process % 80, 60))
    with pytest.raises(ExecutionError) as refused:
        await device.app.do_SubscribeCOVRequest(request(999, 3, 60))
    assert refused.value.errorCode == "noSpaceToAddListElement"
    await device.app.do_SubscribeCOVRequest(request(0, 1, 60))  # a renewal is still accepted
    await device.app.do_SubscribeCOVRequest(request(999, 3, 60, source="127.0.0.1:47998"))  # another source is
    assert device.app.cov_subscription_count() == d.MAX_COV_SUBSCRIPTIONS_PER_SOURCE + 1


async def test_read_property_multiple_all_is_bounded_and_cached(device: Device) -> None:
    from bacpypes3.apdu import ReadPropertyMultipleRequest
    from bacpypes3.app import Application
    from bacpypes3.basetypes import PropertyReference, ReadAccessSpecification
    from bacpypes3.errors import OutOfResources
    from bacpypes3.pdu import Address

    app = device.app
    identifiers = [("device", DEVICE_ID), *(obj.objectIdentifier for obj in app.objectIdentifier.values())]

    def rpm(*specs: tuple[Any, str]) -> Any:
        request = ReadPropertyMultipleRequest(
            listOfReadAccessSpecs=[
                ReadAccessSpecification(
                    objectIdentifier=identifier, listOfPropertyReferences=[PropertyReference(propertyIdentifier=prop)]
                )
                for identifier, prop in specs
            ]
        )
        request.pduSource = Address("127.0.0.1:47999")
        return request

    answers: list[Any] = []

    async def capture(apdu: Any) -> None:
        answers.append(apdu)

    app.response = capture  # type: ignore[method-assign]
    everything = rpm(*((identifier, "all") for identifier in identifiers))
    await Application.do_ReadPropertyMultipleRequest(app, everything)  # bacpypes3's own answer
    await app.do_ReadPropertyMultipleRequest(everything)
    await app.do_ReadPropertyMultipleRequest(everything)  # from the cache

    def content(ack: Any) -> dict[Any, set[str]]:
        return {
            str(result.objectIdentifier): {str(element.propertyIdentifier) for element in result.listOfResults}
            for result in ack.listOfReadAccessResults
        }

    assert content(answers[0]) == content(answers[1]) == content(answers[2])
    # A value object that changes is read again.
    analog = next(obj for obj in app.objectIdentifier.values() if isinstance(obj, d.AnalogValue))
    before = [e.readResult.propertyValue for r in answers[1].listOfReadAccessResults for e in r.listOfResults
              if str(r.objectIdentifier) == str(analog.objectIdentifier) and str(e.propertyIdentifier) == "present-value"]
    analog.presentValue = 123.0
    app.changed(analog.objectIdentifier)
    await app.do_ReadPropertyMultipleRequest(rpm((analog.objectIdentifier, "all")))
    after = [e.readResult.propertyValue for e in answers[-1].listOfReadAccessResults[0].listOfResults
             if str(e.propertyIdentifier) == "present-value"]
    assert before != after
    # The same object's 'all' asked for again and again in one datagram: refused at once.
    with pytest.raises(OutOfResources):
        await app.do_ReadPropertyMultipleRequest(rpm(*[(("analogValue", 1), "all")] * 200))


def generated_datagrams() -> list[bytes]:
    """Datagrams drawn by Hypothesis (seeded): raw bytes and BACnet/IP-shaped ones."""
    drawn: list[bytes] = []
    shaped = st.builds(
        lambda function, body, lie: b"\x81" + bytes((function,)) + struct.pack(">H", (len(body) + 4 + lie) % 65536)
        + body,
        st.sampled_from([0x00, 0x04, 0x05, 0x09, 0x0A, 0x0B, 0x0C, 0x20]),
        st.binary(max_size=120),
        st.sampled_from([0, 0, 0, 1, -1]),
    )
    npdu = st.builds(
        lambda control, apdu: original_unicast(bytes((0x01, control)) + apdu),
        st.sampled_from([0x00, 0x04, 0x08, 0x20, 0x24]),
        st.one_of(st.binary(max_size=80), st.just(READ_NAME_APDU).map(lambda a: a[: len(a) // 2])),
    )

    @settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @given(st.one_of(st.binary(max_size=200), shaped, npdu))
    def draw(datagram: bytes) -> None:
        drawn.append(datagram)

    draw()
    return drawn


async def test_fuzzed_datagrams_never_stop_the_device_answering(device: Device, caplog: Any) -> None:
    sender = udp_socket()
    try:
        with caplog.at_level(logging.INFO):
            for number, datagram in enumerate(generated_datagrams()):
                sender.sendto(datagram, ("127.0.0.1", device.port))
                if number % 25 == 0:
                    await asyncio.sleep(0.01)  # the device shares this loop
            assert await answers_read_property(device)
    finally:
        sender.close()
    assert not any(r.exc_info for r in caplog.records)
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) <= 1
