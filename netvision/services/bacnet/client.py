"""A small BACnet/IP client (bacpypes3's client side), run as its own process by
the tests and ``scripts/bench_bacnet.py``; every command prints JSON lines.

    python -m netvision.services.bacnet.client --device 127.0.0.1:47808 whois
    python -m netvision.services.bacnet.client --device 127.0.0.1:47808 read-all
    python -m netvision.services.bacnet.client --device 127.0.0.1:47808 write analog-value,0 present-value 5
    python -m netvision.services.bacnet.client --device 127.0.0.1:47808 cov analog-value,0 multi-state-value,1
    python -m netvision.services.bacnet.client --device 127.0.0.1:47808 bench --requests 200

It uses unicast requests only: broadcasts on the loopback interface do not
reach other sockets, and a unicast Who-Is is answered the same way.
It deliberately does not import the device's own classes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import time
from typing import Any

from bacpypes3.apdu import ErrorRejectAbortNack, WritePropertyMultipleRequest
from bacpypes3.app import Application
from bacpypes3.basetypes import PropertyValue, WriteAccessSpecification
from bacpypes3.constructeddata import Any as AnyValue
from bacpypes3.ipv4.link import NormalLinkLayer
from bacpypes3.local.device import DeviceObject
from bacpypes3.pdu import Address, IPv4Address
from bacpypes3.primitivedata import ObjectIdentifier, Real

CLIENT_DEVICE_ID = 4194000
DEVICE_PROPERTIES = (
    "object-name",
    "object-type",
    "system-status",
    "vendor-name",
    "vendor-identifier",
    "model-name",
    "firmware-revision",
    "application-software-version",
    "location",
    "description",
    "protocol-version",
    "protocol-revision",
    "protocol-services-supported",
    "protocol-object-types-supported",
    "max-apdu-length-accepted",
    "segmentation-supported",
    "local-date",
    "local-time",
    "device-address-binding",
    "database-revision",
    "profile-name",
)


def make_client(bind: str = "127.0.0.1") -> Application:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind, 0))
    sock.setblocking(False)
    port = sock.getsockname()[1]
    address = IPv4Address(f"{bind}/32:{port}")
    device = DeviceObject(objectIdentifier=("device", CLIENT_DEVICE_ID), objectName=f"netvision-test-client-{port}")
    app = Application.from_object_list([device])
    app.nsap.bind(NormalLinkLayer(address, bind_socket=sock), address=address)
    return app


def to_json(value: Any) -> Any:
    """bacpypes3 values → JSON-friendly values."""
    if value is None or isinstance(value, bool | int | float | str):
        if isinstance(value, float):
            return float(value)
        if isinstance(value, int) and not isinstance(value, bool) and type(value) is not int:
            return int(value)
        return value
    if isinstance(value, ErrorRejectAbortNack) or hasattr(value, "errorClass"):
        return {"error": f"{value.errorClass}/{value.errorCode}"}
    if isinstance(value, ObjectIdentifier):
        return f"{value[0]},{value[1]}"
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), list):
        return list(value.value)  # BitString
    if hasattr(value, "asn1") or hasattr(value, "attr"):
        return str(value)
    try:
        return [to_json(item) for item in value]
    except TypeError:
        return str(value)


def error_text(error: Any) -> str:
    if hasattr(error, "errorClass") and getattr(error, "errorClass", None) is not None:
        return f"{error.errorClass}/{error.errorCode}"
    for attribute in ("apduAbortRejectReason", "reason"):
        if getattr(error, attribute, None) is not None:
            return f"{type(error).__name__}/{getattr(error, attribute)}"
    return f"{type(error).__name__}/{error}"


def emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


async def whois(app: Application, device: Address, low: int | None, high: int | None) -> None:
    found = await app.who_is(low, high, address=device, timeout=3)
    for i_am in found:
        emit(
            {
                "i_am": i_am.iAmDeviceIdentifier[1],
                "vendor": int(i_am.vendorID),
                "max_apdu": int(i_am.maxAPDULengthAccepted),
                "source": str(i_am.pduSource),
            }
        )
    emit({"done": len(found)})


async def who_has(app: Application, device: Address, name: str, timeout: float = 3) -> None:
    found = await app.who_has(object_name=name, address=device, timeout=timeout)
    for i_have in found:
        emit({"i_have": to_json(i_have.objectIdentifier), "name": str(i_have.objectName)})
    emit({"done": len(found)})


async def read_all(app: Application, device: Address, device_id: int) -> None:
    """The device's properties and every object's name, present value and status flags."""
    device_object = ObjectIdentifier(("device", device_id))
    result: dict[str, Any] = {"device": {}, "objects": {}}
    for name in DEVICE_PROPERTIES:
        try:
            value = await app.read_property(device, device_object, name)
        except ErrorRejectAbortNack as error:
            result["device"][name] = {"error": error_text(error)}
        else:
            result["device"][name] = to_json(value)
    object_list = await app.read_property(device, device_object, "object-list")
    result["device"]["object-list"] = to_json(object_list)
    parameters: list[Any] = []
    wanted = ["object-name", "present-value", "status-flags", "out-of-service", "event-state"]
    for identifier in object_list:
        if identifier[0] == "device" or str(identifier[0]) == "device":
            continue
        extra = []
        kind = str(identifier[0])
        if kind == "analog-value":
            extra = ["units"]
        elif kind == "multi-state-value":
            extra = ["number-of-states", "state-text"]
        elif kind == "bitstring-value":
            extra = ["bit-text"]
        parameters += [identifier, wanted + extra]
    values = await app.read_property_multiple(device, parameters)
    if isinstance(values, ErrorRejectAbortNack):
        raise SystemExit(f"ReadPropertyMultiple failed: {error_text(values)}")
    for identifier, prop, _index, value in values:
        key = f"{identifier[0]},{identifier[1]}"
        result["objects"].setdefault(key, {})[str(prop)] = to_json(value)
    emit(result)


async def write(app: Application, device: Address, identifier: str, prop: str, value: str, priority: int | None) -> None:
    try:
        response = await app.write_property(device, identifier, prop, value, priority=priority)
    except ErrorRejectAbortNack as error:
        emit({"error": error_text(error)})
        return
    emit({"ok": True, "response": str(response)})


async def write_multiple(app: Application, device: Address, identifier: str, prop: str, value: float) -> None:
    """WritePropertyMultiple of one REAL value (bacpypes3 has no client helper for it)."""
    request = WritePropertyMultipleRequest(
        listOfWriteAccessSpecs=[
            WriteAccessSpecification(
                objectIdentifier=ObjectIdentifier(identifier),
                listOfProperties=[PropertyValue(propertyIdentifier=prop, value=AnyValue(Real(value)))],
            )
        ],
        destination=device,
    )
    try:
        await app.request(request)
    except ErrorRejectAbortNack as error:
        emit({"error": error_text(getattr(error, "errorType", None) or error)})
        return
    emit({"ok": True})


async def cov(app: Application, device: Address, identifiers: list[str], count: int, confirmed: bool = False) -> None:
    """Subscribe to each object (300 s) and print every notification."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def watch(identifier: str) -> None:
        object_identifier = ObjectIdentifier(identifier)
        async with app.change_of_value(device, object_identifier, None, confirmed, 300) as subscription:
            emit({"subscribed": identifier})
            while True:
                prop, value = await subscription.get_value()
                await queue.put({"object": identifier, "property": str(prop), "value": to_json(value)})

    tasks = [asyncio.create_task(watch(identifier)) for identifier in identifiers]
    try:
        received = 0
        while count <= 0 or received < count:
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait([getter, *tasks], return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                for task in done:
                    task.result()  # re-raise what ended the subscription
                return
            emit({"notification": getter.result()})
            received += 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def bench(app: Application, device: Address, device_id: int, requests: int) -> None:
    """ReadPropertyMultiple of every present value, ``requests`` times."""
    object_list = await app.read_property(device, ObjectIdentifier(("device", device_id)), "object-list")
    parameters: list[Any] = []
    for identifier in object_list:
        if str(identifier[0]) != "device":
            parameters += [identifier, ["present-value"]]
    await app.read_property_multiple(device, parameters)  # warm-up
    durations = []
    for _ in range(requests):
        started = time.perf_counter()
        values = await app.read_property_multiple(device, parameters)
        durations.append(time.perf_counter() - started)
        if isinstance(values, ErrorRejectAbortNack) or not values:
            raise SystemExit(f"ReadPropertyMultiple failed: {values!r}")
    durations.sort()
    emit(
        {
            "objects": len(parameters) // 2,
            "requests": requests,
            "mean_ms": statistics.fmean(durations) * 1000,
            "p50_ms": durations[len(durations) // 2] * 1000,
            "p99_ms": durations[min(len(durations) - 1, int(len(durations) * 0.99))] * 1000,
            "requests_per_second": requests / sum(durations),
        }
    )


async def main_async(args: argparse.Namespace) -> None:
    app = make_client()
    device = Address(args.device)
    try:
        if args.command == "whois":
            await whois(app, device, args.low, args.high)
        elif args.command == "who-has":
            await who_has(app, device, args.name, args.timeout)
        elif args.command == "read-all":
            await read_all(app, device, args.device_id)
        elif args.command == "read":
            value = await app.read_property(device, args.object, args.property)
            emit({"value": to_json(value)})
        elif args.command == "write":
            await write(app, device, args.object, args.property, args.value, args.priority)
        elif args.command == "write-multiple":
            await write_multiple(app, device, args.object, args.property, args.value)
        elif args.command == "cov":
            await cov(app, device, args.objects, args.count, args.confirmed)
        elif args.command == "bench":
            await bench(app, device, args.device_id, args.requests)
    finally:
        app.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", required=True, help="host:port of the BACnet device")
    parser.add_argument("--device-id", type=int, default=1883)
    commands = parser.add_subparsers(dest="command", required=True)
    who = commands.add_parser("whois")
    who.add_argument("--low", type=int)
    who.add_argument("--high", type=int)
    has = commands.add_parser("who-has")
    has.add_argument("name")
    has.add_argument("--timeout", type=float, default=3, help="seconds to collect I-Have answers")
    commands.add_parser("read-all")
    read = commands.add_parser("read")
    read.add_argument("object")
    read.add_argument("property")
    writer = commands.add_parser("write")
    writer.add_argument("object")
    writer.add_argument("property")
    writer.add_argument("value")
    writer.add_argument("--priority", type=int)
    multiple = commands.add_parser("write-multiple")
    multiple.add_argument("object")
    multiple.add_argument("property")
    multiple.add_argument("value", type=float)
    watcher = commands.add_parser("cov")
    watcher.add_argument("objects", nargs="+")
    watcher.add_argument("--count", type=int, default=0, help="stop after N notifications (0 = never)")
    watcher.add_argument("--confirmed", action="store_true", help="ask for confirmed notifications")
    bencher = commands.add_parser("bench")
    bencher.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
