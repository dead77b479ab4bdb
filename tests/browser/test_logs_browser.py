"""The log pages and the graphs in headless Chromium, in English and French: paging, sort,
filter, Show, CSV (admin yes, Read Only no), clear with confirmation, every graph period,
the chart's axes, legend and readout. Any console error, failed request or error message
fails the test."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from netvision.events.bus import Severity
from netvision.events.catalog import make_event
from netvision.store import Statistics
from netvision.store.columns import EXTENDED_KEYS
from tests.integration.test_web_helpers import ADMIN_PASSWORD, READER_PASSWORD

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
WAIT_MS = 20_000
MANUAL_TIME = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")
HH_MM = re.compile(r"(\d{2}/\d{2} )?\d{2}:\d{2}$")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


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


async def new_page(browser: Any, width: int = 1280, height: int = 860, expected: tuple[str, ...] = ()) -> Any:
    """A page that records script errors, console errors, failed requests and error answers
    (except those in ``expected``, parts of addresses a test provokes on purpose)."""
    context = await browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console", lambda message: message.type == "error" and problems.append(f"console: {message.text}")
    )

    def failed(request: Any) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" not in failure:  # a page left while its live stream was open
            problems.append(f"request failed: {request.url} {failure}")

    def answered(response: Any) -> None:
        if response.status >= 400 and not any(part in response.url for part in expected):
            problems.append(f"HTTP {response.status}: {response.url}")

    page.on("requestfailed", failed)
    page.on("response", answered)
    page.problems = problems
    return page


async def log_in(page: Any, base: str, user: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=user]", user)
    await page.fill("input[name=password]", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(lambda url: "/login" not in url, timeout=WAIT_MS)


async def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name), full_page=True)


async def no_error_message(page: Any) -> None:
    message = await page.query_selector("#message.error:not([hidden])")
    assert message is None, await message.inner_text()


def seed(web: Any) -> None:
    """Two days of history (one record a minute), extended records every hour, UPS events."""
    store = web.daemon.store
    now = datetime.now(UTC)
    for minute in range(2 * 24 * 60, -1, -1):
        store.add_history(
            now - timedelta(minutes=minute),
            {
                "input_voltage_l1": 229.0 + minute % 3, "input_voltage_l2": 231.0, "input_voltage_l3": 230.0,
                "output_voltage_l1": 230.0, "output_voltage_l2": 230.0, "output_voltage_l3": 230.0,
                "input_frequency": 50.0, "load_rate": 45.0 + minute % 3, "load_rate_l1": 46.0,
                "battery_capacity": 100.0, "ambient_temperature": 22.5,
            },
        )  # fmt: skip
    for hour in range(48, 0, -1):
        start = now - timedelta(hours=hour)
        stats = {key: Statistics(220.0 + hour % 5, 230.0, 240.0 - hour % 4) for key in EXTENDED_KEYS}
        store.add_extended(start, start + timedelta(hours=1), 60, stats)
    for index in range(12):
        level = (Severity.INFORMATION, Severity.WARNING, Severity.CRITICAL)[index % 3]
        store.add_event(
            make_event(
                "ups.alarm_added",
                time=now - timedelta(minutes=30 - index),
                severity=level,
                description=f"Alarm {index}",
                description_fr=f"Alarme {index}",
            )
        )


async def page_info(page: Any) -> str:
    return await page.inner_text(".pager[data-pager=top] .page-info")


async def wait_info(page: Any, text: str) -> None:
    await page.wait_for_function(
        "text => document.querySelector('.pager[data-pager=top] .page-info').textContent.startsWith(text)",
        arg=text,
    )


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_event_log_pages_sort_filter_and_show(make_web, browser, language: str) -> None:
    web = await make_web()
    seed(web)
    await web.daemon.store.flush()
    web.accounts.set_language("admin", language)
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    words = {
        "en": ("Page", "of", "No record", "“to” must not be before “from”", "Critical"),
        "fr": ("Page", "sur", "Aucun enregistrement", "« au » ne doit pas précéder « du »", "Critique"),
    }[language]
    await page.goto(web.http + "/logs/ups")
    await wait_info(page, f"{words[0]} 1 {words[1]} 3")
    rows = await page.query_selector_all("#log-table tbody tr")
    assert len(rows) == 5  # the manual's 5 records by default
    await screenshot(page, f"logs_ups_{language}.png")
    first_time = await page.inner_text("#log-table tbody tr:first-child td:first-child")
    assert MANUAL_TIME.match(first_time), first_time
    assert await page.is_disabled(".pager[data-pager=top] [data-go=previous]")
    await page.click(".pager[data-pager=top] [data-go=next]")
    await wait_info(page, f"{words[0]} 2 {words[1]} 3")
    await page.click(".pager[data-pager=bottom] [data-go=next]")
    await wait_info(page, f"{words[0]} 3 {words[1]} 3")
    assert 1 <= len(await page.query_selector_all("#log-table tbody tr")) <= 5
    await page.click(".pager[data-pager=top] [data-go=previous]")
    await wait_info(page, f"{words[0]} 2 {words[1]} 3")
    await page.click(".pager[data-pager=top] [data-go=first]")
    await wait_info(page, f"{words[0]} 1 {words[1]} 3")
    await page.click(".pager[data-pager=top] [data-go=last]")
    await wait_info(page, f"{words[0]} 3 {words[1]} 3")
    # A click elsewhere on the page changes nothing (the body carries data-page too).
    await page.click("h1")
    await wait_info(page, f"{words[0]} 3 {words[1]} 3")
    # Sort by level: the most severe first, then the other way round.
    await page.click("button.sort[data-sort=severity]")
    await page.wait_for_function(
        "() => document.querySelector('#log-table tbody tr').className === 'level-C'"
    )
    assert words[4] in await page.inner_text("#log-table tbody tr:first-child")
    await page.click("button.sort[data-sort=severity]")
    await page.wait_for_function(
        "() => document.querySelector('#log-table tbody tr').className === 'level-I'"
    )
    assert await page.get_attribute("th[data-sort-col=severity]", "aria-sort") == "ascending"
    await page.click("button.sort[data-sort=time]")
    await wait_info(page, f"{words[0]} 1 {words[1]} 3")
    # Count per page, then a date range with nothing in it, a wrong range, and back.
    await page.select_option("#log-per-page", "10")
    await wait_info(page, f"{words[0]} 1 {words[1]} 2")
    assert len(await page.query_selector_all("#log-table tbody tr")) == 10
    # Dates are typed as the manual writes them, dd/mm/yyyy.
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).strftime("%d/%m/%Y")
    today = datetime.now(UTC).strftime("%d/%m/%Y")
    await page.fill("#log-start", tomorrow)
    await page.click("#log-show")
    await page.wait_for_selector("#log-table tbody tr.empty")
    assert words[2] in await page.inner_text("#log-table tbody")
    await page.fill("#log-end", today)
    await page.click("#log-show")
    await page.wait_for_selector("#message.error:not([hidden])")
    assert await page.inner_text("#message") == words[3]
    assert await page.get_attribute("#log-end", "aria-invalid") == "true"
    await page.fill("#log-start", "")
    await page.fill("#log-end", "")
    await page.click("#log-show")
    await page.wait_for_selector(
        "#log-table tbody tr.level-C, #log-table tbody tr.level-W, #log-table tbody tr.level-I"
    )
    await no_error_message(page)
    await page.goto(web.http + "/logs/netvision")
    await page.wait_for_selector("#log-table tbody tr")
    assert "admin" in await page.inner_text("#log-table tbody")
    await no_error_message(page)
    assert page.problems == []


async def test_history_graphs_have_axes_units_legend_readout_and_every_period(make_web, browser) -> None:
    web = await make_web()
    seed(web)
    await web.daemon.store.flush()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.goto(web.http + "/logs/history")
    await page.wait_for_selector("#log-graph figure.chart")
    await page.wait_for_selector("#log-table tbody tr")
    assert len(await page.query_selector_all("#log-table tbody tr")) == 5
    assert "Input Voltage" in await page.inner_text("#log-table thead")
    # One panel per kind of quantity; the load scale is 0-100 %, voltages share theirs.
    units = await page.eval_on_selector_all("#log-graph figure.chart", "els => els.map(e => e.dataset.unit)")
    assert units[:2] == ["%", "V"] and "Hz" in units and "°C" in units
    percent = await page.eval_on_selector_all(
        "#log-graph figure[data-unit='%'] .tick-label:not(.time-label)", "els => els.map(e => e.textContent)"
    )
    assert percent[0] == "0" and percent[-1] == "100"
    legend = await page.inner_text("#log-graph figure[data-unit=V] .legend")
    assert "Input voltage L1 (V)" in legend and "Output voltage L3 (V)" in legend
    assert "input_voltage" not in await page.inner_text("#log-graph")
    times = await page.eval_on_selector_all("#log-graph .time-label", "els => els.map(e => e.textContent)")
    assert len(times) >= 3 and all(HH_MM.match(text) for text in times), times
    # Hover: the value of every series of the panel at that time.
    svg = await page.query_selector("#log-graph figure[data-unit=V] svg")
    await svg.scroll_into_view_if_needed()
    box = await svg.bounding_box()
    await page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
    readout = await page.wait_for_selector("#log-graph figure[data-unit=V] .readout:not([hidden])")
    text = await readout.inner_text()
    assert re.search(r"Input voltage L1: 2\d\d(\.\d)? V", text), text
    assert MANUAL_TIME.match(text.splitlines()[0]), text
    await screenshot(page, "logs_history_graph.png")
    # Every period of the manual, then a custom one.
    for preset in ("1h", "3h", "6h", "12h", "1d", "30m"):
        async with page.expect_response(lambda r, p=preset: f"range={p}" in r.url and r.status == 200):
            await page.check(f"input[name=range][value='{preset}']")
        await page.wait_for_selector("#log-graph figure.chart")
    days = await page.eval_on_selector_all("#log-graph .time-label", "els => els.map(e => e.textContent)")
    assert all(HH_MM.match(text) for text in days)
    await page.check("input[name=range][value=custom]")
    await page.wait_for_selector("#custom-range:not([hidden])")
    start = (datetime.now(UTC) - timedelta(hours=40)).strftime("%d/%m/%Y %H:%M")
    await page.fill("#graph-start-time", start)
    async with page.expect_response(lambda r: "range=custom" in r.url and r.status == 200):
        await page.click("#graph-change")
    await page.wait_for_selector("#log-graph figure.chart")
    long_labels = await page.eval_on_selector_all(
        "#log-graph .time-label", "els => els.map(e => e.textContent)"
    )
    assert any("/" in label for label in long_labels), long_labels  # dates on a long period
    # A wrong custom range is refused in the page, naming the field.
    await page.fill("#graph-end-time", (datetime.now(UTC) - timedelta(hours=50)).strftime("%Y-%m-%dT%H:%M"))
    await page.click("#graph-change")
    await page.wait_for_selector("#message.error:not([hidden])")
    assert "End" in await page.inner_text("#message")
    assert await page.get_attribute("#graph-end-time", "aria-invalid") == "true"
    # Groups: only the UPS information left.
    await page.uncheck("input[name=group][value=input]")
    await page.uncheck("input[name=group][value=output]")
    await page.check("input[name=range][value='1h']")
    await page.wait_for_function("() => !document.querySelector('#log-graph figure[data-unit=V]')")
    assert await page.query_selector("#log-graph figure[data-unit='°C']") is not None

    # The extended log: min / avg / max drawn as a band around the average.
    await page.goto(web.http + "/logs/extended")
    await page.check("input[name=range][value='1d']")
    await page.wait_for_selector("#log-graph figure[data-unit=V] path.band")
    svg = await page.query_selector("#log-graph figure[data-unit=V] svg")
    await svg.scroll_into_view_if_needed()
    box = await svg.bounding_box()
    await page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    readout = await page.wait_for_selector("#log-graph figure[data-unit=V] .readout:not([hidden])")
    assert re.search(r"230 V \(min 2\d\d, max 2\d\d\)", await readout.inner_text())
    await screenshot(page, "logs_extended_graph.png")
    await page.wait_for_selector("#log-table tbody tr")
    head = await page.inner_text("#log-table thead")
    assert "Start time" in head and "End time" in head and "min / avg / max" in head
    assert len(await page.query_selector_all("#log-table tbody tr")) == 5
    await page.check("input[name=range][value='30m']")
    await page.wait_for_selector("#log-graph figure.chart, #log-graph .no-data")
    await no_error_message(page)
    assert page.problems == []


async def test_history_graph_in_french_and_on_a_phone(make_web, browser) -> None:
    web = await make_web()
    seed(web)
    await web.daemon.store.flush()
    web.accounts.set_language("admin", "fr")
    page = await new_page(browser, width=390, height=844)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.goto(web.http + "/logs/history")
    await page.wait_for_selector("#log-graph figure.chart")
    assert "Tension d'entrée L1 (V)" in await page.inner_text("#log-graph")
    assert "Informations d'entrée" in await page.inner_text("#graph-range")
    svg = await page.query_selector("#log-graph figure[data-unit='%'] svg")
    await svg.scroll_into_view_if_needed()
    box = await svg.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    await page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + 40)
    readout = await page.wait_for_selector("#log-graph figure[data-unit='%'] .readout:not([hidden])")
    assert re.search(r"Charge en sortie : 4[5-7] %", await readout.inner_text())
    await screenshot(page, "logs_history_phone_fr.png")
    overflow = (
        "() => document.querySelector('#main').scrollWidth - document.querySelector('#main').clientWidth"
    )
    assert await page.evaluate(overflow) <= 1
    # Every log page and the real-time graph in French on a phone: French headings, nothing wider than the screen.
    for path, selector, word in (
        ("/logs/extended", "#log-table tbody tr", "Heure de début"),
        ("/logs/ups", "#log-table tbody tr", "Niveau de l'événement"),
        ("/logs/netvision", "#log-table tbody tr", "Description de l'événement"),
        ("/logs/clear", "[data-count=ups]:not(:empty)", "Enregistrements"),
        ("/graph", "#graph-start", "Démarrer l'acquisition"),
    ):
        await page.goto(web.http + path)
        await page.wait_for_selector(selector)
        await page.wait_for_function("w => document.querySelector('#main').innerText.includes(w)", arg=word)
        assert await page.evaluate(overflow) <= 1, path
        await no_error_message(page)
    await page.click("#graph-start")
    await page.wait_for_selector("#charts figure.chart")
    assert await page.evaluate(overflow) <= 1
    assert page.problems == []


async def test_csv_for_admin_and_clear_with_confirmation(make_web, browser) -> None:
    web = await make_web()
    seed(web)
    await web.daemon.store.flush()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.goto(web.http + "/logs/ups")
    await page.wait_for_selector("#log-table tbody tr")
    async with page.expect_download() as download_info:
        await page.click("#log-csv")
    assert "Alarm 3" in open(await (await download_info.value).path(), encoding="utf-8").read()

    records = await web.daemon.store.count("ups")
    assert records >= 12
    await page.goto(web.http + "/logs/clear")
    await page.wait_for_function(
        "n => document.querySelector('[data-count=ups]').textContent === n", arg=str(records)
    )
    await page.click("button[data-clear=ups]")
    await page.wait_for_selector("#confirm-dialog[open]")
    assert str(records) in await page.inner_text("#confirm-text")
    await page.click("#confirm-cancel")
    await page.wait_for_selector("#confirm-dialog", state="hidden")
    await web.daemon.store.flush()
    assert await web.daemon.store.count("ups") == records  # cancelled: the records stay
    await page.click("button[data-clear=ups]")
    await page.click("#confirm-ok")
    await page.wait_for_function(
        "() => document.querySelector('#message').textContent === 'UPS event log cleared'"
    )
    await page.wait_for_function("() => document.querySelector('[data-count=ups]').textContent === '0'")
    await page.goto(web.http + "/logs/ups")
    await page.wait_for_selector("#log-table tbody tr.empty")
    await no_error_message(page)

    status = await page.evaluate(
        """async () => (await fetch('/api/v1/account', {method: 'PATCH',
            headers: {'Content-Type': 'application/json',
                      'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
            body: JSON.stringify({language: 'fr'})})).status"""
    )
    assert status == 200
    await page.goto(web.http + "/logs/clear")
    await page.wait_for_function("() => document.querySelector('[data-count=history]').textContent !== ''")
    await page.click("button[data-clear=history]")
    assert "Historique ASI" in await page.inner_text("#confirm-text")
    await page.click("#confirm-ok")
    await page.wait_for_function(
        "() => document.querySelector('#message').textContent === 'Historique effacé'"
    )
    assert page.problems == []


async def test_read_only_sees_no_csv_and_the_api_refuses_it(make_web, browser) -> None:
    web = await make_web()
    seed(web)
    await web.daemon.store.flush()
    page = await new_page(browser, expected=("/csv",))
    await log_in(page, web.http, "reader", READER_PASSWORD)
    for path in ("/logs/history", "/logs/extended", "/logs/ups", "/logs/netvision"):
        await page.goto(web.http + path)
        await page.wait_for_selector("#log-table tbody tr")
        assert await page.query_selector("a[href*='/csv']") is None, path
    status = await page.evaluate("async () => (await fetch('/api/v1/logs/ups/csv')).status")
    assert status == 403
    await page.goto(web.http + "/logs/clear")
    await page.wait_for_function("() => document.querySelector('[data-count=ups]').textContent !== ''")
    assert await page.query_selector("button[data-clear]") is None
    assert await page.query_selector("a[href*='/csv']") is None
    # the one refusal provoked above, which the browser also reports in its console
    problems = [p for p in page.problems if "/csv" not in p and "status of 403" not in p]
    assert problems == []


async def test_real_time_graph_draws_scanned_values_with_names_and_readout(make_web, browser) -> None:
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.goto(web.http + "/graph")
    await page.click("#graph-start")
    await page.wait_for_selector("#charts figure.chart")
    assert "load_rate" not in await page.inner_text("#charts")
    assert "Output load L1 (%)" in await page.inner_text("#charts .legend")
    percent = await page.eval_on_selector_all(
        "#charts figure[data-unit='%'] .tick-label:not(.time-label)", "els => els.map(e => e.textContent)"
    )
    assert percent[0] == "0" and percent[-1] == "100"
    await page.check("input[name=series][value=output_voltage_l1]")
    await page.wait_for_selector("#charts figure[data-unit=V]")
    await page.click("#graph-stop")
    svg = await page.query_selector("#charts figure[data-unit='%'] svg")
    await svg.scroll_into_view_if_needed()
    box = await svg.bounding_box()
    await page.mouse.move(box["x"] + box["width"] - 20, box["y"] + box["height"] / 2)
    readout = await page.wait_for_selector("#charts figure[data-unit='%'] .readout:not([hidden])")
    assert re.search(r"Output load L1: \d+(\.\d)? %", await readout.inner_text())
    await screenshot(page, "graph_real_time.png")
    # New values redraw the chart; the readout stays where it was.
    await page.click("#graph-start")
    await page.mouse.move(box["x"] + box["width"] - 20, box["y"] + box["height"] / 2)
    await page.wait_for_selector("#charts figure[data-unit='%'] .readout:not([hidden])")
    paths = await page.eval_on_selector("#charts figure[data-unit='%'] path.line", "p => p.getAttribute('d')")
    await page.wait_for_function(
        "d => document.querySelector(\"#charts figure[data-unit='%'] path.line\").getAttribute('d') !== d",
        arg=paths,
        timeout=WAIT_MS,
    )
    assert await page.is_visible("#charts figure[data-unit='%'] .readout")
    assert page.problems == []


async def test_chart_scales_keep_small_changes_small(make_web, browser) -> None:
    """The chart's own arithmetic, run in the page: 45-47 % on a 0-100 % scale, a volt or two
    on a span of tens of volts, round ticks, time ticks on round minutes."""
    web = await make_web()
    page = await new_page(browser)
    await log_in(page, web.http, "admin", ADMIN_PASSWORD)
    await page.goto(web.http + "/graph")
    result = await page.evaluate(
        """async () => {
            const chart = await import('/static/js/chart.js');
            const clock = chart.makeClock({zone: 'Europe/Paris', dst: 'auto', offset_minutes: 60});
            const start = Date.UTC(2026, 0, 15, 9, 7), end = start + 3 * 3600e3;
            return {
                load: chart.valueDomain('%', [45, 46, 47]),
                volts: chart.valueDomain('V', [229, 230, 231]),
                hertz: chart.valueDomain('Hz', [49.9, 50.1]),
                amps: chart.valueDomain('A', [12, 13]),
                ticks: chart.niceTicks(0, 97, 4),
                time: chart.timeTicks(start, end, 600, clock),
                full: clock.full(start),
            };
        }"""
    )
    assert (result["load"]["lo"], result["load"]["hi"]) == (0, 100)
    assert result["volts"]["hi"] - result["volts"]["lo"] >= 40 and result["volts"]["lo"] <= 210
    assert result["hertz"]["lo"] <= 45 and result["hertz"]["hi"] >= 55
    assert result["amps"]["lo"] == 0
    assert result["ticks"]["ticks"] == [0, 25, 50, 75, 100]
    assert result["full"] == "15/01/2026 10:07:00"  # Paris time in winter
    assert result["time"]["labels"][0] in ("10:15", "10:30", "11:00")
    assert all(re.match(r"\d\d:(00|15|30|45)$", label) for label in result["time"]["labels"])
    assert page.problems == []
