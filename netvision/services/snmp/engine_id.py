"""A stable SNMP engine ID and a persistent engine-boots counter.

SNMPv3 managers (and v3 trap receivers) key their USM state on the agent's
engine ID; pysnmp's default ID changes on every start (shared/notes §3), so
the ID is derived from the MAC address (RFC 3411 SnmpEngineID format 3) and
the boots counter is kept in the data directory, not in /tmp.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from ... import netinfo
from ...fileio import atomic_write

log = logging.getLogger("netvision.snmp")

SOCOMEC_ENTERPRISE = 4555  # the card's private enterprise number (MIB .1.3.6.1.4.1.4555)
BOOTS_FILE = "snmp_engine_boots"


def interface_mac(interface: str = "") -> bytes:
    """MAC of ``interface``, or of the first non-loopback interface with one."""
    address = netinfo.mac_address(interface)
    if address is None:
        return b"\x00\x00\x00\x00\x00\x01"  # no interface: still stable across restarts
    return bytes.fromhex(address.replace(":", ""))


def engine_id(mac: bytes) -> bytes:
    """RFC 3411: enterprise number with the high bit set, format 3 (MAC address), the MAC."""
    return (0x80000000 | SOCOMEC_ENTERPRISE).to_bytes(4, "big") + b"\x03" + mac


def next_engine_boots(data_dir: Path) -> int:
    """Increment and return snmpEngineBoots, written atomically (RFC 3414 §2.2.2)."""
    path = Path(data_dir) / BOOTS_FILE
    boots = 0
    with contextlib.suppress(OSError, ValueError):
        boots = int(path.read_text().strip())
    boots = boots + 1 if 0 <= boots < 2147483647 else 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, f"{boots}\n".encode())
    except OSError:
        log.warning("cannot store the SNMP engine boots counter in %s", path)
    return boots
