"""The Wake-on-LAN magic packet, pure: six bytes 0xFF, then the target's MAC address
sixteen times (102 bytes), sent as one UDP datagram."""

from __future__ import annotations

import re

SYNC = b"\xff" * 6
REPEATS = 16


def mac_bytes(mac: str) -> bytes:
    """``"00:11:22:aa:bb:cc"`` (or with dashes, or none) → its six bytes."""
    digits = re.sub(r"[:.-]", "", mac)
    if not re.fullmatch(r"[0-9A-Fa-f]{12}", digits):
        raise ValueError(f"not a MAC address: {mac!r}")
    return bytes.fromhex(digits)


def magic_packet(mac: str) -> bytes:
    return SYNC + mac_bytes(mac) * REPEATS
