"""The shutdown procedure's state file: a restart resumes the warning period with the time
left, never forgets or repeats a shutdown, and resumes a pending restart of the output."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from netvision.services.shutdown import state
from netvision.services.shutdown.procedure import ActionKind, Inputs, evaluate
from netvision.services.shutdown.status import IDLE, Phase, ShutdownStatus, UpsShutOff
from netvision.settings.models import ShutdownSettings

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
AC = {"event": "ac_failed", "enabled": True, "warning_period": 5, "first_warning": 10, "warning_interval": 60}


def settings(**options: object) -> ShutdownSettings:
    return ShutdownSettings.model_validate({"events": [AC], **options})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_missing_or_damaged_file_is_a_procedure_at_rest(tmp_path: Path) -> None:
    assert state.load(tmp_path) is IDLE
    state.state_path(tmp_path).write_text("{not json")
    assert state.load(tmp_path) is IDLE
    state.state_path(tmp_path).write_text(json.dumps({"version": 99}))
    assert state.load(tmp_path) is IDLE


def test_every_field_survives_the_file(tmp_path: Path) -> None:
    status = ShutdownStatus(
        phase=Phase.SHUTDOWN,
        event="ac_failed",
        started=at(0),
        deadline=at(300),
        shutdown_sent=at(300),
        warnings_sent=5,
        ups_shut_off=UpsShutOff.RESTART_PENDING,
        ups_off_at=at(480),
        restart_at=at(900),
        shut_off_error="",
        present_since=(("ac_failed", at(0)), ("battery_low", at(200))),
        completed=frozenset({"ac_failed", "battery_low"}),
        clients_seen=True,
        cancel_at=None,
    )
    state.save(tmp_path, status)
    assert state.load(tmp_path) == status
    assert json.loads(state.state_path(tmp_path).read_text())["deadline"] == "2026-12-02T12:05:00+00:00"


def test_restart_in_a_warning_period_resumes_with_the_time_left(tmp_path: Path) -> None:
    shutdown = settings()
    status, _ = evaluate(IDLE, shutdown, Inputs(at(0), frozenset({"ac_failed"})))
    status, actions = evaluate(status, shutdown, Inputs(at(10), frozenset({"ac_failed"})))
    assert [action.kind for action in actions] == [ActionKind.WARNING]
    state.save(tmp_path, status)
    # The gateway is down 100 s; the event is still present when it comes back.
    resumed = state.load(tmp_path)
    assert resumed.phase is Phase.WARNING and resumed.seconds_left(at(110)) == 190
    resumed, actions = evaluate(resumed, shutdown, Inputs(at(110), frozenset({"ac_failed"})))
    assert [(action.kind, action.seconds_left) for action in actions] == [(ActionKind.WARNING, 190)]
    assert resumed.deadline == at(300)
    # Down past the deadline: the shutdown command at once.
    late, actions = evaluate(state.load(tmp_path), shutdown, Inputs(at(400), frozenset({"ac_failed"})))
    assert [action.kind for action in actions] == [ActionKind.REQUEST] and late.phase is Phase.SHUTDOWN


def test_a_shutdown_sent_is_not_repeated_after_a_restart(tmp_path: Path) -> None:
    shutdown = settings()
    status, _ = evaluate(IDLE, shutdown, Inputs(at(0), frozenset({"ac_failed"})))
    status, actions = evaluate(status, shutdown, Inputs(at(300), frozenset({"ac_failed"})))
    assert [action.kind for action in actions] == [ActionKind.REQUEST]
    state.save(tmp_path, status)
    resumed, actions = evaluate(state.load(tmp_path), shutdown, Inputs(at(500), frozenset({"ac_failed"})))
    assert actions == [] and resumed.phase is Phase.SHUTDOWN
    resumed, actions = evaluate(resumed, shutdown, Inputs(at(600), frozenset()))
    assert [action.kind for action in actions] == [ActionKind.CANCEL]


def test_a_pending_restart_of_the_output_resumes(tmp_path: Path) -> None:
    shutdown = settings(ups_shut_off=True, ups_shut_off_delay=10, ups_on_delay=2)
    status = ShutdownStatus(
        phase=Phase.SHUTDOWN,
        event="ac_failed",
        started=at(0),
        deadline=at(0),
        shutdown_sent=at(0),
        ups_shut_off=UpsShutOff.RESTART_PENDING,
        restart_at=at(200),
        completed=frozenset({"ac_failed"}),
    )
    state.save(tmp_path, status)
    resumed, actions = evaluate(
        state.load(tmp_path), shutdown, Inputs(at(150), frozenset(), mains_present=True)
    )
    assert actions == [] and resumed.ups_shut_off is UpsShutOff.RESTART_PENDING
    resumed, actions = evaluate(resumed, shutdown, Inputs(at(200), frozenset(), mains_present=True))
    assert [action.kind for action in actions] == [ActionKind.UPS_OUTPUT_ON, ActionKind.CANCEL]
