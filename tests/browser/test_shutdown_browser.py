"""The shutdown management, schedule, NUT server and Client Table pages in headless Chromium,
in English and French: an event row is changed and saved, the UPS Shut Off Delay rule is
checked as it is typed, the AC-fail test asks first and shows its outcome in words, a special
day is typed dd/mm/yyyy and stored yyyy-mm-dd, and the client table follows the NUT service.
A wrong value is refused in the page's words (an empty number is not saved as 0), the countdown
goes down second by second, and on a phone each schedule row is a readable card."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from netvision.services.shutdown.status import Phase, ShutdownStatus
from netvision.services.web import shutdown as shutdown_pages
from tests.browser.test_integrations_browser import message, open_page, settings
from tests.browser.test_web_browser import WAIT_MS, screenshot
from tests.conftest import free_port, wait_for
from tests.integration.test_web_shutdown import CLIENTS, FakeShutdown

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

LANGUAGES = pytest.mark.parametrize("language", ["en", "fr"])
WORDS = {
    "en": {
        "title": "Shutdown management",
        "events_saved": "Shutdown events saved",
        "confirm": "Start the AC-fail test?",
        "when": "The shutdown command is sent after 5 min",
        "started": "The AC-fail test has started",
        "running": "AC-fail test: the shutdown command is sent in",
        "refused": "Test refused: the UPS is already on battery",
        "short": "shorter than one minute",
        "schedule_saved": "Schedule saved",
        "secondary": "Secondary",
    },
    "fr": {
        "title": "Gestion des arrêts",
        "events_saved": "Événements d'arrêt enregistrés",
        "confirm": "Lancer le test d'absence secteur ?",
        "when": "La commande d'arrêt part au bout de 5 min",
        "started": "Le test d'absence secteur a démarré",
        "running": "Test d'absence secteur : la commande d'arrêt part dans",
        "refused": "Test refusé : the UPS is already on battery",
        "short": "inférieur à une minute",
        "schedule_saved": "Planning enregistré",
        "secondary": "Secondaire",
    },
}


def clean(page: Any) -> None:
    assert page.errors == [] and page.failed == []


@LANGUAGES
async def test_event_row_delay_rule_and_the_ac_fail_test(make_web, chromium, language, monkeypatch) -> None:
    monkeypatch.setattr(shutdown_pages, "ups_manages_shut_off", lambda snapshot: True)
    words = WORDS[language]
    web = await make_web()
    fake = FakeShutdown()
    fake.offer(web.service.context.offers)
    page = await open_page(web, chromium, language, "/shutdown")
    assert await page.inner_text("main h1") == words["title"]

    # The UPS Shut Off Delay rule, checked as it is typed.
    assert await page.is_hidden("#shut-off-warning")
    await page.select_option("#f-shutdown-ups_shut_off", "true")
    await page.fill("#f-shutdown-ups_shut_off_delay", "30")
    await page.locator("#shut-off-warning").wait_for(state="visible", timeout=WAIT_MS)
    assert words["short"] in await page.inner_text("#shut-off-warning")
    await page.fill("#f-shutdown-ups_shut_off_delay", "240")
    await page.locator("#shut-off-warning").wait_for(state="hidden", timeout=WAIT_MS)
    await page.click("#shutdown-form button[type=submit]")
    await wait_for(lambda: settings(web).shutdown.ups_shut_off_delay == 240)

    # The On Bypass row: enabled, 3 minutes of warning.
    row = page.locator('#shutdown-events tr[data-event="on_bypass"]')
    await row.locator('[name="enabled"]').select_option("true")
    await row.locator('[name="warning_period"]').fill("3")
    await page.click("#events-form button[type=submit]")
    await message(page, words["events_saved"])
    saved = settings(web).shutdown.event("on_bypass")
    assert (saved.enabled, saved.warning_period) == (True, 3)

    # The AC-fail test asks first; cancelled, nothing starts.
    await page.click("#shutdown-test")
    assert words["confirm"] in await page.inner_text("#confirm-text")
    assert words["when"] in await page.inner_text("#confirm-text")  # when, and that it cannot be stopped
    await page.click("#confirm-dialog[open] #confirm-cancel")
    assert fake.calls == []
    await page.click("#shutdown-test")
    await page.click("#confirm-dialog[open] #confirm-ok")
    await page.locator("#shutdown-test-result.ok").wait_for(timeout=WAIT_MS)
    assert words["started"] in await page.inner_text("#shutdown-test-result")
    assert [by for by, _ in fake.calls] == ["admin"]
    await page.wait_for_function(
        "text => document.querySelector('#shutdown-status').textContent.includes(text)",
        arg=words["running"],
        timeout=WAIT_MS,
    )
    assert await page.is_disabled("#shutdown-test")  # while the test runs
    await screenshot(page, f"shutdown_{language}.png")

    # Once the procedure has ended the button comes back; a refusal is told in words.
    fake.status = type(fake.status)()
    fake.refusal = "the UPS is already on battery"
    await page.wait_for_function("() => !document.querySelector('#shutdown-test').disabled", timeout=WAIT_MS)
    assert await page.inner_text("#shutdown-test-result") == ""  # "has started" is gone with the test
    await page.click("#shutdown-test")
    await page.click("#confirm-dialog[open] #confirm-ok")
    await page.locator("#shutdown-test-result.error").wait_for(timeout=WAIT_MS)
    assert words["refused"] in await page.inner_text("#shutdown-test-result")
    page.failed[:] = [url for url in page.failed if "409" not in url]  # the refusal provoked here
    clean(page)


@LANGUAGES
async def test_schedules_take_dd_mm_yyyy_and_the_client_table_follows_the_nut_service(
    make_web, chromium, language
) -> None:
    words = WORDS[language]
    web = await make_web()
    events = [row.model_dump() for row in settings(web).shutdown.events]
    for row in events:
        if row["event"] in ("weekly_schedule", "special_day"):
            row["enabled"] = True
    await web.daemon.settings_manager.change({"shutdown.events": events}, via="test", by="test")

    page = await open_page(web, chromium, language, "/shutdown/special-days")
    assert await page.locator('#menu a[href="/shutdown/special-days"]').count() == 1
    first = page.locator('#schedule-rows tr[data-row="0"]')
    await first.locator('[name="shutdown_date"]').fill("24/12/2026")
    await first.locator('[name="shutdown_time"]').fill("18:00")
    await first.locator('[name="restart_date"]').fill("31/02/2027")
    await page.click("#schedule-form button[type=submit]")
    await first.locator('.field.invalid[data-field="restart_date"]').wait_for(timeout=WAIT_MS)
    await first.locator('[name="restart_date"]').fill("26/12/2026")
    await first.locator('[name="restart_time"]').fill("07:30")
    await page.click("#schedule-form button[type=submit]")
    await message(page, words["schedule_saved"])
    (day,) = settings(web).shutdown.special_days
    assert (day.shutdown_date, day.shutdown_time, day.restart_date) == ("2026-12-24", "18:00", "2026-12-26")
    await page.reload()
    assert await first.locator('[name="shutdown_date"]').input_value() == "24/12/2026"
    await screenshot(page, f"shutdown_special_{language}.png")

    await page.goto(web.http + "/shutdown/weekly")
    second = page.locator('#schedule-rows tr[data-row="1"]')
    await second.locator('[name="shutdown_day"]').select_option("friday")
    await second.locator('[name="shutdown_time"]').fill("21:15")
    await second.locator('[name="restart_day"]').select_option("monday")
    await page.click("#schedule-form button[type=submit]")
    await message(page, words["schedule_saved"])
    (week,) = settings(web).shutdown.weekly_schedule
    assert (week.shutdown_day, week.shutdown_time, week.restart_day) == ("friday", "21:15", "monday")

    await page.goto(web.http + "/clients")
    assert await page.inner_text("#clients-count") == "0"
    assert await page.is_visible("#clients-empty")
    web.service.context.offers["nut.clients"] = lambda: CLIENTS
    await page.wait_for_function(
        "() => document.querySelector('#clients-count').textContent === '2'", timeout=WAIT_MS
    )
    assert await page.locator("#clients-table tbody tr").count() == 2
    assert words["secondary"] in await page.inner_text("#clients-table")
    assert await page.is_hidden("#clients-empty")
    await screenshot(page, f"shutdown_clients_{language}.png")
    clean(page)


MORE = {
    "en": {
        "empty": "UPS Shut Off Delay (s): Enter a number",
        "row_empty": "On bypass, Warning Period (min): Enter a number",
        "row_whole": "On bypass, Warning Interval (s): must be a whole number",
        "row_most": "On bypass, Warning Period (min): must be at most 999",
        "bad_date": "Index 1, Shutdown date: expected a date dd/mm/yyyy",
        "bad_time": "Index 1, Shutdown time: expected a time hh:mm",
        "past": "This date is past",
        "restart_after": "Index 1, Restart date: the restart must come after the shutdown",
        "countdown": "AC-fail test: the shutdown command is sent in 4 min",
    },
    "fr": {
        "empty": "Délai de coupure de l'ASI (s) : Saisissez un nombre",
        "row_empty": "Sur by-pass, Période d'avertissement (min) : Saisissez un nombre",
        "row_whole": "Sur by-pass, Intervalle des avertissements (s) : doit être un nombre entier",
        "row_most": "Sur by-pass, Période d'avertissement (min) : doit valoir au plus 999",
        "bad_date": "Numéro 1, Date d'arrêt : date attendue au format jj/mm/aaaa",
        "bad_time": "Numéro 1, Heure d'arrêt : heure attendue au format hh:mm",
        "past": "Cette date est passée",
        "restart_after": "Numéro 1, Date de redémarrage : le redémarrage doit venir après l'arrêt",
        "countdown": "Test d'absence secteur : la commande d'arrêt part dans 4 min",
    },
}


async def refused(page: Any, text: str) -> None:
    """The save is refused with ``text`` in the message box."""
    await page.wait_for_function(
        "text => { const box = document.querySelector('#message');"
        " return box && !box.hidden && box.classList.contains('error') && box.textContent.includes(text); }",
        arg=text,
        timeout=WAIT_MS,
    )


@LANGUAGES
async def test_wrong_values_are_refused_in_words_and_the_countdown_ticks_each_second(
    make_web, chromium, language, monkeypatch
) -> None:
    monkeypatch.setattr(shutdown_pages, "ups_manages_shut_off", lambda snapshot: True)
    words = MORE[language]
    web = await make_web()
    fake = FakeShutdown()
    fake.offer(web.service.context.offers)
    page = await open_page(web, chromium, language, "/shutdown")

    # An empty number is refused on the page (it would have been saved as 0 s).
    await page.fill("#f-shutdown-ups_shut_off_delay", "")
    await page.click("#shutdown-form button[type=submit]")
    await refused(page, words["empty"])
    assert settings(web).shutdown.ups_shut_off_delay == 180

    # A wrong event row is named by its event, with a reason in the page's language.
    row = page.locator('#shutdown-events tr[data-event="on_bypass"]')
    for name, value, expected in [
        ("warning_period", "", "row_empty"),
        ("warning_period", "99999", "row_most"),
        ("warning_interval", "1.5", "row_whole"),
    ]:
        await row.locator(f'[name="{name}"]').fill(value)
        await page.click("#events-form button[type=submit]")
        await refused(page, words[expected])
        await row.locator(f'[name="{name}"]').fill({"warning_period": "5", "warning_interval": "60"}[name])
    assert settings(web).shutdown.event("on_bypass").warning_period == 5

    # The countdown goes down one second at a time between two reads of the state.
    now = datetime.now(UTC)
    fake.status = ShutdownStatus(
        phase=Phase.WARNING, event="test", test=True, started=now, deadline=now + timedelta(seconds=280)
    )
    first_line = "() => document.querySelector('#shutdown-status p').textContent"
    await page.wait_for_function(
        "text => document.querySelector('#shutdown-status p').textContent.includes(text)",
        arg=words["countdown"],
        timeout=WAIT_MS,
    )
    seen: list[int] = []
    for _ in range(14):  # 3.5 s: more than one read of the state (every 2 s)
        text = await page.evaluate(first_line)
        found = re.search(r"(\d+) min (\d+) s", text)
        assert found, text
        seconds = int(found[1]) * 60 + int(found[2])
        if not seen or seen[-1] != seconds:
            seen.append(seconds)
        await page.wait_for_timeout(250)
    assert len(seen) >= 3 and all(a - b == 1 for a, b in zip(seen, seen[1:], strict=False)), seen
    assert "unless" not in await page.evaluate(first_line)  # a test has no event that could clear
    page.failed[:] = [url for url in page.failed if "400" not in url and "422" not in url]  # provoked here
    clean(page)


async def test_schedules_and_nut_server_on_a_phone_in_french(make_web, chromium) -> None:
    words = MORE["fr"]
    web = await make_web()
    page = await open_page(web, chromium, "fr", "/shutdown/special-days")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()

    # Each row is a card as wide as the form, its number on one line.
    form_width = await page.evaluate("document.querySelector('#schedule-form').getBoundingClientRect().width")
    card = page.locator('#schedule-rows tr[data-row="0"]')
    assert (await card.bounding_box())["width"] >= 0.95 * form_width
    assert (await card.locator("th").bounding_box())["height"] < 40
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # A wrong date and an empty time are told in French; a past date is pointed out.
    await card.locator('[name="shutdown_date"]').fill("32/01/2027")
    await page.click("#schedule-form button[type=submit]")
    await refused(page, words["bad_date"])
    # A restart before the shutdown marks the restart date, the one to correct.
    await card.locator('[name="shutdown_date"]').fill("24/12/2030")
    await card.locator('[name="restart_date"]').fill("20/12/2030")
    await page.click("#schedule-form button[type=submit]")
    await refused(page, words["restart_after"])
    assert await card.locator('.field.invalid[data-field="restart_date"]').count() == 1
    await card.locator('[name="shutdown_date"]').fill("01/01/2020")
    await card.locator(".past-date").wait_for(timeout=WAIT_MS)
    assert words["past"] in await card.locator(".past-date").inner_text()
    await card.locator('[name="shutdown_time"]').fill("")
    await page.click("#schedule-form button[type=submit]")
    await refused(page, words["bad_time"])
    await screenshot(page, "shutdown_special_phone_fr.png")

    # upsc is told the port when it is not NUT's own.
    port = free_port()
    await web.daemon.settings_manager.change({"nut.port": port}, via="test", by="test")
    await page.goto(web.http + "/nut")
    assert f"upsc ups@127.0.0.1:{port}" in await page.inner_text("#nut-how")
    # The other UPS names take four real names (the field once stopped at 4 characters).
    await page.fill("#f-nut-aliases", "synology-nas, qnap-nas, nas3, nas4")
    await page.click("#nut-form button[type=submit]")
    await wait_for(lambda: settings(web).nut.aliases == ["synology-nas", "qnap-nas", "nas3", "nas4"])
    await page.fill("#f-nut-ups_name", "mon onduleur!")
    await page.click("#nut-form button[type=submit]")
    await refused(page, "Nom de l'ASI : 1 à 32 lettres, chiffres")
    page.failed[:] = [url for url in page.failed if "400" not in url and "422" not in url]
    clean(page)
