"""Which shutdown events are present now (EN §16.8 "Shutdown event selection").

Pure code: from the latest snapshot, the shutdown settings and the local time, the set of
event names (settings.models.SHUTDOWN_EVENTS) whose condition holds. Whether an event's
action is enabled is the procedure's business, not this module's.

The UPS events read the system level (or the single UPS) through the trap conditions of
the NET VISION trap list (App. "NET VISION 7 TRAP DESCRIPTION", events/catalog.py
TRAP_EVENTS, the rows that "may start a shutdown"), with the derived conditions as a
second source where the manual names a state rather than a trap.
"""

from __future__ import annotations

from datetime import datetime

from ...settings.models import ShutdownSettings
from ...ups.model import CommunicationState, DeviceState, Snapshot
from ...ups.status import mains_failed
from . import schedule

# NET VISION trap numbers (events/catalog.py TRAP_EVENTS) -> the shutdown event they raise.
TRAP_SHUTDOWN_EVENTS: dict[int, str] = {
    5: "imminent_stop",  # upsTrapImminentStop
    6: "overload",  # upsTrapOverload
    9: "battery_low",  # upsTrapBatteryDischarged ("Battery Low or Battery Discharged")
    10: "battery_low",  # upsTrapBatteryLow
    17: "temperature_alarm",  # upsTrapTemperatureAlarm
    18: "on_bypass",  # upsTrapOnBypass
}
ON_BATTERY_TRAPS = frozenset({1, 15})  # upsTrapOnBattery, upsTrapOnBatteryPower
BATTERY_CHARGE = "battery_capacity"  # % (JBUSP M04, VU-MAP measurement 22)
# Events that only count while the mains has failed (see ups_events).
_ONLY_ON_MAINS_FAILURE = frozenset({"battery_low"})


def schedule_events(settings: ShutdownSettings, now: datetime) -> set[str]:
    """The schedule events (§16.5, §16.6): present inside a window of a used row."""
    present: set[str] = set()
    if schedule.active_window(settings.weekly_schedule, now) is not None:
        present.add("weekly_schedule")
    if schedule.active_window(settings.special_days, now) is not None:
        present.add("special_day")
    return present


def ups_events(state: DeviceState, settings: ShutdownSettings) -> set[str]:
    """The UPS events of one communicating UPS (the system level).

    Battery Low and Battery Level count only while the mains has failed: after the mains
    returns the battery stays low (or below the level) while it recharges, and the event
    would shut the servers down again just after they restarted; during a battery test
    the mains is good and the UPS ends the test itself before the battery runs out.
    """
    derived = state.derived
    traps = derived.traps if derived.device_kind == "ups" else frozenset()
    conditions = dict(derived.conditions)
    if traps & ON_BATTERY_TRAPS:
        conditions["on_battery"] = True
    present: set[str] = set()
    failed = mains_failed(conditions)  # on battery, and not for a battery test
    if failed:
        present.add("ac_failed")
    for trap, event in TRAP_SHUTDOWN_EVENTS.items():
        if trap in traps:
            present.add(event)
    if conditions.get("battery_low") or conditions.get("battery_discharged"):
        present.add("battery_low")
    if not failed:
        present -= _ONLY_ON_MAINS_FAILURE
    charge = state.measurement(BATTERY_CHARGE)
    if failed and charge is not None and charge < settings.battery_level:
        present.add("battery_level")
    return present


def _communicating(snapshot: Snapshot, now: datetime) -> bool:
    # As Snapshot.communicating, against the given time rather than the machine's clock.
    if snapshot.communication.state is not CommunicationState.OK:
        return False
    return snapshot.valid_until is None or now <= snapshot.valid_until


def present_events(snapshot: Snapshot | None, settings: ShutdownSettings, now: datetime) -> frozenset[str]:
    """The shutdown events present at ``now`` (an aware datetime in the configured time zone)."""
    if snapshot is not None and (
        (snapshot.identity is not None and snapshot.identity.device_kind == "sts")
        or (snapshot.system is not None and snapshot.system.derived.device_kind == "sts")
    ):
        return frozenset()  # a STS has no shutdown management (FR §15.3, INVENTORY STS-15)
    present = schedule_events(settings, now)
    # No snapshot yet, or the UPS does not answer: its conditions are unknown, so no UPS
    # event is present (a remembered "on battery" would never clear). Only the schedules
    # stand; the NUT clients see the stale data themselves (upsmon's DATA-STALE handling).
    if snapshot is not None and snapshot.system is not None and _communicating(snapshot, now):
        present |= ups_events(snapshot.system, settings)
    return frozenset(present)
