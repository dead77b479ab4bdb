"""The NUT server's TCP side (RFC 9271, port 3493): connections, framing, TLS, limits.

Each connection is one task reading request lines and writing the session's replies,
one request at a time, as upsd answers them. Everything a client sends or fails to
read is bounded, so that no client can hold memory or the others' service:

- a request line is at most 1024 bytes (protocol.LineFramer), a longer one is dropped
  as it arrives and answered ``ERR TOO-LONG``;
- a client that sends no complete command for 60 s is dropped (upsd, server/upsd.c:
  ``last_heard``): bytes of a line never ended do not keep it;
- each connection has a budget of requests (REQUEST_RATE a second, REQUEST_BURST at
  once; a reply costs one more per KiB, so a ``LIST VAR`` costs more than a ``GET``):
  past it, the connection is not read until the budget is back (TCP holds the client),
  and every request yields to the event loop, so that no client starves the poller or
  the other clients;
- a client that does not read its replies is dropped once DRAIN_TIMEOUT has passed with
  more than OUTPUT_LIMIT bytes waiting for it;
- the TLS handshake after ``OK STARTTLS`` has HANDSHAKE_TIMEOUT to finish, and starts
  only on a clean stream: bytes sent in clear after ``STARTTLS`` end the connection
  (never read as if they came through TLS);
- the firewall (EN §18.15) refuses a client at accept, before anything is read, and the
  service refuses connections beyond ``max_clients`` or its per-address share.

A malformed request, a failed handshake or a fault is reported to the service, which
logs it at most once per source and minute (``report``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from ..listen import tcp_listener
from .protocol import Error, LineFramer, error
from .session import Session

log = logging.getLogger("netvision.nut")

IDLE_TIMEOUT = 60.0
HANDSHAKE_TIMEOUT = 10.0
DRAIN_TIMEOUT = 10.0
OUTPUT_LIMIT = 64 * 1024
READ_CHUNK = 4096
REQUEST_RATE = 50.0  # request units a second, per connection
REQUEST_BURST = 200.0  # units at once: upsc or a NAS reading everything in one go

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


@dataclass(frozen=True)
class Reason:
    """Why a connection ended, for the log and the event log."""

    en: str
    fr: str


BY_CLIENT = Reason("closed by the client", "fermée par le client")
LOGOUT = Reason("logged out", "déconnecté")
STOPPED = Reason("NUT server stopped", "serveur NUT arrêté")
RESET = Reason("connection reset", "connexion réinitialisée")
NOT_READING = Reason("the client does not read its answers", "le client ne lit pas ses réponses")
FIREWALL = Reason("address now refused by the firewall", "adresse désormais refusée par le pare-feu")


def _peer(writer: asyncio.StreamWriter) -> tuple[str, int]:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return str(peer[0]), int(peer[1])
    return "???", 0


OpenSession = Callable[[str, int], Session | None]
CloseSession = Callable[[Session, Reason], None]
Report = Callable[[Session, str], None]


class RequestBudget:
    """A token bucket: ``spend`` says how long to wait before reading more (0: at once)."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = now

    def spend(self, cost: float, now: float) -> float:
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        self._tokens -= cost
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


def cost_of(reply: bytes) -> float:
    """One unit per request, one more per KiB of its reply."""
    return 1.0 + len(reply) // 1024


class NutServer:
    """The listener and its connections; the service makes and forgets the sessions."""

    def __init__(
        self,
        open_session: OpenSession,
        close_session: CloseSession,
        report: Report,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self._open_session = open_session
        self._close_session = close_session
        self._report = report
        self.idle_timeout = idle_timeout
        self.handshake_timeout = HANDSHAKE_TIMEOUT
        self.request_rate = REQUEST_RATE
        self.request_burst = REQUEST_BURST
        self.throttled = 0  # times a connection waited for its budget
        self._last_fault_log = -60.0
        self._server: asyncio.Server | None = None
        self._tasks: dict[Session, asyncio.Task[None]] = {}
        self._closing: dict[Session, Reason] = {}
        self.requests = 0

    async def open(self, bind: str, port: int, allows: Callable[[str], bool]) -> None:
        sock = tcp_listener(bind, port, allows)
        # A small reader limit: the framer holds at most one request line anyway.
        self._server = await asyncio.start_server(self._serve, sock=sock, limit=2 * READ_CHUNK)

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()

    @property
    def listening(self) -> bool:
        return self._server is not None

    def addresses(self) -> list[str]:
        if self._server is None:
            return []
        lines = []
        for sock in self._server.sockets:
            host, port = sock.getsockname()[:2]
            host = _WILDCARDS.get(host, host)
            lines.append(f"nut tcp {f'[{host}]' if ':' in host else host}:{port}")
        return lines

    async def close_sessions(
        self, reason: Reason = STOPPED, where: Callable[[Session], bool] | None = None
    ) -> int:
        """Close every connection (``where``: those it is true for); how many were closed."""
        tasks = []
        for session, task in list(self._tasks.items()):
            if not task.done() and (where is None or where(session)):
                self._closing[session] = reason
                task.cancel()
                tasks.append(task)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        return len(tasks)

    # ------------------------------------------------------------------ one connection

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address, port = _peer(writer)
        session = self._open_session(address, port)
        if session is None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks[session] = task
        reason = BY_CLIENT
        try:
            reason = await self._converse(session, reader, writer)
        except asyncio.CancelledError:
            # Only close_sessions cancels a connection; ending normally keeps asyncio's
            # stream callback from reporting the cancellation as an error.
            reason = self._closing.pop(session, STOPPED)
        except Exception:
            self._fault(session, "connection")
            reason = Reason("internal error", "erreur interne")
        finally:
            del self._tasks[session]
            self._closing.pop(session, None)
            writer.close()
            self._close_session(session, reason)

    async def _converse(
        self, session: Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Reason:
        loop = asyncio.get_running_loop()
        framer = LineFramer()
        deadline = loop.time() + self.idle_timeout
        budget = RequestBudget(self.request_rate, self.request_burst, loop.time())
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    data = await reader.read(READ_CHUNK)
            except TimeoutError:
                seconds = round(self.idle_timeout)
                return Reason(f"no command for {seconds} s", f"aucune commande depuis {seconds} s")
            except (ConnectionError, ssl.SSLError):
                return RESET
            if not data:
                return BY_CLIENT
            requests = framer.feed(data)
            if requests:
                deadline = loop.time() + self.idle_timeout
            for position, request in enumerate(requests):
                if writer.transport.is_closing():
                    # The client is gone: what it pipelined is not answered into the void
                    # (asyncio would log each write to a lost connection).
                    return RESET
                self.requests += 1
                try:
                    reply = await session.handle(request)
                    text = reply.text
                except Exception:
                    # A fault of ours answers this request; the connection goes on.
                    self._fault(session, "request")
                    reply = None
                    text = error(Error.DRIVER_NOT_CONNECTED)
                if reply is not None and reply.bad:
                    self._report(session, reply.bad)
                answer = text.encode("ascii", "replace")
                writer.write(answer)
                if reply is not None and reply.close:
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(DRAIN_TIMEOUT):
                            await writer.drain()
                    return LOGOUT
                if reply is not None and reply.starttls is not None:
                    if position != len(requests) - 1 or framer.pending or _buffered(reader):
                        # The handshake must start on a clean stream (upsd reads nothing in
                        # between): what came in clear must never pass for what came in TLS.
                        self._report(session, "data sent in clear after STARTTLS")
                        return Reason(
                            "data sent before the TLS handshake", "données envoyées avant la négociation TLS"
                        )
                    try:
                        async with asyncio.timeout(DRAIN_TIMEOUT):
                            await writer.drain()
                        await writer.start_tls(reply.starttls, ssl_handshake_timeout=self.handshake_timeout)
                    except (TimeoutError, ConnectionError, ssl.SSLError, OSError) as failure:
                        self._report(session, f"TLS handshake failed: {str(failure)[:120] or 'timeout'}")
                        return Reason("TLS handshake failed", "échec de la négociation TLS")
                    session.tls = True
                    deadline = loop.time() + self.idle_timeout
                    continue
                if writer.transport.get_write_buffer_size() > OUTPUT_LIMIT:
                    try:
                        async with asyncio.timeout(DRAIN_TIMEOUT):
                            await writer.drain()
                    except TimeoutError:
                        return NOT_READING
                    except ConnectionError:
                        return RESET
                wait = budget.spend(cost_of(answer), loop.time())
                if wait:
                    # Over budget: nothing more is read from this client for a while.
                    self.throttled += 1
                    await asyncio.sleep(wait)
                else:
                    await asyncio.sleep(0)  # one request, then the others' turn

    def _fault(self, session: Session, what: str) -> None:
        """A fault of ours, with its traceback, at most once a minute: a client repeating
        the request that shows it must not flood the log."""
        now = asyncio.get_running_loop().time()
        if now - self._last_fault_log >= 60.0:
            self._last_fault_log = now
            log.exception("NUT %s from %s failed", what, session.who)


def _buffered(reader: asyncio.StreamReader) -> bool:
    """Bytes already received but not yet read (the stream reader's buffer)."""
    return bool(getattr(reader, "_buffer", b""))
