"""Issue 10, the web server and accounts under attack, replayed at small, bounded scale:
no secret leaves, restores never reset silently, logins cannot lock admin out nor flood
the log, half-sent requests cannot take the web down."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from netvision.services.web import accounts as accounts_module
from netvision.services.web.accounts import LOCK_AFTER
from netvision.services.web.app import FAILURES_KEY, LIMITS_KEY
from netvision.services.web.connections import REFUSED
from tests.conftest import wait_for
from tests.integration.test_web_helpers import ADMIN_PASSWORD, READER_PASSWORD, WRITER_PASSWORD, client, login

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

SECRETS = {
    "read_community": "Rd-c0mmunity-x",
    "write_community": "Wr-c0mmunity-y",
    "auth": "AuthPass-z1",
    "priv": "PrivPass-w2",
    "trap": "Trap-c0mm-v3",
}


def snmp_with_secrets() -> dict[str, Any]:
    return {
        "enabled": False,
        "read_community": SECRETS["read_community"],
        "write_community": SECRETS["write_community"],
        "usm_users": [{"name": "ops", "auth_password": SECRETS["auth"], "priv_password": SECRETS["priv"], "write": True}],
        "trap_receivers": [{"address": "192.0.2.10", "community": SECRETS["trap"]}],
    }


async def make_web_with_secrets(make_web: Any) -> Any:
    web = await make_web()
    manager = web.daemon.settings_manager
    snmp = snmp_with_secrets()
    await manager.change({f"snmp.{key}": value for key, value in snmp.items()}, via="test", by="test")
    return web


def leaked(text: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in text]


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = 15) -> bytes:
    """What the server sent before it closed the connection (a reset counts as closed)."""
    try:
        return await asyncio.wait_for(reader.read(), timeout=timeout)
    except ConnectionResetError:
        return b""


def as_client(address: str) -> aiohttp.ClientSession:
    """A client whose connections come from ``address`` (any 127.x.y.z is this machine)."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_no_secret_reaches_any_role_through_the_api_the_pages_or_the_download(make_web) -> None:
    web = await make_web_with_secrets(make_web)
    for user, password in (("reader", READER_PASSWORD), ("writer", WRITER_PASSWORD), ("admin", ADMIN_PASSWORD)):
        async with client() as session:
            await login(session, web.http, user, password)
            seen = []
            for path in ("/api/v1/settings", "/api/v1/configuration", "/configuration", "/nv-control", "/", "/api/v1/services"):
                async with session.get(web.http + path) as response:
                    seen.append(await response.text())
            async with session.get(f"{web.http}/api/v1/settings") as response:
                snmp = (await response.json())["snmp"]
            assert not leaked("\n".join(seen)), (user, leaked("\n".join(seen)))
            # Every role sees that each secret is set, never its value.
            assert snmp["read_community"] == snmp["write_community"] == "********"
            assert snmp["usm_users"][0]["auth_password"] == snmp["trap_receivers"][0]["community"] == "********"
    settings = web.daemon.settings_manager.settings
    assert settings.snmp.write_community == SECRETS["write_community"]  # nothing lost on the way


async def test_admin_replaces_a_secret_a_placeholder_keeps_it_and_a_writer_cannot_set_one(make_web) -> None:
    web = await make_web_with_secrets(make_web)
    manager = web.daemon.settings_manager
    async with client() as writer:
        headers = {"X-CSRF-Token": (await login(writer, web.http, "writer", WRITER_PASSWORD))["csrf"]}
        async with writer.get(f"{web.http}/api/v1/settings") as response:
            snmp = (await response.json())["snmp"]
        users, receivers = snmp["usm_users"], snmp["trap_receivers"]
        # A table sent back as read (placeholders) with a non-secret change keeps every secret.
        receivers[0]["port"] = 1162
        async with writer.patch(f"{web.http}/api/v1/settings", json={"changes": {"snmp.trap_receivers": receivers}}, headers=headers) as response:
            assert response.status == 200 and not leaked(await response.text())
        assert manager.settings.snmp.trap_receivers[0].community == SECRETS["trap"]
        assert manager.settings.snmp.trap_receivers[0].port == 1162
        # A Read/Write user cannot learn a credential by setting it, nor open a v3 user.
        opened = {**users[0], "security_level": "noAuthNoPriv"}
        for change in (
            {"snmp.write_community": "mine-now"},
            {"snmp.usm_users": [{**users[0], "auth_password": "MyOwnPass1"}]},
            {"snmp.usm_users": [opened]},
        ):
            async with writer.patch(f"{web.http}/api/v1/settings", json={"changes": change}, headers=headers) as response:
                assert response.status == 403, change
        assert manager.settings.snmp.write_community == SECRETS["write_community"]
        assert manager.settings.snmp.usm_users[0].security_level == "authPriv"
    async with client() as admin:
        headers = {"X-CSRF-Token": (await login(admin, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        async with admin.patch(f"{web.http}/api/v1/settings", json={"changes": {"snmp.write_community": "********"}}, headers=headers) as response:
            assert response.status == 200
        assert manager.settings.snmp.write_community == SECRETS["write_community"]
        async with admin.patch(f"{web.http}/api/v1/settings", json={"changes": {"snmp.write_community": "New-write-9"}}, headers=headers) as response:
            assert response.status == 200 and "New-write-9" not in await response.text()
        assert manager.settings.snmp.write_community == "New-write-9"
        # The communities are on the SNMP page now; no settings page shows a secret.
        for path in ("/configuration", "/nv-control"):
            async with admin.get(f"{web.http}{path}") as response:
                page = await response.text()
            assert response.status == 200 and "New-write-9" not in page


async def test_a_plain_backup_restores_without_touching_the_secrets(make_web) -> None:
    web = await make_web_with_secrets(make_web)
    manager = web.daemon.settings_manager
    async with client() as admin:
        headers = {"X-CSRF-Token": (await login(admin, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        async with admin.get(f"{web.http}/api/v1/configuration") as response:
            plain = await response.text()
        assert not leaked(plain) and "write_community" not in plain
        await manager.change({"system.name": "Changed since"}, via="test", by="test")
        async with admin.post(f"{web.http}/api/v1/configuration", data=plain.encode(), headers=headers) as response:
            report = await response.json()
            assert response.status == 200, report
        assert [change["key"] for change in report["changes"]] == ["system.name"]
    assert manager.settings.system.name == "Socomec"
    assert manager.settings.snmp.write_community == SECRETS["write_community"]
    assert manager.settings.snmp.usm_users[0].priv_password == SECRETS["priv"]


async def test_an_encrypted_backup_carries_the_secrets_and_asks_its_password(make_web) -> None:
    web = await make_web_with_secrets(make_web)
    manager = web.daemon.settings_manager
    async with client() as writer:
        headers = {"X-CSRF-Token": (await login(writer, web.http, "writer", WRITER_PASSWORD))["csrf"]}
        async with writer.post(f"{web.http}/api/v1/configuration/backup", json={"password": "Backup-pass-1"}, headers=headers) as response:
            assert response.status == 403  # only admin exports the secrets
    async with client() as admin:
        headers = {"X-CSRF-Token": (await login(admin, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        async with admin.post(f"{web.http}/api/v1/configuration/backup", json={"password": "short"}, headers=headers) as response:
            assert response.status == 400
        async with admin.post(f"{web.http}/api/v1/configuration/backup", json={"password": "Backup-pass-1"}, headers=headers) as response:
            assert response.status == 200
            sealed = await response.text()
        assert not leaked(sealed) and "Socomec" not in sealed
        await manager.change({"snmp.write_community": "Replaced-1", "snmp.usm_users": []}, via="test", by="test")
        for body, status in (({"file": sealed}, 400), ({"file": sealed, "password": "Wrong-pass-1"}, 400)):
            async with admin.post(f"{web.http}/api/v1/configuration/preview", json=body, headers=headers) as response:
                assert response.status == status and (await response.json())["encrypted"]
        async with admin.post(
            f"{web.http}/api/v1/configuration/preview", json={"file": sealed, "password": "Backup-pass-1"}, headers=headers
        ) as response:
            preview = await response.json()
        keys = {change["key"]: change for change in preview["changes"]}
        assert keys["snmp.write_community"]["secret"] and not leaked(json.dumps(preview))
        assert manager.settings.snmp.write_community == "Replaced-1"  # a preview applies nothing
        async with admin.post(
            f"{web.http}/api/v1/configuration", json={"file": sealed, "password": "Backup-pass-1"}, headers=headers
        ) as response:
            assert response.status == 200 and not leaked(await response.text())
    assert manager.settings.snmp.write_community == SECRETS["write_community"]
    assert manager.settings.snmp.usm_users[0].auth_password == SECRETS["auth"]


async def test_a_partial_file_is_merged_and_the_preview_says_what_changes(make_web) -> None:
    web = await make_web()
    manager = web.daemon.settings_manager
    before = manager.settings
    async with client() as admin:
        headers = {"X-CSRF-Token": (await login(admin, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        partial = b'[system]\nname = "x"\n'
        async with admin.post(f"{web.http}/api/v1/configuration/preview", data=partial, headers=headers) as response:
            preview = await response.json()
        assert [change["key"] for change in preview["changes"]] == ["system.name"]
        assert preview["changes"][0]["old"] == "Socomec" and preview["changes"][0]["new"] == "x"
        assert preview["partial"] and "web" in preview["kept"] and "merged" in preview["note"]
        assert manager.settings == before
        async with admin.post(f"{web.http}/api/v1/configuration", data=partial, headers=headers) as response:
            assert response.status == 200 and (await response.json())["partial"]
    after = manager.settings
    assert after.system.name == "x"
    # Nothing else went back to its default: the listeners stay where they were.
    assert after.model_copy(update={"system": before.system}) == before
    assert after.web.bind == "127.0.0.1" and after.web.http_port == before.web.http_port


async def test_deeply_nested_toml_and_json_get_a_clear_400(make_web) -> None:
    web = await make_web()
    async with client() as admin:
        headers = {"X-CSRF-Token": (await login(admin, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        deep_toml = ("a = " + "[" * 20_000 + "]" * 20_000 + "\n").encode()
        deep_json = ("[" * 30_000 + "]" * 30_000).encode()
        async with admin.post(f"{web.http}/api/v1/configuration", data=deep_toml, headers=headers) as response:
            body = await response.json()
            assert response.status == 400 and any("nested" in problem for problem in body["problems"]), body
        json_type = {"Content-Type": "application/json"}
        async with admin.post(f"{web.http}/api/v1/login", data=deep_json, headers=json_type) as response:
            assert response.status == 400 and "nests" in (await response.json())["error"]
        moderate = b'{"user": ' + b"[" * 40 + b"]" * 40 + b', "password": "x"}'
        async with admin.post(f"{web.http}/api/v1/login", data=moderate, headers=json_type) as response:
            assert response.status == 400
        async with admin.get(f"{web.http}/api/v1/session") as response:
            assert response.status == 200  # the session and the server are still there


async def test_login_accepts_only_same_origin_json_and_short_user_names(make_web) -> None:
    web = await make_web()
    events = web.daemon.bus.subscribe("test")
    credentials = {"user": "admin", "password": ADMIN_PASSWORD}
    async with client() as session:
        async with session.post(f"{web.http}/api/v1/login", data=json.dumps(credentials), headers={"Content-Type": "text/plain"}) as response:
            assert response.status == 415
        async with session.post(f"{web.http}/api/v1/login", data=credentials) as response:  # a form post
            assert response.status == 415
        for cross_site in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
            async with session.post(f"{web.http}/api/v1/login", json=credentials, headers=cross_site) as response:
                assert response.status == 403, cross_site
        # Long user names are refused before any work, and never stored or logged whole.
        for _ in range(20):
            async with session.post(f"{web.http}/api/v1/login", json={"user": "u" * 60_000, "password": "x"}) as response:
                assert response.status == 400
        assert web.accounts.tracked_failures() == 0
        same = {"Origin": web.http, "Sec-Fetch-Site": "same-origin"}
        async with session.post(f"{web.http}/api/v1/login", json=credentials, headers=same) as response:
            assert response.status == 200
    web.service.app[FAILURES_KEY].close()
    texts = []
    while (event := events.get_nowait()) is not None:
        texts.append(event.text_en)
    assert texts and all(len(text) < 200 for text in texts)


async def test_a_flood_from_one_address_does_not_lock_admin_out_of_another(make_web) -> None:
    web = await make_web()
    async with as_client("127.0.0.1") as attacker:
        statuses = []
        for _ in range(LOCK_AFTER + 3):
            async with attacker.post(f"{web.http}/api/v1/login", json={"user": "admin", "password": "Wrong1234567!"}) as response:
                statuses.append(response.status)
        async with attacker.post(f"{web.http}/api/v1/login", json={"user": "admin", "password": ADMIN_PASSWORD}) as response:
            assert response.status == 429  # locked for that address, even with the right password
    assert statuses == [401] * LOCK_AFTER + [429] * 3
    async with as_client("127.0.0.2") as operator:
        async with operator.post(f"{web.http}/api/v1/login", json={"user": "admin", "password": ADMIN_PASSWORD}) as response:
            assert response.status == 200


async def test_concurrent_guesses_check_no_more_passwords_than_allowed(make_web, monkeypatch: pytest.MonkeyPatch) -> None:
    web = await make_web()
    checked = []
    verify = accounts_module.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(password)
        return verify(password, stored)

    monkeypatch.setattr(accounts_module, "verify_password", counting)
    web.service.app[LIMITS_KEY].max_per_source = 64  # all 40 at once from this one address
    async with client() as attacker:

        async def guess(number: int) -> int:
            body = {"user": "admin", "password": f"Guess{number:07d}!"}
            async with attacker.post(f"{web.http}/api/v1/login", json=body) as response:
                return response.status

        statuses = await asyncio.gather(*(guess(number) for number in range(40)))
    assert len(checked) <= LOCK_AFTER, statuses
    assert statuses.count(401) == len(checked) and statuses.count(429) == 40 - len(checked), str(sorted(statuses))


async def test_a_failed_login_flood_adds_one_log_row_per_source_and_minute(make_web) -> None:
    web = await make_web()
    store = web.daemon.store
    assert store is not None
    await asyncio.sleep(0.5)
    rows_before = await store.count("netvision")
    sources = ("127.0.0.1", "127.0.0.3", "127.0.0.4")
    for address in sources:
        async with as_client(address) as attacker:
            for number in range(40):
                body = {"user": f"nobody{number % 7}", "password": "Wrong1234567!"}
                async with attacker.post(f"{web.http}/api/v1/login", json=body) as response:
                    assert response.status in (401, 429)
    failures = web.service.app[FAILURES_KEY]
    assert failures.sources() == len(sources)
    # Unknown names share one counter per source: memory follows the sources, not the names.
    assert web.accounts.tracked_failures() == len(sources)
    failures.close()  # the minute ends (or the service stops): the counts are logged

    async def rows() -> int:
        return await store.count("netvision") - rows_before

    for _ in range(100):
        if await rows() >= 2 * len(sources):
            break
        await asyncio.sleep(0.1)
    # Per source: the first failure, the count of the rest, one lock-out.
    assert 2 * len(sources) <= await rows() <= 3 * len(sources)
    async with client() as admin:
        await login(admin, web.http, "admin", ADMIN_PASSWORD)  # no address failed for admin


async def test_half_sent_requests_cannot_take_the_web_down(make_web) -> None:
    web = await make_web()
    limits = web.service.app[LIMITS_KEY]
    limits.max_per_source = 16
    limits.header_timeout = 1.0
    limits.body_timeout = 1.0
    port = int(web.http.rsplit(":", 1)[1])
    held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for number in range(200):
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.1", 0))
            if number % 2:
                writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # a head that never ends
            else:
                writer.write(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
            held.append((reader, writer))
        # Past the cap per source, connections are refused at once.
        for reader, _writer in held[16:]:
            answer = await closed_by_server(reader, timeout=10)
            assert answer in (b"", REFUSED)  # a 503, or a reset that outran it
        assert limits.refused == 200 - 16
        # Another address is served meanwhile.
        async with as_client("127.0.0.2") as other:
            async with other.get(f"{web.http}/login") as response:
                assert response.status == 200
        # The held ones are closed by the header or body deadline, and every slot comes back.
        for reader, _writer in held[:16]:
            await closed_by_server(reader)
        await wait_for(lambda: limits.total == 0, timeout=10)
        assert limits.timed_out >= 16 and not limits.open
    finally:
        for _reader, writer in held:
            writer.close()
    async with client() as session:
        await login(session, web.http, "admin", ADMIN_PASSWORD)  # and from the flooding address again


async def test_no_version_in_the_server_header(make_web) -> None:
    web = await make_web()
    async with client() as session:
        for path in ("/login", "/api/v1/snapshot", "/static/app.css", "/missing"):
            async with session.get(web.http + path) as response:
                assert response.headers["Server"] == "netvision", path
    port = int(web.http.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")  # refused by the HTTP parser itself
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    assert b" 400 Bad Request" in answer.split(b"\r\n")[0] and b"aiohttp" not in answer and b"Python" not in answer


async def test_pages_over_http_go_to_https_and_the_api_answers_on_both(make_web) -> None:
    web = await make_web({"redirect_http": True})
    https_port = web.https.rsplit(":", 1)[1]
    async with client() as session:
        async with session.get(f"{web.http}/login?ended=timeout", allow_redirects=False) as response:
            assert response.status == 307
            assert response.headers["Location"] == f"https://127.0.0.1:{https_port}/login?ended=timeout"
        async with session.post(f"{web.http}/api/v1/login", json={"user": "admin", "password": ADMIN_PASSWORD}) as response:
            assert response.status == 200  # API clients keep working over HTTP
    await web.daemon.settings_manager.change({"web.redirect_http": False}, via="test", by="test")
    async with client() as session:
        async with session.get(f"{web.http}/login", allow_redirects=False) as response:
            assert response.status == 200


async def test_external_links_are_http_or_https_only(make_web) -> None:
    web = await make_web()
    async with client() as session:
        headers = {"X-CSRF-Token": (await login(session, web.http, "writer", WRITER_PASSWORD))["csrf"]}
        for address in ("javascript:alert(1)", "javascript://%0aalert(1)", "data:text/html,x", "//evil.example", "vbscript:x"):
            link = {"text": "x", "address": address, "enabled": True}
            async with session.patch(f"{web.http}/api/v1/settings", json={"changes": {"web.external_links": [link]}}, headers=headers) as response:
                assert response.status == 400, address
        links = [
            {"text": "Plain", "address": "192.0.2.5/status", "enabled": True},
            {"text": "Secure", "address": "https://bms.example/ups", "enabled": True},
        ]
        async with session.patch(f"{web.http}/api/v1/settings", json={"changes": {"web.external_links": links}}, headers=headers) as response:
            assert response.status == 200, await response.text()
        async with session.get(f"{web.http}/") as response:
            page = await response.text()
    assert 'href="http://192.0.2.5/status"' in page and 'href="https://bms.example/ups"' in page
    assert "javascript:" not in page


async def test_half_open_tls_handshakes_are_capped_before_any_tls_work(make_web) -> None:
    web = await make_web()
    limits = web.service.app[LIMITS_KEY]
    limits.max_per_source = 8
    limits.header_timeout = 1.0
    port = int(web.https.rsplit(":", 1)[1])
    held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for _ in range(60):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, never finished
            held.append((reader, writer))
        for reader, _writer in held[8:]:
            assert await closed_by_server(reader, timeout=10) == b""
        assert limits.refused == 60 - 8
        async with as_client("127.0.0.2") as other:
            async with other.get(f"{web.https}/login", ssl=False) as response:
                assert response.status == 200 and response.url.scheme == "https"
        for reader, _writer in held[:8]:
            await closed_by_server(reader)  # the deadline covers the handshake
        await wait_for(lambda: limits.total == 0, timeout=10)
    finally:
        for _reader, writer in held:
            writer.close()
