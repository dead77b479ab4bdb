"""Sends syslog messages to one server over UDP (RFC 5426), TCP (RFC 6587 octet
counting) or TLS (RFC 5425), from a bounded queue.

The queue holds what the server has not taken yet: while the server is away the
sender reconnects with back-off, and past ``queue_size`` the oldest message is dropped
and counted, so an unreachable server never makes the gateway's memory grow. A
message leaves the queue once the kernel has taken it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .message import octet_counted

log = logging.getLogger("netvision.syslog")

CONNECT_TIMEOUT = 10.0
# A connection that lasted less (a server that closes at once, e.g. after refusing the
# client certificate) does not reset the back-off.
STABLE_CONNECTION = 10.0


@dataclass(frozen=True)
class Destination:
    transport: str  # "udp" | "tcp" | "tls"
    host: str
    port: int
    ca_file: str = ""  # "" = the system's certificate store
    client_certificate_file: str = ""
    client_key_file: str = ""

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport} {host}:{self.port}"


def tls_context(destination: Destination) -> ssl.SSLContext:
    """The server's certificate must chain to the configured CA and name the server
    (RFC 5425 §5.2); a client certificate is offered when one is configured."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=destination.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if destination.client_certificate_file:
        context.load_cert_chain(destination.client_certificate_file, destination.client_key_file or None)
    return context


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, sender: SyslogSender) -> None:
        self._sender = sender

    def error_received(self, exc: Exception) -> None:
        # An ICMP "port unreachable" for an earlier datagram: UDP syslog has no delivery.
        self._sender.last_error = f"{self._sender.destination}: {exc}"


class SyslogSender:
    def __init__(
        self,
        destination: Destination,
        queue_size: int = 1000,
        on_dropped: Callable[[int], None] | None = None,
        retry_delays: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self.destination = destination
        self.queue: deque[bytes] = deque()
        self.queue_size = queue_size
        self.on_dropped = on_dropped
        self.retry_delays = retry_delays
        self.connected = False
        self.last_error = ""
        self.counters = {
            "sent": 0,
            "dropped": 0,
            "connections": 0,
            "connect_failures": 0,
            "disconnections": 0,
        }
        self._wake = asyncio.Event()
        self._closed = False
        self._connected_at = 0.0

    # ------------------------------------------------------------------ queue

    def offer(self, message: bytes) -> None:
        """Queue ``message``; when the queue is full the oldest message is dropped."""
        while len(self.queue) >= self.queue_size:
            self.queue.popleft()
            self.counters["dropped"] += 1
            if self.on_dropped is not None:
                self.on_dropped(self.counters["dropped"])
        self.queue.append(message)
        self._wake.set()

    # ------------------------------------------------------------------ connection

    async def run(self) -> None:
        """Connect, send, and reconnect with back-off, until cancelled."""
        loop = asyncio.get_running_loop()
        delay = self.retry_delays[0]
        while True:
            try:
                if self.destination.transport == "udp":
                    await self._run_udp()
                else:
                    await self._run_stream()
            except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as error:
                self.last_error = f"{self.destination}: {error}"
                log.warning("syslog server %s: %s", self.destination, error)
                if self.connected and loop.time() - self._connected_at >= STABLE_CONNECTION:
                    delay = self.retry_delays[0]  # it worked for a while: try again soon
            finally:
                if self.connected:
                    self.counters["disconnections"] += 1
                self.connected = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_delays[1])

    async def _run_udp(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self), remote_addr=(self.destination.host, self.destination.port)
            )
        except OSError:
            self.counters["connect_failures"] += 1
            raise
        self._set_connected()
        try:
            while True:
                while self.queue:
                    transport.sendto(self.queue[0])
                    self.queue.popleft()
                    self.counters["sent"] += 1
                self._wake.clear()
                await self._wake.wait()
        finally:
            transport.close()

    async def _run_stream(self) -> None:
        destination = self.destination
        context = tls_context(destination) if destination.transport == "tls" else None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    destination.host,
                    destination.port,
                    ssl=context,
                    server_hostname=destination.host if context else None,
                ),
                CONNECT_TIMEOUT,
            )
        except (OSError, ssl.SSLError, TimeoutError):
            self.counters["connect_failures"] += 1
            raise
        self._set_connected()
        self.last_error = ""
        log.info("syslog server %s connected", destination)
        self._closed = False
        watcher = asyncio.get_running_loop().create_task(self._watch(reader), name="syslog-watch")
        try:
            while True:
                while self.queue:
                    if self._closed:
                        raise ConnectionError("the server closed the connection")
                    writer.write(octet_counted(self.queue[0]))
                    await writer.drain()
                    self.queue.popleft()
                    self.counters["sent"] += 1
                if self._closed:
                    raise ConnectionError("the server closed the connection")
                self._wake.clear()
                await self._wake.wait()
        finally:
            watcher.cancel()
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(writer.wait_closed(), 2)

    def _set_connected(self) -> None:
        self.connected = True
        self._connected_at = asyncio.get_running_loop().time()
        self.counters["connections"] += 1

    async def _watch(self, reader: asyncio.StreamReader) -> None:
        """A syslog server sends nothing: end of stream (or an error) means it went away,
        and the next message must wait for a new connection instead of vanishing."""
        try:
            while await reader.read(4096):
                pass
        except Exception:  # noqa: S110 - any failure means the connection is gone
            pass
        self._closed = True
        self._wake.set()
