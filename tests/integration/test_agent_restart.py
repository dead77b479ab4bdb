"""Agent restart and configuration reset (App. SSH menu 3 and 4, App. MIB upsAgent 15/16,
§21.4) through net-snmp's snmpset and the REST API, against the daemon and the simulator."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from typing import Any

import pytest

from netvision import daemon as daemon_module
from netvision.daemon import Daemon
from netvision.settings import Settings
from netvision.settings.store import load_settings
from tests.conftest import free_port, wait_for
from tests.integration.test_cli import NETVISION, ROOT
from tests.integration.test_snmp_helpers import need, number, snmp, values
from tests.integration.test_snmp_traps import TrapDaemon
from tests.integration.test_web_helpers import ADMIN_PASSWORD, READER_PASSWORD, WRITER_PASSWORD, client, login

# make_web, make_trapd/trapd and simulator_process (a simulator in its own process)
pytest_plugins = ["tests.integration.test_web_helpers", "tests.integration.test_snmp_traps", "tests.integration.test_cli"]

AGENT = ".1.3.6.1.4.1.4555.1.1.7.1.9"
RESTART, RESET, NTP_SERVER = f"{AGENT}.16.0", f"{AGENT}.15.0", f"{AGENT}.6.0"
SYS_CONTACT = ".1.3.6.1.2.1.1.4.0"
HISTORY_INTERVAL = f"{AGENT}.8.0"
AGENT_RESTART_TEXT = "NET VISION UPS Agent Restart"


async def netvision_log(daemon: Daemon) -> list[Any]:
    assert daemon.store is not None
    await daemon.store.flush()
    return list((await daemon.store.events("netvision", per_page=500, descending=False)).rows)


async def wait_for_texts(daemon: Daemon, text: str, count: int, timeout: float = 40.0) -> list[Any]:
    """The NET VISION log rows holding ``text``, once there are ``count`` of them (a restart
    is over when its "Agent Restart" is logged: the services are up again by then)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        rows = [row for row in await netvision_log(daemon) if row.text_en == text]
        if len(rows) >= count:
            return rows
        if loop.time() > deadline:
            raise AssertionError(f"{text!r} logged {len(rows)} times, not {count}")
        await asyncio.sleep(0.1)


def snmp_settings(port: int, **extra: Any) -> dict[str, Any]:
    # No write community out of the box: the tests that SET set one.
    return {"snmp": {"enabled": True, "port": port, "bind": "127.0.0.1", "write_community": "private", **extra}}


def keep_ports(monkeypatch: pytest.MonkeyPatch, **sections: dict[str, Any]) -> None:
    """A reset puts the listening ports back to 80/443/161: in tests they stay on free ports."""
    real = daemon_module.factory_defaults

    def defaults(current: Settings) -> Settings:
        settings = real(current)
        update = {name: getattr(settings, name).model_copy(update=values) for name, values in sections.items()}
        return settings.model_copy(update=update)

    monkeypatch.setattr(Daemon, "factory_defaults", staticmethod(defaults))


# -- SNMP -------------------------------------------------------------------------------------------


async def test_snmp_restart_answers_again_logs_the_restart_and_sends_trap_27_again(
    make_daemon: Any, trapd: TrapDaemon
) -> None:
    port = free_port(socket.SOCK_DGRAM)
    receivers = [{"address": "127.0.0.1", "port": trapd.port, "community": "nv", "version": "v2c"}]
    daemon = await make_daemon(snmp_settings(port, trap_receivers=receivers))
    address = f"127.0.0.1:{port}"
    await wait_for(lambda: 27 in trapd.numbers("community nv"))
    listeners = len(daemon.settings_manager.listeners())
    old_poller = daemon.poller

    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, RESTART, "i", "1")
    assert code == 0, output  # answered before the restart
    rows = await wait_for_texts(daemon, AGENT_RESTART_TEXT, 2)
    assert rows[-1].data["via"] == "SNMP" and rows[-1].data["by"].endswith("@127.0.0.1")
    texts = [row.text_en for row in await netvision_log(daemon)]
    assert texts.count("Cold boot") <= 1  # the machine did not boot again
    assert texts.count("Warm boot") == 1
    await wait_for(lambda: trapd.numbers("community nv").count(27) == 2)

    assert daemon.poller is not old_poller
    await wait_for(lambda: daemon.poller.snapshot.communicating, timeout=30)
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, RESTART, f"{AGENT}.10.0")
    assert code == 0, output
    assert number(values(output)[RESTART]) == 0
    # The stopped services' settings listeners went with them.
    assert len(daemon.settings_manager.listeners()) == listeners


async def test_snmp_restart_and_reset_need_the_write_community_and_the_value_1(make_daemon: Any) -> None:
    port = free_port(socket.SOCK_DGRAM)
    daemon = await make_daemon(snmp_settings(port))
    address = f"127.0.0.1:{port}"
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, RESTART, RESET, NTP_SERVER)
    assert code == 0, output
    got = values(output)
    assert number(got[RESTART]) == 0 and number(got[RESET]) == 0
    assert got[NTP_SERVER] in ('""', 'STRING: ""')
    code, output = await snmp("snmpset", "-v2c", "-c", "public", address, RESTART, "i", "1")
    assert code != 0 and "noAccess" in output, output
    for value in ("0", "2"):
        code, output = await snmp("snmpset", "-v2c", "-c", "private", address, RESET, "i", value)
        assert code != 0 and "wrongValue" in output, output
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, RESTART, "s", "1")
    assert code != 0 and "wrongType" in output, output
    assert not daemon.agent.busy
    # upsAgentNtpTimeServer goes through the settings path like the other agent settings.
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, NTP_SERVER, "s", "pool.ntp.org")
    assert code == 0, output
    await wait_for(lambda: daemon.settings_manager.settings.system.ntp_server_1 == "pool.ntp.org")
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, NTP_SERVER, "s", "not a host/")
    assert code != 0 and "wrongValue" in output, output
    texts = [row.text_en for row in await netvision_log(daemon)]
    assert "Warm boot" not in texts and texts.count(AGENT_RESTART_TEXT) == 1
    # One restart at a time: a second one while the first is pending is refused.
    daemon.agent.delay = 3600.0
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, RESTART, "i", "1")
    assert code == 0 and daemon.agent.busy, output
    code, output = await snmp("snmpset", "-v2c", "-c", "private", address, RESET, "i", "1")
    assert code != 0 and "resourceUnavailable" in output, output
    await daemon.agent.cancel()


async def test_snmp_reset_to_default_keeps_the_serial_link_and_the_data_directory(
    make_daemon: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port(socket.SOCK_DGRAM)
    keep_ports(monkeypatch, snmp={"port": port, "bind": "127.0.0.1"}, web={"http_enabled": False, "https_enabled": False})
    daemon = await make_daemon(snmp_settings(port, read_community="reader", write_community="writer"))
    address = f"127.0.0.1:{port}"
    device = daemon.settings_manager.settings.serial.device
    code, output = await snmp(
        "snmpset", "-v2c", "-c", "writer", address, SYS_CONTACT, "s", "ops@example.org", HISTORY_INTERVAL, "i", "120"
    )
    assert code == 0, output
    await wait_for(lambda: daemon.settings_manager.settings.logs.history_interval == 120)
    await wait_for(lambda: daemon.settings_manager.settings.system.contact == "ops@example.org")

    code, output = await snmp("snmpset", "-v2c", "-c", "writer", address, RESET, "i", "1")
    assert code == 0, output
    rows = await wait_for_texts(daemon, AGENT_RESTART_TEXT, 2)
    texts = [row.text_en for row in await netvision_log(daemon)]
    assert "NET VISION UPS Agent Parameters reset to default" in texts
    assert texts.index("NET VISION UPS Agent Parameters reset to default") < len(texts) - 1 - texts[::-1].index(
        AGENT_RESTART_TEXT
    )
    assert rows[-1].data["by"].endswith("@127.0.0.1")
    defaults = Settings()
    settings = daemon.settings_manager.settings
    assert settings.system.contact == defaults.system.contact
    assert settings.logs.history_interval == defaults.logs.history_interval
    assert settings.snmp.read_community == defaults.snmp.read_community  # back to "public"
    assert settings.serial.device == device and settings.serial.polling_rate == 1
    assert settings.data_dir == str(daemon.data_dir)
    assert daemon.settings_manager.path is not None
    assert load_settings(daemon.settings_manager.path) == settings  # saved
    # The agent answers again, with the default communities.
    await wait_for(lambda: daemon.poller.snapshot.communicating, timeout=30)
    code, output = await snmp("snmpget", "-v2c", "-c", defaults.snmp.read_community, address, SYS_CONTACT)
    assert code == 0 and values(output)[SYS_CONTACT] in ('""', 'STRING: ""'), output
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, HISTORY_INTERVAL)
    assert code == 0 and number(values(output)[HISTORY_INTERVAL]) == defaults.logs.history_interval, output


# -- web --------------------------------------------------------------------------------------------


async def test_web_restart_and_reset_are_admin_only_with_csrf(make_web) -> None:
    web = await make_web()
    for user, password in (("writer", WRITER_PASSWORD), ("reader", READER_PASSWORD)):
        async with client() as session:
            csrf = (await login(session, web.http, user, password))["csrf"]
            for action in ("restart", "reset"):
                async with session.post(f"{web.http}/api/v1/agent/{action}", headers={"X-CSRF-Token": csrf}) as response:
                    assert response.status == 403, (user, action)
                    assert "admin" in (await response.json())["error"]
            async with session.get(f"{web.http}/nv-control") as response:
                assert "data-agent-action" not in await response.text()
    async with client() as session:
        csrf = (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]
        for action in ("restart", "reset"):
            async with session.post(f"{web.http}/api/v1/agent/{action}") as response:
                assert response.status == 403 and "CSRF" in (await response.json())["error"]
            async with session.post(f"{web.http}/api/v1/agent/{action}", headers={"X-CSRF-Token": "wrong"}) as response:
                assert response.status == 403
        async with session.get(f"{web.http}/nv-control") as response:
            page = await response.text()
        assert 'data-agent-action="restart"' in page and 'data-agent-action="reset"' in page
    assert csrf and not web.daemon.agent.busy
    texts = [row.text_en for row in await netvision_log(web.daemon)]
    assert "Warm boot" not in texts


async def test_web_restart_keeps_the_session_and_logs_who_asked(make_web) -> None:
    web = await make_web()
    old_service = web.service
    async with client() as session:
        csrf = (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]
        async with session.post(f"{web.http}/api/v1/agent/restart", headers={"X-CSRF-Token": csrf}) as response:
            assert response.status == 200 and (await response.json())["restarting"]
        async with session.post(f"{web.http}/api/v1/agent/restart", headers={"X-CSRF-Token": csrf}) as response:
            assert response.status == 503  # one restart at a time
        rows = await wait_for_texts(web.daemon, AGENT_RESTART_TEXT, 2)
        assert (rows[-1].data["via"], rows[-1].data["by"]) == ("Web", "admin")
        new_service = next(service for service in web.daemon.services if service.name == "web")
        assert new_service is not old_service
        # The same session goes on after the restart: the page reconnects without a new login.
        async with session.get(f"{web.http}/api/v1/session") as response:
            assert response.status == 200 and (await response.json())["user"] == "admin"
    assert web.accounts.get("writer") is not None


async def test_web_reset_to_default_restores_the_settings_but_not_the_accounts(
    make_web, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = await make_web()
    current = web.daemon.settings_manager.settings.web
    keep_ports(
        monkeypatch,
        web={"http_port": current.http_port, "https_port": current.https_port, "bind": "127.0.0.1"},
        snmp={"enabled": False},
    )
    device = web.daemon.settings_manager.settings.serial.device
    async with client() as session:
        csrf = (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]
        headers = {"X-CSRF-Token": csrf}
        changes = {"system.contact": "ops@example.org", "logs.history_interval": 300}
        async with session.patch(f"{web.http}/api/v1/settings", json={"changes": changes}, headers=headers) as response:
            assert response.status == 200
        async with session.post(f"{web.http}/api/v1/agent/reset", headers=headers) as response:
            assert response.status == 200
        await wait_for_texts(web.daemon, AGENT_RESTART_TEXT, 2)
        async with session.get(f"{web.http}/api/v1/settings") as response:
            settings = await response.json()
    defaults = Settings()
    assert settings["system"]["contact"] == defaults.system.contact
    assert settings["logs"]["history_interval"] == defaults.logs.history_interval
    assert settings["serial"]["device"] == device
    texts = [row.text_en for row in await netvision_log(web.daemon)]
    assert "NET VISION UPS Agent Parameters reset to default" in texts
    assert any("system.contact has been changed via Web by admin" in text for text in texts)
    # Accounts and passwords are a separate reset (App. SSH menu 2).
    async with client() as session:
        await login(session, web.http, "writer", WRITER_PASSWORD)


# -- the daemon as a process ------------------------------------------------------------------------


def test_daemon_process_keeps_running_after_an_snmp_restart_and_stops_on_sigterm(simulator_process, tmp_path) -> None:
    """The restart stops the poller the main loop watches: the daemon must follow the new one."""
    snmpset, snmpget = need("snmpset"), need("snmpget")
    link, _control = simulator_process("--map", "jbusp", "--topology", "three_phase")
    port = free_port(socket.SOCK_DGRAM)
    config = tmp_path / "netvision.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[serial]\ndevice = "{link}"\npolling_rate = 1\n'
        f'[web]\nhttp_enabled = false\nhttps_enabled = false\n[snmp]\nport = {port}\nbind = "127.0.0.1"\nwrite_community = "private"\n'
    )
    process = subprocess.Popen([*NETVISION, "run", "--config", str(config)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    address = f"127.0.0.1:{port}"
    client_env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}

    def identified(count: int) -> None:
        assert process.stderr is not None
        seen = 0
        deadline = time.monotonic() + 30
        while seen < count and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line, "the daemon ended"
            seen += "identified" in line
        assert seen == count

    try:
        identified(1)
        done = subprocess.run(
            [snmpset, "-v2c", "-c", "private", "-On", "-t", "2", "-r", "1", address, RESTART, "i", "1"],
            capture_output=True, text=True, env=client_env, timeout=30,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        identified(1)  # the new poller identified the UPS again
        assert process.poll() is None
        done = subprocess.run(
            [snmpget, "-v2c", "-c", "public", "-On", "-t", "2", "-r", "3", address, RESTART],
            capture_output=True, text=True, env=client_env, timeout=30,
        )
        assert done.returncode == 0 and "= INTEGER: 0" in done.stdout, done.stdout + done.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
