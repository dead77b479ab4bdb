"""Every page of the web UI, as admin, in English and French, on a desktop (1440×900) and a
phone (390×844), in headless Chromium: no console error, no failed request, no error banner,
no sideways scroll, no critical or serious axe-core violation, and in French no
English label left. A screenshot of each page, language and size goes to tests/artifacts/walk/.

The pages are found in the application's router (GET routes that answer HTML), so a new page
is walked without changing this file.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from netvision.i18n import en, fr
from tests.integration.test_web_helpers import ADMIN_PASSWORD

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "walk"
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
LOGIN = "/login"
SETTLE_MS = 250  # a page is ready once no request (but the live stream) is pending this long
READY_TIMEOUT_S = 8.0

# Pages allowed to fail a check, with the reason: (path, check, why). None today.
# Checks: console, request, error-banner, markup, scroll, axe, english, lang, landmarks.
# The test warns about an entry that no longer fails.
KNOWN_FAILURES: list[tuple[str, str, str]] = []


@dataclass
class Problem:
    path: str
    check: str
    language: str
    size: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path} [{self.language}, {self.size}] {self.check}: {self.detail}"


@dataclass
class Recorder:
    """What the browser reports while one page is shown."""

    base: str
    events: list[tuple[str, str]] = field(default_factory=list)
    pending: set[Any] = field(default_factory=set)
    last_activity: float = 0.0

    def attach(self, page: Any) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.events.append(("console", f"uncaught: {error}")))
        page.on("request", self.on_request)
        page.on("requestfinished", self.on_done)
        page.on("requestfailed", self.on_failed)
        page.on("response", self.on_response)

    def reset(self) -> None:
        self.events.clear()
        self.pending.clear()
        self.last_activity = time.monotonic()

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.events.append(("console", message.text))

    @staticmethod
    def is_stream(request: Any) -> bool:
        return request.url.endswith("/api/v1/live")

    def on_request(self, request: Any) -> None:
        if not self.is_stream(request):
            self.pending.add(request)
        self.last_activity = time.monotonic()

    def on_done(self, request: Any) -> None:
        self.pending.discard(request)
        self.last_activity = time.monotonic()

    def on_failed(self, request: Any) -> None:
        self.on_done(request)
        failure = request.failure or ""
        # Leaving a page cancels its live stream and the requests still under way.
        if failure == "net::ERR_ABORTED":
            return
        self.events.append(("request", f"{request.method} {self.short(request.url)} failed: {failure}"))

    def on_response(self, response: Any) -> None:
        if response.status >= 400:
            request = response.request
            self.events.append(
                ("request", f"{request.method} {self.short(response.url)} answered {response.status}")
            )

    def short(self, url: str) -> str:
        return url.removeprefix(self.base)

    async def settle(self) -> None:
        """Wait until the page's own requests are done (the live stream stays open)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.pending and time.monotonic() - self.last_activity >= SETTLE_MS / 1000:
                return
            await asyncio.sleep(0.05)


def page_paths(app: Any) -> list[str]:
    """The GET routes of the application outside the API and the static files, with the
    alternatives of a pattern like ``/logs/{log:ups|netvision}`` expanded."""
    paths: list[str] = []
    for resource in app.router.resources():
        if not any(route.method == "GET" for route in resource):
            continue
        info = resource.get_info()
        if "path" in info:
            candidates = [info["path"]]
        elif "formatter" in info:
            candidates = expand(resource.canonical, info["pattern"].pattern)
        else:
            continue  # static files
        paths += [path for path in candidates if not path.startswith(("/api/", "/static/"))]
    return sorted(set(paths), key=lambda path: (path != "/", path))


def expand(canonical: str, pattern: str) -> list[str]:
    """The paths of a variable route whose variables list their values (``{log:ups|netvision}``)."""
    groups = re.findall(r"\(\?P<(\w+)>([^()]*)\)", pattern)
    choices = []
    for name, alternatives in groups:
        values = alternatives.split("|")
        if not all(re.fullmatch(r"[\w.-]+", value) for value in values):
            return []  # a free variable (a user name...): no page to walk without an example
        choices.append([(name, value) for value in values])
    paths = []
    for combination in itertools.product(*choices):
        path = canonical
        for name, value in combination:
            path = path.replace("{" + name + "}", value)
        paths.append(path)
    return paths


def english_only_labels() -> list[str]:
    """English label values that must not appear on a French page: at least two words,
    different from their French value, and not part of any French label (a product name
    kept in French, "SNMP v1"...). Values with placeholders are left out."""
    french_values = list(fr.LABELS.values())
    labels = set()
    for key, english in en.LABELS.items():
        if english == fr.LABELS.get(key) or "{" in english or len(english.split()) < 2:
            continue
        if any(english in french for french in french_values):
            continue
        labels.add(english)
    return sorted(labels)


# HTML escaped twice shows its tags as text.
MARKUP = re.compile(
    r"</?(?:a|p|div|span|section|table|tr|td|th|form|label|input|button|select|ul|li|h\d)\b[^<>\n]{0,80}>"
)

VISIBLE_TEXT = """() => {
  const parts = [document.body.innerText];
  for (const node of document.querySelectorAll('[aria-label], [title], [placeholder], input[type=submit], input[type=button]')) {
    for (const name of ['aria-label', 'title', 'placeholder']) if (node.getAttribute(name)) parts.push(node.getAttribute(name));
    if (node.matches('input[type=submit], input[type=button]')) parts.push(node.value);
  }
  parts.push(document.title);
  return parts.join('\\n');
}"""

ERROR_BANNERS = """() => {
  const visible = (node) => !!(node.offsetWidth || node.offsetHeight || node.getClientRects().length)
    && getComputedStyle(node).visibility !== 'hidden';
  const found = [];
  const message = document.querySelector('#message.error');
  if (message && !message.hidden && visible(message)) found.push('#message: ' + message.textContent.trim());
  for (const node of document.querySelectorAll('.error')) {
    if (node !== message && visible(node) && node.textContent.trim()) found.push(node.textContent.trim());
  }
  return found;
}"""

SIDEWAYS = """() => {
  const root = document.scrollingElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  // Name what sticks out, to say where to look.
  const wide = [...document.body.querySelectorAll('*')].filter((node) => node.getBoundingClientRect().right > root.clientWidth + 1)
    .filter((node) => !node.parentElement || node.parentElement.getBoundingClientRect().right <= root.clientWidth + 1)
    .slice(0, 4).map((node) => node.tagName.toLowerCase() + (node.id ? '#' + node.id : '')
      + (node.className && typeof node.className === 'string' ? '.' + node.className.trim().split(/\\s+/).join('.') : ''));
  return `${root.scrollWidth} px wide for ${root.clientWidth} px (${wide.join(', ')})`;
}"""

LANDMARKS = """() => ['header', 'nav', 'main'].filter((name) => !document.querySelector(name))"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')), count: v.nodes.length}));
}"""


class Walk:
    def __init__(self, base: str, axe_source: str, language: str) -> None:
        self.base = base
        self.axe_source = axe_source
        self.language = language
        self.problems: list[Problem] = []
        self.english = english_only_labels() if language == "fr" else []

    async def visit(
        self, page: Any, recorder: Recorder, path: str, size: str, *, logged_in: bool = True
    ) -> None:
        recorder.reset()
        response = await page.goto(self.base + path, wait_until="load")
        problems: list[tuple[str, str]] = []
        if response is None or response.status != 200:
            problems.append(("request", f"the page answered {response.status if response else 'nothing'}"))
        elif self.base + path != page.url:
            problems.append(("request", f"went to {recorder.short(page.url)}"))
        await recorder.settle()
        for banner in await page.evaluate(ERROR_BANNERS):
            problems.append(("error-banner", banner))
        sideways = await page.evaluate(SIDEWAYS)
        if sideways:
            problems.append(("scroll", sideways))
        if logged_in:
            for name in await page.evaluate(LANDMARKS):
                problems.append(("landmarks", f"no <{name}>"))
        for violation in await self.axe(page):
            where = "; ".join(violation["targets"])
            problems.append(
                (
                    "axe",
                    f"{violation['impact']} {violation['id']} ({violation['help']}) on {violation['count']}: {where}",
                )
            )
        lang = await page.evaluate("() => document.documentElement.lang")
        if lang != self.language:
            problems.append(("lang", f"<html lang={lang!r}> on a page in {self.language!r}"))
        text = await page.evaluate(VISIBLE_TEXT)
        markup = MARKUP.findall(text)
        if markup:
            problems.append(("markup", "HTML shown as text: " + ", ".join(dict.fromkeys(markup[:5]))))
        if self.english:
            left = [
                english for english in self.english if re.search(rf"(?<!\w){re.escape(english)}(?!\w)", text)
            ]
            if left:
                problems.append(("english", ", ".join(repr(english) for english in left[:8])))
        problems += recorder.events  # last: what the checks themselves may have caused
        for check, detail in dict.fromkeys(problems):
            self.problems.append(Problem(path, check, self.language, size, detail))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        slug = path.strip("/").replace("/", "-") or "home"
        await page.screenshot(path=str(ARTIFACTS / f"{slug}.{self.language}.{size}.png"), full_page=True)

    async def axe(self, page: Any) -> list[dict[str, Any]]:
        # Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') stays
        # in force for the page's own scripts and styles, and a script tag is not needed.
        await page.evaluate(self.axe_source + "\n;undefined")
        return await page.evaluate(AXE_RUN)


async def new_context(chromium: Any, size: str, language: str = "en", **options: Any) -> Any:
    return await chromium.new_context(
        viewport=SIZES[size],
        locale="fr-FR" if language == "fr" else "en-GB",
        # French pages are walked in the dark colour scheme, English ones in the light one.
        color_scheme="dark" if language == "fr" else "light",
        is_mobile=size == "phone",
        has_touch=size == "phone",
        reduced_motion="reduce",
        **options,
    )


async def open_page(context: Any, base: str) -> tuple[Any, Recorder]:
    page = await context.new_page()
    recorder = Recorder(base)
    recorder.attach(page)
    return page, recorder


async def html_pages(context: Any, base: str, paths: list[str]) -> list[str]:
    """The paths that answer a logged-in GET with an HTML page (not a redirect)."""
    found = []
    for path in paths:
        response = await context.request.get(base + path, max_redirects=0)
        if response.status == 200 and response.headers.get("content-type", "").startswith("text/html"):
            found.append(path)
    return found


def report(problems: list[Problem]) -> list[str]:
    """The problems not listed in KNOWN_FAILURES; warns about known failures that are gone."""
    known = {(path, check) for path, check, _ in KNOWN_FAILURES}
    failing = {(problem.path, problem.check) for problem in problems}
    for key in sorted(known - failing):
        warnings.warn(f"KNOWN_FAILURES entry {key} no longer fails: remove it", stacklevel=2)
    return [str(problem) for problem in problems if (problem.path, problem.check) not in known]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_every_page_in_both_sizes(make_web, chromium, axe_source, language) -> None:
    web = await make_web()
    if language != "en":
        await web.daemon.settings_manager.change({"system.language": language}, via="test", by="test")
    walk = Walk(web.http, axe_source, language)
    desktop = await new_context(chromium, "desktop", language)
    page, recorder = await open_page(desktop, web.http)
    await walk.visit(page, recorder, LOGIN, "desktop", logged_in=False)
    await page.fill("input[name=user]", "admin")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(web.http + "/")
    paths = await html_pages(desktop, web.http, page_paths(web.service.app))
    assert "/" in paths and "/logs/ups" in paths, paths
    menu = await page.eval_on_selector_all("#menu a:not([target])", "links => links.map((a) => a.pathname)")
    assert set(menu) <= set(paths), f"menu entries the walk does not find: {set(menu) - set(paths)}"
    for path in paths:
        await walk.visit(page, recorder, path, "desktop")

    # The phone: the same session (its cookie), and the login page in a context of its own.
    phone = await new_context(chromium, "phone", language, storage_state=await desktop.storage_state())
    page, recorder = await open_page(phone, web.http)
    for path in paths:
        await walk.visit(page, recorder, path, "phone")
    outside = await new_context(chromium, "phone", language)
    page, recorder = await open_page(outside, web.http)
    await walk.visit(page, recorder, LOGIN, "phone", logged_in=False)
    for context in (desktop, phone, outside):
        await context.close()

    left = report(walk.problems)
    assert not left, f"{len(left)} problem(s) on {len(paths) + 1} pages:\n" + "\n".join(left)


async def test_on_a_phone_the_content_comes_first_and_the_menu_folds_away(make_web, chromium) -> None:
    web = await make_web()
    context = await new_context(chromium, "phone")
    page, recorder = await open_page(context, web.http)
    await page.goto(web.http + LOGIN)
    await page.fill("input[name=user]", "admin")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(web.http + "/")
    await page.goto(web.http + "/alarms")
    menu, main, toggle = page.locator("#menu"), page.locator("#main"), page.locator("#menu-toggle")
    assert await menu.is_hidden() and await toggle.is_visible()
    header = await page.locator("header").bounding_box()
    assert header is not None and header["height"] <= 110, header  # the header wraps compactly
    title = await page.locator("main h1").bounding_box()
    assert title is not None and title["y"] < 844 / 3, title  # the page's own content, at the top
    await toggle.click()
    assert await menu.is_visible() and await toggle.get_attribute("aria-expanded") == "true"
    assert await page.evaluate("() => document.activeElement.closest('#menu') !== null")
    menu_box, main_box = await menu.bounding_box(), await main.bounding_box()
    assert menu_box is not None and main_box is not None and menu_box["y"] < main_box["y"]
    await page.keyboard.press("Escape")
    assert await menu.is_hidden() and await toggle.get_attribute("aria-expanded") == "false"
    assert await page.evaluate("() => document.activeElement.id") == "menu-toggle"
    await toggle.click()
    await page.click("#menu a[href='/dashboard']")
    await page.wait_for_url(web.http + "/dashboard")
    assert await menu.is_hidden()  # folded again on the next page

    # The skip link is the first stop of the keyboard and leads to the page's content.
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    assert await page.locator(".skip-link").is_visible()
    await page.keyboard.press("Enter")
    assert await page.evaluate("() => document.activeElement.id") == "main"

    # On a desktop the menu is always there and the button is not.
    await page.set_viewport_size(SIZES["desktop"])
    assert await menu.is_visible() and await toggle.is_hidden()
    await context.close()
    assert [event for event in recorder.events if event[0] == "console"] == []
