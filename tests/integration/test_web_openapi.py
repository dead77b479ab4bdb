"""The OpenAPI document: made from the routes and models, and true of the running API (issue 11)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from netvision.services.web.openapi import openapi_document
from netvision.services.web.routes import api_routes
from netvision.settings import Settings
from netvision.settings.secrets import PLACEHOLDER, secret_keys
from tests.integration.test_web_hardening import make_web_with_secrets
from tests.integration.test_web_helpers import ADMIN_PASSWORD, client, login

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

METHODS = {"get", "put", "post", "patch", "delete"}
# Fuzzed bodies per operation: enough to reach every kind of setting, quick on two cores.
EXAMPLES = 15


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def schemas() -> dict[str, Any]:
    return openapi_document()["components"]["schemas"]


def test_the_document_lists_every_route_of_the_registry() -> None:
    routes = api_routes()
    assert operations(openapi_document()) == {(route.method, route.path) for route in routes}
    assert all(route.summary for route in routes)
    assert len(routes) == len({(route.method, route.path) for route in routes})


async def test_the_document_lists_exactly_the_api_routes_served_and_bodies_are_checked(make_web) -> None:
    web = await make_web()
    served = {
        (route.method, route.resource.canonical)
        for route in web.service.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method != "HEAD"
    }
    assert operations(openapi_document()) == served
    async with client() as session:
        headers = {"X-CSRF-Token": (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]}
        # A wrong body: 422, each wrong field named (for the page to highlight it).
        wrong = {"language": "de", "colour": "blue"}
        async with session.patch(f"{web.http}/api/v1/account", json=wrong, headers=headers) as response:
            body = await response.json()
            assert response.status == 422, body
            assert [problem["field"] for problem in body["fields"]] == ["language", "colour"]
        async with session.patch(
            f"{web.http}/api/v1/settings", json={"changes": {}}, headers=headers
        ) as response:
            body = await response.json()
            assert response.status == 422 and body["fields"][0]["field"] == "changes", body
        async with session.post(
            f"{web.http}/api/v1/configuration/backup", json={"password": 12345678}, headers=headers
        ) as response:
            assert response.status == 422  # strict: a number is no password
        # The login keeps its 400 for a wrong body, naming the field all the same.
        async with session.post(f"{web.http}/api/v1/login", json={"user": "admin"}) as response:
            body = await response.json()
            assert response.status == 400 and body["fields"][0]["field"] == "password", body


def test_request_bodies_and_answers_come_from_models() -> None:
    document = openapi_document()
    login = document["paths"]["/api/v1/login"]["post"]
    assert login["security"] == []
    body = schemas()[login["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    assert body["required"] == ["user", "password"] and body["additionalProperties"] is False
    assert (
        body["properties"]["user"]["maxLength"] == 32 and body["properties"]["password"]["writeOnly"] is True
    )
    certificate = document["paths"]["/api/v1/certificate"]["post"]["requestBody"]["content"]
    assert certificate == {
        "application/x-pem-file": {
            "schema": {"type": "string", "format": "binary", "description": "The PEM file, sent as is"}
        }
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS and method != "get" and path != "/api/v1/login":
                assert {"$ref": "#/components/parameters/Csrf"} in operation["parameters"], (method, path)
    # every reference resolves, and no $defs is left inside
    text = json.dumps(document)
    assert "$defs" not in text
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas(), ref


def test_the_settings_schema_comes_from_the_settings_models() -> None:
    settings, changes = schemas()["Settings"], schemas()["SettingsChanges"]
    assert set(settings["properties"]) == set(Settings.model_fields)
    http_port = schemas()["WebSettings"]["properties"]["http_port"]
    assert (http_port["type"], http_port["minimum"], http_port["maximum"]) == ("integer", 1, 65535)
    assert changes["additionalProperties"] is False and changes["minProperties"] == 1
    assert "data_dir" not in changes["properties"]
    assert changes["properties"]["snmp.port"]["maximum"] == 65535
    assert changes["properties"]["system.language"]["enum"] == ["en", "fr"]
    assert changes["properties"]["snmp.usm_users"]["items"] == {"$ref": "#/components/schemas/UsmUser-Input"}
    # Secrets: write-only when written, only "set or not" when read.
    for key in secret_keys():
        section, _, rest = key.partition(".")
        if "[]" not in rest:
            assert changes["properties"][key]["writeOnly"] is True, key
    assert schemas()["SnmpSettings"]["properties"]["read_community"]["enum"] == [PLACEHOLDER, ""]
    for row in ("UsmUser", "TrapReceiver"):
        shown, written = schemas()[row], schemas()[f"{row}-Input"]
        for name, field in written["properties"].items():
            if field.get("writeOnly"):
                assert shown["properties"][name]["enum"] == [PLACEHOLDER, ""], (row, name)
    assert schemas()["UsmUser-Input"]["properties"]["auth_password"]["writeOnly"] is True


def test_a_route_of_a_new_module_is_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module's ``ROUTES`` reaches the document with its models (routes.api_routes)."""
    from pydantic import BaseModel

    from netvision.services.web import openapi, routes

    class Probe(BaseModel):
        address: str

    async def handler(request: Any) -> Any:
        raise NotImplementedError

    extra = routes.Route("POST", "/api/v1/probe", handler, "Probe", body=Probe, response=Probe, errors=(422,))
    document = openapi.build_document([*api_routes(), extra])
    operation = document["paths"]["/api/v1/probe"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Probe"
    }
    assert document["components"]["schemas"]["Probe"]["required"] == ["address"]
    assert set(operation["responses"]) == {"200", "401", "403", "422"}


async def test_openapi_document_holds_against_the_running_api(make_web) -> None:
    """schemathesis calls every read operation of the document and checks status codes,
    content types and answer schemas (the settings with their secrets set included); then it
    sends bodies made from the request schemas to the operations that change nothing."""
    schemathesis = pytest.importorskip("schemathesis")
    web = await make_web_with_secrets(make_web)
    async with client() as session:
        csrf = (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]
        cookie = next(c.value for c in session.cookie_jar if c.key == "nv_session")

    def fuzz(strategy: Any, failures: list[str], excluded: tuple[Any, ...] = ()) -> int:
        from hypothesis import HealthCheck, given, settings

        calls = 0

        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=strategy)
        def call(case: Any) -> None:
            nonlocal calls
            calls += 1
            try:
                case.call_and_validate(base_url=web.http, excluded_checks=list(excluded))
            except Exception as failure:  # noqa: BLE001
                failures.append(f"{case.method} {case.path} {case.body!r}: {failure}")

        call()
        return calls

    def check() -> tuple[int, list[str]]:
        from schemathesis import openapi

        schema = openapi.from_dict(openapi_document())
        schema.validate()  # against the OpenAPI 3.1 schema
        schema.config.base_url = web.http  # type: ignore[attr-defined]
        failures = []
        checked = 0
        for operation in [result.ok() for result in schema.get_all_operations()]:  # each one parses
            if operation.method.upper() != "GET" or operation.path == "/api/v1/live":
                continue
            choices: tuple[dict[str, str] | None, ...] = (None,)
            if "{log}" in operation.path:
                choices = tuple({"log": log} for log in ("ups", "netvision", "history", "extended"))
            elif "{name}" in operation.path:
                choices = ({"name": "NETVISION-MIB.txt"}, {"name": "missing.txt"})
            for parameters in choices:
                log = json.dumps(parameters) if parameters else ""
                case = operation.Case(cookies={"nv_session": cookie}, path_parameters=parameters)
                checked += 1
                try:
                    case.call_and_validate(base_url=web.http)
                except Exception as failure:  # noqa: BLE001
                    failures.append(f"{operation.method} {operation.path} {log or ''}: {failure}")

        # Bodies from the schemas, to operations that change nothing: the settings check
        # (every setting's schema) and a page language (the admin's own, put back below).
        # Wrong bodies too: refused with a documented status, never a server error. The
        # settings check answers a wrong value with 200 and {"valid": false}: its purpose.
        from schemathesis import GenerationMode
        from schemathesis.specs.openapi.checks import negative_data_rejection

        for path, method in (("/api/v1/settings/validate", "POST"), ("/api/v1/account", "PATCH")):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = schema[path][method].as_strategy(
                    mode,
                    headers={"X-CSRF-Token": csrf},
                    cookies={"nv_session": cookie},
                    media_type="application/json",
                )
                checks_off = (negative_data_rejection,) if path.endswith("/validate") else ()
                checked += fuzz(strategy, failures, checks_off)
        return checked, failures

    assert schemathesis is not None
    checked, failures = await asyncio.to_thread(check)
    assert not failures, "\n".join(failures[:5])
    assert checked >= 40
