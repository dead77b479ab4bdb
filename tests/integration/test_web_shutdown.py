"""The shutdown management pages (EN §16.5, §16.6, §16.8), the NUT server page and the Client
Table (§15), with their API: every role reads them, Read Only changes nothing, the AC-fail
test is admin's and says in words why it was refused, the client table comes from the NUT
service's offer, and a NUT user's password never leaves the gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from netvision.services.nut.clients import NutClient
from netvision.services.shutdown.capability import ups_manages_shut_off
from netvision.services.shutdown.service import ShutdownService
from netvision.services.shutdown.status import Phase, ShutdownStatus
from netvision.services.web.openapi import openapi_document
from netvision.services.web.shutdown import parse_date, shut_off_warnings
from netvision.settings.models import ShutdownSettings
from tests.conftest import wait_for
from tests.integration.test_web_helpers import ADMIN_PASSWORD, READER_PASSWORD, WRITER_PASSWORD, client, login
from tests.integration.test_web_secrets import api_paths, page_paths, read

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

NUT_PASSWORD = "NutPass-77xq"
PAGES = ("/shutdown", "/shutdown/weekly", "/shutdown/special-days", "/nut", "/clients")
PASSWORDS = {"admin": ADMIN_PASSWORD, "writer": WRITER_PASSWORD, "reader": READER_PASSWORD}


def csrf_of(session: dict[str, Any]) -> dict[str, str]:
    return {"X-CSRF-Token": session["csrf"]}


class FakeShutdown:
    """What the shutdown service offers, held still: its status, and the test it starts or
    refuses (the browser tests drive the page through every state with it)."""

    def __init__(self, refusal: str = "") -> None:
        self.status = ShutdownStatus()
        self.refusal = refusal
        self.calls: list[tuple[str, str]] = []

    def offer(self, offers: dict[str, Any]) -> None:
        offers["shutdown.status"] = lambda: self.status
        offers["shutdown.test"] = self.test

    def test(self, by: str, source: str) -> str:
        self.calls.append((by, source))
        if self.refusal:
            return self.refusal
        now = datetime.now(UTC)
        self.status = ShutdownStatus(
            phase=Phase.WARNING, event="test", test=True, started=now, deadline=now + timedelta(minutes=5)
        )
        return ""


CLIENTS = (
    NutClient(1, "192.0.2.21", 40001, datetime(2026, 3, 1, 8, 0, tzinfo=UTC), "monuser", "ups", True, True),
    NutClient(2, "192.0.2.22", 40002, datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "nas", "ups"),
)


def test_the_shut_off_delay_rule_and_dates() -> None:
    settings = ShutdownSettings(ups_shut_off=True, ups_shut_off_delay=30, shut_off_after_logout=45)
    assert shut_off_warnings(settings) == ["shutdown.warn_delay_short", "shutdown.warn_delay_logout"]
    assert shut_off_warnings(ShutdownSettings(ups_shut_off=True, ups_shut_off_delay=300)) == []
    assert shut_off_warnings(ShutdownSettings(ups_shut_off=False, ups_shut_off_delay=10)) == []
    assert parse_date("24/12/2026") == "2026-12-24" and parse_date("1/2/2027") == "2027-02-01"
    assert parse_date("2026-12-24") == "2026-12-24" and parse_date(" ") == ""
    for wrong in ("31/02/2026", "12-24-2026", "24/12/26"):
        try:
            parse_date(wrong)
        except ValueError:
            continue
        raise AssertionError(wrong)


async def test_pages_render_for_every_role_and_only_writers_change(make_web: Any) -> None:
    web = await make_web()
    for user, password in PASSWORDS.items():
        async with client() as http:
            session = await login(http, web.http, user, password)
            async with http.get(web.http + "/") as response:
                home = await response.text()
            assert 'href="/shutdown"' in home and 'href="/nut"' in home, user
            assert 'href="/shutdown/weekly"' not in home  # the Weekly Schedule event is disabled
            for path in PAGES:
                async with http.get(web.http + path) as response:
                    assert response.status == 200, (user, path)
            async with http.get(web.http + "/shutdown") as response:
                page = await response.text()
            assert page.count('name="warning_period"') == 9
            assert "UPS on battery (AC failed)" in page
            # The simulated UPS manages the standby schedule: the UPS shut-off is shown.
            assert 'id="shut-off-unmanaged"' not in page and "f-shutdown-ups_shut_off_delay" in page
            async with http.patch(
                web.http + "/api/v1/settings",
                json={"changes": {"shutdown.battery_level": 40}},
                headers=csrf_of(session),
            ) as response:
                assert response.status == (403 if user == "reader" else 200), user
            rows = [{"row": 0, "slot": None, "shutdown_day": "monday", "shutdown_time": "22:00"}]
            async with http.put(
                web.http + "/api/v1/shutdown/weekly-schedule", json={"rows": rows}, headers=csrf_of(session)
            ) as response:
                assert response.status == (403 if user == "reader" else 200), user
    assert web.daemon.settings_manager.settings.shutdown.battery_level == 40
    # A UPS that does not manage its standby schedule: the shut-off is neither shown nor asked.
    web.simulator.device.standby_schedule = False
    poller = web.daemon.ups
    await wait_for(lambda: not ups_manages_shut_off(poller.snapshot), timeout=10)
    async with client() as http:
        await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.get(web.http + "/shutdown") as response:
            page = await response.text()
    assert 'id="shut-off-unmanaged"' in page and "f-shutdown-ups_shut_off_delay" not in page


async def test_event_table_and_schedules_round_trip(make_web: Any) -> None:
    web = await make_web()
    async with client() as http:
        session = await login(http, web.http, "writer", WRITER_PASSWORD)
        headers = csrf_of(session)
        events = web.daemon.settings_manager.settings.shutdown.events
        rows = [{"row": i, "slot": i, **event.model_dump()} for i, event in enumerate(events)]
        rows[6].update(enabled=True, warning_period=2, first_warning=5, warning_interval=20)  # on_bypass
        rows[7].update(enabled=True)  # weekly_schedule
        rows[1]["warning_period"] = None  # left empty: the saved value stays
        async with http.put(
            web.http + "/api/v1/shutdown/events", json={"rows": rows}, headers=headers
        ) as response:
            assert response.status == 200, await response.text()
        saved = web.daemon.settings_manager.settings.shutdown
        assert saved.event("on_bypass").enabled and saved.event("on_bypass").warning_interval == 20
        assert saved.event("battery_low").warning_period == 0
        rows[2]["warning_period"] = 5000
        async with http.put(
            web.http + "/api/v1/shutdown/events", json={"rows": rows}, headers=headers
        ) as response:
            body = await response.json()
            assert response.status == 400, body
        assert any(item["field"] == "shutdown.events.2.warning_period" for item in body["fields"]), body
        async with http.get(web.http + "/") as response:
            assert 'href="/shutdown/weekly"' in await response.text()  # its event is now enabled

        special = [
            {"row": 0, "shutdown_date": "", "restart_date": ""},
            {"row": 1, "shutdown_date": "24/12/2026", "shutdown_time": "18:00", "restart_date": "26/12/2026", "restart_time": "07:30"},
        ]  # fmt: skip
        async with http.put(
            web.http + "/api/v1/shutdown/special-days", json={"rows": special}, headers=headers
        ) as response:
            assert response.status == 200, await response.text()
        (day,) = web.daemon.settings_manager.settings.shutdown.special_days
        assert (day.shutdown_date, day.restart_date, day.restart_time) == (
            "2026-12-24",
            "2026-12-26",
            "07:30",
        )
        async with http.get(web.http + "/shutdown/special-days") as response:
            assert 'value="24/12/2026"' in await response.text()
        special[1]["shutdown_date"] = "31/02/2026"
        async with http.put(
            web.http + "/api/v1/shutdown/special-days", json={"rows": special}, headers=headers
        ) as response:
            body = await response.json()
            assert response.status == 422, body
        assert body["fields"][0]["field"] == "shutdown.special_days.1.shutdown_date"
        special[1].update(shutdown_date="26/12/2026", restart_date="24/12/2026")
        async with http.put(
            web.http + "/api/v1/shutdown/special-days", json={"rows": special}, headers=headers
        ) as response:
            assert response.status == 400  # the restart before the shutdown

        weekly = [
            {
                "row": 3,
                "shutdown_day": "friday",
                "shutdown_time": "20:00",
                "restart_day": "monday",
                "restart_time": "06:00",
            }
        ]
        async with http.put(
            web.http + "/api/v1/shutdown/weekly-schedule", json={"rows": weekly}, headers=headers
        ) as response:
            assert response.status == 200
        (row,) = web.daemon.settings_manager.settings.shutdown.weekly_schedule
        assert (row.shutdown_day, row.restart_time) == ("friday", "06:00")


async def test_the_ac_fail_test_is_admins_and_refusals_are_in_words(
    make_web: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ShutdownService, "tick", 0.1)
    web = await make_web()
    offers = web.service.context.offers
    async with client() as http:
        session = await login(http, web.http, "writer", WRITER_PASSWORD)
        async with http.post(web.http + "/api/v1/shutdown/test", headers=csrf_of(session)) as response:
            assert response.status == 403  # it sends the shutdown command to every server: admin's
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.get(web.http + "/api/v1/shutdown/status") as response:
            status = await response.json()
        assert status["running"] is True and status["phase"] == "idle" and status["test_allowed"] is True
        async with http.post(web.http + "/api/v1/shutdown/test", headers=csrf_of(session)) as response:
            assert response.status == 200 and (await response.json())["started"] is True
        async with http.get(web.http + "/api/v1/shutdown/status") as response:
            status = await response.json()
        # The AC failed sequence, with its 5 min warning period, without a real mains failure.
        assert status["phase"] == "warning" and status["test"] is True and status["test_allowed"] is False
        assert 295 <= status["seconds_left"] <= 300 and "AC-fail test" in status["text"][0]
        assert "is running" in status["test_refusal"]
        # Asked again while it runs: the service says why, in words.
        async with http.post(web.http + "/api/v1/shutdown/test", headers=csrf_of(session)) as response:
            body = await response.json()
        assert response.status == 409 and body["reason"] == "refused", body
        assert body["error"] == "A shutdown procedure or test is running: the test can start once it has ended.", body
        async with http.get(web.http + "/shutdown") as response:
            page = await response.text()
        assert "AC-fail test: the shutdown command is sent in" in page
        # Shutdown management turned off: nothing to test, and the page says where to turn it on.
        await web.daemon.settings_manager.change({"shutdown.enabled": False}, via="test", by="test")
        await wait_for(lambda: "shutdown.test" not in offers, timeout=10)
        async with http.post(web.http + "/api/v1/shutdown/test", headers=csrf_of(session)) as response:
            body = await response.json()
        assert response.status == 409 and body["reason"] == "shutdown_off", body
        async with http.get(web.http + "/api/v1/shutdown/status") as response:
            status = await response.json()
        assert status["running"] is False and status["test_allowed"] is False
        assert "NET VISION Control" in status["test_refusal"]
    # Back on with the AC failed action disabled: the button says why it is disabled.
    events = [row.model_dump() for row in web.daemon.settings_manager.settings.shutdown.events]
    events[0]["enabled"] = False
    await web.daemon.settings_manager.change(
        {"shutdown.enabled": True, "shutdown.events": events}, via="test", by="test"
    )
    await wait_for(lambda: "shutdown.test" in offers, timeout=10)
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.get(web.http + "/api/v1/shutdown/status") as response:
            status = await response.json()
        assert status["test_allowed"] is False and "AC failed action is disabled" in status["test_refusal"]
        async with http.post(web.http + "/api/v1/shutdown/test", headers=csrf_of(session)) as response:
            body = await response.json()
        assert response.status == 409 and "AC failed" in body["error"], body


async def test_client_table_comes_from_the_nut_service(make_web: Any) -> None:
    web = await make_web()
    async with client() as http:
        await login(http, web.http, "reader", READER_PASSWORD)
        async with http.get(web.http + "/clients") as response:
            page = await response.text()
        assert 'id="clients-count">0<' in page and "The NUT server is off" in page
        web.service.context.offers["nut.clients"] = lambda: CLIENTS
        async with http.get(web.http + "/api/v1/nut/clients") as response:
            body = await response.json()
        assert body["running"] is True and body["count"] == 2
        first = body["clients"][0]
        assert (first["address"], first["user"], first["ups"], first["primary"], first["tls"]) == (
            "192.0.2.21", "monuser", "ups", True, True,
        )  # fmt: skip
        assert first["connected_text"] == "01/03/2026 08:00:00" and first["role_text"] == "Primary"
        async with http.get(web.http + "/clients") as response:
            page = await response.text()
        assert 'id="clients-count">2<' in page and "192.0.2.22" in page and "Secondary" in page


async def test_nut_users_are_admins_and_their_passwords_never_leave(make_web: Any) -> None:
    web = await make_web()
    document = openapi_document()
    for path in (
        "/api/v1/shutdown/status",
        "/api/v1/shutdown/test",
        "/api/v1/nut/clients",
        "/api/v1/nut/users",
    ):
        assert path in document["paths"], path
    async with client() as http:
        session = await login(http, web.http, "writer", WRITER_PASSWORD)
        rows = [{"row": 0, "name": "monuser", "password": NUT_PASSWORD, "rights": "monitor"}]
        async with http.put(
            web.http + "/api/v1/nut/users", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            assert response.status == 403
        async with http.patch(
            web.http + "/api/v1/settings",
            json={"changes": {"nut.users": [{"name": "x", "password": "y", "rights": "set"}]}},
            headers=csrf_of(session),
        ) as response:
            assert response.status == 403
        async with http.patch(
            web.http + "/api/v1/settings",
            json={"changes": {"nut.ups_name": "ups2", "nut.aliases": ["old", "other"]}},
            headers=csrf_of(session),
        ) as response:
            assert response.status == 200, await response.text()
    assert web.daemon.settings_manager.settings.nut.aliases == ["old", "other"]
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.put(
            web.http + "/api/v1/nut/users", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            assert response.status == 200, await response.text()
        # Renamed and given more rights, the password left empty (null) is kept.
        rows = [{"row": 0, "slot": 0, "name": "nas", "password": None, "rights": "instcmd"}]
        async with http.put(
            web.http + "/api/v1/nut/users", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            assert response.status == 200
        async with http.get(web.http + "/nut") as response:
            page = await response.text()
        assert "MONITOR ups2@127.0.0.1 1 nas" in page and 'value="old, other"' in page
    (user,) = web.daemon.settings_manager.settings.nut.users
    assert user.name == "nas" and user.rights == "instcmd" and user.password  # kept (as given, or its hash)
    for name, password in PASSWORDS.items():
        async with client() as http:
            await login(http, web.http, name, password)
            for path in [*api_paths(), *page_paths(web.service.app)]:
                if "/live" in path or path in ("/logout",):
                    continue
                _status, text = await read(http, web.http + path)
                assert NUT_PASSWORD not in text and user.password not in text, (name, path)


async def test_french_pages_have_their_words(make_web: Any) -> None:
    web = await make_web()
    await web.daemon.settings_manager.change({"system.language": "fr"}, via="test", by="test")
    async with client() as http:
        await login(http, web.http, "admin", ADMIN_PASSWORD)
        expected = {
            "/shutdown": "ASI sur batterie (absence secteur)",
            "/shutdown/weekly": "Jour d'arrêt",
            "/shutdown/special-days": "Date de redémarrage",
            "/nut": "Connecter un client NUT",
            "/clients": "Le serveur NUT est désactivé",
            "/nv-control": "Gestion des arrêts",
        }
        for path, words in expected.items():
            async with http.get(web.http + path) as response:
                text = await response.text()
            assert words.replace("'", "&#39;") in text or words in text, path
