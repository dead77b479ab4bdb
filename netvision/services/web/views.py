"""What the pages and the API show: the snapshot as JSON and the parameter
tables of §12.1.5–§12.1.10. Pure functions; values "not managed" are left out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ...store.timefmt import format_time
from ...ups.controls import ControlResult
from ...ups.model import DeviceState, Identity, Snapshot, Topology
from ...ups.summary import Summary, SummaryKind, summarize
from . import synoptic
from .labels import t
from .units import converted, displayed_measurements

PHASES = ("l1", "l2", "l3")
LINE_VOLTAGES = ("u12", "u23", "u31")

# (label key, measurement keys shown joined by "/", decimals)
Row = tuple[str, tuple[str, ...], int]

TABLES: Mapping[str, Sequence[Row]] = {
    "ups": (
        ("param.load_rate", tuple(f"load_rate_{p}" for p in PHASES) + ("load_rate",), 0),
        ("param.output_kva", ("output_kva",), 1),
        ("param.output_kw", ("output_kw",), 1),
        ("param.output_voltage", tuple(f"output_voltage_{p}" for p in PHASES), 0),
        ("param.input_voltage", tuple(f"input_voltage_{p}" for p in PHASES), 0),
        ("param.battery_capacity", ("battery_capacity",), 0),
        ("param.remaining_backup_time", ("remaining_backup_time",), 0),
        ("param.battery_voltage", ("battery_voltage",), 1),
        ("param.temperature", ("ambient_temperature",), 1),
    ),
    "battery": (
        ("param.battery_voltage", ("battery_voltage", "battery_voltage_negative"), 1),
        ("param.battery_current", ("battery_current", "battery_current_negative"), 1),
        ("param.battery_capacity", ("battery_capacity",), 0),
        ("param.battery_capacity_ah", ("battery_capacity_ah",), 0),
        ("param.remaining_backup_time", ("remaining_backup_time",), 0),
        ("param.battery_temperature", ("battery_temperature",), 1),
    ),
    "output": (
        ("param.load_rate", tuple(f"load_rate_{p}" for p in PHASES) + ("load_rate",), 0),
        ("param.output_kva", ("output_kva",), 1),
        ("param.output_kw", ("output_kw",), 1),
        ("param.output_power_factor", tuple(f"output_power_factor_{p}" for p in PHASES), 2),
        ("param.output_crest_factor", ("output_crest_factor",), 1),
        ("param.output_current", tuple(f"output_current_{p}" for p in PHASES), 0),
        ("param.output_voltage", tuple(f"output_voltage_{p}" for p in PHASES), 0),
        ("param.output_voltage_u", tuple(f"output_voltage_{p}" for p in LINE_VOLTAGES), 0),
        ("param.output_frequency", ("output_frequency",), 1),
    ),
    "input": (
        ("param.input_voltage", tuple(f"input_voltage_{p}" for p in PHASES), 0),
        ("param.input_voltage_u", tuple(f"input_voltage_{p}" for p in LINE_VOLTAGES), 0),
        ("param.input_current", tuple(f"input_current_{p}" for p in PHASES), 0),
        ("param.input_power", tuple(f"input_power_{p}" for p in PHASES), 1),
        ("param.input_frequency", ("input_frequency",), 1),
    ),
    "bypass": (
        ("param.bypass_voltage", tuple(f"bypass_voltage_{p}" for p in PHASES), 0),
        ("param.bypass_voltage_u", tuple(f"bypass_voltage_{p}" for p in LINE_VOLTAGES), 0),
        ("param.bypass_power", tuple(f"bypass_power_{p}" for p in PHASES), 1),
        ("param.bypass_frequency", ("bypass_frequency",), 1),
    ),
    # §12.1.10: the inverter's own voltage is the output voltage while the load is on inverter.
    "inverter": (
        ("param.inverter_voltage", tuple(f"output_voltage_{p}" for p in PHASES), 0),
        ("param.inverter_frequency", ("output_frequency",), 1),
    ),
}

# FR §13.2–§13.4: the STS parameter tables.
STS_TABLES: Mapping[str, Sequence[Row]] = {
    "ups": (
        ("param.load_rate", tuple(f"load_rate_{p}" for p in PHASES) + ("load_rate",), 0),
        ("param.output_current", tuple(f"output_current_{p}" for p in PHASES), 0),
        ("param.output_kw", ("output_kw",), 1),
        ("param.output_voltage", tuple(f"output_voltage_{p}" for p in PHASES), 0),
        ("param.output_frequency", ("output_frequency",), 1),
        ("param.phase_shift", ("phase_shift",), 0),
        ("param.temperature", ("ambient_temperature",), 1),
    ),
    "output": (
        ("param.load_rate", tuple(f"load_rate_{p}" for p in PHASES) + ("load_rate",), 0),
        ("param.output_kva", tuple(f"output_kva_{p}" for p in PHASES) + ("output_kva",), 1),
        ("param.output_kw", tuple(f"output_kw_{p}" for p in PHASES) + ("output_kw",), 1),
        ("param.output_current", tuple(f"output_current_{p}" for p in PHASES), 0),
        ("param.output_voltage_u", tuple(f"output_voltage_{p}" for p in LINE_VOLTAGES), 0),
        ("param.output_voltage", tuple(f"output_voltage_{p}" for p in PHASES), 0),
        ("param.output_frequency", ("output_frequency",), 1),
        ("param.output_power_factor", tuple(f"output_power_factor_{p}" for p in PHASES), 2),
        ("param.output_crest_factor", tuple(f"output_crest_factor_{p}" for p in PHASES), 1),
    ),
    **{
        f"source{n}": (
            ("param.input_voltage", tuple(f"source{n}_voltage_{p}" for p in PHASES), 0),
            ("param.input_voltage_u", tuple(f"source{n}_voltage_{p}" for p in LINE_VOLTAGES), 0),
            ("param.input_frequency", (f"source{n}_frequency",), 1),
            ("param.switch_temperature", (f"switch{n}_temperature",), 1),
        )
        for n in (1, 2)
    },
}

def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def format_values(
    measurements: Mapping[str, float | None], keys: Sequence[str], decimals: int, fahrenheit: bool = False
) -> str | None:
    """"230/231/229" from the per-phase keys; None when none is managed. The per-phase
    keys win over the global one (a load rate is per phase when the UPS gives it)."""
    values = []
    for key in keys:
        value = measurements.get(key)
        if value is None:
            continue
        values.append(converted(key, value, fahrenheit))
        if key == "load_rate" and len(values) > 1:
            values.pop()
    if not values:
        return None
    return "/".join(_number(value, decimals) for value in values)


def table_rows(
    name: str,
    state: DeviceState,
    language: str,
    fahrenheit: bool = False,
    ups_time: datetime | None = None,
    sts: bool = False,
) -> list[tuple[str, str]]:
    """Rows (label, value) of one parameter table; rows of unmanaged values are left out."""
    rows: list[tuple[str, str]] = []
    derived = state.derived
    tables = STS_TABLES if sts else TABLES
    if name == "ups":
        rows.append((t("param.ups_status", language, sts), t(derived.ups_status, language)))
    elif name == "battery":
        rows.append((t("param.battery_status", language), t(derived.battery_status, language)))
    elif name == "output":
        rows.append((t("param.output_status", language), t(derived.output_status, language)))
    if sts and name == "output":
        rows.append((t("param.ups_status", language, sts), t(derived.ups_status, language)))
    for label_key, keys, decimals in tables[name]:
        if name == "inverter" and not state.condition("inverter_on"):
            text: str | None = "0"  # §12.1.10: "Set to 0 if inverter is off"
        else:
            text = format_values(state.measurements, keys, decimals, fahrenheit)
        if text is None:
            continue
        label = t(label_key, language)
        if label_key in ("param.temperature", "param.battery_temperature", "param.switch_temperature"):
            label += " (°F)" if fahrenheit else " (°C)"
        rows.append((label, text))
    if name == "battery" and state.condition("on_battery"):
        seconds = state.measurements.get("time_on_battery")
        if seconds is not None:
            rows.append((t("param.time_on_battery", language), _number(seconds / 60, 0)))
    if name == "input" and "genset_on" in state.derived.conditions:
        on = state.condition("genset_on")
        rows.append((t("param.genset", language), t("param.on" if on else "param.off", language)))
    if name == "ups" and ups_time is not None:
        rows.append((t("param.date_time", language), ups_time.strftime("%d/%m/%Y %H:%M:%S")))
    return rows


def alarms_json(
    state: DeviceState | None, language: str, time_zone: str = "UTC", dst: str = "auto"
) -> list[dict[str, Any]]:
    """The alarm table; ``since_text`` is the manual's dd/mm/yyyy hh:mm:ss in NET VISION's
    time zone, so that every browser shows the same time whatever its own zone."""
    if state is None:
        return []
    return [
        {
            "acronym": alarm.acronym,
            "label": alarm.label_fr if language == "fr" else alarm.label_en,
            "level": alarm.level.value,
            "level_label": t(f"level.{alarm.level.value}", language),
            "since": alarm.since.isoformat(),
            "since_text": format_time(alarm.since, time_zone, dst),
        }
        for alarm in state.alarms
    ]


def device_view(
    state: DeviceState | None,
    language: str,
    *,
    system_view: bool = False,
    fahrenheit: bool = False,
    ups_time: datetime | None = None,
    sts: bool = False,
    time_zone: str = "UTC",
    dst: str = "auto",
) -> dict[str, Any] | None:
    """Everything the synoptic page needs for one device: colours, labels, tables."""
    if state is None:
        return None
    if sts:
        colours = synoptic.sts_colours(state)
    else:
        colours = synoptic.system_colours(state) if system_view else synoptic.unit_colours(state)
    if sts:
        names: tuple[str, ...] = tuple(STS_TABLES)
    else:
        names = ("ups", "output") if system_view else tuple(TABLES)
    load = synoptic.load_percent(state)
    capacity = state.measurements.get("battery_capacity")
    backup = state.measurements.get("remaining_backup_time")
    maintenance = state.condition("load_on_maintenance_bypass") or state.condition("maintenance_bypass_closed")
    return {
        "colours": colours,
        "tree": synoptic.tree_status(state),
        "battery_tree": synoptic.battery_tree_status(state),
        "battery_animation": synoptic.battery_animation(state),
        # §12.1.1: no load figure while the maintenance bypass is closed; backup time replaces
        # the capacity while discharging.
        "load_text": "" if maintenance or load is None else f"{load:.0f} %",
        "load": load,
        "battery_capacity": capacity,
        "battery_text": (
            f"{backup:.0f} mn"
            if state.condition("on_battery") and backup is not None
            else ("" if capacity is None else f"{capacity:.0f} %")
        ),
        "ups_status": t(state.derived.ups_status, language),
        "battery_status": t(state.derived.battery_status, language),
        "output_status": t(state.derived.output_status, language),
        "tables": {name: table_rows(name, state, language, fahrenheit, ups_time, sts) for name in names},
        "alarms": alarms_json(state, language, time_zone, dst),
    }


def identity_json(identity: Identity | None) -> dict[str, Any] | None:
    if identity is None:
        return None
    return {
        "map_name": identity.map_name,
        "model": identity.model,
        "serial_number": identity.serial_number,
        "reference": identity.reference,
        "nominal_kva": identity.nominal_kva,
        "nominal_kw": identity.nominal_kw,
        "input_phases": identity.input_phases,
        "output_phases": identity.output_phases,
        "firmware": identity.firmware,
        "device_kind": identity.device_kind,
    }


def topology_json(topology: Topology | None) -> dict[str, Any] | None:
    if topology is None:
        return None
    return {
        "kind": topology.kind.value,
        "bypass": topology.bypass,
        "units": list(topology.units),
        "modules": list(topology.modules),
        "battery_present": topology.battery_present,
        "input_phases": topology.input_phases,
        "output_phases": topology.output_phases,
    }


def state_json(state: DeviceState | None, language: str) -> dict[str, Any] | None:
    if state is None:
        return None
    derived = state.derived
    return {
        "number": state.number,
        "statuses": sorted(state.statuses),
        "alarm_bits": sorted(state.alarm_bits),
        "alarms": alarms_json(state, language),
        "measurements": dict(state.measurements),
        "ups_status": derived.ups_status,
        "battery_status": derived.battery_status,
        "output_status": derived.output_status,
        "ups_status_label": t(derived.ups_status, language),
        "conditions": {name: bool(value) for name, value in derived.conditions.items()},
        "rfc1628_output_source": derived.rfc1628_output_source,
        "rfc1628_battery_status": derived.rfc1628_battery_status,
        "well_known_alarms": sorted(derived.well_known_alarms),
    }


def _stale(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A device's values once the communication is lost: kept, but no alarm table
    pretending to be live (the alarms are not known any more)."""
    if data is not None:
        data["alarms"] = []
    return data


def snapshot_json(snapshot: Snapshot, language: str = "en") -> dict[str, Any]:
    communication = snapshot.communication
    stale = snapshot.stale
    state = (lambda s, lang: _stale(state_json(s, lang))) if stale else state_json
    last_read = snapshot.last_read
    return {
        "sequence": snapshot.sequence,
        "time": snapshot.time.isoformat(),
        # True when the values below are the last ones read, not the UPS's present state.
        "stale": stale,
        "last_read": last_read.isoformat() if last_read else None,
        "communication": {
            "state": communication.state.value,
            "since": communication.since.isoformat(),
            "baud_rate": communication.baud_rate,
            "map_name": communication.map_name,
            "last_error": communication.last_error,
            "cycles": communication.statistics.cycles,
            "errors": communication.statistics.errors,
        },
        "identity": identity_json(snapshot.identity),
        "topology": topology_json(snapshot.topology),
        "system": state(snapshot.system, language),
        "units": [
            {
                "number": unit.number,
                "state": state(unit.state, language),
                "modules": [{"number": m.number, "state": state(m.state, language)} for m in unit.modules],
            }
            for unit in snapshot.units
        ],
        "modules": [{"number": m.number, "state": state(m.state, language)} for m in snapshot.modules],
        "permissions": dict(snapshot.permissions),
        "remote_controls_permitted": snapshot.remote_controls_permitted,
        "ups_time": snapshot.ups_time.isoformat() if snapshot.ups_time else None,
    }


def devices(snapshot: Snapshot) -> list[tuple[str, str, DeviceState | None]]:
    """(id, kind, state) of every device of the tree: system, units, modules."""
    items: list[tuple[str, str, DeviceState | None]] = [("system", "system", snapshot.system)]
    for unit in snapshot.units:
        items.append((f"unit{unit.number}", "unit", unit.state))
        for module in unit.modules:
            items.append((f"unit{unit.number}-module{module.number}", "module", module.state))
    for module in snapshot.modules:
        items.append((f"module{module.number}", "module", module.state))
    return items


def last_read_text(snapshot: Snapshot, language: str, time_zone: str = "UTC", dst: str = "auto") -> str:
    """ "Values last read at dd/mm/yyyy hh:mm:ss" while the communication is lost, else ""."""
    if not snapshot.stale:
        return ""
    moment = snapshot.last_read
    when = format_time(moment, time_zone, dst) if moment is not None else "--/--/---- --:--:--"
    return t("common.last_read", language).format(time=when)


def live_json(
    snapshot: Snapshot, language: str, fahrenheit: bool = False, time_zone: str = "UTC", dst: str = "auto"
) -> dict[str, Any]:
    """The message the pages receive after every poll."""
    parallel = bool(snapshot.topology and snapshot.topology.is_parallel)
    sts = bool(snapshot.identity and snapshot.identity.device_kind == "sts")
    views = {}
    for device_id, kind, state in devices(snapshot):
        views[device_id] = device_view(
            state,
            language,
            system_view=(kind == "system" and parallel),
            fahrenheit=fahrenheit,
            ups_time=snapshot.ups_time if kind == "system" else None,
            sts=sts,
            time_zone=time_zone,
            dst=dst,
        )
    system = snapshot.system
    stale = snapshot.stale
    if stale:
        for view in views.values():
            _stale(view)
    alarms = [] if stale else alarms_json(system, language, time_zone, dst)
    last_read = snapshot.last_read
    return {
        "sequence": snapshot.sequence,
        "time": snapshot.time.isoformat(),
        "communicating": snapshot.communicating,
        # Communication lost: the values shown are the last read, at last_read.
        "stale": stale,
        "last_read": last_read.isoformat() if last_read else None,
        "last_read_text": last_read_text(snapshot, language, time_zone, dst),
        "banner": banner_view(snapshot, language, time_zone, dst, sts),
        "communication": t(f"communication.{snapshot.communication.state.value}", language, sts),
        "alarm_count": len(alarms),
        "alarms": alarms,
        "newest_alarm": max((a["since"] for a in alarms), default=""),
        "views": views,
        # In the unit of the settings: the dashboard and the graph show these numbers as they are.
        "measurements": displayed_measurements(system.measurements, fahrenheit) if system else {},
        "permissions": dict(snapshot.permissions),
        "remote_controls_permitted": snapshot.remote_controls_permitted,
    }


def control_label(control: str, language: str) -> str:
    return t(f"control.{control}", language)


def _minutes(value: float) -> str:
    return f"{max(0, round(value)):d}"


def banner_text(
    summary: Summary, language: str, time_zone: str = "UTC", dst: str = "auto", sts: bool = False
) -> tuple[str, str]:
    """(title, detail) of the status banner, in words."""
    kind = summary.kind

    def label(key: str, **values: Any) -> str:
        text = t(key, language, sts)
        return text.format(**values) if values else text

    def when(moment: datetime | None) -> str:
        return format_time(moment, time_zone, dst) if moment is not None else "--/--/---- --:--:--"

    title = label(f"banner.{kind.value}")
    minutes = summary.minutes_left
    if kind is SummaryKind.COMMUNICATION_LOST:
        if summary.last_read is None:
            detail = label("banner.communication_lost_never", since=when(summary.since))
        else:
            detail = label(
                "banner.communication_lost_detail", since=when(summary.since), time=when(summary.last_read)
            )
    elif kind in (SummaryKind.ON_BATTERY, SummaryKind.BATTERY_LOW):
        if minutes is None:
            detail = label(f"banner.{kind.value}_detail_unknown")
        else:
            detail = label(f"banner.{kind.value}_detail", minutes=_minutes(minutes))
    elif kind is SummaryKind.ALARM:
        worst = summary.worst_alarm
        name = "" if worst is None else (worst.label_fr if language == "fr" else worst.label_en)
        if summary.alarm_count == 1:
            detail = label("banner.alarm_one", worst=name)
        else:
            detail = label("banner.alarm_many", count=summary.alarm_count, worst=name)
    else:
        detail = label(f"banner.{kind.value}_detail")
    return title, detail


def banner_view(
    snapshot: Snapshot, language: str, time_zone: str = "UTC", dst: str = "auto", sts: bool = False
) -> dict[str, Any]:
    """What the status banner of every page shows, already in words."""
    summary = summarize(snapshot)
    title, detail = banner_text(summary, language, time_zone, dst, sts)
    extra = ""
    if summary.kind is not SummaryKind.ALARM and summary.alarm_count:
        count = summary.alarm_count
        key = "banner.also_alarms_one" if count == 1 else "banner.also_alarms_many"
        extra = t(key, language).format(count=count)
    since = ""
    if summary.since is not None and summary.kind is not SummaryKind.COMMUNICATION_LOST:
        since = t("banner.since", language).format(time=format_time(summary.since, time_zone, dst))
    return {
        "kind": summary.kind.value,
        "tone": summary.tone.value,
        "title": title,
        "detail": detail,
        "alarms": extra,
        "since": since,
        "alarm_count": summary.alarm_count,
        "minutes_left": None if summary.minutes_left is None else round(summary.minutes_left),
    }


# Refusals the poller words in English, and the label of each (the first match wins).
REFUSALS: tuple[tuple[str, str], ...] = (
    ("remote controls are not permitted", "control.reason.remote_not_permitted"),
    ("permission table could not be read", "control.reason.permission_unreadable"),
    ("is not permitted by the UPS", "control.reason.not_permitted"),
    ("is not offered by the UPS", "control.reason.not_offered"),
    ("is not available on a", "control.reason.not_available"),
    ("communication with the UPS was lost", "control.reason.lost"),
    ("the UPS is not communicating", "control.reason.not_communicating"),
    ("the poller stopped", "control.reason.stopped"),
    ("did not accept the control", "control.reason.not_accepted"),
)


def refusal_reason(reason: str, language: str) -> str:
    for fragment, key in REFUSALS:
        if fragment in reason:
            return t(key, language)
    return reason


def control_outcome(result: ControlResult | dict[str, Any], language: str) -> str:
    """ "Load transferred to bypass" or "Refused: the UPS does not permit this control now"."""
    if isinstance(result, dict):
        control, accepted = str(result.get("control", "")), bool(result.get("accepted"))
        reason = str(result.get("reason", ""))
    else:
        control, accepted, reason = result.control, result.accepted, result.reason
    if accepted:
        return t(f"control.done.{control}", language)
    return t("control.refused_because", language).format(reason=refusal_reason(reason, language) or "—")


def control_outcomes(controls: Any, language: str) -> dict[str, Any]:
    """The words a control page needs to report an outcome by itself."""
    return {
        "done": {name: t(f"control.done.{name}", language) for name in controls},
        "refused": t("control.refused_because", language),
        "reasons": [[fragment, t(key, language)] for fragment, key in REFUSALS],
    }
