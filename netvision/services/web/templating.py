"""Pages from Jinja2 templates (aiohttp-jinja2): one base layout, autoescaping on.

:func:`render` gives every page the same context: the language and its labels
(``t``), the session, the settings, the menu, the status banner, the live state the
scripts start from, and ``static()`` for versioned asset addresses.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from ...i18n import label
from ...store.timefmt import format_time as manual_time
from .app import STATIC_DIR, session_of, state_of

TEMPLATE_DIR = Path(__file__).with_name("templates")


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["json_script"] = json_script


def json_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def static_url(request: web.Request, name: str) -> str:
    router = request.app.router
    return str(router["static"].url_for(filename=name)) if "static" in router else f"/static/{name}"


@cache
def page_script(page_name: str) -> str | None:
    """The page's own module (static/js/pages/<page>.js), if it has one."""
    name = f"js/pages/{page_name}.js"
    return name if (STATIC_DIR / name).is_file() else None


def format_time(value: datetime | None, time_zone: str = "UTC", dst: str = "auto") -> str:
    """dd/mm/yyyy hh:mm:ss in NET VISION's time zone; "—" for no time."""
    if value is None:
        return "—"
    return manual_time(value, time_zone, dst)


def base_context(request: web.Request, language: str, sts: bool = False) -> dict[str, Any]:
    state = state_of(request)
    system = state.settings.system

    def t(key: str, **values: Any) -> str:
        text = label(key, language, sts)
        return text.format(**values) if values else text

    return {
        "language": language,
        "t": t,
        "settings": state.settings,
        "static": lambda name: static_url(request, name),
        "time": lambda value: format_time(value, system.time_zone, system.dst),
    }


def render(
    request: web.Request,
    template: str,
    *,
    title_key: str,
    page_name: str,
    data: dict[str, Any] | None = None,
    **context: Any,
) -> web.Response:
    """A page in the base layout. ``data`` reaches the page's script as JSON."""
    from .layout import layout_context

    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    values = base_context(request, language, state.is_sts)
    values.update(layout_context(request, state, session, language))
    values.update(
        title=values["t"](title_key),
        page_name=page_name,
        page_script=page_script(page_name),
        page_data=data or {},
        live_json=state.live_body(language).decode(),
    )
    values.update(context)
    return aiohttp_jinja2.render_template(template, request, values)


def render_public(request: web.Request, template: str, language: str, **context: Any) -> web.Response:
    """A page outside the layout (login)."""
    values = base_context(request, language)
    values.update(context)
    return aiohttp_jinja2.render_template(template, request, values)

