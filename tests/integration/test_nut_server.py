"""The NUT-compatible server (RFC 9271) with real NUT clients: Debian's upsc, upscmd and
upsrw (libupsclient, NSS TLS), the official Python client PyNUTClient, and raw sockets
for what upsmon sends and for abuse."""

from __future__ import annotations

import asyncio
import functools
import shutil
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from netvision.daemon import Daemon
from netvision.passwords import hash_password
from netvision.services.nut import NutService
from netvision.services.nut import variables as nut_variables
from netvision.services.shutdown import ShutdownService
from netvision.services.shutdown.status import Phase, UpsShutOff
from netvision.services.web.tls import SERVER_PEM, CertificateStore
from tests.conftest import free_port, wait_for
from tests.integration.test_snmp_helpers import need
from tests.integration.upsmon import Upsmon

MakeDaemon = Callable[..., Awaitable[Daemon]]

PASSWORDS = {"monitor": "mon-secret", "operator": "op-secret-1", "admin": "adm-secret"}
RIGHTS = {"monitor": "monitor", "operator": "instcmd", "admin": "set"}


@functools.cache
def _hash(password: str) -> str:
    return hash_password(password)


def users() -> list[dict[str, str]]:
    return [{"name": name, "password": _hash(PASSWORDS[name]), "rights": RIGHTS[name]} for name in PASSWORDS]


@pytest.fixture(scope="module")
def tls_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("nut-tls")
    CertificateStore(directory).ensure()
    return directory


@pytest.fixture(autouse=True)
def made_once(tls_source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway's certificate is made once for these tests (it takes seconds) and copied
    into each daemon's data directory."""
    make = CertificateStore.ensure

    def ensure(store: CertificateStore) -> None:
        if not (store.directory / SERVER_PEM).exists():
            store.directory.mkdir(parents=True, exist_ok=True)
            for path in tls_source.iterdir():
                shutil.copy2(path, store.directory / path.name)
        make(store)

    monkeypatch.setattr(CertificateStore, "ensure", ensure)


async def nut_daemon(make_daemon: MakeDaemon, nut: dict[str, Any] | None = None, **options: Any) -> Daemon:
    port = free_port()
    settings = {"enabled": True, "bind": "127.0.0.1", "port": port, "users": users(), **(nut or {})}
    overrides: dict[str, Any] = {"nut": settings}
    overrides.update(options.pop("overrides", {}))
    return await make_daemon(overrides, **options)


def port_of(daemon: Daemon) -> int:
    return daemon.settings.nut.port


def ups_description(daemon: Daemon) -> str:
    """UPSDESC: the UPS's model and serial number, as the simulator gives them."""
    assert daemon.ups is not None and daemon.ups.snapshot.identity is not None
    identity = daemon.ups.snapshot.identity
    return f"Socomec {identity.model} ({identity.serial_number})"


def service_of(daemon: Daemon) -> NutService:
    return next(service for service in daemon.services if isinstance(service, NutService))


class Client:
    """A raw NUT connection: one request, one reply line (or a LIST block)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, daemon: Daemon) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(daemon))
        return cls(reader, writer)

    async def ask(self, request: str | bytes) -> str:
        data = request if isinstance(request, bytes) else request.encode() + b"\n"
        self.writer.write(data)
        await self.writer.drain()
        return (await asyncio.wait_for(self.reader.readline(), 10)).decode().rstrip("\n")

    async def block(self, request: str) -> list[str]:
        first = await self.ask(request)
        if not first.startswith("BEGIN "):
            return [first]
        lines = [first]
        while not lines[-1].startswith("END "):
            lines.append((await asyncio.wait_for(self.reader.readline(), 10)).decode().rstrip("\n"))
        return lines

    async def starttls(self, context: ssl.SSLContext) -> None:
        assert await self.ask("STARTTLS") == "OK STARTTLS"
        await self.writer.start_tls(context, server_hostname="127.0.0.1")

    async def closed(self) -> bool:
        try:
            return await asyncio.wait_for(self.reader.read(100), 10) == b""
        except ConnectionError:
            return True

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        client.close()


async def login(daemon: Daemon, user: str, opened: list[Client]) -> Client:
    client = await Client.connect(daemon)
    opened.append(client)
    assert await client.ask(f"USERNAME {user}") == "OK"
    assert await client.ask(f'PASSWORD "{PASSWORDS[user]}"') == "OK"
    return client


def pynut(daemon: Daemon, user: str | None = None, **options: Any) -> Any:
    from PyNUTClient.PyNUT import PyNUTClient

    password = PASSWORDS[user] if user else None
    return PyNUTClient(
        host="127.0.0.1", port=port_of(daemon), login=user, password=password, timeout=10, **options
    )


def said(output: str, *texts: str) -> bool:
    """upscmd/upsrw print an error in words ("Access denied") or upsd's own ERR word."""
    flat = output.lower().replace("-", " ")
    return any(text.lower().replace("-", " ") in flat for text in texts)


def denied(output: str) -> bool:
    return said(output, "access denied")


async def nut_tool(tool: str, *args: str, timeout: float = 30.0) -> tuple[int, str, str]:
    """Run upsc/upscmd/upsrw: (exit code, standard output, standard error). libupsclient
    writes its TLS notices on standard error."""
    process = await asyncio.create_subprocess_exec(
        need(tool), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


async def upsc(*args: str) -> tuple[int, str]:
    code, out, err = await nut_tool("upsc", *args)
    return code, out if code == 0 else out + err


# -- reading ------------------------------------------------------------------------------------


async def test_upsc_lists_the_ups_and_its_variables_over_tls(make_daemon: MakeDaemon) -> None:
    daemon = await nut_daemon(
        make_daemon, {"aliases": ["nas-ups"]}, overrides={"system": {"location": 'Room "B" #2'}}
    )
    port = port_of(daemon)
    code, output = await upsc("-l", f"127.0.0.1:{port}")
    assert code == 0, output
    assert output.split() == ["ups"]
    code, output = await upsc(f"ups@127.0.0.1:{port}")
    assert code == 0, output
    values = dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)
    assert values["ups.status"] == "OL"
    assert values["device.location"] == 'Room "B" #2'  # quoted and escaped, read back whole
    # An alias answers as the UPS itself (a NAS that only knows "ups" or a name of its own).
    code, output = await upsc(f"NAS-UPS@127.0.0.1:{port}", "ups.status")
    assert (code, output.strip()) == (0, "OL")
    code, output = await upsc(f"nope@127.0.0.1:{port}")
    assert code != 0 and "Unknown UPS" in output
    # upsc tries STARTTLS: it got it (libupsclient with NSS, no certificate check).
    assert service_of(daemon).counters()["tls_sessions"] >= 3


async def test_upsc_shows_the_logged_in_clients_and_the_client_table_has_them(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    subscription = daemon.bus.subscribe("test")
    # What upsmon sends as a secondary, then as a primary.
    secondary = await login(daemon, "monitor", clients)
    assert await secondary.ask("LOGIN ups") == "OK"
    assert await secondary.ask("LOGIN ups") == "ERR ALREADY-LOGGED-IN"
    assert await secondary.ask("PRIMARY ups") == "ERR ACCESS-DENIED"  # a monitor user is a secondary
    primary = await login(daemon, "operator", clients)
    assert await primary.ask("login UPS") == "OK"  # command words and UPS names in any case
    assert await primary.ask("PRIMARY ups") == "OK PRIMARY-GRANTED"
    assert await primary.ask("MASTER ups") == "OK MASTER-GRANTED"
    assert await primary.ask("GET NUMLOGINS ups") == "NUMLOGINS ups 2"
    assert await primary.ask("GET VAR ups ups.status") == 'VAR ups ups.status "OL"'
    code, output = await upsc("-c", f"ups@127.0.0.1:{port_of(daemon)}")
    assert code == 0, output
    assert output.split() == ["127.0.0.1", "127.0.0.1"]
    table = daemon._context.offers["nut.clients"]()  # type: ignore[union-attr]
    logged = [client for client in table if client.logged_in]
    assert [(client.user, client.ups, client.primary) for client in logged] == [
        ("monitor", "ups", False),
        ("operator", "ups", True),
    ]
    assert await secondary.ask("LOGOUT") == "OK Goodbye"
    assert await secondary.closed()
    await wait_for(lambda: service_of(daemon).counters()["logged_in"] == 1, timeout=5)
    assert await primary.ask("GET NUMLOGINS ups") == "NUMLOGINS ups 1"
    events = []
    while (event := subscription.get_nowait()) is not None:
        events.append(event)
    texts = [event.text_en for event in events if event.id.startswith("nv.nut_client")]
    assert texts == [
        "NUT client monitor logged in from 127.0.0.1 to UPS ups",
        "NUT client monitor at 127.0.0.1 left UPS ups: logged out",
    ]  # the operator's login, from the same address within the minute, is not logged again


async def test_pynutclient_reads_lists_and_runs_a_command(make_daemon: MakeDaemon) -> None:
    daemon = await nut_daemon(
        make_daemon, overrides={"shutdown": {"ups_shut_off": True, "ups_shut_off_delay": 120}}
    )
    sim = daemon.test_simulator  # type: ignore[attr-defined]

    def session() -> tuple[Any, ...]:
        client = pynut(daemon, "admin")
        upses = client.GetUPSList()
        variables = client.GetUPSVars("ups")
        writable = client.GetRWVars("ups")
        commands = client.GetUPSCommands("ups")
        done = client.RunUPSCommand("ups", "test.battery.start")
        client.SetRWVar("ups", "ups.delay.shutdown", "90")
        return upses, variables, writable, commands, done

    upses, variables, writable, commands, done = await asyncio.to_thread(session)
    assert list(upses) == [b"ups"]
    assert variables[b"ups.status"] == b"OL"
    assert writable == {b"ups.delay.shutdown": b"120"}
    assert b"test.battery.start" in commands and b"test.battery.stop" not in commands
    assert done == "OK"
    assert [name for name, _unit in sim.device.control_log] == ["battery_test"]
    assert daemon.settings_manager.settings.shutdown.ups_shut_off_delay == 90


async def test_upscmd_runs_a_battery_test_the_ups_reflects(make_daemon: MakeDaemon) -> None:
    daemon = await nut_daemon(make_daemon)
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    port = port_of(daemon)
    code, out, err = await nut_tool("upscmd", "-l", f"ups@127.0.0.1:{port}")
    assert code == 0, err
    assert "test.battery.start" in out and "bypass.stop" in out
    code, out, err = await nut_tool(
        "upscmd", "-u", "operator", "-p", PASSWORDS["operator"], f"ups@127.0.0.1:{port}", "test.battery.start"
    )
    assert code == 0, out + err
    assert sim.device.ups.battery_test_running
    results: list[Any] = []
    daemon.ups.subscribe_controls(results.append)  # type: ignore[union-attr]
    # With -w, upscmd asks for tracking and waits for the result.
    code, out, err = await nut_tool(
        "upscmd", "-w", "-u", "operator", "-p", PASSWORDS["operator"], f"ups@127.0.0.1:{port}", "bypass.stop"
    )
    assert code == 0, out + err
    assert "SUCCESS" in out + err
    assert results and results[-1].control == "transfer_to_inverter"
    assert (results[-1].source, results[-1].user) == ("nut", "operator@127.0.0.1")


async def test_commands_are_refused_without_rights_or_when_the_ups_forbids_them(
    make_daemon: MakeDaemon,
) -> None:
    daemon = await nut_daemon(make_daemon)
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    port = port_of(daemon)
    target = f"ups@127.0.0.1:{port}"
    code, out, err = await nut_tool(
        "upscmd", "-u", "monitor", "-p", PASSWORDS["monitor"], target, "test.battery.start"
    )
    assert code != 0 and denied(out + err)
    code, out, err = await nut_tool("upscmd", "-u", "operator", "-p", "wrong", target, "test.battery.start")
    assert code != 0 and denied(out + err)
    code, out, err = await nut_tool(
        "upscmd", "-u", "operator", "-p", PASSWORDS["operator"], target, "load.on"
    )
    assert code != 0 and said(out + err, "not supported", "CMD-NOT-SUPPORTED")
    assert not sim.device.ups.battery_test_running
    # The UPS withdraws its permission: the command is refused (the poller reads the
    # permissions again before a control), then leaves the list.
    sim.device.permissions("battery_test", False)
    code, out, err = await nut_tool(
        "upscmd", "-u", "operator", "-p", PASSWORDS["operator"], target, "test.battery.start"
    )
    assert code != 0 and said(out + err, "Instant command failed", "INSTCMD-FAILED")
    assert daemon.ups is not None
    poller = daemon.ups
    await wait_for(lambda: poller.snapshot.permissions.get("battery_test") is False, timeout=10)
    code, out, err = await nut_tool("upscmd", "-l", target)
    assert "test.battery.start" not in out and "bypass.stop" in out
    # Remote controls off altogether: nothing is offered.
    sim.device.permissions("remote", False)
    await wait_for(lambda: not poller.snapshot.remote_controls_permitted, timeout=30)
    code, out, err = await nut_tool("upscmd", "-l", target)
    assert code == 0 and "bypass" not in out
    assert not sim.device.ups.battery_test_running


async def test_upsrw_changes_the_shut_off_delay_and_refuses_a_reader(make_daemon: MakeDaemon) -> None:
    daemon = await nut_daemon(make_daemon, overrides={"shutdown": {"ups_shut_off": True}})
    target = f"ups@127.0.0.1:{port_of(daemon)}"
    code, out, err = await nut_tool("upsrw", target)
    assert code == 0, err
    assert "[ups.delay.shutdown]" in out and '"0-32767"' in out
    code, out, err = await nut_tool(
        "upsrw", "-u", "operator", "-p", PASSWORDS["operator"], "-s", "ups.delay.shutdown=60", target
    )
    assert code != 0 and denied(out + err)
    code, out, err = await nut_tool(
        "upsrw", "-u", "admin", "-p", PASSWORDS["admin"], "-s", "ups.delay.shutdown=99999", target
    )
    assert code != 0 and said(out + err, "Invalid value", "INVALID-VALUE")
    code, out, err = await nut_tool(
        "upsrw", "-u", "admin", "-p", PASSWORDS["admin"], "-s", "ups.delay.shutdown=60", target
    )
    assert code == 0, out + err
    assert daemon.settings_manager.settings.shutdown.ups_shut_off_delay == 60


async def test_a_primary_fsd_latches_without_the_shutdown_service(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon, overrides={"shutdown": {"enabled": False}})
    observer = await Client.connect(daemon)
    clients.append(observer)
    primary = await login(daemon, "operator", clients)
    assert await primary.ask("FSD ups") == "OK FSD-SET"
    # No shutdown service runs here: FSD is latched as upsd does, and secondaries see it.
    assert await observer.ask("GET VAR ups ups.status") == 'VAR ups ups.status "FSD OL"'
    block = await observer.block("LIST VAR ups")
    assert 'VAR ups ups.status "FSD OL"' in block
    monitor = await login(daemon, "monitor", clients)
    assert await monitor.ask("FSD ups") == "ERR ACCESS-DENIED"


async def test_fsd_goes_to_the_shutdown_service_when_it_runs(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    forced: list[tuple[str, str]] = []
    daemon._context.offers["shutdown.force"] = lambda by, source: forced.append((by, source))  # type: ignore[union-attr]
    primary = await login(daemon, "operator", clients)
    assert await primary.ask("FSD ups") == "OK FSD-SET"
    assert forced == [("operator@127.0.0.1", "nut")]
    assert await primary.ask("GET VAR ups ups.status") == 'VAR ups ups.status "OL"'


# -- TLS ----------------------------------------------------------------------------------------


async def test_starttls_with_the_gateway_certificate_and_require_tls(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon, {"require_tls": True})
    plain = await Client.connect(daemon)
    clients.append(plain)
    # No credentials in clear when TLS is required.
    assert await plain.ask("USERNAME monitor") == "ERR ACCESS-DENIED"
    assert await plain.ask("PASSWORD x") == "ERR ACCESS-DENIED"
    context = ssl.create_default_context(cafile=str(daemon.data_dir / "tls" / "cacert.crt"))
    context.check_hostname = False
    secure = await Client.connect(daemon)
    clients.append(secure)
    await secure.starttls(context)
    assert await secure.ask("STARTTLS") == "ERR ALREADY-SSL-MODE"
    assert await secure.ask("USERNAME monitor") == "OK"
    assert await secure.ask(f"PASSWORD {PASSWORDS['monitor']}") == "OK"
    assert await secure.ask("LOGIN ups") == "OK"
    table = daemon._context.offers["nut.clients"]()  # type: ignore[union-attr]
    assert [client.tls for client in table if client.logged_in] == [True]

    def python_client() -> dict[bytes, bytes]:
        client = pynut(
            daemon,
            "monitor",
            use_ssl=True,
            force_ssl=True,
            ca_file=str(daemon.data_dir / "tls" / "cacert.crt"),
        )
        return client.GetUPSVars("ups")  # type: ignore[no-any-return]

    try:
        assert (await asyncio.to_thread(python_client))[b"ups.status"] == b"OL"
    except ssl.SSLCertVerificationError:  # the certificate does not name 127.0.0.1
        pass


async def test_starttls_off_answers_feature_not_configured(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon, {"starttls": False})
    client = await Client.connect(daemon)
    clients.append(client)
    assert await client.ask("STARTTLS") == "ERR FEATURE-NOT-CONFIGURED"
    assert await client.ask("GET VAR ups ups.status") == 'VAR ups ups.status "OL"'
    code, output = await upsc(f"ups@127.0.0.1:{port_of(daemon)}", "ups.status")  # falls back to clear text
    assert (code, output.strip()) == (0, "OL")


# -- protocol details and abuse -----------------------------------------------------------------


async def test_protocol_answers_as_upsd(make_daemon: MakeDaemon, clients: list[Client]) -> None:
    daemon = await nut_daemon(make_daemon)
    client = await Client.connect(daemon)
    clients.append(client)
    assert await client.ask("NETVER") == "1.3"
    assert await client.ask("PROTVER") == "1.3"
    assert (await client.ask("HELP")).startswith("Commands: HELP VER PROTVER GET LIST SET INSTCMD")
    assert (await client.ask("VER")).startswith("NET VISION ")
    description = ups_description(daemon)
    assert await client.ask("GET UPSDESC ups") == f'UPSDESC ups "{description}"'
    assert await client.ask("GET TYPE ups ups.status") == "TYPE ups ups.status NUMBER"
    assert (
        await client.ask("GET DESC ups battery.charge")
        == 'DESC ups battery.charge "Battery charge (percent)"'
    )
    assert (
        await client.ask("GET CMDDESC ups test.battery.start")
        == 'CMDDESC ups test.battery.start "Start a battery test"'
    )
    assert await client.ask("GET VAR ups no.such") == "ERR VAR-NOT-SUPPORTED"
    assert await client.ask("GET VAR other ups.status") == "ERR UNKNOWN-UPS"
    assert await client.ask("GET VAR ups") == "ERR INVALID-ARGUMENT"
    assert await client.ask("LOGIN ups") == "ERR USERNAME-REQUIRED"
    assert await client.ask("USERNAME someone") == "OK"
    assert await client.ask("USERNAME again") == "ERR ALREADY-SET-USERNAME"
    assert await client.ask("INSTCMD ups test.battery.start") == "ERR PASSWORD-REQUIRED"
    assert await client.ask("PASSWORD whatever") == "OK"
    assert await client.ask("PASSWORD again") == "ERR ALREADY-SET-PASSWORD"
    assert await client.ask("LOGIN ups") == "ERR ACCESS-DENIED"  # unknown user
    assert await client.ask("GET TRACKING") == "OFF"
    assert await client.ask("SET TRACKING ON") == "OK"
    assert await client.ask("GET TRACKING 0000") == "ERR UNKNOWN"
    assert await client.block("LIST ENUM ups ups.status") == [
        "BEGIN LIST ENUM ups ups.status",
        "END LIST ENUM ups ups.status",
    ]
    assert await client.block("LIST UPS") == [
        "BEGIN LIST UPS",
        f'UPS ups "{description}"',
        "END LIST UPS",
    ]
    assert await client.ask("FOO") == "ERR UNKNOWN-COMMAND"


async def test_malformed_and_huge_lines_are_answered_and_others_still_served(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    rogue = await Client.connect(daemon)
    other = await Client.connect(daemon)
    clients += [rogue, other]
    assert await rogue.ask(b"GET VAR ups " + b"x" * 5000 + b"\n") == "ERR TOO-LONG"
    assert await rogue.ask(b'GET VAR "ups ups.status\n') == "ERR INVALID-ARGUMENT"
    assert await rogue.ask(b'GET VAR "ups#" ups.status\n') == "ERR INVALID-ARGUMENT"
    assert await rogue.ask(b"\xff\xfe\x00\x01\n") == "ERR UNKNOWN-COMMAND"
    assert await rogue.ask(b"\n") == "ERR UNKNOWN-COMMAND"
    assert await rogue.ask(b"GET VAR ups ups.status # a comment\r\n") == 'VAR ups ups.status "OL"'
    # A megabyte without a newline is thrown away as it comes; the next line is served.
    rogue.writer.write(b"y" * 1_000_000)
    assert await other.ask("GET VAR ups battery.charge") == 'VAR ups battery.charge "100"'
    assert await rogue.ask(b"\nGET VAR ups ups.status\n") == "ERR TOO-LONG"
    assert (await asyncio.wait_for(rogue.reader.readline(), 10)).decode() == 'VAR ups ups.status "OL"\n'
    # Pipelined requests are answered in order.
    rogue.writer.write(b"NETVER\nGET VAR ups ups.status\nHELP\n")
    answers = [(await asyncio.wait_for(rogue.reader.readline(), 10)).decode().strip() for _ in range(3)]
    assert answers[:2] == ["1.3", 'VAR ups ups.status "OL"'] and answers[2].startswith("Commands:")


async def test_a_client_that_does_not_read_is_dropped_and_others_are_served(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    service = service_of(daemon)
    hog = await Client.connect(daemon)
    other = await Client.connect(daemon)
    clients += [hog, other]
    hog.writer.transport.pause_reading()  # type: ignore[attr-defined]
    hog.writer.write(b"LIST VAR ups\n" * 20000)
    for _ in range(5):
        assert await other.ask("GET VAR ups ups.status") == 'VAR ups ups.status "OL"'
    assert service.counters()["clients"] == 2


async def test_an_idle_client_is_dropped(make_daemon: MakeDaemon, clients: list[Client]) -> None:
    daemon = await nut_daemon(make_daemon)
    service_of(daemon)._server.idle_timeout = 0.5
    quiet = await Client.connect(daemon)
    talking = await Client.connect(daemon)
    clients += [quiet, talking]
    for _ in range(4):
        assert await talking.ask("NETVER") == "1.3"
        await asyncio.sleep(0.2)
    assert await quiet.closed()
    assert await talking.ask("NETVER") == "1.3"


async def test_beyond_max_clients_connections_are_refused(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon, {"max_clients": 2})
    first, second, third = [await Client.connect(daemon) for _ in range(3)]
    clients += [first, second, third]
    assert await first.ask("NETVER") == "1.3"
    assert await second.ask("NETVER") == "1.3"
    assert await third.closed()
    first.close()
    await wait_for(lambda: service_of(daemon).counters()["clients"] == 1, timeout=5)
    fourth = await Client.connect(daemon)
    clients.append(fourth)
    assert await fourth.ask("NETVER") == "1.3"
    assert service_of(daemon).counters()["sessions_refused"] == 1


async def test_data_stale_while_the_ups_does_not_answer(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    assert daemon.ups is not None
    poller = daemon.ups
    client = await login(daemon, "monitor", clients)
    assert await client.ask("LOGIN ups") == "OK"
    sim.slave.fault("no_answer")
    await wait_for(lambda: not poller.snapshot.communicating, timeout=60)
    assert await client.ask("GET VAR ups ups.status") == "ERR DATA-STALE"
    assert await client.ask("LIST VAR ups") == "ERR DATA-STALE"
    assert await client.ask("GET NUMLOGINS ups") == "ERR DATA-STALE"
    assert await client.block("LIST CLIENT ups") == [
        "BEGIN LIST CLIENT ups",
        "CLIENT ups 127.0.0.1",
        "END LIST CLIENT ups",
    ]
    sim.slave.clear_faults()
    await wait_for(lambda: poller.snapshot.communicating, timeout=60)
    assert await client.ask("GET VAR ups ups.status") == 'VAR ups ups.status "OL"'


async def test_wrong_passwords_are_rate_limited_and_logged(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    subscription = daemon.bus.subscribe("test")
    for attempt in range(5):
        client = await Client.connect(daemon)
        clients.append(client)
        assert await client.ask("USERNAME operator") == "OK"
        assert await client.ask(f"PASSWORD wrong{attempt}") == "OK"
        assert await client.ask("LOGIN ups") == "ERR ACCESS-DENIED"
    service = service_of(daemon)
    checks = service.counters()["password_checks"]
    # Locked out for this address: even the right password is refused, without a check.
    client = await login(daemon, "operator", clients)
    assert await client.ask("LOGIN ups") == "ERR ACCESS-DENIED"
    assert service.counters()["password_checks"] == checks
    events = []
    while (event := subscription.get_nowait()) is not None:
        events.append(event)
    failed = [event for event in events if event.id == "nv.nut_login_failed"]
    assert len(failed) == 1 and failed[0].data["user"] == "operator"


async def test_a_right_password_is_checked_once_for_reconnections(
    make_daemon: MakeDaemon, clients: list[Client]
) -> None:
    daemon = await nut_daemon(make_daemon)
    service = service_of(daemon)
    for _ in range(3):
        client = await login(daemon, "monitor", clients)
        assert await client.ask("LOGIN ups") == "OK"
        assert await client.ask("LOGOUT") == "OK Goodbye"
    assert service.counters()["password_checks"] == 1
    # The settings file holds the hash only.
    await daemon.settings_manager.change(
        {"nut.users": [*users()[:2], {"name": "admin", "password": "new-admin", "rights": "set"}]},
        via="test",
        by="test",
    )
    assert daemon.settings_manager.path is not None
    text = daemon.settings_manager.path.read_text()
    assert "new-admin" not in text and daemon.settings_manager.settings.nut.users[2].password.startswith(
        "scrypt$"
    )
    assert daemon.settings_manager.settings.nut.users[0].password == users()[0]["password"]


async def test_upsmon_as_a_secondary_logs_in_and_shuts_down_on_fsd(
    make_daemon: MakeDaemon, clients: list[Client], tmp_path: Path
) -> None:
    """Debian's upsmon 2.8.0 (the real binary behind /sbin/upsmon), monitoring the gateway
    as a secondary: it logs in, polls ups.status, and runs SHUTDOWNCMD once a primary has
    set FSD."""
    daemon = await nut_daemon(make_daemon)
    upsmon = await Upsmon.start(tmp_path, port_of(daemon), "monitor", PASSWORDS["monitor"])
    try:
        table: Callable[[], Any] = daemon._context.offers["nut.clients"]  # type: ignore[union-attr]
        await wait_for(
            lambda: [client for client in table() if client.user == "monitor" and client.ups == "ups"],
            timeout=20,
        )
        primary = await login(daemon, "operator", clients)
        assert await primary.ask("GET NUMLOGINS ups") == "NUMLOGINS ups 1"
        assert await primary.ask("FSD ups") == "OK FSD-SET"
        await wait_for(upsmon.flag.exists, timeout=20)
    finally:
        output = await upsmon.stop()
    assert "Logged into UPS" in output and "forced shutdown in progress" in output, output


async def test_a_fault_in_the_variables_is_data_stale_not_a_crash(
    make_daemon: MakeDaemon, clients: list[Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = await nut_daemon(make_daemon)
    client = await Client.connect(daemon)
    clients.append(client)
    assert await client.ask("GET VAR ups ups.status") == 'VAR ups ups.status "OL"'

    def broken(*args: Any) -> dict[str, str]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(nut_variables, "variables", broken)
    assert daemon.ups is not None
    await wait_for(lambda: daemon.ups is not None and daemon.ups.snapshot.sequence > 0)
    sequence = daemon.ups.snapshot.sequence
    await wait_for(lambda: daemon.ups is not None and daemon.ups.snapshot.sequence > sequence, timeout=10)
    assert await client.ask("GET VAR ups ups.status") == "ERR DATA-STALE"
    assert await client.ask("NETVER") == "1.3"


# -- with the shutdown service ------------------------------------------------------------------


def shutdown_status(daemon: Daemon) -> Any:
    return daemon._context.offers["shutdown.status"]()  # type: ignore[union-attr]


async def test_upscmd_load_off_delay_runs_the_ups_shut_off_sequence(
    make_daemon: MakeDaemon, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """load.off.delay: the shutdown command to the clients, the output off after
    ups.delay.shutdown (2 s), even with the procedure's own UPS shut-off turned off; the
    restart after the UPS On Delay (2 "minutes" of 1 s here), the mains being present."""
    monkeypatch.setattr(ShutdownService, "tick", 0.1)
    monkeypatch.setattr(ShutdownService, "minute", 1.0)
    shutdown = {"ups_shut_off": False, "ups_shut_off_delay": 2, "ups_on_delay": 2}
    daemon = await nut_daemon(make_daemon, overrides={"shutdown": shutdown})
    device = daemon.test_simulator.device  # type: ignore[attr-defined]
    subscription = daemon.bus.subscribe("test")
    target = f"ups@127.0.0.1:{port_of(daemon)}"
    code, out, err = await nut_tool("upscmd", "-l", target)
    assert code == 0 and "load.off.delay" in out, out + err
    code, out, err = await nut_tool("upsc", target, "ups.delay.shutdown")
    assert out.strip() == "2", out + err
    code, out, err = await nut_tool(
        "upscmd", "-u", "monitor", "-p", PASSWORDS["monitor"], target, "load.off.delay"
    )
    assert code != 0 and denied(out + err)
    code, out, err = await nut_tool(
        "upscmd", "-u", "operator", "-p", PASSWORDS["operator"], target, "load.off.delay"
    )
    assert code == 0, out + err
    status = shutdown_status(daemon)
    assert status.forced_shutdown and status.event == "client"
    assert status.ups_shut_off is UpsShutOff.WAITING and device.ups.path == "inverter"
    assert "UPS shut-off asked by operator@127.0.0.1 via nut" in caplog.text
    await wait_for(lambda: device.ups.path == "off", timeout=20)
    assert ("standby_on", None) in device.control_log
    # The mains is present: the output comes back after the On Delay, the clients recover.
    await wait_for(lambda: device.ups.path == "inverter", timeout=20)
    await wait_for(lambda: shutdown_status(daemon).phase is Phase.IDLE, timeout=10)
    events = []
    while (event := subscription.get_nowait()) is not None:
        events.append(event)
    shutdown_ids = [event.id for event in events if "shutdown" in event.id or "output_on" in event.id]
    assert shutdown_ids == [
        "nv.shutdown_request_sent",
        "nv.ups_shutdown_command_sent",
        "nv.ups_output_on_sent",
        "nv.shutdown_cancel_sent",
    ]


async def test_load_off_delay_refused_when_the_ups_forbids_its_controls(
    make_daemon: MakeDaemon, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = await nut_daemon(make_daemon)
    device = daemon.test_simulator.device  # type: ignore[attr-defined]
    assert daemon.ups is not None
    poller = daemon.ups
    device.permissions("remote", False)  # JBUSP S06: read every cycle
    await wait_for(lambda: poller.snapshot.permissions.get("standby_on") is False, timeout=10)
    target = f"ups@127.0.0.1:{port_of(daemon)}"
    code, out, err = await nut_tool("upscmd", "-l", target)
    assert "load.off.delay" not in out
    # Known but forbidden: asked anyway, the shutdown service refuses it and nothing starts.
    code, out, err = await nut_tool(
        "upscmd", "-u", "operator", "-p", PASSWORDS["operator"], target, "load.off.delay"
    )
    assert code != 0 and said(out + err, "Instant command failed", "INSTCMD-FAILED")
    assert shutdown_status(daemon).phase is Phase.IDLE and device.control_log == []
    assert "UPS shut-off asked by operator@127.0.0.1 via nut refused" in caplog.text


async def test_ups_timer_shutdown_and_fsd_follow_the_shutdown_procedure(
    make_daemon: MakeDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """upsc reads the procedure end to end: the warning period counts down in
    ups.timer.shutdown (1 "minute" of 8 s here: long enough for several upsc runs on a
    busy machine), then FSD; the mains returns, FSD goes."""
    monkeypatch.setattr(ShutdownService, "tick", 0.1)
    monkeypatch.setattr(ShutdownService, "minute", 8.0)
    row = {"event": "ac_failed", "enabled": True, "warning_period": 1, "first_warning": 0}
    daemon = await nut_daemon(make_daemon, overrides={"shutdown": {"events": [row]}})
    device = daemon.test_simulator.device  # type: ignore[attr-defined]
    target = f"ups@127.0.0.1:{port_of(daemon)}"

    async def read(name: str) -> str:
        code, output = await upsc(target, name)
        assert code == 0, output
        return output.strip()

    assert await read("ups.timer.shutdown") == "-1"
    device.scenario("mains_failure")
    timers: list[int] = []
    deadline = time.monotonic() + 60  # the poller sees the failure, then 8 s of warning
    while not (status := await read("ups.status")).startswith("FSD"):
        timers.append(int(await read("ups.timer.shutdown")))
        assert time.monotonic() < deadline, timers
        await asyncio.sleep(0.1)
    counting = [timer for timer in timers if timer > 0]
    assert len(set(counting)) >= 2 and counting == sorted(counting, reverse=True) and max(counting) <= 8, (
        timers
    )
    assert "OB" in status.split()
    assert await read("ups.timer.shutdown") == "0"
    device.scenario("mains_restored")
    await wait_for(lambda: shutdown_status(daemon).phase is Phase.IDLE, timeout=20)
    status = await read("ups.status")
    assert status.startswith("OL") and "FSD" not in status.split(), status
    assert await read("ups.timer.shutdown") == "-1"
