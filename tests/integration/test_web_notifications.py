"""The notification pages and their API (EN §18.9, §18.11, §18.13, mail debug): every role
sees them, Read Only changes nothing, the mail password never leaves the gateway, a test
mail reaches an SMTP server started by the test (or says why not, with the manual's error
code), and the Wake-on-LAN test sends its magic packets, caught here on loopback."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from tests.conftest import free_port, wait_for
from tests.integration.test_web_helpers import (
    ADMIN_PASSWORD,
    READER_PASSWORD,
    WRITER_PASSWORD,
    Catcher,  # noqa: F401  (tests/browser takes it from here)
    catcher,
    client,
    csrf_of,
    login,
)

pytest.importorskip("aiosmtpd")
from tests.smtp_server import Server  # noqa: E402

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

MAIL_PASSWORD = "MailPass-9911"
PAGES = ("/mail", "/mail-diagnostics", "/syslog", "/wake-on-lan")
PASSWORDS = {"admin": ADMIN_PASSWORD, "writer": WRITER_PASSWORD, "reader": READER_PASSWORD}
MAC = "00:11:22:33:44:55"


async def with_mail(web: Any, port: int, recipients: list[dict[str, Any]]) -> None:
    changes = {
        "mail.enabled": True,
        "mail.server": "127.0.0.1",
        "mail.port": port,
        "mail.sender": "ups@example.com",
        "mail.account": "ups",
        "mail.password": MAIL_PASSWORD,
        "mail.recipients": recipients,
    }
    await web.daemon.settings_manager.change(changes, via="test", by="test")
    offers = web.service.context.offers
    await wait_for(lambda: "mail.send_test" in offers)


async def test_pages_render_for_every_role_without_the_mail_password(make_web: Any) -> None:
    web = await make_web()
    await with_mail(web, free_port(), [{"address": "ops@example.com", "mail_type": "events"}])
    await web.daemon.settings_manager.change(
        {"wake_on_lan.targets": [{"mac": MAC, "description": "file server"}]}, via="test", by="test"
    )
    for user, password in PASSWORDS.items():
        async with client() as http:
            await login(http, web.http, user, password)
            async with http.get(web.http + "/") as response:
                home = await response.text()
            for path in PAGES:
                assert f'href="{path}"' in home, (user, path)
                async with http.get(web.http + path) as response:
                    text = await response.text()
                    assert response.status == 200, (user, path)
                    assert MAIL_PASSWORD not in text, (user, path)
            for path in ("/api/v1/settings", "/api/v1/mail/diagnostics"):
                async with http.get(web.http + path) as response:
                    assert MAIL_PASSWORD not in await response.text(), (user, path)
            async with http.get(web.http + "/mail") as response:
                page = await response.text()
            assert page.count("data-test-mail") == 8
            assert 'id="f-mail-password"' in page and 'data-secret-state="set"' in page
            assert "ops@example.com" in page
            # The password field is admin's; Read Only has every field read-only.
            password_field = page.split('id="f-mail-password"', 1)[1].split(">", 1)[0]
            assert ("disabled" in password_field) == (user != "admin"), user
            server_field = page.split('id="f-mail-server"', 1)[1].split(">", 1)[0]
            assert ("disabled" in server_field) == (user == "reader"), user
            async with http.get(web.http + "/wake-on-lan") as response:
                page = await response.text()
            assert MAC in page and "file server" in page
            async with http.get(web.http + "/syslog") as response:
                page = await response.text()
            assert page.count('name="syslog-group"') == 3


async def test_french_pages_have_their_words(make_web: Any) -> None:
    web = await make_web()
    await web.daemon.settings_manager.change({"system.language": "fr"}, via="test", by="test")
    async with client() as http:
        await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.get(web.http + "/mail") as response:
            page = await response.text()
        assert "Envoyer un test" in page and "Serveur de messagerie" in page
        async with http.get(web.http + "/mail-diagnostics") as response:
            page = await response.text()
        assert "Connexion refusée" in page  # the codes' meanings
        async with http.get(web.http + "/wake-on-lan") as response:
            assert "Serveurs à réveiller" in await response.text()


async def test_test_mail_reaches_the_server_and_a_failure_names_its_code(make_web: Any) -> None:
    web = await make_web()
    with Server() as smtp:
        await with_mail(web, smtp.port, [{"address": "ops@example.com", "mail_type": "events"}])
        async with client() as http:
            session = await login(http, web.http, "writer", WRITER_PASSWORD)
            async with http.post(
                web.http + "/api/v1/mail/recipients/0/test", headers=csrf_of(session)
            ) as response:
                body = await response.json()
                assert response.status == 200, body
            assert body["delivered"] is True and body["code"] == ""
            assert "Accepted by 127.0.0.1" in body["outcome"]
            await wait_for(lambda: smtp.inbox.to("ops@example.com"))
            # A row not saved cannot be tested.
            async with http.post(
                web.http + "/api/v1/mail/recipients/3/test", headers=csrf_of(session)
            ) as response:
                assert response.status == 409
                assert (await response.json())["reason"] == "not_saved"
    # No server listening any more: connection refused, 111 in words.
    await asyncio.sleep(1.1)  # one test a second
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.post(
            web.http + "/api/v1/mail/recipients/0/test", headers=csrf_of(session)
        ) as response:
            body = await response.json()
            assert response.status == 200, body
        assert body["delivered"] is False and body["code"] == "111"
        assert body["meaning"] == "Connection refused or inability to open an SMTP stream"
        async with http.get(web.http + "/api/v1/mail/diagnostics") as response:
            diagnostics = await response.json()
        assert diagnostics["running"] is True
        tests = [a for a in diagnostics["attempts"] if a["kind"] == "test"]
        assert [(a["code"], a["recipients"], a["delivered"]) for a in tests] == [
            ("111", "ops@example.com", False),
            ("", "ops@example.com", True),
        ]
        async with http.get(web.http + "/mail-diagnostics") as response:
            page = await response.text()
        assert "111" in page and "Connection refused" in page and "ops@example.com" in page
        assert MAIL_PASSWORD not in page


async def test_mail_off_is_said_and_read_only_is_refused(make_web: Any) -> None:
    web = await make_web()
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.post(
            web.http + "/api/v1/mail/recipients/0/test", headers=csrf_of(session)
        ) as response:
            assert response.status == 409
            assert (await response.json())["reason"] == "mail_off"
        async with http.get(web.http + "/mail") as response:
            assert 'id="mail-off"' in await response.text()
        async with http.post(web.http + "/api/v1/wake-on-lan/test", headers=csrf_of(session)) as response:
            assert response.status == 409
            assert (await response.json())["reason"] == "wol_off"
    async with client() as http:
        session = await login(http, web.http, "reader", READER_PASSWORD)
        for method, path, body in (
            ("PUT", "/api/v1/mail/recipients", {"rows": []}),
            ("POST", "/api/v1/mail/recipients/0/test", None),
            ("PUT", "/api/v1/wake-on-lan/targets", {"rows": []}),
            ("POST", "/api/v1/wake-on-lan/test", None),
            ("PATCH", "/api/v1/settings", {"changes": {"syslog.queue_size": 50}}),
        ):
            async with http.request(method, web.http + path, json=body, headers=csrf_of(session)) as response:
                assert response.status == 403, (method, path)
    # A Read/Write user may change the mail settings, not the password.
    async with client() as http:
        session = await login(http, web.http, "writer", WRITER_PASSWORD)
        async with http.patch(
            web.http + "/api/v1/settings",
            json={"changes": {"mail.password": "x1234567"}},
            headers=csrf_of(session),
        ) as response:
            assert response.status == 403
        async with http.patch(
            web.http + "/api/v1/settings",
            json={"changes": {"syslog.groups": ["ups"]}},
            headers=csrf_of(session),
        ) as response:
            assert response.status == 200, await response.text()
    assert web.daemon.settings_manager.settings.syslog.groups == ["ups"]


async def test_recipients_are_saved_and_a_wrong_cell_is_named(make_web: Any) -> None:
    web = await make_web()
    async with client() as http:
        session = await login(http, web.http, "writer", WRITER_PASSWORD)
        rows: list[dict[str, Any]] = [
            {"row": 0, "slot": None, "address": "a@example.com", "description": "night shift", "mail_type": "events",
             "event_filter": "events", "severity": "information", "events": [10, 1]},
            {"row": 1, "slot": None, "address": ""},  # unused: not stored
            {"row": 2, "slot": None, "address": "b@example.com", "mail_type": "daily_status"},
        ]  # fmt: skip
        async with http.put(
            web.http + "/api/v1/mail/recipients", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["rows"] == 2
        saved = web.daemon.settings_manager.settings.mail.recipients
        assert [(r.address, r.mail_type, r.events) for r in saved] == [
            ("a@example.com", "events", [1, 10]),
            ("b@example.com", "daily_status", []),
        ]
        rows[2]["address"] = "not-an-address"
        async with http.put(
            web.http + "/api/v1/mail/recipients", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            body = await response.json()
            assert response.status == 400
        assert [item["field"] for item in body["fields"]] == ["mail.recipients.2.address"]
        assert body["fields"][0]["message"].startswith("Recipient 3, Mail account")


async def test_wake_on_lan_targets_and_test_packets_on_loopback(make_web: Any) -> None:
    web = await make_web()
    port, received, transport = await catcher()
    try:
        await web.daemon.settings_manager.change(
            {"wake_on_lan.enabled": True, "wake_on_lan.address": "127.0.0.1", "wake_on_lan.port": port},
            via="test",
            by="test",
        )
        await wait_for(lambda: "wake_on_lan.test" in web.service.context.offers)
        async with client() as http:
            session = await login(http, web.http, "writer", WRITER_PASSWORD)
            rows = [
                {"row": 0, "slot": None, "mac": "00-11-22-33-44-55", "enabled": True, "description": "files"},
                {"row": 1, "slot": None, "mac": "66:77:88:99:aa:bb", "enabled": False, "description": "off"},
            ]
            async with http.put(
                web.http + "/api/v1/wake-on-lan/targets", json={"rows": rows}, headers=csrf_of(session)
            ) as response:
                assert response.status == 200, await response.text()
            targets = web.daemon.settings_manager.settings.wake_on_lan.targets
            assert [(t.mac, t.enabled) for t in targets] == [(MAC, True), ("66:77:88:99:aa:bb", False)]
            async with http.post(web.http + "/api/v1/wake-on-lan/test", headers=csrf_of(session)) as response:
                body = await response.json()
                assert response.status == 200, body
            assert body == {"ok": True, "packets": 1, "servers": 1}
            await wait_for(lambda: received.datagrams)
            assert received.datagrams == [b"\xff" * 6 + bytes.fromhex("001122334455") * 16]
            # A wrong MAC is named by its row and label.
            rows[1]["mac"] = "00:11:22"  # colons in the value too
            async with http.put(
                web.http + "/api/v1/wake-on-lan/targets", json={"rows": rows}, headers=csrf_of(session)
            ) as response:
                body = await response.json()
                assert response.status == 400
            assert [item["field"] for item in body["fields"]] == ["wake_on_lan.targets.1.mac"]
            assert body["fields"][0]["message"].startswith("Server 2, Mac Address")
    finally:
        transport.close()


async def test_syslog_page_shows_the_service_counters(make_web: Any) -> None:
    web = await make_web()
    port = free_port(socket.SOCK_DGRAM)
    await web.daemon.settings_manager.change(
        {"syslog.enabled": True, "syslog.server": "127.0.0.1", "syslog.port": port}, via="test", by="test"
    )
    async with client() as http:
        await login(http, web.http, "reader", READER_PASSWORD)

        async def counters_shown() -> bool:
            async with http.get(web.http + "/syslog") as response:
                return "data-when-stopped hidden" in await response.text()  # the counters, not "not running"

        for _ in range(50):
            if await counters_shown():
                break
            await asyncio.sleep(0.1)
        async with http.get(web.http + "/syslog") as response:
            page = await response.text()
        assert 'data-counter="dropped"' in page and 'data-counter="queued"' in page
        assert f"udp 127.0.0.1:{port}" in page and 'id="syslog-off" hidden' in page
        assert "disabled" in page.split('id="f-syslog-server"', 1)[1].split(">", 1)[0]
