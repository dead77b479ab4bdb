"""The syslog service against a real rsyslogd (Debian's rsyslog and rsyslog-openssl),
started by the tests with a private configuration: UDP, TCP and TLS listeners on free
ports of 127.0.0.1, every message written to a file."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from netvision.events.bus import EventBus, Severity
from netvision.events.catalog import make_event
from netvision.services.registry import ServiceContext
from netvision.services.syslog import SyslogService
from netvision.services.syslog.message import BOM, format_message, hostname
from netvision.settings import Settings
from netvision.settings.manager import SettingsManager
from netvision.ups.model import Communication, CommunicationState, Identity, Snapshot
from tests.conftest import free_port, wait_for
from tests.fakes import NOW, FakeUps
from tests.pki import make_ca, make_server_certificate

RSYSLOGD = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None)
pytestmark = pytest.mark.skipif(RSYSLOGD is None, reason="rsyslogd is not installed (Debian package rsyslog)")

SERIAL = "SN-4242"


# -- rsyslogd --------------------------------------------------------------------------------------


class Rsyslog:
    """One rsyslogd in the foreground with its own configuration, ports and files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.ports = {
            "udp": free_port(socket.SOCK_DGRAM),
            "tcp": free_port(),
            "tls": free_port(),
            "mtls": free_port(),  # TLS that asks for a client certificate signed by the CA
        }
        self.fields = directory / "fields.log"
        self.raw = directory / "raw.log"
        self.process: subprocess.Popen[bytes] | None = None
        ca = make_ca(directory, "ca")
        make_server_certificate(directory, ca)
        make_server_certificate(directory, ca, "client")
        make_ca(directory, "other-ca")  # a CA that did not sign the server's certificate
        d = directory
        (d / "rsyslog.conf").write_text(
            f'global(workDirectory="{d}" defaultNetstreamDriverCAFile="{d}/ca.pem"\n'
            f'       defaultNetstreamDriverCertFile="{d}/server.pem" defaultNetstreamDriverKeyFile="{d}/server.key")\n'
            'module(load="imudp")\n'
            'module(load="imtcp")\n'
            f'input(type="imudp" address="127.0.0.1" port="{self.ports["udp"]}" name="udp")\n'
            f'input(type="imtcp" address="127.0.0.1" port="{self.ports["tcp"]}" name="tcp")\n'
            f'input(type="imtcp" address="127.0.0.1" port="{self.ports["tls"]}" name="tls"\n'
            '      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")\n'
            f'input(type="imtcp" address="127.0.0.1" port="{self.ports["mtls"]}" name="mtls"\n'
            '      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")\n'
            'template(name="fields" type="string"\n'
            '         string="%inputname%|%pri%|%hostname%|%app-name%|%msgid%|%structured-data%|%msg%\\n")\n'
            'template(name="raw" type="string" string="%inputname% %rawmsg%\\n")\n'
            f'*.* action(type="omfile" file="{self.fields}" template="fields")\n'
            f'*.* action(type="omfile" file="{self.raw}" template="raw")\n',
            encoding="utf-8",
        )

    @property
    def ca(self) -> str:
        return str(self.directory / "ca.pem")

    @property
    def other_ca(self) -> str:
        return str(self.directory / "other-ca.pem")

    def start(self) -> None:
        assert RSYSLOGD is not None
        self.process = subprocess.Popen(
            [
                RSYSLOGD,
                "-n",
                "-f",
                str(self.directory / "rsyslog.conf"),
                "-i",
                str(self.directory / "rsyslogd.pid"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "rsyslogd.err", "ab"),  # noqa: SIM115 - the child owns it
        )
        for _ in range(200):  # until the TCP listeners accept
            try:
                for transport in ("tcp", "tls", "mtls"):
                    socket.create_connection(("127.0.0.1", self.ports[transport]), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError((self.directory / "rsyslogd.err").read_text()) from None
                subprocess.run(["sleep", "0.05"], check=False)
        raise RuntimeError("rsyslogd did not listen")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def lines(self, path: Path | None = None) -> list[str]:
        path = path or self.fields
        if not path.exists():
            return []
        return path.read_bytes().decode("utf-8").splitlines()

    def received(self, transport: str) -> list[list[str]]:
        """The fields of each message received on ``transport``'s listener."""
        return [line.split("|", 6)[1:] for line in self.lines() if line.startswith(transport + "|")]


@pytest.fixture(scope="module")
def rsyslog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rsyslog]:
    server = Rsyslog(tmp_path_factory.mktemp("rsyslog"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    """An rsyslogd of the test alone (the test stops and restarts it)."""
    server = Rsyslog(tmp_path / "rsyslog")
    yield server
    server.stop()


# -- the service -----------------------------------------------------------------------------------


def identified() -> Snapshot:
    identity = Identity("jbusp", "JBUSP", "ups", None, "MASTERYS", SERIAL)
    return Snapshot(1, NOW, Communication(CommunicationState.OK, NOW), identity=identity)


class Running:
    def __init__(self, service: SyslogService, bus: EventBus, manager: SettingsManager) -> None:
        self.service, self.bus, self.manager = service, bus, manager

    @property
    def sender(self) -> Any:
        assert self.service.sender is not None
        return self.service.sender


@pytest.fixture
async def start_syslog(tmp_path: Path) -> AsyncIterator[Any]:
    started: list[SyslogService] = []
    contexts: list[ServiceContext] = []

    async def start(syslog: dict[str, Any], system: dict[str, Any] | None = None) -> Running:
        settings = Settings.model_validate(
            {
                "data_dir": str(tmp_path),
                "system": system or {"name": "ups-room"},
                "syslog": {"enabled": True, **syslog},
            }
        )
        bus = EventBus()
        manager = SettingsManager(settings, None, bus)
        context = ServiceContext(manager, FakeUps(identified()), bus, tmp_path).for_service("syslog")
        service = SyslogService(context, retry_delays=(0.05, 0.3))
        await service.start()
        started.append(service)
        contexts.append(context)
        return Running(service, bus, manager)

    yield start
    for context, service in zip(contexts, started, strict=True):
        await context.release()
        await service.stop()


async def received(rsyslog: Rsyslog, transport: str, count: int, timeout: float = 20.0) -> list[list[str]]:
    await wait_for(lambda: len(rsyslog.received(transport)) >= count, timeout=timeout)
    return rsyslog.received(transport)


# -- UDP, TCP, TLS ---------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
async def test_events_arrive_as_rfc5424_lines(rsyslog: Rsyslog, start_syslog: Any, transport: str) -> None:
    syslog = {"server": "127.0.0.1", "port": rsyslog.ports[transport], "transport": transport}
    if transport == "tls":
        syslog["ca_file"] = rsyslog.ca
    running = await start_syslog(syslog)
    before = len(rsyslog.received(transport))
    alarm = make_event(
        "ups.alarm_added", description=f"Load on battery {transport}", severity=Severity.CRITICAL
    )
    change = make_event("nv.setting_changed", key=f"snmp.port {transport}", via="web 10.0.0.9", by="admin")
    shutdown = make_event("nv.shutdown_request_sent")
    for event in (alarm, make_event("trap.on_battery"), change, shutdown):
        running.bus.publish(event)
    lines = (await received(rsyslog, transport, before + 3))[before:]
    await asyncio.sleep(0.2)
    assert len(rsyslog.received(transport)) == before + 3  # the trap trigger is in no event log
    # PRI 16*8+2 (local0, critical), 16*8+6 (informational), 16*8+4 (warning)
    assert lines[0] == [
        "130",
        "ups-room",
        "netvision",
        "UPS",
        f'[netvision@32473 id="ups.alarm_added" severity="critical" serial="{SERIAL}"]',
        "\ufeff" + f"Load on battery {transport}",
    ]
    assert lines[1][:4] == ["134", "ups-room", "netvision", "NETVISION"]
    assert lines[1][5] == f"\ufeffsnmp.port {transport} has been changed via web 10.0.0.9 by admin"
    assert lines[2][:4] == ["132", "ups-room", "netvision", "SERVICE"]
    # rsyslog's raw message is what the gateway sent, byte for byte.
    expected = format_message(alarm, host="ups-room", serial_number=SERIAL)
    assert f"{transport} ".encode() + expected in rsyslog.raw.read_bytes().splitlines()
    assert running.service.counters()["sent"] == 3
    assert running.sender.connected


async def test_the_filter_language_and_time_zone_apply(rsyslog: Rsyslog, start_syslog: Any) -> None:
    running = await start_syslog(
        {"server": "127.0.0.1", "port": rsyslog.ports["tcp"], "transport": "tcp", "groups": ["netvision"]},
        {"name": "Salle onduleur", "language": "fr", "time_zone": "Europe/Paris"},
    )
    before = len(rsyslog.received("tcp"))
    running.bus.publish(make_event("ups.connected"))  # UPS group: filtered out
    running.bus.publish(make_event("nv.communication_lost"))
    lines = (await received(rsyslog, "tcp", before + 1))[before:]
    assert lines[0][1:4] == ["Salle-onduleur", "netvision", "NETVISION"]
    assert lines[0][5] == "\ufeffPerte de Communication"
    raw = [line for line in rsyslog.lines(rsyslog.raw) if "Perte de Communication" in line]
    assert raw and ("+01:00 Salle-onduleur" in raw[-1] or "+02:00 Salle-onduleur" in raw[-1])


async def test_tls_refuses_a_server_certificate_the_ca_did_not_sign(
    rsyslog: Rsyslog, start_syslog: Any
) -> None:
    before = len(rsyslog.received("tls"))
    running = await start_syslog(
        {"server": "127.0.0.1", "port": rsyslog.ports["tls"], "transport": "tls", "ca_file": rsyslog.other_ca}
    )
    running.bus.publish(make_event("ups.connected"))
    await wait_for(lambda: running.sender.counters["connect_failures"] >= 2)
    assert "certificate verify failed" in running.sender.last_error
    assert not running.sender.connected
    assert running.service.counters()["sent"] == 0
    assert running.service.counters()["queued"] == 1  # kept for when the certificate is right
    await asyncio.sleep(0.3)
    assert len(rsyslog.received("tls")) == before


async def test_tls_checks_the_server_name(rsyslog: Rsyslog, start_syslog: Any) -> None:
    # The certificate names localhost and 127.0.0.1, not this address.
    running = await start_syslog(
        {"server": "127.0.0.2", "port": rsyslog.ports["tls"], "transport": "tls", "ca_file": rsyslog.ca}
    )
    running.bus.publish(make_event("ups.connected"))
    await wait_for(lambda: running.sender.last_error)
    assert not running.sender.connected


async def test_a_new_ca_file_reconnects_and_sends_what_waited(rsyslog: Rsyslog, start_syslog: Any) -> None:
    running = await start_syslog(
        {"server": "127.0.0.1", "port": rsyslog.ports["tls"], "transport": "tls", "ca_file": rsyslog.other_ca}
    )
    before = len(rsyslog.received("tls"))
    running.bus.publish(make_event("nv.trap_test"))
    await wait_for(lambda: running.sender.counters["connect_failures"] >= 1)
    old = running.manager.settings
    new = await running.manager.change({"syslog.ca_file": rsyslog.ca}, via="test", by="test")
    await running.service.reconfigure(old, new)
    lines = (await received(rsyslog, "tls", before + 1))[before:]
    assert lines[0][5] == "\ufeffTRAP TEST"


async def test_a_client_certificate_is_offered_when_configured(rsyslog: Rsyslog, start_syslog: Any) -> None:
    directory = rsyslog.directory
    before = len(rsyslog.received("mtls"))
    syslog = {"server": "127.0.0.1", "port": rsyslog.ports["mtls"], "transport": "tls", "ca_file": rsyslog.ca}
    without = await start_syslog(syslog)
    without.bus.publish(make_event("ups.alarm_added", description="without a client certificate"))
    running = await start_syslog(
        {
            **syslog,
            "client_certificate_file": str(directory / "client.pem"),
            "client_key_file": str(directory / "client.key"),
        }
    )
    running.bus.publish(make_event("ups.alarm_added", description="with a client certificate"))
    lines = (await received(rsyslog, "mtls", before + 1))[before:]
    await asyncio.sleep(0.5)
    assert [line[5] for line in rsyslog.received("mtls")[before:]] == ["\ufeffwith a client certificate"]
    assert lines[0][3] == "UPS"


# -- the server goes away --------------------------------------------------------------------------


async def test_tcp_reconnects_after_rsyslog_restarts(own_rsyslog: Rsyslog, start_syslog: Any) -> None:
    own_rsyslog.start()
    running = await start_syslog(
        {"server": "127.0.0.1", "port": own_rsyslog.ports["tcp"], "transport": "tcp"}
    )
    running.bus.publish(make_event("ups.alarm_added", description="before the restart"))
    await received(own_rsyslog, "tcp", 1)
    own_rsyslog.stop()
    await wait_for(lambda: not running.sender.connected)
    running.bus.publish(make_event("ups.alarm_added", description="while the server is away"))
    await asyncio.sleep(0.5)
    assert running.service.counters()["queued"] == 1
    own_rsyslog.start()
    lines = await received(own_rsyslog, "tcp", 2)
    assert [line[5] for line in lines] == ["\ufeffbefore the restart", "\ufeffwhile the server is away"]
    assert running.sender.counters["disconnections"] >= 1
    assert running.service.counters()["queued"] == 0


async def test_a_full_queue_drops_the_oldest_and_says_so(own_rsyslog: Rsyslog, start_syslog: Any) -> None:
    running = await start_syslog(
        {
            "server": "127.0.0.1",
            "port": own_rsyslog.ports["tcp"],
            "transport": "tcp",
            "groups": ["ups"],
            "queue_size": 10,
        }
    )
    events = running.bus.subscribe("test")
    for number in range(25):
        running.bus.publish(make_event("ups.alarm_added", description=f"alarm {number}"))
    counters = running.service.counters()
    assert (counters["dropped"], counters["queued"]) == (15, 10)
    dropped = await asyncio.wait_for(_next(events, "nv.syslog_dropped"), 5)
    assert dropped.data["count"] == 1  # reported at the first drop, then at most once a minute
    assert "127.0.0.1" in dropped.text_en
    own_rsyslog.start()
    lines = await received(own_rsyslog, "tcp", 10)
    await asyncio.sleep(0.3)
    assert [line[5] for line in own_rsyslog.received("tcp")] == [f"\ufeffalarm {n}" for n in range(15, 25)]
    health = running.service.counters()
    assert (health["sent"], health["dropped"], health["queued"]) == (10, 15, 0)
    assert len(lines) == 10


async def _next(subscription: Any, event_id: str) -> Any:
    while True:
        event = await subscription.get()
        if event.id == event_id:
            return event


def test_message_bytes_begin_the_text_with_a_bom() -> None:
    message = format_message(make_event("ups.connected"), host=hostname("x"))
    assert BOM + b"UPS connected" in message


# -- through the daemon ----------------------------------------------------------------------------


async def test_daemon_sends_a_mains_failure_and_a_setting_change(
    own_rsyslog: Rsyslog, make_daemon: Any
) -> None:
    own_rsyslog.start()
    port = own_rsyslog.ports["udp"]
    daemon = await make_daemon({"syslog": {"enabled": True, "server": "127.0.0.1", "port": port}})
    (health,) = [report for report in daemon.services_health() if report.name == "syslog"]
    assert health.state == "running"
    daemon.test_simulator.device.scenario("mains_failure")
    await wait_for(lambda: any("UPS" == line[3] for line in own_rsyslog.received("udp")), timeout=30)
    await daemon.settings_manager.change({"system.contact": "ops"}, via="web 10.1.2.3", by="admin")
    await wait_for(
        lambda: any("via web 10.1.2.3 by admin" in line[5] for line in own_rsyslog.received("udp"))
    )
    lines = own_rsyslog.received("udp")
    ups_lines = [line for line in lines if line[3] == "UPS"]
    assert all('serial="' in line[4] for line in ups_lines)
    assert all('id="trap.' not in line[4] for line in lines)  # trap triggers are in no event log
    # The syslog service is switched off with its setting: nothing more is sent.
    await daemon.settings_manager.change({"syslog.enabled": False}, via="test", by="test")
    count = len(own_rsyslog.received("udp"))
    daemon.test_simulator.device.scenario("normal")
    await asyncio.sleep(2.5)
    assert len(own_rsyslog.received("udp")) == count
