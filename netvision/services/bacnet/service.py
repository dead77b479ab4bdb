"""The BACnet service: serves the poller's snapshots as the BACnet object list.

Settings (FR §15.13): enabled, UDP port (47808), device ID (1883), bind
address; the unit-level objects follow the "data unit select" setting, which
is ``serial.unit_select`` since it also drives SNMP (FR §15.3). A settings
change is applied without restarting the daemon: a new port, address or device
ID reopens the device; a new unit select re-fills the objects.

BACnet is not offered for an STS (FR §15.3): once the poller identifies one,
the device is closed until a UPS answers again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from typing import Any

from ...settings import Settings
from ...ups.model import Snapshot
from ..listen import guard
from ..registry import ServiceContext
from . import device as bacnet_device
from . import objects as o
from .values import ObjectValues, compute

log = logging.getLogger("netvision.bacnet")

# Objects whose values come from the unit the "data unit select" points at (BAC §5.1).
_UNIT_LEVEL: frozenset[tuple[str, int]] = frozenset(
    {
        *(("analogValue", row.instance) for row in o.ANALOG_OBJECTS if row.level == "unit"),
        *(("multiStateValue", row.instance) for row in o.UNIT_MULTI_STATE_OBJECTS),
        ("bitstringValue", o.UNIT_ALARMS.instance),
    }
)


class BacnetService:
    name = "bacnet"

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.settings = context.settings
        self._app: Any = None
        self._link: Any = None
        self._sock: socket.socket | None = None
        self._device: bacnet_device.NetVisionDeviceObject | None = None
        self._objects: dict[tuple[str, int], Any] = {}
        # Last value and fault reason written to each object: a cycle that changes
        # nothing costs a comparison per object, not a bacpypes3 cast.
        self._written: dict[tuple[str, int], tuple[Any, str]] = {}
        self._sts = False
        self._bound: tuple[str, int] | None = None
        self._opening: asyncio.Task[None] | None = None
        self._updates = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.settings = self.context.settings
        self.context.on_snapshot(self._on_snapshot)
        snapshot = self.context.ups.snapshot
        self._sts = _is_sts(snapshot)
        if self._sts:
            log.warning("BACnet is not available for an STS (FR §15.3)")
            return
        await self._open()
        self._apply(snapshot)

    async def stop(self) -> None:
        self._close()

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        """A new port, address or device ID reopens the device; a new unit select re-fills the objects."""
        self.settings = new
        if self._sts:
            return
        moved = (old.bacnet.bind, old.bacnet.port, old.bacnet.device_id) != (
            new.bacnet.bind,
            new.bacnet.port,
            new.bacnet.device_id,
        )
        if moved or self._app is None:
            self._close()
            try:
                await self._open()
            except OSError as error:
                self._cannot_listen(error)
                return
        self._written.clear()  # the unit select may have changed every value
        self._apply(self.context.ups.snapshot)

    def addresses(self) -> list[str]:
        if self._bound is None:
            return []
        host, port = self._bound
        return [f"bacnet udp {host}:{port} (device {self.settings.bacnet.device_id})"]

    def counters(self) -> dict[str, int]:
        detections = getattr(self._app, "_cov_detections", {}) if self._app is not None else {}
        subscriptions = sum(len(detection.cov_subscriptions) for detection in detections.values())
        guard = getattr(self._app, "guard", None)
        dropped = guard.dropped.total if guard is not None else 0
        return {"snapshots_applied": self._updates, "cov_subscriptions": subscriptions, "datagrams_dropped": dropped}

    def _cannot_listen(self, error: OSError) -> None:
        bacnet = self.settings.bacnet
        message = f"cannot listen on udp {bacnet.bind}:{bacnet.port}: {error}"
        log.error("BACnet device %s", message)
        self.context.report_error(message)

    # ------------------------------------------------------------------ device

    async def _open(self) -> None:
        """Create the objects and open the UDP socket (OSError if the port is taken)."""
        bacnet = self.settings.bacnet
        sock = bacnet_device.open_socket(bacnet.bind, bacnet.port)
        # The firewall (§18.15) drops a refused datagram before bacpypes3 decodes it.
        sock = guard(sock, functools.partial(self.context.allows, protocol="BACnet"))
        device = bacnet_device.make_device_object(bacnet.device_id)
        objects = bacnet_device.make_value_objects()
        app, link = bacnet_device.build_application(
            [device, *objects], bacnet.bind, bacnet.port, sock, peers=lambda: self.settings.bacnet.bbmd_peers
        )
        self._app, self._link, self._sock, self._device = app, link, sock, device
        self._objects = {(_kind(obj), int(obj.objectIdentifier[1])): obj for obj in objects}
        self._written = {}
        self._bound = (bacnet.bind, sock.getsockname()[1])
        # The transport is ready once this returns, so a close never races its creation.
        await asyncio.gather(*link.server._transport_tasks)
        log.info("BACnet device %d on udp %s:%d", bacnet.device_id, *self._bound)
        if bacnet.bind == "0.0.0.0":
            # Announce the device on the local subnet (BACnet clause 16.10: I-Am at start).
            app.i_am()

    def _close(self) -> None:
        if self._app is not None:
            # COV subscriptions hold lifetime timers; cancel them with the device.
            for detection in list(self._app._cov_detections.values()):
                for subscription in list(detection.cov_subscriptions):
                    subscription.cancel_subscription()
            self._link.close()
            self._app.close()
            if self._sock is not None:
                # Release the port now, not on the next loop turn: a new device may bind it at once.
                self._sock.close()
            log.info("BACnet device closed")
        self._app = self._link = self._device = self._sock = None
        self._objects = {}
        self._written = {}
        self._bound = None

    async def _reopen(self) -> None:
        try:
            await self._open()
        except OSError as error:
            self._cannot_listen(error)
            return
        finally:
            self._opening = None
        self._apply(self.context.ups.snapshot)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        sts = _is_sts(snapshot)
        if sts != self._sts:
            self._sts = sts
            if sts:
                log.warning("an STS answers: BACnet is not available for an STS (FR §15.3)")
                self._close()
            elif self._app is None and self._opening is None:
                self._opening = self.context.create_task(self._reopen(), name="open")
        if self._app is not None:
            self._apply(snapshot)

    def _apply(self, snapshot: Snapshot) -> None:
        """Push the snapshot's values into the objects; bacpypes3 sends the COV notifications."""
        if self._device is None:
            return
        try:
            tracker = self.context.battery_tests  # the daemon's (ups/battery_test.py)
            tests = tracker.state() if tracker is not None else None
            self._write_values(compute(snapshot, self.settings.serial.unit_select, tests))
            self._updates += 1
        except Exception:
            # One bad snapshot must not stop the device from serving the last good values.
            log.exception("BACnet objects not updated")

    def _write_values(self, values: ObjectValues) -> None:
        device = self._device
        assert device is not None
        properties = values.device
        device._ups_time = properties.ups_time
        for attribute, text in (
            ("objectName", properties.object_name),
            ("modelName", properties.model_name),
            ("description", properties.description),
            ("location", properties.location),
            ("profileName", properties.profile_name),
        ):
            if getattr(device, attribute) == text:
                continue
            if attribute == "objectName":
                self._rename(device, text)
            else:
                setattr(device, attribute, text)
        for key, obj in self._objects.items():
            kind, instance = key
            reason = bacnet_device.COMMUNICATION_FAILURE if values.fault else ""
            if not reason and values.unit_missing and key in _UNIT_LEVEL:
                reason = bacnet_device.CONFIGURATION_ERROR
            value: Any
            if kind == "multiStateValue" and instance == o.DEVICE_STATUS.instance:
                value = values.device_status
                reason = ""  # DeviceStatus reports the loss itself (BAC §6.2.1)
            elif not values.update_values:
                # Without communication the last values stay, flagged as faults.
                value = self._written[key][0] if key in self._written else None
            elif kind == "analogValue":
                value = values.analog[instance]
            elif kind == "multiStateValue":
                value = values.multi_state[instance]
            else:
                value = values.bitstring[instance]
            if self._written.get(key) == (value, reason):
                continue
            if value is not None and (key not in self._written or self._written[key][0] != value):
                obj.presentValue = list(value) if kind == "bitstringValue" else value
            bacnet_device.set_fault(obj, reason)
            self._written[key] = (value, reason)
            if self._app is not None:
                self._app.changed(obj.objectIdentifier)

    def _rename(self, device: bacnet_device.NetVisionDeviceObject, name: str) -> None:
        # Object names are unique within the device: never take a value object's name.
        if name and self._app is not None and self._app.get_object_name(name) is None:
            device.objectName = name


def _kind(obj: Any) -> str:
    if isinstance(obj, bacnet_device.AnalogValue):
        return "analogValue"
    if isinstance(obj, bacnet_device.MultiStateValue):
        return "multiStateValue"
    return "bitstringValue"


def _is_sts(snapshot: Snapshot) -> bool:
    identity = snapshot.identity
    return identity is not None and identity.device_kind == "sts"
