"""The BACnet/IP device: bacpypes3 objects and application, read-only.

bacpypes3 lets any client write any property of a local object, has no local
BitString Value class, and its Multi-state COV criteria need a COV increment
those objects lack (shared/notes/peers-and-libraries.md §4). Here: every write
is refused with ``property, write-access-denied`` at the service and at the
object; BitString Value is composed from the generic object class; Multi-state
and BitString values use the generic COV criteria (any change is notified).

The UDP socket is opened here, without SO_REUSEPORT, so that a port already
in use is an error at start rather than two daemons silently sharing it.
"""

from __future__ import annotations

import logging
import socket
from collections import OrderedDict
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from bacpypes3.apdu import ReadPropertyMultipleACK, WritePropertyMultipleError
from bacpypes3.app import Application
from bacpypes3.basetypes import (
    DeviceStatus,
    EngineeringUnits,
    ErrorType,
    EventState,
    ObjectPropertyReference,
    ObjectTypesSupported,
    ReadAccessResult,
    Reliability,
    Segmentation,
    ServicesSupported,
    StatusFlags,
)
from bacpypes3.errors import (
    ExecutionError,
    ObjectError,
    OutOfResources,
    PropertyError,
    RejectException,
    UnrecognizedService,
)
from bacpypes3.ipv4.link import NormalLinkLayer
from bacpypes3.local.analog import AnalogValueObject as _LocalAnalogValue
from bacpypes3.local.cov import GenericCriteria
from bacpypes3.local.device import DeviceObject as _LocalDevice
from bacpypes3.local.multistate import MultiStateValueObject as _LocalMultiStateValue
from bacpypes3.local.object import Object as _LocalObject
from bacpypes3.object import BitStringValueObject as _BitStringValue
from bacpypes3.pdu import IPv4Address
from bacpypes3.primitivedata import BitString, Date, Time
from bacpypes3.service.object import read_property_to_result_element
from bacpypes3.vendor import VendorInfo, get_vendor_info

from ... import __version__
from ...ratelimit import PerSourceCounter
from . import objects as o

log = logging.getLogger("netvision.bacnet")

# Objects of a vendor identifier need its VendorInfo registered once per process.
if get_vendor_info(o.VENDOR_IDENTIFIER).vendor_identifier != o.VENDOR_IDENTIFIER:
    VendorInfo(o.VENDOR_IDENTIFIER)

# BACnet/IP: 1476 octets fit in one Ethernet frame.
MAX_APDU = 1476
# Protocol_Services_Supported: what the device executes (writes are executed as refusals).
SERVICES_SUPPORTED = (
    "subscribeCOV",
    "readProperty",
    "readPropertyMultiple",
    "writeProperty",
    "writePropertyMultiple",
    "iAm",
    "iHave",
    "whoHas",
    "whoIs",
)
# Active COV subscriptions the device keeps, all clients together, and per source address.
MAX_COV_SUBSCRIPTIONS = 256
MAX_COV_SUBSCRIPTIONS_PER_SOURCE = 32
# A subscription lasts at most an hour; an indefinite one (lifetime 0, clause 13.14.1.1.4)
# would outlive its client and fill the table: it is refused, the client renews instead.
MAX_COV_LIFETIME = 3600
# Property values one ReadPropertyMultiple may ask for, 'all' counting every property of
# its object: a whole-device read-all of present values and flags is ~650.
MAX_RPM_VALUES = 2048
_EXPANDING = ("all", "required", "optional")
# Annex J: an NPDU is at most 1497 octets; the BVLL header adds 4 (10 when forwarded).
MAX_DATAGRAM = 1497 + 10
FORWARDED_NPDU = 0x04
LAST_BVLL_FUNCTION = 0x0C  # Secure-BVLL
# StatusFlags bits: in-alarm, fault, overridden, out-of-service.
NORMAL_FLAGS = (0, 0, 0, 0)
FAULT_FLAGS = (0, 1, 0, 1)
# Why a value object is in fault (its Reliability): "" = it follows the UPS.
COMMUNICATION_FAILURE = "communicationFailure"
CONFIGURATION_ERROR = "configurationError"


class ReadOnlyObject:
    """Refuses every write: the values come from the UPS only (BACnet clause 15.9.1.3)."""

    async def write_property(self, attr: Any, value: Any, index: Any = None, priority: Any = None) -> None:
        raise PropertyError("writeAccessDenied")


class NetVisionDeviceObject(ReadOnlyObject, _LocalDevice):
    """Device object (BAC §5.2.1): Local_Date/Local_Time are the UPS clock."""

    _vendor_id = o.VENDOR_IDENTIFIER
    _ups_time: datetime | None = None

    @property
    def localDate(self) -> Date:  # type: ignore[override]
        if self._ups_time is None:
            return Date.now()
        moment = self._ups_time
        return Date((moment.year - 1900, moment.month, moment.day, moment.isoweekday()))

    @localDate.setter
    def localDate(self, value: Any) -> None:
        pass

    @property
    def localTime(self) -> Time:  # type: ignore[override]
        if self._ups_time is None:
            return Time.now()
        moment = self._ups_time
        return Time((moment.hour, moment.minute, moment.second, moment.microsecond // 10000))

    @localTime.setter
    def localTime(self, value: Any) -> None:
        pass

    @property
    def protocolObjectTypesSupported(self) -> ObjectTypesSupported:  # type: ignore[override]
        supported = ObjectTypesSupported([])
        for name in ("device", "analogValue", "multiStateValue", "bitstringValue"):
            supported[getattr(ObjectTypesSupported, name)] = 1
        return supported

    @protocolObjectTypesSupported.setter
    def protocolObjectTypesSupported(self, value: Any) -> None:
        pass


class AnalogValue(ReadOnlyObject, _LocalAnalogValue):
    _vendor_id = o.VENDOR_IDENTIFIER


class MultiStateValue(ReadOnlyObject, _LocalMultiStateValue):
    _vendor_id = o.VENDOR_IDENTIFIER
    # The COV increment criteria subtract a covIncrement Multi-state objects do not have.
    _cov_criteria = GenericCriteria
    _required = ("presentValue", "statusFlags", "eventState", "outOfService", "numberOfStates")


class BitStringValue(ReadOnlyObject, _LocalObject, _BitStringValue):
    _vendor_id = o.VENDOR_IDENTIFIER
    _cov_criteria = GenericCriteria


class NetVisionApplication(Application):
    """Who-Is/I-Am, Who-Has/I-Have, ReadProperty(Multiple), SubscribeCOV; writes refused."""

    guard: DatagramGuard | None = None

    def get_services_supported(self) -> ServicesSupported:
        # Listed here rather than found by introspection: bacpypes3 maps the unconfirmed
        # services onto confirmed bit numbers, and lists ReadRange, which it does not implement.
        supported = ServicesSupported([])
        for name in SERVICES_SUPPORTED:
            supported[getattr(ServicesSupported, name)] = 1
        return supported

    async def do_SubscribeCOVRequest(self, apdu: Any) -> None:
        # bacpypes3 keeps every subscription in memory without a limit.
        cancel = apdu.issueConfirmedNotifications is None and apdu.lifetime is None
        if cancel:
            await super().do_SubscribeCOVRequest(apdu)
            return
        if apdu.lifetime is None or not 1 <= int(apdu.lifetime) <= MAX_COV_LIFETIME:
            self._refused_cov(apdu.pduSource, f"lifetime {apdu.lifetime} outside 1–{MAX_COV_LIFETIME} s")
            raise ExecutionError(errorClass="services", errorCode="valueOutOfRange")
        detection = self._cov_detections.get(apdu.monitoredObjectIdentifier)
        renewal = detection is not None and any(
            cov.client_addr == apdu.pduSource and cov.proc_id == apdu.subscriberProcessIdentifier
            for cov in detection.cov_subscriptions
        )
        if not renewal:
            if self.cov_subscription_count() >= MAX_COV_SUBSCRIPTIONS:
                self._refused_cov(apdu.pduSource, f"{MAX_COV_SUBSCRIPTIONS} active")
                raise ExecutionError(errorClass="resources", errorCode="noSpaceToAddListElement")
            if self.cov_subscription_count(apdu.pduSource) >= MAX_COV_SUBSCRIPTIONS_PER_SOURCE:
                self._refused_cov(apdu.pduSource, f"{MAX_COV_SUBSCRIPTIONS_PER_SOURCE} active for it")
                raise ExecutionError(errorClass="resources", errorCode="noSpaceToAddListElement")
        await super().do_SubscribeCOVRequest(apdu)

    def _refused_cov(self, source: Any, reason: str) -> None:
        """One log line per source host and minute, with the count (a flood writes no more)."""
        counter = self.__dict__.setdefault("_cov_refusals", PerSourceCounter())
        host = str(source).rsplit(":", 1)[0]
        count = counter.hit(host)
        if count:
            log.warning("BACnet COV subscription(s) from %s refused: %d (%s)", host, count, reason)

    def cov_subscription_count(self, source: Any = None) -> int:
        return sum(
            1
            for detection in self._cov_detections.values()
            for cov in detection.cov_subscriptions
            if source is None or cov.client_addr == source
        )

    # An object changes only when the service writes a snapshot's value into it (``changed``):
    # until then its expanded 'all'/'required'/'optional' answer is the same.
    _expanded: OrderedDict[tuple[Any, str], list[Any]] | None = None

    def changed(self, identifier: Any = None) -> None:
        """Forget the cached answers of one object (all objects when None)."""
        if identifier is None or self._expanded is None:
            self._expanded = None
            return
        for kind in _EXPANDING:
            self._expanded.pop((identifier, kind), None)

    async def do_ReadPropertyMultipleRequest(self, apdu: Any) -> None:
        """bacpypes3's, bounded: at most MAX_RPM_VALUES values, expanded answers cached per object."""
        specs = list(apdu.listOfReadAccessSpecs or [])
        targets = [self._rpm_object(spec.objectIdentifier) for spec in specs]
        if not any(obj is not None for _identifier, obj in targets):
            raise ObjectError("unknown-object")
        wanted = 0
        for spec, (_identifier, obj) in zip(specs, targets, strict=True):
            for reference in spec.listOfPropertyReferences or []:
                kind = str(reference.propertyIdentifier)
                wanted += len(_expanded_names(obj, kind)) if obj is not None and kind in _EXPANDING else 1
        if wanted > MAX_RPM_VALUES:
            log.info("BACnet ReadPropertyMultiple of %d values from %s refused", wanted, apdu.pduSource)
            raise OutOfResources()
        results = []
        for spec, (identifier, obj) in zip(specs, targets, strict=True):
            elements: list[Any] = []
            for reference in spec.listOfPropertyReferences or []:
                kind = str(reference.propertyIdentifier)
                if obj is not None and kind in _EXPANDING:
                    elements.extend(await self._expanded_elements(obj, kind))
                else:
                    elements.append(
                        await read_property_to_result_element(
                            obj, reference.propertyIdentifier, reference.propertyArrayIndex
                        )
                    )
            results.append(ReadAccessResult(objectIdentifier=identifier, listOfResults=elements))
        await self.response(ReadPropertyMultipleACK(listOfReadAccessResults=results, context=apdu))

    def _rpm_object(self, identifier: Any) -> tuple[Any, Any]:
        if identifier == ("device", 4194303) and self.device_object is not None:
            identifier = self.device_object.objectIdentifier  # the wildcard device instance
        return identifier, self.get_object_id(identifier)

    async def _expanded_elements(self, obj: Any, kind: str) -> list[Any]:
        if self._expanded is None:
            self._expanded = OrderedDict()
        key = (obj.objectIdentifier, kind)
        cached = self._expanded.get(key)
        if cached is not None and not isinstance(obj, NetVisionDeviceObject):
            return cached
        names = _expanded_names(obj, kind)
        elements = []
        for name in names:
            element = await read_property_to_result_element(obj, name, None)
            if element.readResult.propertyAccessError:
                continue
            elements.append(element)
        self._expanded[key] = elements
        if len(self._expanded) > 1024:
            self._expanded.popitem(last=False)
        return elements

    async def do_ReadRangeRequest(self, apdu: Any) -> None:
        raise UnrecognizedService()

    async def do_WritePropertyRequest(self, apdu: Any) -> None:
        if not self.get_object_id(apdu.objectIdentifier):
            raise ExecutionError(errorClass="object", errorCode="unknownObject")
        log.info("BACnet write to %s refused (from %s)", apdu.objectIdentifier, apdu.pduSource)
        raise PropertyError("writeAccessDenied")

    async def do_WritePropertyMultipleRequest(self, apdu: Any) -> None:
        specs = apdu.listOfWriteAccessSpecs or []
        if not specs:
            raise RejectException("missingRequiredParameter")
        first = specs[0]
        if not first.listOfProperties:
            raise RejectException("missingRequiredParameter")
        reference = ObjectPropertyReference(
            objectIdentifier=first.objectIdentifier,
            propertyIdentifier=first.listOfProperties[0].propertyIdentifier,
        )
        if self.get_object_id(first.objectIdentifier) is None:
            error = ErrorType(errorClass="object", errorCode="unknownObject")
        else:
            error = ErrorType(errorClass="property", errorCode="writeAccessDenied")
        log.info("BACnet WritePropertyMultiple refused (from %s)", apdu.pduSource)
        # Answered, not raised: bacpypes3 does not turn a raised WritePropertyMultipleError into a reply.
        await self.response(WritePropertyMultipleError(errorType=error, firstFailedWriteAttempt=reference, context=apdu))


def _expanded_names(obj: Any, kind: str) -> list[str]:
    """The properties 'all', 'required' or 'optional' stands for in ``obj`` (those it has)."""
    required: set[str] = set()
    for cls in type(obj).__mro__:
        required.update(getattr(cls, "_required", ()))
    names = set(obj._elements)
    if kind == "required":
        names &= required
    elif kind == "optional":
        names -= required
    if kind != "optional":
        names.discard("propertyList")
    return sorted(name for name in names if _static_value(obj, name) is not None)


def _static_value(obj: Any, name: str) -> Any:
    """``inspect.getattr_static(obj, name, None)`` for these objects, without its cost
    (two thirds of a ReadPropertyMultiple(ALL) went there)."""
    value = vars(obj).get(name)
    if value is not None:
        return value
    for cls in type(obj).__mro__:
        if name in vars(cls):
            return vars(cls)[name]
    return None


def status_flags(fault: bool) -> StatusFlags:
    return StatusFlags(list(FAULT_FLAGS if fault else NORMAL_FLAGS))


def set_fault(obj: Any, reason: str) -> None:
    """Status_Flags fault and out-of-service, Reliability and Out_Of_Service of one object.

    bacpypes3 computes Status_Flags from Reliability and Out_Of_Service, and its COV
    detection only sees an assignment to Status_Flags: assign it first so a change of
    flags is notified (BACnet clause 13.1: COV on Status_Flags).
    """
    fault = bool(reason)
    reliability = Reliability(reason) if fault else Reliability.noFaultDetected
    if obj.reliability == reliability and bool(obj.outOfService) == fault:
        return
    obj.statusFlags = status_flags(fault)
    obj.reliability = reliability
    obj.outOfService = fault


def make_device_object(device_id: int, name: str = "NET VISION") -> NetVisionDeviceObject:
    return NetVisionDeviceObject(
        objectIdentifier=("device", device_id),
        objectName=name,
        systemStatus=DeviceStatus.operational,
        vendorName=o.VENDOR_NAME,
        vendorIdentifier=o.VENDOR_IDENTIFIER,
        modelName="",
        firmwareRevision=__version__,
        applicationSoftwareVersion=f"netvision {__version__}",
        location="0",
        description="",
        protocolVersion=1,
        protocolRevision=22,
        maxApduLengthAccepted=MAX_APDU,
        segmentationSupported=Segmentation.segmentedBoth,
        maxSegmentsAccepted=16,
        apduSegmentTimeout=2000,
        apduTimeout=3000,
        numberOfApduRetries=3,
        databaseRevision=1,
        profileName="N/A",
    )


def make_value_objects() -> list[_LocalObject]:
    """The 88 AV, 10 MV and 3 BSV objects at their values before any UPS answer."""
    # Every object starts out of service with a communication failure, until the UPS answers.
    no_answer_yet = {
        "statusFlags": status_flags(True),
        "eventState": EventState.normal,
        "reliability": Reliability(COMMUNICATION_FAILURE),
        "outOfService": True,
    }
    made: list[_LocalObject] = []
    for row in o.ANALOG_OBJECTS:
        made.append(
            AnalogValue(
                objectIdentifier=("analogValue", row.instance),
                objectName=row.name,
                description=row.description,
                presentValue=o.NOT_AVAILABLE,
                **no_answer_yet,
                units=EngineeringUnits(row.units),
                # Values are integers in the format's unit: any change is a change of value.
                covIncrement=1.0,
            )
        )
    for state_row in o.MULTI_STATE_OBJECTS:
        made.append(
            MultiStateValue(
                objectIdentifier=("multiStateValue", state_row.instance),
                objectName=state_row.name,
                description=state_row.description,
                presentValue=state_row.default,
                **no_answer_yet,
                numberOfStates=state_row.number_of_states,
                stateText=list(state_row.states),
                relinquishDefault=state_row.default,
            )
        )
    for bits_row in o.BITSTRING_OBJECTS:
        made.append(
            BitStringValue(
                objectIdentifier=("bitstringValue", bits_row.instance),
                objectName=bits_row.name,
                description=bits_row.description,
                presentValue=BitString([0] * len(bits_row.bits)),
                bitText=list(bits_row.bits),
                **no_answer_yet,
            )
        )
    return made


def open_socket(bind: str, port: int) -> socket.socket:
    """The device's UDP socket; raises OSError when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.bind((bind, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def screen_bvll(data: bytes, host: str, peers: Collection[str]) -> str | None:
    """Why a datagram must be dropped before bacpypes3 decodes it, or None (Annex J framing)."""
    if len(data) > MAX_DATAGRAM:
        return f"{len(data)} bytes, more than {MAX_DATAGRAM}"
    if len(data) < 4 or data[0] != 0x81:
        return "not a BACnet/IP (Annex J) message"
    if int.from_bytes(data[2:4], "big") != len(data):
        return "BVLL length differs from the datagram's"
    if data[1] > LAST_BVLL_FUNCTION:
        return f"unknown BVLL function {data[1]:#04x}"
    if data[1] == FORWARDED_NPDU:
        # Its answer goes to the address written inside: only a configured BBMD peer may
        # forward, or anyone could make the device send to any address (J.4.5).
        if host not in peers:
            return "Forwarded-NPDU from a host that is not a configured BBMD peer (bacnet.bbmd_peers)"
        if len(data) < 11:
            return "Forwarded-NPDU without an NPDU"
    return None


class DatagramGuard:
    """Sits where bacpypes3 hands a received datagram up its stack: drops what
    :func:`screen_bvll` rejects, and turns a decoding failure into one log line per
    source and minute instead of a traceback per datagram."""

    def __init__(self, server: Any, peers: Callable[[], Collection[str]]) -> None:
        self._server = server
        self._peers = peers
        self.dropped = PerSourceCounter()
        server.confirmation = self.confirmation

    async def confirmation(self, pdu: Any) -> None:
        source = pdu.pduSource.addrTuple
        if source == self._server.local_address:
            return  # our own broadcast, reflected
        host = str(source[0])
        reason = screen_bvll(bytes(pdu.pduData), host, self._peers())
        if reason is None:
            try:
                await self._server.response(pdu)
                return
            except Exception as error:
                reason = f"{type(error).__name__}: {error}"[:200]
        count = self.dropped.hit(host)
        if count:
            log.warning("BACnet datagram from %s dropped: %s (%d dropped from it since the last line)", host, reason, count)


def build_application(
    objects: list[_LocalObject],
    bind: str,
    port: int,
    sock: socket.socket | None = None,
    peers: Callable[[], Collection[str]] = tuple,
) -> tuple[NetVisionApplication, NormalLinkLayer]:
    """An application serving ``objects`` on UDP ``bind:port`` (must run inside the event loop).

    One socket, bound as given: bound to 0.0.0.0 it also receives the subnet's
    broadcasts (Who-Is), and broadcasts it sends go to 255.255.255.255.
    """
    sock = sock or open_socket(bind, port)
    bound_port = sock.getsockname()[1]
    # A /32 address keeps bacpypes3 from opening a second, broadcast-only socket.
    address = IPv4Address(f"{bind}/32:{bound_port}")
    app = NetVisionApplication.from_object_list(objects)
    link = NormalLinkLayer(address, bind_socket=sock)
    link.server.broadcast_address = ("255.255.255.255", bound_port)
    app.nsap.bind(link, address=address)
    app.guard = DatagramGuard(link.server, peers)
    return app, link
