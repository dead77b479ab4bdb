"""The active alarm table (§12.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netvision.events.alarm_table import alarm_table
from netvision.ups.decode import decode_device
from netvision.ups.maps.jbusp import JBUSP
from netvision.ups.model import Communication, CommunicationState, DeviceState, Snapshot, Unit

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _state(active: set[str], previous: DeviceState | None, seconds: float, number: int = 0) -> DeviceState:
    status, alarms = [0] * 4, [0] * 4
    for bit in JBUSP.statuses:
        if bit.acronym in active:
            status[bit.word] |= 1 << bit.bit
    for bit in JBUSP.alarms:
        if bit.acronym in active:
            alarms[bit.word] |= 1 << bit.bit
    now = T0 + timedelta(seconds=seconds)
    return decode_device(JBUSP, number, {"status": status, "alarms": alarms}, {}, {}, previous, now)


def test_table_counts_alarms_and_names_the_last_one_with_time_and_level() -> None:
    first = _state({"S03", "A02"}, None, 0)
    second = _state({"S03", "A02", "A00", "A31"}, first, 5)
    table = alarm_table(Snapshot(2, T0, Communication(CommunicationState.OK, T0), system=second))
    assert table.count == 3
    assert [row.index for row in table.rows] == ["A02", "A00", "A31"]
    assert table.rows[0].time == T0 and table.rows[1].time == T0 + timedelta(seconds=5)
    assert table.rows[0].description_en == "UPS overload" and table.rows[0].level == "warning"
    assert table.rows[2].level == "critical"
    assert table.last is not None and table.last.time == T0 + timedelta(seconds=5)
    assert table.rows[2].description("fr") == "ARRÊT imminent"


def test_parallel_system_table_shows_only_system_level_alarms() -> None:
    system = _state({"S03", "S30", "S32", "S33", "A00", "A33"}, None, 0)
    unit_2 = _state({"S03", "A02", "A07"}, None, 0, number=2)
    snapshot = Snapshot(
        1,
        T0,
        Communication(CommunicationState.OK, T0),
        system=system,
        units=(Unit(1, _state({"S03"}, None, 0, 1)), Unit(2, unit_2)),
    )
    table = alarm_table(snapshot)
    assert [row.index for row in table.rows] == ["A00", "A33"]
    assert table.rows[1].description_en == "Unit 2 general alarm"


def test_table_is_empty_while_communication_is_lost() -> None:
    system = _state({"A02"}, None, 0)
    snapshot = Snapshot(1, T0, Communication(CommunicationState.LOST, T0), system=system)
    assert alarm_table(snapshot).count == 0 and alarm_table(snapshot).last is None
