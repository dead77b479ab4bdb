"""The REST API's routes, each with what the OpenAPI document says of it.

Every module of this package that serves API routes lists them as ``ROUTES`` (or
``API_ROUTES``): a list of :class:`Route`. :func:`api_routes` gathers them from
every module of the package, so a new module's routes are served (its
``add_routes`` calls :func:`add`) and documented (``openapi.py``) without a list
to keep up to date elsewhere.

A handler that takes a JSON body names its pydantic model in its :class:`Route`
and reads it with :func:`parse_body`; the OpenAPI document is made from these
routes, their models and the settings models.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .app import ApiError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)

# Attribute names under which a module lists its API routes.
ROUTE_LISTS = ("ROUTES", "API_ROUTES")
PATH_PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str = ""
    body: type[BaseModel] | None = None  # the JSON body's model
    response: type[BaseModel] | None = None  # the JSON answer's model (200), when its shape is fixed
    errors: tuple[int, ...] = ()  # other answers it may give, besides 401/403 for a session or role
    # Path and query parameters: a field named like a {part} of the path is a path
    # parameter, any other field a query parameter.
    parameters: type[BaseModel] | None = None
    description: str = ""
    # A body that is not JSON: {media type: description}, e.g. a PEM file (sent as is).
    raw_body: tuple[tuple[str, str], ...] = ()
    # The answer when it is not JSON: (media type, description), e.g. a CSV file.
    raw_response: tuple[str, str] | None = None
    public: bool = False  # answered without a session (the login, this document)
    # The status of a body its model refuses (parse_body's ``status``): documented with the body.
    invalid_body: int = 422

    @property
    def path_names(self) -> list[str]:
        return PATH_PARAMETER.findall(self.path)

    @property
    def changes(self) -> bool:
        """A change needs the session's CSRF token (app.py)."""
        return self.method.upper() in ("POST", "PUT", "PATCH", "DELETE")


def problems(error: ValidationError) -> list[dict[str, Any]]:
    """Each problem with the field it is about (dotted), for the page to highlight it."""
    out = []
    for item in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in item.get("loc", ()))
        out.append({"field": field, "message": item.get("msg", "invalid")})
    return out


async def parse_body(request: web.Request, model: type[M], status: int = 422) -> M:
    """The request's JSON body as ``model``: 400 for no JSON object, ``status`` (422)
    naming each wrong field in ``fields``."""
    from .api import read_json

    body = await read_json(request)
    try:
        return model.model_validate(body)
    except ValidationError as error:
        found = problems(error)
        raise ApiError(
            status,
            "; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in found),
            fields=found,
        ) from None


def add(app: web.Application, routes: Iterable[Route]) -> None:
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)


def module_routes(module: object) -> list[Route]:
    found: list[Route] = []
    for name in ROUTE_LISTS:
        value = getattr(module, name, None)
        if isinstance(value, (list, tuple)):
            found += [route for route in value if isinstance(route, Route)]
    return found


# Modules of this package without routes that the daemon must not import: the certificate
# tool loads cryptography (about 10 MB resident) and runs in a child process.
NOT_ROUTES = frozenset({"certificates"})


def api_routes() -> list[Route]:
    """Every API route of every module of this package, in path order (the OpenAPI document's)."""
    package = __package__ or "netvision.services.web"
    base = importlib.import_module(package)
    routes: dict[tuple[str, str], Route] = {}
    for info in sorted(pkgutil.iter_modules(base.__path__), key=lambda item: item.name):
        if info.ispkg or info.name.startswith("_") or info.name in NOT_ROUTES:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for route in module_routes(module):
            routes.setdefault((route.method.upper(), route.path), route)
    return sorted(routes.values(), key=lambda route: (route.path, route.method))
