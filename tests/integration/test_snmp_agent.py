"""The SNMP agent against net-snmp's clients, the daemon and the simulator on a pty."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import pytest

from netvision.services.snmp.service import SnmpService
from tests.conftest import free_port, next_snapshot, wait_for
from tests.integration.test_snmp_helpers import number, snmp, values

UPS = ".1.3.6.1.2.1.33.1"
NV7 = ".1.3.6.1.4.1.4555.1.1.7.1"
NV1 = ".1.3.6.1.4.1.4555.1.1.1.1"
USER = {"name": "admin", "auth_protocol": "sha", "auth_password": "authkey123", "priv_protocol": "aes",
        "priv_password": "privkey123", "write": True}


def snmp_settings(port: int, **extra: Any) -> dict[str, Any]:
    # No write community out of the box: these tests SET with one the admin set.
    return {"snmp": {"enabled": True, "port": port, "bind": "127.0.0.1", "usm_users": [USER],
                     "write_community": "private", **extra}}


def service(daemon: Any) -> SnmpService:
    return next(s for s in daemon.services if isinstance(s, SnmpService))


async def agent(make_daemon: Any, extra: dict[str, Any] | None = None, **simulator: Any) -> tuple[Any, str]:
    port = free_port(socket.SOCK_DGRAM)
    overrides = snmp_settings(port)
    for section, value in (extra or {}).items():
        overrides.setdefault(section, {}).update(value)
    daemon = await make_daemon(overrides, **simulator)
    return daemon, f"127.0.0.1:{port}"


async def test_v1_get_answers_identity_and_battery(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    code, output = await snmp(
        "snmpget", "-v1", "-c", "public", address,
        ".1.3.6.1.2.1.1.2.0", ".1.3.6.1.2.1.1.5.0", f"{UPS}.1.1.0", f"{UPS}.1.2.0", f"{UPS}.2.1.0",
        f"{UPS}.2.4.0", f"{NV7}.1.1.0", f"{NV7}.2.1.0", f"{NV1}.1.1.0",
    )
    assert code == 0, output
    got = values(output)
    model = daemon.ups.snapshot.identity.model
    assert got[".1.3.6.1.2.1.1.2.0"] == "OID: .1.3.6.1.4.1.4555.1.1.7"
    assert got[".1.3.6.1.2.1.1.5.0"] == 'STRING: "Socomec"'
    assert got[f"{UPS}.1.1.0"] == 'STRING: "SOCOMEC"'
    assert got[f"{UPS}.1.2.0"] == f'STRING: "{model}"'
    assert number(got[f"{UPS}.2.1.0"]) == 2  # batteryNormal
    assert number(got[f"{UPS}.2.4.0"]) == round(daemon.ups.snapshot.system.measurement("battery_capacity"))
    assert got[f"{NV7}.1.1.0"] == f'STRING: "{model}"'
    assert number(got[f"{NV7}.2.1.0"]) in (2, 3)  # normal or charging
    assert got[f"{NV1}.1.1.0"] == f'STRING: "{model}"'


async def test_walk_three_phase_input_output_bypass_tables(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon, topology="three_phase")
    code, output = await snmp("snmpwalk", "-v2c", "-c", "public", address, UPS)
    assert code == 0, output
    got = values(output)
    system = daemon.ups.snapshot.system
    assert number(got[f"{UPS}.3.2.0"]) == 3
    for line in (1, 2, 3):
        assert f"{UPS}.3.3.1.1.{line}" not in got  # upsInputLineIndex is not-accessible
        expected = system.measurement(f"input_voltage_l{line}")
        assert abs(number(got[f"{UPS}.3.3.1.3.{line}"]) - expected) <= 2
    lines = number(got[f"{UPS}.4.3.0"])
    assert [key for key in got if key.startswith(f"{UPS}.4.4.1.2.")] == [f"{UPS}.4.4.1.2.{n}" for n in range(1, lines + 1)]
    assert number(got[f"{UPS}.4.1.0"]) == 3  # upsOutputSource normal
    assert f"{UPS}.5.2.0" in got and f"{UPS}.5.3.1.2.1" in got


async def test_single_phase_ups_has_one_line_per_table(make_daemon: Any) -> None:
    _daemon, address = await agent(make_daemon, topology="single_phase")
    code, output = await snmp("snmpbulkwalk", "-v2c", "-c", "public", address, UPS)
    assert code == 0, output
    got = values(output)
    assert number(got[f"{UPS}.3.2.0"]) == 1
    assert number(got[f"{UPS}.4.3.0"]) == 1
    assert f"{UPS}.4.4.1.2.1" in got and f"{UPS}.4.4.1.2.2" not in got


async def test_bulkwalk_reaches_the_end_of_the_view_in_order(make_daemon: Any) -> None:
    _daemon, address = await agent(make_daemon)
    code, output = await snmp("snmpbulkwalk", "-v2c", "-Cr50", "-c", "public", address, ".1")
    assert code == 0, output
    oids = [tuple(int(arc) for arc in oid.strip(".").split(".")) for oid in values(output)]
    assert oids == sorted(oids) and len(oids) > 200
    assert any(oid[:10] == (1, 3, 6, 1, 4, 1, 4555, 1, 1, 1) for oid in oids)


async def test_v3_auth_priv_sha_aes_reads_and_wrong_key_is_refused(make_daemon: Any) -> None:
    _daemon, address = await agent(make_daemon)
    base = ["-v3", "-u", "admin", "-l", "authPriv", "-a", "SHA", "-A", "authkey123", "-x", "AES"]
    code, output = await snmp("snmpget", *base, "-X", "privkey123", address, f"{NV7}.1.1.0")
    assert code == 0 and "STRING" in output, output
    code, output = await snmp("snmpbulkwalk", *base, "-X", "privkey123", address, UPS)
    assert code == 0 and len(values(output)) > 40, output
    code, output = await snmp("snmpget", *base, "-X", "wrongkey99", address, f"{NV7}.1.1.0")
    assert code != 0
    code, output = await snmp("snmpget", "-v3", "-u", "nobody", "-l", "noAuthNoPriv", address, f"{NV7}.1.1.0")
    assert code != 0 and "STRING" not in output
    # A lower security level than the user's is refused too.
    code, output = await snmp("snmpget", "-v3", "-u", "admin", "-l", "noAuthNoPriv", address, f"{NV7}.1.1.0")
    assert code != 0 and "STRING" not in output


async def test_wrong_community_gets_no_answer(make_daemon: Any) -> None:
    _daemon, address = await agent(make_daemon)
    code, output = await snmp("snmpget", "-v2c", "-c", "guess", address, ".1.3.6.1.2.1.1.1.0")
    assert code != 0 and "Timeout" in output


async def test_disabled_version_is_not_answered(make_daemon: Any) -> None:
    _daemon, address = await agent(make_daemon, {"snmp": {"v1": False}})
    code, output = await snmp("snmpget", "-v1", "-c", "public", address, ".1.3.6.1.2.1.1.1.0")
    assert code != 0 and "Timeout" in output
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, ".1.3.6.1.2.1.1.1.0")
    assert code == 0, output


async def test_read_community_cannot_set(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    code, output = await snmp("snmpset", "-v2c", "-c", "public", address, ".1.3.6.1.2.1.1.4.0", "s", "x")
    assert code != 0 and "noAccess" in output
    assert daemon.settings_manager.settings.system.contact == ""


async def test_set_contact_goes_through_the_settings_and_is_logged_via_snmp(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    events = daemon.bus.subscribe("test")
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, ".1.3.6.1.2.1.1.4.0", "s", "ops@example")
    assert code == 0, output
    await wait_for(lambda: daemon.settings_manager.settings.system.contact == "ops@example")
    event = await wait_for(lambda: events.get_nowait())
    while event.id != "nv.setting_changed":
        event = await events.get()
    assert "via SNMP by write-community@127.0.0.1" in event.text_en
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, ".1.3.6.1.2.1.1.4.0", f"{NV7}.1.7.0")
    assert list(values(output).values()) == ['STRING: "ops@example"'] * 2


async def test_set_of_an_invalid_poll_rate_is_refused_with_wrong_value(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, f"{NV7}.9.10.0", "i", "0")
    assert code != 0 and "wrongValue" in output
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, f"{NV7}.9.10.0", "i", "3")
    assert code == 0, output
    await wait_for(lambda: daemon.settings_manager.settings.serial.polling_rate == 3)


async def test_set_status_control_switches_eco_mode_on_in_the_simulator(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    sim = daemon.test_simulator
    await wait_for(lambda: daemon.ups.snapshot.remote_controls_permitted)
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, f"{NV7}.7.1.0", "i", "3")
    assert code == 0, output
    await wait_for(lambda: ("eco_mode_on", None) in sim.device.control_log)
    await wait_for(lambda: daemon.ups.snapshot.system.condition("eco_mode"))


async def test_control_not_permitted_by_the_ups_is_refused(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    daemon.test_simulator.device.permissions("all", False)
    await wait_for(lambda: not daemon.ups.snapshot.remote_controls_permitted)
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, f"{NV7}.7.1.0", "i", "3")
    assert code != 0 and "inconsistentValue" in output
    assert daemon.test_simulator.device.control_log == []


async def test_mains_failure_shows_on_battery_in_both_mibs_and_the_alarm_table(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    daemon.test_simulator.device.scenario("mains_failure")
    await wait_for(lambda: daemon.ups.snapshot.system.condition("on_battery"))
    await next_snapshot(daemon)
    code, output = await snmp("snmpwalk", "-v2c", "-c", "public", address, ".1.3.6.1")
    got = values(output)
    assert number(got[f"{UPS}.4.1.0"]) == 5  # upsOutputSource battery
    assert number(got[f"{UPS}.6.1.0"]) >= 1
    descriptions = [value for key, value in got.items() if key.startswith(f"{UPS}.6.2.1.2.")]
    assert "OID: .1.3.6.1.2.1.33.1.6.3.2" in descriptions  # upsAlarmOnBattery
    assert number(got[f"{NV7}.6.3.15.0"]) == 1  # NET VISION upsAlarmOnBattery
    assert number(got[f"{NV1}.6.3.2.0"]) == 1  # what NUT's netvision mapping reads
    assert number(got[f"{NV7}.2.1.0"]) in (5, 6)  # discharging (or low)

    daemon.test_simulator.device.scenario("mains_restored")
    await wait_for(lambda: not daemon.ups.snapshot.system.condition("on_battery"))
    await next_snapshot(daemon)
    code, output = await snmp("snmpwalk", "-v2c", "-c", "public", address, f"{UPS}.6")
    descriptions = [value for key, value in values(output).items() if key.startswith(f"{UPS}.6.2.1.2.")]
    assert "OID: .1.3.6.1.2.1.33.1.6.3.2" not in descriptions


async def test_unit_select_serves_the_values_of_that_unit(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon, {"serial": {"unit_select": 2}}, topology="parallel", units=2)
    snapshot = await next_snapshot(daemon)
    unit = snapshot.unit(2)
    assert unit is not None
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, f"{NV7}.4.7.0")
    assert code == 0, output
    expected = unit.state.measurement("load_rate")
    assert expected is not None
    assert abs(number(values(output)[f"{NV7}.4.7.0"]) - expected) <= 2


async def test_port_change_takes_effect_without_restart(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    new_port = free_port(socket.SOCK_DGRAM)
    await daemon.settings_manager.change({"snmp.port": new_port}, via="test", by="test")
    code, output = await snmp("snmpget", "-v2c", "-c", "public", f"127.0.0.1:{new_port}", ".1.3.6.1.2.1.1.5.0")
    assert code == 0, output
    await daemon.settings_manager.change({"snmp.read_community": "secret1"}, via="test", by="test")
    code, output = await snmp("snmpget", "-v2c", "-c", "secret1", f"127.0.0.1:{new_port}", ".1.3.6.1.2.1.1.5.0")
    assert code == 0, output


async def test_malformed_packets_are_dropped_and_other_managers_still_served(make_daemon: Any) -> None:
    _daemon, address = await agent(make_daemon)
    host, port = address.split(":")
    garbage = [
        os.urandom(64),
        b"\x30\x82\xff\xff\x02\x01\x01",  # huge length
        b"\x30\x26\x02\x01\x01\x04\x06public\xa0\x19\x02",  # truncated BER
        b"\x30\x0b\x02\x01\x09\x04\x06public",  # unknown version 9
        b"",
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for packet in garbage * 20:
            sock.sendto(packet, (host, int(port)))
    await asyncio.sleep(0)
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, ".1.3.6.1.2.1.1.5.0")
    assert code == 0 and "Socomec" in output


async def test_engine_id_is_stable_and_boots_grow_across_restarts(make_daemon: Any, tmp_path: Any) -> None:
    daemon, _address = await agent(make_daemon)
    first = service(daemon)
    again = SnmpService(first.context)
    assert again.engine_id == first.engine_id
    assert again.boots == first.boots + 1
    assert first.engine_id[:5] == bytes.fromhex("800011cb03")


@pytest.mark.parametrize("map_name", ["vumap"])
async def test_vumap_ups_is_served_too(make_daemon: Any, map_name: str) -> None:
    daemon, address = await agent(make_daemon, map_name=map_name)
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, f"{UPS}.1.2.0", f"{UPS}.4.1.0")
    assert code == 0, output
    assert daemon.ups.snapshot.identity.model in output


async def test_clear_history_log_through_snmp_is_logged_via_snmp(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    events = daemon.bus.subscribe("test")
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, f"{NV7}.9.20.0", "i", "1")
    assert code == 0, output

    async def cleared() -> Any:
        while True:
            event = await events.get()
            if "clear" in event.id:
                return event

    event = await asyncio.wait_for(cleared(), 20)
    assert event.data.get("via") == "SNMP"


async def test_rfc1628_quick_battery_test_starts_the_ups_battery_test(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    sim = daemon.test_simulator
    await wait_for(lambda: daemon.ups.snapshot.remote_controls_permitted)
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, f"{UPS}.7.1.0", "o", f"{UPS}.7.7.4")
    assert code == 0, output
    await wait_for(lambda: any(name == "battery_test" for name, _unit in sim.device.control_log))


async def test_agent_network_objects_come_from_the_operating_system(make_daemon: Any) -> None:
    from netvision import netinfo

    daemon, address = await agent(make_daemon)
    agent_group = f"{NV7}.9"
    code, output = await snmp(
        "snmpget", "-v2c", "-c", "public", address,
        *(f"{agent_group}.{column}.0" for column in (1, 2, 3, 12, 13, 14)),
    )
    assert code == 0, output
    got = values(output)
    mask, gateway, dhcp = netinfo.network_of("127.0.0.1")
    assert got[f"{agent_group}.1.0"] == "IpAddress: 127.0.0.1"
    assert got[f"{agent_group}.2.0"] == f"IpAddress: {gateway}"
    assert got[f"{agent_group}.3.0"] == f"IpAddress: {mask}"
    assert number(got[f"{agent_group}.12.0"]) == (1 if dhcp else 2)
    assert number(got[f"{agent_group}.13.0"]) == 2 and number(got[f"{agent_group}.14.0"]) == 2
