"""The shutdown management pages (EN §16.8), the weekly schedule (§16.5) and the special day
schedule (§16.6), with their API.

The global settings use the settings form (``PATCH /api/v1/settings``); the event table and
the two schedules are tables saved whole through their own routes. The procedure's state
and the AC-fail test reach the running shutdown service through what it offers
(``shutdown.status``, ``shutdown.test``): a service that is off offers nothing, and the
page says so.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ...i18n import label
from ...settings.models import (
    SHUTDOWN_EVENTS,
    ShutdownEventSettings,
    ShutdownSettings,
    SpecialDayRow,
    WeeklyScheduleRow,
)
from ..shutdown.capability import ups_manages_shut_off
from ..shutdown.schedule import shuts_nothing
from ..shutdown.status import IDLE, Phase, ShutdownStatus, UpsShutOff
from .app import ApiError, require_write, session_of, state_of
from .field_errors import reason
from .forms import form_fields
from .integrations import (
    TABLES,
    VIA,
    TableRow,
    TableSaved,
    TestTrapLimit,
    _body,
    _save_table,
    _texts,
    column_labels,
    table_row,
)
from .routes import Route, add
from .templating import format_time, render

MAX_SCHEDULE_ROWS = 8
# Few servers shut down in less than a minute (agent scripts, then the OS itself): a shorter
# UPS Shut Off Delay cuts their power while they are still shutting down (§16.8 WARNING).
MIN_SHUT_OFF_DELAY = 60

SHUT_OFF_KEYS = (
    "shutdown.ups_shut_off",
    "shutdown.ups_shut_off_delay",
    "shutdown.shut_off_after_logout",
    "shutdown.ups_on_delay",
)
GLOBAL_KEYS = ("shutdown.battery_level",)
EVENT_COLUMNS = ("enabled", "warning_period", "first_warning", "warning_interval")
WEEKLY_COLUMNS = ("shutdown_day", "shutdown_time", "restart_day", "restart_time")
SPECIAL_COLUMNS = ("shutdown_date", "shutdown_time", "restart_date", "restart_time")
TABLES.setdefault("shutdown.events", ("event", *EVENT_COLUMNS))
TABLES.setdefault("shutdown.weekly_schedule", WEEKLY_COLUMNS)
TABLES.setdefault("shutdown.special_days", SPECIAL_COLUMNS)

STATUS_TEXTS = ("refused", "starting", "started", "failed", "not_running")


# -- pure views ------------------------------------------------------------------------------------


def shut_off_warnings(settings: ShutdownSettings) -> list[str]:
    """The label keys of what is wrong with the UPS shut-off times (§16.8 WARNING: the UPS Shut
    Off Delay must be longer than the servers' own shutdown time)."""
    if not settings.ups_shut_off:
        return []
    found = []
    if settings.ups_shut_off_delay < MIN_SHUT_OFF_DELAY:
        found.append("shutdown.warn_delay_short")
    if settings.ups_shut_off_delay < settings.shut_off_after_logout:
        found.append("shutdown.warn_delay_logout")
    return found


def duration(seconds: int) -> str:
    """A countdown as people read it: "45 s", "4 min 05 s" (the same in English and French)."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def event_text(event: str, language: str) -> str:
    """The event that started a procedure, in words."""
    if event in ("test", "client"):
        return label(f"shutdown.started_by.{event}", language)
    return label(f"shutdown.event.{event}", language) if event else ""


def status_text(
    status: ShutdownStatus, now: datetime, language: str, time_zone: str = "UTC", dst: str = "auto"
) -> list[str]:
    """The procedure's state as the page says it: one sentence per line."""

    def when(value: datetime | None) -> str:
        return format_time(value, time_zone, dst)

    what = event_text(status.event, language)
    if status.phase is Phase.IDLE:
        lines = [label("shutdown.state.idle", language)]
    elif status.phase is Phase.WARNING:
        seconds = status.seconds_left(now)
        # A test has no event that could clear: its sentence does not promise a cancel.
        key = "shutdown.state.warning_test" if status.test else "shutdown.state.warning"
        lines = [
            label(key, language).format(event=what, time=duration(seconds) if seconds is not None else "—")
        ]
        if status.warnings_sent:
            lines.append(label("shutdown.state.warnings_sent", language).format(count=status.warnings_sent))
    else:
        lines = [
            label("shutdown.state.shutdown", language).format(event=what, time=when(status.shutdown_sent))
        ]
    shut_off = status.ups_shut_off
    if shut_off is UpsShutOff.WAITING:
        lines.append(label("shutdown.state.ups_waiting", language).format(time=when(status.ups_off_at)))
    elif shut_off is UpsShutOff.OFF:
        lines.append(label("shutdown.state.ups_off", language))
    elif shut_off is UpsShutOff.RESTART_PENDING:
        lines.append(label("shutdown.state.ups_restart", language).format(time=when(status.restart_at)))
    elif shut_off is UpsShutOff.FAILED:
        lines.append(label("shutdown.state.ups_failed", language).format(error=status.shut_off_error or "—"))
    return lines


def test_refusal(settings: ShutdownSettings, status: ShutdownStatus | None, language: str) -> str:
    """Why the AC-fail test cannot start now, in words ('' when it can): §16.8 "The AC Failed
    simulation is disabled if the AC Failed Shutdown action is disabled", and the button
    stays disabled while a test (or a procedure) runs."""
    if status is None or not settings.enabled:
        return label("shutdown.test_off", language)
    if not settings.event("ac_failed").enabled:
        return label("shutdown.test_ac_disabled", language)
    if status.phase is not Phase.IDLE or status.test:
        return label("shutdown.test_running", language)
    return ""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def status_view(state: Any, language: str) -> dict[str, Any]:
    """What the status API and the page's script show."""
    offer = state.context.offers.get("shutdown.status")
    status: ShutdownStatus | None = offer() if offer is not None else None
    settings = state.settings.shutdown
    system = state.settings.system
    now = datetime.now(UTC)
    shown = status if status is not None else IDLE
    refusal = test_refusal(settings, status, language)
    return {
        "running": status is not None,
        "phase": shown.phase.value,
        "event": shown.event,
        "event_text": event_text(shown.event, language),
        "test": shown.test,
        "seconds_left": shown.seconds_left(now),
        "started": _iso(shown.started),
        "deadline": _iso(shown.deadline),
        "shutdown_sent": _iso(shown.shutdown_sent),
        "warnings_sent": shown.warnings_sent,
        "ups_shut_off": shown.ups_shut_off.value,
        "ups_off_at": _iso(shown.ups_off_at),
        "restart_at": _iso(shown.restart_at),
        "shut_off_error": shown.shut_off_error,
        "text": status_text(shown, now, language, system.time_zone, system.dst)
        if status is not None
        else [label("shutdown.not_running", language)],
        "test_allowed": not refusal,
        "test_refusal": refusal,
    }


def _day_month_year(value: str) -> str:
    """yyyy-mm-dd as the manual shows it: dd/mm/yyyy."""
    return f"{value[8:10]}/{value[5:7]}/{value[0:4]}" if value else ""


DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(value: str) -> str:
    """A date typed dd/mm/yyyy (or given yyyy-mm-dd) → yyyy-mm-dd; '' stays ''."""
    text = value.strip()
    if not text:
        return ""
    found = DMY.match(text)
    try:
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day).isoformat()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise ValueError("expected a date dd/mm/yyyy")


# -- pages -------------------------------------------------------------------------------------------


def _event_rows(settings: ShutdownSettings, language: str, can_write: bool) -> list[TableRow]:
    rows = []
    for index, event in enumerate(settings.events):
        row = table_row(
            ShutdownEventSettings,
            event,
            "shutdown.events",
            EVENT_COLUMNS,
            index,
            index,
            language,
            can_write,
            False,
        )
        row.extra = {"event": event.event, "text": label(f"shutdown.event.{event.event}", language)}
        rows.append(row)
    return rows


async def shutdown_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    settings = state.settings.shutdown
    managed = ups_manages_shut_off(state.snapshot)
    keys = (*SHUT_OFF_KEYS, *GLOBAL_KEYS) if managed else GLOBAL_KEYS
    view = status_view(state, language)
    data = {
        "texts": {
            **_texts(language, *(f"shutdown.test_{name}" for name in STATUS_TEXTS)),
            **_texts(
                language,
                "shutdown.events_saved",
                "shutdown.confirm_test",
                "shutdown.confirm_when",
                "shutdown.when_in",
                "shutdown.when_now",
                "shutdown.test_button",
                "shutdown.test_help",
                "shutdown.state.warning",
                "shutdown.state.warning_test",
            ),
            "warn_delay_short": label("shutdown.warn_delay_short", language),
            "warn_delay_logout": label("shutdown.warn_delay_logout", language),
        },
        "min_delay": MIN_SHUT_OFF_DELAY,
        "is_admin": session.is_admin,
        "status": view,
    }
    return render(
        request,
        "shutdown.html",
        title_key="menu.shutdown",
        page_name="shutdown",
        data=data,
        fields=form_fields(state.settings, keys, language, session.can_write),
        managed=managed,
        warnings=[label(key, language) for key in shut_off_warnings(settings)],
        rows=_event_rows(settings, language, session.can_write),
        columns=column_labels("shutdown.events", EVENT_COLUMNS, language),
        status=view,
        can_write=session.can_write,
        is_admin=session.is_admin,
        enabled=settings.enabled,
    )


def _schedule_page(request: web.Request, kind: str) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    settings = state.settings.shutdown
    weekly = kind == "weekly_schedule"
    model: type[BaseModel] = WeeklyScheduleRow if weekly else SpecialDayRow
    columns = WEEKLY_COLUMNS if weekly else SPECIAL_COLUMNS
    table_key = "shutdown.weekly_schedule" if weekly else "shutdown.special_days"
    saved = list(settings.weekly_schedule if weekly else settings.special_days)
    rows = []
    for index in range(MAX_SCHEDULE_ROWS):
        slot = index if index < len(saved) else None
        item = saved[index] if slot is not None else model()
        row = table_row(model, item, table_key, columns, index, slot, language, session.can_write, False)
        if not weekly:
            for cell in row.fields:
                if cell.key.endswith("_date"):
                    cell.value = _day_month_year(str(cell.value))
                    cell.max_length = 10
        for cell in row.fields:
            if cell.key.endswith("_time"):
                cell.max_length = 5
        rows.append(row)
    event = "weekly_schedule" if weekly else "special_day"
    name = "weekly" if weekly else "special"
    return render(
        request,
        "shutdown_schedule.html",
        title_key=f"menu.shutdown_{name}",
        page_name="shutdown-schedule",
        data={
            "texts": _texts(
                language,
                "shutdown.schedule_saved",
                "shutdown.past_date",
                "shutdown.date_format",
                "form_check.restart_next_week",
                "form_check.restart_same",
            ),
            "path": f"/api/v1/shutdown/{SCHEDULE_PATHS[name]}",
        },
        rows=rows,
        columns=column_labels(table_key, columns, language),
        table_key=table_key,
        kind=name,
        columns_help=[
            (label(f"setting.{table_key}.{c}", language), label(f"help.{table_key}.{c}", language))
            for c in columns
        ],
        event_enabled=settings.event(event).enabled,
        event_name=label(f"shutdown.event.{event}", language),
        can_write=session.can_write,
    )


SCHEDULE_PATHS = {"weekly": "weekly-schedule", "special": "special-days"}


async def weekly_page(request: web.Request) -> web.Response:
    return _schedule_page(request, "weekly_schedule")


async def special_page(request: web.Request) -> web.Response:
    return _schedule_page(request, "special_days")


# -- API ---------------------------------------------------------------------------------------------

_ROW_FIELD = re.compile(r"^(?P<table>[a-z_]+\.[a-z_]+)\.(?P<row>\d+)\.(?P<name>[a-z_]+)$")
_SHOWN_ROW = re.compile(r"^[^,]+ \d+, ")


# The settings' own reasons for a schedule row (settings/models.py), said in the page's language.
SCHEDULE_REASONS = {
    "expected hh:mm, 00:00 to 23:59": "shutdown.bad_time",
    "a special day needs its restart date": "shutdown.needs_restart",
    "the restart must come after the shutdown": "shutdown.restart_after",
    "not a date (yyyy-mm-dd)": "shutdown.bad_date",
    "expected a date dd/mm/yyyy": "shutdown.bad_date",
}
RESTART_TOO_EARLY = "the restart must come after the shutdown"
NOT_INTEGER = ("Input should be a valid integer", "Input should be a valid number")


def _in_words(text: str, language: str) -> str:
    for english, key in SCHEDULE_REASONS.items():
        text = text.replace(english, label(key, language))
    return text


def _reason(message: str, language: str) -> str:
    """A validation message of a row's field in the page's language (pydantic's own
    sentences are for developers)."""
    text = message.removeprefix("Value error, ")
    if text.startswith(NOT_INTEGER):
        return label("field_error.whole_number", language)
    return _in_words(reason(text, language), language)


def _readable(problem: ApiError, language: str, row_names: list[str] | None = None) -> ApiError:
    """A refused table named as the person sees it: each problem says its row (the event's
    name in the event table, "Row n" in a schedule) and its column, with a reason in words."""
    fields = problem.extra.get("fields")
    if not isinstance(fields, list):
        return problem
    colon = label("colon", language)
    out = []
    for item in fields:
        field, message = str(item.get("field", "")), str(item.get("message", ""))
        found = _ROW_FIELD.match(field)
        if found is None:
            out.append({"field": field, "message": message})
            continue
        table, index, name = found["table"], int(found["row"]), found["name"]
        row = (
            row_names[index]
            if row_names is not None and index < len(row_names)
            else f"{label(f'setting.{table}.row', language)} {index + 1}"
        )
        if problem.status == 422:  # the body's model: the reason only
            column = label(f"setting.{table}.{name}", language)
            message = f"{row}, {column}{colon}{_reason(message, language)}"
        elif RESTART_TOO_EARLY in message and name != "restart_date":
            # A restart before the shutdown: the restart date is the one to correct.
            field = f"{table}.{index}.restart_date"
            column = label(f"setting.{table}.restart_date", language)
            message = f"{row}, {column}{colon}{label('shutdown.restart_after', language)}"
        else:  # the settings store's: "Row 7, Warning Period (min): ..." already in words
            message = _in_words(_SHOWN_ROW.sub(f"{row}, ", message, count=1), language)
        out.append({"field": field, "message": message})
    extra = {**problem.extra, "fields": out, "problems": [item["message"] for item in out]}
    return ApiError(problem.status, problem.message, **extra)


class ShutdownEventRow(BaseModel):
    """A row of the shutdown event table as the page sends it."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0, le=len(SHUTDOWN_EVENTS) - 1, description="The row on the page, 0 to 8")
    slot: int | None = Field(default=None, description="The saved row it was shown from")
    event: str = Field(max_length=32, description="The shutdown event of the row")
    enabled: bool = False
    warning_period: int | None = None
    first_warning: int | None = None
    warning_interval: int | None = None


class ShutdownEventsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[ShutdownEventRow] = Field(max_length=len(SHUTDOWN_EVENTS))


class WeeklyRow(BaseModel):
    """A row of the weekly schedule as the page sends it; a row whose shutdown day is
    'disabled' is not stored."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0, le=MAX_SCHEDULE_ROWS - 1)
    slot: int | None = None
    shutdown_day: str = Field(default="disabled", max_length=16)
    shutdown_time: str = Field(default="00:00", max_length=8)
    restart_day: str = Field(default="disabled", max_length=16)
    restart_time: str = Field(default="00:00", max_length=8)


class WeeklyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[WeeklyRow] = Field(max_length=MAX_SCHEDULE_ROWS)


class SpecialRow(BaseModel):
    """A row of the special day schedule as the page sends it: dates dd/mm/yyyy (or
    yyyy-mm-dd); a row without a shutdown date is not stored."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0, le=MAX_SCHEDULE_ROWS - 1)
    slot: int | None = None
    shutdown_date: str = Field(default="", max_length=10, description="dd/mm/yyyy, '' = row not used")
    shutdown_time: str = Field(default="00:00", max_length=8)
    restart_date: str = Field(default="", max_length=10, description="dd/mm/yyyy")
    restart_time: str = Field(default="00:00", max_length=8)

    @field_validator("shutdown_date", "restart_date")
    @classmethod
    def _date(cls, value: str) -> str:
        return parse_date(value)


class SpecialBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[SpecialRow] = Field(max_length=MAX_SCHEDULE_ROWS)


class ShutdownStatusView(BaseModel):
    running: bool = Field(description="The shutdown service is running (shutdown management enabled)")
    phase: str = Field(description="idle, warning (the reversible period) or shutdown (command sent)")
    event: str = Field(description="The shutdown event that started the procedure, 'test' or 'client'")
    event_text: str
    test: bool = Field(description="The AC-fail test is running")
    seconds_left: int | None = Field(description="Seconds until the shutdown command; 0 once sent")
    started: str | None
    deadline: str | None
    shutdown_sent: str | None
    warnings_sent: int
    ups_shut_off: str = Field(description="none, waiting, off, restart_pending or failed")
    ups_off_at: str | None
    restart_at: str | None
    shut_off_error: str
    text: list[str] = Field(description="The state in words, in the session's language")
    test_allowed: bool = Field(description="The AC-fail test may start now")
    test_refusal: str = Field(description="Why it may not, in words")


class ShutdownTestStarted(BaseModel):
    ok: bool
    started: bool


TEST_LIMIT_KEY = web.AppKey("netvision_shutdown_test_limit", TestTrapLimit)


async def get_status(request: web.Request) -> web.Response:
    from .api import json_response

    state = state_of(request)
    return json_response(status_view(state, state.language(session_of(request))))


async def start_test(request: web.Request) -> web.Response:
    """The AC-fail test (§16.8 "Shutdown test procedure"): admin's, since it sends the
    shutdown command to every server."""
    from .api import json_response

    session = session_of(request)
    if not session.is_admin:
        raise ApiError(403, "only admin starts the shutdown test")
    state = state_of(request)
    language = state.language(session)
    action = state.context.offers.get("shutdown.test")
    status_offer = state.context.offers.get("shutdown.status")
    if action is None or status_offer is None:
        raise ApiError(409, label("shutdown.test_off", language), reason="shutdown_off")
    wait = request.app[TEST_LIMIT_KEY].wait(time.monotonic())
    if wait:
        raise ApiError(
            429,
            label("shutdown.test_busy", language).format(seconds=f"{wait:.0f}"),
            reason="busy",
            retry_after=round(wait, 1),
        )
    # Refused in the session's words when the page can tell why (the service answers in the
    # gateway's language).
    refusal = test_refusal(state.settings.shutdown, status_offer(), language)
    if refusal:
        raise ApiError(409, refusal, reason="refused")
    refused = action(session.user, VIA)
    if hasattr(refused, "__await__"):
        refused = await refused
    if refused:
        raise ApiError(409, str(refused), reason="refused")
    return json_response({"ok": True, "started": True})


async def put_events(request: web.Request) -> web.Response:
    require_write(request)
    state = state_of(request)
    language = state.language(session_of(request))
    names = [label(f"shutdown.event.{row.event}", language) for row in state.settings.shutdown.events]
    try:
        body: ShutdownEventsBody = await _body(request, ShutdownEventsBody, "shutdown.events")
        current: dict[str, ShutdownEventSettings] = {row.event: row for row in state.settings.shutdown.events}
        for row in body.rows:  # a number left empty keeps the saved one
            old = current.get(row.event)
            for name in ("warning_period", "first_warning", "warning_interval"):
                if getattr(row, name) is None and old is not None:
                    setattr(row, name, getattr(old, name))
        return await _save_table(
            request, "shutdown.events", ShutdownEventSettings, body.rows, lambda data: True
        )
    except ApiError as problem:
        raise _readable(problem, language, names) from None


def same_time_rows(rows: list[WeeklyRow], language: str) -> list[dict[str, Any]]:
    """The used weekly rows whose restart is their shutdown's day and time, as the page's
    problems (they would shut nothing down: schedule.shuts_nothing); the restart time is
    the field to correct."""
    colon = label("colon", language)
    table = "shutdown.weekly_schedule"
    out = []
    for row in rows:
        try:
            data = row.model_dump(exclude={"row", "slot"})
            if not shuts_nothing(WeeklyScheduleRow.model_validate(data)):
                continue
        except ValidationError:
            continue  # a wrong day or time: the settings refuse it in their own words
        row_label = f"{label(f'setting.{table}.row', language)} {row.row + 1}"
        column = label(f"setting.{table}.restart_time", language)
        message = f"{row_label}, {column}{colon}{label('form_check.restart_same', language)}"
        out.append({"field": f"{table}.{row.row}.restart_time", "message": message})
    return out


async def put_weekly(request: web.Request) -> web.Response:
    require_write(request)
    language = state_of(request).language(session_of(request))
    try:
        body: WeeklyBody = await _body(request, WeeklyBody, "shutdown.weekly_schedule")
        found = same_time_rows(body.rows, language)
        if found:
            raise ApiError(400, "invalid settings", problems=[item["message"] for item in found], fields=found)
        return await _save_table(
            request,
            "shutdown.weekly_schedule",
            WeeklyScheduleRow,
            body.rows,
            lambda data: data["shutdown_day"] != "disabled",
        )
    except ApiError as problem:
        raise _readable(problem, language) from None


async def put_special(request: web.Request) -> web.Response:
    require_write(request)
    language = state_of(request).language(session_of(request))
    try:
        body: SpecialBody = await _body(request, SpecialBody, "shutdown.special_days")
        return await _save_table(
            request,
            "shutdown.special_days",
            SpecialDayRow,
            body.rows,
            lambda data: bool(data["shutdown_date"]),
        )
    except ApiError as problem:
        raise _readable(problem, language) from None


# -- routes ----------------------------------------------------------------------------------------

PAGES = (
    ("/shutdown", shutdown_page),
    ("/shutdown/weekly", weekly_page),
    ("/shutdown/special-days", special_page),
)

ROUTES = [
    Route(
        "GET",
        "/api/v1/shutdown/status",
        get_status,
        "The shutdown procedure now: phase, event, seconds before the shutdown command, UPS shut-off",
        response=ShutdownStatusView,
    ),
    Route(
        "POST",
        "/api/v1/shutdown/test",
        start_test,
        "Start the AC-fail test (admin): the shutdown procedure with the AC failed event's settings",
        response=ShutdownTestStarted,
        errors=(409, 429),
    ),
    Route(
        "PUT",
        "/api/v1/shutdown/events",
        put_events,
        "Save the shutdown event table (9 rows, one per event)",
        body=ShutdownEventsBody,
        response=TableSaved,
        errors=(400, 422),
    ),
    Route(
        "PUT",
        "/api/v1/shutdown/weekly-schedule",
        put_weekly,
        "Save the weekly shutdown schedule (8 rows at most); a row whose shutdown day is disabled is not stored; "
        "400 for a row whose restart is its shutdown's day and time (it would shut nothing down); a restart "
        "earlier the same day is the next week's",
        body=WeeklyBody,
        response=TableSaved,
        errors=(400, 422),
    ),
    Route(
        "PUT",
        "/api/v1/shutdown/special-days",
        put_special,
        "Save the special day shutdown schedule (8 rows at most, dates dd/mm/yyyy); a row without a date is not stored",
        body=SpecialBody,
        response=TableSaved,
        errors=(400, 422),
    ),
]


def add_routes(app: web.Application) -> None:
    app[TEST_LIMIT_KEY] = TestTrapLimit(per_minute=6, gap=0.0)
    add(app, ROUTES)
    for path, handler in PAGES:
        app.router.add_get(path, handler)
