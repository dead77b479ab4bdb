"""The Modbus TCP server: the UPS tables, read-only, from the poller's latest snapshot.

EN §18.12 and App. "MODBUS TCP ACCESS": the UPS map's own addresses, functions
0x03/0x04, any part of a table or a single word, writes refused. From the
MODBUS TCP card (spec/modbus-tcp-card.en.txt): up to 3 sessions (§4.1),
exception 0x0B when the UPS does not answer (§16), "TCP session x
opened/closed" events (§13.7.1). A silent connection is closed after 1 minute
(§18.12). A firewall change (§18.15) closes at once the sessions from an
address the new rules refuse.

The server is written on asyncio streams rather than pymodbus' server, which
handles one frame per received chunk (pipelined requests wait for more data),
stalls on a non-zero protocol identifier until 1 KiB has arrived, and has
neither a connection limit nor an idle timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...access import rules_changed
from ...events.catalog import make_event
from ...ratelimit import PerSourceCounter
from ...settings import Settings
from ...settings.models import ModbusTcpSettings
from ...ups.link import LinkError
from ...ups.model import Snapshot
from ..listen import tcp_listener
from .frames import (
    HEADER_BYTES,
    ExceptionCode,
    FramingError,
    encode_adu,
    exception_pdu,
    parse_header,
    parse_read,
    read_response_pdu,
)
from .image import RegisterImage

if TYPE_CHECKING:
    from ..registry import ServiceContext

log = logging.getLogger("netvision.modbus_tcp")

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


@dataclass
class _Session:
    number: int
    client: str
    host: str
    writer: asyncio.StreamWriter
    task: asyncio.Task[None] | None
    malformed: int = field(default=0)
    closing: _Reason | None = None


@dataclass(frozen=True)
class _Reason:
    en: str
    fr: str


_BY_CLIENT = _Reason("closed by the client", "fermée par le client")
_STOPPED = _Reason("Modbus TCP server stopped", "serveur Modbus TCP arrêté")
_FIREWALL = _Reason("address now refused by the firewall", "adresse désormais refusée par le pare-feu")


def _host(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "???"


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = peer[0]
        return f"[{host}]:{peer[1]}" if ":" in str(host) else f"{host}:{peer[1]}"
    return "???"


class ModbusTcpService:
    name = "modbus_tcp"

    def __init__(self, context: ServiceContext) -> None:
        self._context = context
        self._settings: ModbusTcpSettings = context.settings.modbus_tcp
        self._server: asyncio.Server | None = None
        self._sessions: dict[int, _Session] = {}
        self._image = RegisterImage()
        self._image_key: tuple[int, int, int] | None = None
        self._counters = {"requests": 0, "exception_replies": 0, "sessions_opened": 0, "sessions_refused": 0}
        self._refused = PerSourceCounter()
        self._refused_reporter = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._settings = self._context.settings.modbus_tcp
        # The firewall is not a section of ours: its changes come as a settings listener.
        self._context.on_settings(self._firewall_changed)
        await self._open_listener()

    async def stop(self) -> None:
        await self._close_listener()
        await self._close_sessions()

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        """Apply new settings at once (§18.12): port and address reopen the listener;
        limits, timeouts, pass-through and unit identifier apply to the next request."""
        self._settings = new.modbus_tcp
        if self._server is None or (old.modbus_tcp.bind, old.modbus_tcp.port) != (new.modbus_tcp.bind, new.modbus_tcp.port):
            await self._close_listener()
            try:
                await self._open_listener()
            except OSError as error:
                # The settings are saved; the daemon keeps serving everything else.
                message = f"cannot listen on {new.modbus_tcp.bind} port {new.modbus_tcp.port}: {error}"
                log.error("Modbus TCP server %s", message)
                self._context.report_error(message)

    def counters(self) -> dict[str, int]:
        return {**self._counters, "sessions_open": len(self._sessions)}

    def addresses(self) -> list[str]:
        if self._server is None:
            return []
        lines = []
        for sock in self._server.sockets:
            host, port = sock.getsockname()[:2]
            host = _WILDCARDS.get(host, host)
            lines.append(f"modbus_tcp tcp {f'[{host}]' if ':' in host else host}:{port}")
        return lines

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    async def _open_listener(self) -> None:
        settings = self._settings
        # The firewall (§18.15) closes a refused client at accept, before a frame is read.
        sock = tcp_listener(settings.bind, settings.port, functools.partial(self._context.allows, protocol="Modbus TCP"))
        self._server = await asyncio.start_server(self._serve, sock=sock)
        log.info("Modbus TCP server listening on %s port %d", settings.bind, settings.port)

    async def _close_listener(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            log.info("Modbus TCP server closed")

    async def _firewall_changed(self, settings: Settings, keys: list[str]) -> None:
        """New firewall rules apply to the open sessions too (§18.15): those from an
        address now refused are closed, with one log line for the change."""
        if not rules_changed(keys):
            return
        section = settings.access_control
        refused = [s for s in self._sessions.values() if not self._context.access.allows(section, s.host)]
        await self._close_sessions(_FIREWALL, refused)
        log.info(
            "Modbus TCP firewall rules changed: %d session(s) from addresses now refused closed, %d kept",
            len(refused), len(self._sessions),
        )  # fmt: skip

    async def _close_sessions(
        self, reason: _Reason = _STOPPED, sessions: list[_Session] | None = None
    ) -> None:
        tasks = []
        for session in list(self._sessions.values()) if sessions is None else sessions:
            if session.task is not None and not session.task.done():
                session.closing = reason
                session.task.cancel()
                tasks.append(session.task)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------- sessions

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = _peer(writer)
        limit = self._settings.max_connections
        if len(self._sessions) >= limit:
            # Refused cleanly: closed at once, the open sessions never notice (MTC §4.1).
            self._counters["sessions_refused"] += 1
            self._refused_from(_host(writer), len(self._sessions))
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            return
        number = next(n for n in itertools.count(1) if n not in self._sessions)
        session = _Session(number, client, _host(writer), writer, asyncio.current_task())
        self._sessions[number] = session
        self._counters["sessions_opened"] += 1
        log.info("Modbus TCP session %d opened by %s", number, client)
        reason = _BY_CLIENT
        try:
            self._publish("nv.modbus_tcp_session_opened", session=number, client=client)
            reason = await self._converse(session, reader, writer)
        except asyncio.CancelledError:
            # Only _close_sessions cancels a session; ending the task normally keeps
            # asyncio's stream callback from reporting the cancellation as an error.
            reason = session.closing or _STOPPED
        except Exception:
            log.exception("Modbus TCP session %d failed", number)
            reason = _Reason("internal error", "erreur interne")
        finally:
            del self._sessions[number]
            writer.close()
            log.info("Modbus TCP session %d with %s closed: %s", number, client, reason.en)
            if session.malformed:
                log.warning("Modbus TCP session %d: %d malformed frame(s) ignored", number, session.malformed)
            self._publish(
                "nv.modbus_tcp_session_closed", session=number, client=client, reason=reason.en, reason_fr=reason.fr
            )

    def _refused_from(self, host: str, open_sessions: int) -> None:
        """One warning and one event per source and minute, with the count: a flood of
        refused connections writes a row a minute, not a row per connection."""
        count = self._refused.hit(host)
        if count:
            self._report_refused(host, count, open_sessions)
        if not self._refused_reporter:
            self._refused_reporter = True
            self._context.create_task(self._report_refused_later(), name="refused")

    def _report_refused(self, host: str, count: int, open_sessions: int) -> None:
        log.warning("%d Modbus TCP connection(s) from %s refused: %d session(s) open", count, host, open_sessions)
        self._publish("nv.modbus_tcp_session_refused", client=host, limit=open_sessions, count=count)

    async def _report_refused_later(self) -> None:
        """The refusals counted but not reported yet, once their source's minute is over."""
        try:
            while self._refused.tracking:
                await asyncio.sleep(min(1.0, self._refused.window))
                for host, count in self._refused.ended():
                    self._report_refused(host, count, len(self._sessions))
        finally:
            self._refused_reporter = False

    def _publish(self, event_id: str, **data: Any) -> None:
        try:
            self._context.bus.publish(make_event(event_id, **data))
        except Exception:
            # The event log must never take a Modbus client down with it.
            log.exception("event %s not published", event_id)

    async def _converse(
        self, session: _Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> _Reason:
        while True:
            idle = self._settings.idle_timeout
            try:
                # No data exchanged for the idle time closes the port (§18.12, 1 minute);
                # a truncated frame waits as long, then goes the same way.
                async with asyncio.timeout(idle):
                    header = parse_header(await reader.readexactly(HEADER_BYTES))
                    pdu = await reader.readexactly(header.pdu_bytes)
            except TimeoutError:
                return _Reason(f"idle for {idle} s", f"inactive depuis {idle} s")
            except asyncio.IncompleteReadError as error:
                if error.partial:
                    return _Reason("closed by the client within a frame", "fermée par le client en cours de trame")
                return _BY_CLIENT
            except FramingError as error:
                # The length is the only way to find the next frame: without it, the
                # stream is lost and the connection is closed.
                log.warning("Modbus TCP session %d: %s", session.number, error)
                return _Reason(f"malformed frame ({error})", f"trame incorrecte ({error})")
            except ConnectionError:
                return _Reason("connection reset", "connexion réinitialisée")
            if header.protocol != 0:
                # Not a Modbus frame (protocol identifier 0): dropped, as the
                # MBAP header says; its length still lets us find the next one.
                session.malformed += 1
                if session.malformed == 1:
                    log.warning(
                        "Modbus TCP session %d: protocol identifier %d ignored", session.number, header.protocol
                    )
                continue
            self._counters["requests"] += 1
            try:
                response = await self.answer(header.unit, pdu)
            except Exception:
                # A fault of ours answers 0x04 to this request; the session goes on.
                log.exception("Modbus TCP session %d: request %s failed", session.number, pdu[:8].hex())
                response = exception_pdu(pdu[0], ExceptionCode.SERVER_DEVICE_FAILURE)
            if response[0] & 0x80:
                self._counters["exception_replies"] += 1
            writer.write(encode_adu(header.transaction, header.unit, response))
            if not writer.transport.get_write_buffer_size():
                continue  # sent at once, as on any healthy link: no drain to wait for
            try:
                async with asyncio.timeout(idle):
                    await writer.drain()
            except TimeoutError:
                return _Reason("the client does not read its answers", "le client ne lit pas ses réponses")
            except ConnectionError:
                return _Reason("connection reset", "connexion réinitialisée")

    # ------------------------------------------------------------- requests

    async def answer(self, unit: int, pdu: bytes) -> bytes:
        """The response PDU for one request PDU addressed to ``unit``."""
        settings = self._settings
        function = pdu[0]
        if settings.unit_id and unit != settings.unit_id:
            return exception_pdu(function, ExceptionCode.GATEWAY_TARGET_FAILED)
        request = parse_read(pdu)
        if isinstance(request, ExceptionCode):
            return exception_pdu(function, request)
        ups = self._context.ups
        snapshot = ups.snapshot
        if not snapshot.communicating:
            # No stale data while the UPS is silent (MTC §16: 0x0B).
            return exception_pdu(function, ExceptionCode.GATEWAY_TARGET_FAILED)
        words = self._image_of(snapshot).read(request.address, request.count)
        if words is None:
            if not settings.pass_through:
                return exception_pdu(function, ExceptionCode.ILLEGAL_DATA_ADDRESS)
            try:
                through = await ups.read_through(
                    request.address, request.count, settings.pass_through_timeout_ms / 1000
                )
            except LinkError as error:
                if error.kind == "exception" and error.code:
                    return exception_pdu(function, error.code)  # the UPS's own answer
                return exception_pdu(function, ExceptionCode.GATEWAY_TARGET_FAILED)
            except TimeoutError:
                return exception_pdu(function, ExceptionCode.GATEWAY_TARGET_FAILED)
            words = list(through)
        return read_response_pdu(request.function, words)

    def _image_of(self, snapshot: Snapshot) -> RegisterImage:
        ups = self._context.ups
        identity = ups.identity_registers
        key = (id(snapshot), snapshot.sequence, id(identity))
        if key != self._image_key:
            self._image = RegisterImage.from_snapshot(snapshot, ups.register_map, identity)
            self._image_key = key
        return self._image
