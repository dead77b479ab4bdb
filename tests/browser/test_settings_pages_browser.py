"""The NET VISION management pages in headless Chromium, in English and French: a refused
save names the field by its label and marks it, the web listeners cannot both be turned
off, turning off the one in use asks first, deleting a user and restarting ask first and
report in words, and the date and time page shows dd/mm/yyyy hh:mm:ss in the configured
time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from netvision.i18n import label
from netvision.store.timefmt import MANUAL_FORMAT, format_time
from tests.browser.test_web_browser import WAIT_MS, browser, log_in, new_page, screenshot  # noqa: F401
from tests.conftest import wait_for
from tests.integration.test_web_helpers import ADMIN_PASSWORD

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

MANUAL_TIME = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")


@pytest.fixture(params=["en", "fr"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def open_as_admin(web: Any, browser: Any, language: str, path: str) -> Any:  # noqa: F811
    await web.daemon.settings_manager.change({"system.language": language}, via="test", by="test")
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + path)
    return page


def words(key: str, language: str, **values: Any) -> str:
    text = label(key, language)
    return text.format(**values) if values else text


async def message(page: Any, text: str) -> None:
    await page.wait_for_function(
        "text => { const box = document.querySelector('#message'); return box && !box.hidden && box.textContent.includes(text); }",
        arg=text,
        timeout=WAIT_MS,
    )


async def in_view(page: Any, selector: str) -> bool:
    return bool(
        await page.evaluate(
            """selector => { const r = document.querySelector(selector).getBoundingClientRect();
                return r.top >= 0 && r.bottom <= window.innerHeight; }""",
            selector,
        )
    )


async def test_a_refused_value_is_named_by_its_label_marked_and_scrolled_into_view(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    page = await open_as_admin(web, browser, language, "/configuration")
    before = web.daemon.settings_manager.settings.serial.polling_rate
    await page.fill("#f-serial-polling_rate", "999")
    await page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    await page.click("#configuration-form button[type=submit]")
    error = 'p.field-error[data-error-for="serial.polling_rate"]'
    await page.wait_for_selector(error, state="visible", timeout=WAIT_MS)
    text = await page.inner_text(error)
    assert label("setting.serial.polling_rate", language) in text
    assert words("form.msg.at_most", language, n=60) in text
    assert await page.get_attribute('.field[data-field="serial.polling_rate"]', "class") == "field invalid"
    assert await page.get_attribute("#f-serial-polling_rate", "aria-invalid") == "true"
    assert await in_view(page, "#f-serial-polling_rate")
    assert await page.evaluate("() => document.activeElement.id") == "f-serial-polling_rate"
    assert web.daemon.settings_manager.settings.serial.polling_rate == before
    # Corrected, the save goes through and the mark goes away.
    await page.fill("#f-serial-polling_rate", "5")
    await page.click("#configuration-form button[type=submit]")
    await message(page, words("form.msg.saved", language))
    assert await page.is_hidden(error)
    assert web.daemon.settings_manager.settings.serial.polling_rate == 5
    assert page.errors == []


async def test_a_port_clash_marks_the_field_that_was_changed(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    page = await open_as_admin(web, browser, language, "/nv-control")
    https_port = web.daemon.settings_manager.settings.web.https_port
    await page.fill("#f-web-http_port", str(https_port))
    await page.click("#nv-control-form button[type=submit]")
    # The port of the page in use changes: asked first.
    await page.click("#confirm-dialog[open] #confirm-ok")
    error = 'p.field-error[data-error-for="web.http_port"]'
    await page.wait_for_selector(error, state="visible", timeout=WAIT_MS)
    text = await page.inner_text(error)
    assert label("setting.web.http_port", language) in text and label("setting.web.https_port", language) in text
    assert await page.is_hidden('p.field-error[data-error-for="web.https_port"]')
    assert "invalid" in await page.get_attribute('.field[data-field="web.http_port"]', "class")
    assert page.errors == []


async def test_turning_off_the_listener_in_use_asks_and_both_cannot_be_off(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    settings = web.daemon.settings_manager
    page = await open_as_admin(web, browser, language, "/nv-control")
    # This page is open over HTTP: turning HTTP off asks first; cancelled, nothing is sent.
    await page.select_option("#f-web-http_enabled", "false")
    await page.click("#nv-control-form button[type=submit]")
    await page.wait_for_selector("#confirm-dialog[open]")
    assert "HTTP" in await page.inner_text("#confirm-text")
    assert await page.inner_text("#confirm-ok") == label("settings.listener_off_ok", language)
    await page.click("#confirm-dialog[open] #confirm-cancel")
    await page.wait_for_timeout(300)
    assert settings.settings.web.http_enabled

    # HTTPS is not the one in use: turned off without a question.
    await page.select_option("#f-web-http_enabled", "true")
    await page.select_option("#f-web-https_enabled", "false")
    await page.click("#nv-control-form button[type=submit]")
    await message(page, words("form.msg.saved", language))
    await wait_for(lambda: not settings.settings.web.https_enabled)

    # Then HTTP too: asked, confirmed, and refused by the server, naming both fields.
    await page.select_option("#f-web-http_enabled", "false")
    await page.click("#nv-control-form button[type=submit]")
    await page.click("#confirm-dialog[open] #confirm-ok")
    error = 'p.field-error[data-error-for="web.http_enabled"]'
    await page.wait_for_selector(error, state="visible", timeout=WAIT_MS)
    text = await page.inner_text(error)
    assert label("setting.web.http_enabled", language) in text and label("setting.web.https_enabled", language) in text
    assert "invalid" in await page.get_attribute('.field[data-field="web.https_enabled"]', "class")
    assert settings.settings.web.http_enabled
    assert page.errors == []


async def test_deleting_a_user_asks_first_and_says_what_was_done(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    page = await open_as_admin(web, browser, language, "/users")
    delete = 'tr[data-existing="reader"] [data-delete-user]'
    await page.click(delete)
    await page.wait_for_selector("#confirm-dialog[open]")
    assert await page.inner_text("#confirm-text") == words("settings.user_confirm_delete", language, name="reader")
    await page.click("#confirm-dialog[open] #confirm-cancel")
    await page.wait_for_timeout(300)
    assert web.accounts.get("reader") is not None
    await page.click(delete)
    await page.click("#confirm-dialog[open] #confirm-ok")
    await message(page, words("settings.user_deleted", language, name="reader"))
    assert web.accounts.get("reader") is None
    assert "✔" not in await page.inner_text("#message")
    # Every control of the table has a name a screen reader reads.
    unnamed = await page.evaluate(
        """() => Array.from(document.querySelectorAll('#users-table input, #users-table select'))
             .filter((c) => !c.getAttribute('aria-label')).length"""
    )
    assert unnamed == 0
    assert page.errors == []


async def test_restart_asks_first_and_says_what_happens(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    page = await open_as_admin(web, browser, language, "/nv-control")
    await page.click('[data-agent-action="restart"]')
    await page.wait_for_selector("#confirm-dialog[open]")
    assert await page.inner_text("#confirm-text") == label("agent.confirm_restart", language)
    await page.click("#confirm-dialog[open] #confirm-cancel")
    await page.wait_for_timeout(300)
    assert not web.daemon.agent.busy
    await page.evaluate("() => { window.beforeRestart = true; }")
    await page.click('[data-agent-action="restart"]')
    await page.click("#confirm-dialog[open] #confirm-ok")
    done = label("settings.agent_done_restart", language)
    await page.wait_for_function("text => document.querySelector('#agent-result').textContent === text", arg=done)
    await page.wait_for_function("() => window.beforeRestart === undefined", timeout=WAIT_MS)
    await page.wait_for_selector('[data-agent-action="restart"]', timeout=WAIT_MS)
    assert page.errors == []


async def test_date_and_time_page_shows_the_manual_format_in_the_configured_zone(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    await web.daemon.settings_manager.change({"system.time_zone": "Asia/Tokyo"}, via="test", by="test")
    page = await open_as_admin(web, browser, language, "/datetime")
    await page.wait_for_function("() => document.querySelector('#browser-time').textContent.length > 0")
    for selector in ("#nv-time", "#browser-time"):
        shown = (await page.inner_text(selector)).strip()
        assert MANUAL_TIME.match(shown), (selector, shown)
        expected = datetime.strptime(format_time(datetime.now(UTC), "Asia/Tokyo"), MANUAL_FORMAT)
        assert abs((datetime.strptime(shown, MANUAL_FORMAT) - expected).total_seconds()) < 30, (selector, shown)
    assert "Asia/Tokyo" in await page.inner_text("main")
    assert page.errors == []


async def test_settings_pages_fit_a_phone(make_web, browser, language) -> None:  # noqa: F811
    web = await make_web()
    await web.daemon.settings_manager.change({"system.language": language}, via="test", by="test")
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    wide = {}
    for path in ("/configuration", "/nv-control", "/datetime", "/links-setup", "/firewall", "/users", "/account"):
        await page.goto(web.http + path)
        await page.wait_for_load_state("load")
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        await screenshot(page, f"settings{path.replace('/', '_')}_{language}_phone.png")
        if width > 390:
            wide[path] = width
    # A table of rows becomes one card per row, each cell with its column's name.
    await page.goto(web.http + "/users")
    assert await page.evaluate("() => getComputedStyle(document.querySelector('#users-table tr')).display") == "block"
    assert wide == {}
    assert errors == []
