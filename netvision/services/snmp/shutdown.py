"""Shutdown management in the NET VISION MIB: upsControl 2–6 (App. MIB upsControl(7):
upsShutdownDelay, upsTurnOffAfterShutdown, the shutdown parameters, weekly and special
schedule tables) and upsConfig 5 (upsDevicesTable, the client table of EN §15).

Pure code: :func:`entries` gives the ``(oid, value)`` pairs from ``settings.shutdown``,
the NUT client table and the shutdown status; :func:`decode_write` turns one SET
varbind into an :class:`Edit` of the settings, and :func:`settings_changes` turns the
edits of one request into the ``{dotted key: value}`` the settings manager saves.

The enumerations are those of the SOCOMEC card's MIB file, so that an NMS set up for
the card reads the same numbers: days sunday(1)…saturday(7), none(8); event actions
disabled(1), warning(2), clientShutdown(3); enabled(1)/disabled(2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Any

from pyasn1.type import univ
from pydantic import BaseModel, TypeAdapter, ValidationError
from pysnmp.proto.rfc1902 import Integer32, OctetString

from ...i18n import label
from ...settings import Settings
from ...settings.models import (
    SHUTDOWN_EVENTS,
    ShutdownEventSettings,
    ShutdownSettings,
    SpecialDayRow,
    WeeklyScheduleRow,
)
from ..nut.clients import NutClient
from ..shutdown.status import Phase, ShutdownStatus
from .tree import Oid

NV7_OBJECTS = (1, 3, 6, 1, 4, 1, 4555, 1, 1, 7, 1)
CONTROL = NV7_OBJECTS + (7,)
SHUTDOWN_DELAY = CONTROL + (2, 0)
TURN_OFF_AFTER_SHUTDOWN = CONTROL + (3, 0)
PARAMETERS_ENTRY = CONTROL + (4, 1)
WEEKLY_ENTRY = CONTROL + (5, 1)
SPECIAL_ENTRY = CONTROL + (6, 1)
DEVICES_ENTRY = NV7_OBJECTS + (8, 5, 1)

ENABLED, DISABLED = 1, 2
# upsControlEventStatus: warning(2) is the action of the EMD rows (§17), not of these nine.
EVENT_DISABLED, EVENT_WARNING, EVENT_CLIENT_SHUTDOWN = 1, 2, 3
# upsControlWeekly*Day: the card's numbering; none(8) is the page's "Disabled".
DAY_NUMBERS = {
    "sunday": 1,
    "monday": 2,
    "tuesday": 3,
    "wednesday": 4,
    "thursday": 5,
    "friday": 6,
    "saturday": 7,
    "disabled": 8,
}
DAY_NAMES = {number: name for name, number in DAY_NUMBERS.items()}
SCHEDULE_ROWS = 8  # the pages' rows (§16.5, §16.6; settings: up to 8)
# statusOfConnection: an open connection (a reader such as upsc), a shutdown client
# (LOGIN done), a primary (PRIMARY granted: it switches the UPS off after the others).
STATUS_CONNECTED, STATUS_LOGGED_IN, STATUS_PRIMARY = 1, 2, 3
# severityOfConnection: what a shutdown client is being told now, in NET VISION's levels.
SEVERITY_INFORMATION, SEVERITY_WARNING, SEVERITY_CRITICAL = 1, 2, 3

# upsControlEventDescr: the §16.8 "Shutdown event selection" list, in its order.
EVENT_DESCRIPTIONS = {name: label(f"shutdown.event.{name}", "en") for name in SHUTDOWN_EVENTS}

_DD_MM_YYYY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_TEXT_LIMIT = 32  # the longest text a writable column takes ("dd/mm/yyyy", "hh:mm")


class WrongType(Exception):
    """The varbind's type is not the column's (wrongType)."""


class WrongValue(Exception):
    """The value can never be held by the column (wrongValue)."""


class NoSuchRow(Exception):
    """The row does not exist and cannot be created (noCreation)."""


class NotWritable(Exception):
    """The column is read-only (notWritable)."""


@dataclass(frozen=True)
class Edit:
    """One SET varbind as a settings change: ``key`` is a dotted settings key; for a table
    row, ``row`` (0-based) and ``field`` say which cell of the list at ``key``."""

    key: str
    value: object
    row: int | None = None
    field: str | None = None


# -- reading -------------------------------------------------------------------------------------


def _text(value: str) -> OctetString:
    return OctetString(value.encode("utf-8")[:255])


def to_card_date(iso: str) -> str:
    """``2026-12-24`` -> ``24/12/2026`` (the pages' dd/mm/yyyy, §16.6); '' stays ''."""
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def from_card_date(text: str) -> str:
    """``24/12/2026`` -> ``2026-12-24``; '' stays ''; anything else raises WrongValue."""
    if text == "":
        return ""
    match = _DD_MM_YYYY.match(text)
    if match is None:
        raise WrongValue(text)
    day, month, year = match.groups()
    return f"{year}-{month}-{day}"


def connection_time(client: NutClient) -> str:
    """The client table's "Connected Time" (EN §15: 2017/04/08 11:17:18), in UTC."""
    return client.connected_since.astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S")


def connection_status(client: NutClient) -> int:
    if client.primary:
        return STATUS_PRIMARY
    return STATUS_LOGGED_IN if client.logged_in else STATUS_CONNECTED


def connection_severity(client: NutClient, status: ShutdownStatus | None) -> int:
    """information while nothing is asked of the servers, warning during the reversible
    period, critical once the shutdown command is sent (NUT's FSD); a reader that is no
    shutdown client is told nothing: information."""
    if not client.logged_in or status is None:
        return SEVERITY_INFORMATION
    if status.phase is Phase.SHUTDOWN:
        return SEVERITY_CRITICAL
    if status.phase is Phase.WARNING:
        return SEVERITY_WARNING
    return SEVERITY_INFORMATION


def entries(
    shutdown: ShutdownSettings, clients: Sequence[NutClient], status: ShutdownStatus | None
) -> Iterator[tuple[Oid, Any]]:
    """upsControl 2–6 and upsDevicesTable, in any order (the tree sorts them)."""
    yield SHUTDOWN_DELAY, Integer32(shutdown.ups_shut_off_delay)
    yield TURN_OFF_AFTER_SHUTDOWN, Integer32(ENABLED if shutdown.ups_shut_off else DISABLED)
    for index, event in enumerate(shutdown.events, start=1):
        yield PARAMETERS_ENTRY + (1, index), _text(EVENT_DESCRIPTIONS.get(event.event, event.event))
        yield (
            PARAMETERS_ENTRY + (2, index),
            Integer32(EVENT_CLIENT_SHUTDOWN if event.enabled else EVENT_DISABLED),
        )
        yield PARAMETERS_ENTRY + (3, index), Integer32(event.warning_period)
        yield PARAMETERS_ENTRY + (4, index), Integer32(event.first_warning)
        yield PARAMETERS_ENTRY + (5, index), Integer32(event.warning_interval)
    # The pages' eight rows are always there: an unused row reads none(8) / ''.
    weekly = list(shutdown.weekly_schedule) + [WeeklyScheduleRow()] * (
        SCHEDULE_ROWS - len(shutdown.weekly_schedule)
    )
    for index, row in enumerate(weekly, start=1):
        yield WEEKLY_ENTRY + (1, index), Integer32(index)
        yield WEEKLY_ENTRY + (2, index), Integer32(DAY_NUMBERS[row.shutdown_day])
        yield WEEKLY_ENTRY + (3, index), _text(row.shutdown_time)
        yield WEEKLY_ENTRY + (4, index), Integer32(DAY_NUMBERS[row.restart_day])
        yield WEEKLY_ENTRY + (5, index), _text(row.restart_time)
    special = list(shutdown.special_days) + [SpecialDayRow()] * (SCHEDULE_ROWS - len(shutdown.special_days))
    for index, day in enumerate(special, start=1):
        yield SPECIAL_ENTRY + (1, index), Integer32(index)
        yield SPECIAL_ENTRY + (2, index), _text(to_card_date(day.shutdown_date))
        yield SPECIAL_ENTRY + (3, index), _text(day.shutdown_time)
        yield SPECIAL_ENTRY + (4, index), _text(to_card_date(day.restart_date))
        yield SPECIAL_ENTRY + (5, index), _text(day.restart_time)
    for client in clients:
        index = client.index
        if not 0 < index <= 0x7FFFFFFF:
            continue
        yield DEVICES_ENTRY + (1, index), Integer32(index)
        yield DEVICES_ENTRY + (2, index), _text(client.address)
        yield DEVICES_ENTRY + (3, index), _text(client.user)
        yield DEVICES_ENTRY + (4, index), _text(connection_time(client))
        yield DEVICES_ENTRY + (5, index), Integer32(connection_status(client))
        yield DEVICES_ENTRY + (6, index), Integer32(connection_severity(client, status))


# -- writing -------------------------------------------------------------------------------------


def _integer(value: Any) -> int:
    if not isinstance(value, univ.Integer):
        raise WrongType(value)
    return int(value)


def _string(value: Any) -> str:
    if not isinstance(value, univ.OctetString):
        raise WrongType(value)
    raw = value.asOctets()
    if len(raw) > _TEXT_LIMIT:
        raise WrongValue(raw[:_TEXT_LIMIT])
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise WrongValue(raw) from None


def _checked(model: type[BaseModel], field: str, value: object) -> object:
    """``value`` validated as ``model.field`` alone (its range or format), else WrongValue."""
    info = model.model_fields[field]
    try:
        return TypeAdapter(Annotated[info.annotation, info]).validate_python(value)  # type: ignore[arg-type]
    except ValidationError:
        raise WrongValue(value) from None


def _day(value: Any) -> str:
    number = _integer(value)
    if number not in DAY_NAMES:
        raise WrongValue(number)
    return DAY_NAMES[number]


# Writable columns: column -> (settings field, decoder of the SNMP value).
_PARAMETER_COLUMNS = {3: "warning_period", 4: "first_warning", 5: "warning_interval"}
_WEEKLY_COLUMNS = {2: "shutdown_day", 3: "shutdown_time", 4: "restart_day", 5: "restart_time"}
_SPECIAL_COLUMNS = {2: "shutdown_date", 3: "shutdown_time", 4: "restart_date", 5: "restart_time"}


def decode_write(oid: Oid, value: Any) -> Edit | None:
    """The settings edit of one SET varbind on the objects of this module; None for an OID
    that is not one of them. Raises WrongType, WrongValue, NoSuchRow or NotWritable."""
    if oid == SHUTDOWN_DELAY:
        delay = _checked(ShutdownSettings, "ups_shut_off_delay", _integer(value))
        return Edit("shutdown.ups_shut_off_delay", delay)
    if oid == TURN_OFF_AFTER_SHUTDOWN:
        state = _integer(value)
        if state not in (ENABLED, DISABLED):
            raise WrongValue(state)
        return Edit("shutdown.ups_shut_off", state == ENABLED)
    for entry, rows in (
        (PARAMETERS_ENTRY, len(SHUTDOWN_EVENTS)),
        (WEEKLY_ENTRY, SCHEDULE_ROWS),
        (SPECIAL_ENTRY, SCHEDULE_ROWS),
    ):
        if oid[: len(entry)] != entry:
            continue
        if len(oid) != len(entry) + 2 or not 1 <= oid[-2] <= 5:
            return None  # not an object of the table: the caller answers notWritable
        column, row = oid[-2], oid[-1]
        if not 1 <= row <= rows:
            raise NoSuchRow(row)
        if entry == PARAMETERS_ENTRY:
            return _parameter_edit(column, row - 1, value)
        if entry == WEEKLY_ENTRY:
            return _weekly_edit(column, row - 1, value)
        return _special_edit(column, row - 1, value)
    if oid[: len(DEVICES_ENTRY)] == DEVICES_ENTRY:
        raise NotWritable(oid)
    return None


def _parameter_edit(column: int, row: int, value: Any) -> Edit:
    if column == 2:
        action = _integer(value)
        if action not in (EVENT_DISABLED, EVENT_CLIENT_SHUTDOWN):
            raise WrongValue(action)  # warning(2) exists for the EMD rows only
        return Edit("shutdown.events", action == EVENT_CLIENT_SHUTDOWN, row, "enabled")
    field = _PARAMETER_COLUMNS.get(column)
    if field is None:
        raise NotWritable(column)  # upsControlEventDescr: the manual's name of the event
    return Edit("shutdown.events", _checked(ShutdownEventSettings, field, _integer(value)), row, field)


def _weekly_edit(column: int, row: int, value: Any) -> Edit:
    field = _WEEKLY_COLUMNS.get(column)
    if field is None:
        raise NotWritable(column)
    new = _day(value) if field.endswith("_day") else _string(value)
    return Edit("shutdown.weekly_schedule", _checked(WeeklyScheduleRow, field, new), row, field)


def _special_edit(column: int, row: int, value: Any) -> Edit:
    field = _SPECIAL_COLUMNS.get(column)
    if field is None:
        raise NotWritable(column)
    text = _string(value)
    new = from_card_date(text) if field.endswith("_date") else text
    return Edit("shutdown.special_days", _checked(SpecialDayRow, field, new), row, field)


_ROW_DEFAULTS: dict[str, type[BaseModel]] = {
    "shutdown.weekly_schedule": WeeklyScheduleRow,
    "shutdown.special_days": SpecialDayRow,
}


def _lookup(data: dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def settings_changes(settings: Settings, edits: Iterable[Edit]) -> dict[str, object]:
    """The ``{dotted key: value}`` change of a request's edits, made on ``settings`` as they
    are now: a table cell rewrites its whole list. A schedule row beyond the saved ones
    adds unused rows up to it (as the page's empty rows)."""
    changes: dict[str, object] = {}
    data: dict[str, Any] | None = None
    for edit in edits:
        if edit.row is None or edit.field is None:
            changes[edit.key] = edit.value
            continue
        if edit.key not in changes:
            if data is None:
                data = settings.model_dump()
            changes[edit.key] = [dict(row) for row in _lookup(data, edit.key)]
        rows = changes[edit.key]
        assert isinstance(rows, list)
        while len(rows) <= edit.row:
            rows.append(_ROW_DEFAULTS[edit.key]().model_dump())
        rows[edit.row][edit.field] = edit.value
    return changes
