"""The tables of rows of a list setting in headless Chromium (static/js/rows.js): the NUT
users are added, edited with their password kept, refused in words under the wrong field
and deleted after a confirmation, with the focus where the keyboard user expects it; a
trap receiver is edited with its community kept, then cleared; and on each of the five
pages an account that may not change the table gets no control to change it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_integrations_browser import message, open_page, settings
from tests.browser.test_web_browser import WAIT_MS, browser, log_in, new_page, screenshot  # noqa: F401
from tests.integration.test_web_helpers import READER_PASSWORD, WRITER_PASSWORD
from tests.integration.test_web_integrations import TRAP_COMMUNITY, with_snmp

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

LANGUAGES = pytest.mark.parametrize("language", ["en", "fr"])
NUT_PASSWORD = "Upsmon-Pass-51"
NAS_PASSWORD = "Nas-Pass-77"


def clean(page: Any) -> None:
    assert page.errors == [] and page.failed == []


async def forget_message(page: Any) -> None:
    """Hide the last message, so that waiting for the next one does not find it."""
    await page.evaluate("() => { document.querySelector('#message').hidden = true; }")


async def focused(page: Any) -> dict[str, str]:
    """What has the focus: its name, the row it is in, whether it is a Delete button."""
    return await page.evaluate(
        "() => { const node = document.activeElement; const row = node.closest('tr');"
        " return {name: node.name || '', row: row ? row.dataset.row : '',"
        " remove: node.hasAttribute('data-remove-row') ? 'yes' : 'no'}; }"
    )


@LANGUAGES
async def test_nut_users_are_added_edited_and_deleted_their_passwords_kept(
    make_web,
    browser,  # noqa: F811
    language,
) -> None:
    web = await make_web()
    await web.daemon.settings_manager.change(
        {"nut.users": [{"name": "upsmon", "password": NUT_PASSWORD, "rights": "monitor"}]},
        via="test",
        by="test",
    )
    hashed = settings(web).nut.users[0].password
    page = await open_page(web, browser, language, "/nut")
    assert NUT_PASSWORD not in await page.content() and hashed not in await page.content()
    # The password field is never filled in: it says the password is set.
    first = page.locator('#nut-users tr[data-row="0"]')
    assert await first.locator('[name="password"]').input_value() == ""
    assert await first.locator("[data-secret-state]").get_attribute("data-secret-state") == "set"

    # Added at the end, the new row's first field has the focus.
    await page.click("#nut-users-add")
    assert await focused(page) == {"name": "name", "row": "1", "remove": "no"}
    second = page.locator('#nut-users tr[data-row="1"]')
    await second.locator('[name="name"]').fill("bad name")
    await second.locator('[name="password"]').fill(NAS_PASSWORD)
    await page.click("#nut-users-form button[type=submit]")
    # Refused: the field is marked, and why is said in words under it.
    await second.locator('.field.invalid[data-field="name"]').wait_for(timeout=WAIT_MS)
    error = await second.locator('p.field-error[data-error-for="nut.users.1.name"]').inner_text()
    assert error.startswith({"en": "User 2", "fr": "Utilisateur 2"}[language]), error
    assert await focused(page) == {"name": "name", "row": "1", "remove": "no"}
    assert [user.name for user in settings(web).nut.users] == ["upsmon"]

    await second.locator('[name="name"]').fill("nas")
    await second.locator('[name="rights"]').select_option("instcmd")
    await page.click("#nut-users-form button[type=submit]")
    await message(page, {"en": "NUT users saved", "fr": "Utilisateurs NUT enregistrés"}[language])
    users = settings(web).nut.users
    assert [(user.name, user.rights) for user in users] == [("upsmon", "monitor"), ("nas", "instcmd")]
    assert users[0].password == hashed  # left empty: kept
    nas_hash = users[1].password
    assert nas_hash and nas_hash != NAS_PASSWORD  # stored hashed
    assert await second.locator('[name="password"]').input_value() == ""  # emptied once saved
    assert await second.locator("[data-secret-state]").get_attribute("data-secret-state") == "set"
    assert NAS_PASSWORD not in await page.content()

    # Edited: renamed and given more rights, both passwords left empty and kept.
    await first.locator('[name="name"]').fill("upsmon2")
    await first.locator('[name="rights"]').select_option("set")
    await forget_message(page)
    await page.click("#nut-users-form button[type=submit]")
    await message(page, {"en": "NUT users saved", "fr": "Utilisateurs NUT enregistrés"}[language])
    users = settings(web).nut.users
    assert [(u.name, u.rights, u.password) for u in users] == [
        ("upsmon2", "set", hashed),
        ("nas", "instcmd", nas_hash),
    ]

    # Deleted after a confirmation naming it; the focus goes to the next row's Delete.
    await first.locator("[data-remove-row]").click()
    assert "upsmon2" in await page.inner_text("#confirm-text")
    await page.click("#confirm-dialog[open] #confirm-cancel")
    assert await page.locator("#nut-users tbody tr[data-row]").count() == 2
    await first.locator("[data-remove-row]").click()
    await page.click("#confirm-dialog[open] #confirm-ok")
    await message(page, {"en": "NUT user deleted.", "fr": "Utilisateur NUT supprimé."}[language])
    assert [(u.name, u.password) for u in settings(web).nut.users] == [("nas", nas_hash)]
    assert await focused(page) == {"name": "", "row": "1", "remove": "yes"}
    # The last one: the table says it is empty and the focus goes to Add.
    await forget_message(page)
    await second.locator("[data-remove-row]").click()
    await page.click("#confirm-dialog[open] #confirm-ok")
    await page.locator("#nut-users-empty:not([hidden])").wait_for(timeout=WAIT_MS)
    assert await page.evaluate("document.activeElement.id") == "nut-users-add"
    await message(page, {"en": "NUT user deleted.", "fr": "Utilisateur NUT supprimé."}[language])
    assert settings(web).nut.users == []
    await screenshot(page, f"rows_nut_{language}.png")
    clean(page)


async def test_a_trap_receiver_is_edited_keeping_its_community_then_cleared(make_web, browser) -> None:  # noqa: F811
    web = await make_web()
    await with_snmp(
        web,
        [
            {"address": "192.0.2.10", "port": 162, "community": TRAP_COMMUNITY},
            {"address": "192.0.2.11", "port": 162, "community": "Other-Community-5"},
        ],
    )
    page = await open_page(web, browser, "en", "/snmp-traps")
    assert TRAP_COMMUNITY not in await page.content()
    first = page.locator('#trap-receivers tr[data-row="0"]')
    await first.locator('[name="port"]').fill("1162")
    await first.locator('[name="trap_type"]').select_option("rfc1628")
    await page.click("#traps-form button[type=submit]")
    await message(page, "Trap receivers saved")
    receivers = settings(web).snmp.trap_receivers
    assert [(r.address, r.port, r.trap_type, r.community) for r in receivers][0] == (
        "192.0.2.10",
        1162,
        "rfc1628",
        TRAP_COMMUNITY,
    )

    # Cleared after a confirmation: the row is empty, the others keep their community.
    await forget_message(page)
    await first.locator("[data-clear-row]").click()
    assert "192.0.2.10" in await page.inner_text("#confirm-text")
    await page.click("#confirm-dialog[open] #confirm-ok")
    await message(page, "Trap receivers saved")
    receivers = settings(web).snmp.trap_receivers
    assert [(r.address, r.community) for r in receivers] == [("192.0.2.11", "Other-Community-5")]
    assert await first.locator('[name="address"]').input_value() == ""
    assert await first.locator('[name="port"]').input_value() == "162"
    assert await first.locator("[data-secret-state]").get_attribute("data-secret-state") == "unset"
    # The receiver shown second is now saved first: its test goes to the right one.
    assert await page.locator('#trap-receivers tr[data-row="1"]').get_attribute("data-slot") == "0"
    clean(page)


# Who may change each table: (path, account) -> what the page gives that account.
EDIT = "edit"  # every control
READ = "read"  # the rows, disabled, and no control to change them
HIDDEN = "hidden"  # not the rows (a count, or the page is refused)
ACCESS = [
    ("/nut", "writer", HIDDEN),
    ("/nut", "reader", HIDDEN),
    ("/snmp-users", "writer", HIDDEN),
    ("/snmp-traps", "writer", EDIT),
    ("/snmp-traps", "reader", HIDDEN),
    ("/mail", "writer", EDIT),
    ("/mail", "reader", READ),
    ("/wake-on-lan", "writer", EDIT),
    ("/wake-on-lan", "reader", READ),
]
CHANGING = "[data-add-row], [data-remove-row], [data-clear-row], form[data-rows-form] button[type=submit]"


async def test_accounts_that_may_not_change_a_table_get_no_control_to_change_it(make_web, browser) -> None:  # noqa: F811
    web = await make_web()
    await with_snmp(web, [{"address": "192.0.2.10", "port": 162, "community": TRAP_COMMUNITY}])
    await web.daemon.settings_manager.change(
        {
            "nut.users": [{"name": "upsmon", "password": NUT_PASSWORD, "rights": "monitor"}],
            "mail.recipients": [{"address": "ops@example.com", "mail_type": "events"}],
            "wake_on_lan.targets": [{"mac": "00:11:22:33:44:55", "description": "files"}],
        },
        via="test",
        by="test",
    )
    passwords = {"writer": WRITER_PASSWORD, "reader": READER_PASSWORD}
    pages = {}
    for account, password in passwords.items():
        page = await new_page(browser)
        await log_in(page, web.http, account, password)
        await page.wait_for_selector("#synoptic")
        pages[account] = page
    for path, account, access in ACCESS:
        page = pages[account]
        response = await page.goto(web.http + path)
        if path in ("/snmp-users", "/snmp-traps") and access == HIDDEN:
            assert response.status == 403, (path, account)
            continue
        assert response.status == 200, (path, account)
        await page.wait_for_selector("main h1")
        rows = page.locator("form[data-rows-form] tbody tr[data-row]")
        changing = await page.locator(CHANGING).count()
        if access == HIDDEN:
            assert await rows.count() == 0 and changing == 0, (path, account)
            assert await page.locator("main .notice").count() >= 1
        elif access == READ:
            assert await rows.count() >= 1 and changing == 0, (path, account)
            assert await page.locator("form[data-rows-form] template").count() == 0
            enabled = page.locator(
                "form[data-rows-form] input:not([disabled]), form[data-rows-form] select:not([disabled]),"
                " form[data-rows-form] button:not([disabled])"
            )
            assert await enabled.count() == 0, (path, account)
            assert await page.locator("form[data-rows-form] .notice").count() == 1
        else:
            assert await page.locator("form[data-rows-form] button[type=submit]").count() == 1, (
                path,
                account,
            )
            fixed = path != "/wake-on-lan"  # 8 rows, cleared; the other table grows and shrinks
            assert await page.locator("[data-clear-row]").count() == (8 if fixed else 0), (path, account)
            assert await page.locator("[data-remove-row]").count() == (0 if fixed else 1), (path, account)
            assert await page.locator("[data-add-row]").count() == (0 if fixed else 1), (path, account)
        assert NUT_PASSWORD not in await page.content() and TRAP_COMMUNITY not in await page.content()
    # A Read/Write account cannot change a community (admin's): the field stays disabled.
    page = pages["writer"]
    await page.goto(web.http + "/snmp-traps")
    assert await page.locator('#trap-receivers [name="community"]:not([disabled])').count() == 0
    for page in pages.values():
        assert page.errors == [], page.errors
