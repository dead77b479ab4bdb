"""The shipped NETVISION-MIB: net-snmp parses it, and its names match what the agent answers."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import netvision
from netvision.services.nut.clients import NutClient
from tests.conftest import free_port
from tests.integration.test_snmp_helpers import need, run

MIBS = Path(netvision.__file__).parent / "mibs"

# snmp-mibs-downloader (non-free) is not available offline: the test brings the two
# base nodes and the one textual convention the MIB imports, written here.
SMI_STUB = """SNMPv2-SMI DEFINITIONS ::= BEGIN
org OBJECT IDENTIFIER ::= { iso 3 }
dod OBJECT IDENTIFIER ::= { org 6 }
internet OBJECT IDENTIFIER ::= { dod 1 }
private OBJECT IDENTIFIER ::= { internet 4 }
enterprises OBJECT IDENTIFIER ::= { private 1 }
END
"""
TC_STUB = """SNMPv2-TC DEFINITIONS ::= BEGIN
IMPORTS TEXTUAL-CONVENTION FROM SNMPv2-SMI;
DisplayString ::= TEXTUAL-CONVENTION
    DISPLAY-HINT "255a"
    STATUS current
    DESCRIPTION "Text."
    SYNTAX OCTET STRING (SIZE (0..255))
END
"""


def mib_path(tmp_path: Path) -> str:
    (tmp_path / "SNMPv2-SMI.txt").write_text(SMI_STUB)
    (tmp_path / "SNMPv2-TC.txt").write_text(TC_STUB)
    return f"{tmp_path}:{MIBS}"


async def test_snmptranslate_parses_the_mib_without_errors(tmp_path: Path) -> None:
    need("snmptranslate")
    code, output = await run(
        "snmptranslate", "-M", mib_path(tmp_path), "-m", "NETVISION-MIB", "-Pe", "-On",
        "NETVISION-MIB::upsIdentModel", "NETVISION-MIB::upsAlarmOnBattery", "NETVISION-MIB::upsTrapOnBattery",
        "NETVISION-MIB::upsOutputKw", "NETVISION-MIB::upsShutdownDelay", "NETVISION-MIB::upsControlWarningInterval",
        "NETVISION-MIB::upsControlWeeklyRestartTime", "NETVISION-MIB::upsControlSpecialShutdownDay",
        "NETVISION-MIB::severityOfConnection", "NETVISION-MIB::upsTrapShutdownCancelled",
    )
    assert code == 0, output
    assert [line for line in output.splitlines() if line.strip()] == [
        ".1.3.6.1.4.1.4555.1.1.7.1.1.1",
        ".1.3.6.1.4.1.4555.1.1.7.1.6.3.15",
        ".1.3.6.1.4.1.4555.1.1.7.2.1",
        ".1.3.6.1.4.1.4555.1.1.7.1.4.4.1.6",
        ".1.3.6.1.4.1.4555.1.1.7.1.7.2",
        ".1.3.6.1.4.1.4555.1.1.7.1.7.4.1.5",
        ".1.3.6.1.4.1.4555.1.1.7.1.7.5.1.5",
        ".1.3.6.1.4.1.4555.1.1.7.1.7.6.1.2",
        ".1.3.6.1.4.1.4555.1.1.7.1.8.5.1.6",
        ".1.3.6.1.4.1.4555.1.1.7.2.26",
    ]


async def test_every_object_the_agent_serves_has_a_name_in_the_mib(make_daemon: Any, tmp_path: Path) -> None:
    need("snmpwalk")
    port = free_port(socket.SOCK_DGRAM)
    daemon = await make_daemon({"snmp": {"enabled": True, "port": port, "bind": "127.0.0.1"}})
    # A NUT client, so that upsDevicesTable has a row (the NUT service's offer).
    client = NutClient(1, "192.0.2.5", 40000, datetime(2026, 12, 2, tzinfo=UTC), user="nas", ups="ups")
    daemon._context.offers["nut.clients"] = lambda: (client,)
    code, output = await run(
        "snmpwalk", "-v2c", "-c", "public", "-M", mib_path(tmp_path), "-m", "NETVISION-MIB",
        f"127.0.0.1:{port}", ".1.3.6.1.4.1.4555.1.1.7",
    )
    assert code == 0, output
    lines = [line for line in output.splitlines() if " = " in line]
    assert len(lines) > 100
    unnamed = [line for line in lines if not line.startswith("NETVISION-MIB::")]
    assert unnamed == []
    # Every enumeration the agent serves is one the MIB names (net-snmp prints name(number)).
    assert "NETVISION-MIB::nameOfDevice.1 = STRING: nas" in lines
    assert "NETVISION-MIB::statusOfConnection.1 = INTEGER: loggedIn(2)" in lines
    assert "NETVISION-MIB::upsControlEventStatus.1 = INTEGER: clientShutdown(3)" in lines
    assert "NETVISION-MIB::upsControlWeeklyShutdownDay.8 = INTEGER: none(8)" in lines


async def test_sts_device_is_served_by_the_sts_mib_and_not_rfc1628(make_daemon: Any, tmp_path: Path) -> None:
    need("snmpwalk")
    port = free_port(socket.SOCK_DGRAM)
    daemon = await make_daemon({"snmp": {"enabled": True, "port": port, "bind": "127.0.0.1"}}, map_name="sts")
    assert daemon.ups.snapshot.identity.device_kind == "sts"
    code, output = await run(
        "snmpwalk", "-v2c", "-c", "public", "-M", mib_path(tmp_path), "-m", "NETVISION-STS-MIB",
        f"127.0.0.1:{port}", ".1.3.6.1.4.1.4555.1.1.10",
    )
    assert code == 0, output
    lines = [line for line in output.splitlines() if " = " in line]
    assert len(lines) > 30
    assert [line for line in lines if not line.startswith("NETVISION-STS-MIB::")] == []
    assert any(line.startswith("NETVISION-STS-MIB::stsSource1Status.0 = INTEGER: source1OK(2)") for line in lines)
    assert any(line.startswith("NETVISION-STS-MIB::stsOutputLoadStatus.0 = INTEGER: outputLoadOnPreferredSource(2)")
               for line in lines)
    code, output = await run("snmpget", "-v2c", "-c", "public", "-On", f"127.0.0.1:{port}", ".1.3.6.1.2.1.33.1.1.1.0")
    assert "No Such" in output
