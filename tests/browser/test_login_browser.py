"""The login page in headless Chromium: a refusal in words in English and French, the
keyboard alone, and the form without its script."""

from __future__ import annotations

from typing import Any

from tests.browser.test_web_browser import WAIT_MS, browser, new_page, screenshot  # noqa: F401 (fixture)
from tests.integration.test_web_helpers import ADMIN_PASSWORD, READER_PASSWORD

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

WRONG = "Wrong1234567!"


def requests_of(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


async def type_and_press_enter(page: Any, user: str, password: str) -> None:
    """Only the keyboard: the user field has the focus, Tab to the password, Enter."""
    await page.keyboard.type(user)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")


async def test_a_wrong_password_says_so_in_english_and_in_french(make_web, browser) -> None:  # noqa: F811
    web = await make_web()
    page = await new_page(browser)
    seen = requests_of(page)
    await page.goto(web.http + "/login")
    assert await page.evaluate("document.activeElement.name") == "user"
    await type_and_press_enter(page, "admin", WRONG)
    await page.wait_for_function(
        "() => document.querySelector('#login-error').textContent === 'Invalid user name or password'",
        timeout=WAIT_MS,
    )
    assert await page.input_value("input[name=user]") == "admin"
    assert await page.input_value("input[name=password]") == ""  # cleared, focus back on it
    assert await page.evaluate("document.activeElement.name") == "password"
    assert not any(WRONG in url for url in seen)
    await screenshot(page, "login_wrong_password_en.png")
    # Enter submits the right password too.
    await page.keyboard.type(ADMIN_PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#synoptic", timeout=WAIT_MS)
    assert page.errors == []

    await web.daemon.settings_manager.change({"system.language": "fr"}, via="test", by="test")
    french = await new_page(browser)
    await french.goto(web.http + "/login")
    assert await french.get_attribute("html", "lang") == "fr"
    assert await french.inner_text("h1") == "Connexion"
    await type_and_press_enter(french, "admin", WRONG)
    await french.wait_for_function(
        "() => document.querySelector('#login-error').textContent === "
        '"Nom d\'utilisateur ou mot de passe incorrect"',
        timeout=WAIT_MS,
    )
    await screenshot(french, "login_wrong_password_fr.png")
    assert french.errors == []


async def test_without_scripts_the_form_posts_and_the_server_answers_in_words(make_web, browser) -> None:  # noqa: F811
    web = await make_web()
    web.accounts.put_user("reader", "disabled")
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    seen = requests_of(page)
    await page.goto(web.http + "/login")
    async with page.expect_navigation():
        await type_and_press_enter(page, "admin", WRONG)
    assert "Invalid user name or password" in await page.inner_text("#login-error")
    await page.fill("input[name=user]", "reader")
    await page.fill("input[name=password]", READER_PASSWORD)
    async with page.expect_navigation():
        await page.press("input[name=password]", "Enter")
    assert "This account is disabled" in await page.inner_text("#login-error")
    assert not any(WRONG in url or READER_PASSWORD in url for url in seen)  # never in an address
    await page.fill("input[name=user]", "admin")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url(web.http + "/", timeout=WAIT_MS)
    assert await page.locator("#synoptic").count() == 1
    await context.close()


async def test_every_control_of_the_login_page_has_a_name(make_web, browser) -> None:  # noqa: F811
    web = await make_web()
    page = await new_page(browser)
    await page.goto(web.http + "/login")
    unnamed = await page.evaluate(
        """() => Array.from(document.querySelectorAll('input:not([type=hidden]), button, select'))
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !(el.tagName === 'BUTTON' && el.textContent.trim()))
            .map((el) => el.outerHTML)"""
    )
    assert unnamed == []


async def test_the_login_box_keeps_its_width_and_fits_a_phone(make_web, browser) -> None:  # noqa: F811
    web = await make_web()
    for width, height, name in ((1440, 900, "login_desktop.png"), (390, 844, "login_phone.png")):
        context = await browser.new_context(viewport={"width": width, "height": height})
        page = await context.new_page()
        await page.goto(web.http + "/login")
        box = await page.locator(".login-box").bounding_box()
        assert box is not None and box["width"] <= 380 and box["x"] > 0
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await screenshot(page, name)
        await context.close()
