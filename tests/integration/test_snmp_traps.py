"""Traps received by net-snmp's snmptrapd, from the daemon polling the simulator."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from netvision.services.snmp.engine_id import engine_id, interface_mac
from netvision.services.snmp.service import SnmpService
from tests.conftest import free_port, wait_for
from tests.integration.test_snmp_helpers import need

NV_TRAP = ".1.3.6.1.4.1.4555.1.1.7.2"
UPS_TRAP = ".1.3.6.1.2.1.33.2"
SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
USER = {"name": "trapuser", "auth_protocol": "sha", "auth_password": "authkey123", "priv_protocol": "aes",
        "priv_password": "privkey123"}


@dataclass
class Received:
    """One trap as snmptrapd printed it."""

    security: str  # "TRAP, SNMP v1, community nv" / "TRAP2, SNMP v2c, community nv" / "… SNMP v3, user …"
    enterprise: str
    specific: str
    varbinds: str

    @property
    def trap_oid(self) -> str:
        if "SNMP v1" in self.security:
            return f"{self.enterprise}.{self.specific.lstrip('.')}"
        for part in self.varbinds.split("\t"):
            if part.startswith(SNMP_TRAP_OID):
                return part.split("=", 1)[1].strip().removeprefix("OID: ")
        return ""


@dataclass
class TrapDaemon:
    port: int
    traps: list[Received] = field(default_factory=list)

    def of(self, who: str) -> list[Received]:
        return [trap for trap in self.traps if who in trap.security]

    def numbers(self, who: str, prefix: str = NV_TRAP) -> list[int]:
        return [int(t.trap_oid.rsplit(".", 1)[1]) for t in self.of(who) if t.trap_oid.startswith(prefix + ".")]


@pytest.fixture
async def make_trapd(tmp_path: Path) -> AsyncIterator[Any]:
    """``await make_trapd(extra_config)``: snmptrapd on a free port, printing each trap on one line."""
    started: list[tuple[Any, asyncio.Task[None]]] = []

    async def make(extra: str = "") -> TrapDaemon:
        binary = need("snmptrapd")
        port = free_port(socket.SOCK_DGRAM)
        home = tmp_path / f"trapd{port}"
        home.mkdir()
        config = home / "snmptrapd.conf"
        config.write_text("disableAuthorization yes\n" + extra)
        receiver = TrapDaemon(port)
        process = await asyncio.create_subprocess_exec(
            binary, "-f", "-C", "-c", str(config), "-n", "-On", "-Lo",
            "-F", "TRAP|%P|%N|%q|%V\t%v\n",  # %V sets the varbind separator
            f"udp:127.0.0.1:{port}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SNMP_PERSISTENT_DIR": str(home), "MIBS": ""},
        )
        ready = asyncio.Event()

        async def read() -> None:
            assert process.stdout is not None
            async for raw in process.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if "NET-SNMP version" in line:
                    ready.set()
                if line.startswith("TRAP|"):
                    _, security, enterprise, specific, varbinds = line.split("|", 4)
                    receiver.traps.append(Received(security, enterprise, specific, varbinds))

        reader = asyncio.create_task(read())
        started.append((process, reader))
        await asyncio.wait_for(ready.wait(), 20)
        return receiver

    yield make
    for process, reader in started:
        process.terminate()
        await process.wait()
        reader.cancel()


@pytest.fixture
async def trapd(make_trapd: Any) -> TrapDaemon:
    return await make_trapd()


def receivers(port: int, *rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"address": "127.0.0.1", "port": port, **row} for row in rows]


async def start(make_daemon: Any, trapd: TrapDaemon, *rows: dict[str, Any], **snmp: Any) -> Any:
    settings = {
        "enabled": True, "port": free_port(socket.SOCK_DGRAM), "bind": "127.0.0.1",
        "trap_receivers": receivers(trapd.port, *rows), "usm_users": [USER], **snmp,
    }
    return await make_daemon({"snmp": settings})


async def test_mains_failure_sends_trap_1_every_interval_and_15_once(make_daemon: Any, trapd: TrapDaemon) -> None:
    daemon = await start(
        make_daemon, trapd,
        {"community": "nv", "version": "v2c"},
        {"community": "rfc", "version": "v1", "trap_type": "rfc1628"},
        on_battery_trap_interval=1,
    )
    daemon.test_simulator.device.scenario("mains_failure")
    await wait_for(lambda: trapd.numbers("community nv").count(1) >= 3, timeout=30)
    await wait_for(lambda: 15 in trapd.numbers("community nv"))
    assert trapd.numbers("community nv").count(15) == 1
    first = next(t for t in trapd.of("community nv") if t.trap_oid == f"{NV_TRAP}.1")
    assert ".1.3.6.1.4.1.4555.1.1.7.1.2.3.0 = INTEGER:" in first.varbinds  # remaining backup time
    assert ".1.3.6.1.4.1.4555.1.1.7.1.2.2.0 = INTEGER:" in first.varbinds  # time on battery
    # The RFC1628 receiver gets upsTrapOnBattery as a v1 trap, and nothing of the NET VISION list.
    await wait_for(lambda: trapd.of("community rfc"))
    rfc = trapd.of("community rfc")
    assert {t.trap_oid for t in rfc} <= {f"{UPS_TRAP}.1", f"{UPS_TRAP}.3", f"{UPS_TRAP}.4"}
    on_battery = next(t for t in rfc if t.trap_oid == f"{UPS_TRAP}.1")
    assert "SNMP v1" in on_battery.security
    assert ".1.3.6.1.2.1.33.1.2.2.0 = INTEGER:" in on_battery.varbinds


async def test_battery_low_sends_trap_10(make_daemon: Any, trapd: TrapDaemon) -> None:
    daemon = await start(make_daemon, trapd, {"community": "nv", "version": "v2c"})
    daemon.test_simulator.device.scenario("battery_low")
    await wait_for(lambda: 10 in trapd.numbers("community nv"), timeout=30)


async def test_alarm_added_and_removed_send_traps_3_and_4_with_the_well_known_alarm(
    make_daemon: Any, trapd: TrapDaemon
) -> None:
    daemon = await start(
        make_daemon, trapd,
        {"community": "nv", "version": "v2c"},
        {"community": "rfc", "version": "v2c", "trap_type": "rfc1628"},
    )
    sim = daemon.test_simulator
    sim.device.alarm("A02", True)  # overload: NET VISION well-known .2, RFC1628 .8

    def sent(who: str, trap_oid: str, varbind: str) -> bool:
        return any(t.trap_oid == trap_oid and varbind in t.varbinds for t in trapd.of(who))

    await wait_for(lambda: sent("community nv", f"{NV_TRAP}.3", ".1.3.6.1.4.1.4555.1.1.7.1.6.3.2.0 = INTEGER: 1"))
    await wait_for(lambda: sent("community rfc", f"{UPS_TRAP}.3", "OID: .1.3.6.1.2.1.33.1.6.3.8"))
    sim.device.alarm("A02", False)
    await wait_for(lambda: sent("community nv", f"{NV_TRAP}.4", ".1.3.6.1.4.1.4555.1.1.7.1.6.3.2.0 = INTEGER: 0"))
    await wait_for(lambda: sent("community rfc", f"{UPS_TRAP}.4", "OID: .1.3.6.1.2.1.33.1.6.3.8"))
    # TRAP4 carries the same alarm row (upsAlarmId) as the TRAP3 of that alarm (App. traps).
    added = next(t for t in trapd.of("community rfc") if t.trap_oid == f"{UPS_TRAP}.3" and ".6.3.8" in t.varbinds)
    removed = next(t for t in trapd.of("community rfc") if t.trap_oid == f"{UPS_TRAP}.4" and ".6.3.8" in t.varbinds)
    assert added.varbinds.split("\t")[2] == removed.varbinds.split("\t")[2]


async def test_communication_lost_and_restored_send_traps_14_and_25(make_daemon: Any, trapd: TrapDaemon) -> None:
    daemon = await start(make_daemon, trapd, {"community": "nv", "version": "v1"})
    daemon.test_simulator.slave.fault("no_answer")
    await wait_for(lambda: 14 in trapd.numbers("community nv"), timeout=40)
    daemon.test_simulator.slave.clear_faults()
    await wait_for(lambda: 25 in trapd.numbers("community nv"), timeout=40)
    lost = next(t for t in trapd.of("community nv") if t.trap_oid == f"{NV_TRAP}.14")
    assert "SNMP v1" in lost.security


async def test_severity_and_event_filters_are_respected(make_daemon: Any, trapd: TrapDaemon) -> None:
    daemon = await start(
        make_daemon, trapd,
        {"community": "crit", "version": "v2c", "severity": "critical"},
        {"community": "only10", "version": "v2c", "event_filter": "events", "events": [10]},
        {"community": "filtered", "version": "v2c", "severity": "information"},
        trap_filter=True,
    )
    daemon.test_simulator.device.scenario("battery_low")
    await wait_for(lambda: 10 in trapd.numbers("community only10"), timeout=30)
    await wait_for(lambda: 10 in trapd.numbers("community crit"))
    await wait_for(lambda: 15 in trapd.numbers("community filtered"))
    assert set(trapd.numbers("community only10")) == {10}
    assert 15 not in trapd.numbers("community crit")  # warning
    assert {3, 4} & set(trapd.numbers("community crit")) == set()
    # "SNMP TRAP / email filter" on: no TRAP3/TRAP4 for severity filtering (§18.3).
    assert {3, 4} & set(trapd.numbers("community filtered")) == set()


async def test_v3_trap_carries_the_usm_user_and_test_trap_reaches_every_receiver(
    make_daemon: Any, make_trapd: Any
) -> None:
    # snmptrapd must know the user under this agent's engine ID (RFC 3414: the agent is authoritative).
    agent_engine = engine_id(interface_mac(""))
    trapd = await make_trapd(f"createUser -e 0x{agent_engine.hex()} trapuser SHA authkey123 AES privkey123\n")
    daemon = await start(
        make_daemon, trapd,
        {"community": "nv", "version": "v2c", "severity": "critical"},
        {"community": "trapuser", "version": "v3"},
    )
    service = next(s for s in daemon.services if isinstance(s, SnmpService))
    assert service.engine_id == agent_engine
    sent = await service.send_test_trap()
    assert sent == 2  # TRAP 40 ignores the severity filter: it is a manual test
    await wait_for(lambda: 40 in trapd.numbers("community nv"))
    await wait_for(lambda: 40 in trapd.numbers("trapuser"))
    assert any("SNMP v3" in t.security for t in trapd.of("trapuser"))


async def test_sts_source_failure_sends_the_sts_trap_switch_on_alternate_source(
    make_daemon: Any, trapd: TrapDaemon
) -> None:
    settings = {
        "enabled": True, "port": free_port(socket.SOCK_DGRAM), "bind": "127.0.0.1",
        "trap_receivers": receivers(trapd.port, {"community": "nv", "version": "v2c"},
                                    {"community": "rfc", "version": "v2c", "trap_type": "rfc1628"}),
    }
    daemon = await make_daemon({"snmp": settings}, map_name="sts")
    daemon.test_simulator.device.scenario("source1_failure")
    await wait_for(lambda: 4 in trapd.numbers("community nv", ".1.3.6.1.4.1.4555.1.1.10.2.0"), timeout=30)
    assert trapd.of("community rfc") == []
