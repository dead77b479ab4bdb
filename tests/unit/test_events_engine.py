"""The event engine: snapshot diffs → the exact events, levels and texts of §21.3/§21.4."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from netvision.events.bus import EventBus, Severity
from netvision.events.catalog import CATALOG, make_event
from netvision.events.engine import EventEngine, startup_events
from netvision.ups.controls import ControlResult
from netvision.ups.decode import decode_device
from netvision.ups.maps.base import RegisterMap
from netvision.ups.maps.jbusp import JBUSP
from netvision.ups.maps.sts import STS
from netvision.ups.model import Communication, CommunicationState, DeviceState, Snapshot

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _words(bits: Iterable, active: set[str], count: int) -> list[int]:
    words = [0] * count
    for bit in bits:
        if bit.acronym in active:
            words[bit.word] |= 1 << bit.bit
    return words


class Ups:
    """Builds successive snapshots of one device from the acronyms set."""

    def __init__(self, register_map: RegisterMap = JBUSP) -> None:
        self.map = register_map
        self.state: DeviceState | None = None
        self.sequence = 0

    def snapshot(
        self, *active: str, seconds: float = 0, state: CommunicationState = CommunicationState.OK
    ) -> Snapshot:
        self.sequence += 1
        now = T0 + timedelta(seconds=seconds)
        if state is CommunicationState.OK:
            blocks = {
                "status": _words(self.map.statuses, set(active), 8),
                "alarms": _words(self.map.alarms, set(active), 8),
            }
            self.state = decode_device(self.map, 0, blocks, {}, {}, self.state, now)
        return Snapshot(self.sequence, now, Communication(state, now), system=self.state)


def engine_for(ups: Ups) -> EventEngine:
    return EventEngine(EventBus())


WELL_KNOWN_EVENTS = ("trap.alarm_entry_added", "trap.alarm_entry_removed")


def ids(events) -> list[str]:  # type: ignore[no-untyped-def]
    """The events, but the well-known alarm ones (see :func:`entries`)."""
    return [event.id for event in events if event.id not in WELL_KNOWN_EVENTS]


def entries(events) -> list[tuple[str, str, int, int | None]]:  # type: ignore[no-untyped-def]
    """TRAP 3/4 events: (added|removed, mib, well-known number, RFC1628 alarm id)."""
    return [
        (event.id.rsplit("_", 1)[1], event.data["mib"], event.data["well_known"], event.data.get("alarm_id"))
        for event in events
        if event.id in WELL_KNOWN_EVENTS
    ]


def test_first_contact_logs_ups_connected_and_the_ups_status() -> None:
    ups = Ups()
    events = engine_for(ups).events_for(ups.snapshot("S00", "S01", "S02", "S03"))
    assert ids(events) == ["ups.connected", "ups.status.load_on_inverter"]
    assert events[1].text_en == "Load protected by Inverter"
    assert events[1].severity is Severity.INFORMATION
    assert all(event.log == "ups" for event in events)


def test_overload_added_then_removed_with_the_map_labels_levels_and_traps() -> None:
    ups = Ups()
    engine = engine_for(ups)
    engine.events_for(ups.snapshot("S03"))
    added = engine.events_for(ups.snapshot("S03", "A02", seconds=2))
    assert ids(added) == ["ups.alarm_added", "trap.overload"]
    alarm = added[0]
    assert (alarm.text_en, alarm.text_fr) == ("UPS overload", "Surcharge ASI")
    assert alarm.severity is Severity.WARNING
    assert alarm.trap == 3 and alarm.acronym == "A02"
    assert alarm.time == T0 + timedelta(seconds=2)  # the time it appeared
    assert alarm.data["well_known"] == [2] and alarm.data["rfc1628"] == [8]
    assert added[1].trap == 6 and added[1].shutdown and added[1].log == "traps"

    removed = engine.events_for(ups.snapshot("S03", seconds=4))
    assert ids(removed) == ["ups.alarm_removed"]
    assert removed[0].text_en == "UPS overload has been removed"
    assert removed[0].text_fr == "Surcharge ASI a disparu"
    assert removed[0].severity is Severity.INFORMATION and removed[0].trap == 4
    assert removed[0].data["well_known"] == [2]


def test_critical_alarm_keeps_its_critical_level() -> None:
    ups = Ups()
    engine = engine_for(ups)
    engine.events_for(ups.snapshot("S03"))
    events = engine.events_for(ups.snapshot("S03", "A31", seconds=1))
    alarm = next(event for event in events if event.id == "ups.alarm_added")
    assert alarm.text_en == "Imminent STOP" and alarm.severity is Severity.CRITICAL
    assert "trap.imminent_stop" in ids(events)


def test_mains_failure_logs_on_battery_warning_and_raises_traps_1_and_15() -> None:
    ups = Ups()
    engine = engine_for(ups)
    engine.events_for(ups.snapshot("S00", "S01", "S02", "S03"))
    events = engine.events_for(ups.snapshot("S01", "S03", "S05", seconds=1))
    assert ids(events) == ["ups.alarm_added", "trap.on_battery", "trap.on_battery_power"]
    assert events[0].text_en == "On battery / Battery discharging"
    assert events[0].severity is Severity.WARNING
    assert [event.trap for event in events[1:3]] == [1, 15]


def test_status_change_to_bypass_and_load_off_are_status_events() -> None:
    ups = Ups()
    engine = engine_for(ups)
    engine.events_for(ups.snapshot("S03"))
    bypass = engine.events_for(ups.snapshot("S04", seconds=1))
    assert ids(bypass) == ["ups.alarm_added", "ups.status.load_on_bypass", "trap.on_bypass"]
    assert bypass[1].text_en == "Load on bypass" and bypass[1].severity is Severity.WARNING
    off = engine.events_for(ups.snapshot(seconds=2))
    assert "ups.status.load_off" in ids(off)
    assert next(e for e in off if e.id == "ups.status.load_off").severity is Severity.CRITICAL


def test_communication_lost_then_restored_compares_with_the_state_before_the_loss() -> None:
    ups = Ups()
    engine = engine_for(ups)
    engine.events_for(ups.snapshot("S03", "A02"))
    lost = engine.events_for(ups.snapshot(seconds=5, state=CommunicationState.LOST))
    assert ids(lost) == ["nv.communication_lost", "ups.not_connected"]
    assert lost[0].severity is Severity.CRITICAL and lost[0].trap == 14 and lost[0].log == "netvision"
    assert engine.events_for(ups.snapshot(seconds=6, state=CommunicationState.LOST)) == []
    restored = engine.events_for(ups.snapshot("S03", seconds=9))
    assert ids(restored) == ["nv.communication_restored", "ups.connected", "ups.alarm_removed"]
    assert restored[0].trap == 25


def test_well_known_alarms_raise_trap_3_and_4_per_mib_with_the_rfc1628_alarm_row() -> None:
    ups = Ups()
    engine = engine_for(ups)
    first = engine.events_for(ups.snapshot("S03", "A07"))  # temperature: RFC1628 .5
    assert entries(first) == []  # present at first sight: in the table, not "added" now
    assert [row.number for row in engine.alarm_table.rows] == [5]
    added = engine.events_for(ups.snapshot("S03", "A07", "A02", seconds=2))
    assert entries(added) == [("added", "netvision", 2, None), ("added", "rfc1628", 8, 2)]
    assert added[-1].trap == 3 and added[-1].log == "traps"
    row = next(row for row in engine.alarm_table.rows if row.number == 8)
    assert (row.alarm_id, row.since) == (2, T0 + timedelta(seconds=2))
    removed = engine.events_for(ups.snapshot("S03", "A07", seconds=4))
    assert entries(removed) == [("removed", "netvision", 2, None), ("removed", "rfc1628", 8, 2)]
    assert removed[-1].trap == 4
    again = engine.events_for(ups.snapshot("S03", "A07", "A02", seconds=6))
    assert entries(again)[-1] == ("added", "rfc1628", 8, 3)  # a new id: ids are never reused
    assert [(row.alarm_id, row.number) for row in engine.alarm_table.rows] == [(1, 5), (3, 8)]


def test_communication_lost_raises_the_cards_own_well_known_alarms_and_clears_the_others() -> None:
    ups = Ups()
    engine = engine_for(ups)
    engine.events_for(ups.snapshot("S03", "A02"))
    lost = engine.events_for(ups.snapshot(seconds=5, state=CommunicationState.LOST))
    assert entries(lost) == [
        ("added", "netvision", 58, None),
        ("removed", "netvision", 2, None),
        ("added", "rfc1628", 20, 2),
        ("removed", "rfc1628", 8, 1),
    ]
    assert [row.number for row in engine.alarm_table.rows] == [20]
    restored = engine.events_for(ups.snapshot("S03", seconds=9))
    assert entries(restored) == [("removed", "netvision", 58, None), ("removed", "rfc1628", 20, 2)]
    assert engine.alarm_table.rows == ()


def test_input_line_bads_counts_each_entry_into_input_out_of_tolerance() -> None:
    ups = Ups()
    engine = engine_for(ups)
    engine.events_for(ups.snapshot("S00", "S01", "S02", "S03"))
    assert engine.input_line_bads == 0
    engine.events_for(ups.snapshot("S01", "S03", "S05", seconds=1))  # mains failure: on battery
    engine.events_for(ups.snapshot("S01", "S03", "S05", "A05", seconds=2))  # still the same failure
    assert engine.input_line_bads == 1
    engine.events_for(ups.snapshot("S00", "S01", "S02", "S03", seconds=3))
    engine.events_for(ups.snapshot("S00", "S01", "S02", "S03", "A05", seconds=4))  # input bad, no battery
    assert engine.input_line_bads == 2
    engine.events_for(ups.snapshot(seconds=5, state=CommunicationState.LOST))
    engine.events_for(ups.snapshot("S00", "S01", "S02", "S03", "A05", seconds=6))  # the same, before the loss
    assert engine.input_line_bads == 2
    engine.events_for(ups.snapshot("S00", "S01", "S02", "S03", seconds=7))
    engine.events_for(ups.snapshot("S01", "S03", "S05", "S10", seconds=8))  # a battery test: mains are good
    assert engine.input_line_bads == 2


def test_sts_trap_conditions_raise_the_sts_trap_events() -> None:
    sts = Ups(STS)
    engine = engine_for(sts)
    engine.events_for(sts.snapshot("S000", "S016", "S017"))
    events = engine.events_for(sts.snapshot("S000", "S016", "S018", seconds=1))
    trap = next(event for event in events if event.log == "traps")
    assert trap.id == "trap.sts_switch_on_alternate_source" and trap.trap == 4
    assert entries(events) == []  # no UPS MIB well-known alarms on a STS


def test_starting_snapshots_raise_nothing() -> None:
    ups = Ups()
    assert engine_for(ups).events_for(ups.snapshot(state=CommunicationState.STARTING)) == []


def test_parallel_unit_general_alarm_is_a_system_level_event() -> None:
    ups = Ups()
    engine = engine_for(ups)
    engine.events_for(ups.snapshot("S03", "S30", "S32", "S33"))
    events = engine.events_for(ups.snapshot("S03", "S30", "S32", "S33", "A00", "A33", seconds=1))
    texts = [event.text_en for event in events if event.id == "ups.alarm_added"]
    assert texts == ["General alarm", "Unit 2 general alarm"]
    assert all(event.unit == 0 for event in events)


def test_sts_information_statuses_are_logged_too() -> None:
    sts = Ups(STS)
    engine = engine_for(sts)
    engine.events_for(sts.snapshot("S000", "S006", "S017"))
    events = engine.events_for(sts.snapshot("S000", "S016", "S017", seconds=1))
    by_text = {event.text_en: event for event in events}
    assert by_text["Source 1 is the preferred source"].severity is Severity.INFORMATION
    assert by_text["Source 2 OK has been removed"].id == "ups.alarm_removed"
    assert by_text["Source 2 OK has been removed"].text_fr == "Source 2 OK a disparu"


def test_accepted_control_is_a_ups_event_with_who_sent_it() -> None:
    bus = EventBus()
    received = []
    bus.on_event(received.append)
    engine = EventEngine(bus)
    engine.on_control(ControlResult("transfer_to_bypass", True, "", T0, "web", "admin"))
    engine.on_control(
        ControlResult("eco_mode_on", False, "remote controls are not permitted by the UPS", T0, "snmp", "")
    )
    assert received[0].id == "ups.control.transfer_to_bypass"
    assert received[0].text_en == "Transfer Load to Bypass via web by admin"
    assert received[0].text_fr == "Transfert de la charge sur bypass via web par admin"
    assert received[1].id == "nv.control_refused" and received[1].severity is Severity.WARNING
    assert received[1].text_en == (
        "Enable eco mode refused via snmp by ???: remote controls are not permitted by the UPS"
    )


def test_startup_logs_cold_boot_once_per_machine_boot_and_agent_restart_every_time(tmp_path: Path) -> None:
    boot = tmp_path / "boot_id"
    boot.write_text("aaaa\n")
    data = tmp_path / "data"
    data.mkdir()
    assert ids(startup_events(data, boot)) == ["nv.cold_boot", "nv.agent_restart"]
    assert ids(startup_events(data, boot)) == ["nv.agent_restart"]
    boot.write_text("bbbb\n")
    first = startup_events(data, boot)
    assert ids(first) == ["nv.cold_boot", "nv.agent_restart"]
    assert first[1].trap == 27


def test_catalogue_covers_the_manual_lists() -> None:
    assert CATALOG["nv.communication_lost"].trap == 14
    assert CATALOG["nv.communication_restored"].trap == 25
    assert CATALOG["nv.agent_restart"].trap == 27
    assert CATALOG["nv.trap_test"].trap == 40
    assert CATALOG["ups.alarm_added"].trap == 3 and CATALOG["ups.alarm_removed"].trap == 4
    assert CATALOG["trap.on_battery"].trap == 1 and CATALOG["trap.on_battery_power"].trap == 15
    for event_id in (
        "nv.cold_boot",
        "nv.warm_boot",
        "nv.parameters_reset",
        "nv.parameters_checksum_error",
        "nv.history_log_cleared",
        "nv.extended_log_cleared",
        "nv.ups_event_log_cleared",
        "nv.netvision_event_log_cleared",
        "nv.history_interval_changed",
        "nv.extended_interval_changed",
        "nv.time_changed_by_user",
        "nv.time_changed_by_server",
        "ups.status.maintenance_bypass",
        "ups.status.eco_mode",
        "ups.status.standby",
        "ups.control.alarm_acknowledgement",
        "ups.control.eco_mode_off",
    ):
        assert event_id in CATALOG
    changed = make_event("nv.setting_changed", key="snmp.port", via="SNMP", by="private")
    assert changed.text_en == "snmp.port has been changed via SNMP by private"
    assert make_event("nv.time_changed_by_user").text_en == "??? Time changed by user"
