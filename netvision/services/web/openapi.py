"""The OpenAPI 3.1 document of the REST API, served at ``/api/v1/openapi.json``.

Kept next to the routes (api.py); a test checks both list the same operations.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ... import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}
_JSON_OBJECT = {"type": "object"}


def _response(description: str, schema: dict[str, Any] | None = None, media: str = "application/json") -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema is not None:
        body["content"] = {media: {"schema": schema}}
    return body


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Invalid request (the message says why)",
        401: "Login required",
        403: "Not allowed: role, CSRF token or password change pending",
        404: "Not found",
        409: "Refused by the UPS, or a firewall change that would cut off this client (confirm_lockout)",
        415: "The body must be JSON (Content-Type: application/json)",
        429: "Locked after repeated failed logins",
        503: "The daemon cannot do it on this board (the message says why)",
    }
    return {str(code): _response(text[code], _ERROR) for code in codes}


def _body(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": schema}}}


def _op(summary: str, ok: dict[str, Any], *codes: int, body: dict[str, Any] | None = None, change: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {"200": ok, **_errors(*codes)}}
    if body is not None:
        operation["requestBody"] = body
    if change:
        operation["parameters"] = [{"$ref": "#/components/parameters/Csrf"}]
    return operation


@cache
def openapi_document() -> dict[str, Any]:
    log_parameter = {"name": "log", "in": "path", "required": True, "schema": {"enum": ["ups", "netvision", "history", "extended"]}}
    name_parameter = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    session = {"$ref": "#/components/schemas/Session"}
    settings_changes = _body(
        {
            "type": "object",
            "required": ["changes"],
            "properties": {
                "changes": {"type": "object", "description": 'dotted keys: {"snmp.port": 1161}'},
                "confirm_lockout": {
                    "type": "boolean",
                    "description": "apply a firewall change after which this client would be refused (else 409)",
                },
            },
        }
    )
    certificate = {"$ref": "#/components/schemas/Certificate"}
    restore_report = {
        "type": "object",
        "required": ["changes", "partial", "kept", "encrypted", "note"],
        "properties": {
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "secret"],
                    "properties": {"key": {"type": "string"}, "old": {}, "new": {}, "secret": {"type": "boolean"}},
                },
            },
            "partial": {"type": "boolean"},
            "kept": {"type": "array", "items": {"type": "string"}},
            "encrypted": {"type": "boolean"},
            "note": {"type": "string"},
        },
    }
    upload_body = {
        "required": True,
        "content": {
            "application/toml": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string"}, "password": {"type": "string"}},
                }
            },
        },
    }
    paths: dict[str, Any] = {
        "/api/v1/login": {
            "post": {
                **_op(
                    "Open the session (ends any other, §11.5); same-origin JSON only, locked per account and address",
                    _response("Logged in; the session cookie is set", session),
                    400, 401, 403, 415, 429,
                    body=_body(
                        {
                            "type": "object",
                            "required": ["user", "password"],
                            "properties": {
                                "user": {"type": "string", "minLength": 1, "maxLength": 32},
                                "password": {"type": "string", "maxLength": 256},
                            },
                        }
                    ),
                ),
                "security": [],
            }
        },
        "/api/v1/logout": {"post": _op("Close the session", _response("Logged out", _JSON_OBJECT), 401, 403, change=True)},
        "/api/v1/session": {"get": _op("The current session and its CSRF token", _response("Session", session), 401)},
        "/api/v1/password": {
            "post": _op(
                "Change one's own password (policy §11.5); the session ends",
                _response("Changed", _JSON_OBJECT),
                400, 401, 403,
                body=_body(
                    {
                        "type": "object",
                        "required": ["current", "new"],
                        "properties": {"current": {"type": "string"}, "new": {"type": "string"}},
                    }
                ),
                change=True,
            )
        },
        "/api/v1/account": {
            "patch": _op(
                "Own preferences (page language)",
                _response("Account", {"$ref": "#/components/schemas/Account"}),
                400, 401, 403,
                body=_body({"type": "object", "properties": {"language": {"enum": ["", "en", "fr"]}}}),
                change=True,
            )
        },
        "/api/v1/snapshot": {
            "get": _op("The latest snapshot: identity, topology, system, units, modules", _response("Snapshot", {"$ref": "#/components/schemas/Snapshot"}), 401, 403)
        },
        "/api/v1/services": {
            "get": _op(
                "Every service's health: state, listening addresses, last error, counters",
                _response("Services", {"$ref": "#/components/schemas/Services"}),
                401, 403,
            )
        },
        "/api/v1/alarms": {
            "get": {
                **_op("The alarm table (§12.3)", _response("Active alarms", _JSON_OBJECT), 400, 401, 403, 404),
                "parameters": [{"name": "unit", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^[0-9]+$"}}],
            }
        },
        "/api/v1/live": {
            "get": _op(
                "Server-sent events: 'snapshot' after every poll, 'control' results, 'ended' when the session ends",
                _response("Event stream", {"type": "string"}, "text/event-stream"),
                401, 403,
            )
        },
        "/api/v1/controls": {
            "get": _op("Controls of this UPS and whether it permits them now (§16.1)", _response("Controls", _JSON_OBJECT), 401, 403),
            "post": _op(
                "Send a control through the poller's queue (admin, Read/Write)",
                _response("Accepted by the UPS", _JSON_OBJECT),
                400, 401, 403, 409,
                body=_body(
                    {
                        "type": "object",
                        "required": ["control"],
                        "properties": {"control": {"type": "string"}, "unit": {"type": "integer", "minimum": 0, "maximum": 15}},
                    }
                ),
                change=True,
            ),
        },
        "/api/v1/battery-test": {
            "get": _op(
                "Battery test status, last test and result, per unit for distributed batteries (§16.2)",
                _response("Battery test rows", _JSON_OBJECT),
                401, 403,
            ),
        },
        "/api/v1/clock": {
            "get": _op("NET VISION and UPS date and time (§18.1)", _response("Clock", _JSON_OBJECT), 401, 403),
            "post": _op(
                "Set the NET VISION clock: manually or from the browser's clock (§18.1; admin, Read/Write)",
                _response("Clock set; the change is logged", _JSON_OBJECT),
                400, 401, 403, 503,
                body=_body(
                    {
                        "type": "object",
                        "required": ["time"],
                        "properties": {
                            "time": {"type": "string", "description": "ISO 8601; without offset: local time of system.time_zone"},
                            "source": {"enum": ["manual", "browser"]},
                        },
                    }
                ),
                change=True,
            ),
        },
        "/api/v1/settings": {
            "get": _op("All settings", _response("Settings", _JSON_OBJECT), 401, 403),
            "patch": _op("Change settings (admin, Read/Write; the firewall: admin)", _response("The new settings", _JSON_OBJECT), 400, 401, 403, 409, body=settings_changes, change=True),
        },
        "/api/v1/settings/validate": {
            "post": _op("Check changes without applying them", _response("Validation result", _JSON_OBJECT), 400, 401, 403, body=settings_changes, change=True)
        },
        "/api/v1/configuration": {
            "get": _op(
                "Configuration backup (TOML, §18.2) without its secrets: restoring it keeps the current ones",
                _response("netvision.toml", {"type": "string"}, "application/toml"),
                401, 403,
            ),
            "post": _op(
                "Restore a configuration backup, merged over the current settings (a partial file changes only "
                "what it holds): validated completely before anything changes",
                _response("Restored: what changed", restore_report),
                400, 401, 403,
                body=upload_body,
                change=True,
            ),
        },
        "/api/v1/configuration/preview": {
            "post": _op(
                "What restoring this file would change (nothing is applied), for the confirmation",
                _response("What would change", restore_report),
                400, 401, 403,
                body=upload_body,
                change=True,
            ),
        },
        "/api/v1/configuration/backup": {
            "post": _op(
                "Encrypted backup with the secrets (admin): AES-256-GCM under a key derived (scrypt) from the password",
                _response("netvision-backup.json", _JSON_OBJECT),
                400, 401, 403,
                body=_body(
                    {"type": "object", "required": ["password"], "properties": {"password": {"type": "string", "minLength": 8}}}
                ),
                change=True,
            ),
        },
        "/api/v1/agent/restart": {
            "post": _op(
                "Restart NET VISION (admin; App. SSH menu 4): answered, then every service restarts",
                _response("Restarting", _JSON_OBJECT),
                401, 403, 503,
                change=True,
            )
        },
        "/api/v1/agent/reset": {
            "post": _op(
                "Reset the configuration to default, serial link and accounts kept, then restart (admin; App. SSH menu 3)",
                _response("Resetting and restarting", _JSON_OBJECT),
                401, 403, 503,
                change=True,
            )
        },
        "/api/v1/accounts": {"get": _op("Multi-user table (admin, §18.4)", _response("Accounts", _JSON_OBJECT), 401, 403)},
        "/api/v1/accounts/{name}": {
            "parameters": [name_parameter],
            "put": _op(
                "Create or change a user (admin)",
                _response("Account", {"$ref": "#/components/schemas/Account"}),
                400, 401, 403,
                body=_body(
                    {
                        "type": "object",
                        "required": ["role"],
                        "properties": {
                            "role": {"enum": ["disabled", "read_only", "read_write"]},
                            "password": {"type": "string"},
                            "language": {"enum": ["", "en", "fr"]},
                        },
                    }
                ),
                change=True,
            ),
            "delete": _op("Delete a user (admin)", _response("Deleted", _JSON_OBJECT), 400, 401, 403, 404, change=True),
        },
        "/api/v1/certificate": {
            "get": _op("The HTTPS certificate in use", _response("Certificate", certificate), 401, 403),
            "post": _op(
                "Upload a PEM holding private key and certificate (≤ 8 KB)",
                _response("Certificate", certificate),
                400, 401, 403,
                body=_body({"type": "string"}, "application/x-pem-file"),
                change=True,
            ),
            "delete": _op("Remove the uploaded certificate (back to the generated one)", _response("Certificate", certificate), 401, 403, change=True),
        },
        "/api/v1/certificate/ca": {
            "get": _op("The root CA certificate (cacert.crt)", _response("PEM", {"type": "string"}, "application/x-x509-ca-cert"), 401, 403)
        },
        "/api/v1/logs": {"get": _op("Record count of each log (§21)", _response("Counts", _JSON_OBJECT), 401, 403, 404)},
        "/api/v1/logs/{log}": {
            "parameters": [log_parameter],
            "get": {
                **_op("One page of a log: events (§21.3, §21.4) or history (§21.1, §21.2)", _response("Page", {"$ref": "#/components/schemas/LogPage"}), 400, 401, 403, 404),
                "parameters": [
                    {"name": "page", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                    {"name": "per_page", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                    {"name": "start", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "end", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "sort", "in": "query", "required": False, "schema": {"enum": ["time", "severity"]}},
                    {"name": "order", "in": "query", "required": False, "schema": {"enum": ["asc", "desc"]}},
                ],
            },
            "delete": _op("Clear a log (admin, Read/Write, §21.5)", _response("Cleared", _JSON_OBJECT), 401, 403, 404, change=True),
        },
        "/api/v1/logs/{log}/series": {
            "parameters": [log_parameter],
            "get": {
                **_op("Points for the log graph (history, extended)", _response("Series", _JSON_OBJECT), 400, 401, 403, 404),
                "parameters": [
                    {"name": "range", "in": "query", "required": False, "schema": {"enum": ["30m", "1h", "3h", "6h", "12h", "1d", "custom"]}},
                    {"name": "start", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "end", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
                ],
            },
        },
        "/api/v1/logs/{log}/csv": {
            "parameters": [log_parameter],
            "get": {
                **_op("The log as CSV (§21.5; admin and Read/Write)", _response("CSV", {"type": "string"}, "text/csv"), 400, 401, 403, 404),
                "parameters": [
                    {"name": "start", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "end", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
                ],
            },
        },
        "/api/v1/mibs": {"get": _op("The MIB files shipped (§18.2 'Download MIB file')", _response("MIB names", _JSON_OBJECT), 401, 403)},
        "/api/v1/mibs/{name}": {
            "parameters": [name_parameter],
            "get": _op("One MIB file", _response("MIB text", {"type": "string"}, "text/plain"), 401, 403, 404),
        },
        "/api/v1/openapi.json": {"get": {**_op("This document", _response("OpenAPI", _JSON_OBJECT)), "security": []}},
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "netvision REST API", "version": __version__},
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
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "problems": {"type": "array", "items": {"type": "string"}}},
                },
                "Services": {
                    "type": "object",
                    "required": ["services"],
                    "properties": {
                        "services": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "state", "addresses", "last_error", "since", "counters"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "state": {"enum": ["disabled", "running", "failed"]},
                                    "addresses": {"type": "array", "items": {"type": "string"}},
                                    "last_error": {"type": "string"},
                                    "since": {"type": ["string", "null"], "format": "date-time"},
                                    "counters": {"type": "object", "additionalProperties": {"type": "number"}},
                                },
                            },
                        }
                    },
                },
                "Session": {
                    "type": "object",
                    "required": ["user", "role", "must_change", "csrf"],
                    "properties": {
                        "user": {"type": "string"},
                        "role": {"enum": ["admin", "read_write", "read_only"]},
                        "language": {"type": "string"},
                        "must_change": {"type": "boolean"},
                        "can_write": {"type": "boolean"},
                        "csrf": {"type": "string"},
                        "password_days_left": {
                            "type": ["integer", "null"],
                            "description": "at login: days before the password must be changed (FR §11.6)",
                        },
                    },
                },
                "Account": {
                    "type": "object",
                    "required": ["name", "role"],
                    "properties": {
                        "name": {"type": "string"},
                        "role": {"enum": ["admin", "read_write", "read_only", "disabled"]},
                        "language": {"type": "string"},
                        "must_change": {"type": "boolean"},
                        "password_changed": {"type": "number"},
                    },
                },
                "Certificate": {
                    "type": "object",
                    "required": ["subject", "issuer", "not_before", "not_after", "uploaded"],
                    "properties": {
                        "subject": {"type": "string"},
                        "issuer": {"type": "string"},
                        "not_before": {"type": "string"},
                        "not_after": {"type": "string"},
                        "uploaded": {"type": "boolean"},
                    },
                },
                "LogPage": {
                    "type": "object",
                    "required": ["log", "rows", "total", "page", "pages", "per_page"],
                    "properties": {
                        "log": {"type": "string"},
                        "rows": {"type": "array", "items": {"type": "object"}},
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "pages": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "columns": {"type": "array"},
                    },
                },
                "Snapshot": {
                    "type": "object",
                    "required": ["sequence", "time", "communication", "system", "units", "modules", "permissions"],
                    "properties": {
                        "sequence": {"type": "integer"},
                        "time": {"type": "string"},
                        "stale": {"type": "boolean", "description": "communication lost: the values are the last read"},
                        "last_read": {"type": ["string", "null"], "description": "when the values were read"},
                        "communication": {"type": "object"},
                        "identity": {"type": ["object", "null"]},
                        "topology": {"type": ["object", "null"]},
                        "system": {"type": ["object", "null"]},
                        "units": {"type": "array"},
                        "modules": {"type": "array"},
                        "permissions": {"type": "object"},
                        "remote_controls_permitted": {"type": "boolean"},
                        "ups_time": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }
