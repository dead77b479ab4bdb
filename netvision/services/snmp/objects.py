"""The values the agent serves, built from one snapshot: MIB-II system, RFC1628
UPS-MIB, the NET VISION 7 MIB (.4555.1.1.7) and the older NET VISION subtree
(.4555.1.1.1) that existing integrations (NUT's ``netvision`` mapping) read.

Pure code: :func:`build_entries` returns ``(oid, value)`` pairs; a value is a
pysnmp type, or a zero-argument callable for the few values that must be live
at request time (sysUpTime, agent clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pysnmp.proto.rfc1902 import (
    Counter32,
    Gauge32,
    Integer32,
    IpAddress,
    ObjectIdentifier,
    OctetString,
    TimeTicks,
)

from ...settings import Settings
from ...ups.battery_test import BatteryTestState
from ...ups.model import ActiveAlarm, DeviceState, Snapshot
from ..nut.clients import NutClient
from ..shutdown.status import ShutdownStatus, UpsShutOff
from . import shutdown, upstest
from .tree import Oid

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
UPS_MIB = (1, 3, 6, 1, 2, 1, 33)
UPS_OBJECTS = UPS_MIB + (1,)
UPS_WELL_KNOWN_ALARMS = UPS_OBJECTS + (6, 3)
UPS_TRAPS = UPS_MIB + (2,)
NV7 = (1, 3, 6, 1, 4, 1, 4555, 1, 1, 7)
NV7_OBJECTS = NV7 + (1,)
NV7_TRAPS = NV7 + (2,)
STS = (1, 3, 6, 1, 4, 1, 4555, 1, 1, 10)  # "connectsts": the STS MIB of FR annex "MIB STS"
STS_OBJECTS = STS + (1,)
STS_TRAPS = STS + (2, 0)
NV1 = (1, 3, 6, 1, 4, 1, 4555, 1, 1, 1)
NV1_OBJECTS = NV1 + (1,)
SYS_OBJECT_ID = NV7  # the card identifies itself by the NET VISION 7 MIB root
MANUFACTURER = "SOCOMEC"
NOT_MANAGED = -1  # App. MIB: "measurements not managed by UPS ... set at -1"
NV_MIB_VERSION = "NETVISION-MIB 2026-12-02"

# upsTestId values: RFC1628 upsWellKnownTests.
UPS_TEST_GENERAL_SYSTEMS_TEST = UPS_OBJECTS + (7, 7, 3)
UPS_TEST_QUICK_TEST = UPS_OBJECTS + (7, 7, 4)

# NET VISION MIB upsBatteryStatus (App. MIB upsBattery(2).1), from status.py's keys.
NV7_BATTERY_STATUS = {
    "ok": 2,
    "charging": 3,
    "test_running": 4,
    "discharging": 5,
    "to_input": 5,
    "low": 6,
    "discharged": 7,
    "alarm": 8,
    "room_alarm": 8,
    "temperature_alarm": 8,
    "disconnected": 9,
}
# NET VISION MIB upsOutputSource (App. MIB upsOutput(4).1).
NV7_OUTPUT_SOURCE = {
    "maintenance_bypass": 2,
    "load_on_inverter": 3,
    "normal_mode": 4,
    "eco_mode": 5,
    "load_on_bypass": 6,
    "standby": 7,
    "load_off": 8,
    "line_interactive": 9,
}
# Older NET VISION MIB (.1.1.1) values, as NUT's netvision mapping reads them:
# battery 2 normal, 3 low, 4 depleted, 5 discharging, 6 failure.
NV1_BATTERY_STATUS = {"low": 3, "discharged": 4, "discharging": 5, "alarm": 6, "disconnected": 6}
# Output source 1 unknown, 2 inverter, 3 mains, 4 eco, 5 bypass, 6 standby,
# 7 maintenance bypass, 8 off, 9 normal (NUT PR #2803).
NV1_OUTPUT_SOURCE = {
    "load_on_inverter": 2,
    "line_interactive": 3,
    "eco_mode": 4,
    "load_on_bypass": 5,
    "standby": 6,
    "maintenance_bypass": 7,
    "load_off": 8,
    "normal_mode": 9,
}
# upsControlStatusControl (App. MIB upsControl(7).1) -> control name (controls.py).
STATUS_CONTROLS = {
    1: "standby_on",
    2: "standby_off",
    3: "eco_mode_on",
    4: "eco_mode_off",
    5: "alarm_acknowledgement",
    6: "transfer_to_bypass",
    7: "transfer_to_inverter",
}
NV7_WELL_KNOWN_COMMUNICATION_LOST = 58
# upsAgentClearAgentLog(17), ClearEventLog(18), ClearExtHistoryLog(19), ClearHistoryLog(20) -> log name.
CLEAR_LOG_OBJECTS = {17: "netvision", 18: "ups", 19: "extended", 20: "history"}
# upsAgentResetToDefault(15), upsAgentRestart(16): write 1 to do it, read 0 (App. MIB upsAgent).
AGENT_ACTION_OBJECTS = {15: "reset", 16: "restart"}
# upsAgentDhcpStatus(12), TelnetStatus(13), TftpStatus(14).
ENABLED, DISABLED = 1, 2
PHASES = ("l1", "l2", "l3")


@dataclass
class AgentView:
    """What the objects need beyond the snapshot: settings and the agent's own state."""

    settings: Settings
    started: float = field(default_factory=time.monotonic)  # sysUpTime origin
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # the same instant, UTC
    agent_version: str = ""
    ip_address: str = "0.0.0.0"
    subnet_mask: str = "0.0.0.0"
    gateway: str = "0.0.0.0"
    dhcp: bool = False
    seconds_on_battery: int = 0
    # RFC1628 alarm table rows: (upsAlarmId, well-known number, sysUpTime when added),
    # and upsInputLineBads: both kept by the event engine.
    rfc1628_alarm_rows: tuple[tuple[int, int, int], ...] = ()
    input_line_bads: int = 0
    last_trap_text: str = ""
    logs_clearable: bool = False  # upsAgentClear*Log are served when the logs are there
    agent_controllable: bool = False  # upsAgentResetToDefault/Restart, when the daemon offers them
    battery_tests: BatteryTestState | None = None  # the core's battery test tracker (RFC1628 upsTest)
    # The NUT server's client table (upsDevicesTable) and the shutdown procedure's state,
    # as their services offer them; empty / None while those services do not run.
    clients: tuple[NutClient, ...] = ()
    shutdown_status: ShutdownStatus | None = None

    def uptime(self) -> int:
        """sysUpTime in hundredths of a second."""
        return int((time.monotonic() - self.started) * 100)

    def uptime_at(self, moment: datetime) -> int:
        """sysUpTime at ``moment`` (UTC); 0 for a moment before the agent started."""
        return max(0, int((moment - self.started_at).total_seconds() * 100))


def _text(value: str) -> OctetString:
    return OctetString(value.encode("utf-8")[:255])


def _int(value: float | int | None, scale: float = 1.0) -> Integer32:
    if value is None:
        return Integer32(NOT_MANAGED)
    return Integer32(int(round(value * scale)))


def _state_key(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


@dataclass(frozen=True)
class _Device:
    """The device the agent reports (unit select, §18.3) and its measurements."""

    state: DeviceState | None

    def value(self, key: str) -> float | None:
        if self.state is None:
            return None
        return self.state.measurements.get(key)

    def phase(self, prefix: str, line: int) -> float | None:
        return self.value(f"{prefix}_{PHASES[line - 1]}")

    def condition(self, name: str) -> bool:
        return self.state is not None and self.state.condition(name)


def _lines(snapshot: Snapshot, which: str) -> int:
    topology = snapshot.topology
    if topology is None:
        return 1
    return max(1, min(3, topology.input_phases if which == "input" else topology.output_phases))


def _bypass_lines(snapshot: Snapshot, device: _Device) -> int:
    present = [line for line in (1, 2, 3) if device.phase("bypass_voltage", line) is not None]
    return len(present) if present else _lines(snapshot, "input")


def system_group(snapshot: Snapshot, view: AgentView) -> Iterator[tuple[Oid, Any]]:
    system = view.settings.system
    model = snapshot.identity.model if snapshot.identity else "UPS"
    descr = f"NET VISION compatible UPS agent {view.agent_version} ({MANUFACTURER} {model})"
    yield SYSTEM + (1, 0), _text(descr)
    yield SYSTEM + (2, 0), ObjectIdentifier(SYS_OBJECT_ID)
    yield SYSTEM + (3, 0), lambda: TimeTicks(view.uptime())
    yield SYSTEM + (4, 0), _text(system.contact)
    yield SYSTEM + (5, 0), _text(system.name)
    yield SYSTEM + (6, 0), _text(system.location)
    yield SYSTEM + (7, 0), Integer32(72)  # application + end-to-end services (RFC 1213)


def _rfc1628_optional(oid: Oid, value: float | None, scale: float = 1.0) -> Iterator[tuple[Oid, Any]]:
    # RFC1628 has no "not managed" value: an object the UPS does not measure is absent.
    if value is not None:
        yield oid, Integer32(int(round(value * scale)))


def rfc1628(snapshot: Snapshot, view: AgentView, device: _Device) -> Iterator[tuple[Oid, Any]]:
    identity = snapshot.identity
    ident = UPS_OBJECTS + (1,)
    yield ident + (1, 0), _text(MANUFACTURER)
    yield ident + (2, 0), _text(identity.model if identity else "")
    yield ident + (3, 0), _text(identity.firmware if identity else "")
    yield ident + (4, 0), _text(f"netvision {view.agent_version}")
    yield ident + (5, 0), _text(view.settings.system.name)
    yield ident + (6, 0), _text("")

    derived = device.state.derived if device.state else None
    battery = UPS_OBJECTS + (2,)
    yield battery + (1, 0), Integer32(derived.rfc1628_battery_status if derived else 1)
    yield battery + (2, 0), Integer32(view.seconds_on_battery)
    yield from _rfc1628_optional(battery + (3, 0), device.value("remaining_backup_time"))
    yield from _rfc1628_optional(battery + (4, 0), device.value("battery_capacity"))
    yield from _rfc1628_optional(battery + (5, 0), device.value("battery_voltage"), 10)
    yield from _rfc1628_optional(battery + (6, 0), device.value("battery_current"), 10)
    yield from _rfc1628_optional(battery + (7, 0), device.value("battery_temperature"))

    # RFC1628's table index columns (upsInputLineIndex, upsOutputLineIndex,
    # upsBypassLineIndex, upsAlarmId) are not-accessible: the index is in each OID only.
    inputs = UPS_OBJECTS + (3,)
    # upsInputLineBads: entries into "input out of tolerance" the agent saw (event engine).
    yield inputs + (1, 0), Counter32(view.input_line_bads)
    input_lines = _lines(snapshot, "input")
    yield inputs + (2, 0), Integer32(input_lines)
    for line in range(1, input_lines + 1):
        entry = inputs + (3, 1)
        yield from _rfc1628_optional(entry + (2, line), device.value("input_frequency"), 10)
        yield from _rfc1628_optional(entry + (3, line), device.phase("input_voltage", line))
        yield from _rfc1628_optional(entry + (4, line), device.phase("input_current", line), 10)
        yield from _rfc1628_optional(entry + (5, line), device.phase("input_power", line), 1000)

    output = UPS_OBJECTS + (4,)
    yield output + (1, 0), Integer32(derived.rfc1628_output_source if derived else 1)
    yield from _rfc1628_optional(output + (2, 0), device.value("output_frequency"), 10)
    output_lines = _lines(snapshot, "output")
    yield output + (3, 0), Integer32(output_lines)
    for line in range(1, output_lines + 1):
        entry = output + (4, 1)
        yield from _rfc1628_optional(entry + (2, line), device.phase("output_voltage", line))
        yield from _rfc1628_optional(entry + (3, line), device.phase("output_current", line), 10)
        power = device.phase("output_kw", line)
        if power is None and output_lines == 1:
            power = device.value("output_kw")
        yield from _rfc1628_optional(entry + (4, line), power, 1000)
        load = device.phase("load_rate", line)
        yield from _rfc1628_optional(entry + (5, line), load if load is not None else device.value("load_rate"))

    bypass = UPS_OBJECTS + (5,)
    yield from _rfc1628_optional(bypass + (1, 0), device.value("bypass_frequency"), 10)
    bypass_lines = _bypass_lines(snapshot, device)
    yield bypass + (2, 0), Integer32(bypass_lines)
    for line in range(1, bypass_lines + 1):
        entry = bypass + (3, 1)
        yield from _rfc1628_optional(entry + (2, line), device.phase("bypass_voltage", line))
        yield from _rfc1628_optional(entry + (3, line), device.phase("bypass_current", line), 10)
        yield from _rfc1628_optional(entry + (4, line), device.phase("bypass_power", line), 1000)

    alarm = UPS_OBJECTS + (6,)
    yield alarm + (1, 0), Gauge32(len(view.rfc1628_alarm_rows))
    for alarm_id, number, since in view.rfc1628_alarm_rows:
        entry = alarm + (2, 1)
        yield entry + (2, alarm_id), ObjectIdentifier(UPS_WELL_KNOWN_ALARMS + (number,))
        yield entry + (3, alarm_id), TimeTicks(since)

    tests = view.battery_tests
    test = upstest.unit_test(tests, view.settings.serial.unit_select) if tests is not None else None
    yield from upstest.entries(test, device.condition("battery_test_in_progress"), view.uptime)

    control = UPS_OBJECTS + (8,)
    status = view.shutdown_status
    yield control + (1, 0), Integer32(1)  # upsShutdownType: output(1)
    # upsShutdownAfterDelay / upsStartupAfterDelay: the seconds left before the UPS output
    # goes off (§16.8 UPS Shut Off) or comes back on (UPS On Delay); -1 = no countdown.
    off_at = status.ups_off_at if status and status.ups_shut_off is UpsShutOff.WAITING else None
    on_at = status.restart_at if status and status.ups_shut_off is UpsShutOff.RESTART_PENDING else None
    yield control + (2, 0), _countdown(off_at)
    yield control + (3, 0), _countdown(on_at)
    yield control + (4, 0), Integer32(-1)  # no reboot in progress
    # upsAutoRestart: on(1) when the UPS is switched on again after the mains returns (On Delay > 0).
    yield control + (5, 0), Integer32(1 if view.settings.shutdown.ups_on_delay > 0 else 2)

    config = UPS_OBJECTS + (9,)
    if identity is not None:
        yield from _rfc1628_optional(config + (1, 0), identity.nominal_input_voltage)
        yield from _rfc1628_optional(config + (2, 0), identity.nominal_input_frequency, 10)
        yield from _rfc1628_optional(config + (3, 0), identity.nominal_output_voltage)
        yield from _rfc1628_optional(config + (4, 0), identity.nominal_output_frequency, 10)
        yield from _rfc1628_optional(config + (5, 0), identity.nominal_kva, 1000)
        yield from _rfc1628_optional(config + (6, 0), identity.nominal_kw, 1000)


def _battery_status(device: _Device, codes: Mapping[str, int], unknown: int) -> int:
    """A MIB's code for the derived battery status (status.py's key); ``unknown`` without one."""
    if device.state is None:
        return unknown
    return codes.get(_state_key(device.state.derived.battery_status), unknown)


def _output_source(device: _Device, codes: Mapping[str, int], unknown: int) -> int:
    """A MIB's code for the derived output status (status.py's key); ``unknown`` without one."""
    if device.state is None:
        return unknown
    return codes.get(_state_key(device.state.derived.output_status), unknown)


def _alarm_time(alarm: ActiveAlarm) -> str:
    return alarm.since.astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S")


def netvision7(snapshot: Snapshot, view: AgentView, device: _Device) -> Iterator[tuple[Oid, Any]]:
    identity = snapshot.identity
    system = view.settings.system
    ident = NV7_OBJECTS + (1,)
    yield ident + (1, 0), _text(identity.model if identity else "")
    yield ident + (2, 0), _text(identity.serial_number if identity else "")
    yield ident + (3, 0), _text(identity.user_reference or identity.reference if identity else "")
    yield ident + (4, 0), _text(identity.user_location if identity else "")
    yield ident + (5, 0), _text(view.agent_version)
    yield ident + (6, 0), _text(system.name)
    yield ident + (7, 0), _text(system.contact)
    yield ident + (8, 0), _text(system.location)

    battery = NV7_OBJECTS + (2,)
    yield battery + (1, 0), Integer32(_battery_status(device, NV7_BATTERY_STATUS, 1))
    yield battery + (2, 0), Integer32(view.seconds_on_battery)
    yield battery + (3, 0), _int(device.value("remaining_backup_time"))
    yield battery + (4, 0), _int(device.value("battery_capacity"))
    yield battery + (5, 0), _int(device.value("battery_voltage"), 10)
    yield battery + (6, 0), _int(device.value("battery_temperature"), 10)
    yield battery + (7, 0), _int(device.value("ambient_temperature"), 10)
    yield battery + (8, 0), _int(device.value("battery_current"), 10)

    inputs = NV7_OBJECTS + (3,)
    input_lines = _lines(snapshot, "input")
    yield inputs + (1, 0), Integer32(input_lines)
    yield inputs + (2, 0), _int(device.value("input_frequency"), 10)
    for line in range(1, input_lines + 1):
        entry = inputs + (3, 1)
        yield entry + (1, line), Integer32(line)
        yield entry + (2, line), _int(device.phase("input_voltage", line), 10)
        yield entry + (3, line), _int(device.phase("input_current", line), 10)
        yield entry + (4, line), Integer32(NOT_MANAGED)  # no maximum/minimum kept by the UPS maps
        yield entry + (5, line), Integer32(NOT_MANAGED)

    output = NV7_OBJECTS + (4,)
    output_lines = _lines(snapshot, "output")
    yield output + (1, 0), Integer32(_output_source(device, NV7_OUTPUT_SOURCE, 1))
    yield output + (2, 0), _int(device.value("output_frequency"), 10)
    yield output + (3, 0), Integer32(output_lines)
    for line in range(1, output_lines + 1):
        entry = output + (4, 1)
        yield entry + (1, line), Integer32(line)
        yield entry + (2, line), _int(device.phase("output_voltage", line), 10)
        yield entry + (3, line), _int(device.phase("output_current", line), 10)
        load = device.phase("load_rate", line)
        yield entry + (4, line), _int(load if load is not None else device.value("load_rate"))
        yield entry + (5, line), _int(device.phase("output_kva", line), 10)
        yield entry + (6, line), _int(device.phase("output_kw", line), 10)
    yield output + (5, 0), _int(device.value("output_kva"), 10)
    yield output + (6, 0), _int(device.value("output_kw"), 10)
    yield output + (7, 0), _int(device.value("load_rate"))

    bypass = NV7_OBJECTS + (5,)
    bypass_lines = _bypass_lines(snapshot, device)
    yield bypass + (1, 0), _int(device.value("bypass_frequency"), 10)
    yield bypass + (2, 0), Integer32(bypass_lines)
    for line in range(1, bypass_lines + 1):
        entry = bypass + (3, 1)
        yield entry + (1, line), Integer32(line)
        yield entry + (2, line), _int(device.phase("bypass_voltage", line), 10)
        yield entry + (3, line), _int(device.phase("bypass_current", line), 10)

    alarm = NV7_OBJECTS + (6,)
    alarms = device.state.alarms if device.state else ()
    yield alarm + (1, 0), Integer32(len(alarms))
    for index, row in enumerate(alarms, start=1):
        entry = alarm + (2, 1)
        yield entry + (1, index), Integer32(index)
        yield entry + (2, index), _text(row.label_en)
        yield entry + (3, index), _text(_alarm_time(row))
        yield entry + (4, index), _text(f"{row.acronym} ({row.level.name.lower()})")
    active = device.state.derived.well_known_alarms if device.state else frozenset()
    for number in range(1, 63):
        raised = number in active
        if number == NV7_WELL_KNOWN_COMMUNICATION_LOST:
            raised = not snapshot.communicating
        yield alarm + (3, number, 0), Integer32(1 if raised else 0)

    control = NV7_OBJECTS + (7,)
    yield control + (1, 0), Integer32(_status_control_value(device))
    # upsControl 2–6 and upsConfig 5 (upsDevicesTable): shutdown management.
    yield from shutdown.entries(view.settings.shutdown, view.clients, view.shutdown_status)

    config = NV7_OBJECTS + (8,)
    topology = snapshot.topology
    units = len(topology.units) if topology and topology.units else 1
    nominal = identity.nominal_kva if identity else None
    yield config + (1, 0), _int(nominal * units if nominal is not None and topology and topology.is_parallel else nominal)
    yield config + (2, 0), Integer32(units)
    yield config + (3, 0), _int(nominal)
    yield config + (4, 0), Integer32(1 if snapshot.remote_controls_permitted else 2)

    agent = NV7_OBJECTS + (9,)
    settings = view.settings
    yield agent + (1, 0), IpAddress(view.ip_address)
    yield agent + (2, 0), IpAddress(view.gateway)
    yield agent + (3, 0), IpAddress(view.subnet_mask)
    yield agent + (4, 0), lambda: _text(_agent_now(view).strftime("%m/%d/%Y"))
    yield agent + (5, 0), lambda: _text(_agent_now(view).strftime("%H:%M:%S"))
    # The first NTP server of §18.1 (the second is a netvision addition, not in the MIB).
    yield agent + (6, 0), _text(settings.system.ntp_server_1)
    yield agent + (7, 0), _text(settings.system.time_zone)
    yield agent + (8, 0), Integer32(settings.logs.history_interval)
    yield agent + (9, 0), Integer32(settings.logs.extended_interval)
    yield agent + (10, 0), Integer32(settings.serial.polling_rate)
    yield agent + (11, 0), _int(snapshot.communication.baud_rate)
    # DHCP as the operating system runs it; no Telnet or TFTP server exists here.
    yield agent + (12, 0), Integer32(ENABLED if view.dhcp else DISABLED)
    yield agent + (13, 0), Integer32(DISABLED)
    yield agent + (14, 0), Integer32(DISABLED)
    if view.agent_controllable:
        for column in AGENT_ACTION_OBJECTS:
            yield agent + (column, 0), Integer32(0)
    if view.logs_clearable:
        for column in CLEAR_LOG_OBJECTS:
            yield agent + (column, 0), Integer32(0)  # write 1 to clear (App. MIB upsAgent)
    for index, receiver in enumerate(settings.snmp.trap_receivers, start=1):
        entry = agent + (21, 1)
        yield entry + (1, index), Integer32(index)
        yield entry + (2, index), _text(receiver.address)
        # The community is a secret: never disclosed to a reader (security by default).
        yield entry + (3, index), _text("")
        yield entry + (4, index), Integer32({"none": 1, "rfc1628": 2, "netvision": 3}[receiver.trap_type])
    yield agent + (23, 0), _text(NV_MIB_VERSION)
    yield agent + (50, 0), _text(view.last_trap_text)

    emd = NV7_OBJECTS + (10,)
    # No EMD sensor on this agent: every reading is "not managed" (App. MIB general rule).
    for column in (1, 2, 3, 4):
        yield emd + (column, 0), Integer32(NOT_MANAGED)


def _countdown(moment: datetime | None) -> Any:
    """Seconds from now until ``moment`` (UTC), read live; -1 without one."""
    if moment is None:
        return Integer32(-1)
    return lambda: Integer32(max(0, round((moment - datetime.now(UTC)).total_seconds())))


def _agent_now(view: AgentView) -> datetime:
    try:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo(view.settings.system.time_zone))
    except Exception:
        return datetime.now(UTC)


def _status_control_value(device: _Device) -> int:
    """upsControlStatusControl read back: the mode the UPS is in now."""
    if device.condition("standby"):
        return 1
    if device.condition("eco_mode"):
        return 3
    if device.condition("load_on_automatic_bypass"):
        return 6
    if device.condition("normal_mode"):
        return 4
    return 7


def netvision1(snapshot: Snapshot, view: AgentView, device: _Device) -> Iterator[tuple[Oid, Any]]:
    """The older SOCOMEC NET VISION subtree, limited to what NMS integrations read (NUT netvision-mib.c)."""
    identity = snapshot.identity
    ident = NV1_OBJECTS + (1,)
    yield ident + (1, 0), _text(identity.model if identity else "")
    yield ident + (2, 0), _text(identity.firmware if identity else "")
    yield ident + (3, 0), _text(f"netvision {view.agent_version}")
    yield ident + (4, 0), _text(identity.serial_number if identity else "")

    battery = NV1_OBJECTS + (2,)
    yield battery + (1, 0), Integer32(_battery_status(device, NV1_BATTERY_STATUS, 2))
    yield battery + (2, 0), Integer32(view.seconds_on_battery)
    yield battery + (3, 0), _int(device.value("remaining_backup_time"))
    yield battery + (4, 0), _int(device.value("battery_capacity"))
    yield battery + (5, 0), _int(device.value("battery_voltage"), 10)

    inputs = NV1_OBJECTS + (3,)
    input_lines = _lines(snapshot, "input")
    yield inputs + (1, 0), Integer32(input_lines)
    yield inputs + (2, 0), _int(device.value("input_frequency"), 10)
    for line in range(1, input_lines + 1):
        entry = inputs + (3, 1)
        yield entry + (1, line), Integer32(line)
        yield entry + (3, line), _int(device.phase("input_current", line), 10)
        yield entry + (5, line), _int(device.phase("input_voltage", line), 10)

    output = NV1_OBJECTS + (4,)
    output_lines = _lines(snapshot, "output")
    yield output + (1, 0), Integer32(_output_source(device, NV1_OUTPUT_SOURCE, 1))
    yield output + (2, 0), _int(device.value("output_frequency"), 10)
    yield output + (3, 0), Integer32(output_lines)
    for line in range(1, output_lines + 1):
        entry = output + (4, 1)
        yield entry + (1, line), Integer32(line)
        yield entry + (2, line), _int(device.phase("output_voltage", line), 10)
        yield entry + (3, line), _int(device.phase("output_current", line), 10)
        load = device.phase("load_rate", line)
        yield entry + (4, line), _int(load if load is not None else device.value("load_rate"))

    bypass = NV1_OBJECTS + (5,)
    bypass_lines = _bypass_lines(snapshot, device)
    yield bypass + (1, 0), _int(device.value("bypass_frequency"), 10)
    yield bypass + (2, 0), Integer32(bypass_lines)
    for line in range(1, bypass_lines + 1):
        entry = bypass + (3, 1)
        yield entry + (1, line), Integer32(line)
        yield entry + (2, line), _int(device.phase("bypass_voltage", line), 10)
        yield entry + (3, line), _int(device.phase("bypass_current", line), 10)

    # Alarms by RFC1628 well-known number as 0/1 instances: NUT reads .6.3.2.0
    # (upsAlarmOnBattery) to tell OL from OB.
    rfc_alarms = device.state.derived.rfc1628_alarms if device.state else frozenset()
    for number in range(1, 25):
        yield NV1_OBJECTS + (6, 3, number, 0), Integer32(1 if number in rfc_alarms else 0)


# stsWellKnownAlarms (.6.1.n) -> condition (maps/base.CONDITIONS); None = not managed (-1).
STS_WELL_KNOWN_ALARMS: tuple[str | None, ...] = (
    "imminent_stop",  # 1 stsImminentStop
    "transfer_impossible",  # 2 stsTransferImpossible
    None,  # 3 stsConsecutiveDetection: no STS table bit for it
    "overload",  # 4 stsOverload
    None,  # 5 stsString1Alarm
    None,  # 6 stsString2Alarm
    "maintenance_alarm",  # 7 stsPreventiveMaintenance
    "general_alarm",  # 8 stsGeneralAlarm
    None,  # 9 stsCustomInputAlarm
)


def _source_status(device: _Device, number: int) -> int:
    """stsSourceNStatus: unknown(1), OK(2), critical(3), outTol(4), absent(5)."""
    if device.state is None:
        return 1
    if device.condition(f"source{number}_ok"):
        return 2
    voltage = device.value(f"source{number}_voltage_l1")
    return 5 if voltage is None or voltage < 10 else 4


def sts(snapshot: Snapshot, view: AgentView, device: _Device) -> Iterator[tuple[Oid, Any]]:
    """The STS MIB (FR annex "Description OID fichier MIB STS"), for a STATYS."""
    identity = snapshot.identity
    system = view.settings.system
    ident = STS_OBJECTS + (1,)
    texts = (
        identity.model if identity else "",
        identity.serial_number if identity else "",
        identity.firmware if identity else "",
        view.agent_version,
        identity.user_reference or identity.reference if identity else "",
        identity.user_location if identity else "",
        system.name,
        system.contact,
        system.location,
    )
    for number, text in enumerate(texts, start=1):
        yield ident + (number, 0), _text(text)
    lines = _lines(snapshot, "input")
    conditions = device.state.derived.conditions if device.state else {}
    for number in (1, 2):
        group = STS_OBJECTS + (1 + number,)
        yield group + (1, 0), Integer32(_source_status(device, number))
        if "source1_preferred" in conditions:
            preferred = device.condition("source1_preferred") == (number == 1)
            yield group + (2, 0), Integer32(2 if preferred else 1)
        else:
            yield group + (2, 0), Integer32(NOT_MANAGED)
        yield group + (3, 0), _int(device.value(f"source{number}_frequency"), 10)
        yield group + (4, 0), Integer32(lines)
        for line in range(1, lines + 1):
            yield group + (5, 1, 1, line), Integer32(line)
            yield group + (5, 1, 2, line), _int(device.phase(f"source{number}_voltage", line), 10)
    interaction = 1
    if "sources_synchronised" in conditions:
        interaction = 2 if device.condition("sources_synchronised") else 4
    yield STS_OBJECTS + (4, 1, 0), Integer32(interaction)

    output = STS_OBJECTS + (5,)
    load_status = 1
    for condition, value in (
        ("load_on_manual_bypass_1", 5),
        ("load_on_manual_bypass_2", 6),
        ("load_off", 4),
        ("load_on_preferred_source", 2),
        ("load_on_alternate_source", 3),
    ):
        if device.condition(condition):
            load_status = value
            break
    output_status = 1
    for condition, value in (("load_off", 4), ("load_on_source1", 2), ("load_on_source2", 3)):
        if device.condition(condition):
            output_status = value
            break
    yield output + (1, 0), Integer32(load_status)
    yield output + (2, 0), Integer32(output_status)
    yield output + (3, 0), _int(device.value("output_frequency"), 10)
    yield output + (4, 0), _int(device.value("load_rate"))
    output_lines = _lines(snapshot, "output")
    yield output + (5, 0), Integer32(output_lines)
    for line in range(1, output_lines + 1):
        entry = output + (6, 1)
        yield entry + (1, line), Integer32(line)
        yield entry + (2, line), _int(device.phase("output_voltage", line), 10)
        yield entry + (3, line), _int(device.phase("output_current", line), 10)
        yield entry + (4, line), _int(device.phase("output_kva", line), 10)
        yield entry + (5, line), _int(device.phase("output_kw", line), 10)
        yield entry + (6, line), _int(device.phase("output_crest_factor", line), 100)
        yield entry + (7, line), _int(device.phase("output_power_factor", line), 100)

    for number, alarm in enumerate(STS_WELL_KNOWN_ALARMS, start=1):
        if alarm is None or (device.state is not None and alarm not in conditions):
            raised = NOT_MANAGED
        else:
            raised = 1 if device.condition(alarm) else 0
        yield STS_OBJECTS + (6, 1, number, 0), Integer32(raised)
    yield STS_OBJECTS + (7, 1, 0), _text(view.last_trap_text)


def build_entries(snapshot: Snapshot, view: AgentView) -> list[tuple[Oid, Any]]:
    """Every object the agent serves for this snapshot, honouring SNMP Unit Select (§18.3)."""
    state = snapshot.device(view.settings.serial.unit_select) if snapshot.communicating else None
    if state is None and snapshot.communicating:
        state = snapshot.system
    device = _Device(state)
    entries: list[tuple[Oid, Any]] = list(system_group(snapshot, view))
    is_sts = snapshot.identity is not None and snapshot.identity.device_kind == "sts"
    if not is_sts:  # RFC1628 describes a UPS (INVENTORY SNMP-03)
        entries.extend(rfc1628(snapshot, view, device))
    entries.extend(netvision7(snapshot, view, device))
    if is_sts:
        entries.extend(sts(snapshot, view, device))
    else:
        entries.extend(netvision1(snapshot, view, device))
    return entries


Value = Any
LiveValue = Callable[[], Any]
