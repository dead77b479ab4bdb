"""Listening sockets that apply the IP access control (EN §18.15) before anything is read.

asyncio's selector loop reads a listening socket with ``accept()`` and a datagram
socket with ``recvfrom()``; a :class:`GuardedSocket` answers those calls only with
clients the access control allows. A refused TCP connection is closed at once —
before a TLS handshake or an HTTP header is read — and a refused datagram is
dropped before it is parsed. Every listener (web, Modbus TCP, SNMP, BACnet, and
the ones to come) opens its socket here or wraps the one it opened with
:func:`guard`, so the rule is applied in one place.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

Allows = Callable[[str], bool]

# Refusals handled within one call before the loop gets control back: the selector
# calls again while more is waiting, so a flood of refused clients cannot hold the loop.
_BURST = 64


class GuardedSocket(socket.socket):
    """A socket whose ``accept``/``recvfrom`` skip clients ``allows`` refuses."""

    allows: Allows

    def accept(self) -> tuple[socket.socket, Any]:
        for _ in range(_BURST):
            conn, address = super().accept()
            if self.allows(address[0]):
                return conn, address
            # RST rather than FIN: nothing waits in TIME_WAIT for a refused client.
            try:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            conn.close()
        raise BlockingIOError("refused clients only")

    def recvfrom(self, bufsize: int, flags: int = 0) -> tuple[bytes, Any]:
        for _ in range(_BURST):
            data, address = super().recvfrom(bufsize, flags)
            if self.allows(address[0]):
                return data, address
        raise BlockingIOError("refused datagrams only")

    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Any]:
        for _ in range(_BURST):
            size, address = super().recvfrom_into(buffer, nbytes, flags)
            if self.allows(address[0]):
                return size, address
        raise BlockingIOError("refused datagrams only")


def guard(sock: socket.socket, allows: Allows) -> GuardedSocket:
    """The same open socket (bound or listening), now checking each client with ``allows``.
    ``sock`` is detached: use the returned object only."""
    guarded = GuardedSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    guarded.allows = allows
    return guarded


def tcp_listener(bind: str, port: int, allows: Allows) -> GuardedSocket:
    """A bound TCP socket for ``asyncio`` ``create_server``/``start_server(sock=...)``,
    with the options asyncio gives its own (address reuse; an IPv6 socket is IPv6 only).
    Raises OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((bind, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return guard(sock, allows)
