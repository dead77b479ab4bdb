"""REST API over HTTP and HTTPS against the daemon and the simulator on a pty (issue 4)."""

from __future__ import annotations

import asyncio
import json
import ssl
from datetime import UTC
from typing import Any

import aiohttp
import pytest

from netvision.services.web.accounts import initial_admin_password, mac_address
from netvision.services.web.app import FAILURES_KEY
from tests.conftest import next_snapshot, wait_for
from tests.integration.test_web_helpers import (
    ADMIN_PASSWORD,
    READER_PASSWORD,
    WRITER_PASSWORD,
    client,
    login,
)
from tests.pki import key_and_certificate

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

# Every changing endpoint: (method, path, JSON body or raw bytes, allowed for a Read Only user)
CHANGES: list[tuple[str, str, Any, bool]] = [
    ("POST", "/api/v1/logout", None, True),
    ("POST", "/api/v1/password", {"current": "x", "new": "y"}, True),
    ("PATCH", "/api/v1/account", {"language": "fr"}, True),
    ("POST", "/api/v1/controls", {"control": "eco_mode_on"}, False),
    ("PATCH", "/api/v1/settings", {"changes": {"system.name": "x"}}, False),
    ("POST", "/api/v1/settings/validate", {"changes": {"system.name": "x"}}, False),
    ("POST", "/api/v1/configuration", b"[system]\nname = 'x'\n", False),
    ("PUT", "/api/v1/accounts/someone", {"role": "read_only", "password": "Abcdefgh1234!"}, False),
    ("DELETE", "/api/v1/accounts/writer", None, False),
    ("POST", "/api/v1/certificate", b"nothing", False),
    ("DELETE", "/api/v1/certificate", None, False),
    ("DELETE", "/api/v1/logs/ups", None, False),
    ("POST", "/api/v1/clock", {"time": "2026-01-02T03:04:05Z", "source": "browser"}, False),
    ("POST", "/api/v1/agent/restart", None, False),
    ("POST", "/api/v1/agent/reset", None, False),
]


def request_options(body: Any, csrf: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {"headers": {"X-CSRF-Token": csrf} if csrf else {}}
    if isinstance(body, bytes):
        options["data"] = body
    elif body is not None:
        options["json"] = body
    return options


async def test_first_login_uses_the_mac_password_and_forces_a_change(make_web) -> None:
    web = await make_web(users=False)
    initial = initial_admin_password(mac_address())
    async with client() as session:
        first = await login(session, web.http, "admin", initial.lower())
        assert first["must_change"] and not first["can_write"]
        async with session.get(f"{web.http}/api/v1/snapshot") as response:
            assert response.status == 403 and (await response.json())["must_change"]
        async with session.get(f"{web.http}/", allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/login"
        headers = {"X-CSRF-Token": first["csrf"]}
        for weak, missing in [("short1A!", "12 characters"), ("abcdefgh1234!", "upper case"), ("Abcdefgh1234$", "no character other")]:
            async with session.post(f"{web.http}/api/v1/password", json={"current": initial, "new": weak}, headers=headers) as response:
                assert response.status == 400 and missing in (await response.json())["error"]
        async with session.post(
            f"{web.http}/api/v1/password", json={"current": initial, "new": ADMIN_PASSWORD}, headers=headers
        ) as response:
            assert response.status == 200
        async with session.get(f"{web.http}/api/v1/session") as response:
            assert response.status == 401  # §11.5: "a new session needs to be open"
        again = await login(session, web.http, "admin", ADMIN_PASSWORD)
        assert not again["must_change"] and again["can_write"]
    async with client() as session:
        async with session.post(f"{web.http}/api/v1/login", json={"user": "admin", "password": initial}) as response:
            assert response.status == 401


async def test_every_change_needs_the_csrf_token_and_a_writing_role(make_web) -> None:
    web = await make_web()
    async with client() as anonymous:
        for method, path, body, _reader_allowed in CHANGES:
            async with anonymous.request(method, web.http + path, **request_options(body, None)) as response:
                assert response.status == 401, (method, path)
    async with client() as writer:
        csrf = (await login(writer, web.http, "writer", WRITER_PASSWORD))["csrf"]
        for method, path, body, _reader_allowed in CHANGES:
            async with writer.request(method, web.http + path, **request_options(body, None)) as response:
                assert response.status == 403, (method, path)
                assert "CSRF" in (await response.json())["error"]
            async with writer.request(method, web.http + path, **request_options(body, "wrong")) as response:
                assert response.status == 403, (method, path)
        assert csrf
    async with client() as reader:
        csrf = (await login(reader, web.http, "reader", READER_PASSWORD))["csrf"]
        for method, path, body, reader_allowed in CHANGES:
            if reader_allowed:
                continue
            async with reader.request(method, web.http + path, **request_options(body, csrf)) as response:
                assert response.status == 403, (method, path)
        # and nothing changed
        assert web.daemon.settings_manager.settings.system.name == "Socomec"
        assert web.accounts.get("writer") is not None


async def test_read_only_user_reads_everything_but_secrets(make_web) -> None:
    web = await make_web()
    async with client() as reader:
        await login(reader, web.http, "reader", READER_PASSWORD)
        for path in ("/api/v1/snapshot", "/api/v1/alarms", "/api/v1/controls", "/api/v1/certificate", "/"):
            async with reader.get(web.http + path) as response:
                assert response.status == 200, path
        async with reader.get(f"{web.http}/api/v1/settings") as response:
            settings = await response.json()
            assert settings["snmp"]["read_community"] == "********"  # set, and not told
            assert settings["snmp"]["write_community"] == ""  # none out of the box
        async with reader.get(f"{web.http}/api/v1/accounts") as response:
            assert response.status == 403
        async with reader.get(f"{web.http}/control") as response:
            assert 'id="control-form"' not in await response.text()


async def test_a_second_write_login_ends_the_first_write_session(make_web) -> None:
    web = await make_web()
    async with client() as first, client() as second:
        await login(first, web.http, "admin", ADMIN_PASSWORD)
        await login(second, web.http, "writer", WRITER_PASSWORD)
        async with first.get(f"{web.http}/api/v1/snapshot") as response:
            assert response.status == 401
            assert (await response.json())["ended"] == "replaced"
        async with first.get(f"{web.http}/", allow_redirects=False) as response:
            assert response.headers["Location"] == "/login?ended=replaced"
        async with second.get(f"{web.http}/api/v1/snapshot") as response:
            assert response.status == 200


async def test_session_ends_after_the_login_timeout(make_web) -> None:
    web = await make_web({"login_timeout": 60})
    sessions = web.service.state.sessions
    now = [1000.0]
    sessions.clock = lambda: now[0]
    async with client() as session:
        await login(session, web.http, "admin", ADMIN_PASSWORD)
        now[0] += 59
        async with session.get(f"{web.http}/api/v1/session") as response:
            assert response.status == 200
        now[0] += 61
        async with session.get(f"{web.http}/api/v1/session") as response:
            assert response.status == 401 and (await response.json())["ended"] == "timeout"


async def test_failed_logins_slow_down_lock_out_and_are_logged(make_web) -> None:
    web = await make_web()
    events = web.daemon.bus.subscribe("test")
    async with client() as session:
        statuses = []
        for _ in range(5):
            async with session.post(f"{web.http}/api/v1/login", json={"user": "writer", "password": "Wrong1234567!"}) as response:
                statuses.append(response.status)
        async with session.post(f"{web.http}/api/v1/login", json={"user": "writer", "password": WRITER_PASSWORD}) as response:
            assert response.status == 429
    assert statuses == [401] * 5
    web.service.app[FAILURES_KEY].close()  # the service stops: what the minute counted is logged
    found = []
    while (event := events.get_nowait()) is not None:
        found.append(event)
    ids = [event.id for event in found]
    # One event at the first failure, then one with the count for the rest of the minute.
    assert ids.count("nv.web_login_failed") == 1 and "nv.web_account_locked" in ids
    summary = next(event for event in found if event.id == "nv.web_login_failures")
    assert summary.data["count"] == 5 and summary.data["ip"] == "127.0.0.1"


async def test_malformed_requests_get_clear_errors(make_web) -> None:
    web = await make_web()
    async with client() as session:
        json_type = {"Content-Type": "application/json"}
        async with session.post(f"{web.http}/api/v1/login", data=b"{not json", headers=json_type) as response:
            assert response.status == 400 and "JSON" in (await response.json())["error"]
        async with session.post(f"{web.http}/api/v1/login", json=["admin"]) as response:
            assert response.status == 400
        csrf = (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]
        headers = {"X-CSRF-Token": csrf}
        async with session.post(f"{web.http}/api/v1/controls", json={"control": "launch"}, headers=headers) as response:
            assert response.status == 400 and "unknown control" in (await response.json())["error"]
        async with session.post(f"{web.http}/api/v1/controls", json={"control": "battery_test", "unit": "x"}, headers=headers) as response:
            assert response.status == 400
        async with session.get(f"{web.http}/api/v1/alarms?unit=abc") as response:
            assert response.status == 400
        async with session.post(f"{web.http}/api/v1/configuration", data=b"x" * 100_000, headers=headers) as response:
            assert response.status == 413
        async with session.get(f"{web.http}/api/v1/session") as response:
            assert response.status == 200  # the daemon goes on serving


async def test_a_control_goes_through_the_poller_and_its_effect_is_visible(make_web) -> None:
    web = await make_web()
    async with client() as session:
        csrf = (await login(session, web.http, "writer", WRITER_PASSWORD))["csrf"]
        async with session.get(f"{web.http}/api/v1/controls") as response:
            controls = {c["control"]: c for c in (await response.json())["controls"]}
        assert controls["eco_mode_on"]["permitted"] and controls["eco_mode_on"]["label"] == "Enable eco mode"
        async with session.post(
            f"{web.http}/api/v1/controls", json={"control": "eco_mode_on"}, headers={"X-CSRF-Token": csrf}
        ) as response:
            result = await response.json()
            assert response.status == 200 and result["accepted"], result
        poller = web.daemon.ups
        await wait_for(lambda: poller.snapshot.system and poller.snapshot.system.condition("eco_mode"))
        async with session.get(f"{web.http}/api/v1/snapshot") as response:
            snapshot = await response.json()
        assert snapshot["system"]["ups_status"] == "ups_status.eco_mode"


async def test_settings_are_validated_changed_and_logged_via_web(make_web) -> None:
    web = await make_web()
    events = web.daemon.bus.subscribe("test")
    async with client() as session:
        headers = {"X-CSRF-Token": (await login(session, web.http, "writer", WRITER_PASSWORD))["csrf"]}
        bad = {"changes": {"snmp.port": 0, "system.language": "de"}}
        async with session.post(f"{web.http}/api/v1/settings/validate", json=bad, headers=headers) as response:
            result = await response.json()
            assert not result["valid"] and len(result["problems"]) == 2
        async with session.patch(f"{web.http}/api/v1/settings", json=bad, headers=headers) as response:
            assert response.status == 400 and any("snmp.port" in p for p in (await response.json())["problems"])
        async with session.patch(f"{web.http}/api/v1/settings", json={"changes": {"data_dir": "/"}}, headers=headers) as response:
            assert response.status == 400
        good = {"changes": {"system.name": "UPS room 2", "system.location": "Building B"}}
        async with session.patch(f"{web.http}/api/v1/settings", json=good, headers=headers) as response:
            assert response.status == 200
        async with session.get(f"{web.http}/") as response:
            page = await response.text()
            assert "UPS room 2" in page and "Building B" in page
    texts = []
    while (event := events.get_nowait()) is not None:
        texts.append(event.text_en)
    assert "system.name has been changed via Web by writer" in texts


async def test_configuration_backup_restores_only_a_valid_file(make_web) -> None:
    web = await make_web()
    manager = web.daemon.settings_manager
    async with client() as session:
        headers = {"X-CSRF-Token": (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        async with session.get(f"{web.http}/api/v1/configuration") as response:
            assert response.headers["Content-Disposition"].endswith('filename="netvision.toml"')
            backup = await response.text()
        assert 'name = "Socomec"' in backup and ADMIN_PASSWORD not in backup
        broken = backup.replace('name = "Socomec"', 'name = "Restored"').replace("polling_rate = 1", "polling_rate = 999")
        async with session.post(f"{web.http}/api/v1/configuration", data=broken.encode(), headers=headers) as response:
            body = await response.json()
            assert response.status == 400 and any("polling_rate" in p for p in body["problems"])
        assert manager.settings.system.name == "Socomec"  # nothing applied
        async with session.post(f"{web.http}/api/v1/configuration", data=b"[system\n", headers=headers) as response:
            assert response.status == 400
        restored = backup.replace('name = "Socomec"', 'name = "Restored"')
        async with session.post(f"{web.http}/api/v1/configuration", data=restored.encode(), headers=headers) as response:
            assert response.status == 200
        assert manager.settings.system.name == "Restored"


async def test_admin_manages_the_multi_user_table(make_web) -> None:
    web = await make_web()
    async with client() as session:
        headers = {"X-CSRF-Token": (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        async with session.put(
            f"{web.http}/api/v1/accounts/operator", json={"role": "read_write", "password": "weak"}, headers=headers
        ) as response:
            assert response.status == 400 and "12 characters" in (await response.json())["error"]
        async with session.put(
            f"{web.http}/api/v1/accounts/operator",
            json={"role": "read_write", "password": "Operator1234^", "language": "fr"},
            headers=headers,
        ) as response:
            assert response.status == 200
        async with session.get(f"{web.http}/api/v1/accounts") as response:
            names = [a["name"] for a in (await response.json())["accounts"]]
            assert names[0] == "admin" and "operator" in names
            assert "password_hash" not in json.dumps(await response.json())
        async with session.delete(f"{web.http}/api/v1/accounts/admin", headers=headers) as response:
            assert response.status == 400
        async with session.delete(f"{web.http}/api/v1/accounts/nobody", headers=headers) as response:
            assert response.status == 404
    async with client() as operator:
        # A password admin set is a first password: the user changes it at the first login.
        session_data = await login(operator, web.http, "operator", "Operator1234^")
        assert session_data["must_change"] and not session_data["can_write"]
        async with operator.get(f"{web.http}/api/v1/snapshot") as response:
            assert response.status == 403 and (await response.json())["must_change"]
        async with operator.post(
            f"{web.http}/api/v1/password",
            json={"current": "Operator1234^", "new": "Operator5678^"},
            headers={"X-CSRF-Token": session_data["csrf"]},
        ) as response:
            assert response.status == 200
        session_data = await login(operator, web.http, "operator", "Operator5678^")
        assert session_data["language"] == "fr" and session_data["role"] == "read_write"
        assert not session_data["must_change"] and session_data["can_write"]
        async with operator.get(f"{web.http}/") as response:
            assert "Supervision ASI" in await response.text()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
async def test_https_serves_tls12_or_better_and_an_uploaded_certificate(make_web) -> None:
    web = await make_web()
    port = int(web.https.rsplit(":", 1)[1])
    old = ssl.create_default_context()
    old.check_hostname = False
    old.verify_mode = ssl.CERT_NONE
    old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=old), 20)
        writer.close()
    async with client() as session:
        async with session.get(f"{web.https}/login", ssl=False) as response:
            assert response.status == 200
            assert response.headers["Strict-Transport-Security"]
        async with session.post(
            f"{web.https}/api/v1/login", json={"user": "admin", "password": ADMIN_PASSWORD}, ssl=False
        ) as response:
            cookie = response.cookies["nv_session"]
            assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
            body = await response.json()
        async with session.get(f"{web.https}/api/v1/certificate/ca", ssl=False) as response:
            ca_pem = await response.read()
        # The generated server certificate chains to the downloadable root CA.
        trusting = ssl.create_default_context(cadata=ca_pem.decode())
        async with session.get(f"{web.https}/login", ssl=trusting, server_hostname="localhost") as response:
            assert response.status == 200
        headers = {"X-CSRF-Token": body["csrf"]}
        _key, key_pem, cert_pem = key_and_certificate()
        async with session.post(f"{web.https}/api/v1/certificate", data=key_pem, headers=headers, ssl=False) as response:
            assert response.status == 400 and "no readable certificate" in (await response.json())["error"]
        async with session.post(f"{web.https}/api/v1/certificate", data=key_pem + cert_pem, headers=headers, ssl=False) as response:
            assert response.status == 200 and (await response.json())["uploaded"]
    served = await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", port))
    assert served.strip() == cert_pem.decode().strip()


async def test_security_headers_on_pages_and_api(make_web) -> None:
    web = await make_web()
    async with client() as session:
        async with session.get(f"{web.http}/login") as response:
            headers = response.headers
            assert "default-src 'self'" in headers["Content-Security-Policy"]
            assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
            page = await response.text()
            assert "http://" not in page and "https://" not in page  # nothing loaded from elsewhere
        async with session.post(f"{web.http}/api/v1/login", json={"user": "admin", "password": ADMIN_PASSWORD}) as response:
            cookie = response.cookies["nv_session"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"


async def test_live_stream_pushes_a_new_alarm_within_a_poll(make_web) -> None:
    web = await make_web()
    async with client() as session:
        await login(session, web.http, "reader", READER_PASSWORD)
        async with session.get(f"{web.http}/api/v1/live") as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")

            async def next_message() -> dict[str, Any]:
                event = ""
                while True:
                    line = (await response.content.readline()).decode().rstrip("\n")
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "snapshot":
                        return json.loads(line[6:])

            first = await asyncio.wait_for(next_message(), 20)
            assert first["alarm_count"] == 0
            web.simulator.device.alarm("A01", True)
            while True:
                message = await asyncio.wait_for(next_message(), 20)
                if message["alarm_count"]:
                    break
            assert "A01" in [alarm["acronym"] for alarm in message["alarms"]]
            assert message["views"]["system"]["colours"]["battery"] == "red"


async def test_live_stream_ends_when_the_session_ends(make_web) -> None:
    web = await make_web()
    async with client() as first, client() as second:
        await login(first, web.http, "writer", WRITER_PASSWORD)
        async with first.get(f"{web.http}/api/v1/live") as response:
            await response.content.readline()
            await login(second, web.http, "admin", ADMIN_PASSWORD)
            lines = []
            while not any(line.startswith("event: ended") for line in lines):
                lines.append((await asyncio.wait_for(response.content.readline(), 20)).decode())


async def test_pages_render_for_parallel_and_sts_systems(make_web) -> None:
    web = await make_web(map_name="vumap", topology="parallel", units=3)
    await next_snapshot(web.daemon)
    async with client() as session:
        await login(session, web.http, "admin", ADMIN_PASSWORD)
        async with session.get(f"{web.http}/") as response:
            page = await response.text()
        for unit in (1, 2, 3):
            assert f'data-device="unit{unit}"' in page
        async with session.get(f"{web.http}/api/v1/snapshot") as response:
            assert len((await response.json())["units"]) == 3


async def test_sts_pages_render(make_web) -> None:
    web = await make_web(map_name="sts")
    async with client() as session:
        await login(session, web.http, "admin", ADMIN_PASSWORD)
        async with session.get(f"{web.http}/") as response:
            assert 'id="el-switch1"' in await response.text()  # the STS synoptic (FR §13.1)
        async with session.get(f"{web.http}/api/v1/mibs") as response:
            names = (await response.json())["mibs"]
        assert "NETVISION-STS-MIB.txt" in names
        async with session.get(f"{web.http}/api/v1/mibs/NETVISION-STS-MIB.txt") as response:
            assert response.status == 200 and "DEFINITIONS" in await response.text()
        async with session.get(f"{web.http}/api/v1/mibs/..%2Fapi.py") as response:
            assert response.status == 404
        for path in ("/", "/alarms", "/dashboard", "/graph", "/control", "/configuration", "/nv-control", "/datetime", "/users", "/links-setup", "/account", "/clients", "/battery-test"):
            async with session.get(web.http + path) as response:
                assert response.status == 200, path


async def test_web_service_follows_port_changes_without_restart(make_web) -> None:
    from tests.conftest import free_port

    web = await make_web()
    new_port = free_port()
    async with client() as session:
        headers = {"X-CSRF-Token": (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        async with session.patch(
            f"{web.http}/api/v1/settings", json={"changes": {"web.http_port": new_port}}, headers=headers
        ) as response:
            assert response.status == 200

    async def answers() -> bool:
        try:
            async with aiohttp.ClientSession() as probe, probe.get(f"http://127.0.0.1:{new_port}/login") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    for _ in range(200):
        if await answers():
            break
        await asyncio.sleep(0.05)
    assert await answers()


async def test_logs_pages_csv_and_clear(make_web) -> None:
    web = await make_web()
    store = web.daemon.store
    async with client() as session:
        headers = {"X-CSRF-Token": (await login(session, web.http, "writer", WRITER_PASSWORD))["csrf"]}
        await store.flush()
        async with session.get(f"{web.http}/api/v1/logs/netvision?per_page=50") as response:
            page = await response.json()
        assert any("writer logged in from 127.0.0.1" in row["text"] for row in page["rows"])
        async with session.get(f"{web.http}/api/v1/logs/netvision?sort=severity&order=asc&page=1&per_page=5") as response:
            assert response.status == 200 and len((await response.json())["rows"]) <= 5
        async with session.get(f"{web.http}/api/v1/logs/netvision?start=yesterday") as response:
            assert response.status == 400
        async with session.get(f"{web.http}/api/v1/logs/nothing") as response:
            assert response.status == 404
        async with session.get(f"{web.http}/api/v1/logs/netvision/csv") as response:
            assert response.headers["Content-Disposition"].endswith('filename="netvision_log.csv"')
            csv_text = await response.text()
        assert len(csv_text.splitlines()) >= 2 and "logged in" in csv_text
        for path in ("/logs/history", "/logs/extended", "/logs/ups", "/logs/netvision", "/logs/clear"):
            async with session.get(web.http + path) as response:
                assert response.status == 200, path
        async with session.delete(f"{web.http}/api/v1/logs/ups", headers=headers) as response:
            assert response.status == 200
        await store.flush()
        assert await store.count("ups") == 0
        async with session.get(f"{web.http}/api/v1/logs/netvision?per_page=5") as response:
            texts = [row["text"] for row in (await response.json())["rows"]]
        assert "UPS event log cleared" in texts


# -- date and time (§18.1), battery test (§16.2), password notice (FR §11.6), demo hint -------------


async def test_the_clock_is_set_manually_or_from_the_browser_and_the_change_is_logged(make_web) -> None:
    web = await make_web()
    events: list[Any] = []
    web.daemon.bus.on_event(events.append)
    async with client() as writer:
        csrf = (await login(writer, web.http, "writer", WRITER_PASSWORD))["csrf"]
        headers = {"X-CSRF-Token": csrf}
        body = {"time": "2026-07-01T12:00:00Z", "source": "browser"}
        async with writer.post(f"{web.http}/api/v1/clock", json=body, headers=headers) as response:
            answer = await response.json()
            assert response.status == 200 and answer["ups_clock_written"] is False, answer
        await web.daemon.settings_manager.change({"system.time_zone": "Europe/Paris"}, via="test", by="test")
        manual = {"time": "2026-07-01T12:00:00", "source": "manual"}  # local time of the zone
        async with writer.post(f"{web.http}/api/v1/clock", json=manual, headers=headers) as response:
            assert response.status == 200
        assert [when.astimezone(UTC).hour for when in web.clock.calls] == [12, 10]
        for bad in ({"time": "31/12/2026"}, {"time": "2026-07-01T12:00:00Z", "source": "ntp"}, {}):
            async with writer.post(f"{web.http}/api/v1/clock", json=bad, headers=headers) as response:
                assert response.status == 400, bad
        web.clock.refuse = "the daemon may not set the clock: it needs CAP_SYS_TIME"
        async with writer.post(f"{web.http}/api/v1/clock", json=body, headers=headers) as response:
            assert response.status == 503 and "CAP_SYS_TIME" in (await response.json())["error"]
        async with writer.get(f"{web.http}/api/v1/clock") as response:
            clock = await response.json()
            assert clock["time_zone"] == "Europe/Paris" and clock["ups_clock_note"] is True
    changed = [event for event in events if event.id == "nv.time_changed_by_user"]
    assert len(changed) == 2 and "Time changed by user" in changed[0].text_en
    assert changed[0].data["by"] == "writer" and changed[0].data["via"] == "Web"
    async with client() as reader:
        csrf = (await login(reader, web.http, "reader", READER_PASSWORD))["csrf"]
        async with reader.post(f"{web.http}/api/v1/clock", json=body, headers={"X-CSRF-Token": csrf}) as response:
            assert response.status == 403
    assert len(web.clock.calls) == 2


async def test_date_time_page_holds_the_setters_the_ntp_fields_and_the_ups_clock_note(make_web) -> None:
    web = await make_web()
    async with client() as session:
        csrf = (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]
        async with session.get(f"{web.http}/datetime") as response:
            page = await response.text()
        for marker in ('id="clock-browser"', 'id="clock-form"', 'data-key="system.ntp_server_1"', 'data-key="system.ntp_period"', 'id="ups-clock-note"'):
            assert marker in page, marker
        changes = {"system.ntp_enabled": True, "system.ntp_server_1": "pool.ntp.org", "system.ntp_server_2": "192.0.2.1", "system.ntp_period": "week"}
        headers = {"X-CSRF-Token": csrf}
        async with session.patch(f"{web.http}/api/v1/settings", json={"changes": changes}, headers=headers) as response:
            assert response.status == 200
        system = web.daemon.settings_manager.settings.system
        assert (system.ntp_server_1, system.ntp_period) == ("pool.ntp.org", "week")
        for bad in ({"system.ntp_server_1": "http://x y"}, {"system.ntp_period": "year"}):
            async with session.patch(f"{web.http}/api/v1/settings", json={"changes": bad}, headers=headers) as response:
                assert response.status == 400, bad
        await web.daemon.settings_manager.change({"system.synchronize_ups_clock": False}, via="test", by="test")
        async with session.get(f"{web.http}/datetime") as response:
            assert 'id="ups-clock-note"' not in await response.text()


async def test_battery_test_result_follows_a_test_sent_from_the_web(make_web) -> None:
    web = await make_web()
    web.simulator.device.battery_test_seconds = 1.5
    async with client() as session:
        csrf = (await login(session, web.http, "writer", WRITER_PASSWORD))["csrf"]
        headers = {"X-CSRF-Token": csrf}

        async def rows() -> list[dict[str, Any]]:
            async with session.get(f"{web.http}/api/v1/battery-test") as response:
                assert response.status == 200
                return (await response.json())["rows"]

        first = (await rows())[0]
        assert (first["unit"], first["status"], first["result"], first["last_test_text"]) == (0, "enabled", "none", "00/00")
        async with session.post(f"{web.http}/api/v1/controls", json={"control": "battery_test"}, headers=headers) as response:
            assert response.status == 200, await response.text()
        seen: list[str] = []
        for _poll in range(30):  # a few polls; bounded so a stuck test fails instead of hanging
            row = (await rows())[0]
            seen.append(row["status"])
            if row["result"] != "none":
                break
            await next_snapshot(web.daemon)
        assert "in_progress" in seen and row["result"] == "ok" and row["last_test"], seen
        web.simulator.device.set_battery_test_result("fail")
        async with session.post(f"{web.http}/api/v1/controls", json={"control": "battery_test"}, headers=headers) as response:
            assert response.status == 200
        states = web.service.state.battery_tests
        await wait_for(lambda: states.state().unit(0).result == "failed", timeout=30)
        async with session.get(f"{web.http}/battery-test") as response:
            assert 'data-result="failed"' in await response.text()


async def test_a_vumap_parallel_system_has_one_battery_test_row_per_unit(make_web) -> None:
    web = await make_web(map_name="vumap", topology="parallel", units=2)
    await next_snapshot(web.daemon)
    async with client() as session:
        await login(session, web.http, "admin", ADMIN_PASSWORD)
        async with session.get(f"{web.http}/api/v1/battery-test") as response:
            data = await response.json()
        assert data["per_unit"] and [row["unit"] for row in data["rows"]] == [1, 2]
        async with session.get(f"{web.http}/battery-test") as response:
            page = await response.text()
        assert 'data-battery-test="1"' in page and 'data-battery-test="2"' in page


async def test_login_tells_the_days_left_before_the_password_must_be_changed(make_web) -> None:
    web = await make_web()
    async with client() as session:
        answer = await login(session, web.http, "writer", WRITER_PASSWORD)
        validity = web.daemon.settings_manager.settings.web.password_validity_days
        assert answer["password_days_left"] == validity
        async with session.get(f"{web.http}/") as response:
            assert f"{validity} day(s)" in await response.text()
        async with session.get(f"{web.http}/alarms") as response:
            assert 'id="password-notice"' not in await response.text()  # once per login


async def test_sts_pages_use_the_sts_wording(make_web) -> None:
    web = await make_web(map_name="sts")
    await next_snapshot(web.daemon)
    async with client() as session:
        await login(session, web.http, "admin", ADMIN_PASSWORD)
        async with session.get(f"{web.http}/") as response:
            page = await response.text()
        assert "STS Monitoring" in page and "UPS Monitoring" not in page
        assert '"communication":"STS connected"' in page and "STS Status" in page


async def test_addresses_tell_the_first_login_until_admin_changes_the_password(make_web) -> None:
    web = await make_web(users=False)
    initial = initial_admin_password(mac_address())
    hint = [line for line in web.service.addresses() if line.startswith("web first login")]
    assert hint and f"admin / {initial}" in hint[0] and "change it at first login" in hint[0]
    web.accounts.change_password("admin", ADMIN_PASSWORD)
    assert not [line for line in web.service.addresses() if "first login" in line]
