"""The notification pages in headless Chromium, in English and French: a value is edited
and saved, a wrong one is highlighted under its field, a test mail reaches an SMTP server
started by the test and its outcome is shown in words (and on the mail diagnostics page),
a Wake-on-LAN server is added, tested and removed after a confirmation."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from netvision.events.catalog import make_event
from tests.browser.test_integrations_browser import message, open_page, settings
from tests.browser.test_web_browser import WAIT_MS, browser, screenshot  # noqa: F401
from tests.conftest import free_port, wait_for
from tests.integration.test_web_notifications import MAC, MAIL_PASSWORD, Catcher, with_mail

pytest.importorskip("aiosmtpd")
from tests.smtp_server import Server  # noqa: E402

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

LANGUAGES = pytest.mark.parametrize("language", ["en", "fr"])
SETTINGS_SAVED = {"en": "Settings saved.", "fr": "Réglages enregistrés."}


def clean(page: Any) -> None:
    assert page.errors == [] and page.failed == []


@LANGUAGES
async def test_mail_page_saves_tests_a_recipient_and_shows_the_diagnostics(
    make_web,
    browser,  # noqa: F811
    language,
) -> None:
    web = await make_web()
    with Server() as smtp:
        await with_mail(web, smtp.port, [{"address": "ops@example.com", "mail_type": "events"}])
        page = await open_page(web, browser, language, "/mail")
        assert (
            await page.inner_text("main h1")
            == {"en": "Email Notification", "fr": "Notification par e-mail"}[language]
        )
        assert MAIL_PASSWORD not in await page.content()
        # A wrong port is highlighted under its field.
        await page.fill("#f-mail-port", "70000")
        await page.click("#mail-form button[type=submit]")
        await page.locator('#mail-form .field.invalid[data-field="mail.port"]').wait_for(timeout=WAIT_MS)
        assert await page.evaluate("document.activeElement.id") == "f-mail-port"
        await page.fill("#f-mail-port", str(smtp.port))
        await page.fill("#f-mail-subject_prefix", "Hall B")
        await page.click("#mail-form button[type=submit]")
        await message(page, SETTINGS_SAVED[language])
        assert settings(web).mail.subject_prefix == "Hall B"
        assert settings(web).mail.password == MAIL_PASSWORD  # left empty: kept

        # A second recipient, with a wrong address first.
        second = page.locator('#mail-recipients tr[data-row="1"]')
        await second.locator('[name="address"]').fill("not-an-address")
        await page.click("#recipients-form button[type=submit]")
        await second.locator('.field.invalid[data-field="address"]').wait_for(timeout=WAIT_MS)
        await second.locator('[name="address"]').fill("night@example.com")
        await second.locator('[name="mail_type"]').select_option("events")
        await page.click("#recipients-form button[type=submit]")
        await message(page, {"en": "Recipients saved", "fr": "Destinataires enregistrés"}[language])
        assert [r.address for r in settings(web).mail.recipients] == ["ops@example.com", "night@example.com"]

        await second.locator("[data-test-mail]").click()
        result = second.locator("[data-test-result].ok")
        await result.wait_for(timeout=WAIT_MS)
        assert {"en": "Accepted by", "fr": "Accepté par"}[language] in await result.inner_text()
        await wait_for(lambda: smtp.inbox.to("night@example.com"))
        await screenshot(page, f"notifications_mail_{language}.png")

        # Clearing a saved row asks first.
        await second.locator("[data-clear-row]").click()
        assert "night@example.com" in await page.inner_text("#confirm-text")
        await page.click("#confirm-dialog[open] #confirm-cancel")
        assert await second.locator('[name="address"]').input_value() == "night@example.com"
        await second.locator("[data-clear-row]").click()
        await page.click("#confirm-dialog[open] #confirm-ok")
        await wait_for(lambda: [r.address for r in settings(web).mail.recipients] == ["ops@example.com"])
        assert await second.locator('[name="address"]').input_value() == ""
        clean(page)

    await page.goto(web.http + "/mail-diagnostics")
    await page.wait_for_selector("#mail-attempts")
    text = await page.inner_text("#mail-attempts")
    assert "night@example.com" in text and {"en": "Delivered", "fr": "Remis"}[language] in text
    assert {"en": "Accepted by", "fr": "Accepté par"}[language] in text
    await screenshot(page, f"notifications_mail_diagnostics_{language}.png")
    clean(page)


@LANGUAGES
async def test_syslog_page_saves_groups_and_highlights_a_wrong_value(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    page = await open_page(web, browser, language, "/syslog")
    assert await page.inner_text("main h1") == {"en": "Syslog Setup", "fr": "Configuration Syslog"}[language]
    await page.fill("#f-syslog-queue_size", "5")
    await page.click("#syslog-form button[type=submit]")
    await page.locator('#syslog-form .field.invalid[data-field="syslog.queue_size"]').wait_for(
        timeout=WAIT_MS
    )
    await page.fill("#f-syslog-queue_size", "500")
    await page.fill("#f-syslog-server", "127.0.0.1")
    await page.fill("#f-syslog-port", str(free_port(socket.SOCK_DGRAM)))
    await page.select_option("#f-syslog-enabled", "true")
    await page.uncheck('input[name="syslog-group"][value="service"]')
    await page.click("#syslog-form button[type=submit]")
    await message(page, SETTINGS_SAVED[language])
    syslog = settings(web).syslog
    assert (syslog.enabled, syslog.queue_size, syslog.groups) == (True, 500, ["ups", "netvision"])
    await page.reload()
    await page.wait_for_selector('#syslog-counters [data-counter="sent"]', timeout=WAIT_MS)
    assert not await page.is_checked('input[name="syslog-group"][value="service"]')
    await screenshot(page, f"notifications_syslog_{language}.png")
    clean(page)


def syslog_counter(web: Any, name: str) -> int | None:
    health = next(h for h in web.daemon.services_health() if h.name == "syslog")
    return health.counters.get(name)


@LANGUAGES
async def test_syslog_counters_follow_the_service_while_the_page_is_open(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    transport, catcher = await asyncio.get_running_loop().create_datagram_endpoint(
        Catcher, local_addr=("127.0.0.1", 0)
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        await web.daemon.settings_manager.change(
            {"syslog.enabled": True, "syslog.server": "127.0.0.1", "syslog.port": port}, via="test", by="test"
        )
        await wait_for(lambda: syslog_counter(web, "connections") == 1)
        page = await open_page(web, browser, language, "/syslog")
        panel = page.locator("#syslog-counters")
        assert await panel.locator('[data-service-field="addresses"]').inner_text() == f"udp 127.0.0.1:{port}"
        connection = {"en": "Connected", "fr": "Connecté"}[language]
        assert await panel.locator('[data-service-field="connection"]').inner_text() == connection
        await page.evaluate("window.notReloaded = true")
        shown = int(await panel.locator('[data-counter="sent"]').inner_text())
        for _ in range(3):
            web.daemon.bus.publish(make_event("nv.communication_lost"))
        await wait_for(
            lambda: syslog_counter(web, "sent") == shown + 3 and len(catcher.datagrams) >= shown + 3
        )
        await panel.locator(f'[data-counter="sent"]:text-is("{shown + 3}")').wait_for(timeout=WAIT_MS)
        # Syslog switched off elsewhere: the page says so, still without a reload.
        await web.daemon.settings_manager.change({"syslog.enabled": False}, via="test", by="test")
        await panel.locator("[data-when-stopped]").wait_for(timeout=WAIT_MS)
        assert await page.is_visible("#syslog-off") and not await page.is_visible("#syslog-counters dl")
        assert await page.evaluate("window.notReloaded === true")
        clean(page)
    finally:
        transport.close()


@LANGUAGES
async def test_wake_on_lan_server_is_added_tested_and_removed(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    port = free_port(socket.SOCK_DGRAM)
    transport, catcher = await asyncio.get_running_loop().create_datagram_endpoint(
        Catcher, local_addr=("127.0.0.1", port)
    )
    try:
        page = await open_page(web, browser, language, "/wake-on-lan")
        await page.select_option("#f-wake_on_lan-enabled", "true")
        await page.fill("#f-wake_on_lan-address", "127.0.0.1")
        await page.fill("#f-wake_on_lan-port", str(port))
        await page.click("#wol-settings-form button[type=submit]")
        await message(page, SETTINGS_SAVED[language])
        await wait_for(lambda: "wake_on_lan.test" in web.service.context.offers)

        await page.click("#wol-add")
        row = page.locator('#wol-targets tr[data-row="0"]')
        await row.locator('[name="mac"]').fill("00:11:22")
        await page.click("#wol-form button[type=submit]")
        await row.locator('.field.invalid[data-field="mac"]').wait_for(timeout=WAIT_MS)
        await row.locator('[name="mac"]').fill(MAC)
        await row.locator('[name="description"]').fill("files")
        await page.click("#wol-form button[type=submit]")
        await message(page, {"en": "Servers saved", "fr": "Serveurs enregistrés"}[language])
        assert [t.mac for t in settings(web).wake_on_lan.targets] == [MAC]

        await page.click("#wol-test")
        await page.locator("#wol-test-result.ok").wait_for(timeout=WAIT_MS)
        assert (
            await page.inner_text("#wol-test-result")
            == {
                "en": "1 magic packet(s) sent to 1 server(s).",
                "fr": "1 paquet(s) magique(s) envoyé(s) à 1 serveur(s).",
            }[language]
        )
        await wait_for(lambda: catcher.datagrams)
        assert catcher.datagrams[0] == b"\xff" * 6 + bytes.fromhex("001122334455") * 16
        await screenshot(page, f"notifications_wol_{language}.png")

        await row.locator("[data-remove-row]").click()
        assert MAC in await page.inner_text("#confirm-text")
        await page.click("#confirm-dialog[open] #confirm-ok")
        await message(page, {"en": "Server deleted", "fr": "Serveur supprimé"}[language])
        assert settings(web).wake_on_lan.targets == []
        clean(page)
    finally:
        transport.close()
