"""The form checks the API makes as the pages do (docs/decisions.md "Form checks"): a number
field given null or "" is refused with "Enter a number" (400, in the session's language) and
nothing is saved; a NUT user name used twice is refused on the later row, and a new NUT user
needs a password; a weekly row restarting at its shutdown's day and time is refused. After
each refusal the daemon keeps serving."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_web_helpers import ADMIN_PASSWORD, client, csrf_of, login

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

ENTER = {"en": "Enter a number", "fr": "Saisissez un nombre"}
LANGUAGES = pytest.mark.parametrize("language", ["en", "fr"])


async def still_serving(http: Any, web: Any) -> None:
    async with http.get(web.http + "/api/v1/settings") as response:
        assert response.status == 200


@LANGUAGES
async def test_an_empty_number_is_refused_and_nothing_is_saved(make_web: Any, language: str) -> None:
    web = await make_web()
    web.accounts.set_language("admin", language)
    before = web.daemon.settings_manager.settings
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        for key, empty in (
            ("snmp.port", None),
            ("snmp.port", ""),
            ("shutdown.ups_shut_off_delay", None),
            ("nut.max_clients", " "),
        ):
            for path, method in (("/api/v1/settings", "PATCH"), ("/api/v1/settings/validate", "POST")):
                # With another change beside it: none of them is applied.
                changes = {key: empty, "system.contact": "someone else"}
                async with http.request(
                    method, web.http + path, json={"changes": changes}, headers=csrf_of(session)
                ) as response:
                    body = await response.json()
                if method == "POST":
                    assert response.status == 200 and body["valid"] is False, body
                    assert any(ENTER["en"] in line for line in body["problems"]), body
                    continue
                assert response.status == 400, body
                (field,) = body["fields"]
                assert field["field"] == key
                assert field["message"].endswith(ENTER[language]), field
                assert any(line.endswith(f"{key}: Enter a number") or ENTER["en"] in line for line in body["problems"])
        # A row's number (a firewall rule's prefix) in a list setting, likewise.
        rules = [{"address": "127.0.0.1", "prefix_length": None, "action": "accept"}]
        async with http.patch(
            web.http + "/api/v1/settings",
            json={"changes": {"access_control.rules": rules}},
            headers=csrf_of(session),
        ) as response:
            body = await response.json()
        assert response.status == 400, body
        # A firewall change is refused with the store's lines (the page says them in its words).
        assert body["problems"] == ["access_control.rules[0].prefix_length: Enter a number"], body
        await still_serving(http, web)
    assert web.daemon.settings_manager.settings == before  # nothing saved, not even the contact


@LANGUAGES
async def test_nut_user_names_are_distinct_and_a_new_user_needs_a_password(make_web: Any, language: str) -> None:
    web = await make_web()
    web.accounts.set_language("admin", language)
    path = web.http + "/api/v1/nut/users"
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        headers = csrf_of(session)
        rows: list[dict[str, Any]] = [
            {"row": 0, "name": "upsmon", "password": "Secret-one-1", "rights": "monitor"},
            {"row": 1, "name": "nas", "password": "Secret-two-2", "rights": "monitor"},
            {"row": 2, "name": "upsmon", "password": "Secret-three-3", "rights": "set"},
        ]
        async with http.put(path, json={"rows": rows}, headers=headers) as response:
            body = await response.json()
        assert response.status == 400, body
        (field,) = body["fields"]
        assert field["field"] == "nut.users.2.name"  # the later row is the one named
        row = {"en": "User 3, User name: “upsmon” is already used in row 1", "fr": "Utilisateur 3"}[language]
        assert field["message"].startswith(row), field
        if language == "fr":
            assert "« upsmon » est déjà utilisé à la ligne 1" in field["message"]
        assert web.daemon.settings_manager.settings.nut.users == []

        # A new user without a password (null or "") is refused; the row is named.
        rows[2].update(name="admin2", password=None)
        async with http.put(path, json={"rows": rows}, headers=headers) as response:
            body = await response.json()
        assert response.status == 400, body
        assert [item["field"] for item in body["fields"]] == ["nut.users.2.password"]
        words = {"en": "a new user needs a password", "fr": "un nouvel utilisateur a besoin d'un mot de passe"}
        assert body["fields"][0]["message"].endswith(words[language])
        assert web.daemon.settings_manager.settings.nut.users == []

        rows[2]["password"] = "Secret-three-3"
        async with http.put(path, json={"rows": rows}, headers=headers) as response:
            assert response.status == 200, await response.text()
        # Saved users keep their password when it is left empty (write-only).
        saved = [{**row, "slot": index, "password": None} for index, row in enumerate(rows)]
        async with http.put(path, json={"rows": saved}, headers=headers) as response:
            assert response.status == 200, await response.text()
        users = web.daemon.settings_manager.settings.nut.users
        assert [user.name for user in users] == ["upsmon", "nas", "admin2"]
        assert all(user.password for user in users)
        await still_serving(http, web)


@LANGUAGES
async def test_a_weekly_row_restarting_at_its_shutdown_is_refused(make_web: Any, language: str) -> None:
    web = await make_web()
    web.accounts.set_language("admin", language)
    path = web.http + "/api/v1/shutdown/weekly-schedule"
    same = {"row": 1, "shutdown_day": "monday", "shutdown_time": "10:00", "restart_day": "monday", "restart_time": "10:00"}
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.put(path, json={"rows": [same]}, headers=csrf_of(session)) as response:
            body = await response.json()
        assert response.status == 400, body
        (field,) = body["fields"]
        assert field["field"] == "shutdown.weekly_schedule.1.restart_time"
        words = {"en": "would shut nothing down", "fr": "n'arrêterait rien"}
        assert words[language] in field["message"] and field["message"].startswith(
            {"en": "Index 2, Restart time", "fr": "Numéro 2"}[language]
        ), field
        assert web.daemon.settings_manager.settings.shutdown.weekly_schedule == []
        # A restart earlier the same day is the next week's: saved.
        earlier = {**same, "restart_time": "09:00"}
        async with http.put(path, json={"rows": [earlier]}, headers=csrf_of(session)) as response:
            assert response.status == 200, await response.text()
        (row,) = web.daemon.settings_manager.settings.shutdown.weekly_schedule
        assert (row.shutdown_time, row.restart_time) == ("10:00", "09:00")
        await still_serving(http, web)
