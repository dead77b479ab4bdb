"""The state at a glance (ups/summary.py) and the banner's words (web views): one kind per
snapshot, minutes left, alarms, since when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netvision.services.web.views import banner_view, control_outcome, live_json, refusal_reason
from netvision.ups.controls import ControlResult
from netvision.ups.maps.base import Level
from netvision.ups.model import (
    ActiveAlarm,
    Communication,
    CommunicationState,
    Snapshot,
)
from netvision.ups.summary import SummaryKind, Tone, summarize, worst_alarm
from tests.fakes import device_state

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NORMAL = {
    "rectifier_supply_present": True,
    "rectifier_on": True,
    "inverter_on": True,
    "load_on_inverter": True,
}
ON_BATTERY = {"inverter_on": True, "on_battery": True}


def alarm(acronym: str, level: Level, minutes_ago: int = 5) -> ActiveAlarm:
    return ActiveAlarm(
        acronym, f"{acronym} label", f"{acronym} libellé", level, NOW - timedelta(minutes=minutes_ago)
    )


def snapshot(
    conditions: dict[str, bool] | None = None,
    measurements: dict[str, float | None] | None = None,
    alarms=(),
    state: CommunicationState = CommunicationState.OK,
    system: bool = True,
) -> Snapshot:
    last_read = NOW - timedelta(minutes=2) if state is CommunicationState.LOST and system else None
    return Snapshot(
        sequence=1,
        time=NOW,
        communication=Communication(state, NOW - timedelta(minutes=1), last_read=last_read),
        system=device_state(conditions or NORMAL, measurements, alarms) if system else None,
    )


def test_normal_operation_is_normal_and_green() -> None:
    summary = summarize(snapshot())
    assert summary.kind is SummaryKind.NORMAL and summary.tone is Tone.OK
    assert summary.alarm_count == 0 and summary.worst_alarm is None
    assert banner_view(snapshot(), "en")["title"] == "Normal"


def test_on_battery_gives_the_minutes_left_and_what_happens_next() -> None:
    snap = snapshot(ON_BATTERY, {"remaining_backup_time": 12.4, "time_on_battery": 90})
    summary = summarize(snap)
    assert summary.kind is SummaryKind.ON_BATTERY and summary.tone is Tone.WARNING
    assert summary.minutes_left == 12.4
    assert summary.since == NOW - timedelta(seconds=90)
    view = banner_view(snap, "en")
    assert view["title"] == "On battery: mains failure"
    assert "The load will stop in about 12 min unless mains returns" in view["detail"]
    assert view["minutes_left"] == 12
    assert view["since"] == "since 01/03/2026 11:58:30"
    assert "12 min" in banner_view(snap, "fr")["detail"] and "secteur" in banner_view(snap, "fr")["detail"]


def test_on_battery_without_a_backup_time_still_says_what_happens() -> None:
    view = banner_view(snapshot(ON_BATTERY), "en")
    assert view["minutes_left"] is None
    assert "when the battery is empty" in view["detail"]


def test_battery_low_is_critical_with_minutes_left() -> None:
    snap = snapshot({**ON_BATTERY, "battery_low": True}, {"remaining_backup_time": 3})
    summary = summarize(snap)
    assert summary.kind is SummaryKind.BATTERY_LOW and summary.tone is Tone.CRITICAL
    assert "About 3 min left" in banner_view(snap, "en")["detail"]


def test_imminent_stop_wins_over_battery_low() -> None:
    snap = snapshot({**ON_BATTERY, "battery_low": True, "imminent_stop": True}, {"remaining_backup_time": 1})
    summary = summarize(snap)
    assert summary.kind is SummaryKind.IMMINENT_STOP and summary.tone is Tone.CRITICAL
    assert banner_view(snap, "en")["title"] == "Imminent stop"


def test_a_battery_test_is_not_a_mains_failure() -> None:
    snap = snapshot({**ON_BATTERY, "battery_test_in_progress": True, "rectifier_supply_present": True})
    assert summarize(snap).kind is SummaryKind.BATTERY_TEST


def test_on_bypass_and_maintenance_bypass_but_not_eco_mode() -> None:
    assert (
        summarize(snapshot({"load_on_automatic_bypass": True, "bypass_on": True})).kind
        is SummaryKind.ON_BYPASS
    )
    assert (
        summarize(snapshot({"load_on_maintenance_bypass": True, "load_off": True})).kind
        is SummaryKind.ON_BYPASS
    )
    eco = {"load_on_automatic_bypass": True, "bypass_on": True, "eco_mode": True}
    assert summarize(snapshot(eco)).kind is SummaryKind.NORMAL
    assert banner_view(snapshot({"load_on_automatic_bypass": True}), "en")["title"] == "Load on bypass"


def test_load_off_is_critical() -> None:
    summary = summarize(snapshot({"load_off": True}))
    assert summary.kind is SummaryKind.LOAD_OFF and summary.tone is Tone.CRITICAL


def test_alarms_give_their_count_and_the_worst_one() -> None:
    alarms = (
        alarm("A01", Level.WARNING, 10),
        alarm("A02", Level.CRITICAL, 20),
        alarm("A03", Level.WARNING, 1),
    )
    snap = snapshot(NORMAL, alarms=alarms)
    summary = summarize(snap)
    assert summary.kind is SummaryKind.ALARM and summary.tone is Tone.CRITICAL
    assert summary.alarm_count == 3 and summary.worst_alarm.acronym == "A02"
    assert summary.since == NOW - timedelta(minutes=20)
    view = banner_view(snap, "en")
    assert view["detail"] == "3 active alarms; the most severe: A02 label."
    assert banner_view(snap, "fr")["detail"] == "3 alarmes actives ; la plus grave : A02 libellé."
    warning_only = summarize(snapshot(NORMAL, alarms=(alarm("A01", Level.WARNING),)))
    assert warning_only.tone is Tone.WARNING
    assert (
        banner_view(snapshot(NORMAL, alarms=(alarm("A01", Level.WARNING),)), "en")["detail"]
        == "1 active alarm: A01 label."
    )


def test_worst_alarm_among_equals_is_the_newest() -> None:
    assert worst_alarm((alarm("A01", Level.WARNING, 10), alarm("A03", Level.WARNING, 1))).acronym == "A03"
    assert worst_alarm(()) is None


def test_on_battery_with_alarms_says_both() -> None:
    snap = snapshot(ON_BATTERY, {"remaining_backup_time": 8}, alarms=(alarm("A01", Level.WARNING),))
    view = banner_view(snap, "en")
    assert view["kind"] == "on_battery" and view["alarms"] == "1 active alarm"


def test_communication_lost_says_since_when_in_the_configured_zone() -> None:
    snap = snapshot(NORMAL, state=CommunicationState.LOST)
    summary = summarize(snap)
    assert summary.kind is SummaryKind.COMMUNICATION_LOST and summary.tone is Tone.CRITICAL
    assert summary.since == NOW - timedelta(minutes=1)
    assert summary.last_read == NOW - timedelta(minutes=2)
    view = banner_view(snap, "en", "Europe/Paris")
    assert view["title"] == "Communication lost"
    assert (
        view["detail"]
        == "No answer from the UPS since 01/03/2026 12:59:00. The values shown were read at 01/03/2026 12:58:00."
    )


def test_communication_lost_before_any_read() -> None:
    snap = snapshot(state=CommunicationState.LOST, system=False)
    assert summarize(snap).kind is SummaryKind.COMMUNICATION_LOST
    assert "No value has been read" in banner_view(snap, "en")["detail"]


def test_starting_while_the_ups_is_detected() -> None:
    snap = snapshot(state=CommunicationState.STARTING, system=False)
    summary = summarize(snap)
    assert summary.kind is SummaryKind.STARTING and summary.tone is Tone.INFO
    assert banner_view(snap, "fr")["title"] == "Détection de l'ASI"


def test_live_json_carries_the_banner_and_alarm_times_in_the_configured_zone() -> None:
    snap = snapshot(NORMAL, alarms=(alarm("A01", Level.WARNING, 0),))
    data = live_json(snap, "en", time_zone="Europe/Paris")
    assert data["banner"]["kind"] == "alarm"
    assert data["alarms"][0]["since_text"] == "01/03/2026 13:00:00"


def test_control_outcomes_in_words() -> None:
    accepted = ControlResult("transfer_to_bypass", True, "", NOW)
    assert control_outcome(accepted, "en") == "Load transferred to bypass"
    assert control_outcome(accepted, "fr") == "Charge transférée sur bypass"
    refused = ControlResult(
        "eco_mode_on", False, "eco_mode_on is not permitted by the UPS (permission bit is 0)", NOW
    )
    assert control_outcome(refused, "en") == "Refused: the UPS does not permit this control now"
    assert control_outcome(refused, "fr").startswith("Refusé : ")
    assert refusal_reason("something new", "fr") == "something new"


def test_a_sts_on_its_alternate_source_or_a_maintenance_bypass_says_so() -> None:
    summary = summarize(snapshot({"load_on_alternate_source": True}))
    assert summary.kind is SummaryKind.ON_ALTERNATE_SOURCE and summary.tone is Tone.WARNING
    assert summarize(snapshot({"load_on_preferred_source": True})).kind is SummaryKind.NORMAL
    view = banner_view(snapshot({"load_on_manual_bypass_1": True}), "en", sts=True)
    assert view["kind"] == "on_bypass" and "maintenance bypass of the STS" in view["detail"]
