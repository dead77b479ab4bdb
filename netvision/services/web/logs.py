"""Logs in the browser (EN §21): history and extended history as tables and graphs,
UPS and NET VISION event logs, clear & save (CSV). Read from the daemon's store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, JsonValue

from ...events.catalog import LOG_CLEARED_EVENTS, make_event
from ...store import StoreError, format_time
from ...store.columns import STS_HISTORY, UPS_HISTORY, UPS_HISTORY_EXTRA
from .app import ApiError, require_write, session_of, state_of
from .labels import t
from .routes import Route, add
from .units import converted, is_temperature

LOGS = ("ups", "netvision", "history", "extended")
PER_PAGE_CHOICES = (5, 10, 20, 50, 100)  # §21 "Log count per page"
GRAPH_PRESETS = {"30m": 1800, "1h": 3600, "6h": 21600, "12h": 43200, "1d": 86400}  # §21.1 graph ranges


def _store(request: web.Request) -> Any:
    store = state_of(request).store()
    if store is None:
        raise ApiError(404, "the logs are not available (no log store)")
    return store


def _log_name(request: web.Request) -> str:
    name = request.match_info["log"]
    if name not in LOGS:
        raise ApiError(404, f"no log {name!r} (one of {', '.join(LOGS)})")
    return name


def _time(request: web.Request, key: str) -> datetime | None:
    text = request.query.get(key, "")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{key} must be an ISO 8601 date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int(request: web.Request, key: str, default: int, low: int, high: int) -> int:
    text = request.query.get(key, str(default))
    if not text.isdigit() or not low <= int(text) <= high:
        raise ApiError(400, f"{key} must be an integer {low}..{high}")
    return int(text)


def _columns(language: str, temperature_unit: str) -> list[dict[str, str]]:
    columns = (*UPS_HISTORY, *UPS_HISTORY_EXTRA, *STS_HISTORY)
    return [{"key": c.key, "label": c.label(language, temperature_unit)} for c in columns]


def _celsius_to_unit(key: str, value: float | None, unit: str) -> float | None:
    if value is None or unit != "F" or not is_temperature(key):
        return value
    return round(converted(key, value, True), 1)


def _in_unit(values: Mapping[str, float | None], unit: str) -> dict[str, float | None]:
    return {key: _celsius_to_unit(key, value, unit) for key, value in values.items()}


async def get_log(request: web.Request) -> web.Response:
    from .api import json_response

    state = state_of(request)
    store = _store(request)
    name = _log_name(request)
    language = state.language(session_of(request))
    settings = state.settings.system
    page = _int(request, "page", 1, 1, 1_000_000)
    per_page = _int(request, "per_page", 10, 1, 1000)
    start, end = _time(request, "start"), _time(request, "end")
    order = request.query.get("order", "desc")
    sort = request.query.get("sort", "time")
    if order not in ("asc", "desc") or sort not in ("time", "severity"):
        raise ApiError(400, "order is asc or desc; sort is time or severity")

    def when(moment: datetime) -> str:
        return format_time(moment, settings.time_zone, settings.dst)

    try:
        if name in ("ups", "netvision"):
            result = await store.events(
                name, start=start, end=end, sort=sort, descending=order == "desc", page=page, per_page=per_page
            )
            rows = [
                {
                    "time": when(r.time),
                    "iso": r.time.isoformat(),
                    "level": r.severity.letter,
                    "level_label": t(f"level.{r.severity.letter}", language),
                    "text": r.text(language),
                }
                for r in result.rows
            ]
        elif name == "history":
            result = await store.history(start=start, end=end, descending=order == "desc", page=page, per_page=per_page)
            unit = settings.temperature_unit
            rows = [
                {"time": when(r.time), "iso": r.time.isoformat(), "values": _in_unit(r.values, unit)}
                for r in result.rows
            ]
        else:
            result = await store.extended(start=start, end=end, descending=order == "desc", page=page, per_page=per_page)
            rows = [
                {
                    "time": when(r.start),
                    "end": when(r.end),
                    "samples": r.samples,
                    "minimum": _in_unit(r.minimum, settings.temperature_unit),
                    "average": _in_unit(r.average, settings.temperature_unit),
                    "maximum": _in_unit(r.maximum, settings.temperature_unit),
                }
                for r in result.rows
            ]
    except StoreError as problem:
        raise ApiError(400, str(problem)) from None
    return json_response(
        {
            "log": name,
            "rows": rows,
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "per_page": result.per_page,
            "columns": _columns(language, settings.temperature_unit) if name in ("history", "extended") else [],
        }
    )


async def get_series(request: web.Request) -> web.Response:
    """Points of the history (or min/avg/max of the extended log) for the graph view (§21.1, §21.2)."""
    from .api import json_response

    store = _store(request)
    name = _log_name(request)
    if name not in ("history", "extended"):
        raise ApiError(400, "series exist for the history and extended logs only")
    preset = request.query.get("range", "1h")
    if preset not in GRAPH_PRESETS:
        raise ApiError(400, f"range is one of {', '.join(GRAPH_PRESETS)}")
    end = datetime.now(UTC)
    start = end - timedelta(seconds=GRAPH_PRESETS[preset])
    if name == "history":
        records = await store.history_series(start, end)
        points = [{"t": r.time.isoformat(), "values": dict(r.values)} for r in records]
    else:
        records = await store.extended_series(start, end)
        points = [
            {"t": r.start.isoformat(), "minimum": dict(r.minimum), "average": dict(r.average), "maximum": dict(r.maximum)}
            for r in records
        ]
    return json_response({"log": name, "range": preset, "points": points})


async def get_csv(request: web.Request) -> web.StreamResponse:
    """§21.5 "save": the whole log (or a time range) as CSV, streamed."""
    state = state_of(request)
    store = _store(request)
    name = _log_name(request)
    settings = state.settings.system
    start, end = _time(request, "start"), _time(request, "end")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}_log.csv"',
        }
    )
    await response.prepare(request)
    async for chunk in store.export_csv(
        name,
        time_zone=settings.time_zone,
        dst=settings.dst,
        language=state.language(session_of(request)),
        temperature_unit=settings.temperature_unit,
        start=start,
        end=end,
    ):
        await response.write(chunk.encode())
    await response.write_eof()
    return response


async def clear_log(request: web.Request) -> web.Response:
    """§21.5 "clear": admin and Read/Write; the "… log cleared" event is logged after the clear."""
    from .api import json_response

    state = state_of(request)
    session = require_write(request)
    store = _store(request)
    name = _log_name(request)
    count = await store.clear(name)
    state.context.bus.publish(make_event(LOG_CLEARED_EVENTS[name], by=session.user, via="Web"))
    return json_response({"log": name, "cleared": count})


async def get_counts(request: web.Request) -> web.Response:
    from .api import json_response

    store = _store(request)
    return json_response({name: await store.count(name) for name in LOGS})


# -- the API routes and what the OpenAPI document says of them --------------------------------------

def _number() -> Any:
    return Field(default=None, pattern="^[0-9]+$")


def _moment() -> Any:
    return Field(default=None, description="ISO 8601 date or date and time (UTC without an offset)")


class LogName(BaseModel):
    log: Literal[LOGS]  # type: ignore[valid-type]


class LogQuery(LogName):
    page: str | None = _number()
    per_page: str | None = _number()
    start: str | None = _moment()
    end: str | None = _moment()
    sort: Literal["time", "severity"] = "time"
    order: Literal["asc", "desc"] = "desc"


class SeriesQuery(LogName):
    range: Literal[tuple(GRAPH_PRESETS)] = "1h"  # type: ignore[valid-type]


class CsvQuery(LogName):
    start: str | None = _moment()
    end: str | None = _moment()


class LogCounts(BaseModel):
    ups: int
    netvision: int
    history: int
    extended: int


class LogPage(BaseModel):
    log: str
    rows: list[dict[str, JsonValue]]
    total: int
    page: int
    pages: int
    per_page: int
    columns: list[dict[str, JsonValue]] = Field(description="The history's columns (none for an event log)")


class Series(BaseModel):
    log: str
    range: str
    points: list[dict[str, JsonValue]]


class Cleared(BaseModel):
    log: str
    cleared: int = Field(description="Records removed")


API_ROUTES = [
    Route("GET", "/api/v1/logs", get_counts, "The record count of each log", response=LogCounts, errors=(404,)),
    Route("GET", "/api/v1/logs/{log}", get_log, "One page of a log: events, history or extended history",
          parameters=LogQuery, response=LogPage, errors=(400, 404)),
    Route("GET", "/api/v1/logs/{log}/series", get_series, "Points for the log graph (history, extended history)",
          parameters=SeriesQuery, response=Series, errors=(400, 404)),
    Route("GET", "/api/v1/logs/{log}/csv", get_csv, "The log as CSV (admin, Read/Write)", parameters=CsvQuery,
          raw_response=("text/csv", "The log, one record a line"), errors=(400, 404)),
    Route("DELETE", "/api/v1/logs/{log}", clear_log, "Clear a log (admin, Read/Write)", parameters=LogName,
          response=Cleared, errors=(404,)),
]  # fmt: skip


# -- pages ----------------------------------------------------------------------------------------


def e(value: object) -> str:
    return escape(str(value), quote=True)


def _range_form(language: str, per_page: bool = True) -> str:
    choices = "".join(f'<option value="{n}"{" selected" if n == 10 else ""}>{n}</option>' for n in PER_PAGE_CHOICES)
    count = f'<label>{e(t("logs.per_page", language))} <select name="per_page">{choices}</select></label>' if per_page else ""
    return f"""<form class="log-range inline" id="log-range">
<label>{e(t('logs.from', language))} <input type="date" name="start"></label>
<label>{e(t('logs.to', language))} <input type="date" name="end"></label>{count}
<button type="submit">{e(t('logs.show', language))}</button></form>"""


def _pager() -> str:
    return """<div class="pager" id="pager"><button type="button" data-page="first">&laquo;</button>
<button type="button" data-page="previous">&lsaquo;</button><span id="page-info"></span>
<button type="button" data-page="next">&rsaquo;</button><button type="button" data-page="last">&raquo;</button></div>"""


async def history_page(request: web.Request) -> web.Response:
    from .pages import page

    state = state_of(request)
    language = state.language(session_of(request))
    log = request.match_info.get("log", "history")
    presets = "".join(f'<button type="button" class="secondary" data-range="{k}">{k}</button>' for k in GRAPH_PRESETS)
    groups = "".join(
        f'<option value="{k}">{e(t(f"logs.group.{k}", language))}</option>' for k in ("voltage", "load", "battery", "frequency", "temperature")
    )
    body = f"""<div class="tabs"><a href="/logs/history" class="{'on' if log == 'history' else ''}">{e(t('menu.history', language))}</a>
<a href="/logs/extended" class="{'on' if log == 'extended' else ''}">{e(t('menu.extended', language))}</a></div>
<section class="panel"><h2>{e(t('logs.graph', language))}</h2>
<div class="graph-controls">{presets}<select id="graph-group">{groups}</select></div>
<div id="log-graph" class="charts"></div></section>
<section><h2>{e(t('logs.table', language))}</h2>{_range_form(language)}
<div class="scroll"><table class="grid" id="log-table"><thead></thead><tbody></tbody></table></div>{_pager()}
<p><a class="button" href="/api/v1/logs/{log}/csv" download>{e(t('logs.csv', language))}</a></p></section>"""
    title = "menu.history" if log == "history" else "menu.extended"
    return page(request, title, body, page_name="log", data={"log": log, "graph": True})


async def events_page(request: web.Request) -> web.Response:
    from .pages import page

    state = state_of(request)
    language = state.language(session_of(request))
    log = request.match_info["log"]
    if log not in ("ups", "netvision"):
        raise web.HTTPNotFound()
    body = f"""{_range_form(language)}
<table class="grid" id="log-table"><thead><tr>
<th><button type="button" class="sort" data-sort="time">{e(t('logs.time', language))} &#9660;</button></th>
<th><button type="button" class="sort" data-sort="severity">{e(t('alarms.level', language))} &#9660;</button></th>
<th>{e(t('logs.description', language))}</th></tr></thead><tbody></tbody></table>{_pager()}
<p><a class="button" href="/api/v1/logs/{log}/csv" download>{e(t('logs.csv', language))}</a></p>"""
    title = "menu.ups_events" if log == "ups" else "menu.nv_events"
    return page(request, title, body, page_name="log", data={"log": log, "graph": False})


async def clear_page(request: web.Request) -> web.Response:
    from .pages import page

    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    rows = []
    for log, key in (("history", "menu.history"), ("extended", "menu.extended"), ("ups", "menu.ups_events"), ("netvision", "menu.nv_events")):
        clear = (
            f'<button type="button" class="secondary" data-clear="{log}">{e(t("logs.clear", language))}</button>'
            if session.can_write
            else ""
        )
        rows.append(
            f'<tr><td>{e(t(key, language))}</td><td data-count="{log}"></td>'
            f'<td><a class="button" href="/api/v1/logs/{log}/csv" download>{e(t("logs.csv", language))}</a> {clear}</td></tr>'
        )
    body = f"""<table class="grid" id="clear-table"><thead><tr><th></th><th>{e(t('logs.records', language))}</th><th></th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>"""
    return page(request, "menu.clear_logs", body, page_name="clear-logs")


PAGE_ROUTES = [
    ("/logs/history", history_page),
    ("/logs/{log:extended}", history_page),
    ("/logs/{log:ups|netvision}", events_page),
    ("/logs/clear", clear_page),
]


def add_routes(app: web.Application) -> None:
    add(app, API_ROUTES)
    for path, handler in PAGE_ROUTES:
        app.router.add_get(path, handler)

