"""Shutdown management over SNMP (App. MIB upsControl 2–6, upsConfig 5 upsDevicesTable;
App. traps 20, 21, 26), seen through net-snmp's snmptable, snmpset and snmptrapd."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from netvision.events.catalog import make_event
from netvision.services.nut.clients import NutClient
from netvision.services.shutdown.status import Phase, ShutdownStatus, UpsShutOff
from tests.conftest import free_port, wait_for
from tests.integration.test_snmp_helpers import need, number, run, snmp, values
from tests.integration.test_snmp_mib import mib_path
from tests.integration.test_snmp_traps import NV_TRAP, TrapDaemon, receivers

# make_trapd / trapd: snmptrapd on a free port
pytest_plugins = ["tests.integration.test_snmp_traps"]

NV7 = ".1.3.6.1.4.1.4555.1.1.7.1"
CONTROL = f"{NV7}.7"
DELAY, TURN_OFF = f"{CONTROL}.2.0", f"{CONTROL}.3.0"
PARAMETERS, WEEKLY, SPECIAL = f"{CONTROL}.4.1", f"{CONTROL}.5.1", f"{CONTROL}.6.1"
DEVICES = f"{NV7}.8.5.1"
UPS_CONTROL = ".1.3.6.1.2.1.33.1.8"


async def agent(
    make_daemon: Any, shutdown: dict[str, Any] | None = None, **snmp_extra: Any
) -> tuple[Any, str]:
    port = free_port(socket.SOCK_DGRAM)
    settings = {
        "enabled": True,
        "port": port,
        "bind": "127.0.0.1",
        "write_community": "private",
        **snmp_extra,
    }
    overrides: dict[str, Any] = {"snmp": settings}
    if shutdown is not None:
        overrides["shutdown"] = shutdown
    daemon = await make_daemon(overrides)
    return daemon, f"127.0.0.1:{port}"


async def table(tmp_path: Path, address: str, name: str) -> list[list[str]]:
    """The rows of ``snmptable -Cf |`` (one list of cells per row, header left out)."""
    need("snmptable")
    code, output = await run(
        "snmptable",
        "-v2c",
        "-c",
        "public",
        "-t",
        "2",
        "-r",
        "1",
        "-OU",
        "-Cf",
        "|",
        "-Cb",
        "-M",
        mib_path(tmp_path),
        "-m",
        "NETVISION-MIB",
        address,
        f"NETVISION-MIB::{name}",
    )
    assert code == 0, output
    assert "More columns on agent than in MIB" not in output, output
    lines = [line for line in output.splitlines() if "|" in line]
    return [line.split("|") for line in lines[1:]]


async def snmpset(address: str, *args: str, community: str = "private") -> tuple[int, str]:
    return await snmp("snmpset", "-v2c", "-c", community, address, *args)


async def rows_of_devices(address: str) -> list[str]:
    code, output = await snmp("snmpwalk", "-v2c", "-c", "public", address, f"{NV7}.8.5")
    assert code == 0, output
    return [oid for oid in values(output) if oid.startswith(f"{DEVICES}.")]


def shutdown_of(daemon: Any) -> Any:
    return daemon.settings_manager.settings.shutdown


async def test_snmptable_shows_the_nine_shutdown_events_with_their_settings(
    make_daemon: Any, tmp_path: Path
) -> None:
    daemon, address = await agent(make_daemon, {"ups_shut_off_delay": 240, "ups_shut_off": True})
    rows = await table(tmp_path, address, "upsControlShutdownParametersTable")
    assert [row[0] for row in rows] == [
        "UPS on battery (AC failed)",
        "Battery low or battery discharged",
        "Battery level",
        "Imminent stop",
        "UPS overload",
        "Temperature alarm",
        "On bypass",
        "Weekly schedule",
        "Special day",
    ]
    for row, event in zip(rows, shutdown_of(daemon).events, strict=True):
        assert row[1:] == [
            "clientShutdown" if event.enabled else "disabled",
            str(event.warning_period),
            str(event.first_warning),
            str(event.warning_interval),
        ]
    assert rows[0][1:] == ["clientShutdown", "5", "10", "60"]  # AC failed: the defaults of §16.8's row
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, DELAY, TURN_OFF)
    assert code == 0, output
    got = values(output)
    assert number(got[DELAY]) == 240 and number(got[TURN_OFF]) == 1  # enabled(1)


async def test_set_of_a_delay_changes_the_setting_and_is_logged_via_snmp(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    events = daemon.bus.subscribe("test")
    code, output = await snmpset(
        address,
        f"{PARAMETERS}.3.1",
        "i",
        "7",
        f"{PARAMETERS}.2.5",
        "i",
        "3",
        DELAY,
        "i",
        "300",
        TURN_OFF,
        "i",
        "1",
    )
    assert code == 0, output
    await wait_for(lambda: shutdown_of(daemon).ups_shut_off_delay == 300)
    shutdown = shutdown_of(daemon)
    assert shutdown.event("ac_failed").warning_period == 7
    assert shutdown.event("overload").enabled and shutdown.ups_shut_off
    assert shutdown.event("battery_low").warning_period == 0  # the other rows are kept
    changed = []
    while len(changed) < 3:
        event = await asyncio.wait_for(events.get(), 5)
        if event.id == "nv.setting_changed":
            changed.append(event)
    assert {event.data["key"] for event in changed} == {
        "shutdown.events",
        "shutdown.ups_shut_off_delay",
        "shutdown.ups_shut_off",
    }
    assert all("via SNMP by write-community@127.0.0.1" in event.text_en for event in changed)
    # Saved in the settings file, and served back.
    assert "ups_shut_off_delay = 300" in daemon.settings_manager.path.read_text()
    code, output = await snmp(
        "snmpget", "-v2c", "-c", "public", address, f"{PARAMETERS}.3.1", f"{PARAMETERS}.2.5"
    )
    assert list(values(output).values()) == ["INTEGER: 7", "INTEGER: 3"]
    # Two requests in a row on the same list: the second keeps the first.
    code, output = await snmpset(address, f"{PARAMETERS}.4.2", "i", "20")
    assert code == 0, output
    code, output = await snmpset(address, f"{PARAMETERS}.5.3", "i", "90")
    assert code == 0, output
    await wait_for(lambda: shutdown_of(daemon).event("battery_level").warning_interval == 90)
    assert shutdown_of(daemon).event("battery_low").first_warning == 20


async def test_a_bad_value_is_refused_and_nothing_is_saved(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    before = daemon.settings_manager.settings
    for args, error in (
        ((f"{PARAMETERS}.3.1", "i", "1000"), "wrongValue"),  # Warning Period 0–999 min
        ((f"{PARAMETERS}.2.1", "i", "2"), "wrongValue"),  # warning(2): EMD rows only
        ((f"{PARAMETERS}.3.1", "s", "5"), "wrongType"),
        ((f"{PARAMETERS}.1.1", "s", "x"), "notWritable"),  # the event's name
        ((f"{PARAMETERS}.3.10", "i", "5"), "noCreation"),  # nine events, no tenth
        ((DELAY, "i", "-1"), "wrongValue"),
        ((TURN_OFF, "i", "3"), "wrongValue"),
        ((f"{WEEKLY}.2.1", "i", "9"), "wrongValue"),
        ((f"{WEEKLY}.3.1", "s", "25:00"), "wrongValue"),
        ((f"{WEEKLY}.1.1", "i", "1"), "notWritable"),
        ((f"{SPECIAL}.2.1", "s", "31/02/2026"), "wrongValue"),
        ((f"{SPECIAL}.2.1", "s", "2026-12-24"), "wrongValue"),
        ((f"{DEVICES}.3.1", "s", "x"), "notWritable"),
        # A good value with a bad one: nothing of the request is saved (RFC 3416 §4.2.5).
        ((DELAY, "i", "600", f"{PARAMETERS}.4.1", "i", "4000"), "wrongValue"),
        # A special day needs its restart date, after the shutdown.
        ((f"{SPECIAL}.2.1", "s", "24/12/2026"), "inconsistentValue"),
        ((f"{SPECIAL}.2.1", "s", "24/12/2026", f"{SPECIAL}.4.1", "s", "23/12/2026"), "inconsistentValue"),
    ):
        code, output = await snmpset(address, *args)
        assert code != 0 and error in output, (args, output)
    await asyncio.sleep(0.3)  # a change would have been saved by now
    assert daemon.settings_manager.settings is before


async def test_weekly_and_special_schedules_are_read_and_written(make_daemon: Any, tmp_path: Path) -> None:
    daemon, address = await agent(
        make_daemon,
        {
            "weekly_schedule": [
                {
                    "shutdown_day": "friday",
                    "shutdown_time": "22:00",
                    "restart_day": "monday",
                    "restart_time": "06:30",
                }
            ],
            "special_days": [
                {
                    "shutdown_date": "2026-12-24",
                    "shutdown_time": "18:00",
                    "restart_date": "2026-12-26",
                    "restart_time": "08:00",
                }
            ],
        },
    )
    weekly = await table(tmp_path, address, "upsControlWeeklyScheduleTable")
    assert weekly[0] == ["1", "friday", "22:00", "monday", "06:30"]
    assert weekly[1:] == [
        [str(row), "none", "00:00", "none", "00:00"] for row in range(2, 9)
    ]  # the page's 8 rows
    special = await table(tmp_path, address, "upsControlSpecialScheduleTable")
    assert special[0] == ["1", "24/12/2026", "18:00", "26/12/2026", "08:00"]
    assert len(special) == 8 and special[1][1] == "" and special[1][2] == "00:00"

    # Row 3 of the weekly schedule: the saved list grows with an unused row 2.
    code, output = await snmpset(
        address,
        f"{WEEKLY}.2.3",
        "i",
        "1",
        f"{WEEKLY}.3.3",
        "s",
        "23:15",
        f"{WEEKLY}.4.3",
        "i",
        "2",
        f"{WEEKLY}.5.3",
        "s",
        "07:00",
    )
    assert code == 0, output
    await wait_for(lambda: len(shutdown_of(daemon).weekly_schedule) == 3)
    rows = shutdown_of(daemon).weekly_schedule
    assert rows[1].shutdown_day == "disabled"
    assert (rows[2].shutdown_day, rows[2].shutdown_time, rows[2].restart_day, rows[2].restart_time) == (
        "sunday",
        "23:15",
        "monday",
        "07:00",
    )
    # A special day set whole in one request.
    code, output = await snmpset(
        address,
        f"{SPECIAL}.2.2",
        "s",
        "31/12/2026",
        f"{SPECIAL}.3.2",
        "s",
        "20:00",
        f"{SPECIAL}.4.2",
        "s",
        "02/01/2027",
    )
    assert code == 0, output
    await wait_for(lambda: len(shutdown_of(daemon).special_days) == 2)
    day = shutdown_of(daemon).special_days[1]
    assert (day.shutdown_date, day.shutdown_time, day.restart_date, day.restart_time) == (
        "2026-12-31",
        "20:00",
        "2027-01-02",
        "00:00",
    )
    special = await table(tmp_path, address, "upsControlSpecialScheduleTable")
    assert special[1] == ["2", "31/12/2026", "20:00", "02/01/2027", "00:00"]


async def test_devices_table_lists_the_nut_clients(make_daemon: Any, tmp_path: Path) -> None:
    daemon, address = await agent(make_daemon)
    assert not await rows_of_devices(address)  # no NUT server: an empty table
    since = datetime(2026, 12, 2, 9, 15, 30, tzinfo=UTC)
    clients = (
        NutClient(3, "192.0.2.10", 50100, since, user="nas", ups="ups", primary=False),
        NutClient(7, "192.0.2.11", 50200, since + timedelta(hours=1), user="upsmon", ups="ups", primary=True),
        NutClient(8, "192.0.2.12", 50300, since + timedelta(hours=2)),  # upsc: no login
    )
    offers = daemon._context.offers  # the daemon's shared offers, as the NUT service fills them
    offers["nut.clients"] = lambda: clients
    rows = await table(tmp_path, address, "upsDevicesTable")
    assert rows == [
        ["3", "192.0.2.10", "nas", "2026/12/02 09:15:30", "loggedIn", "information"],
        ["7", "192.0.2.11", "upsmon", "2026/12/02 10:15:30", "primary", "information"],
        ["8", "192.0.2.12", "", "2026/12/02 11:15:30", "connected", "information"],
    ]
    # During the warning period the shutdown clients are being warned; then told to shut down.
    now = datetime.now(UTC)
    status = ShutdownStatus(
        Phase.WARNING, event="ac_failed", started=now, deadline=now + timedelta(minutes=5)
    )
    offers["shutdown.status"] = lambda: status
    rows = await table(tmp_path, address, "upsDevicesTable")
    assert [row[5] for row in rows] == ["warning", "warning", "information"]
    status = ShutdownStatus(
        Phase.SHUTDOWN,
        event="ac_failed",
        shutdown_sent=now,
        ups_shut_off=UpsShutOff.WAITING,
        ups_off_at=now + timedelta(seconds=120),
    )
    rows = await table(tmp_path, address, "upsDevicesTable")
    assert [row[5] for row in rows] == ["critical", "critical", "information"]
    # RFC1628 upsShutdownAfterDelay counts down to the UPS output going off.
    code, output = await snmp(
        "snmpget", "-v2c", "-c", "public", address, f"{UPS_CONTROL}.2.0", f"{UPS_CONTROL}.3.0"
    )
    left, restart = (number(value) for value in values(output).values())
    assert 100 <= left <= 120 and restart == -1
    del offers["nut.clients"], offers["shutdown.status"]
    assert not await rows_of_devices(address)


async def test_read_only_community_cannot_set_the_shutdown_settings(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    before = daemon.settings_manager.settings
    for oid, kind, value in (
        (DELAY, "i", "60"),
        (f"{PARAMETERS}.3.1", "i", "1"),
        (f"{WEEKLY}.2.1", "i", "2"),
    ):
        code, output = await snmpset(address, oid, kind, value, community="public")
        assert code != 0 and "noAccess" in output, output
    await asyncio.sleep(0.3)
    assert daemon.settings_manager.settings is before


async def test_shutdown_events_send_traps_20_21_and_26(make_daemon: Any, trapd: TrapDaemon) -> None:
    daemon, _address = await agent(
        make_daemon,
        {"ups_shut_off_delay": 200, "ups_shut_off": True},
        trap_receivers=receivers(
            trapd.port,
            {"community": "nv", "version": "v2c"},
            {"community": "v1", "version": "v1"},
            {"community": "crit", "version": "v2c", "severity": "critical"},
            {"community": "rfc", "version": "v2c", "trap_type": "rfc1628"},
        ),
    )
    now = datetime.now(UTC)
    status = ShutdownStatus(
        Phase.WARNING, event="ac_failed", started=now, deadline=now + timedelta(seconds=300)
    )
    daemon._context.offers["shutdown.status"] = lambda: status
    names = {"event": "ac_failed", "event_en": "UPS on battery (AC failed)", "event_fr": "ASI sur batterie"}
    daemon.bus.publish(make_event("nv.shutdown_warning_sent", seconds=300, **names))
    await wait_for(lambda: 20 in trapd.numbers("community nv") and 20 in trapd.numbers("community v1"))
    status = ShutdownStatus(Phase.SHUTDOWN, event="ac_failed", started=now, shutdown_sent=now)
    daemon.bus.publish(make_event("nv.shutdown_request_sent", **names))
    await wait_for(lambda: 21 in trapd.numbers("community nv"))
    status = ShutdownStatus()
    daemon.bus.publish(make_event("nv.shutdown_cancel_sent", **names))
    await wait_for(lambda: 26 in trapd.numbers("community nv") and 26 in trapd.numbers("community v1"))

    def trap(number: int, who: str = "community nv") -> str:
        return next(t.varbinds for t in trapd.of(who) if t.trap_oid == f"{NV_TRAP}.{number}")

    string = f"{NV7}.9.50.0 = STRING: "
    warning = trap(20)
    assert (
        string + '"Send shutdown warning to clients: UPS on battery (AC failed), shutdown in 300 s"'
        in warning
    )
    assert "UPS on battery (AC failed)" in trap(20, "community v1")
    request = trap(21)
    assert f"{DELAY} = INTEGER: 200" in request and f"{TURN_OFF} = INTEGER: 1" in request
    assert string + '"Send shutdown request to clients: UPS on battery (AC failed)"' in request
    assert string + '"Send shutdown cancel to clients: UPS on battery (AC failed)"' in trap(26)
    # Levels: warning (20, 21) and information (26) are below a "critical" filter; an RFC1628
    # receiver gets only the four RFC1628 traps.
    await asyncio.sleep(0.3)
    assert not {20, 21, 26} & set(trapd.numbers("community crit"))
    assert not trapd.of("community rfc")
    # upsAgentTrapString keeps the last text.
    code, output = await snmp("snmpget", "-v2c", "-c", "public", _address, f"{NV7}.9.50.0")
    assert '"Send shutdown cancel to clients: UPS on battery (AC failed)"' in output
