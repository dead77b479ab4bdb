"""The daemon's lifecycle of services."""

from __future__ import annotations

import ast
import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import netvision
from netvision import daemon as daemon_module
from netvision.daemon import Daemon
from netvision.services import registry
from netvision.services.registry import ServiceContext, ServiceEntry, ServiceState
from netvision.settings import Settings
from tests.conftest import free_port, wait_for


async def test_a_service_switched_on_later_starts_without_a_restart(make_daemon):
    daemon = await make_daemon()
    assert not any(service.name == "modbus_tcp" for service in daemon.services)
    port = free_port()
    await daemon.settings_manager.change(
        {"modbus_tcp.enabled": True, "modbus_tcp.port": port, "modbus_tcp.bind": "127.0.0.1"}, via="test", by="test"
    )
    assert any(service.name == "modbus_tcp" for service in daemon.services)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    # Read one word of the JBUSP status table (function 0x03, 0x1020).
    writer.write(bytes.fromhex("0001 0000 0006 01 03 1020 0001".replace(" ", "")))
    reply = await asyncio.wait_for(reader.readexactly(11), 10)
    assert reply[7] == 0x03 and reply[8] == 2
    writer.close()
    await daemon.settings_manager.change({"modbus_tcp.enabled": False}, via="test", by="test")
    await wait_for(lambda: not daemon.addresses()[1:] or all("modbus" not in a for a in daemon.addresses()))


class CountingService:
    """Counts what the daemon asks of it, and subscribes to everything a service can."""

    calls: dict[str, list[str]] = {}

    def __init__(self, context: ServiceContext, name: str) -> None:
        self.context = context
        self.name = name
        self.snapshots = 0

    def _count(self, what: str) -> None:
        CountingService.calls.setdefault(self.name, []).append(what)

    async def start(self) -> None:
        self._count("start")
        self.context.on_snapshot(lambda snapshot: None)
        self.context.on_control(lambda result: None)
        self.context.on_event(lambda event: None)
        self.context.subscribe_events()
        self.context.create_task(asyncio.Event().wait(), name="idle")

        async def on_settings(settings: Settings, keys: list[str]) -> None:
            pass

        self.context.on_settings(on_settings)

    async def stop(self) -> None:
        self._count("stop")

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        self._count("reconfigure")

    def addresses(self) -> list[str]:
        return []

    def counters(self) -> dict[str, int]:
        return {"snapshots": self.snapshots}


@pytest.fixture
def counting_services(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Two stand-in services owning the Modbus TCP and BACnet sections."""
    entries = [
        ServiceEntry("a", lambda s: s.modbus_tcp.enabled, lambda c: CountingService(c, "a"), ("modbus_tcp",)),
        ServiceEntry("b", lambda s: s.bacnet.enabled, lambda c: CountingService(c, "b"), ("bacnet",)),
    ]
    monkeypatch.setattr(registry, "SERVICES", entries)
    monkeypatch.setattr(daemon_module, "SERVICES", entries)
    CountingService.calls = {}
    return CountingService.calls


async def change(daemon: Daemon, **changes: object) -> None:
    await daemon.settings_manager.change({key.replace("__", "."): value for key, value in changes.items()}, via="test", by="test")


async def test_a_change_reaches_only_the_service_owning_its_section(make_daemon, counting_services):
    daemon = await make_daemon({"modbus_tcp": {"enabled": True}})
    calls = counting_services
    assert calls == {"a": ["start"]}
    await change(daemon, modbus_tcp__port=15020)
    assert calls == {"a": ["start", "reconfigure"]}
    await change(daemon, system__name="other name", serial__unit_select=1)
    assert calls == {"a": ["start", "reconfigure"]}  # sections neither owns
    await change(daemon, bacnet__enabled=True)
    assert calls == {"a": ["start", "reconfigure"], "b": ["start"]}
    await change(daemon, bacnet__port=47999)
    assert calls["b"] == ["start", "reconfigure"]
    await change(daemon, modbus_tcp__enabled=False)
    assert calls == {"a": ["start", "reconfigure", "stop"], "b": ["start", "reconfigure"]}
    await change(daemon, modbus_tcp__port=15021)
    assert calls["a"] == ["start", "reconfigure", "stop"]  # disabled: not reconfigured
    states = {health.name: health.state for health in daemon.services_health()}
    assert states == {"a": ServiceState.DISABLED, "b": ServiceState.RUNNING}


async def test_a_stopped_service_leaves_no_subscription_behind(make_daemon, counting_services):
    daemon = await make_daemon()
    assert daemon.ups is not None
    before = (daemon.ups.listener_count, daemon.bus.subscriber_count, len(daemon.settings_manager.listeners()))
    await change(daemon, modbus_tcp__enabled=True, bacnet__enabled=True)
    record = daemon._records["a"]
    assert record.context is not None and record.context.subscriptions == 6
    during = (daemon.ups.listener_count, daemon.bus.subscriber_count, len(daemon.settings_manager.listeners()))
    assert during == (before[0] + 4, before[1] + 4, before[2] + 2)
    await change(daemon, modbus_tcp__enabled=False, bacnet__enabled=False)
    after = (daemon.ups.listener_count, daemon.bus.subscriber_count, len(daemon.settings_manager.listeners()))
    assert after == before
    assert record.context is None


async def test_the_real_services_release_everything_when_switched_off(make_daemon):
    daemon = await make_daemon({"shutdown": {"enabled": False}})
    assert daemon.ups is not None
    before = (daemon.ups.listener_count, daemon.bus.subscriber_count, len(daemon.settings_manager.listeners()))
    tasks_before = len(asyncio.all_tasks())
    await change(
        daemon,
        snmp__enabled=True, snmp__bind="127.0.0.1", snmp__port=free_port(socket.SOCK_DGRAM),
        modbus_tcp__enabled=True, modbus_tcp__bind="127.0.0.1", modbus_tcp__port=free_port(),
        bacnet__enabled=True, bacnet__bind="127.0.0.1", bacnet__port=free_port(socket.SOCK_DGRAM),
        web__http_enabled=True, web__bind="127.0.0.1", web__http_port=free_port(),
        syslog__enabled=True, syslog__server="127.0.0.1", syslog__port=free_port(socket.SOCK_DGRAM),
        wake_on_lan__enabled=True, shutdown__enabled=True,
        mail__enabled=True, mail__server="127.0.0.1", mail__port=free_port(), mail__sender="ups@example.com",
        nut__enabled=True, nut__bind="127.0.0.1", nut__port=free_port(),
    )
    health = {report.name: report for report in daemon.services_health()}
    assert {name: report.state for name, report in health.items()} == dict.fromkeys(
        ("snmp", "modbus_tcp", "bacnet", "shutdown", "nut", "web", "syslog", "wake_on_lan", "mail"), ServiceState.RUNNING
    )
    assert all(report.addresses for report in health.values())
    # A change never turns the last web listener off: a whole new configuration does.
    data = daemon.settings_manager.settings.model_dump()
    for section in ("snmp", "modbus_tcp", "bacnet", "shutdown", "syslog", "wake_on_lan", "mail", "nut"):
        data[section]["enabled"] = False
    data["web"]["http_enabled"] = False
    await daemon.settings_manager.replace(Settings.model_validate(data), via="test", by="test")
    after = (daemon.ups.listener_count, daemon.bus.subscriber_count, len(daemon.settings_manager.listeners()))
    assert after == before
    await asyncio.sleep(0.3)  # a web reopen scheduled by the change ends with the service
    assert len(asyncio.all_tasks()) <= tasks_before
    assert daemon.services == []


async def test_a_service_that_cannot_listen_reports_why_and_starts_once_its_port_is_changed(make_daemon):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        daemon = await make_daemon({"modbus_tcp": {"enabled": True, "bind": "127.0.0.1", "port": port}})
        (report,) = [health for health in daemon.services_health() if health.name == "modbus_tcp"]
        assert report.state is ServiceState.FAILED and "did not start" in report.last_error
        new_port = free_port()
        await change(daemon, modbus_tcp__port=new_port)
        (report,) = [health for health in daemon.services_health() if health.name == "modbus_tcp"]
        assert report.state is ServiceState.RUNNING and report.last_error == ""
        assert report.addresses == (f"modbus_tcp tcp 127.0.0.1:{new_port}",)


def test_services_never_import_the_poller():
    """Services see the UPS through the handle (ups/handle.py), never the poller."""
    services = Path(netvision.__file__).parent / "services"
    offenders = []
    for path in services.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(alias.name for alias in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name.endswith("poller") or name == "Poller" for name in names):
                offenders.append(f"{path.relative_to(services)}:{node.lineno}")
    assert offenders == []


def test_disabled_services_are_not_even_imported(tmp_path):
    """Their libraries cost no memory: a daemon with every service off loads none of them."""
    script = f"""
import asyncio, sys
from netvision.daemon import Daemon
from netvision.settings import Settings

async def main():
    settings = Settings.model_validate({{
        "data_dir": {str(tmp_path / "data")!r}, "serial": {{"device": "simulator"}},
        "web": {{"http_enabled": False, "https_enabled": False}}, "snmp": {{"enabled": False}},
        "shutdown": {{"enabled": False}},
    }})
    daemon = Daemon(settings)
    await daemon.start()
    try:
        while not daemon.ups.snapshot.communicating:
            await asyncio.sleep(0.1)
    finally:
        await daemon.stop()
    print(sorted(name for name in ("pysnmp", "bacpypes3", "aiohttp", "cryptography") if name in sys.modules))
    print(sorted(name for name in sys.modules if name.startswith("netvision.services.")))

asyncio.run(asyncio.wait_for(main(), 60))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    libraries, modules = done.stdout.splitlines()
    assert libraries == "[]"
    assert modules == "['netvision.services.registry']"
