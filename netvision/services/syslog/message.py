"""Syslog messages, pure: RFC 5424 formatting and RFC 6587 octet-counting framing.

No I/O here (sender.py sends); every function is a plain value-to-bytes step, so the
format is unit-tested byte for byte.

One message per event::

    <134>1 2026-01-01T13:00:00.000+01:00 ups-room netvision - UPS [netvision@32473 id="ups.alarm_added"
    severity="warning" serial="SN123"] BOM The UPS is operating on battery power

- PRI = facility × 8 + severity; the catalogue's three levels map to the syslog
  severities informational (6), warning (4) and critical (2).
- TIMESTAMP: the event's time in the configured time zone, with its offset.
- HOSTNAME: the system name (§18.2) reduced to what RFC 5424 allows.
- MSGID: the event's group, the Syslog filter of §18.13 (UPS, NETVISION, SERVICE).
- STRUCTURED-DATA: one element ``netvision@32473`` (32473 is the private enterprise
  number RFC 5612 reserves for documentation) with the event id, severity, UPS serial
  number, and the unit and alarm acronym when the event has them.
- MSG: the event's text in the configured language, UTF-8 with its BOM (§6.4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from ...events.bus import Event, Severity
from ...store.timefmt import to_display

APP_NAME = "netvision"
NILVALUE = "-"
# RFC 5612: the private enterprise number reserved for documentation and examples.
ENTERPRISE_NUMBER = 32473
SD_ID = f"netvision@{ENTERPRISE_NUMBER}"
BOM = b"\xef\xbb\xbf"

FACILITIES = {f"local{number}": 16 + number for number in range(8)}
SYSLOG_SEVERITY = {Severity.INFORMATION: 6, Severity.WARNING: 4, Severity.CRITICAL: 2}

# The groups of the Syslog filter (§18.13) and the MSGID each one carries.
GROUPS = {"ups": "UPS", "netvision": "NETVISION", "service": "SERVICE"}

# SERVICE: what the gateway tells the protected servers (shutdown commands, §18.13
# "shutdown command sent to servers") and the Wake-on-LAN packets that restart them.
SERVICE_EVENTS = frozenset(
    {
        "nv.shutdown_warning_sent",
        "nv.shutdown_request_sent",
        "nv.shutdown_cancel_sent",
        "nv.ups_shutdown_command_sent",
        "nv.ups_output_on_sent",
        "nv.wol_sent",
    }
)


def event_group(event: Event) -> str | None:
    """``"ups"``, ``"netvision"`` or ``"service"``; None for what no event log holds (the
    trap triggers: the UPS events log already has the alarm behind each of them)."""
    if event.id in SERVICE_EVENTS:
        return "service"
    if event.log == "ups":
        return "ups"
    if event.log == "netvision":
        return "netvision"
    return None


def selected(event: Event, groups: Iterable[str]) -> bool:
    """Does the Syslog filter let ``event`` through?"""
    group = event_group(event)
    return group is not None and group in groups


def priority(facility: str, severity: Severity) -> int:
    return FACILITIES[facility] * 8 + SYSLOG_SEVERITY[Severity(severity)]


def timestamp(moment: datetime, time_zone: str = "UTC", dst: str = "auto") -> str:
    """RFC 3339 with milliseconds and the zone's offset (RFC 5424 §6.2.3)."""
    return to_display(moment, time_zone, dst).isoformat(timespec="milliseconds")


_NOT_PRINTABLE = re.compile(r"[^\x21-\x7e]")


def header_field(value: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces (RFC 5424 §6), at most ``limit``
    characters, "-" when empty. Anything else becomes "-" ("Salle onduleur 2" →
    "Salle-onduleur-2")."""
    value = _NOT_PRINTABLE.sub("-", value.strip())[:limit]
    return value or NILVALUE


def hostname(system_name: str, fallback: str = "") -> str:
    """The HOSTNAME field: the system name, else ``fallback`` (the machine's name)."""
    return header_field(system_name or fallback, 255)


def escape_param(value: str) -> str:
    """A PARAM-VALUE: '"', '\\' and ']' are escaped with a backslash (RFC 5424 §6.3.3)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def structured_data(params: Iterable[tuple[str, str]]) -> str:
    body = "".join(f' {name}="{escape_param(value)}"' for name, value in params)
    return f"[{SD_ID}{body}]"


def event_params(event: Event, serial_number: str) -> list[tuple[str, str]]:
    params = [("id", event.id), ("severity", Severity(event.severity).value), ("serial", serial_number)]
    if event.unit:
        params.append(("unit", str(event.unit)))
    if event.acronym:
        params.append(("acronym", event.acronym))
    return params


def format_message(
    event: Event,
    *,
    host: str,
    facility: str = "local0",
    language: str = "en",
    serial_number: str = "",
    time_zone: str = "UTC",
    dst: str = "auto",
    procid: str = NILVALUE,
) -> bytes:
    """One RFC 5424 message for ``event`` (``host`` is already a HOSTNAME field)."""
    group = event_group(event) or "netvision"
    header = " ".join(
        (
            f"<{priority(facility, event.severity)}>1",
            timestamp(event.time, time_zone, dst),
            host,
            APP_NAME,
            procid,
            GROUPS[group],
            structured_data(event_params(event, serial_number)),
        )
    )
    # PARAM-VALUEs are UTF-8 (§6.3.3); every other header field is ASCII already.
    return header.encode("utf-8") + b" " + BOM + event.text(language).encode("utf-8")


def octet_counted(message: bytes) -> bytes:
    """RFC 6587 §3.4.1 framing for TCP and TLS (RFC 5425 §4.3): ``MSG-LEN SP SYSLOG-MSG``."""
    return str(len(message)).encode("ascii") + b" " + message
