"""The form checks a person meets on the settings pages, in headless Chromium, in English and
French (docs/decisions.md "Form checks"): a number field emptied is marked with "Enter a
number" and nothing is sent or saved, on every settings page; on the NUT server page a user
name used twice is marked on the later row and a new user needs a password; on the weekly
schedule a restart earlier the same day is told to be a week later, and a restart at the
shutdown's day and time is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_integrations_browser import open_page, settings
from tests.browser.test_shutdown_browser import refused
from tests.browser.test_web_browser import WAIT_MS, screenshot
from tests.conftest import wait_for

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

LANGUAGES = pytest.mark.parametrize("language", ["en", "fr"])
ENTER = {"en": "Enter a number", "fr": "Saisissez un nombre"}
# Every page with a settings form (templates calling settings_form), and the firewall's rules.
SETTINGS_PAGES = (
    "/snmp", "/modbus", "/bacnet", "/mail", "/wake-on-lan", "/nut", "/shutdown", "/configuration",
    "/nv-control", "/datetime", "/firewall",
)  # fmt: skip

FIRST_NUMBER = """() => {
  const input = [...document.querySelectorAll('form[data-settings-form] input[type=number]')].find((i) => !i.disabled);
  return input ? input.id : null;
}"""


async def marked(page: Any, selector: str, text: str) -> None:
    """The control is marked invalid and its message under it ends with ``text``."""
    await page.wait_for_function(
        """([selector, text]) => {
          const input = document.querySelector(selector);
          const field = input && (input.closest('.field') || input.closest('td'));
          const error = field && field.querySelector('p.field-error');
          return field && field.classList.contains('invalid') && input.getAttribute('aria-invalid') === 'true'
            && (!error || (!error.hidden && error.textContent.trim().endsWith(text)));
        }""",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


@LANGUAGES
async def test_an_emptied_number_is_marked_and_nothing_is_saved_on_every_settings_page(
    make_web, chromium, language
) -> None:
    web = await make_web()
    before = settings(web)
    page = await open_page(web, chromium, language, "/")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method != "GET" else None)
    checked = []
    for path in SETTINGS_PAGES:
        await page.goto(web.http + path)
        await page.wait_for_selector("main h1")
        ident = await page.evaluate(FIRST_NUMBER)
        if ident is None:
            continue
        selector = f"#{ident}"
        await page.fill(selector, "")
        form = page.locator(selector).locator("xpath=ancestor::form")
        await form.locator("button[type=submit]").click()
        await marked(page, selector, ENTER[language])
        await refused(page, ENTER[language])
        assert await page.evaluate("document.activeElement.id") == ident
        checked.append(path)
    # The firewall's rules: a prefix left empty.
    await page.goto(web.http + "/firewall")
    await page.click("#firewall-add")
    await page.fill('#firewall-rules tr[data-rule]:last-child [name="address"]', "127.0.0.1")
    prefix = '#firewall-rules tr[data-rule]:last-child [name="prefix_length"]'
    await page.fill(prefix, "")
    await page.click("#firewall-form button[type=submit]")
    await marked(page, prefix, ENTER[language])
    await refused(page, ENTER[language])
    await screenshot(page, f"form_checks_firewall_{language}.png")

    assert len(checked) >= 8, checked  # the pages with a number field
    assert sent == []  # refused on the page: nothing was sent
    assert settings(web) == before
    assert page.errors == [] and page.failed == []


NUT_WORDS = {
    "en": {"taken": "User 3, User name: “upsmon” is already used in row 1", "password": "a new user needs a password"},
    "fr": {
        "taken": "Utilisateur 3, Nom d'utilisateur : « upsmon » est déjà utilisé à la ligne 1",
        "password": "un nouvel utilisateur a besoin d'un mot de passe",
    },
}


@LANGUAGES
async def test_nut_users_names_are_distinct_and_a_new_user_needs_a_password(make_web, chromium, language) -> None:
    words = NUT_WORDS[language]
    web = await make_web()
    page = await open_page(web, chromium, language, "/nut")
    rows = "#nut-users tbody tr[data-row]"
    for name in ("upsmon", "nas", "upsmon"):
        await page.click("#nut-users-add")
        row = page.locator(rows).last
        await row.locator('[name="name"]').fill(name)
        await row.locator('[name="password"]').fill(f"Secret-{name}-1")
    await page.click("#nut-users-form button[type=submit]")
    await refused(page, words["taken"])
    await marked(page, f'{rows}[data-row="2"] [name="name"]', words["taken"].split(": ", 1)[-1].split(" : ", 1)[-1])
    first = page.locator(f'{rows}[data-row="0"] .field.invalid')
    assert await first.count() == 0  # the earlier row is not the one marked
    assert settings(web).nut.users == []

    third = page.locator(f'{rows}[data-row="2"]')
    await third.locator('[name="name"]').fill("admin2")
    await third.locator('[name="password"]').fill("")
    await page.click("#nut-users-form button[type=submit]")
    await refused(page, words["password"])
    await marked(page, f'{rows}[data-row="2"] [name="password"]', words["password"])
    assert settings(web).nut.users == []
    await screenshot(page, f"form_checks_nut_{language}.png")

    await third.locator('[name="password"]').fill("Secret-admin2-1")
    await page.click("#nut-users-form button[type=submit]")
    await page.wait_for_function(
        "() => !document.querySelector('#message').classList.contains('error')", timeout=WAIT_MS
    )
    await page.wait_for_function(
        "() => document.querySelectorAll('#nut-users .field.invalid').length === 0", timeout=WAIT_MS
    )
    assert [user.name for user in settings(web).nut.users] == ["upsmon", "nas", "admin2"]
    # Saved users keep their password, left empty: saved again without typing any.
    await page.locator(f'{rows}[data-row="1"] [name="rights"]').select_option("instcmd")
    await page.click("#nut-users-form button[type=submit]")
    await wait_for(lambda: settings(web).nut.users[1].rights == "instcmd")
    assert all(user.password for user in settings(web).nut.users)
    assert page.errors == [] and page.failed == []


WEEK_WORDS = {
    "en": {
        "hint": "Restart a week later, on Monday at 09:00.",
        "same": "Index 1, Restart time: the restart is the same day and time as the shutdown",
    },
    "fr": {
        "hint": "Redémarrage une semaine plus tard, le lundi à 09:00.",
        "same": "Numéro 1, Heure de redémarrage : le redémarrage a le même jour et la même heure que l'arrêt",
    },
}


@LANGUAGES
async def test_a_weekly_restart_earlier_is_next_week_and_the_same_time_is_refused(
    make_web, chromium, language
) -> None:
    words = WEEK_WORDS[language]
    web = await make_web()
    page = await open_page(web, chromium, language, "/shutdown/weekly")
    row = page.locator('#schedule-rows tr[data-row="0"]')
    await row.locator('[name="shutdown_day"]').select_option("monday")
    await row.locator('[name="shutdown_time"]').fill("10:00")
    await row.locator('[name="restart_day"]').select_option("monday")
    await row.locator('[name="restart_time"]').fill("09:00")
    hint = row.locator(".next-week")
    await hint.wait_for(timeout=WAIT_MS)
    assert await hint.inner_text() == words["hint"]

    await row.locator('[name="restart_time"]').fill("10:00")
    await hint.wait_for(state="detached", timeout=WAIT_MS)
    await page.click("#schedule-form button[type=submit]")
    await refused(page, words["same"])
    await marked(page, '#schedule-rows tr[data-row="0"] [name="restart_time"]', "")
    assert settings(web).shutdown.weekly_schedule == []
    await screenshot(page, f"form_checks_weekly_{language}.png")

    await row.locator('[name="restart_time"]').fill("09:00")
    await hint.wait_for(timeout=WAIT_MS)
    await page.click("#schedule-form button[type=submit]")
    await page.wait_for_function(
        "() => document.querySelectorAll('#schedule-rows .field.invalid').length === 0", timeout=WAIT_MS
    )
    await page.wait_for_function(
        "() => !document.querySelector('#message').classList.contains('error')", timeout=WAIT_MS
    )
    (saved,) = settings(web).shutdown.weekly_schedule
    assert (saved.shutdown_day, saved.shutdown_time, saved.restart_time) == ("monday", "10:00", "09:00")
    assert page.errors == [] and page.failed == []
