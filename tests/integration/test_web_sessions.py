"""Sessions and rights over HTTP: one write session, Read Only viewers beside it, the live
stream that keeps a monitoring page logged in, the menu that follows the UPS's remote
control permission, and the login form posted without its script."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import aiohttp

from netvision.services.web.app import SESSION_COOKIE
from tests.conftest import wait_for
from tests.integration.test_web_helpers import (
    ADMIN_PASSWORD,
    READER_PASSWORD,
    WRITER_PASSWORD,
    client,
    login,
)

pytest_plugins = ["tests.integration.test_web_helpers"]

VIEWER_PASSWORD = "Viewer123456%"


async def status_of(session: aiohttp.ClientSession, base: str) -> int:
    async with session.get(f"{base}/api/v1/session") as response:
        return response.status


async def ended_reason(session: aiohttp.ClientSession, base: str) -> str:
    async with session.get(f"{base}/api/v1/session") as response:
        assert response.status == 401
        return (await response.json())["ended"]


def add_viewers(web: Any, count: int) -> list[str]:
    names = [f"viewer{number}" for number in range(count)]
    for name in names:
        web.accounts.put_user(name, "read_only", VIEWER_PASSWORD, must_change=False)
    return names


def token_of(session: aiohttp.ClientSession) -> str:
    return next(cookie.value for cookie in session.cookie_jar if cookie.key == SESSION_COOKIE)


async def test_admin_and_four_read_only_sessions_coexist_the_fifth_replaces_the_idlest(make_web) -> None:
    web = await make_web()
    now = [1000.0]
    web.service.state.sessions.clock = lambda: now[0]
    names = add_viewers(web, 3)
    clients = [client() for _ in range(6)]
    try:
        admin, readers, fifth = clients[0], clients[1:5], clients[5]
        await login(admin, web.http, "admin", ADMIN_PASSWORD)
        for reader, name in zip(readers, ["reader", *names], strict=True):
            now[0] += 1
            await login(reader, web.http, name, READER_PASSWORD if name == "reader" else VIEWER_PASSWORD)
        for session in clients[:5]:
            assert await status_of(session, web.http) == 200
        # The first reader has been idle the longest once the others are used again.
        now[0] += 1
        for reader in readers[1:]:
            assert await status_of(reader, web.http) == 200
        await login(fifth, web.http, "reader", READER_PASSWORD)
        assert await ended_reason(readers[0], web.http) == "replaced"
        for session in (admin, *readers[1:], fifth):
            assert await status_of(session, web.http) == 200
    finally:
        for session in clients:
            await session.close()


async def test_a_second_write_login_replaces_the_first_and_read_only_logins_never_do(make_web) -> None:
    web = await make_web()
    async with client() as admin, client() as reader, client() as writer, client() as admin2:
        await login(admin, web.http, "admin", ADMIN_PASSWORD)
        await login(reader, web.http, "reader", READER_PASSWORD)
        assert await status_of(admin, web.http) == 200  # a Read Only login leaves the admin in
        await login(writer, web.http, "writer", WRITER_PASSWORD)
        assert await ended_reason(admin, web.http) == "replaced"  # one session with write rights
        async with admin.get(f"{web.http}/", allow_redirects=False) as response:
            assert response.headers["Location"] == "/login?ended=replaced"
        await login(admin2, web.http, "admin", ADMIN_PASSWORD)
        assert await ended_reason(writer, web.http) == "replaced"
        assert await status_of(reader, web.http) == 200
        assert await status_of(admin2, web.http) == 200


async def test_with_no_read_only_places_one_session_at_a_time_as_the_card_does(make_web) -> None:
    web = await make_web({"read_only_sessions": 0})
    async with client() as admin, client() as reader:
        await login(admin, web.http, "admin", ADMIN_PASSWORD)
        await login(reader, web.http, "reader", READER_PASSWORD)
        assert await ended_reason(admin, web.http) == "replaced"
        assert await status_of(reader, web.http) == 200


async def read_events(
    response: aiohttp.ClientResponse, wanted: str, limit: int = 5000
) -> dict[str, Any] | None:
    """Read the event stream up to the first ``wanted`` event; its data."""
    event = ""
    for _ in range(limit):
        line = (await asyncio.wait_for(response.content.readline(), 30)).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == wanted:
            return json.loads(line[6:])
    return None


async def test_the_live_stream_keeps_a_read_only_session_alive_but_not_a_write_session(make_web) -> None:
    web = await make_web({"login_timeout": 60})
    sessions = web.service.state.sessions
    now = [1000.0]
    sessions.clock = lambda: now[0]
    async with client() as admin, client() as reader, client() as idle_reader:
        await login(admin, web.http, "admin", ADMIN_PASSWORD)
        await login(reader, web.http, "reader", READER_PASSWORD)
        add_viewers(web, 1)
        await login(idle_reader, web.http, "viewer0", VIEWER_PASSWORD)
        reader_session = sessions.lookup(token_of(reader), touch=False)
        admin_token = token_of(admin)
        async with (
            admin.get(f"{web.http}/api/v1/live") as admin_stream,
            reader.get(f"{web.http}/api/v1/live") as reader_stream,
        ):
            assert await read_events(reader_stream, "snapshot") is not None
            assert await read_events(admin_stream, "snapshot") is not None
            for _ in range(4):  # 160 s of open pages, well past the 60 s timeout
                now[0] += 40
                await wait_for(lambda: reader_session.last_seen == now[0])
            ended = await read_events(admin_stream, "ended")
            assert ended == {"reason": "timeout"}
            assert sessions.lookup(admin_token, touch=False) is None
            assert sessions.lookup(token_of(reader), touch=False) is reader_session
        assert await status_of(reader, web.http) == 200
        assert await ended_reason(idle_reader, web.http) == "timeout"  # no page open: the timeout holds


async def test_monitoring_pages_follow_the_login_timeout_when_the_setting_is_off(make_web) -> None:
    web = await make_web({"login_timeout": 60, "monitoring_stays_logged_in": False})
    sessions = web.service.state.sessions
    now = [1000.0]
    sessions.clock = lambda: now[0]
    async with client() as reader:
        await login(reader, web.http, "reader", READER_PASSWORD)
        async with reader.get(f"{web.http}/api/v1/live") as stream:
            assert await read_events(stream, "snapshot") is not None
            now[0] += 61
            assert await read_events(stream, "ended") == {"reason": "timeout"}


async def test_the_menu_hides_control_and_battery_test_while_the_ups_forbids_remote_control(make_web) -> None:
    web = await make_web()
    poller = web.daemon.ups
    running = poller._poller  # read the permissions at every cycle instead of every 30th
    running.config = dataclasses.replace(running.config, slow_every=1)
    async with client() as admin, client() as reader:
        await login(admin, web.http, "admin", ADMIN_PASSWORD)
        await login(reader, web.http, "reader", READER_PASSWORD)
        await wait_for(lambda: poller.snapshot.remote_controls_permitted)
        async with admin.get(f"{web.http}/") as response:
            page = await response.text()
            assert 'href="/control"' in page and 'href="/battery-test"' in page
        async with reader.get(f"{web.http}/") as response:
            assert 'href="/control"' not in await response.text()  # Read Only: never
        web.simulator.device.permissions("remote", False)
        await wait_for(lambda: not poller.snapshot.remote_controls_permitted)
        async with admin.get(f"{web.http}/") as response:
            page = await response.text()
            assert 'href="/control"' not in page and 'href="/battery-test"' not in page
        web.simulator.device.permissions("remote", True)
        await wait_for(lambda: poller.snapshot.remote_controls_permitted)
        async with admin.get(f"{web.http}/") as response:
            assert 'href="/control"' in await response.text()


async def test_the_login_form_posted_without_its_script_answers_in_words(make_web) -> None:
    web = await make_web()
    web.accounts.put_user("off", "read_only", VIEWER_PASSWORD, must_change=False)
    web.accounts.put_user("off", "disabled")
    async with client() as browser:
        form = {"user": "admin", "password": "Wrong1234567!"}
        async with browser.post(f"{web.http}/login", data=form, allow_redirects=False) as response:
            page = await response.text()
            assert response.status == 401
            assert "Invalid user name or password" in page and 'value="admin"' in page
            assert "Wrong1234567!" not in page
        async with browser.post(f"{web.http}/login", data={"user": "admin", "password": ""}) as response:
            assert response.status == 400 and "Enter your user name and password" in await response.text()
        async with browser.post(
            f"{web.http}/login", data={"user": "off", "password": VIEWER_PASSWORD}
        ) as response:
            assert response.status == 403 and "This account is disabled" in await response.text()
        cross_site = {"Origin": "http://evil.example"}
        async with browser.post(f"{web.http}/login", data=form, headers=cross_site) as response:
            assert response.status == 403
        for _ in range(5):
            async with browser.post(
                f"{web.http}/login", data={"user": "writer", "password": "Wrong1234567!"}
            ):
                pass
        locked = {"user": "writer", "password": WRITER_PASSWORD}
        async with browser.post(f"{web.http}/login", data=locked) as response:
            assert response.status == 429 and "Too many failed logins" in await response.text()
        good = {"user": "admin", "password": ADMIN_PASSWORD}
        async with browser.post(f"{web.http}/login", data=good, allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/"
        assert await status_of(browser, web.http) == 200


async def test_the_login_page_speaks_the_configured_language(make_web) -> None:
    web = await make_web({}, users=True)
    manager = web.daemon.settings_manager
    async with client() as admin:
        headers = {"X-CSRF-Token": (await login(admin, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        async with admin.patch(
            f"{web.http}/api/v1/settings", json={"changes": {"system.language": "fr"}}, headers=headers
        ) as response:
            assert response.status == 200
    assert manager.settings.system.language == "fr"
    async with client() as browser:
        async with browser.get(f"{web.http}/login") as response:
            page = await response.text()
            assert '<html lang="fr">' in page and "Nom d&#39;utilisateur" in page
        form = {"user": "admin", "password": "Wrong1234567!"}
        async with browser.post(f"{web.http}/login", data=form) as response:
            assert "Nom d&#39;utilisateur ou mot de passe incorrect" in await response.text()


async def test_the_forced_password_change_works_as_a_plain_form_too(make_web) -> None:
    web = await make_web()
    first = "First1234567!"
    web.accounts.put_user("newcomer", "read_write", first)  # a first password: change it at login
    async with client() as browser:
        form = {"user": "newcomer", "password": first}
        async with browser.post(f"{web.http}/login", data=form, allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/login"
        async with browser.get(f"{web.http}/login") as response:
            page = await response.text()
            assert 'id="password-form"' in page and "choose a new one" in page
        csrf = web.service.state.sessions.writer.csrf
        change = {"csrf": csrf, "current": first, "new": "Second123456!", "confirm": "Other1234567!"}
        async with browser.post(f"{web.http}/login/password", data=change) as response:
            assert response.status == 400 and "The two passwords differ" in await response.text()
        change.update(current="Wrong1234567!", confirm="Second123456!")
        async with browser.post(f"{web.http}/login/password", data=change) as response:
            assert response.status == 400 and "The current password is wrong" in await response.text()
        async with browser.post(f"{web.http}/login/password", data={**change, "csrf": "forged"}) as response:
            assert response.status == 403
        change.update(current=first)
        async with browser.post(f"{web.http}/login/password", data=change) as response:
            page = await response.text()
            assert (
                response.status == 200
                and "Password changed: log in again" in page
                and 'id="login-form"' in page
            )
        assert await status_of(browser, web.http) == 401
        await login(browser, web.http, "newcomer", "Second123456!")
        assert await status_of(browser, web.http) == 200


async def test_a_login_form_posted_from_another_site_is_refused(make_web) -> None:
    web = await make_web()
    async with client() as browser:
        form = {"user": "admin", "password": ADMIN_PASSWORD}
        for headers in (
            {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
            {"Origin": "http://evil.example"},
        ):
            async with browser.post(
                f"{web.http}/login", data=form, headers=headers, allow_redirects=False
            ) as response:
                assert response.status == 403, headers
        assert await status_of(browser, web.http) == 401
