"""Wake-on-LAN (EN §18.11): the servers shut down after an AC failure are woken when
the gateway starts again, and on "Test".

How the gateway knows, at start, that it went down with an AC failure: while the
service is enabled, a marker file in the data directory is written when the UPS goes
on battery (or announces its stop, or a shutdown request is sent to the servers) and
removed when the mains comes back. A marker found at start means the gateway stopped
in the middle of an AC failure; the packets are sent once the UPS reports its mains
back (communicating, not on battery), so that no server is woken on battery power.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path

from ...events.bus import Event
from ...events.catalog import make_event
from ...fileio import atomic_write
from ...settings import Settings
from ...settings.models import WakeOnLanSettings
from ...ups.model import Snapshot
from ..registry import ServiceContext
from .packet import magic_packet

log = logging.getLogger("netvision.wake_on_lan")

MARKER_NAME = "ac-failure-shutdown"

# The mains failed, or the servers are being shut down because of it.
AC_FAILURE_EVENTS = frozenset(
    {
        "trap.on_battery",
        "trap.on_battery_power",
        "trap.imminent_stop",
        "trap.battery_low",
        "nv.shutdown_request_sent",
    }
)
# The mains is back: a later stop of the gateway is not an AC-failure shutdown.
MAINS_BACK_EVENTS = frozenset({"trap.power_restored", "trap.ups_normal", "nv.shutdown_cancel_sent"})


def mains_present(snapshot: Snapshot) -> bool:
    """The UPS answers and is not running on its battery."""
    return (
        snapshot.communicating and snapshot.system is not None and not snapshot.system.condition("on_battery")
    )


async def send_magic_packets(
    macs: Iterable[str], address: str, port: int, repeat: int = 1, interval: float = 1.0
) -> int:
    """``repeat`` rounds of one packet per MAC, ``interval`` seconds apart (§18.11); the
    number of packets sent."""
    packets = [magic_packet(mac) for mac in macs]
    if not packets:
        return 0
    loop = asyncio.get_running_loop()
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setblocking(False)
        for round_number in range(repeat):
            if round_number:
                await asyncio.sleep(interval)
            for packet in packets:
                await loop.sock_sendto(sock, packet, (address, port))
                sent += 1
    return sent


class WakeOnLanService:
    name = "wake_on_lan"

    def __init__(self, context: ServiceContext) -> None:
        self._context = context
        self._settings: WakeOnLanSettings = context.settings.wake_on_lan
        self._marker = Path(context.data_dir) / MARKER_NAME
        self._wake_pending = False
        self._counters = {"packets_sent": 0, "wake_ups": 0, "tests": 0}

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._settings = self._context.settings.wake_on_lan
        self._wake_pending = self._marker.exists()
        if self._wake_pending:
            log.info("the gateway stopped during an AC failure: the servers are woken when the mains is back")
        self._context.on_event(self._on_event)
        self._context.on_snapshot(self._on_snapshot)
        self._on_snapshot(self._context.ups.snapshot)
        self._context.offer("wake_on_lan.test", self.test)  # the web page's "Test"

    async def stop(self) -> None:
        pass  # the context cancels a sending under way

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        self._settings = new.wake_on_lan

    def addresses(self) -> list[str]:
        settings = self._settings
        enabled = sum(1 for target in settings.targets if target.enabled)
        return [f"wake_on_lan udp to {settings.address}:{settings.port} ({enabled} server(s))"]

    def counters(self) -> Mapping[str, int]:
        return dict(self._counters)

    @property
    def marker(self) -> Path:
        return self._marker

    # ------------------------------------------------------------ sending

    async def test(self, macs: Iterable[str] | None = None, *, via: str = "", by: str = "") -> int:
        """The page's "Test": wake the ticked servers now (``macs``), or every enabled
        one; the number of packets sent."""
        self._counters["tests"] += 1
        if macs is None:
            macs = [target.mac for target in self._settings.targets if target.enabled]
        return await self._send(list(macs), via=via or "test", by=by)

    async def wake_all(self, *, via: str = "startup") -> int:
        """Every enabled server, as after an AC-failure shutdown."""
        self._counters["wake_ups"] += 1
        return await self._send([target.mac for target in self._settings.targets if target.enabled], via=via)

    async def _send(self, macs: list[str], *, via: str, by: str = "") -> int:
        settings = self._settings
        if not macs:
            return 0
        sent = await send_magic_packets(
            macs, settings.address, settings.port, settings.repeat, settings.interval
        )
        self._counters["packets_sent"] += sent
        log.info("Wake-on-LAN: %d packet(s) sent to %d server(s) (%s)", sent, len(macs), via)
        self._context.bus.publish(make_event("nv.wol_sent", via=via, by=by, servers=len(macs), packets=sent))
        return sent

    def _on_snapshot(self, snapshot: Snapshot | None) -> None:
        if not self._wake_pending or snapshot is None or not mains_present(snapshot):
            return
        if snapshot.identity is not None and snapshot.identity.device_kind == "sts":
            self._wake_pending = False  # no Wake-on-LAN behind a STS (FR §15.11)
            self._clear_marker()
            return
        self._wake_pending = False
        self._clear_marker()
        self._context.create_task(self.wake_all(), "wake")

    def _on_event(self, event: Event) -> None:
        if event.id in AC_FAILURE_EVENTS and not self._marker.exists():
            try:
                atomic_write(self._marker, f"{event.id} {event.time.isoformat()}\n".encode())
            except OSError as error:
                self._context.report_error(f"cannot write {self._marker}: {error}")
        elif event.id in MAINS_BACK_EVENTS:
            self._clear_marker()

    def _clear_marker(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._marker.unlink()
