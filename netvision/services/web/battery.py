"""The battery test page's table (EN §16.2): status, last test and its result.

The tests themselves are followed in the core (``ups/battery_test.py``); this
module only turns the tracker's state and the snapshot into the page's rows.
"""

from __future__ import annotations

from typing import Any

from ...ups.battery_test import BatteryTestState, per_unit, targets
from ...ups.model import DeviceState, Snapshot
from .labels import t

__all__ = ["battery_test_permitted", "battery_test_status", "per_unit", "rows"]

STATUSES = ("disabled", "in_progress", "standby", "programmed", "enabled")


def battery_test_permitted(snapshot: Snapshot) -> bool:
    """§16.2 "Available if the remote controls are enabled by the UPS and the battery test is possible"."""
    return bool(snapshot.remote_controls_permitted and snapshot.permissions.get("battery_test"))


def battery_test_status(state: DeviceState, permitted: bool) -> str:
    if state.condition("battery_test_in_progress"):
        return "in_progress"
    if state.condition("battery_test_standby"):
        return "standby"
    if state.condition("battery_test_programmed"):
        return "programmed"
    # JBUSP S13 says whether the UPS supports the test; without it, the permission tells.
    if "battery_test_supported" in state.derived.conditions:
        return "enabled" if state.condition("battery_test_supported") else "disabled"
    return "enabled" if permitted else "disabled"


def rows(tests: BatteryTestState, snapshot: Snapshot, language: str) -> list[dict[str, Any]]:
    permitted = battery_test_permitted(snapshot)
    answer = []
    for unit, state in targets(snapshot):
        record = tests.unit(unit)
        status = battery_test_status(state, permitted)
        ended = record.ended
        answer.append(
            {
                "unit": unit,
                "status": status,
                "status_label": t(f"battery_test.{status}", language),
                "last_test": ended.isoformat() if ended else None,
                # §16.2 shows "day/month" of the last test.
                "last_test_text": ended.strftime("%d/%m") if ended else "00/00",
                "result": record.result.value,
                "result_label": t(f"battery_test.result_{record.result.value}", language),
                "can_start": permitted and status != "in_progress",
            }
        )
    return answer
