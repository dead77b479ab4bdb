"""Control catalogue, permissions and requests (§16.1, §16.2).

A control is a request put on the poller's queue; the poller checks the UPS
permission bits, writes it between two reads with the map's encoding, and
answers with a :class:`ControlResult`. Pure code apart from the future.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..i18n import label
from .maps.base import CONTROLS, ControlEncoding, RegisterMap, unit_address

# The labels live in the i18n tables (``control.<name>``); this view serves the event catalogue.
CONTROL_LABELS: Mapping[str, tuple[str, str]] = {
    name: (label(f"control.{name}", "en"), label(f"control.{name}", "fr")) for name in CONTROLS
}
assert set(CONTROL_LABELS) == set(CONTROLS)


class ControlRefused(Exception):
    """A control that was not sent; the message says why."""


@dataclass(frozen=True)
class ControlResult:
    control: str
    accepted: bool
    reason: str
    time: datetime
    source: str = ""
    user: str = ""


@dataclass
class ControlRequest:
    control: str
    source: str = ""  # "web", "snmp", …: for the event log
    user: str = ""
    unit: int | None = None  # battery test of one unit; None = system level (§16.1)
    future: asyncio.Future[ControlResult] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def write_address(encoding: ControlEncoding, unit: int) -> int:
    return unit_address(encoding.register, unit) if encoding.per_unit else encoding.register


def permission_address(encoding: ControlEncoding, unit: int) -> int | None:
    if encoding.permission_register is None:
        return None
    return unit_address(encoding.permission_register, unit) if encoding.per_unit else encoding.permission_register


def _bit(words: Mapping[int, int], address: int | None, bit: int | None) -> bool | None:
    if address is None or bit is None or address not in words:
        return None
    return bool(words[address] >> bit & 1)


def remote_permitted(register_map: RegisterMap, words: Mapping[int, int], conditions: Mapping[str, bool]) -> bool:
    """The UPS's global "remote control" permission: VU-MAP P000, JBUSP !S06."""
    if register_map.remote_permission_register is not None:
        return bool(_bit(words, register_map.remote_permission_register, register_map.remote_permission_bit))
    if "remote_controls_permitted" in register_map.conditions:
        return bool(conditions.get("remote_controls_permitted"))
    return False


def permission_table_managed(register_map: RegisterMap, conditions: Mapping[str, bool]) -> bool:
    """Whether the UPS's permission table is to be read: JBUSP says so in S42
    "Controls permission table managed"; a map without that condition always has one."""
    if "permission_table_managed" in register_map.conditions:
        return bool(conditions.get("permission_table_managed"))
    return True


def check_permission(
    register_map: RegisterMap,
    control: str,
    unit: int,
    words: Mapping[int, int],
    conditions: Mapping[str, bool],
) -> str:
    """Empty string when the control may be sent, else the reason it may not.

    Remote controls must be enabled by the UPS (VU-MAP P000, JBUSP !S06). Where the
    UPS manages a permission table, the control's bit must read 1; where it does not
    (JBUSP S42 = 0), the controls the UPS announces are permitted (App. JBUSP S42):
    every control of the map, the battery test only while the UPS says it supports
    one (S13, ``announced_by``).
    """
    encoding = register_map.controls.get(control)
    if encoding is None:
        return f"{control} is not available on a {register_map.title} device"
    if not remote_permitted(register_map, words, conditions):
        return "remote controls are not permitted by the UPS"
    if not permission_table_managed(register_map, conditions):
        if encoding.announced_by is not None and not conditions.get(encoding.announced_by):
            return f"{control} is not offered by the UPS now"
        return ""
    address = permission_address(encoding, unit)
    allowed = _bit(words, address, encoding.permission_bit)
    if allowed is False:
        return f"{control} is not permitted by the UPS (permission bit is 0)"
    if allowed is None and address is not None:
        return f"{control}: the UPS permission table could not be read"
    return ""


def permissions(
    register_map: RegisterMap, unit: int, words: Mapping[int, int], conditions: Mapping[str, bool]
) -> dict[str, bool]:
    """Every control of the map → whether the UPS permits it now."""
    return {
        control: not check_permission(register_map, control, unit, words, conditions)
        for control in register_map.controls
    }


def now_utc() -> datetime:
    return datetime.now(UTC)
