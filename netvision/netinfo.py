"""What the board's network looks like: MAC address, IPv4 address and mask,
default gateway, DHCP. Read from Linux (/sys, /proc, ioctl); the network itself
is configured by the operating system, not by netvision."""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import socket
import struct
from pathlib import Path

SYS_CLASS_NET = Path("/sys/class/net")
SIOCGIFADDR = 0x8915
SIOCGIFNETMASK = 0x891B

# Where the usual DHCP clients keep their leases (systemd-networkd, dhclient,
# dhcpcd, NetworkManager).
DHCP_LEASES = (
    Path("/run/systemd/netif/leases"),
    Path("/var/lib/dhcp"),
    Path("/var/lib/dhclient"),
    Path("/var/lib/dhcpcd"),
    Path("/var/lib/NetworkManager"),
)


def interfaces(sys_class_net: Path = SYS_CLASS_NET) -> list[str]:
    """Network interfaces other than loopback, by name."""
    with contextlib.suppress(OSError):
        return sorted(path.name for path in sys_class_net.iterdir() if path.name != "lo")
    return []


def mac_address(interface: str = "", sys_class_net: Path = SYS_CLASS_NET) -> str | None:
    """MAC of ``interface``, or of the first interface by name with a real address."""
    for name in [interface] if interface else interfaces(sys_class_net):
        with contextlib.suppress(OSError):
            address = (sys_class_net / name / "address").read_text().strip().lower()
            if len(address) == 17 and address != "00:00:00:00:00:00":
                return address
    return None


def _ioctl_address(interface: str, request: int) -> str | None:
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        packed = struct.pack("256s", interface.encode()[:15])
        return socket.inet_ntoa(fcntl.ioctl(probe.fileno(), request, packed)[20:24])
    return None


def interface_of(address: str, sys_class_net: Path = SYS_CLASS_NET) -> str | None:
    """The interface that holds IPv4 ``address``."""
    for name in interfaces(sys_class_net):
        if _ioctl_address(name, SIOCGIFADDR) == address:
            return name
    return None


def netmask(interface: str) -> str | None:
    return _ioctl_address(interface, SIOCGIFNETMASK)


def default_gateway(interface: str | None = None, route_table: Path = Path("/proc/net/route")) -> str | None:
    """The IPv4 default gateway (of ``interface`` if given)."""
    with contextlib.suppress(OSError):
        for line in route_table.read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[1] != "00000000" or not int(fields[3], 16) & 0x2:
                continue  # not a default route through a gateway (RTF_GATEWAY)
            if interface and fields[0] != interface:
                continue
            return str(ipaddress.IPv4Address(struct.pack("<I", int(fields[2], 16))))
    return None


def dhcp_enabled(interface: str, lease_directories: tuple[Path, ...] = DHCP_LEASES) -> bool:
    """True when a DHCP client holds a lease for ``interface``."""
    for directory in lease_directories:
        with contextlib.suppress(OSError):
            for lease in directory.iterdir():
                if interface in lease.name or lease.name.isdigit() and _ifindex(interface) == lease.name:
                    return True
    return False


def _ifindex(interface: str) -> str | None:
    with contextlib.suppress(OSError):
        return str(socket.if_nametoindex(interface))
    return None


def network_of(address: str) -> tuple[str, str, bool]:
    """(subnet mask, default gateway, DHCP in use) of the interface holding IPv4
    ``address``; 0.0.0.0 for what Linux does not say."""
    interface = interface_of(address)
    if interface is None:
        return "0.0.0.0", "0.0.0.0", False
    mask = netmask(interface) or "0.0.0.0"
    gateway = default_gateway(interface) or "0.0.0.0"
    return mask, gateway, dhcp_enabled(interface)
