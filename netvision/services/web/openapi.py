"""The OpenAPI 3.1 document of the REST API, served at ``/api/v1/openapi.json``.

Made from the routes of every module (routes.api_routes): their summaries,
parameters, request and answer models, and from the settings models for the
settings (the answer, where a secret shows only whether it is set, and the
changes, dotted keys with each setting's own schema, a secret write-only).
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ... import __version__
from ...settings import Settings
from ...settings.secrets import PLACEHOLDER, is_secret
from .routes import Route, api_routes

Schema = dict[str, Any]
Mode = Literal["validation", "serialization"]

ERRORS = {
    400: "Invalid request (the message says why; problems lists each refused setting)",
    401: "Login required",
    403: "Not allowed: role, CSRF token, or a password change pending",
    404: "Not found",
    409: "Refused by the UPS, or a firewall change that would refuse this client (confirm it to apply it)",
    413: "The body is too large",
    415: "The body must be JSON (Content-Type: application/json)",
    422: "A field of the body is missing or wrong: fields names each one",
    429: "Locked after repeated failed logins",
    502: "The service it needs answered with an error (the message says which)",
    503: "The daemon cannot do it now or on this board (the message says why)",
    504: "The service it needs did not answer in time",
}
SETTINGS_CHANGES = "SettingsChanges"
# A body's field marked so (api.py) holds settings changes: it refers to SettingsChanges.
CHANGES_MARK = "x-settings-changes"
# Unsettable from the web (api.py refuses it).
NOT_CHANGED = ("data_dir",)


class FieldProblem(BaseModel):
    field: str = Field(description="Dotted path of the field in the body")
    message: str


class Error(BaseModel):
    """An error answer; some add what a page needs (lockout, must_change, ended...)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="What is wrong, in words")
    problems: list[str] | None = Field(default=None, description="Each refused setting, with why")
    fields: list[FieldProblem] | None = Field(default=None, description="Each wrong field of the body (422)")


def _refs(node: Any, rename: Callable[[str], str]) -> Any:
    """A copy of a JSON schema with each ``$ref`` to ``#/$defs/X`` pointed at components."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == CHANGES_MARK and value is True:
                return {"$ref": f"#/components/schemas/{SETTINGS_CHANGES}"}
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = "#/components/schemas/" + rename(value.removeprefix("#/$defs/"))
            else:
                out[key] = _refs(value, rename)
        return out
    if isinstance(node, list):
        return [_refs(item, rename) for item in node]
    return node


def _model_of(info: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model, is a list of it) of a field holding a table or a list of tables."""
    annotation = info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True
    return None, False


def _referenced(node: Any, defs: dict[str, Schema], found: dict[str, Schema]) -> dict[str, Schema]:
    """The ``$defs`` that ``node`` refers to, and those they refer to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name not in found and name in defs:
                found[name] = defs[name]
                _referenced(defs[name], defs, found)
        for value in node.values():
            _referenced(value, defs, found)
    elif isinstance(node, list):
        for item in node:
            _referenced(item, defs, found)
    return found


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """The model and every model its fields hold (sections, table rows)."""
    seen: set[type[BaseModel]] = set()
    stack = [model]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        for info in current.model_fields.values():
            child, _many = _model_of(info)
            if child is not None:
                stack.append(child)


def _described(field: Schema, note: str) -> str:
    text = field.get("description", "")
    return f"{text}. {note}" if text else note


def _secret_shown(field: Schema) -> Schema:
    """A secret as answers show it: whether it is set, never its value."""
    note = f'Secret: set by a change (write-only), shown as "{PLACEHOLDER}" when set, "" when not.'
    return {
        "title": field.get("title", ""),
        "type": "string",
        "enum": [PLACEHOLDER, ""],
        "description": _described(field, note),
        "x-secret": True,
    }


def _secret_written(field: Schema) -> Schema:
    note = f'Secret: write-only; "{PLACEHOLDER}" keeps the current value.'
    return {**field, "writeOnly": True, "description": _described(field, note)}


def _mark_secrets(
    model: type[BaseModel], schema: Schema, defs: dict[str, Schema], mark: Callable[[Schema], Schema]
) -> None:
    for item in _models(model):
        target = schema if item is model else defs.get(item.__name__)
        if target is None:
            continue
        properties = target.get("properties", {})
        for name, info in item.model_fields.items():
            if is_secret(info) and name in properties:
                properties[name] = mark(properties[name])


class Components:
    """The document's components/schemas: each model's schema and its ``$defs``, under
    the model's name (another name when two different schemas share one)."""

    def __init__(self) -> None:
        self.schemas: dict[str, Schema] = {}

    def _name(self, name: str, schema: Schema, suffix: str) -> str:
        candidate, number = name, 1
        while candidate in self.schemas and self.schemas[candidate] != schema:
            number += 1
            candidate = f"{name}{suffix}" if number == 2 and suffix else f"{name}-{number}"
        return candidate

    def add(self, name: str, schema: Schema, defs: dict[str, Schema], suffix: str = "") -> str:
        """Register ``schema`` (with its ``$defs``) as ``name``; the name it got."""
        names = {key: key for key in defs}
        for _ in range(len(defs) + 1):  # until the names settle (a renamed def changes its users)
            rewritten = {key: _refs(value, names.__getitem__) for key, value in defs.items()}
            settled = {key: self._name(key, value, suffix) for key, value in rewritten.items()}
            if settled == names:
                break
            names = settled
        for key, value in defs.items():
            self.schemas[names[key]] = _refs(value, names.__getitem__)
        main = _refs(schema, names.__getitem__)
        final = self._name(name, main, suffix)
        self.schemas[final] = main
        return final

    def model(self, model: type[BaseModel], mode: Mode) -> Schema:
        """A reference to ``model``'s schema (the settings: their own, see :meth:`settings`)."""
        if model is Settings:
            return {"$ref": "#/components/schemas/Settings"}
        schema = model.model_json_schema(mode=mode)
        defs = schema.pop("$defs", {})
        name = self.add(model.__name__, schema, defs, "-Input" if mode == "validation" else "")
        return {"$ref": f"#/components/schemas/{name}"}

    def settings(self) -> None:
        """``Settings`` (the answer: a secret shows only whether it is set) and
        ``SettingsChanges`` (dotted keys, each with its setting's schema)."""
        shown = Settings.model_json_schema(mode="serialization")
        defs = shown.pop("$defs", {})
        _mark_secrets(Settings, shown, defs, _secret_shown)
        self.add("Settings", shown, defs)

        written = Settings.model_json_schema(mode="validation")
        defs = written.pop("$defs", {})
        _mark_secrets(Settings, written, defs, _secret_written)
        properties: dict[str, Schema] = {}

        def walk(model: type[BaseModel], schema: Schema, prefix: str) -> None:
            for name, info in model.model_fields.items():
                key = prefix + name
                if key in NOT_CHANGED:
                    continue
                child, many = _model_of(info)
                if child is not None and not many:
                    walk(child, defs[child.__name__], key + ".")
                else:
                    properties[key] = schema["properties"][name]

        walk(Settings, written, "")
        used = _referenced(properties, defs, {})
        changes = {
            "title": SETTINGS_CHANGES,
            "description": 'Settings to change, by dotted key: {"snmp.port": 1161, "system.name": "UPS room 2"}. '
            "A table (a list of rows) is given whole; a row's secret given as "
            f'"{PLACEHOLDER}" or left out keeps its current value.',
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            "minProperties": 1,
        }
        assert self.add(SETTINGS_CHANGES, changes, used, "-Input") == SETTINGS_CHANGES


def _no_null(schema: Schema) -> Schema:
    """A query or path parameter's schema without the ``null`` of an optional field."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1:
            rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
            return {**rest, **kept[0]}
    return schema


def _parameters(route: Route) -> list[Schema]:
    found: list[Schema] = []
    schema: Schema = route.parameters.model_json_schema() if route.parameters else {"properties": {}}
    required = set(schema.get("required", ()))
    names = list(schema["properties"])
    names += [name for name in route.path_names if name not in names]
    for name in names:
        field = _no_null(copy.deepcopy(schema["properties"].get(name, {"type": "string"})))
        where = "path" if name in route.path_names else "query"
        parameter: Schema = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": field,
        }
        if "description" in field:
            parameter["description"] = field["description"]
        found.append(parameter)
    if route.changes and not route.public:
        found.append({"$ref": "#/components/parameters/Csrf"})
    return found


def _operation(route: Route, components: Components) -> Schema:
    operation: Schema = {"summary": route.summary, "operationId": f"{route.method.lower()}{route.path}"}
    if route.description:
        operation["description"] = route.description
    parameters = _parameters(route)
    if parameters:
        operation["parameters"] = parameters
    content: Schema = {}
    if route.body is not None:
        content["application/json"] = {"schema": components.model(route.body, "validation")}
    for media, description in route.raw_body:
        content[media] = {"schema": {"type": "string", "format": "binary", "description": description}}
    if content:
        operation["requestBody"] = {"required": True, "content": content}
    if route.raw_response is not None:
        media, description = route.raw_response
        ok: Schema = {"description": description, "content": {media: {"schema": {"type": "string"}}}}
    elif route.response is not None:
        schema = components.model(route.response, "serialization")
        ok = {"description": route.response.__name__, "content": {"application/json": {"schema": schema}}}
    else:
        ok = {"description": "Done", "content": {"application/json": {"schema": {"type": "object"}}}}
    codes = set(route.errors) | (set() if route.public else {401, 403})
    if route.body is not None:
        codes.add(route.invalid_body)
    error = {"$ref": "#/components/schemas/Error"}
    responses = {"200": ok}
    for code in sorted(codes):
        responses[str(code)] = {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": error}},
        }
    operation["responses"] = responses
    if route.public:
        operation["security"] = []
    return operation


def build_document(routes: list[Route]) -> Schema:
    components = Components()
    components.settings()
    components.model(Error, "serialization")
    paths: dict[str, Schema] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "netvision REST API",
            "version": __version__,
            "description": "Every page reads and changes through this API. A session cookie comes from "
            "POST /api/v1/login; every change sends the session's CSRF token in X-CSRF-Token.",
        },
        "servers": [{"url": "/"}],
        "security": [{"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "nv_session"}},
            "parameters": {
                "Csrf": {
                    "name": "X-CSRF-Token",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The session's CSRF token (from /api/v1/session); required on every change",
                }
            },
            "schemas": dict(sorted(components.schemas.items())),
        },
    }


@cache
def openapi_document() -> Schema:
    return build_document(api_routes())
