"""Bounded HTTP connections: caps per listener and per source, header and body deadlines.

aiohttp's server has no deadline for a request head or body: a client that
sends half a request and waits keeps a socket, a file descriptor and a handler
for as long as it likes, and a thousand of them take the web server down. Each
accepted connection therefore goes through ``LimitedProtocol``, a thin wrapper
around aiohttp's own protocol that

- refuses a connection at once (``503``, closed) past ``max_connections`` open
  connections on the listener or ``max_per_source`` from one address;
- closes a connection whose request head is not complete ``header_timeout``
  seconds after its first byte (or after the connection opened, for the first
  request), and one whose body (by ``Content-Length``) is not complete
  ``body_timeout`` seconds after its head.

Idle keep-alive connections are closed by aiohttp's ``keepalive_timeout``. The
admitted connections are known (``ConnectionLimits.connections``), so that a
firewall change (§18.15) can close those from an address the new rules refuse:
keep-alive connections and live update streams alike.
Over HTTPS the wrapper accepts the plain TCP connection itself, so the caps
apply before any TLS work, then starts TLS on it (``loop.start_tls``): the
handshake falls under the header deadline, and the request deadlines follow
the decrypted stream.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger("netvision.web")

REFUSED = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,12})[ \t]*\r\n", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked", re.IGNORECASE)
_LAST_CHUNK = b"0\r\n\r\n"


@dataclass
class ConnectionLimits:
    """Shared by every listener of the web service; tests may lower the figures."""

    max_connections: int = 256
    max_per_source: int = 64  # a monitoring host or an office behind NAT may open many
    header_timeout: float = 10.0
    body_timeout: float = 20.0
    keepalive_timeout: float = 15.0
    handshake_timeout: float = 10.0
    open: dict[str, int] = field(default_factory=dict)  # source -> open connections
    connections: set[LimitedProtocol] = field(default_factory=set)  # the admitted ones
    total: int = 0
    refused: int = 0
    timed_out: int = 0
    _warned_at: float = -60.0
    _refused_at_warning: int = 0

    def admit(self, source: str) -> bool:
        if self.total >= self.max_connections or self.open.get(source, 0) >= self.max_per_source:
            self.refused += 1
            self._warn(source)
            return False
        self.total += 1
        self.open[source] = self.open.get(source, 0) + 1
        return True

    def _warn(self, source: str) -> None:
        """One log line a minute at most, with the count: a flood must not flood the log."""
        now = time.monotonic()
        if now - self._warned_at < 60.0:
            return
        count = self.refused - self._refused_at_warning
        self._warned_at, self._refused_at_warning = now, self.refused
        log.warning(
            "web: %d connection(s) refused since the last report (limits: %d open, %d per address), the last from %s",
            count, self.max_connections, self.max_per_source, source,
        )  # fmt: skip

    def close_refused(self, allows: Callable[[str], bool]) -> tuple[int, int]:
        """Close every open connection whose client address ``allows`` now refuses.
        Returns how many were closed and how many are kept."""
        refused = [connection for connection in self.connections if not allows(connection.host)]
        for connection in refused:
            connection.cut()
        return len(refused), len(self.connections) - len(refused)

    def release(self, source: str) -> None:
        self.total -= 1
        left = self.open.get(source, 0) - 1
        if left > 0:
            self.open[source] = left
        else:
            self.open.pop(source, None)


def _source(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    host = peer[0] if isinstance(peer, tuple) and peer else ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return str(host)
    if ip.version == 6 and ip.ipv4_mapped is None:  # one IPv6 host usually holds a whole /64
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


class LimitedProtocol(asyncio.Protocol):
    """aiohttp's request handler behind the caps and deadlines above."""

    def __init__(self, inner: asyncio.Protocol, limits: ConnectionLimits, tls: ssl.SSLContext | None = None) -> None:
        self.inner = inner
        self.limits = limits
        self.tls = tls
        self.transport: asyncio.Transport | None = None
        self.source = ""
        self.host = ""  # the client's address, as the firewall matches it
        self.admitted = False
        self.ready = False  # the inner protocol has its transport (after the TLS handshake)
        self._early: list[bytes] = []  # decrypted bytes delivered before the inner protocol was ready
        self._handshake: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        # Where the stream is: reading a head ("head"), a body of known length ("body"),
        # a chunked body ("chunked"), or between requests ("idle").
        self._state = "head"
        self._tail = b""  # the last bytes of the head read so far (to find its end across reads)
        self._head = bytearray()
        self._body_left = 0

    # -- asyncio.Protocol --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.source = _source(transport)
        peer = transport.get_extra_info("peername")
        self.host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not self.limits.admit(self.source):
            if self.tls is None:
                transport.write(REFUSED)
                transport.close()
            else:
                transport.abort()  # no TLS work for a refused connection
            return
        self.admitted = True
        self.limits.connections.add(self)
        self._arm(self.limits.header_timeout)
        if self.tls is None:
            self._ready(transport)
            return
        transport.pause_reading()  # the ClientHello waits in the socket for the TLS layer
        self._handshake = asyncio.get_running_loop().create_task(self._start_tls(transport, self.tls))

    async def _start_tls(self, transport: asyncio.Transport, context: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        try:
            wrapped = await loop.start_tls(
                transport, self, context, server_side=True, ssl_handshake_timeout=self.limits.handshake_timeout
            )
        except asyncio.CancelledError:
            transport.abort()
            self._release()
            raise
        except Exception:  # noqa: BLE001 - any failed handshake: start_tls closed the connection
            self._release()
            return
        if wrapped is None or not self.admitted:
            transport.abort()
            self._release()
            return
        self._ready(wrapped)

    def _ready(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.ready = True
        self.inner.connection_made(transport)
        early, self._early = self._early, []
        for data in early:
            self.inner.data_received(data)

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        self._follow(data)
        if self.ready:
            self.inner.data_received(data)
        else:
            self._early.append(data)

    def eof_received(self) -> bool | None:
        if not self.ready:
            return None
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        ready = self.ready
        self._release()
        if ready:
            self.ready = False
            self.inner.connection_lost(exc)

    def _release(self) -> None:
        if self.admitted:
            self.admitted = False
            self._disarm()
            self.limits.connections.discard(self)
            self.limits.release(self.source)

    def pause_writing(self) -> None:
        if self.ready:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.ready:
            self.inner.resume_writing()

    def cut(self) -> None:
        """Close the connection (its client is refused now): what is being written leaves
        first; a client that does not read it is cut a second later."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.close()
        asyncio.get_running_loop().call_later(1.0, transport.abort)

    # -- deadlines ---------------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.limits.timed_out += 1
            self.transport.abort()

    def _follow(self, data: bytes) -> None:
        """Track request heads and bodies in the byte stream (pipelining included)."""
        view = memoryview(data)
        while view:
            if self._state == "idle":
                # The head's deadline runs from its first byte; it is armed only if the head
                # is not whole in this chunk (the common case needs no timer at all).
                self._state = "head"
            if self._state == "head":
                chunk = bytes(view)
                joined = self._tail + chunk if self._tail else chunk
                end = joined.find(_HEAD_END)
                if end < 0:
                    if len(self._head) < 65536:  # aiohttp refuses longer heads anyway
                        self._head += chunk
                    self._tail = joined[-3:]
                    if self._timer is None:
                        self._arm(self.limits.header_timeout)
                    return
                used = end + 4 - len(self._tail)
                self._head += chunk[:used]
                head = bytes(self._head)
                self._head.clear()
                self._tail = b""
                view = view[used:]
                length = _CONTENT_LENGTH.search(head)
                if _CHUNKED.search(head):
                    self._state = "chunked"
                    self._arm(self.limits.body_timeout)
                elif length is not None and int(length[1]) > 0:
                    self._state = "body"
                    self._body_left = int(length[1])
                    self._arm(self.limits.body_timeout)
                else:
                    self._state = "idle"
                    self._disarm()
            elif self._state == "body":
                taken = min(self._body_left, len(view))
                self._body_left -= taken
                view = view[taken:]
                if not self._body_left:
                    self._state = "idle"
                    self._disarm()
            else:  # chunked: the body ends with the last chunk (trailers are not used by any client here)
                joined = self._tail + bytes(view)
                end = joined.find(_LAST_CHUNK)
                if end < 0:
                    self._tail = joined[-4:]
                    return
                used = end + len(_LAST_CHUNK) - len(self._tail)
                self._tail = b""
                view = view[used:]
                self._state = "idle"
                self._disarm()


class LimitedSite(web.SockSite):
    """A site on an open listening socket (the access control's, services/listen.py) whose
    connections go through ``LimitedProtocol``."""

    def __init__(self, runner: web.BaseRunner, sock: socket.socket, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(runner, sock, **kwargs)
        self.limits = limits

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        context = self._ssl_context
        factory: Callable[[], asyncio.Protocol] = lambda: LimitedProtocol(server(), self.limits, context)  # noqa: E731
        # TLS is started by the protocol once the connection is admitted (see LimitedProtocol).
        self._server = await loop.create_server(factory, sock=self._sock, backlog=self._backlog)
