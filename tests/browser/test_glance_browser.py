"""Headless Chromium: the state at a glance. A mains failure puts the on-battery banner with
the minutes left on the open page within a polling period; a silent UPS leaves its values
marked with the time they were read; the synoptic draws the battery path in use; a control
asks first and reports its outcome in words."""

from __future__ import annotations

import time
from typing import Any

from tests.browser.test_web_browser import WAIT_MS, log_in, new_page, screenshot
from tests.integration.test_web_helpers import ADMIN_PASSWORD, client, login

pytest_plugins = ["tests.integration.test_web_helpers", "tests.browser.test_web_browser"]

POLLING_SECONDS = 1.0  # the test daemon's polling period (tests/conftest.py make_daemon)
# The page hears of a snapshot through the live stream and draws it: a little time on top
# of the polling period on a loaded test machine.
DELIVERY_SECONDS = 3.0


async def test_a_mains_failure_shows_the_on_battery_banner_with_the_minutes_left(
    make_web: Any, browser: Any
) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/dashboard")
    await page.wait_for_selector("#status-banner[data-kind=normal]", timeout=WAIT_MS)
    assert await page.inner_text("#banner-title") == "Normal"

    started = time.monotonic()
    web.simulator.device.scenario("mains_failure")
    await page.wait_for_function(
        "() => document.querySelector('#status-banner').dataset.kind === 'on_battery'"
        " && /about \\d+ min unless mains returns/.test(document.querySelector('#banner-detail').textContent)",
        timeout=WAIT_MS,
    )
    elapsed = time.monotonic() - started
    assert elapsed < POLLING_SECONDS + DELIVERY_SECONDS, elapsed
    assert "tone-warning" in await page.get_attribute("#status-banner", "class")
    # The dashboard's status tile says it too, with the minutes in big figures.
    assert await page.inner_text("#tile-state") == "On battery: mains failure"
    assert (await page.inner_text("#tile-minutes-value")).isdigit()
    await screenshot(page, "glance_dashboard_on_battery.png")

    # Server-side in the first HTML of any page, before a script runs.
    async with client() as session:
        await login(session, web.http, "admin", ADMIN_PASSWORD)
        async with session.get(f"{web.http}/clients") as response:
            html = await response.text()
    assert 'data-kind="on_battery"' in html and "unless mains returns" in html
    assert page.errors == []


async def test_the_synoptic_draws_the_battery_path_when_the_battery_feeds_the_load(
    make_web: Any, browser: Any
) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#el-inverter.c-green", state="attached", timeout=WAIT_MS)
    assert "c-yellow" not in await page.get_attribute("#el-battery_path", "class")
    web.simulator.device.scenario("mains_failure")
    await page.wait_for_selector("#el-battery_path.c-yellow", state="attached", timeout=WAIT_MS)
    assert "c-yellow" in await page.get_attribute("#el-inverter_input", "class")
    await screenshot(page, "glance_battery_path.png")

    # Dark mode follows the system; less motion turns the moving path and blinking off.
    flowing = "() => getComputedStyle(document.querySelector('#el-battery_path path')).animationName"
    assert await page.evaluate(flowing) == "flow"
    await page.emulate_media(color_scheme="dark", reduced_motion="reduce")
    assert await page.evaluate(flowing) == "none"
    background = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 22, 28)", background
    await screenshot(page, "glance_battery_path_dark.png")
    assert page.errors == []


async def test_a_silent_ups_shows_last_read_values_and_a_communication_lost_banner(
    make_web: Any, browser: Any
) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#el-inverter.c-green", state="attached", timeout=WAIT_MS)
    assert await page.is_hidden("#home-stale")

    web.simulator.slave.fault("no_answer")
    await page.wait_for_selector("#status-banner[data-kind=communication_lost]", timeout=60_000)
    assert "No answer from the UPS since " in await page.inner_text("#banner-detail")
    assert "values last read at " in await page.inner_text("#home-stale")
    assert await page.inner_text("#ups-status") == "UPS not connected"  # not the last status as if live
    assert "stale" in await page.get_attribute("#synoptic", "class")
    await screenshot(page, "glance_home_stale.png")

    await page.goto(web.http + "/dashboard")
    await page.wait_for_selector("#tile-stale", state="visible", timeout=WAIT_MS)
    assert "values last read at " in await page.inner_text("#tile-stale")
    assert "stale" in await page.get_attribute("#widgets", "class")

    web.simulator.slave.clear_faults()
    await page.wait_for_selector("#tile-stale", state="hidden", timeout=60_000)
    assert page.errors == []


async def test_a_control_asks_first_cancel_sends_nothing_and_confirm_reports_in_words(
    make_web: Any, browser: Any
) -> None:
    web = await make_web()
    page = await new_page(browser)
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and request.url.endswith("/api/v1/controls")
            else None
        ),
    )
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/control")
    await page.wait_for_selector("tr[data-control=transfer_to_bypass]:not([hidden])", timeout=WAIT_MS)
    await page.check("input[value=transfer_to_bypass]")

    await page.click("#control-form button[type=submit]")
    await page.wait_for_selector("#confirm-dialog[open]")
    assert "Transfer the load to bypass?" in await page.inner_text("#confirm-text")
    await page.click("#confirm-cancel")
    await page.wait_for_selector("#confirm-dialog", state="hidden")
    await page.wait_for_timeout(500)
    assert sent == []
    assert await page.inner_text("#control-result") == ""

    await page.click("#control-form button[type=submit]")
    await page.click("#confirm-ok")
    await page.wait_for_selector("#control-result.accepted", timeout=WAIT_MS)
    assert await page.inner_text("#control-result") == "Load transferred to bypass"
    assert len(sent) == 1
    await page.wait_for_selector("#status-banner[data-kind=on_bypass]", timeout=WAIT_MS)

    # A refusal is worded too.
    web.simulator.device.permissions("eco_mode_on", False)
    await page.evaluate("() => { document.querySelector('tr[data-control=eco_mode_on]').hidden = false; }")
    await page.check("input[value=eco_mode_on]")
    await page.click("#control-form button[type=submit]")
    await page.click("#confirm-ok")
    await page.wait_for_selector("#control-result.refused", timeout=WAIT_MS)
    text = await page.inner_text("#control-result")
    assert text.startswith("Refused: ") and "eco_mode_on" not in text, text
    await screenshot(page, "glance_control_outcome.png")
    assert page.errors == []
