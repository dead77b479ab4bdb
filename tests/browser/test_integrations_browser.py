"""The integration settings pages in headless Chromium, in English and French: a value is
edited and saved, a wrong one is highlighted under its field, an SNMPv3 user is added and
removed after a confirmation, and a test trap reaches a UDP receiver."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from tests.browser.test_web_browser import WAIT_MS, browser, log_in, new_page, screenshot  # noqa: F401
from tests.conftest import free_port, wait_for
from tests.integration.test_web_helpers import ADMIN_PASSWORD
from tests.integration.test_web_integrations import SECRETS, TRAP_COMMUNITY, catcher, with_snmp

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

SAVED = {"en": "Saved", "fr": "Enregistré"}
LANGUAGES = pytest.mark.parametrize("language", ["en", "fr"])


async def open_page(web: Any, browser: Any, language: str, path: str) -> Any:  # noqa: F811
    web.accounts.set_language("admin", language)
    page = await new_page(browser)
    failed: list[str] = []
    # A navigation cuts what the page left was still loading (its live stream, its scripts when
    # a reload comes early): the browser aborts those requests, and a person sees nothing broken.
    # A refused change (4xx) is what the tests provoke.
    page.on(
        "requestfailed",
        lambda request: None if "ERR_ABORTED" in (request.failure or "") else failed.append(request.url),
    )
    page.on(
        "console",
        lambda message: (
            failed.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    page.failed = failed
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + path)
    await page.wait_for_selector("main h1")
    return page


async def message(page: Any, text: str) -> None:
    await page.wait_for_function(
        "text => { const box = document.querySelector('#message'); return box && !box.hidden && box.textContent.includes(text); }",
        arg=text,
        timeout=WAIT_MS,
    )


async def saved(page: Any) -> None:
    """The save is reported in words (not an error)."""
    await page.wait_for_function(
        "() => { const box = document.querySelector('#message'); return box && !box.hidden"
        " && !box.classList.contains('error') && box.textContent.trim().length > 3; }",
        timeout=WAIT_MS,
    )
    assert "✔" not in await page.inner_text("#message")


async def no_secret(page: Any) -> None:
    html = await page.content()
    assert not any(secret in html for secret in SECRETS)


def settings(web: Any) -> Any:
    return web.daemon.settings_manager.settings


@LANGUAGES
async def test_snmp_page_saves_and_names_a_wrong_field(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    await with_snmp(web, [])
    page = await open_page(web, browser, language, "/snmp")
    assert (
        await page.inner_text("main h1") == {"en": "SNMP Configuration", "fr": "Configuration SNMP"}[language]
    )
    await no_secret(page)
    await page.fill("#f-snmp-port", "70000")
    await page.click("#snmp-form button[type=submit]")
    field = page.locator('#snmp-form .field.invalid[data-field="snmp.port"]')
    await field.wait_for(timeout=WAIT_MS)
    error = await page.inner_text('p.field-error[data-error-for="snmp.port"]')
    assert error.startswith({"en": "SNMP Port:", "fr": "Port SNMP"}[language]) or "SNMP" in error
    assert await page.evaluate("document.activeElement.id") == "f-snmp-port"
    port = free_port(socket.SOCK_DGRAM)
    await page.fill("#f-snmp-port", str(port))
    await page.select_option("#f-snmp-v1", "false")
    await page.fill("#f-snmp-write_community", "New-Write-Community")
    await page.click("#snmp-form button[type=submit]")
    await saved(page)
    assert await page.locator("#snmp-form .field.invalid").count() == 0
    snmp = settings(web).snmp
    assert (snmp.port, snmp.v1, snmp.write_community) == (port, False, "New-Write-Community")
    assert "New-Write-Community" not in await page.content()
    await screenshot(page, f"integrations_snmp_{language}.png")
    assert page.errors == [] and page.failed == []


@LANGUAGES
async def test_trap_receivers_are_saved_and_a_test_trap_is_received(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    port, received, transport = await catcher()
    try:
        await with_snmp(
            web, [{"address": "127.0.0.1", "port": free_port(socket.SOCK_DGRAM), "community": "other"}]
        )
        page = await open_page(web, browser, language, "/snmp-traps")
        await no_secret(page)
        second = page.locator('#trap-receivers tr[data-row="1"]')
        await second.locator('[name="address"]').fill("127.0.0.1")
        await second.locator('[name="port"]').fill(str(port))
        await second.locator('[name="version"]').select_option("v2c")
        await second.locator('[name="community"]').fill(TRAP_COMMUNITY)
        await second.locator('[name="event_filter"]').select_option("events")
        events = page.locator('#trap-receivers tr[data-detail-for="1"]')
        await events.locator("details.event-select summary").click()
        await events.locator('input[name="events"][value="10"]').check()
        assert await events.locator("[data-events-count]").inner_text() == "1"
        # Testing before saving says to save first.
        await second.locator("[data-test-trap]").click()
        assert (
            await second.locator("[data-test-result]").inner_text()
            == {
                "en": "Save this row before testing it.",
                "fr": "Enregistrez cette ligne avant de la tester.",
            }[language]
        )
        # A wrong port in another row is highlighted there.
        third = page.locator('#trap-receivers tr[data-row="2"]')
        await third.locator('[name="address"]').fill("127.0.0.1")
        await third.locator('[name="port"]').fill("0")
        await page.click("#traps-form button[type=submit]")
        await third.locator('.field.invalid[data-field="port"]').wait_for(timeout=WAIT_MS)
        assert (
            await third.locator('p.field-error[data-error-for="snmp.trap_receivers.2.port"]').inner_text()
        ).startswith({"en": "Receiver 3, Port:", "fr": "Récepteur 3, Port"}[language])
        await third.locator('[name="address"]').fill("")
        await third.locator('[name="port"]').fill("162")
        await page.click("#traps-form button[type=submit]")
        await message(page, {"en": "Trap receivers saved", "fr": "Récepteurs de traps enregistrés"}[language])
        saved = settings(web).snmp.trap_receivers
        assert [(r.port, r.version, r.community, r.events) for r in saved][1] == (
            port,
            "v2c",
            TRAP_COMMUNITY,
            [10],
        )
        assert len(saved) == 2
        await no_secret(page)

        await second.locator("[data-test-trap]").click()
        result = second.locator("[data-test-result].ok")
        await result.wait_for(timeout=WAIT_MS)
        assert (await result.inner_text()) == {"en": "Test trap sent to", "fr": "Trap de test envoyé à"}[
            language
        ] + f" 127.0.0.1:{port}"
        await wait_for(lambda: received.datagrams)
        assert TRAP_COMMUNITY.encode() in received.datagrams[0] and b"TRAP TEST" in received.datagrams[0]
        await screenshot(page, f"integrations_traps_{language}.png")

        # With SNMP off, the button says so.
        await web.daemon.settings_manager.change({"snmp.enabled": False}, via="test", by="test")
        await asyncio.sleep(1.1)  # past the one-test-trap-a-second bound
        await second.locator("[data-test-trap]").click()
        await second.locator("[data-test-result].error").wait_for(timeout=WAIT_MS)
        assert "SNMP" in await second.locator("[data-test-result]").inner_text()
        assert page.errors == [] and page.failed == []
    finally:
        transport.close()


@LANGUAGES
async def test_an_snmpv3_user_is_added_then_removed_after_confirmation(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    await with_snmp(web, [])  # one user, "nms"
    page = await open_page(web, browser, language, "/snmp-users")
    await no_secret(page)
    await page.click("#usm-add")
    row = page.locator('#usm-users tr[data-row="1"]')
    await row.locator('[name="name"]').fill("manager2")
    await row.locator('[name="auth_password"]').fill("short")
    await page.click("#usm-form button[type=submit]")
    await row.locator('.field.invalid[data-field="auth_password"]').wait_for(timeout=WAIT_MS)
    await row.locator('[name="auth_password"]').fill("Auth-Pass-99")
    await row.locator('[name="priv_password"]').fill("Priv-Pass-99")
    await row.locator('[name="write"]').select_option("true")
    await page.click("#usm-form button[type=submit]")
    await message(page, SAVED[language])
    users = settings(web).snmp.usm_users
    assert [(u.name, u.auth_password, u.write) for u in users][1] == ("manager2", "Auth-Pass-99", True)
    assert users[0].auth_password == "AuthPass-7741"  # the first user's password is kept
    assert "Auth-Pass-99" not in await page.content()

    first = page.locator('#usm-users tr[data-row="0"]')
    await first.locator("[data-remove-row]").click()
    await page.click("#confirm-dialog[open] #confirm-cancel")
    assert await page.locator("#usm-users tbody tr[data-row]").count() == 2
    await first.locator("[data-remove-row]").click()
    assert "nms" in await page.inner_text("#confirm-text")
    await page.click("#confirm-dialog[open] #confirm-ok")
    await message(page, {"en": "User deleted", "fr": "Utilisateur supprimé"}[language])
    users = settings(web).snmp.usm_users
    assert [(u.name, u.priv_password) for u in users] == [("manager2", "Priv-Pass-99")]
    await screenshot(page, f"integrations_usm_{language}.png")
    assert page.errors == [] and page.failed == []


@LANGUAGES
async def test_modbus_and_bacnet_pages_save_and_name_a_wrong_field(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    page = await open_page(web, browser, language, "/modbus")
    await page.fill("#f-modbus_tcp-max_connections", "2")
    await page.click("#modbus-form button[type=submit]")
    await saved(page)
    assert settings(web).modbus_tcp.max_connections == 2
    await page.fill("#f-modbus_tcp-idle_timeout", "0")
    await page.click("#modbus-form button[type=submit]")
    await page.locator('.field.invalid[data-field="modbus_tcp.idle_timeout"]').wait_for(timeout=WAIT_MS)
    await screenshot(page, f"integrations_modbus_{language}.png")

    await page.goto(web.http + "/bacnet")
    await page.wait_for_selector("#bacnet-form")
    assert await page.inner_text("#bacnet-device-name")
    await page.fill("#f-bacnet-device_id", "4194303")
    await page.click("#bacnet-form button[type=submit]")
    error = page.locator('p.field-error[data-error-for="bacnet.device_id"]')
    await error.wait_for(timeout=WAIT_MS)
    assert (await error.inner_text()).startswith({"en": "BACnet ID:", "fr": "ID BACnet"}[language])
    await page.fill("#f-bacnet-device_id", "2024")
    await page.click("#bacnet-form button[type=submit]")
    await saved(page)
    assert settings(web).bacnet.device_id == 2024
    await screenshot(page, f"integrations_bacnet_{language}.png")
    assert page.errors == [] and page.failed == []


async def test_the_pages_fit_a_phone_without_sideways_scrolling(make_web, browser) -> None:  # noqa: F811
    web = await make_web()
    await with_snmp(
        web, [{"address": "192.0.2.10", "community": TRAP_COMMUNITY, "event_filter": "events", "events": [1]}]
    )
    web.accounts.set_language("admin", "fr")
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    for path in ("/snmp", "/snmp-traps", "/snmp-users", "/modbus", "/bacnet"):
        await page.goto(web.http + path)
        await page.wait_for_selector("main h1")
        width = await page.evaluate("document.documentElement.scrollWidth")
        wide = await page.evaluate(
            "() => Array.from(document.querySelectorAll('body *')).filter((n) => n.getBoundingClientRect().right > 391)"
            ".slice(0, 8).map((n) => n.tagName + '#' + n.id + '.' + n.className + ' ' + Math.round(n.getBoundingClientRect().right))"
        )
        assert width <= 390, (path, width, wide)
        await screenshot(page, f"integrations_phone{path.replace('/', '_')}.png")
    await context.close()
