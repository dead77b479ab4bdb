"""The shutdown procedure (EN §16.8) as a pure state machine: timings, cancel, takeover,
test, forced shutdown, UPS shut-off (also asked by a NUT client) and restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from netvision.services.shutdown.procedure import (
    FORCED_SHUTDOWN_HOLD,
    TEST_CANCEL_DELAY,
    Action,
    ActionKind,
    Inputs,
    control_failed,
    evaluate,
    force,
    start_test,
    ups_shut_off,
)
from netvision.services.shutdown.status import IDLE, Phase, ShutdownStatus, UpsShutOff
from netvision.settings.models import ShutdownSettings

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def settings(rows: dict[str, dict[str, Any]] | None = None, **options: Any) -> ShutdownSettings:
    events = [{"event": name, **row} for name, row in (rows or {}).items()]
    return ShutdownSettings.model_validate({"events": events, **options})


AC = {"enabled": True, "warning_period": 2, "first_warning": 10, "warning_interval": 30}


class Run:
    """Drives the procedure second by second, keeping every action with its time."""

    def __init__(self, shutdown: ShutdownSettings, status: ShutdownStatus = IDLE) -> None:
        self.settings = shutdown
        self.status = status
        self.log: list[tuple[float, Action]] = []

    def step(self, at: float, events: set[str] | frozenset[str] = frozenset(), **inputs: Any) -> list[Action]:
        now = T0 + timedelta(seconds=at)
        self.status, actions = evaluate(self.status, self.settings, Inputs(now, frozenset(events), **inputs))
        self.log.extend((at, action) for action in actions)
        return actions

    def run(
        self, start: float, stop: float, events: set[str] | frozenset[str] = frozenset(), **inputs: Any
    ) -> None:
        at = start
        while at <= stop:
            self.step(at, events, **inputs)
            at += 1

    def kinds(self) -> list[tuple[float, str]]:
        return [(at, action.kind.value) for at, action in self.log]


def test_no_event_no_procedure() -> None:
    run = Run(settings({"ac_failed": AC}))
    run.run(0, 10)
    assert run.status.phase is Phase.IDLE and run.log == []


def test_disabled_event_starts_nothing() -> None:
    run = Run(settings({"ac_failed": {**AC, "enabled": False}}))
    run.run(0, 300, {"ac_failed"})
    assert run.status.phase is Phase.IDLE and run.log == []


def test_warnings_then_request_at_the_deadline() -> None:
    run = Run(settings({"ac_failed": AC}))
    run.run(0, 130, {"ac_failed"})
    # 2 min period: warnings at 10, 40, 70, 100 s, the request at 120 s.
    assert run.kinds() == [
        (10, "warning"),
        (40, "warning"),
        (70, "warning"),
        (100, "warning"),
        (120, "request"),
    ]
    assert [action.seconds_left for _at, action in run.log[:4]] == [110, 80, 50, 20]
    assert all(action.event == "ac_failed" for _at, action in run.log)
    assert run.status.phase is Phase.SHUTDOWN
    assert run.status.shutdown_sent == T0 + timedelta(seconds=120)
    assert run.status.warnings_sent == 4


def test_status_reports_the_time_left() -> None:
    run = Run(settings({"ac_failed": AC}))
    run.step(0, {"ac_failed"})
    assert run.status.phase is Phase.WARNING
    assert run.status.deadline == T0 + timedelta(minutes=2)
    assert run.status.seconds_left(T0 + timedelta(seconds=45)) == 75


def test_interval_zero_sends_one_warning() -> None:
    run = Run(settings({"ac_failed": {**AC, "warning_interval": 0}}))
    run.run(0, 125, {"ac_failed"})
    assert run.kinds() == [(10, "warning"), (120, "request")]


def test_first_warning_after_the_deadline_sends_none() -> None:
    run = Run(settings({"ac_failed": {**AC, "warning_period": 1, "first_warning": 60}}))
    run.run(0, 70, {"ac_failed"})
    assert run.kinds() == [(60, "request")]


def test_warning_period_zero_is_an_immediate_request() -> None:
    run = Run(settings({"ac_failed": {**AC, "warning_period": 0}}))
    actions = run.step(0, {"ac_failed"})
    assert [action.kind for action in actions] == [ActionKind.REQUEST]
    assert run.status.phase is Phase.SHUTDOWN and run.status.forced_shutdown


def test_event_cleared_in_the_warning_period_cancels() -> None:
    run = Run(settings({"ac_failed": AC}))
    run.run(0, 50, {"ac_failed"})
    run.step(51)
    assert run.kinds() == [(10, "warning"), (40, "warning"), (51, "cancel")]
    assert run.status.phase is Phase.IDLE
    # Reversible: the mains fails again, a new period starts from that moment.
    run.step(60, {"ac_failed"})
    assert run.status.phase is Phase.WARNING
    assert run.status.deadline == T0 + timedelta(seconds=180)


def test_cancel_only_when_every_enabled_event_cleared() -> None:
    overload = {"enabled": True, "warning_period": 5, "first_warning": 0, "warning_interval": 0}
    run = Run(settings({"ac_failed": AC, "overload": overload}))
    run.step(0, {"ac_failed", "overload"})
    assert run.status.event == "ac_failed"
    run.step(30, {"overload"})
    # AC back, the overload goes on with its own (later) deadline.
    assert run.status.phase is Phase.WARNING and run.status.event == "overload"
    assert run.status.deadline == T0 + timedelta(minutes=5)
    assert all(action.kind is not ActionKind.CANCEL for _at, action in run.log)
    run.step(31)
    assert run.kinds()[-1] == (31, "cancel")


def test_battery_low_during_ac_failed_warning_is_immediate() -> None:
    run = Run(settings({"ac_failed": AC}))  # battery_low: period 0 by default
    run.run(0, 20, {"ac_failed"})
    actions = run.step(21, {"ac_failed", "battery_low"})
    assert [action.kind for action in actions] == [ActionKind.REQUEST]
    assert actions[0].event == "battery_low"
    assert run.status.phase is Phase.SHUTDOWN and run.status.event == "battery_low"


def test_a_later_event_with_a_longer_deadline_does_not_delay() -> None:
    overload = {"enabled": True, "warning_period": 10, "first_warning": 0, "warning_interval": 0}
    run = Run(settings({"ac_failed": AC, "overload": overload}))
    run.step(0, {"ac_failed"})
    run.step(5, {"ac_failed", "overload"})
    assert run.status.event == "ac_failed" and run.status.deadline == T0 + timedelta(minutes=2)


def test_shorter_event_appearing_later_wins() -> None:
    overload = {"enabled": True, "warning_period": 1, "first_warning": 0, "warning_interval": 0}
    run = Run(settings({"ac_failed": {**AC, "warning_period": 5}, "overload": overload}))
    run.step(0, {"ac_failed"})
    run.step(10, {"ac_failed", "overload"})
    assert run.status.event == "overload" and run.status.deadline == T0 + timedelta(seconds=70)
    run.run(11, 70, {"ac_failed", "overload"})
    assert run.kinds()[-1] == (70, "request")


def test_shutdown_stays_until_every_event_cleared_then_cancels() -> None:
    run = Run(settings({"ac_failed": {**AC, "warning_period": 0}}))
    run.run(0, 100, {"ac_failed"})
    assert run.kinds() == [(0, "request")]  # never repeated while the event stays
    run.step(101)
    assert run.kinds()[-1] == (101, "cancel")
    assert run.status.phase is Phase.IDLE


def test_completed_shutdown_is_not_repeated_while_its_event_stays() -> None:
    level = {"enabled": True, "warning_period": 0, "first_warning": 0, "warning_interval": 0}
    run = Run(
        settings(
            {"ac_failed": {**AC, "warning_period": 0}, "battery_level": level},
            ups_shut_off=True,
            ups_on_delay=1,
        ),
    )
    run.step(0, {"ac_failed", "battery_level"}, ups_manages_shut_off=True, mains_present=False)
    run.run(1, 180, {"battery_level"}, ups_manages_shut_off=True, mains_present=False)
    assert run.status.ups_shut_off is UpsShutOff.OFF
    # The mains is back, the output comes on, the battery still below its level.
    run.run(181, 260, {"battery_level"}, ups_manages_shut_off=True, mains_present=True)
    assert [kind for _at, kind in run.kinds()] == ["request", "ups_shut_off", "ups_output_on", "cancel"]
    assert run.status.phase is Phase.IDLE
    run.run(261, 300, {"battery_level"}, ups_manages_shut_off=True)
    assert run.status.phase is Phase.IDLE
    # Once the battery recharged past the level, the event is ready again.
    run.step(301, set())
    run.step(302, {"battery_level"})
    assert run.status.phase is Phase.SHUTDOWN


# -- UPS shut-off ---------------------------------------------------------------------------


def shut_off_settings(**options: Any) -> ShutdownSettings:
    values = {"ups_shut_off": True, "ups_shut_off_delay": 180, "shut_off_after_logout": 30, "ups_on_delay": 1}
    values.update(options)
    return settings({"ac_failed": {**AC, "warning_period": 0}}, **values)


def test_shut_off_after_the_delay_without_clients() -> None:
    run = Run(shut_off_settings())
    run.run(0, 200, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False)
    assert run.kinds() == [(0, "request"), (180, "ups_shut_off")]
    assert run.status.ups_shut_off is UpsShutOff.OFF and run.status.phase is Phase.SHUTDOWN


def test_shut_off_after_every_client_logged_out() -> None:
    run = Run(shut_off_settings())
    run.run(0, 20, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False, clients_logged_in=2)
    assert run.status.ups_shut_off is UpsShutOff.WAITING
    run.run(21, 60, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False, clients_logged_in=1)
    run.run(61, 200, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False, clients_logged_in=0)
    assert run.kinds() == [(0, "request"), (91, "ups_shut_off")]  # 61 + 30 s


def test_shut_off_delay_first_when_clients_stay() -> None:
    run = Run(shut_off_settings(ups_shut_off_delay=40))
    run.run(0, 60, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False, clients_logged_in=1)
    assert run.kinds() == [(0, "request"), (40, "ups_shut_off")]


def test_no_shut_off_when_the_ups_does_not_manage_it() -> None:
    run = Run(shut_off_settings())
    run.run(0, 300, {"ac_failed"}, ups_manages_shut_off=False, mains_present=False)
    assert run.kinds() == [(0, "request")]
    assert run.status.ups_shut_off is UpsShutOff.NONE


def test_restart_after_the_on_delay_once_the_mains_returns() -> None:
    run = Run(shut_off_settings(ups_shut_off_delay=10))
    run.run(0, 30, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False)
    # Output off: the UPS is no longer on battery, the event may clear; the mains still out.
    run.run(31, 100, set(), ups_manages_shut_off=True, mains_present=False)
    assert run.status.ups_shut_off is UpsShutOff.OFF and run.status.phase is Phase.SHUTDOWN
    run.step(101, set(), mains_present=True)
    assert run.status.ups_shut_off is UpsShutOff.RESTART_PENDING
    assert run.status.restart_at == T0 + timedelta(seconds=161)
    run.run(102, 170, set(), mains_present=True)
    assert run.kinds() == [(0, "request"), (10, "ups_shut_off"), (161, "ups_output_on"), (161, "cancel")]
    assert run.status.phase is Phase.IDLE and run.status.ups_shut_off is UpsShutOff.NONE


def test_mains_lost_again_during_the_on_delay_waits_again() -> None:
    run = Run(shut_off_settings(ups_shut_off_delay=10))
    run.run(0, 20, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False)
    run.step(21, set(), mains_present=True)
    run.step(30, set(), mains_present=False)
    assert run.status.ups_shut_off is UpsShutOff.OFF and run.status.restart_at is None
    run.run(31, 200, set(), mains_present=False)
    assert run.kinds() == [(0, "request"), (10, "ups_shut_off")]


def test_on_delay_zero_means_no_restart() -> None:
    run = Run(shut_off_settings(ups_shut_off_delay=10, ups_on_delay=0))
    run.run(0, 20, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False)
    run.run(21, 200, set(), mains_present=True)
    assert run.kinds() == [(0, "request"), (10, "ups_shut_off"), (21, "cancel")]
    assert run.status.phase is Phase.IDLE and run.status.ups_shut_off is UpsShutOff.OFF


def test_schedule_restart_comes_when_the_schedule_event_clears() -> None:
    weekly = {"enabled": True, "warning_period": 0, "first_warning": 0, "warning_interval": 0}
    run = Run(settings({"weekly_schedule": weekly}, ups_shut_off=True, ups_shut_off_delay=10, ups_on_delay=2))
    run.run(0, 500, {"weekly_schedule"}, ups_manages_shut_off=True, mains_present=True)
    assert run.kinds() == [(0, "request"), (10, "ups_shut_off")]
    run.step(501, set(), mains_present=True)  # the restart time
    assert run.status.restart_at == T0 + timedelta(seconds=621)
    run.run(502, 630, set(), mains_present=True)
    assert run.kinds()[-2:] == [(621, "ups_output_on"), (621, "cancel")]


def test_refused_shut_off_is_reported_and_the_shutdown_ends_with_its_events() -> None:
    run = Run(shut_off_settings(ups_shut_off_delay=5))
    run.run(0, 6, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False)
    run.status = control_failed(run.status, "standby_on is not permitted by the UPS")
    assert run.status.ups_shut_off is UpsShutOff.FAILED
    run.run(7, 20, {"ac_failed"}, mains_present=False)
    run.step(21, set(), mains_present=True)
    assert run.kinds()[-1] == (21, "cancel")


# -- test procedure ---------------------------------------------------------------------------


def test_test_refused_when_ac_failed_is_disabled() -> None:
    status, reason = start_test(IDLE, settings({"ac_failed": {**AC, "enabled": False}}), T0)
    assert reason and status is IDLE


def test_test_refused_while_a_procedure_runs() -> None:
    run = Run(settings({"ac_failed": AC}))
    run.step(0, {"ac_failed"})
    status, reason = start_test(run.status, run.settings, T0)
    assert "running" in reason and status is run.status
    started, reason = start_test(IDLE, run.settings, T0)
    assert reason == ""
    assert start_test(started, run.settings, T0)[1]


def test_test_runs_the_ac_failed_sequence_then_cancels_after_two_minutes() -> None:
    run = Run(shut_off_settings(ups_shut_off_delay=10))
    run.settings = settings({"ac_failed": AC}, ups_shut_off=True, ups_shut_off_delay=10, ups_on_delay=1)
    run.status, reason = start_test(run.status, run.settings, T0)
    assert reason == "" and run.status.test and run.status.event == "test"
    run.run(0, 120 + TEST_CANCEL_DELAY + 5, set(), ups_manages_shut_off=True, mains_present=True)
    cancel_at = 120 + TEST_CANCEL_DELAY
    assert run.kinds() == [
        (10, "warning"),
        (40, "warning"),
        (70, "warning"),
        (100, "warning"),
        (120, "request"),
        (cancel_at, "cancel"),
    ]
    assert all(action.test and action.event == "test" for _at, action in run.log)
    # The test never switches the UPS off.
    assert run.status.phase is Phase.IDLE and run.status.ups_shut_off is UpsShutOff.NONE
    assert start_test(run.status, run.settings, T0)[1] == ""


def test_real_event_during_a_test_makes_it_real() -> None:
    run = Run(settings({"ac_failed": AC}))
    run.status, _ = start_test(run.status, run.settings, T0)
    run.step(5, {"ac_failed"})
    assert run.status.phase is Phase.WARNING and not run.status.test and run.status.event == "ac_failed"


# -- forced by a NUT primary ------------------------------------------------------------------


def test_force_is_an_immediate_shutdown_of_event_client() -> None:
    run = Run(settings({"ac_failed": AC}))
    run.status, actions = force(run.status, run.settings, Inputs(T0, frozenset(), mains_present=False))
    assert [action.kind for action in actions] == [ActionKind.REQUEST]
    assert run.status.phase is Phase.SHUTDOWN and run.status.event == "client"
    # Held while the mains is out, then at least FORCED_SHUTDOWN_HOLD.
    run.run(1, 400, set(), mains_present=False)
    assert run.status.phase is Phase.SHUTDOWN
    run.step(401, set(), mains_present=True)
    assert run.kinds() == [(401, "cancel")]
    run2 = Run(settings({"ac_failed": AC}))
    run2.status, _ = force(run2.status, run2.settings, Inputs(T0, frozenset(), mains_present=True))
    run2.run(1, FORCED_SHUTDOWN_HOLD + 1, set(), mains_present=True)
    assert run2.kinds() == [(FORCED_SHUTDOWN_HOLD, "cancel")]


def test_force_during_a_shutdown_sends_nothing_more() -> None:
    run = Run(settings({"ac_failed": {**AC, "warning_period": 0}}))
    run.step(0, {"ac_failed"})
    status, actions = force(run.status, run.settings, Inputs(T0, frozenset({"ac_failed"})))
    assert actions == [] and status.phase is Phase.SHUTDOWN and status.event == "ac_failed"


def test_force_with_shut_off_switches_the_ups_off() -> None:
    run = Run(shut_off_settings(ups_shut_off_delay=10))
    run.status, _ = force(run.status, run.settings, Inputs(T0, frozenset(), ups_manages_shut_off=True))
    run.run(1, 12, set(), mains_present=False)
    assert run.kinds() == [(10, "ups_shut_off")]


# -- asked by a NUT client (load.off.delay) ---------------------------------------------------


def ask_shut_off(run: Run, at: float, permitted: bool = True, **inputs: Any) -> tuple[list[Action], str]:
    now = T0 + timedelta(seconds=at)
    options = {"ups_manages_shut_off": True, **inputs}
    run.status, actions, reason = ups_shut_off(
        run.status, run.settings, Inputs(now, frozenset(), **options), permitted
    )
    run.log.extend((at, action) for action in actions)
    return actions, reason


def test_load_off_delay_tells_the_clients_then_switches_off_after_the_delay() -> None:
    # The admin has not turned the UPS shut-off on: the client asked for it explicitly.
    run = Run(shut_off_settings(ups_shut_off=False, ups_shut_off_delay=20, ups_on_delay=2))
    actions, reason = ask_shut_off(run, 0)
    assert reason == ""
    assert [(action.kind, action.event) for action in actions] == [(ActionKind.REQUEST, "client")]
    assert run.status.forced_shutdown and run.status.ups_shut_off is UpsShutOff.WAITING
    assert run.status.ups_off_at == T0 + timedelta(seconds=20)
    run.run(1, 25, set(), ups_manages_shut_off=True, mains_present=True)
    assert run.kinds() == [(0, "request"), (20, "ups_shut_off")]
    # The mains is present: the restart follows the UPS On Delay (2 min), then the cancel.
    run.run(26, 200, set(), ups_manages_shut_off=True, mains_present=True)
    assert run.kinds()[2:] == [(141, "ups_output_on"), (141, "cancel")]
    assert run.status.phase is Phase.IDLE


def test_load_off_delay_comes_earlier_once_every_client_logged_out() -> None:
    run = Run(shut_off_settings(ups_shut_off=False, ups_shut_off_delay=600, shut_off_after_logout=5))
    ask_shut_off(run, 0, clients_logged_in=2)
    assert run.status.clients_seen
    run.run(1, 30, set(), mains_present=True, clients_logged_in=1)
    run.run(31, 40, set(), mains_present=True, clients_logged_in=0)
    assert run.kinds() == [(0, "request"), (36, "ups_shut_off")]


def test_load_off_delay_refused_where_the_ups_does_not_manage_or_permit_it() -> None:
    run = Run(shut_off_settings())
    actions, reason = ask_shut_off(run, 0, ups_manages_shut_off=False)
    assert (actions, reason) == ([], "shutdown.refused.shut_off_not_managed")
    actions, reason = ask_shut_off(run, 0, permitted=False)
    assert (actions, reason) == ([], "shutdown.refused.shut_off_not_permitted")
    assert run.status == IDLE


def test_load_off_delay_during_a_warning_sends_the_command_now() -> None:
    run = Run(settings({"ac_failed": AC}, ups_shut_off_delay=30))
    run.run(0, 15, {"ac_failed"}, mains_present=False)
    actions, reason = ask_shut_off(run, 15.5)
    assert reason == "" and [action.kind for action in actions] == [ActionKind.REQUEST]
    run.run(16, 50, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False)
    assert run.kinds() == [(10, "warning"), (15.5, "request"), (46, "ups_shut_off")]  # 45.5 s: the next step


def test_load_off_delay_after_the_shutdown_command_only_adds_the_shut_off() -> None:
    run = Run(settings({"ac_failed": {**AC, "warning_period": 0}}, ups_shut_off_delay=10))
    run.step(0, {"ac_failed"}, mains_present=False)
    assert run.status.ups_shut_off is UpsShutOff.NONE  # the admin did not turn it on
    actions, reason = ask_shut_off(run, 5)
    assert (actions, reason) == ([], "")
    run.run(6, 20, {"ac_failed"}, mains_present=False)
    assert run.kinds() == [(0, "request"), (15, "ups_shut_off")]
    assert run.status.event == "ac_failed"
    # Once off, asking again changes nothing.
    assert ask_shut_off(run, 21)[1] == "shutdown.refused.shut_off_done"


def test_load_off_delay_keeps_a_sooner_shut_off_and_makes_a_test_real() -> None:
    run = Run(shut_off_settings(ups_shut_off_delay=100))
    run.step(0, {"ac_failed"}, ups_manages_shut_off=True, mains_present=False)
    off_at = run.status.ups_off_at
    ask_shut_off(run, 50)
    assert run.status.ups_off_at == off_at  # 100 s after the command, not 150
    test = Run(settings({"ac_failed": {**AC, "warning_period": 0}}))
    test.status, _ = start_test(test.status, test.settings, T0)
    test.step(0)
    assert test.status.test and test.status.forced_shutdown
    actions, reason = ask_shut_off(test, 1)
    assert reason == "" and actions == []
    assert not test.status.test and test.status.event == "client"
    assert test.status.ups_shut_off is UpsShutOff.WAITING
