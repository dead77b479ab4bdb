"""Headless Chromium: every action that changes the UPS, NET VISION or its logs asks for
confirmation first, and a "Cancel" sends nothing. One test walks them all, as admin:
UPS controls, battery test, clear log, delete user, delete an SNMPv3 user, restart, reset,
certificate removal, and turning off the listener the browser uses."""

from __future__ import annotations

from typing import Any

from tests.browser.test_web_browser import WAIT_MS, log_in, new_page, screenshot
from tests.integration.test_web_helpers import ADMIN_PASSWORD
from tests.integration.test_web_integrations import with_snmp

pytest_plugins = ["tests.integration.test_web_helpers", "tests.browser.test_web_browser"]

CHANGING = ("POST", "PUT", "PATCH", "DELETE")


async def control(page: Any) -> None:
    await page.wait_for_selector("tr[data-control=transfer_to_bypass]:not([hidden])", timeout=WAIT_MS)
    await page.check("input[value=transfer_to_bypass]")
    await page.click("#control-form button[type=submit]")


async def http_off(page: Any) -> None:
    await page.select_option("#f-web-http_enabled", "false")
    await page.click("#nv-control-form button[type=submit]")


def click(selector: str) -> Any:
    async def action(page: Any) -> None:
        await page.locator(selector).first.click()

    return action


# (page, what the person does, the action)
ACTIONS = [
    ("/control", "transfer the load to bypass", control),
    ("/battery-test", "start a battery test", click("[data-battery-test]:not([disabled])")),
    ("/logs/clear", "clear a log", click("[data-clear]")),
    ("/users", "delete a user", click("[data-delete-user]")),
    ("/snmp-users", "delete an SNMPv3 user", click("#usm-users [data-remove-row]")),
    ("/nv-control", "restart NET VISION", click('[data-agent-action="restart"]')),
    ("/nv-control", "reset NET VISION to its defaults", click('[data-agent-action="reset"]')),
    ("/nv-control", "turn off HTTP, which this browser uses", http_off),
    ("/configuration", "remove the uploaded certificate", click("#cert-remove")),
]


async def test_every_changing_action_asks_first_and_cancel_sends_nothing(make_web: Any, browser: Any) -> None:
    web = await make_web()
    await with_snmp(web, [])  # one SNMPv3 user to delete
    before = web.daemon.settings_manager.settings
    users = [account.name for account in web.accounts.users()]
    page = await new_page(browser)
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(f"{request.method} {request.url}")
            if request.method in CHANGING and "/api/" in request.url and not request.url.endswith("/logout")
            else None
        ),
    )
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    sent.clear()  # the login itself
    for path, what, action in ACTIONS:
        await page.goto(web.http + path)
        await page.wait_for_selector("main h1")
        await action(page)
        dialog = page.locator("#confirm-dialog[open]")
        await dialog.wait_for(timeout=WAIT_MS)
        assert (await page.inner_text("#confirm-text")).strip(), f"{what}: the question is empty"
        if path == "/control":
            await screenshot(page, "confirm_control.png")
        await page.click("#confirm-cancel")
        await page.wait_for_selector("#confirm-dialog", state="hidden")
        await page.wait_for_timeout(300)
        assert sent == [], f"{what}: sent {sent} although cancelled"
    assert web.daemon.settings_manager.settings == before
    assert [account.name for account in web.accounts.users()] == users
    assert not web.daemon.agent.busy
    assert page.errors == []
