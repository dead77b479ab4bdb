"""The web UI in real headless Chromium (Debian's chromium, driven by Playwright's Python
package) against the daemon and the simulator on a pty (issue 4)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from netvision.services.web.accounts import initial_admin_password, mac_address
from tests.conftest import wait_for
from tests.integration.test_web_helpers import ADMIN_PASSWORD, READER_PASSWORD, WRITER_PASSWORD

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
WAIT_MS = 20_000  # how long a page may take to show what the UPS did (several polls)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("the playwright Python package is missing")
        pytest.skip("playwright is not installed")
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing (Debian package chromium)")
        pytest.skip("chromium is not installed")
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        await instance.close()


async def new_page(browser: Any) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 820}, accept_downloads=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


async def log_in(page: Any, base: str, user: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=user]", user)
    await page.fill("input[name=password]", password)
    await page.click("#login-form button[type=submit]")


async def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name), full_page=True)


async def test_first_login_with_the_mac_password_forces_a_policy_checked_change(make_web, browser) -> None:
    web = await make_web(users=False)
    page = await new_page(browser)
    initial = initial_admin_password(mac_address())
    await log_in(page, web.http, "admin", initial)
    await page.wait_for_selector("#password-form")
    for new, confirm, expected in [
        ("Short1!", "Short1!", "12 characters"),
        ("Abcdefgh1234$", "Abcdefgh1234$", "no character other"),
        (ADMIN_PASSWORD, "Different1234!", "differ"),
    ]:
        await page.fill("input[name=current]", initial)
        await page.fill("input[name=new]", new)
        await page.fill("input[name=confirm]", confirm)
        await page.click("#password-form button[type=submit]")
        await page.wait_for_function(
            "text => document.querySelector('#password-error').textContent.includes(text)", arg=expected
        )
    await page.fill("input[name=new]", ADMIN_PASSWORD)
    await page.fill("input[name=confirm]", ADMIN_PASSWORD)
    await page.click("#password-form button[type=submit]")
    await page.wait_for_selector("#login-form", timeout=WAIT_MS)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    assert "admin" in await page.inner_text(".login-state")
    assert page.errors == []


async def test_synoptic_colours_follow_normal_battery_bypass_and_alarm(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#el-inverter.c-green", state="attached", timeout=WAIT_MS)
    assert await page.get_attribute("#el-bypass_output", "class") == "line c-grey"
    assert await page.is_hidden("#alarm-icon")
    await screenshot(page, "home_normal.png")

    web.simulator.device.scenario("mains_failure")
    await page.wait_for_selector("#el-inverter_output.c-yellow", state="attached", timeout=WAIT_MS)
    assert "c-grey" in await page.get_attribute("#el-rectifier_supply", "class")
    assert "c-yellow" in await page.get_attribute("#el-output", "class")
    await screenshot(page, "home_on_battery.png")

    web.simulator.device.scenario("normal")
    web.simulator.device.scenario("bypass")
    await page.wait_for_selector("#el-bypass_output.c-yellow", state="attached", timeout=WAIT_MS)
    assert "c-yellow" in await page.get_attribute("#el-output", "class")
    await screenshot(page, "home_on_bypass.png")

    web.simulator.device.scenario("normal")
    await page.wait_for_selector("#el-inverter_output.c-green", state="attached", timeout=WAIT_MS)
    # An alarm raised in the simulator appears in the open page without reload (§12.1.4).
    web.simulator.device.alarm("A01", True)
    await page.wait_for_selector("#alarm-icon.flash", timeout=WAIT_MS)
    await page.wait_for_selector("#el-battery.c-red", state="attached", timeout=WAIT_MS)
    assert int(await page.inner_text("#alarm-count")) >= 1
    await screenshot(page, "home_alarm.png")
    await page.click("#alarm-icon")
    await page.wait_for_selector("#alarm-table tbody tr")
    assert "A01" in await page.inner_text("#alarm-table")
    assert page.errors == []


async def test_clicking_an_element_shows_its_parameter_table(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#params tbody tr")
    await page.click("#el-battery")
    await page.wait_for_function(
        "() => document.querySelector('#table-title').textContent === 'Battery Parameters'"
    )
    assert "Battery Status" in await page.inner_text("#params")
    await page.click("#table-back")
    await page.wait_for_function(
        "() => document.querySelector('#table-title').textContent === 'UPS Parameters'"
    )


async def test_a_control_is_sent_and_its_effect_is_visible(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/control")
    await page.wait_for_selector("tr[data-control=eco_mode_on]:not([hidden])", timeout=WAIT_MS)
    await page.check("input[value=eco_mode_on]")
    await page.click("#control-form button[type=submit]")
    await page.click("#confirm-ok")  # every control asks first
    await page.wait_for_selector("#control-result.accepted", timeout=WAIT_MS)
    await page.goto(web.http + "/")
    await page.wait_for_function(
        "() => document.querySelector('#ups-status').textContent === 'UPS in eco mode'", timeout=WAIT_MS
    )
    assert "c-green" in await page.get_attribute("#el-bypass_output", "class")


async def test_read_only_user_cannot_change_anything(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "reader", READER_PASSWORD)
    await page.wait_for_selector("#synoptic")
    menu = await page.inner_text(".menu")
    assert "UPS control" not in menu and "Multi-User Table" not in menu
    await page.goto(web.http + "/configuration")
    assert await page.is_disabled("#f-system-name")
    assert await page.query_selector("form[data-settings-form] button[type=submit]") is None
    # Even a request forged from the page with the right CSRF token is refused by the server.
    status = await page.evaluate(
        """async () => (await fetch('/api/v1/settings', {method: 'PATCH',
            headers: {'Content-Type': 'application/json',
                      'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
            body: JSON.stringify({changes: {'system.name': 'hacked'}})})).status"""
    )
    assert status == 403
    assert web.daemon.settings_manager.settings.system.name == "Socomec"


async def test_a_second_login_ends_the_first_session_in_the_open_page(make_web, browser) -> None:
    web = await make_web()
    first = await new_page(browser)
    await log_in(first, web.http, "writer", WRITER_PASSWORD)  # one session with write rights
    await first.wait_for_selector("#synoptic")
    second = await new_page(browser)
    await log_in(second, web.http, "admin", ADMIN_PASSWORD)
    await second.wait_for_selector("#synoptic")
    await first.wait_for_url("**/login?ended=replaced", timeout=WAIT_MS)
    assert "closed by a new login" in await first.inner_text("#login-notice")


async def test_an_idle_session_times_out(make_web, browser) -> None:
    web = await make_web({"login_timeout": 60})
    now = [1000.0]
    web.service.state.sessions.clock = lambda: now[0]
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    now[0] += 61  # the live stream does not count as activity
    await page.wait_for_url("**/login?ended=timeout", timeout=WAIT_MS)
    assert "timed out" in await page.inner_text("#login-notice")


async def test_french_labels_per_user(make_web, browser) -> None:
    web = await make_web()
    web.accounts.set_language("reader", "fr")
    page = await new_page(browser)
    await log_in(page, web.http, "reader", READER_PASSWORD)
    await page.wait_for_selector("#params tbody tr")
    assert "Vue d'ensemble" in await page.inner_text(".menu")
    assert "État ASI" in await page.inner_text("#params")
    assert await page.inner_text("#ups-status") == "Charge protégée par l'onduleur"
    await screenshot(page, "home_french.png")


async def test_logs_page_and_csv_download(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await web.daemon.store.flush()
    await page.goto(web.http + "/logs/netvision")
    await page.wait_for_selector("#log-table tbody tr")
    assert "admin logged in" in await page.inner_text("#log-table")
    async with page.expect_download() as download_info:
        await page.click("a[href='/api/v1/logs/netvision/csv']")
    download = await download_info.value
    path = await download.path()
    assert "admin logged in" in Path(path).read_text()
    await page.goto(web.http + "/logs/clear")
    await page.wait_for_function("() => document.querySelector('[data-count=netvision]').textContent !== ''")
    await page.goto(web.http + "/logs/history")
    await page.wait_for_selector("#log-table")
    assert page.errors == []


async def test_every_page_loads_without_script_errors(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    for path in ("/alarms", "/dashboard", "/graph", "/clients", "/battery-test", "/configuration", "/nv-control",
                 "/datetime", "/users", "/links-setup", "/account", "/logs/extended", "/logs/ups"):  # fmt: skip
        await page.goto(web.http + path)
        await page.wait_for_load_state("load")
    await page.goto(web.http + "/graph")
    await page.click("#graph-start")
    await page.wait_for_selector("#charts .chart", timeout=WAIT_MS)
    await page.goto(web.http + "/dashboard")
    await page.wait_for_selector(".widget")
    await screenshot(page, "dashboard.png")
    assert page.errors == []


async def test_after_login_a_notice_tells_the_days_left_for_the_password(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "reader", READER_PASSWORD)
    await page.wait_for_selector("#password-notice")
    days = web.daemon.settings_manager.settings.web.password_validity_days
    assert f"{days} day(s)" in await page.inner_text("#password-notice")
    await page.click("#password-notice-ok")
    assert await page.is_hidden("#password-notice")
    await page.goto(web.http + "/alarms")
    assert await page.query_selector("#password-notice") is None  # once per login (FR §11.6)
    assert page.errors == []


async def test_date_and_time_page_sets_the_clock_from_the_browser_and_by_hand(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/datetime")
    await page.click("#clock-browser")
    await page.click("#confirm-dialog[open] #confirm-ok")  # setting the clock asks first
    await page.wait_for_function("() => document.querySelector('#clock-result').textContent.includes('Date and time changed')")
    assert len(web.clock.calls) == 1  # the recording clock: this machine's clock is never set
    await page.fill("#clock-form input[name=date]", "24/12/2030")
    await page.fill("#clock-form input[name=time]", "18:30:00")
    await page.click("#clock-form button[type=submit]")
    await page.wait_for_function("() => document.querySelector('#clock-result').textContent.includes('24/12/2030 18:30:00')")
    assert web.clock.calls[-1].year == 2030
    assert await page.is_visible("#ups-clock-note")  # JBUSP has a clock that is not written
    assert page.errors == []


async def test_battery_test_page_shows_the_test_running_then_its_result(make_web, browser) -> None:
    web = await make_web()
    web.simulator.device.battery_test_seconds = 2.0
    page = await new_page(browser)
    await log_in(page, web.http, "writer", WRITER_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/battery-test")
    assert await page.inner_text('#battery-test-table [data-field="result_label"]') == "No test"
    await page.click('[data-battery-test="0"]:not([disabled])', timeout=WAIT_MS)
    await page.click("#confirm-ok")  # a battery test asks first
    await page.wait_for_selector('[data-status="in_progress"]', timeout=WAIT_MS)
    await page.wait_for_selector('[data-result="ok"]', timeout=WAIT_MS)
    assert await page.inner_text('[data-field="result_label"]') == "OK"
    assert await page.inner_text('[data-field="last_test_text"]') != "00/00"
    assert page.errors == []


async def test_sts_pages_say_sts(make_web, browser) -> None:
    web = await make_web(map_name="sts")
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.wait_for_function("() => document.querySelector('#communication').textContent === 'STS connected'", timeout=WAIT_MS)
    assert "STS Dashboard" in await page.inner_text("nav.menu")
    assert "UPS" not in await page.inner_text("#communication")
    assert page.errors == []


async def test_net_vision_control_page_shows_each_service_and_where_it_listens(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/nv-control")
    row = page.locator('#services tr[data-service="web"]')
    await row.wait_for()
    text = await row.inner_text()
    assert "Running" in text and web.http.removeprefix("http://") in text
    assert "Disabled" in await page.locator('#services tr[data-service="bacnet"]').inner_text()
    await screenshot(page, "nv_control_services.png")
    assert page.errors == []


async def test_a_restore_shows_what_will_change_and_waits_for_the_confirmation(make_web, browser, tmp_path) -> None:
    """Issue 10: a partial file is merged over the current settings, after a confirmation;
    secret fields show only whether they are set; admin downloads an encrypted backup."""
    web = await make_web()
    manager = web.daemon.settings_manager
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.goto(web.http + "/configuration")
    partial = tmp_path / "partial.toml"
    partial.write_text('[system]\nname = "Restored room"\n')
    await page.set_input_files("#config-upload", str(partial))
    await page.wait_for_selector("#config-preview:not([hidden])", timeout=WAIT_MS)
    assert "system.name" in await page.inner_text("#config-preview-changes")
    assert "merged" in await page.inner_text("#config-preview-note")
    assert manager.settings.system.name == "Socomec"  # nothing before the confirmation
    async with page.expect_navigation(timeout=WAIT_MS):  # the page reloads with the new settings
        await page.click("#config-apply")
        await page.wait_for_selector("#message:not([hidden])", timeout=WAIT_MS)
        assert "Configuration restored" in await page.inner_text("#message")
    await wait_for(lambda: manager.settings.system.name == "Restored room")
    assert manager.settings.web.bind == "127.0.0.1"  # the rest is kept, not reset to defaults
    await page.fill("#backup-form input[name=password]", "Backup-pass-1")
    async with page.expect_download() as download_info:
        await page.click("#backup-form button[type=submit]")
    download = await download_info.value
    sealed = Path(await download.path()).read_text()
    assert '"cipher": "AES-256-GCM"' in sealed and "Restored room" not in sealed
    assert not page.errors, page.errors
