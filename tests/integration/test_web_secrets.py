"""No page and no API answer shows a secret, to any role (issue 11).

Known secrets are set (SNMP communities, SNMPv3 USM passwords, trap receiver
communities, the accounts' passwords); then every GET route of the API (from the
route registry) and every page the application serves is read as admin, as a
Read/Write user, as a Read Only user and without a session, and no answer may hold
any of them. The encrypted backup is the one answer that carries them, sealed
(test_web_hardening.py).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp

from netvision.services.web.openapi import openapi_document
from netvision.services.web.routes import api_routes
from tests.integration.test_web_hardening import SECRETS, snmp_with_secrets
from tests.integration.test_web_helpers import (
    ADMIN_PASSWORD,
    READER_PASSWORD,
    WRITER_PASSWORD,
    client,
    login,
)

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

MORE = {
    "auth_2": "Auth2-secret-q7",
    "priv_2": "Priv2-secret-k8",
    "trap_2": "Trap2-c0mm-u9",
    "trap_v3": "v3trap-user-s5",  # a v3 receiver's community field holds a user name: kept secret too
}
ROLES = (("admin", ADMIN_PASSWORD), ("writer", WRITER_PASSWORD), ("reader", READER_PASSWORD))
SAMPLES = {"name": ("NETVISION-MIB.txt", "nobody")}
SKIPPED_PAGES = {"/logout"}  # it ends the session; it answers a redirect and nothing else


def secrets() -> dict[str, str]:
    return {
        **SECRETS,
        **MORE,
        "admin password": ADMIN_PASSWORD,
        "writer password": WRITER_PASSWORD,
        "reader password": READER_PASSWORD,
    }


def settings_with_secrets() -> dict[str, Any]:
    snmp = snmp_with_secrets()
    snmp["usm_users"].append(
        {
            "name": "second",
            "auth_password": MORE["auth_2"],
            "priv_password": MORE["priv_2"],
            "auth_protocol": "sha256",
        }
    )
    snmp["trap_receivers"] += [
        {"address": "192.0.2.11", "community": MORE["trap_2"], "version": "v2c"},
        {"address": "192.0.2.12", "community": MORE["trap_v3"], "version": "v3"},
    ]
    return {f"snmp.{key}": value for key, value in snmp.items()}


def api_paths() -> list[str]:
    """Every GET path of the API, with each value a path parameter can take."""
    document = openapi_document()
    paths = []
    for route in api_routes():
        if route.method != "GET":
            continue
        operation = document["paths"][route.path]["get"]
        choices: list[dict[str, str]] = [{}]
        for parameter in operation.get("parameters", []):
            if parameter.get("in") != "path":
                continue
            values = parameter["schema"].get("enum") or SAMPLES.get(parameter["name"], ("x",))
            choices = [{**choice, parameter["name"]: value} for choice in choices for value in values]
        paths += [route.path.format(**choice) for choice in choices]
    return paths


def page_paths(app: Any) -> list[str]:
    """Every page the application serves, with each value a path part can take."""
    paths = []
    for resource in app.router.resources():
        info = resource.get_info()
        if "prefix" in info:  # static files
            continue
        if "path" in info:
            paths.append(info["path"])
            continue
        formatter, pattern = info["formatter"], info["pattern"].pattern
        choices: list[dict[str, str]] = [{}]
        for name, alternatives in re.findall(r"\(\?P<(\w+)>([^()]*)\)", pattern):
            values = (
                alternatives.split("|")
                if re.fullmatch(r"[\w|.-]+", alternatives)
                else SAMPLES.get(name, ("x",))
            )
            choices = [{**choice, name: value} for choice in choices for value in values]
        paths += [formatter.format(**choice) for choice in choices]
    return sorted(path for path in paths if not path.startswith("/api/") and path not in SKIPPED_PAGES)


async def read(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    """The answer's status and text; the live stream: its first events only."""
    async with session.get(url, allow_redirects=False) as response:
        if response.content_type == "text/event-stream":
            chunks = []
            try:
                async with asyncio.timeout(3):
                    while len(chunks) < 3:
                        chunks.append((await response.content.readany()).decode())
            except TimeoutError:
                pass
            return response.status, "".join(chunks)
        return response.status, (await response.read()).decode("utf-8", "replace")


async def test_no_page_or_api_answer_shows_a_secret_to_any_role(make_web) -> None:
    web = await make_web()
    await web.daemon.settings_manager.change(settings_with_secrets(), via="test", by="test")
    known = secrets()
    api, pages = api_paths(), page_paths(web.service.app)
    assert "/api/v1/settings" in api and "/api/v1/configuration" in api and "/configuration" in pages
    seen: dict[str, set[int]] = {}
    for user, password in (*ROLES, (None, None)):
        async with client() as session:
            if user is not None:
                await login(session, web.http, user, password)
            for path in (*api, *pages):
                status, text = await read(session, web.http + path)
                assert status < 500, (user, path, status)
                found = [name for name, value in known.items() if value in text]
                assert not found, f"{user or 'no session'} reads {found} at {path}"
                seen.setdefault(path, set()).add(status)
    # The answers were real: every role read the settings, and the secrets' forms with them.
    assert seen["/api/v1/settings"] == {200, 401}
    assert 200 in seen["/configuration"] and 200 in seen["/api/v1/configuration"]
    settings_read = {
        status for path, statuses in seen.items() for status in statuses if path.startswith("/api/")
    }
    assert 200 in settings_read
