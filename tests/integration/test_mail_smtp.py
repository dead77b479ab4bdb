"""The mail service against SMTP servers started by the tests (aiosmtpd): plain, STARTTLS
with a test CA, implicit TLS, AUTH with a check of the credentials, and servers that fail
in each of the ways the manual's error codes name."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from netvision.events.bus import Event, EventBus, Severity  # noqa: E402
from netvision.events.catalog import make_event  # noqa: E402
from netvision.services.mail.sender import classify, deliver  # noqa: E402
from netvision.services.mail.service import MailService  # noqa: E402
from netvision.services.registry import ServiceContext  # noqa: E402
from netvision.settings import Settings  # noqa: E402
from netvision.settings.manager import SettingsManager  # noqa: E402
from netvision.settings.models import MailSettings  # noqa: E402
from netvision.ups.model import Communication, CommunicationState, Identity, Snapshot  # noqa: E402
from tests.conftest import free_port, wait_for  # noqa: E402
from tests.fakes import NOW, FakeUps  # noqa: E402
from tests.pki import make_ca, make_server_certificate  # noqa: E402
from tests.smtp_server import Server, text_of  # noqa: E402

SERIAL = "SN-4242"


def mail_settings(**values: Any) -> MailSettings:
    return MailSettings.model_validate(values)


# -- SMTP servers ----------------------------------------------------------------------------------


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"ups",
        b"app-pass",
    )
    if ok:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False, message="535 5.7.8 Authentication credentials invalid")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("pki")
    ca = make_ca(directory, "ca")
    make_ca(directory, "other-ca")
    make_server_certificate(directory, ca)
    files = {name: str(directory / f"{name}.pem") for name in ("ca", "other-ca", "server")}
    key = directory / "server.key"
    files["key"] = str(key if key.exists() else directory / "server-key.pem")
    return files


def server_tls(pki: dict[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["server"], pki["key"])
    return context


# -- the service -----------------------------------------------------------------------------------


def identified() -> Snapshot:
    identity = Identity("jbusp", "JBUSP", "ups", None, "MASTERYS", SERIAL)
    return Snapshot(1, NOW, Communication(CommunicationState.OK, NOW), identity=identity)


class Running:
    def __init__(
        self, service: MailService, bus: EventBus, manager: SettingsManager, events: list[Event]
    ) -> None:
        self.service, self.bus, self.manager, self.events = service, bus, manager, events
        self.context: ServiceContext | None = None

    async def stop(self) -> None:
        """Stop the service as the daemon does: what was not mailed stays on disk."""
        assert self.context is not None
        await self.context.release()
        await self.service.stop()

    def ids(self) -> list[str]:
        return [event.id for event in self.events]


@pytest.fixture
async def start_mail(tmp_path: Path) -> AsyncIterator[Any]:
    started: list[tuple[ServiceContext, MailService]] = []

    async def start(
        mail: dict[str, Any], system: dict[str, Any] | None = None, burst: tuple[float, float] = (0.3, 2.0)
    ) -> Running:
        settings = Settings.model_validate(
            {
                "data_dir": str(tmp_path),
                "system": system or {"name": "ups-room", "contact": "ops@example.com", "location": "Hall B"},
                "mail": {"enabled": True, "server": "127.0.0.1", "sender": "ups@example.com", **mail},
            }
        )
        bus = EventBus()
        events: list[Event] = []
        bus.on_event(events.append)
        manager = SettingsManager(settings, None, bus)
        context = ServiceContext(manager, FakeUps(identified()), bus, tmp_path).for_service("mail")
        service = MailService(context, retry_delays=(0.1, 0.5), burst=burst, timeout=5.0)
        await service.start()
        started.append((context, service))
        running = Running(service, bus, manager, events)
        running.context = context
        return running

    yield start
    for context, service in started:
        await context.release()
        await service.stop()


def recipients(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"mail_type": "events", **row} for row in rows]


def on_battery() -> Event:
    return make_event("trap.on_battery", condition=1)


def alarm(acronym: str = "A01", added: bool = True, severity: Severity = Severity.WARNING) -> Event:
    if added:
        return make_event(
            "ups.alarm_added",
            acronym=acronym,
            severity=severity,
            description="Mains failure",
            description_fr="Défaut secteur",
        )
    return make_event(
        "ups.alarm_removed", acronym=acronym, description="Mains failure", description_fr="Défaut secteur"
    )


# -- delivery and security -------------------------------------------------------------------------


async def test_a_plain_server_gets_one_mail_with_everything(start_mail: Any) -> None:
    with Server() as server:
        running = await start_mail(
            {
                "port": server.port,
                "subject_prefix": "UPS Notification",
                "recipients": recipients({"address": "a@example.com"}),
            }
        )
        running.bus.publish(alarm())
        await wait_for(lambda: server.inbox.to("a@example.com"))
        (message,) = server.inbox.to("a@example.com")
        assert message["Subject"] == "UPS Notification ups-room: Mains failure"
        body = text_of(message)
        for expected in (
            "ups-room",
            "ops@example.com",
            "Hall B",
            "MASTERYS",
            SERIAL,
            "Mains failure",
            "[Warning]",
        ):
            assert expected in body
        assert message.get_body(("html",)) is not None
        await wait_for(lambda: "nv.mail_sent" in running.ids())


async def test_starttls_with_the_test_ca_and_auth(start_mail: Any, pki: dict[str, str]) -> None:
    tls = server_tls(pki)
    with Server(
        tls_context=tls, require_starttls=True, authenticator=authenticator, auth_required=True
    ) as server:
        running = await start_mail(
            {
                "server": "localhost",
                "port": server.port,
                "security": "starttls",
                "ca_file": pki["ca"],
                "authentication": True,
                "account": "ups",
                "password": "app-pass",
                "recipients": recipients({"address": "b@example.com"}),
            }
        )
        outcome = await running.service.send_test(1)
        assert outcome.startswith("Accepted by localhost:"), outcome
        assert server.inbox.to("b@example.com")
        assert "nv.mail_test" in running.ids()


async def test_wrong_password_and_untrusted_certificate_are_reported(
    start_mail: Any, pki: dict[str, str]
) -> None:
    tls = server_tls(pki)
    with Server(
        tls_context=tls, require_starttls=True, authenticator=authenticator, auth_required=True
    ) as server:
        base = {
            "server": "localhost",
            "port": server.port,
            "security": "starttls",
            "authentication": True,
            "account": "ups",
        }
        wrong = mail_settings(
            **{**base, "enabled": True, "sender": "u@example.com", "ca_file": pki["ca"], "password": "nope"}
        )
        outcome = await deliver(wrong, b"Subject: x\r\n\r\nx\r\n", ["c@example.com"], 5)
        assert (outcome.ok, outcome.code) == (False, "002")
        untrusted = mail_settings(
            **{
                **base,
                "enabled": True,
                "sender": "u@example.com",
                "ca_file": pki["other-ca"],
                "password": "app-pass",
            }
        )
        outcome = await deliver(untrusted, b"Subject: x\r\n\r\nx\r\n", ["c@example.com"], 5)
        assert (outcome.ok, outcome.code) == (False, "111"), outcome
        assert not server.inbox.mails


async def test_implicit_tls(start_mail: Any, pki: dict[str, str]) -> None:
    with Server(ssl_context=server_tls(pki), server_hostname="localhost") as server:
        settings = mail_settings(
            enabled=True,
            server="localhost",
            port=server.port,
            security="tls",
            ca_file=pki["ca"],
            sender="u@example.com",
        )
        outcome = await deliver(settings, b"Subject: x\r\n\r\nx\r\n", ["d@example.com"], 5)
        assert outcome.ok, outcome
        assert server.inbox.to("d@example.com")


# -- error codes -----------------------------------------------------------------------------------


async def test_error_codes() -> None:
    base = {"enabled": True, "sender": "u@example.com"}
    message = b"Subject: x\r\n\r\nx\r\n"
    # 111: nothing listens on the port.
    refused = mail_settings(**base, server="127.0.0.1", port=free_port())
    assert (await deliver(refused, message, ["e@example.com"], 3)).code == "111"
    # 101: the server's name does not resolve.
    unknown = mail_settings(**base, server="no-such-host.invalid", port=25)
    assert (await deliver(unknown, message, ["e@example.com"], 3)).code == "101"
    # 111: the server answers but refuses the session (554 greeting).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def refuse() -> None:
        for _ in range(2):
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener closed by the test: the client asked once
                return
            connection.sendall(b"554 no SMTP service here\r\n")
            connection.close()

    thread = threading.Thread(target=refuse, daemon=True)
    thread.start()
    greeting = mail_settings(**base, server="127.0.0.1", port=port)
    assert (await deliver(greeting, message, ["e@example.com"], 3)).code == "111"
    # 001: a server that accepts the connection and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    mute = mail_settings(**base, server="127.0.0.1", port=silent.getsockname()[1])
    assert (await deliver(mute, message, ["e@example.com"], 0.5)).code == "001"
    listener.close()
    silent.close()
    # 002: anything else.
    assert classify(RuntimeError("boom")).code == "002"


# -- filters, language, grouping, delay ------------------------------------------------------------


async def test_filters_language_and_a_burst_grouped(start_mail: Any) -> None:
    with Server() as server:
        running = await start_mail(
            {
                "port": server.port,
                "recipients": recipients(
                    {"address": "all@example.com"},
                    {"address": "critical@example.com", "severity": "critical"},
                    {"address": "trap1@example.com", "event_filter": "events", "events": [1]},
                    {"address": "none@example.com", "mail_type": "none"},
                    {"address": "status@example.com", "mail_type": "events_and_status"},
                ),
            },
            system={"name": "salle", "language": "fr", "time_zone": "Europe/Paris"},
        )
        running.bus.publish(alarm())
        running.bus.publish(on_battery())
        running.bus.publish(make_event("ups.status.load_off"))  # critical
        await wait_for(lambda: server.inbox.to("status@example.com"))
        await asyncio.sleep(1.0)
        (all_mail,) = server.inbox.to("all@example.com")  # one mail for the burst
        body = text_of(all_mail)
        assert "Défaut secteur" in body and "Utilisation non alimentée" in body
        assert "L'ASI fonctionne sur batterie" not in body  # trap triggers: by event only
        assert "(+1 autres)" in all_mail["Subject"]
        (critical,) = server.inbox.to("critical@example.com")
        assert "Défaut secteur" not in text_of(critical)
        (trap1,) = server.inbox.to("trap1@example.com")
        assert "L'ASI fonctionne sur batterie" in text_of(trap1)
        assert not server.inbox.to("none@example.com")
        (status,) = server.inbox.to("status@example.com")
        assert [part.get_filename() for part in status.iter_attachments()] == []  # no logs in this context
        assert all_mail["Content-Language"] == "fr"


async def test_the_first_news_goes_at_once_and_the_rest_of_the_burst_in_one_mail(start_mail: Any) -> None:
    with Server() as server:
        running = await start_mail(
            {
                "port": server.port,
                "recipients": recipients(
                    {"address": "all@example.com"},
                    {"address": "trap1@example.com", "event_filter": "events", "events": [1]},
                ),
            },
            burst=(1.0, 5.0),
        )
        inbox = server.inbox
        # The first events of a burst do not wait for the burst to end (a gap of 1 s here).
        started = time.monotonic()
        running.bus.publish(alarm("A01"))
        await wait_for(lambda: inbox.to("all@example.com"))
        assert time.monotonic() - started < 0.5
        # What follows within the burst goes out together, in one more mail; each recipient
        # gets the events of that mail it wants.
        running.bus.publish(alarm("A02"))
        await asyncio.sleep(0.3)
        running.bus.publish(on_battery())
        await asyncio.sleep(0.3)
        running.bus.publish(make_event("ups.status.load_off"))
        await wait_for(lambda: len(inbox.to("all@example.com")) >= 2, timeout=5)
        await asyncio.sleep(0.5)  # anything more of the burst would come now
        first, rest = inbox.to("all@example.com")
        assert text_of(first).startswith("1 event(s)")
        assert text_of(rest).startswith("2 event(s)")  # the alarm and the load off; not TRAP 1
        (trap1,) = inbox.to("trap1@example.com")
        assert text_of(trap1).startswith("1 event(s)") and "operating on battery" in text_of(trap1)
        # After a quiet spell (the gap) the next news is a new burst: at once again.
        started = time.monotonic()
        running.bus.publish(alarm("A03"))
        await wait_for(lambda: len(inbox.to("all@example.com")) == 3)
        assert time.monotonic() - started < 0.5


async def test_the_rest_of_a_burst_waits_on_disk(start_mail: Any) -> None:
    mail = {"port": 0, "recipients": recipients({"address": "a@example.com"})}
    with Server() as server:
        mail["port"] = server.port
        running = await start_mail(mail, burst=(1.0, 5.0))
        running.bus.publish(alarm("A01"))
        await wait_for(lambda: server.inbox.to("a@example.com"))
        # The next event of the burst waits for its mail on disk, not only in memory: a
        # kill -9 during the wait loses nothing.
        running.bus.publish(alarm("A02"))
        started = time.monotonic()
        while (await running.service.queue.counts())[0] != 1:
            assert time.monotonic() - started < 0.5
            await asyncio.sleep(0.01)
        await running.stop()
        assert len(server.inbox.to("a@example.com")) == 1
        await start_mail(mail, burst=(1.0, 5.0))
        await wait_for(lambda: len(server.inbox.to("a@example.com")) == 2)
        assert text_of(server.inbox.to("a@example.com")[1]).startswith("1 event(s)")


async def test_delay_before_sending(start_mail: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with Server() as server:
        running = await start_mail(
            {"port": server.port, "delay_minutes": 1, "recipients": recipients({"address": "a@example.com"})}
        )
        monkeypatch.setattr(running.service, "_delay", lambda: 1.0)  # a minute is one second here
        running.bus.publish(alarm("A01"))
        running.bus.publish(alarm("A01", added=False))  # cleared within the delay: no mail
        running.bus.publish(alarm("A02"))  # still present after it: mailed
        running.bus.publish(make_event("ups.status.load_on_bypass"))
        running.bus.publish(make_event("ups.status.normal_mode"))  # ends the bypass, mailed itself
        await wait_for(lambda: server.inbox.to("a@example.com"))
        await asyncio.sleep(1.5)
        (message,) = server.inbox.to("a@example.com")
        body = text_of(message)
        assert body.count("Mains failure") == 1
        assert "Normal mode" in body and "Load on bypass" not in body
        assert "has been removed" not in body


async def test_retry_then_delivery_and_drop_by_age(start_mail: Any) -> None:
    port = free_port()
    running = await start_mail({"port": port, "recipients": recipients({"address": "a@example.com"})})
    running.bus.publish(alarm())
    await wait_for(lambda: "nv.mail_cannot_connect" in running.ids())
    await asyncio.sleep(0.5)
    assert running.ids().count("nv.mail_cannot_connect") == 1  # one event, not one per retry
    with Server(port=port) as server:
        await wait_for(lambda: server.inbox.to("a@example.com"), timeout=10)
        await asyncio.sleep(0.5)
        assert len(server.inbox.to("a@example.com")) == 1
    assert await running.service.queue.counts() == (0, 0)


async def test_mails_older_than_the_age_are_dropped_with_an_event(start_mail: Any) -> None:
    import time

    from netvision.services.mail.queue import NewMail

    running = await start_mail({"port": free_port(), "max_queue_age_hours": 1})
    queue = running.service.queue
    await queue.add_mails(
        [NewMail("events", ("a@example.com",), b"Subject: old\r\n\r\nold\r\n")], time.time() - 3700
    )
    running.service._send_wake.set()
    await wait_for(lambda: "nv.mail_dropped" in running.ids())
    (dropped,) = [event for event in running.events if event.id == "nv.mail_dropped"]
    assert dropped.text_en == "1 mail(s) not delivered in 1 h dropped"
    assert await queue.counts() == (0, 0)
    assert running.service.counters()["dropped"] == 1


async def test_send_test_reports_each_code_in_words(start_mail: Any) -> None:
    running = await start_mail({"port": free_port(), "recipients": recipients({"address": "a@example.com"})})
    outcome = await running.service.send_test(1)
    assert outcome.startswith("Error 111: Connection refused or inability to open an SMTP stream ("), outcome
    assert "nv.mail_test" in running.ids() and "nv.mail_cannot_connect" in running.ids()
    assert await running.service.send_test(5) == "Row 5 has no mail account."
    (attempt,) = running.service.diagnostics()
    assert (attempt.code, attempt.kind, attempt.recipients) == ("111", "test", ("a@example.com",))
