"""Logs in the browser (EN §21): history and extended history as tables and graphs,
UPS and NET VISION event logs, clear & save (CSV); the real-time graph (§14). Read from
the daemon's store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, JsonValue

from ...events.catalog import LOG_CLEARED_EVENTS, make_event
from ...store import StoreError, format_time
from ...store.columns import EXTENDED_KEYS, STS_HISTORY, UPS_HISTORY, UPS_HISTORY_EXTRA
from ...store.timefmt import _zone, to_display
from .app import ApiError, require_write, session_of, state_of
from .labels import t
from .routes import Route, add
from .templating import render
from .units import converted, is_temperature

LOGS = ("ups", "netvision", "history", "extended")
EVENT_LOGS = ("ups", "netvision")
PER_PAGE_CHOICES = (5, 10, 20, 50, 100)  # §21 "Log count per page"
PER_PAGE_DEFAULT = 5  # §21.1-§21.4: "the last 5 records are shown in the table by default"
# §21.1 graph ranges: "30 minutes, 60 minutes, 3 hours, 6 hours, 12 hours, 1 day"; 30 minutes by default.
GRAPH_PRESETS = {"30m": 1800, "1h": 3600, "3h": 10800, "6h": 21600, "12h": 43200, "1d": 86400}
GRAPH_DEFAULT = "30m"
MAX_POINTS = 720  # the most records a graph draws: a long range is sampled (store: max_points)
LOG_TITLES = {
    "history": "menu.history",
    "extended": "menu.extended",
    "ups": "menu.ups_events",
    "netvision": "menu.nv_events",
}

# The manual's measurement groups of the history graphs (§21.1, §21.2).
GRAPH_GROUPS: dict[str, tuple[str, ...]] = {
    "input": (
        "input_voltage_l1", "input_voltage_l2", "input_voltage_l3", "input_frequency",
        "source1_voltage_l1", "source1_voltage_l2", "source1_voltage_l3",
        "source2_voltage_l1", "source2_voltage_l2", "source2_voltage_l3",
    ),
    "output": (
        "output_voltage_l1", "output_voltage_l2", "output_voltage_l3", "load_rate",
        "load_rate_l1", "load_rate_l2", "load_rate_l3",
        "output_current_l1", "output_current_l2", "output_current_l3", "output_frequency",
    ),
    "ups": ("battery_capacity", "ambient_temperature", "switch1_temperature", "switch2_temperature"),
}  # fmt: skip

# The real-time graph's measurements (§14), in the order they are offered.
MEASUREMENT_CHOICES = (
    "load_rate_l1", "load_rate_l2", "load_rate_l3", "output_voltage_l1", "output_voltage_l2",
    "output_voltage_l3", "output_current_l1", "output_current_l2", "output_current_l3", "output_frequency",
    "input_voltage_l1", "input_voltage_l2", "input_voltage_l3", "input_frequency", "bypass_voltage_l1",
    "battery_voltage", "battery_current", "battery_capacity", "remaining_backup_time", "ambient_temperature",
    "output_kva", "output_kw",
)  # fmt: skip

# Unit of each measurement (without its phase suffix): the charts draw one scale per unit.
SERIES_UNITS = {
    "input_voltage": "V", "output_voltage": "V", "bypass_voltage": "V", "source1_voltage": "V",
    "source2_voltage": "V", "battery_voltage": "V", "load_rate": "%", "battery_capacity": "%",
    "output_current": "A", "battery_current": "A", "input_frequency": "Hz", "output_frequency": "Hz",
    "ambient_temperature": "°C", "switch1_temperature": "°C", "switch2_temperature": "°C",
    "remaining_backup_time": "mn", "output_kva": "kVA", "output_kw": "kW",
}  # fmt: skip


def _base(key: str) -> tuple[str, str]:
    base, _, phase = key.rpartition("_")
    if base and phase in ("l1", "l2", "l3"):
        return base, phase.upper()
    return key, ""


def series_label(key: str, language: str) -> str:
    """ "Input voltage L1" for input_voltage_l1: the measurement in words, then its phase."""
    base, phase = _base(key)
    name = t(f"series.{base}", language)
    if name == f"series.{base}":
        name = base.replace("_", " ")
    return f"{name} {phase}" if phase else name


def series_unit(key: str, temperature_unit: str = "C") -> str:
    unit = SERIES_UNITS.get(_base(key)[0], "")
    return "°F" if unit == "°C" and temperature_unit == "F" else unit


def series_info(keys: Iterable[str], language: str, temperature_unit: str) -> list[dict[str, str]]:
    return [
        {"key": key, "label": series_label(key, language), "unit": series_unit(key, temperature_unit)}
        for key in keys
    ]


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


def _field_error(field: str, message: str) -> ApiError:
    return ApiError(400, f"{field}: {message}", fields=[{"field": field, "message": message}])


def from_display(local: datetime, time_zone: str = "UTC", dst: str = "auto") -> datetime:
    """A wall-clock time read in NET VISION's zone and DST rule, as UTC (the inverse of
    :func:`netvision.store.timefmt.to_display`)."""
    zone = _zone(time_zone)
    aware = local.replace(tzinfo=zone)
    if dst != "auto":
        standard = (aware.utcoffset() or timedelta(0)) - (aware.dst() or timedelta(0))
        aware = local.replace(
            tzinfo=timezone(standard + (timedelta(hours=1) if dst == "enabled" else timedelta(0)))
        )
    return aware.astimezone(UTC)


def parse_moment(
    text: str, field: str, time_zone: str = "UTC", dst: str = "auto", *, end: bool = False
) -> datetime:
    """A date (yyyy-mm-dd), a wall-clock date-time (yyyy-mm-ddThh:mm[:ss], in NET VISION's
    time zone) or an ISO 8601 date-time with its offset. A date alone as an end means the
    end of that day: "from 01/12 to 01/12" is the whole day."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time())
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise _field_error(field, "not a date (yyyy-mm-dd) or date-time (yyyy-mm-ddThh:mm)") from None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    try:
        return from_display(moment, time_zone, dst)
    except (OverflowError, ValueError):
        raise _field_error(field, "out of range") from None


def _range(request: web.Request) -> tuple[datetime | None, datetime | None]:
    system = state_of(request).settings.system
    moments: list[datetime | None] = []
    for key in ("start", "end"):
        text = request.query.get(key, "")
        moments.append(
            parse_moment(text, key, system.time_zone, system.dst, end=key == "end") if text else None
        )
    start, end = moments
    if start is not None and end is not None and end <= start:
        raise _field_error("end", "must be after start")
    return start, end


def _int(request: web.Request, key: str, default: int, low: int, high: int) -> int:
    text = request.query.get(key, "").strip() or str(default)
    if not text.isdigit() or not low <= int(text) <= high:
        raise _field_error(key, f"an integer {low}..{high}")
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


async def _read_page(store: Any, name: str, page: int, **query: Any) -> Any:
    if name in EVENT_LOGS:
        return await store.events(name, page=page, **query)
    query.pop("sort", None)
    reader = store.history if name == "history" else store.extended
    return await reader(page=page, **query)


async def get_log(request: web.Request) -> web.Response:
    from .api import json_response

    state = state_of(request)
    store = _store(request)
    name = _log_name(request)
    language = state.language(session_of(request))
    settings = state.settings.system
    page = _int(request, "page", 1, 1, 1_000_000)
    per_page = _int(request, "per_page", PER_PAGE_DEFAULT, 1, 1000)
    start, end = _range(request)
    order = request.query.get("order", "desc") or "desc"
    sort = request.query.get("sort", "time") or "time"
    if order not in ("asc", "desc"):
        raise _field_error("order", "asc or desc")
    if sort not in ("time", "severity"):
        raise _field_error("sort", "time or severity")

    def when(moment: datetime) -> str:
        return format_time(moment, settings.time_zone, settings.dst)

    query = {"start": start, "end": end, "sort": sort, "descending": order == "desc", "per_page": per_page}
    try:
        result = await _read_page(store, name, page, **query)
        if page > result.pages:  # past the end (records cleared meanwhile): the last page
            result = await _read_page(store, name, result.pages, **query)
    except StoreError as problem:
        raise ApiError(400, str(problem)) from None
    unit = settings.temperature_unit
    if name in EVENT_LOGS:
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
        rows = [
            {"time": when(r.time), "iso": r.time.isoformat(), "values": _in_unit(r.values, unit)}
            for r in result.rows
        ]
    else:
        rows = [
            {
                "time": when(r.start),
                "end": when(r.end),
                "iso": r.start.isoformat(),
                "samples": r.samples,
                "minimum": _in_unit(r.minimum, unit),
                "average": _in_unit(r.average, unit),
                "maximum": _in_unit(r.maximum, unit),
            }
            for r in result.rows
        ]
    return json_response(
        {
            "log": name,
            "rows": rows,
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "per_page": result.per_page,
            "columns": _columns(language, unit) if name in ("history", "extended") else [],
        }
    )


def series_window(request: web.Request, now: datetime | None = None) -> tuple[str, datetime, datetime]:
    """The graph's period: a preset ending now, or ``range=custom`` with start and end."""
    preset = request.query.get("range", GRAPH_DEFAULT) or GRAPH_DEFAULT
    if preset == "custom":
        start, end = _range(request)
        if start is None:
            raise _field_error("start", "a custom range needs a start")
        end = end or (now or datetime.now(UTC))
        if end <= start:
            raise _field_error("end", "must be after start")
        return preset, start, end
    if preset not in GRAPH_PRESETS:
        raise _field_error("range", f"one of {', '.join(GRAPH_PRESETS)} or custom")
    end = now or datetime.now(UTC)
    return preset, end - timedelta(seconds=GRAPH_PRESETS[preset]), end


def _present(keys: Iterable[str], rows: Iterable[Mapping[str, float | None]]) -> list[str]:
    rows = list(rows)
    return [key for key in keys if any(row.get(key) is not None for row in rows)]


async def get_series(request: web.Request) -> web.Response:
    """Points of the history (or min/avg/max of the extended log) for the graph view (§21.1,
    §21.2): at most ``MAX_POINTS`` records, with each measurement's name and unit."""
    from .api import json_response

    state = state_of(request)
    store = _store(request)
    name = _log_name(request)
    if name not in ("history", "extended"):
        raise ApiError(400, "series exist for the history and extended logs only")
    preset, start, end = series_window(request)
    language = state.language(session_of(request))
    unit = state.settings.system.temperature_unit
    if name == "history":
        records = await store.history_series(start, end, max_points=MAX_POINTS)
        keys = _present(records[0].values if records else (), (r.values for r in records))
        points = [
            {"t": r.time.isoformat(), "values": {k: _celsius_to_unit(k, r.values.get(k), unit) for k in keys}}
            for r in records
        ]
    else:
        records = await store.extended_series(start, end, max_points=MAX_POINTS)
        keys = _present(EXTENDED_KEYS, (r.average for r in records))

        def pick(values: Mapping[str, float | None]) -> dict[str, float | None]:
            return {k: _celsius_to_unit(k, values.get(k), unit) for k in keys}

        points = [
            {
                "t": r.start.isoformat(),
                "minimum": pick(r.minimum),
                "average": pick(r.average),
                "maximum": pick(r.maximum),
            }
            for r in records
        ]
    return json_response(
        {
            "log": name,
            "range": preset,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "points": points,
            "series": series_info(keys, language, unit),
        }
    )


async def get_csv(request: web.Request) -> web.StreamResponse:
    """§21.5 "save": the whole log (or a time range) as CSV, streamed; admin and Read/Write
    ("Save and Clear log functions are accessible for admin or Read/write account users")."""
    require_write(request)
    state = state_of(request)
    store = _store(request)
    name = _log_name(request)
    settings = state.settings.system
    start, end = _range(request)
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
    message = t(f"logs.cleared.{name}", state.language(session))
    return json_response({"log": name, "cleared": count, "message": message})


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
    range: Literal[(*GRAPH_PRESETS, "custom")] = GRAPH_DEFAULT  # type: ignore[valid-type]
    start: str | None = _moment()
    end: str | None = _moment()


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
    start: str
    end: str
    points: list[dict[str, JsonValue]]
    series: list[dict[str, JsonValue]] = Field(description="Each measurement's name and unit")


class Cleared(BaseModel):
    log: str
    cleared: int = Field(description="Records removed")
    message: str = Field(description="The outcome in words, in the session's language")


API_ROUTES = [
    Route("GET", "/api/v1/logs", get_counts, "The record count of each log", response=LogCounts, errors=(404,)),
    Route("GET", "/api/v1/logs/{log}", get_log, "One page of a log: events, history or extended history",
          parameters=LogQuery, response=LogPage, errors=(400, 404)),
    Route("GET", "/api/v1/logs/{log}/series", get_series, "Points for the log graph (history, extended history)",
          parameters=SeriesQuery, response=Series, errors=(400, 404)),
    Route("GET", "/api/v1/logs/{log}/csv", get_csv, "The log as CSV (admin, Read/Write)", parameters=CsvQuery,
          raw_response=("text/csv", "The log, one record a line"), errors=(400, 403, 404)),
    Route("DELETE", "/api/v1/logs/{log}", clear_log, "Clear a log (admin, Read/Write)", parameters=LogName,
          response=Cleared, errors=(404,)),
]  # fmt: skip


# -- pages ----------------------------------------------------------------------------------------


def clock(request: web.Request) -> dict[str, Any]:
    """What the scripts need to show times as the server does: the zone, its DST rule and
    the offset in force now (used as is when the DST rule is not the zone's own)."""
    system = state_of(request).settings.system
    now = to_display(datetime.now(UTC), system.time_zone, system.dst)
    offset = now.utcoffset() or timedelta(0)
    return {
        "zone": system.time_zone or "UTC",
        "dst": system.dst,
        "offset_minutes": int(offset.total_seconds() // 60),
    }


def _texts(language: str, keys: Iterable[str]) -> dict[str, str]:
    return {key: t(key, language) for key in keys}


CHART_TEXTS = (
    "chart.no_data",
    "chart.label",
    "chart.readout",
    "chart.value",
    "logs.min",
    "logs.avg",
    "logs.max",
)
LOG_TEXTS = (
    "logs.page_info", "logs.no_records", "logs.date_time", "logs.start_time", "logs.end_time",
    "logs.error.start", "logs.error.end", "logs.error.order", "logs.error.load",
    "logs.error.range_start", "logs.error.range_end", "logs.error.range_order",
    "logs.sort_by_time", "logs.sort_by_level",
)  # fmt: skip


async def history_page(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    log = request.match_info.get("log", "history")
    unit = state.settings.system.temperature_unit
    keys = [key for keys in GRAPH_GROUPS.values() for key in keys]
    data = {
        "log": log,
        "graph": True,
        "groups": {name: list(keys) for name, keys in GRAPH_GROUPS.items()},
        "series": series_info(keys, language, unit),
        "clock": clock(request),
        "texts": _texts(language, (*LOG_TEXTS, *CHART_TEXTS)),
    }
    return render(
        request,
        "logs.html",
        title_key=LOG_TITLES[log],
        page_name="log",
        data=data,
        log=log,
        graph=True,
        presets=list(GRAPH_PRESETS),
        default_range=GRAPH_DEFAULT,
        groups=list(GRAPH_GROUPS),
        per_page_choices=PER_PAGE_CHOICES,
        per_page=PER_PAGE_DEFAULT,
    )


async def events_page(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    log = request.match_info["log"]
    if log not in EVENT_LOGS:
        raise web.HTTPNotFound()
    data = {"log": log, "graph": False, "texts": _texts(language, LOG_TEXTS)}
    return render(
        request,
        "logs.html",
        title_key=LOG_TITLES[log],
        page_name="log",
        data=data,
        log=log,
        graph=False,
        per_page_choices=PER_PAGE_CHOICES,
        per_page=PER_PAGE_DEFAULT,
    )


async def clear_page(request: web.Request) -> web.Response:
    state = state_of(request)
    language = state.language(session_of(request))
    logs = [
        {"name": log, "title_key": LOG_TITLES[log]} for log in ("history", "extended", "ups", "netvision")
    ]
    data = {
        "titles": {log: t(LOG_TITLES[log], language) for log in LOGS},
        "texts": _texts(language, ("logs.clear_confirm", "logs.clear_failed", "logs.clear")),
    }
    return render(
        request, "clear_logs.html", title_key="menu.clear_logs", page_name="clear-logs", data=data, logs=logs
    )


async def graph_page(request: web.Request) -> web.Response:
    """The real-time graph (§14): the measurements the UPS gives, scanned from the live state."""
    state = state_of(request)
    language = state.language(session_of(request))
    system = state.snapshot.system
    managed = [key for key in MEASUREMENT_CHOICES if system and system.measurements.get(key) is not None]
    series = series_info(managed, language, state.settings.system.temperature_unit)
    data = {"series": series, "clock": clock(request), "texts": _texts(language, CHART_TEXTS)}
    return render(request, "graph.html", title_key="menu.graph", page_name="graph", data=data, series=series)


PAGE_ROUTES = [
    ("/logs/history", history_page),
    ("/logs/{log:extended}", history_page),
    ("/logs/{log:ups|netvision}", events_page),
    ("/logs/clear", clear_page),
    ("/graph", graph_page),
]


def add_routes(app: web.Application) -> None:
    add(app, API_ROUTES)
    for path, handler in PAGE_ROUTES:
        app.router.add_get(path, handler)
