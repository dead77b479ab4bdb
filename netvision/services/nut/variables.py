"""NUT's standard variables (docs/nut-names.txt) from the snapshot: pure code.

One NUT UPS stands for the system; a parallel system adds one per unit. Every UPS fact
comes from the snapshot's derived conditions (ups/status.py) and measurement keys
(ups/maps/base.MEASUREMENT_KEYS), as the SNMP and BACnet views read them: this module
only names and formats them the way NUT clients expect (RFC 9271, docs/new-drivers.txt).

Values: dot decimals, no exponent; one decimal for voltages, currents, frequencies and
temperatures; whole numbers for percentages, seconds, watts and volt-amperes. A variable
whose measurement the UPS does not manage (``None``) is left out, as NUT drivers do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from ... import __version__
from ...settings.models import NutSettings, SystemSettings
from ...ups import battery_test as battery_tests_rules
from ...ups.battery_test import BatteryTestResult, BatteryTestState, UnitTest
from ...ups.model import DeviceState, Identity, Snapshot
from ..shutdown.capability import ups_manages_shut_off
from ..shutdown.status import ShutdownStatus
from .names import COMMAND_CONTROLS, COMMAND_DESCRIPTIONS, LOAD_OFF_DELAY, VARIABLE_DESCRIPTIONS

MANUFACTURER = "Socomec"
DRIVER_NAME = "netvision"
# NUT's convention for a timer that does not run (ups.timer.shutdown, docs/nut-names.txt).
NO_TIMER = "-1"
# A reply line must fit the clients' 512-byte buffer (clients/upsclient.h UPSCLI_NETBUF_LEN),
# and `VAR <ups> <name> "<value>"\n` adds up to about 100 bytes (a 32-byte UPS name, the
# longest variable name, quotes and escapes): no value is longer than this.
MAX_VALUE_BYTES = 384

PHASES = ("L1", "L2", "L3")
_PHASE_KEYS = ("l1", "l2", "l3")
# Phase-to-phase voltages: NUT context -> measurement key suffix.
_LINE_TO_LINE = (("L1-L2", "u12"), ("L2-L3", "u23"), ("L3-L1", "u31"))

# Three-phase names (docs/nut-names.txt "Three-phase additions"): DOMAIN.CONTEXT.SPEC.
_PHASE_NAME = re.compile(r"^(input|input\.bypass|output)\.(L[1-3](?:-N|-L[1-3])?|N)\.([a-z.]+)$")
_DOMAINS = {"input": "Input", "input.bypass": "Bypass input", "output": "Output"}
_SPECS = {
    "voltage": "voltage (V)",
    "current": "current (A)",
    "power": "apparent power (VA)",
    "realpower": "real power (W)",
    "power.percent": "percentage of apparent power related to maximum load",
    "powerfactor": "power factor (dimensionless value between 0.00 and 1.00)",
    "crestfactor": "crest factor (dimensionless value greater or equal to 1)",
}

# ups.test.result, in the words NUT drivers use (usbhid-ups, apc_modbus).
_TEST_RESULTS = {
    BatteryTestResult.NONE: "No test initiated",
    BatteryTestResult.OK: "Done and passed",
    BatteryTestResult.INTERRUPTED: "Aborted",
    BatteryTestResult.FAILED: "Done and error",
}


@dataclass(frozen=True)
class NutUps:
    name: str  # as clients ask for it (LIST UPS)
    description: str  # UPSDESC
    unit: int  # 0 = the system (or the single UPS); N = unit N of a parallel system


# -- formatting ---------------------------------------------------------------------------------


def number(value: float | None, decimals: int = 0, scale: float = 1.0) -> str | None:
    """A NUT number: dot decimals, no exponent, no thousands separator; None stays None."""
    if value is None or not math.isfinite(value):
        return None
    scaled = value * scale
    if decimals == 0:
        return str(int(round(scaled)))
    text = f"{scaled:.{decimals}f}"
    return "0." + "0" * decimals if float(text) == 0 else text  # never "-0.0"


def sent_bytes(value: str) -> int:
    """Bytes of ``value`` on the wire, inside quotes: ``"`` and ``\\`` are escaped (netget.c)."""
    return len(value.encode("utf-8")) + value.count('"') + value.count("\\")


def text(value: str) -> str:
    """An opaque string: one line, at most :data:`MAX_VALUE_BYTES` bytes once escaped."""
    flat = " ".join(value.split())
    if sent_bytes(flat) <= MAX_VALUE_BYTES:
        return flat
    kept: list[str] = []
    size = 0
    for character in flat:
        size += sent_bytes(character)
        if size > MAX_VALUE_BYTES:
            break
        kept.append(character)
    return "".join(kept).rstrip()


def _joined(parts: list[str], limit: int = MAX_VALUE_BYTES) -> str:
    """Whole parts, space separated, as many as fit in ``limit`` bytes."""
    kept: list[str] = []
    size = 0
    for part in parts:
        extra = sent_bytes(part) + (1 if kept else 0)
        if size + extra > limit:
            break
        kept.append(part)
        size += extra
    return " ".join(kept)


# -- which UPSes --------------------------------------------------------------------------------


def _units(snapshot: Snapshot | None) -> tuple[int, ...]:
    if snapshot is None or snapshot.topology is None or not snapshot.topology.is_parallel:
        return ()
    return tuple(unit.number for unit in snapshot.units)


def _describe(identity: Identity | None, fallback: str) -> str:
    if identity is None or not identity.model:
        return text(fallback) or "Unavailable"
    serial = f" ({identity.serial_number})" if identity.serial_number else ""
    return text(f"{MANUFACTURER} {identity.model}{serial}")


def nut_upses(snapshot: Snapshot | None, system: SystemSettings, nut: NutSettings) -> tuple[NutUps, ...]:
    """The UPSes the server lists: the system under ``nut.ups_name``, then one per unit of a
    parallel system (``<ups_name>-unit<N>``). Aliases are names of the system, not listed.

    The system is listed even before the UPS answered, as upsd lists every UPS of ups.conf:
    a client that starts first logs in and reads DATA-STALE instead of UNKNOWN-UPS."""
    identity = snapshot.identity if snapshot is not None else None
    upses = [NutUps(nut.ups_name, _describe(identity, system.name), 0)]
    for number_ in _units(snapshot):
        unit = snapshot.unit(number_) if snapshot is not None else None
        unit_identity = unit.identity if unit is not None and unit.identity is not None else identity
        description = _describe(unit_identity, system.name)
        upses.append(NutUps(f"{nut.ups_name}-unit{number_}", text(f"{description} unit {number_}"), number_))
    return tuple(upses)


# -- ups.status ---------------------------------------------------------------------------------


def status_tokens(state: DeviceState, last_test_failed: bool = False) -> list[str]:
    """The ups.status tokens of one communicating device (docs/new-drivers.txt "Status
    data"), input line first. Empty when its conditions are not known (communication lost:
    the core keeps the measurements but no derived state)."""
    conditions = state.derived.conditions
    if not conditions:
        return []
    c = state.condition
    sts = state.derived.device_kind == "sts"
    testing = c("battery_test_in_progress")
    # A battery test discharges the battery with good mains: the input line is OL (NUT's
    # OL/OB describe the input line only), as the summary's BATTERY_TEST says.
    on_battery = c("on_battery") and not testing
    tokens = ["OB" if on_battery else "OL"]
    if not sts:
        # An imminent stop is the UPS's "shutdown imminent": NUT drivers report it as LB.
        if c("battery_low") or c("battery_discharged") or (c("on_battery") and c("imminent_stop")):
            tokens.append("LB")
        if c("battery_test_failed") or last_test_failed:
            tokens.append("RB")
    maintenance = c("load_on_maintenance_bypass") or c("maintenance_bypass_closed")
    manual = c("load_on_manual_bypass_1") or c("load_on_manual_bypass_2")
    if maintenance or manual or (c("load_on_automatic_bypass") and not c("eco_mode")):
        tokens.append("BYPASS")
    if c("eco_mode"):
        tokens.append("ECO")  # NUT 2.8.1+: the vendor's high-efficiency mode, not a fault
    if not sts:
        if c("on_battery") or testing:  # a battery test discharges the battery too
            tokens.append("DISCHRG")
        elif c("battery_charging"):
            tokens.append("CHRG")
    if c("overload"):
        tokens.append("OVER")
    # JBUSP's load-off expression (!S03 & !S04) also holds on the maintenance bypass.
    if (c("load_off") or c("standby")) and not maintenance and not manual:
        tokens.append("OFF")
    if state.alarms:
        tokens.append("ALARM")
    return tokens


def _alarm_text(state: DeviceState) -> str:
    labels = [alarm.label_en.strip().rstrip(".") + "." for alarm in state.alarms if alarm.label_en.strip()]
    return _joined(labels)


# -- the variables ------------------------------------------------------------------------------


def _phase_count(value: int | None) -> int:
    return 3 if value == 3 else 1


class _Builder:
    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self.values: dict[str, str] = {}

    def m(self, key: str) -> float | None:
        return self.state.measurements.get(key)

    def put(self, name: str, value: str | None) -> None:
        if value is not None and value != "":
            self.values[name] = value

    def measure(self, name: str, key: str, decimals: int = 1, scale: float = 1.0) -> None:
        self.put(name, number(self.m(key), decimals, scale))


def _line_measurements(b: _Builder, domain: str, prefix: str, phases: int, with_power: bool = True) -> None:
    """Voltages, currents and real powers of one domain (input, input.bypass, output)."""
    if phases == 3:
        for context, key in zip(PHASES, _PHASE_KEYS, strict=True):
            b.measure(f"{domain}.{context}-N.voltage", f"{prefix}_voltage_{key}")
            b.measure(f"{domain}.{context}.current", f"{prefix}_current_{key}")
            if with_power:
                b.measure(f"{domain}.{context}.realpower", f"{prefix}_power_{key}", 0, 1000)
        for context, key in _LINE_TO_LINE:
            b.measure(f"{domain}.{context}.voltage", f"{prefix}_voltage_{key}")
    else:
        b.measure(f"{domain}.current", f"{prefix}_current_l1")
        if with_power:
            b.measure(f"{domain}.realpower", f"{prefix}_power_l1", 0, 1000)
    # The single-phase name, or phase L1 of a three-phase line (what most clients show).
    b.measure(f"{domain}.voltage", f"{prefix}_voltage_l1")


def _bypass_phases(b: _Builder, output_phases: int) -> int:
    present = [key for key in _PHASE_KEYS if b.m(f"bypass_voltage_{key}") is not None]
    if len(present) in (1, 3):
        return len(present)
    return output_phases


def _identity_variables(
    b: _Builder, identity: Identity | None, system: SystemSettings, unit: int, sts: bool
) -> None:
    b.put("device.mfr", MANUFACTURER)
    b.put("ups.mfr", MANUFACTURER)
    b.put("device.type", "ats" if sts else "ups")
    b.put("driver.name", DRIVER_NAME)
    b.put("driver.version", __version__)
    description = system.name if unit == 0 else f"{system.name} unit {unit}"
    b.put("device.description", text(description))
    b.put("device.contact", text(system.contact))
    b.put("device.location", text(system.location))
    if identity is None:
        return
    for prefix in ("device", "ups"):
        b.put(f"{prefix}.model", text(identity.model))
        b.put(f"{prefix}.serial", text(identity.serial_number))
    b.put("ups.firmware", text(identity.firmware))
    if not sts:
        b.put("ups.type", "online")  # Socomec UPSs are double-conversion (VFI) UPSs
    b.put("ups.power.nominal", number(identity.nominal_kva, 0, 1000))
    b.put("ups.realpower.nominal", number(identity.nominal_kw, 0, 1000))
    b.put("input.voltage.nominal", number(identity.nominal_input_voltage, 1))
    b.put("input.frequency.nominal", number(identity.nominal_input_frequency, 1))
    b.put("output.voltage.nominal", number(identity.nominal_output_voltage, 1))
    b.put("output.frequency.nominal", number(identity.nominal_output_frequency, 1))


def _battery_variables(b: _Builder, state: DeviceState, identity: Identity | None) -> None:
    b.measure("battery.charge", "battery_capacity", 0)
    b.measure("battery.runtime", "remaining_backup_time", 0, 60)  # minutes -> seconds
    b.measure("battery.voltage", "battery_voltage")
    b.measure("battery.current", "battery_current")  # negative while discharging
    b.measure("battery.temperature", "battery_temperature")
    capacity = b.m("battery_capacity_ah")
    if capacity is None and identity is not None:
        capacity = identity.nominal_battery_capacity_ah
    b.put("battery.capacity", number(capacity, 1))
    if state.derived.conditions:
        if state.condition("on_battery") or state.condition("battery_test_in_progress"):
            b.put("battery.charger.status", "discharging")
        elif state.condition("battery_charging"):
            b.put("battery.charger.status", "charging")
        elif state.condition("battery_charged"):
            b.put("battery.charger.status", "floating")


def _output_variables(b: _Builder, phases: int) -> None:
    b.put("output.phases", str(phases))
    b.measure("output.frequency", "output_frequency")
    b.measure("ups.load", "load_rate", 0)
    b.measure("ups.power", "output_kva", 0, 1000)
    b.measure("ups.realpower", "output_kw", 0, 1000)
    b.measure("output.crestfactor", "output_crest_factor")
    if phases == 3:
        for context, key in zip(PHASES, _PHASE_KEYS, strict=True):
            b.measure(f"output.{context}-N.voltage", f"output_voltage_{key}")
            b.measure(f"output.{context}.current", f"output_current_{key}")
            b.measure(f"output.{context}.power", f"output_kva_{key}", 0, 1000)
            b.measure(f"output.{context}.realpower", f"output_kw_{key}", 0, 1000)
            b.measure(f"output.{context}.power.percent", f"load_rate_{key}", 0)
            b.measure(f"output.{context}.powerfactor", f"output_power_factor_{key}", 2)
        b.measure("output.N.current", "output_current_n")
        for context, key in _LINE_TO_LINE:
            b.measure(f"output.{context}.voltage", f"output_voltage_{key}")
    else:
        b.measure("output.current", "output_current_l1")
        # A single-phase output: the phase's figures, else the totals (the same line).
        for name, key in (("output.power", "output_kva"), ("output.realpower", "output_kw")):
            b.measure(name, f"{key}_l1", 0, 1000)
            if name not in b.values:
                b.measure(name, key, 0, 1000)
        b.measure("output.powerfactor", "output_power_factor_l1", 2)
        if "ups.load" not in b.values:
            b.measure("ups.load", "load_rate_l1", 0)
    b.measure("output.voltage", "output_voltage_l1")
    if phases == 1:
        for total, line in (("ups.power", "output.power"), ("ups.realpower", "output.realpower")):
            if total not in b.values and line in b.values:
                b.values[total] = b.values[line]


def _sts_inputs(b: _Builder, phases: int) -> None:
    """A STATYS (NUT device.type "ats"): its two sources as input.1 and input.2."""
    for source in (1, 2):
        b.measure(f"input.{source}.voltage", f"source{source}_voltage_l1")
        b.measure(f"input.{source}.frequency", f"source{source}_frequency")
        if phases == 3:
            for context, key in zip(PHASES, _PHASE_KEYS, strict=True):
                b.measure(f"input.{source}.{context}-N.voltage", f"source{source}_voltage_{key}")
    c = b.state.condition
    if b.state.derived.conditions:
        if c("load_on_source1"):
            b.put("input.source", "1")
        elif c("load_on_source2"):
            b.put("input.source", "2")
        if "source1_preferred" in b.state.derived.conditions:
            b.put("input.source.preferred", "1" if c("source1_preferred") else "2")


def _device(snapshot: Snapshot, unit: int) -> tuple[DeviceState | None, Identity | None]:
    if unit == 0:
        return snapshot.system, snapshot.identity
    if unit not in _units(snapshot):
        return None, None
    found = snapshot.unit(unit)
    if found is None:
        return None, None
    return found.state, found.identity or snapshot.identity


def _unit_test(battery_tests: BatteryTestState | None, unit: int) -> UnitTest | None:
    if battery_tests is None:
        return None
    if unit and battery_tests.per_unit:
        return battery_tests.unit(unit)
    return battery_tests.system()


def variables(
    snapshot: Snapshot | None,
    unit: int,
    status: ShutdownStatus,
    now: datetime,
    system: SystemSettings,
    battery_tests: BatteryTestState | None = None,
) -> dict[str, str]:
    """Every variable of one NUT UPS, name -> value as sent (dot decimals, no exponent).
    ``ups.status`` carries FSD first when ``status.forced_shutdown``. Empty while no snapshot
    has identified the UPS yet. While the communication is lost the last measurements stay
    (the server answers DATA-STALE); ups.status is then only FSD, if set.
    ``battery_tests``: the core's battery test tracker, for ups.test.result and RB."""
    if snapshot is None or snapshot.system is None:
        return {}
    state, identity = _device(snapshot, unit)
    if state is None:
        return {}
    sts = state.derived.device_kind == "sts" or (identity is not None and identity.device_kind == "sts")
    topology = snapshot.topology
    input_phases = _phase_count(
        topology.input_phases if topology else identity.input_phases if identity else None
    )
    output_phases = _phase_count(
        topology.output_phases if topology else identity.output_phases if identity else None
    )
    b = _Builder(state)

    test = _unit_test(battery_tests, unit)
    failed = test is not None and not test.running and test.result is BatteryTestResult.FAILED
    tokens = status_tokens(state, failed)
    if status.forced_shutdown:
        tokens.insert(0, "FSD")
    b.put("ups.status", " ".join(tokens))
    if state.alarms and state.derived.conditions:
        b.put("ups.alarm", _alarm_text(state))
    seconds = status.seconds_left(now)
    b.put("ups.timer.shutdown", NO_TIMER if seconds is None else str(seconds))

    _identity_variables(b, identity, system, unit, sts)
    if unit == 0 and snapshot.has_clock and snapshot.ups_time is not None:
        b.put("ups.date", snapshot.ups_time.strftime("%Y/%m/%d"))
        b.put("ups.time", snapshot.ups_time.strftime("%H:%M:%S"))
    if test is not None and not sts:
        b.put("ups.test.result", "In progress" if test.running else _TEST_RESULTS[test.result])

    b.measure("ambient.temperature", "ambient_temperature")
    if sts:
        b.put("input.phases", str(input_phases))
        _sts_inputs(b, input_phases)
    else:
        battery_present = topology.battery_present if topology else True
        if battery_present:
            _battery_variables(b, state, identity)
        b.put("input.phases", str(input_phases))
        b.measure("input.frequency", "input_frequency")
        _line_measurements(b, "input", "input", input_phases)
        bypass_phases = _bypass_phases(b, output_phases)
        if any(b.m(f"bypass_voltage_{key}") is not None for key in _PHASE_KEYS):
            b.put("input.bypass.phases", str(bypass_phases))
        b.measure("input.bypass.frequency", "bypass_frequency")
        _line_measurements(b, "input.bypass", "bypass", bypass_phases)
    _output_variables(b, output_phases)
    return dict(sorted(b.values.items()))


# -- instant commands and descriptions ----------------------------------------------------------


def command_table(snapshot: Snapshot | None, unit: int) -> dict[str, bool]:
    """Every NUT instant command the UPS has now -> whether it permits it now (its
    permission table and remote control permission, ups/controls.py). A command the UPS
    has but forbids stays known: the server still sends it, the UPS refuses it and its
    event log keeps who tried, as for the web control page.

    ``load.off.delay`` is there only where the UPS manages its shut-off (§16.8 "UPS shut
    off"). A unit of a parallel system has its own battery test where §16.2 tests the
    units one by one; the other controls are the system's."""
    if snapshot is None or snapshot.system is None or not snapshot.communicating:
        return {}
    permitted = snapshot.permissions
    if unit:
        if unit not in _units(snapshot) or not battery_tests_rules.per_unit(snapshot):
            return {}
        wanted = {"test.battery.start": COMMAND_CONTROLS["test.battery.start"]}
    else:
        wanted = dict(COMMAND_CONTROLS)
        if not ups_manages_shut_off(snapshot):
            del wanted[LOAD_OFF_DELAY]
    return {command: bool(permitted[control]) for command, control in wanted.items() if control in permitted}


def commands(snapshot: Snapshot | None, unit: int) -> tuple[str, ...]:
    """The NUT instant commands the UPS permits now (``LIST CMD``), in NUT's order."""
    return tuple(command for command, permitted in command_table(snapshot, unit).items() if permitted)


def control_of(command: str) -> str | None:
    """The control (ups/maps/base.CONTROLS) an instant command sends, None if unknown."""
    return COMMAND_CONTROLS.get(command.lower())


def description(name: str) -> str | None:
    """GET DESC: the English description of a variable, None when there is none
    (upsd then answers "Description unavailable")."""
    if name in VARIABLE_DESCRIPTIONS:
        return VARIABLE_DESCRIPTIONS[name]
    match = _PHASE_NAME.match(name)
    if match is None:
        source = re.match(r"^input\.([12])\.(?:(L[1-3]-N)\.)?(voltage|frequency)$", name)
        if source is None:
            return None
        unit_text = "voltage (V)" if source.group(3) == "voltage" else "frequency (Hz)"
        phase = f", phase {source.group(2)}" if source.group(2) else ""
        return f"Source {source.group(1)} {unit_text}{phase}"
    domain, context, spec = match.groups()
    spec_text = _SPECS.get(spec)
    if spec_text is None:
        return None
    return f"{_DOMAINS[domain]} {spec_text}, {context}"


def command_description(command: str) -> str | None:
    """GET CMDDESC: the English description of an instant command."""
    return COMMAND_DESCRIPTIONS.get(command)


def lines(ups: str, values: Mapping[str, str]) -> Iterator[str]:
    """``VAR <ups> <name> "<value>"`` lines as upsd sends them (netget.c), quotes and
    backslashes escaped: what the server writes, and what the tests measure."""
    for name, value in values.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        yield f'VAR {ups} {name} "{escaped}"'
