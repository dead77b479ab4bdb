"""The Firewall Setup page (EN §18.15) in headless Chromium: rules are added, saved and
removed through the settings API, and a rule that would cut off this browser is only
applied once the user confirms it."""

from __future__ import annotations

from typing import Any

from tests.browser.test_web_browser import WAIT_MS, browser, log_in, new_page  # noqa: F401
from tests.integration.test_web_helpers import ADMIN_PASSWORD

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture


def rules(web: Any) -> list[tuple[str, int, str]]:
    section = web.daemon.settings_manager.settings.access_control
    return [(rule.address, rule.prefix_length, rule.action) for rule in section.rules]


async def saved(page: Any, text: str) -> None:
    await page.wait_for_function(
        "text => { const box = document.querySelector('#message'); return box && !box.hidden && box.textContent.includes(text); }",
        arg=text,
        timeout=WAIT_MS,
    )


async def submit(page: Any, form: str) -> None:
    await page.evaluate("() => { document.querySelector('#message').hidden = true; }")  # the last outcome is gone
    await page.click(f"{form} button[type=submit]")


async def add_rule(page: Any, address: str, prefix: int, action: str) -> None:
    await page.click("#firewall-add")
    row = page.locator("#firewall-rules tbody tr[data-rule]").last
    await row.locator("input[name=address]").fill(address)
    await row.locator("input[name=prefix_length]").fill(str(prefix))
    await row.locator("select[name=action]").select_option(action)


async def test_rules_are_edited_on_the_page_and_a_lockout_needs_confirmation(make_web, browser) -> None:  # noqa: F811
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#synoptic")
    await page.click('nav.menu a[href="/firewall"]')
    await page.wait_for_selector("#firewall-form")
    await page.select_option("#f-access_control-enabled", "true")
    await submit(page, "form[data-settings-form]")
    await saved(page, "Settings saved")
    assert web.daemon.settings_manager.settings.access_control.enabled

    await add_rule(page, "127.0.0.2", 32, "reject")
    await submit(page, "#firewall-form")
    await saved(page, "Settings saved")
    assert rules(web) == [("127.0.0.2", 32, "reject")]

    # Rejecting 127.0.0.0/8 would cut this browser off: refused until confirmed.
    await add_rule(page, "127.0.0.0", 8, "reject")
    await submit(page, "#firewall-form")
    await page.click("#confirm-dialog[open] #confirm-cancel")
    await saved(page, "nothing changed")
    assert rules(web) == [("127.0.0.2", 32, "reject")]

    await page.locator("#firewall-rules tbody tr[data-rule]").first.locator("[data-remove-rule]").click()
    await submit(page, "#firewall-form")
    await page.click("#confirm-dialog[open] #confirm-ok")
    await saved(page, "Settings saved")
    assert rules(web) == [("127.0.0.0", 8, "reject")]
    assert page.errors == []
