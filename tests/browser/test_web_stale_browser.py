"""Headless Chromium: once the UPS is silent the open page says the values are the last
read, with their time, and shows no alarm as live; the notice goes when the UPS is back."""

from __future__ import annotations

from typing import Any

from tests.browser.test_web_browser import WAIT_MS, log_in, new_page, screenshot
from tests.integration.test_web_helpers import ADMIN_PASSWORD

pytest_plugins = ["tests.integration.test_web_helpers", "tests.browser.test_web_browser"]


async def test_a_silent_ups_marks_the_values_stale_with_their_read_time(make_web: Any, browser: Any) -> None:
    web = await make_web()
    sim = web.simulator
    sim.device.alarm("A01", True)
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/alarms")
    await page.wait_for_function("() => Number(document.querySelector('#alarm-count').textContent) > 0", timeout=WAIT_MS)
    assert await page.is_hidden("#stale-notice")

    sim.slave.fault("no_answer")
    await page.wait_for_selector("#stale-notice", state="visible", timeout=60_000)
    notice = await page.inner_text("#stale-notice")
    assert notice.startswith("No communication: values last read at ")
    assert await page.evaluate("() => document.body.classList.contains('stale')")
    assert await page.locator("#alarm-table tbody tr").count() == 0  # no alarm table pretending to be live
    assert await page.is_hidden("#alarms-none")  # nor a "no alarm" that is not known
    assert await page.inner_text("#alarms-count") == "-"
    await screenshot(page, "stale-alarms.png")

    sim.slave.clear_faults()
    await page.wait_for_selector("#stale-notice", state="hidden", timeout=60_000)
    assert page.errors == []
