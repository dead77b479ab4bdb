"""The REST API's routes, each with what the OpenAPI document says of it.

A handler that takes a body names its pydantic model in its :class:`Route` and
reads it with :func:`parse_body`; the OpenAPI document (``openapi.py``) is made
from these routes, their models and the settings models.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .app import ApiError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str = ""
    body: type[BaseModel] | None = None  # the JSON body's model
    response: type[BaseModel] | None = None  # the JSON answer's model (200)
    errors: tuple[int, ...] = ()  # other answers it may give, besides 401/403 for a session or role


def problems(error: ValidationError) -> list[dict[str, Any]]:
    """Each problem with the field it is about (dotted), for the page to highlight it."""
    out = []
    for item in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in item.get("loc", ()))
        out.append({"field": field, "message": item.get("msg", "invalid")})
    return out


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The request's JSON body as ``model``: 400 for no JSON object, 422 naming each
    wrong field."""
    from .api import read_json

    body = await read_json(request)
    try:
        return model.model_validate(body)
    except ValidationError as error:
        found = problems(error)
        raise ApiError(
            422, "; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in found), fields=found
        ) from None


def add(app: web.Application, routes: Iterable[Route]) -> None:
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)
