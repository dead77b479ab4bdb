"""Battery test table (EN §16.2), clock setter (§18.1), password notice (FR §11.6),
STS wording (FR §13) and the demo's first-login hint (§11.5)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netvision.clock import ClockError, SystemClock
from netvision.services.web.accounts import AccountStore
from netvision.services.web.api import parse_new_time
from netvision.services.web.app import ApiError
from netvision.services.web.battery import battery_test_status, per_unit, rows
from netvision.services.web.labels import t
from netvision.services.web.views import live_json, table_rows
from netvision.ups.battery_test import BatteryTests
from netvision.ups.model import (
    Communication,
    CommunicationState,
    DeviceState,
    Identity,
    Snapshot,
    Topology,
    TopologyKind,
    Unit,
)
from tests.fakes import device_state

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
JBUSP_IDLE = {"battery_test_in_progress": False, "battery_test_programmed": False, "battery_test_failed": False,
              "battery_test_standby": False, "battery_test_supported": True}  # fmt: skip


def device(conditions: dict[str, bool], number: int = 0) -> DeviceState:
    return device_state(conditions, number=number)


def snapshot(conditions: dict[str, bool], sequence: int = 1, minutes: int = 0, **extra: object) -> Snapshot:
    now = T0 + timedelta(minutes=minutes)
    options: dict[str, object] = {
        "system": device(conditions),
        "permissions": {"battery_test": True},
        "remote_controls_permitted": True,
        **extra,
    }
    return Snapshot(sequence=sequence, time=now, communication=Communication(CommunicationState.OK, now), **options)  # type: ignore[arg-type]


def table(tests: BatteryTests, snapshot: Snapshot, language: str) -> list[dict[str, object]]:
    return rows(tests.state(), snapshot, language)


def identity(map_name: str, kind: str = "ups") -> Identity:
    return Identity(map_name=map_name, map_title=map_name, device_kind=kind, type_code=None, model="X", serial_number="1")


# -- §16.2 status column -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "enabled"),
        ({"battery_test_supported": False}, "disabled"),
        ({"battery_test_in_progress": True}, "in_progress"),
        ({"battery_test_standby": True}, "standby"),
        ({"battery_test_programmed": True}, "programmed"),
        ({"battery_test_programmed": True, "battery_test_in_progress": True}, "in_progress"),
    ],
)
def test_jbusp_status_bits_give_the_battery_test_status(changes: dict[str, bool], expected: str) -> None:
    assert battery_test_status(device({**JBUSP_IDLE, **changes}), permitted=True) == expected


def test_without_a_supported_bit_the_permission_says_enabled_or_disabled() -> None:
    vumap_idle = {"battery_test_in_progress": False, "battery_test_programmed": False}
    assert battery_test_status(device(vumap_idle), permitted=True) == "enabled"
    assert battery_test_status(device(vumap_idle), permitted=False) == "disabled"


# -- §16.2 result column -------------------------------------------------------------------------


def test_a_test_seen_running_that_ends_without_failure_is_ok_and_dated(tmp_path: Path) -> None:
    tests = BatteryTests(tmp_path)
    assert table(tests, snapshot(JBUSP_IDLE), "en")[0]["result"] == "none"
    tests.on_snapshot(snapshot({**JBUSP_IDLE, "battery_test_in_progress": True}, 1))
    tests.on_snapshot(snapshot(JBUSP_IDLE, 2, minutes=3))
    row = table(tests, snapshot(JBUSP_IDLE, 3), "en")[0]
    assert (row["result"], row["result_label"], row["last_test_text"]) == ("ok", "OK", "01/03")
    assert row["last_test"] == (T0 + timedelta(minutes=3)).isoformat()
    # kept across a restart of the daemon
    assert table(BatteryTests(tmp_path), snapshot(JBUSP_IDLE), "fr")[0]["result_label"] == "OK"


def test_a_failure_bit_makes_the_result_failed(tmp_path: Path) -> None:
    tests = BatteryTests(tmp_path)
    tests.on_snapshot(snapshot({**JBUSP_IDLE, "battery_test_in_progress": True}, 1))
    tests.on_snapshot(snapshot({**JBUSP_IDLE, "battery_test_failed": True}, 2))
    assert table(tests, snapshot(JBUSP_IDLE), "fr")[0]["result_label"] == "Échec"


def test_a_failure_reported_one_poll_after_the_end_still_wins(tmp_path: Path) -> None:
    tests = BatteryTests(tmp_path)
    tests.on_snapshot(snapshot({**JBUSP_IDLE, "battery_test_in_progress": True}, 1))
    tests.on_snapshot(snapshot(JBUSP_IDLE, 2))
    tests.on_snapshot(snapshot({**JBUSP_IDLE, "battery_test_failed": True}, 3))
    assert table(tests, snapshot(JBUSP_IDLE), "en")[0]["result"] == "failed"


def test_vumap_s037_makes_the_result_interrupted(tmp_path: Path) -> None:
    tests = BatteryTests(tmp_path)
    running = {"battery_test_in_progress": True, "battery_test_interrupted": False}
    tests.on_snapshot(snapshot(running, 1))
    tests.on_snapshot(snapshot({"battery_test_in_progress": False, "battery_test_interrupted": True}, 2))
    assert table(tests, snapshot({}), "en")[0]["result_label"] == "Interrupted"


def test_an_unreadable_results_file_starts_empty(tmp_path: Path) -> None:
    (tmp_path / "battery_tests.json").write_text("{not json")
    assert table(BatteryTests(tmp_path), snapshot(JBUSP_IDLE), "en")[0]["result"] == "none"


def test_a_vumap_parallel_system_with_distributed_batteries_has_one_row_per_unit(tmp_path: Path) -> None:
    units = (Unit(1, device({}, 1)), Unit(2, device({"battery_test_in_progress": True}, 2)))
    parallel = snapshot(
        {}, identity=identity("vumap"), topology=Topology(TopologyKind.PARALLEL, units=(1, 2)), units=units
    )
    assert per_unit(parallel)
    rows = table(BatteryTests(tmp_path), parallel, "en")
    assert [(row["unit"], row["status"], row["can_start"]) for row in rows] == [
        (1, "enabled", True),
        (2, "in_progress", False),
    ]
    shared = snapshot({"battery_shared": True}, identity=identity("vumap"), topology=parallel.topology, units=units)
    assert not per_unit(shared)
    assert not per_unit(snapshot({}, identity=identity("jbusp"), topology=parallel.topology, units=units))


# -- §18.1 clock ---------------------------------------------------------------------------------


def test_system_clock_without_cap_sys_time_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, float]] = []

    def refuse(clock: int, seconds: float) -> None:
        calls.append((clock, seconds))
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(time, "clock_settime", refuse)  # never the real clock of this machine
    with pytest.raises(ClockError, match="CAP_SYS_TIME"):
        SystemClock().set_time(T0)
    assert calls == [(time.CLOCK_REALTIME, T0.timestamp())]
    with pytest.raises(ClockError, match="time zone"):
        SystemClock().set_time(T0.replace(tzinfo=None))


def test_a_new_time_without_offset_is_local_time_of_the_configured_zone() -> None:
    assert parse_new_time("2026-07-01T12:00:00", "Europe/Paris").astimezone(UTC).hour == 10
    assert parse_new_time("2026-07-01T12:00:00Z", "Europe/Paris").astimezone(UTC).hour == 12
    for bad in ("yesterday", "2026-13-01T00:00:00", "1999-12-31T23:00:00Z", 42, None):
        with pytest.raises(ApiError):
            parse_new_time(bad, "UTC")


# -- FR §11.6 password validity, FR §13 STS wording ------------------------------------------------


def test_days_left_before_the_password_must_be_changed(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = AccountStore.open(tmp_path, lambda: "00:11:22:33:44:55", clock=lambda: now[0])
    store.change_password("admin", "Admin1234567!")
    account = store.get("admin")
    assert account is not None
    assert store.days_left(account, 90) == 90
    now[0] += 10.5 * 86400
    assert store.days_left(account, 90) == 80
    now[0] += 100 * 86400
    assert store.days_left(account, 90) == 0


def test_sts_pages_say_sts_where_the_ups_pages_say_ups() -> None:
    assert t("param.ups_status", "en", sts=True) == "STS Status"
    assert t("param.ups_status", "fr", sts=True) == "État STS"
    assert t("communication.ok", "fr", sts=True) == "STS connecté"
    assert t("communication.ok", "en") == "UPS connected"
    rows = table_rows("ups", device({}), "en", sts=True)
    assert rows[0][0] == "STS Status"
    sts = snapshot({}, identity=identity("sts", "sts"))
    assert live_json(sts, "en")["communication"] == "STS connected"
