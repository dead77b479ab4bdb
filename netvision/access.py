"""IP access control: the card's firewall (EN §18.3 "Firewall Setup", §18.15).

Pure: no I/O, no asyncio. Rules are (address, prefix length, action); the first
rule whose network holds the client's address decides, and the default action
decides when none does. Every listener asks the same question —
:meth:`AccessControl.allows` — before it reads anything from a client: the TCP
listeners at accept, the UDP ones before a datagram is parsed
(``services/listen.py`` wraps their sockets).

An IPv4 client seen by a dual-stack IPv6 socket arrives as ``::ffff:a.b.c.d``;
it is matched as the IPv4 address it is, so one IPv4 rule covers both kinds of
socket.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .ratelimit import PerSourceCounter

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ACCEPT = "accept"
REJECT = "reject"
MAX_RULES = 32


class RuleSettings(Protocol):
    """What a rule holds (settings.models.AccessRule)."""

    @property
    def address(self) -> str: ...

    @property
    def prefix_length(self) -> int: ...

    @property
    def action(self) -> str: ...


def rule_network(address: str, prefix_length: int) -> Network:
    """The network of a rule: ``("192.168.1.7", 24)`` is 192.168.1.0/24 (host bits are ignored,
    as the card's "IP segment" does). Raises ValueError for a bad address or length."""
    ip = ipaddress.ip_address(address)
    if not 0 <= prefix_length <= ip.max_prefixlen:
        raise ValueError(f"prefix length {prefix_length} out of 0..{ip.max_prefixlen} for IPv{ip.version}")
    return ipaddress.ip_network((ip, prefix_length), strict=False)


def client_address(address: str) -> Address | None:
    """The address to match: IPv4-mapped IPv6 (``::ffff:10.0.0.1``) becomes IPv4, a zone
    index (``fe80::1%eth0``) is dropped; None when it is not an IP address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@dataclass(frozen=True)
class Rule:
    network: Network
    accept: bool

    def matches(self, ip: Address) -> bool:
        return ip.version == self.network.version and ip in self.network


class AccessControl:
    """The compiled rule table. ``enabled=False`` accepts everyone (the default)."""

    def __init__(self, rules: Iterable[Rule] = (), *, default_accept: bool = True, enabled: bool = True) -> None:
        self.rules = tuple(rules)
        self.default_accept = default_accept
        self.enabled = enabled

    @classmethod
    def from_settings(cls, enabled: bool, rules: Iterable[RuleSettings], default_action: str) -> AccessControl:
        return cls(
            (Rule(rule_network(rule.address, rule.prefix_length), rule.action == ACCEPT) for rule in rules),
            default_accept=default_action == ACCEPT,
            enabled=enabled,
        )

    def allows(self, address: str) -> bool:
        """True when a client at ``address`` may be served. The first matching rule wins;
        an address that is not an IP (a Unix socket) is local and always served."""
        if not self.enabled:
            return True
        ip = client_address(address)
        if ip is None:
            return True
        for rule in self.rules:
            if rule.matches(ip):
                return rule.accept
        return self.default_accept


class Denials(PerSourceCounter):
    """Refused attempts counted per source, and when each source is next worth an event.

    At most one event per source and ``period`` seconds (the issue's "one event per
    source and minute"); the event carries how many attempts it stands for. The table
    is the shared bounded counter (``ratelimit.py``): past ``max_sources`` sources in
    one period, the others share one entry, so a flood from many addresses costs
    bounded memory and a bounded number of events.
    """

    def __init__(self, period: float = 60.0, max_sources: int = 1024) -> None:
        super().__init__(window=period, max_sources=max_sources)
        self.period = period

    def record(self, source: str, now: float) -> int:
        """Count one refused attempt from ``source`` at ``now`` (monotonic seconds).
        Returns the number of attempts to report in an event now, or 0 for no event."""
        return self.hit(source, now)

    def pending(self, source: str) -> int:
        """Attempts from ``source`` counted since its last event."""
        return self.unreported(source)


class AccessGuard:
    """The daemon's one access control: the rule table compiled from the current settings
    section (recompiled when the section object changes) and the refusals counted so far."""

    def __init__(self) -> None:
        self.denials = Denials()
        self._section: object = None
        self._control = AccessControl(enabled=False)

    def control(self, section: AccessSettings) -> AccessControl:
        if section is not self._section:
            self._control = AccessControl.from_settings(section.enabled, section.rules, section.default_action)
            self._section = section
        return self._control

    def allows(self, section: AccessSettings, address: str) -> bool:
        return self.control(section).allows(address)


class AccessSettings(Protocol):
    """The ``[access_control]`` settings section (settings.models.AccessControlSettings)."""

    @property
    def enabled(self) -> bool: ...

    @property
    def default_action(self) -> str: ...

    @property
    def rules(self) -> Iterable[RuleSettings]: ...


def source_key(address: str) -> str:
    """How a source is counted: ``::ffff:10.0.0.1`` and ``10.0.0.1`` are one source."""
    ip = client_address(address)
    return str(ip) if ip is not None else address


SECTION = "access_control"


def rules_changed(keys: Iterable[str]) -> bool:
    """Whether a saved change (its dotted keys) touched the firewall: the TCP services then
    close the connections already open from an address the new rules refuse."""
    return any(key == SECTION or key.startswith(SECTION + ".") for key in keys)
