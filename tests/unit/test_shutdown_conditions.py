"""Which shutdown events are present (EN §16.8): decoded from JBUSP and VU-MAP register
words, the way the poller builds the system's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from netvision.events.catalog import TRAP_EVENTS
from netvision.services.shutdown.conditions import (
    ON_BATTERY_TRAPS,
    TRAP_SHUTDOWN_EVENTS,
    present_events,
)
from netvision.settings.models import SHUTDOWN_EVENTS, ShutdownSettings, SpecialDayRow, WeeklyScheduleRow
from netvision.ups.decode import decode_device
from netvision.ups.maps import JBUSP, STS, VUMAP
from netvision.ups.model import Communication, CommunicationState, DeviceState, Identity, Snapshot
from netvision.ups.status import derive
from tests.fakes import words_with

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=PARIS)  # a Wednesday
NORMAL = ("S00", "S01", "S02", "S03")  # mains present, rectifier and inverter on, load on inverter
ON_BATTERY = ("S02", "S03", "S05")
SETTINGS = ShutdownSettings()  # battery_level 30 %


def jbusp(statuses=NORMAL, alarms=(), charge: int | None = 100) -> DeviceState:
    measurements = [0] * 48
    measurements[4] = 0xFFFF if charge is None else charge  # M04 battery capacity (%)
    blocks = {
        "status": words_with(JBUSP, statuses, 4),
        "alarms": words_with(JBUSP, alarms, 4),
        "measurements": measurements,
    }
    addresses = {"status": 0x1020, "alarms": 0x1040, "measurements": 0x1060}
    return decode_device(JBUSP, 0, blocks, addresses, {}, None, NOW)


def snapshot(
    system: DeviceState | None,
    state: CommunicationState = CommunicationState.OK,
    device_kind: str = "ups",
    valid_until: datetime | None = None,
) -> Snapshot:
    identity = Identity("jbusp" if device_kind == "ups" else "sts", "", device_kind, None, "", "")
    return Snapshot(
        sequence=1,
        time=NOW,
        communication=Communication(state, NOW - timedelta(minutes=1)),
        identity=identity,
        system=system,
        valid_until=valid_until,
    )


def events(system: DeviceState | None, settings: ShutdownSettings = SETTINGS, **options) -> frozenset[str]:
    return present_events(snapshot(system, **options), settings, NOW)


def test_normal_operation_has_no_event() -> None:
    assert events(jbusp()) == frozenset()


def test_mains_failure_is_ac_failed() -> None:
    assert events(jbusp(ON_BATTERY, charge=90)) == {"ac_failed"}


def test_a_battery_test_is_not_an_ac_failure() -> None:
    # The test discharges the battery with good mains (S05 with S10): no shutdown.
    state = jbusp((*NORMAL, "S05", "S10"), charge=20)
    assert 1 in state.derived.traps  # the on-battery trap condition still holds
    assert events(state) == frozenset()


@pytest.mark.parametrize("bit", ["S15", "S16"])  # battery low, battery discharged
def test_battery_low_or_discharged_on_battery(bit: str) -> None:
    assert events(jbusp((*ON_BATTERY, bit), charge=50)) == {"ac_failed", "battery_low"}


def test_a_battery_still_low_once_the_mains_returned_is_no_event() -> None:
    # Recharging after the outage: the servers just restarted, they must stay up.
    assert events(jbusp((*NORMAL, "S16"), charge=5)) == frozenset()


def test_battery_level_below_the_setting_while_on_battery() -> None:
    assert events(jbusp(ON_BATTERY, charge=29)) == {"ac_failed", "battery_level"}
    assert events(jbusp(ON_BATTERY, charge=30)) == {"ac_failed"}  # "below": 30 % is not
    assert events(jbusp(ON_BATTERY, charge=None)) == {"ac_failed"}  # not managed
    higher = ShutdownSettings(battery_level=60)
    assert events(jbusp(ON_BATTERY, charge=50), higher) == {"ac_failed", "battery_level"}
    assert events(jbusp(NORMAL, charge=20)) == frozenset()  # recharging: not on battery


@pytest.mark.parametrize(
    ("alarms", "statuses", "event"),
    [
        (("A31",), NORMAL, "imminent_stop"),
        (("A02",), NORMAL, "overload"),
        (("A07",), NORMAL, "temperature_alarm"),
        ((), ("S00", "S01", "S04"), "on_bypass"),
    ],
)
def test_trap_events(alarms, statuses, event: str) -> None:
    assert events(jbusp(statuses, alarms)) == {event}


def test_several_events_at_once() -> None:
    state = jbusp((*ON_BATTERY, "S15"), ("A31", "A02"), charge=10)
    assert events(state) == {"ac_failed", "battery_low", "battery_level", "imminent_stop", "overload"}


def test_vumap_mains_failure_and_battery_test() -> None:
    def vumap(statuses, alarms):
        blocks = {"status": words_with(VUMAP, statuses, 8), "alarms": words_with(VUMAP, alarms, 8)}
        return decode_device(VUMAP, 0, blocks, {"status": 0x30, "alarms": 0x38}, {}, None, NOW)

    assert events(vumap(("S000",), ("A019", "A018"))) == {"ac_failed", "battery_low"}
    assert events(vumap(("S000", "S034"), ("A019",))) == frozenset()


def test_an_sts_has_no_shutdown_management() -> None:
    state = DeviceState(0, frozenset(), frozenset(), (), {}, derive(STS, set()))
    weekly = ShutdownSettings(
        weekly_schedule=[WeeklyScheduleRow(shutdown_day="wednesday", shutdown_time="11:00")]
    )
    assert events(state, weekly, device_kind="sts") == frozenset()


@pytest.mark.parametrize("state", [CommunicationState.LOST, CommunicationState.STARTING])
def test_unknown_ups_conditions_leave_only_the_schedules(state: CommunicationState) -> None:
    on_battery = jbusp((*ON_BATTERY, "S15"), charge=5)
    assert events(on_battery, state=state) == frozenset()
    weekly = ShutdownSettings(
        weekly_schedule=[
            WeeklyScheduleRow(
                shutdown_day="wednesday", shutdown_time="11:00", restart_day="wednesday", restart_time="13:00"
            )
        ]
    )
    assert events(on_battery, weekly, state=state) == {"weekly_schedule"}
    assert present_events(None, weekly, NOW) == {"weekly_schedule"}
    assert events(None, weekly) == {"weekly_schedule"}  # no system level yet


def test_values_past_their_validity_are_not_present() -> None:
    on_battery = jbusp(ON_BATTERY)
    assert events(on_battery, valid_until=NOW + timedelta(seconds=5)) == {"ac_failed"}
    assert events(on_battery, valid_until=NOW - timedelta(seconds=5)) == frozenset()


def test_schedule_events() -> None:
    settings = ShutdownSettings(
        weekly_schedule=[
            WeeklyScheduleRow(
                shutdown_day="wednesday", shutdown_time="11:30", restart_day="wednesday", restart_time="12:30"
            )
        ],
        special_days=[
            SpecialDayRow(
                shutdown_date="2026-06-03",
                shutdown_time="12:00",
                restart_date="2026-06-04",
                restart_time="08:00",
            )
        ],
    )
    assert events(jbusp(ON_BATTERY), settings) == {"ac_failed", "weekly_schedule", "special_day"}
    later = NOW + timedelta(hours=1)
    assert present_events(snapshot(jbusp()), settings, later) == {"special_day"}
    restart = datetime(2026, 6, 4, 8, 0, tzinfo=PARIS)
    assert present_events(snapshot(jbusp()), settings, restart) == frozenset()
    # The rows are read in the zone of ``now``: 08:00 in UTC is still before the restart.
    assert present_events(snapshot(jbusp()), settings, restart.astimezone(UTC)) == {"special_day"}


def test_every_event_name_is_a_shutdown_event_and_every_trap_may_start_one() -> None:
    for trap, event in TRAP_SHUTDOWN_EVENTS.items():
        assert event in SHUTDOWN_EVENTS
        assert TRAP_EVENTS[trap][2], trap  # "may start a shutdown"
    for trap in ON_BATTERY_TRAPS:
        assert TRAP_EVENTS[trap][2]
    may_start = {trap for trap, row in TRAP_EVENTS.items() if row[2]}
    assert may_start == set(TRAP_SHUTDOWN_EVENTS) | ON_BATTERY_TRAPS
