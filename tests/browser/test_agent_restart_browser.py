"""The NET VISION Control page's restart button in headless Chromium: confirmed in the dialog,
and the page reconnects by itself once NET VISION is back (App. SSH menu 4, §18.3)."""

from __future__ import annotations

from typing import Any

from tests.browser.test_web_browser import WAIT_MS, log_in, new_page
from tests.integration.test_web_helpers import ADMIN_PASSWORD

pytest_plugins = ["tests.integration.test_web_helpers", "tests.browser.test_web_browser"]


async def test_restart_button_asks_for_confirmation_and_the_page_comes_back(make_web: Any, browser: Any) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/nv-control")
    await page.click('[data-agent-action="restart"]')
    assert "Restart NET VISION now?" in await page.inner_text("#confirm-dialog[open] #confirm-text")
    await page.click("#confirm-dialog[open] #confirm-cancel")
    assert await page.is_hidden("#confirm-dialog")
    assert not web.daemon.agent.busy  # cancelled: nothing asked

    await page.evaluate("() => { window.beforeRestart = true; }")
    await page.click('[data-agent-action="restart"]')
    await page.click("#confirm-dialog[open] #confirm-ok")
    await page.wait_for_function("() => document.querySelector('#agent-result').textContent.length > 0")
    # The page reloads itself once the live stream is back: the marker is gone, the session kept.
    await page.wait_for_function("() => window.beforeRestart === undefined", timeout=WAIT_MS)
    await page.wait_for_selector('[data-agent-action="restart"]', timeout=WAIT_MS)
    assert page.url.endswith("/nv-control")
    assert "admin" in await page.inner_text(".login-state")
    rows = (await web.daemon.store.events("netvision", per_page=100)).rows
    assert [row.text_en for row in rows].count("NET VISION UPS Agent Restart") == 2
    assert page.errors == []
