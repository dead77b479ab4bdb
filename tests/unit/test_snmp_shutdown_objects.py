"""The shutdown objects of the NET VISION MIB as pure code: served values, SET decoding, changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pysnmp.proto.rfc1902 import Integer32, OctetString

from netvision.services.nut.clients import NutClient
from netvision.services.shutdown.status import Phase, ShutdownStatus
from netvision.services.snmp import shutdown
from netvision.services.snmp.shutdown import (
    DEVICES_ENTRY,
    PARAMETERS_ENTRY,
    SHUTDOWN_DELAY,
    SPECIAL_ENTRY,
    WEEKLY_ENTRY,
    Edit,
    NoSuchRow,
    NotWritable,
    WrongType,
    WrongValue,
    decode_write,
    settings_changes,
)
from netvision.settings import Settings
from netvision.settings.store import apply_changes


def served(
    settings: Settings, clients: tuple[NutClient, ...] = (), status: ShutdownStatus | None = None
) -> dict:
    return dict(shutdown.entries(settings.shutdown, clients, status))


def test_nine_event_rows_and_eight_rows_per_schedule() -> None:
    values = served(Settings())
    assert len([oid for oid in values if oid[: len(PARAMETERS_ENTRY) + 1] == PARAMETERS_ENTRY + (1,)]) == 9
    assert len([oid for oid in values if oid[: len(WEEKLY_ENTRY) + 1] == WEEKLY_ENTRY + (1,)]) == 8
    assert len([oid for oid in values if oid[: len(SPECIAL_ENTRY) + 1] == SPECIAL_ENTRY + (1,)]) == 8
    assert int(values[WEEKLY_ENTRY + (2, 1)]) == 8  # none(8): the row is not used
    assert bytes(values[SPECIAL_ENTRY + (2, 1)]) == b""
    assert int(values[SHUTDOWN_DELAY]) == 180


def test_dates_are_served_and_written_as_dd_mm_yyyy() -> None:
    assert shutdown.to_card_date("2026-12-24") == "24/12/2026"
    assert shutdown.from_card_date("24/12/2026") == "2026-12-24"
    assert shutdown.from_card_date("") == ""
    for bad in ("2026-12-24", "1/2/2026", "24/12/26"):
        with pytest.raises(WrongValue):
            shutdown.from_card_date(bad)


@pytest.mark.parametrize(
    ("oid", "value", "error"),
    [
        (PARAMETERS_ENTRY + (3, 1), Integer32(1000), WrongValue),
        (PARAMETERS_ENTRY + (3, 1), OctetString(b"5"), WrongType),
        (PARAMETERS_ENTRY + (2, 1), Integer32(2), WrongValue),
        (PARAMETERS_ENTRY + (1, 1), OctetString(b"x"), NotWritable),
        (PARAMETERS_ENTRY + (3, 10), Integer32(5), NoSuchRow),
        (WEEKLY_ENTRY + (2, 9), Integer32(2), NoSuchRow),
        (WEEKLY_ENTRY + (2, 1), Integer32(0), WrongValue),
        (WEEKLY_ENTRY + (3, 1), OctetString(b"7:00"), WrongValue),
        (WEEKLY_ENTRY + (3, 1), OctetString(b"x" * 300), WrongValue),
        (SPECIAL_ENTRY + (4, 1), OctetString("é".encode()), WrongValue),
        (DEVICES_ENTRY + (2, 1), OctetString(b"x"), NotWritable),
    ],
)
def test_values_a_column_can_never_hold_are_refused(oid: tuple[int, ...], value: object, error: type) -> None:
    with pytest.raises(error):
        decode_write(oid, value)


def test_other_objects_are_not_decoded_here() -> None:
    assert decode_write((1, 3, 6, 1, 2, 1, 1, 4, 0), OctetString(b"x")) is None
    assert decode_write(PARAMETERS_ENTRY + (3,), Integer32(1)) is None


def test_a_schedule_row_beyond_the_saved_ones_adds_unused_rows() -> None:
    settings = Settings()
    edits = [
        decode_write(WEEKLY_ENTRY + (2, 3), Integer32(2)),
        decode_write(WEEKLY_ENTRY + (3, 3), OctetString(b"21:45")),
        decode_write(PARAMETERS_ENTRY + (2, 3), Integer32(3)),
        decode_write(SHUTDOWN_DELAY, Integer32(90)),
    ]
    changes = settings_changes(settings, [edit for edit in edits if edit is not None])
    new = apply_changes(settings, changes).shutdown
    assert [row.shutdown_day for row in new.weekly_schedule] == ["disabled", "disabled", "monday"]
    assert new.weekly_schedule[2].shutdown_time == "21:45"
    assert new.event("battery_level").enabled and new.ups_shut_off_delay == 90
    assert settings.shutdown.weekly_schedule == []  # the settings themselves are untouched


def test_a_special_day_is_consistent_only_with_its_restart_after_it() -> None:
    settings = Settings()
    alone = [Edit("shutdown.special_days", "2026-12-24", 0, "shutdown_date")]
    with pytest.raises(Exception, match="restart"):
        apply_changes(settings, settings_changes(settings, alone))
    both = alone + [Edit("shutdown.special_days", "2026-12-25", 0, "restart_date")]
    assert (
        apply_changes(settings, settings_changes(settings, both)).shutdown.special_days[0].restart_date
        == "2026-12-25"
    )


def test_client_rows_and_their_severity_follow_the_shutdown_phase() -> None:
    since = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    clients = (
        NutClient(4, "192.0.2.1", 1000, since, user="nas", ups="ups"),
        NutClient(5, "192.0.2.2", 1001, since),
    )
    now = datetime.now(UTC)
    for status, severities in (
        (None, (1, 1)),
        (ShutdownStatus(), (1, 1)),
        (ShutdownStatus(Phase.WARNING, event="overload", deadline=now + timedelta(seconds=60)), (2, 1)),
        (ShutdownStatus(Phase.SHUTDOWN, event="overload"), (3, 1)),
    ):
        values = served(Settings(), clients, status)
        assert (int(values[DEVICES_ENTRY + (6, 4)]), int(values[DEVICES_ENTRY + (6, 5)])) == severities
    values = served(Settings(), clients)
    assert bytes(values[DEVICES_ENTRY + (4, 4)]) == b"2026/12/02 08:00:00"
    assert (int(values[DEVICES_ENTRY + (5, 4)]), int(values[DEVICES_ENTRY + (5, 5)])) == (2, 1)


