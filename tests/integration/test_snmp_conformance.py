"""RFC1628 and USM conformance seen through net-snmp's clients: table columns as the
MIBs declare them, upsInputLineBads, the report for an unsupported security level,
and the answers while communication with the UPS is lost."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from tests.conftest import free_port, next_snapshot, wait_for
from tests.integration.test_snmp_helpers import need, number, run, snmp, values
from tests.integration.test_snmp_mib import mib_path

UPS = ".1.3.6.1.2.1.33.1"
NV7 = ".1.3.6.1.4.1.4555.1.1.7.1"
AUTH_ONLY = {"name": "monitor", "security_level": "authNoPriv", "auth_protocol": "sha", "auth_password": "authkey123"}

# The tables of RFC1628 (UPS-MIB) as net-snmp needs them to print them: nodes, the
# table objects and their columns with the RFC's MAX-ACCESS (the index columns are
# not-accessible). The full MIB is not shipped with Debian's net-snmp (non-free
# snmp-mibs-downloader), so the test writes the part it uses.
UPS_MIB_TABLES = """UPS-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE, Integer32, TimeTicks, internet FROM SNMPv2-SMI;
mgmt OBJECT IDENTIFIER ::= { internet 2 }
mib-2 OBJECT IDENTIFIER ::= { mgmt 1 }
upsMIB OBJECT IDENTIFIER ::= { mib-2 33 }
upsObjects OBJECT IDENTIFIER ::= { upsMIB 1 }
upsInput OBJECT IDENTIFIER ::= { upsObjects 3 }
upsOutput OBJECT IDENTIFIER ::= { upsObjects 4 }
upsBypass OBJECT IDENTIFIER ::= { upsObjects 5 }
upsAlarm OBJECT IDENTIFIER ::= { upsObjects 6 }
upsWellKnownAlarms OBJECT IDENTIFIER ::= { upsAlarm 3 }
""" + "".join(
    f"""
{table} OBJECT-TYPE
    SYNTAX SEQUENCE OF {entry_type}
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "RFC1628 {table}."
    ::= {{ {parent} {arc} }}
{entry} OBJECT-TYPE
    SYNTAX {entry_type}
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "A row."
    INDEX {{ {columns[0][0]} }}
    ::= {{ {table} 1 }}
{entry_type} ::= SEQUENCE {{ {", ".join(f"{name} {syntax}" for name, syntax, _ in columns)} }}
""" + "".join(
        f"""{name} OBJECT-TYPE
    SYNTAX {syntax}
    MAX-ACCESS {"not-accessible" if number == 1 else "read-only"}
    STATUS current
    DESCRIPTION "RFC1628 {name}."
    ::= {{ {entry} {number} }}
"""
        for number, (name, syntax, _) in enumerate(columns, start=1)
    )
    for table, entry, entry_type, parent, arc, columns in (
        ("upsInputTable", "upsInputEntry", "UpsInputEntry", "upsInput", 3, (
            ("upsInputLineIndex", "Integer32", 0), ("upsInputFrequency", "Integer32", 0),
            ("upsInputVoltage", "Integer32", 0), ("upsInputCurrent", "Integer32", 0),
            ("upsInputTruePower", "Integer32", 0))),
        ("upsOutputTable", "upsOutputEntry", "UpsOutputEntry", "upsOutput", 4, (
            ("upsOutputLineIndex", "Integer32", 0), ("upsOutputVoltage", "Integer32", 0),
            ("upsOutputCurrent", "Integer32", 0), ("upsOutputPower", "Integer32", 0),
            ("upsOutputPercentLoad", "Integer32", 0))),
        ("upsBypassTable", "upsBypassEntry", "UpsBypassEntry", "upsBypass", 3, (
            ("upsBypassLineIndex", "Integer32", 0), ("upsBypassVoltage", "Integer32", 0),
            ("upsBypassCurrent", "Integer32", 0), ("upsBypassPower", "Integer32", 0))),
        ("upsAlarmTable", "upsAlarmEntry", "UpsAlarmEntry", "upsAlarm", 2, (
            ("upsAlarmId", "Integer32", 0), ("upsAlarmDescr", "OBJECT IDENTIFIER", 0),
            ("upsAlarmTime", "TimeTicks", 0))),
    )
) + "END\n"


def ups_mib_path(tmp_path: Path) -> str:
    (tmp_path / "UPS-MIB.txt").write_text(UPS_MIB_TABLES)
    return mib_path(tmp_path)


async def agent(make_daemon: Any, **simulator: Any) -> tuple[Any, str]:
    port = free_port(socket.SOCK_DGRAM)
    settings = {"enabled": True, "port": port, "bind": "127.0.0.1", "usm_users": [AUTH_ONLY]}
    daemon = await make_daemon({"snmp": settings}, **simulator)
    return daemon, f"127.0.0.1:{port}"


async def snmptable(path: str, address: str, module: str, table: str) -> str:
    need("snmptable")
    code, output = await run(
        "snmptable", "-v2c", "-c", "public", "-t", "2", "-r", "1", "-M", path, "-m", module, address,
        f"{module}::{table}",
    )
    assert code == 0, output
    return output


async def test_snmptable_prints_the_rfc1628_tables_without_columns_the_mib_lacks(
    make_daemon: Any, tmp_path: Path
) -> None:
    daemon, address = await agent(make_daemon, topology="three_phase")
    daemon.test_simulator.device.scenario("mains_failure")  # a row in upsAlarmTable too
    await wait_for(lambda: daemon.ups.snapshot.system.condition("on_battery"))
    await next_snapshot(daemon)
    path = ups_mib_path(tmp_path)
    for table in ("upsInputTable", "upsOutputTable", "upsBypassTable", "upsAlarmTable"):
        output = await snmptable(path, address, "UPS-MIB", table)
        assert "More columns on agent than in MIB" not in output, output
        assert "LineIndex" not in output and "upsAlarmId" not in output  # not-accessible
    code, walked = await snmp("snmpwalk", "-v2c", "-c", "public", address, UPS)
    got = values(walked)
    output = await snmptable(path, address, "UPS-MIB", "upsOutputTable")
    assert "upsOutputVoltage" in output
    rows = [line for line in output.splitlines() if line.strip()][2:]  # after the title and header
    assert len(rows) == number(got[f"{UPS}.4.3.0"])  # upsOutputNumLines
    for column in (f"{UPS}.3.3.1.1.", f"{UPS}.4.4.1.1.", f"{UPS}.5.3.1.1.", f"{UPS}.6.2.1.1."):
        assert not [oid for oid in got if oid.startswith(column)], column
    assert "OID: .1.3.6.1.2.1.33.1.6.3.2" in [v for k, v in got.items() if k.startswith(f"{UPS}.6.2.1.2.")]


async def test_snmptable_prints_the_netvision_tables_without_a_warning(make_daemon: Any, tmp_path: Path) -> None:
    # The NET VISION MIB declares its index columns read-only (App. MIB): they are served.
    _daemon, address = await agent(make_daemon, topology="three_phase")
    path = mib_path(tmp_path)
    for table in (
        "upsInputTable", "upsOutputTable", "upsBypassTable", "upsAlarmTable",
        "upsControlShutdownParametersTable", "upsControlWeeklyScheduleTable", "upsControlSpecialScheduleTable",
    ):
        output = await snmptable(path, address, "NETVISION-MIB", table)
        assert "More columns on agent than in MIB" not in output, output


async def test_ups_input_line_bads_counts_mains_failures(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    sim = daemon.test_simulator.device

    async def line_bads() -> int:
        code, output = await snmp("snmpget", "-v2c", "-c", "public", address, f"{UPS}.3.1.0")
        assert code == 0 and "Counter32" in output, output
        return number(values(output)[f"{UPS}.3.1.0"])

    assert await line_bads() == 0
    for failures in (1, 2):
        sim.scenario("mains_failure")
        await wait_for(lambda: daemon.ups.snapshot.system.condition("on_battery"))
        await next_snapshot(daemon)
        assert await line_bads() == failures
        sim.scenario("mains_restored")
        await wait_for(lambda: not daemon.ups.snapshot.system.condition("on_battery"))
        await next_snapshot(daemon)
        assert await line_bads() == failures  # counted on entering, not on leaving


async def test_auth_priv_request_for_a_user_without_privacy_gets_the_unsupported_level_report(
    make_daemon: Any,
) -> None:
    _daemon, address = await agent(make_daemon)
    auth = ["-v3", "-u", "monitor", "-a", "SHA", "-A", "authkey123"]
    code, output = await snmp("snmpget", *auth, "-l", "authNoPriv", address, f"{NV7}.1.1.0")
    assert code == 0 and "STRING" in output, output
    code, output = await snmp("snmpget", *auth, "-l", "authPriv", "-x", "AES", "-X", "privkey123", address,
                              f"{NV7}.1.1.0")
    assert code != 0
    # net-snmp's text for a usmStatsUnsupportedSecLevels report; a dropped request would time out.
    assert "Unsupported security level" in output and "Timeout" not in output, output


async def test_communication_lost_answers_unknown_and_not_managed(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    daemon.test_simulator.slave.fault("no_answer")
    await wait_for(lambda: not daemon.ups.snapshot.communicating and daemon.ups.snapshot.sequence, 40)
    code, output = await snmp("snmpwalk", "-v2c", "-c", "public", address, ".1.3.6.1")
    assert code == 0, output
    got = values(output)
    assert number(got[f"{UPS}.2.1.0"]) == 1  # upsBatteryStatus unknown
    assert number(got[f"{UPS}.4.1.0"]) == 1  # upsOutputSource other
    assert f"{UPS}.2.4.0" not in got  # no measurement is served as if live
    assert not [oid for oid in got if oid.startswith(f"{UPS}.4.4.1.")]
    alarms = [value for key, value in got.items() if key.startswith(f"{UPS}.6.2.1.2.")]
    assert alarms == ["OID: .1.3.6.1.2.1.33.1.6.3.20"]  # upsAlarmCommunicationsLost only
    assert number(got[f"{UPS}.6.1.0"]) == 1
    assert number(got[f"{NV7}.2.1.0"]) == 1  # NET VISION upsBatteryStatus unknown
    assert number(got[f"{NV7}.4.1.0"]) == 1  # NET VISION upsOutputSource unknown
    assert number(got[f"{NV7}.2.4.0"]) == -1  # measurements "not managed" (App. MIB)
    assert number(got[f"{NV7}.4.7.0"]) == -1
    assert number(got[f"{NV7}.6.1.0"]) == 0  # no UPS alarm rows
    assert number(got[f"{NV7}.6.3.58.0"]) == 1  # communication lost
    assert number(got[f"{NV7}.6.3.15.0"]) == 0
