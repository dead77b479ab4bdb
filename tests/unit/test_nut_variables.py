"""NUT variables, status tokens and instant commands (docs/nut-names.txt), on snapshots the
real poller builds from the simulator's register image, read in memory (no serial port)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from netvision.services.nut import names
from netvision.services.nut import variables as v
from netvision.services.shutdown.status import IDLE, Phase, ShutdownStatus
from netvision.settings.models import NutSettings, SystemSettings
from netvision.sim.device import ModbusError, SimulatedDevice
from netvision.ups import poller as poller_module
from netvision.ups.battery_test import BatteryTestResult, BatteryTestState, UnitTest
from netvision.ups.link import LinkError
from netvision.ups.model import Communication, CommunicationState, Snapshot
from netvision.ups.status import derive_lost

NOW = datetime(2026, 5, 4, 13, 14, 15, tzinfo=UTC)
SYSTEM = SystemSettings(name="Server room UPS", contact="ops@example.com", location="Building A")
NUT = NutSettings(ups_name="ups")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# Variables whose value is text; every other one is a NUT number.
TEXT_VARIABLES = {
    "ups.status", "ups.alarm", "ups.mfr", "ups.model", "ups.serial", "ups.firmware", "ups.type",
    "ups.date", "ups.time", "ups.test.result", "device.mfr", "device.model", "device.serial",
    "device.type", "device.description", "device.contact", "device.location", "driver.name",
    "driver.version", "battery.charger.status",
}  # fmt: skip


class MemoryLink:
    """The poller's Modbus link, answered by a simulated device's register image."""

    device: SimulatedDevice

    def __init__(self, path: str, baud_rate: int, **_options: Any) -> None:
        self.baud_rate = baud_rate
        self.retries = 0
        self.serial_timeout = 0.1

    async def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    async def read(self, address: int, count: int) -> tuple[int, ...]:
        try:
            return tuple(self.device.read(address, count))
        except ModbusError as error:
            raise LinkError("exception", str(error), error.code) from None


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> Any:
    """read(device) -> the snapshot the poller publishes after one full cycle."""
    monkeypatch.setattr(poller_module, "ModbusLink", MemoryLink)

    def snapshot_of(device: SimulatedDevice) -> Snapshot:
        MemoryLink.device = device
        poller = poller_module.Poller(poller_module.PollerConfig(device="memory", fast_lane=0))
        return asyncio.run(poller.probe())

    return snapshot_of


def device(map_name: str = "jbusp", scenario: str = "normal", **options: Any) -> SimulatedDevice:
    simulated = SimulatedDevice(map_name, seed=1, **options)
    if scenario != "normal":
        simulated.scenario(scenario)
        simulated.tick(1)
    return simulated


def values(
    snapshot: Snapshot | None, unit: int = 0, status: ShutdownStatus = IDLE, **extra: Any
) -> dict[str, str]:
    return v.variables(snapshot, unit, status, NOW, SYSTEM, **extra)


def tokens(snapshot: Snapshot, **extra: Any) -> list[str]:
    return values(snapshot, **extra)["ups.status"].split()


def assert_nut_format(ups: str, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        if name not in TEXT_VARIABLES:
            assert NUMBER.match(value), (name, value)  # dot decimals, no exponent
        assert v.description(name), name  # GET DESC answers every variable served
    for line in v.lines(ups, variables):
        assert len((line + "\n").encode("utf-8")) < 512, line


# -- identity, measurements and formatting ------------------------------------------------------


def test_a_jbusp_ups_on_mains_in_nut_names(read: Any) -> None:
    snapshot = read(device("jbusp"))  # MASTERYS 3/1: three-phase input, single-phase output
    got = values(snapshot)
    system = snapshot.system.measurements
    assert got["ups.status"] == "OL"
    assert "ups.alarm" not in got
    assert got["ups.mfr"] == got["device.mfr"] == "Socomec"
    assert got["ups.model"] == got["device.model"] == "MASTERYS 3/1 UPS"
    assert got["ups.serial"] == got["device.serial"] == snapshot.identity.serial_number
    assert got["device.type"] == "ups"
    assert got["driver.name"] == "netvision"
    assert (got["device.description"], got["device.contact"], got["device.location"]) == (
        "Server room UPS",
        "ops@example.com",
        "Building A",
    )
    assert got["ups.timer.shutdown"] == "-1"
    assert got["battery.charge"] == "100"
    assert got["battery.runtime"] == str(round(system["remaining_backup_time"] * 60))  # seconds
    assert got["battery.voltage"] == f"{system['battery_voltage']:.1f}"
    assert got["input.phases"] == "3" and got["output.phases"] == "1"
    assert got["input.L1-N.voltage"] == got["input.voltage"] == f"{system['input_voltage_l1']:.1f}"
    assert got["input.L3.current"] == f"{system['input_current_l3']:.1f}"
    assert got["output.voltage"] == f"{system['output_voltage_l1']:.1f}"
    assert "output.L1-N.voltage" not in got  # a single-phase output has no phase names
    assert got["ups.load"] == str(round(system["load_rate"]))
    assert got["ups.realpower"] == str(round(system["output_kw"] * 1000))
    assert got["ups.power.nominal"] == "10000"
    assert got["input.frequency"] == "50.0"
    assert got["ambient.temperature"] == f"{system['ambient_temperature']:.1f}"
    # Not managed by this UPS (0xFFFF): left out, never "-1" or "None".
    assert "battery.temperature" not in got
    assert_nut_format("ups", got)


def test_a_vumap_three_phase_ups_names_every_phase(read: Any) -> None:
    snapshot = read(device("vumap"))
    got = values(snapshot)
    system = snapshot.system.measurements
    assert got["input.phases"] == got["output.phases"] == got["input.bypass.phases"] == "3"
    for phase in ("L1", "L2", "L3"):
        key = phase.lower()
        assert got[f"output.{phase}-N.voltage"] == f"{system[f'output_voltage_{key}']:.1f}"
        assert got[f"output.{phase}.current"] == f"{system[f'output_current_{key}']:.1f}"
        assert got[f"output.{phase}.power.percent"] == str(round(system[f"load_rate_{key}"]))
        assert got[f"input.bypass.{phase}-N.voltage"] == f"{system[f'bypass_voltage_{key}']:.1f}"
    assert got["output.L1-L2.voltage"] == f"{system['output_voltage_u12']:.1f}"
    assert got["output.voltage"] == got["output.L1-N.voltage"]
    assert got["ups.power"] == str(round(system["output_kva"] * 1000))
    assert got["ups.realpower.nominal"] == str(round(snapshot.identity.nominal_kw * 1000))
    assert got["battery.temperature"] == f"{system['battery_temperature']:.1f}"
    assert_nut_format("ups", got)


def test_a_single_phase_ups(read: Any) -> None:
    got = values(read(device("vumap", topology="single_phase")))
    assert got["input.phases"] == got["output.phases"] == "1"
    assert "input.L1-N.voltage" not in got and "output.L1.current" not in got
    assert NUMBER.match(got["input.voltage"]) and NUMBER.match(got["output.current"])
    assert_nut_format("ups", got)


def test_numbers_are_plain_decimals() -> None:
    assert v.number(1200.2, 2) == "1200.20"
    assert v.number(1e-7, 1) == "0.0"
    assert v.number(-0.04, 1) == "0.0"  # never "-0.0"
    assert v.number(12345678.0, 0) == "12345678"  # never "1.2e+07"
    assert v.number(-12.5, 1) == "-12.5"
    assert v.number(None) is None
    assert v.number(float("nan")) is None


# -- ups.status ---------------------------------------------------------------------------------


@pytest.mark.parametrize("map_name", ["jbusp", "vumap"])
def test_mains_failure_is_ob_dischrg(read: Any, map_name: str) -> None:
    snapshot = read(device(map_name, "mains_failure"))
    assert tokens(snapshot)[:1] == ["OB"]
    assert "DISCHRG" in tokens(snapshot) and "LB" not in tokens(snapshot)
    got = values(snapshot)
    assert got["battery.charger.status"] == "discharging"
    assert float(got["battery.current"]) <= 0


@pytest.mark.parametrize("map_name", ["jbusp", "vumap"])
def test_battery_low_on_battery_is_ob_lb(read: Any, map_name: str) -> None:
    status = tokens(read(device(map_name, "battery_low")))
    assert status[:2] == ["OB", "LB"] and "DISCHRG" in status  # upsmon's critical state


def test_an_imminent_stop_on_battery_is_lb(read: Any) -> None:
    assert {"OB", "LB"} <= set(tokens(read(device("vumap", "imminent_stop"))))


def test_a_battery_test_discharges_on_good_mains(read: Any) -> None:
    status = tokens(read(device("jbusp", "battery_test")))
    assert status[0] == "OL" and "DISCHRG" in status and "OB" not in status


def test_load_on_automatic_bypass(read: Any) -> None:
    status = tokens(read(device("jbusp", "bypass")))
    assert status[0] == "OL" and "BYPASS" in status


def test_eco_mode_is_eco_not_bypass(read: Any) -> None:
    status = tokens(read(device("vumap", "eco_mode")))
    assert "ECO" in status and "BYPASS" not in status


def test_maintenance_bypass_is_bypass_not_off(read: Any) -> None:
    status = tokens(read(device("jbusp", "maintenance_bypass")))
    assert "BYPASS" in status and "OFF" not in status


def test_load_off(read: Any) -> None:
    assert "OFF" in tokens(read(device("vumap", "load_off")))


def test_overload_is_over_with_its_alarm(read: Any) -> None:
    snapshot = read(device("jbusp", "overload"))
    assert {"OVER", "ALARM"} <= set(tokens(snapshot))
    assert "Overload" in values(snapshot)["ups.alarm"] or "overload" in values(snapshot)["ups.alarm"].lower()


def test_any_alarm_raises_alarm_and_ups_alarm_lists_the_labels(read: Any) -> None:
    simulated = device("jbusp")
    simulated.alarm("A00")  # general alarm
    snapshot = read(simulated)
    got = values(snapshot)
    assert got["ups.status"].split()[-1] == "ALARM"
    assert got["ups.alarm"] == " ".join(alarm.label_en.rstrip(".") + "." for alarm in snapshot.system.alarms)


def test_ups_alarm_keeps_whole_labels_within_a_line(read: Any) -> None:
    simulated = device("vumap")
    for bit in simulated.map.alarms:
        if bit.managed:
            simulated.alarm(bit.acronym)
    snapshot = read(simulated)
    got = values(snapshot)
    assert len(snapshot.system.alarms) > 20
    assert 0 < len(got["ups.alarm"].encode()) <= v.MAX_VALUE_BYTES
    assert got["ups.alarm"].endswith(".")
    assert_nut_format("a" * 32, got)


def test_replace_battery_after_a_failed_test(read: Any) -> None:
    snapshot = read(device("jbusp"))
    assert "RB" not in tokens(snapshot)
    failed = BatteryTestState(units=(UnitTest(0, result=BatteryTestResult.FAILED, ended=NOW),))
    assert "RB" in tokens(snapshot, battery_tests=failed)
    assert values(snapshot, battery_tests=failed)["ups.test.result"] == "Done and error"
    running = BatteryTestState(units=(UnitTest(0, running=True, started=NOW),))
    assert values(snapshot, battery_tests=running)["ups.test.result"] == "In progress"


# -- shutdown: FSD and the timer ----------------------------------------------------------------


def test_fsd_comes_first_and_the_timer_counts_down(read: Any) -> None:
    snapshot = read(device("jbusp", "mains_failure"))
    warning = ShutdownStatus(phase=Phase.WARNING, started=NOW, deadline=NOW + timedelta(seconds=90))
    got = values(snapshot, status=warning)
    assert got["ups.status"].startswith("OB") and got["ups.timer.shutdown"] == "90"
    shutdown = replace(warning, phase=Phase.SHUTDOWN, shutdown_sent=NOW)
    got = values(snapshot, status=shutdown)
    assert got["ups.status"].split()[:2] == ["FSD", "OB"]
    assert got["ups.timer.shutdown"] == "0"


# -- parallel systems ---------------------------------------------------------------------------


def test_a_parallel_system_lists_its_units(read: Any) -> None:
    snapshot = read(device("vumap", topology="parallel", units=3))
    upses = v.nut_upses(snapshot, SYSTEM, NUT)
    assert [(ups.name, ups.unit) for ups in upses] == [
        ("ups", 0),
        ("ups-unit1", 1),
        ("ups-unit2", 2),
        ("ups-unit3", 3),
    ]
    assert upses[0].description == f"Socomec MASTERYS GP4 ({snapshot.identity.serial_number})"
    serials = set()
    for ups in upses[1:]:
        unit = snapshot.unit(ups.unit)
        got = values(snapshot, ups.unit)
        assert got["ups.serial"] == unit.identity.serial_number
        assert got["device.description"] == f"Server room UPS unit {ups.unit}"
        assert got["ups.load"] == str(round(unit.state.measurements["load_rate"]))
        assert got["ups.status"].startswith("OL")
        assert_nut_format(ups.name, got)
        serials.add(got["ups.serial"])
    assert len(serials) == 3
    assert values(snapshot, 9) == {}  # no such unit


def test_a_unit_on_battery_follows_its_own_state(read: Any) -> None:
    snapshot = read(device("jbusp", "mains_failure", topology="parallel", units=2))
    assert len(v.nut_upses(snapshot, SYSTEM, NUT)) == 3
    assert tokens(snapshot)[0] == "OB"
    assert values(snapshot, 2)["ups.status"].split()[0] == "OB"


def test_a_single_ups_has_no_units(read: Any) -> None:
    snapshot = read(device("jbusp"))
    assert [ups.name for ups in v.nut_upses(snapshot, SYSTEM, NUT)] == ["ups"]
    assert values(snapshot, 1) == {}


# -- before the first answer, and after the communication is lost -------------------------------


def test_nothing_known_yet() -> None:
    assert values(None) == {}
    starting = Snapshot(0, NOW, Communication(CommunicationState.STARTING, NOW))
    assert values(starting) == {}
    # The UPS is listed anyway, as upsd lists ups.conf: clients read DATA-STALE, not UNKNOWN-UPS.
    (ups,) = v.nut_upses(None, SYSTEM, NUT)
    assert (ups.name, ups.description, ups.unit) == ("ups", "Server room UPS", 0)
    assert v.commands(None, 0) == ()


def test_communication_lost_keeps_the_last_values(read: Any) -> None:
    snapshot = read(device("jbusp", "mains_failure"))
    assert snapshot.system is not None
    lost = replace(
        snapshot,
        communication=Communication(CommunicationState.LOST, NOW, last_read=NOW),
        system=replace(snapshot.system, derived=derive_lost()),
        permissions={},
    )
    got = values(lost)
    assert got["battery.charge"] == values(snapshot)["battery.charge"]
    assert got["ups.model"] == "MASTERYS 3/1 UPS"
    assert "ups.status" not in got  # not known: the server answers DATA-STALE anyway
    assert values(lost, status=ShutdownStatus(phase=Phase.SHUTDOWN))["ups.status"] == "FSD"
    assert v.commands(lost, 0) == ()


# -- instant commands and descriptions ----------------------------------------------------------


def test_instant_commands_follow_the_ups_permissions(read: Any) -> None:
    # The simulated DELPHYS permits its standby (UPS shut-off) control: load.off.delay.
    assert v.commands(read(device("jbusp")), 0) == (
        "test.battery.start",
        "bypass.start",
        "bypass.stop",
        "load.off.delay",
    )
    assert v.commands(read(device("vumap")), 0) == ("test.battery.start", "beeper.mute", "load.off.delay")
    simulated = device("jbusp")
    simulated.permissions("transfer_to_bypass", False)
    assert v.commands(read(simulated), 0) == ("test.battery.start", "bypass.stop", "load.off.delay")
    simulated.permissions("remote", False)
    assert v.commands(read(simulated), 0) == ()
    for command in names.COMMAND_CONTROLS:
        assert v.command_description(command)
        assert v.control_of(command.upper()) == names.COMMAND_CONTROLS[command]
    assert v.control_of("load.on") is None


def test_forbidden_commands_stay_known_and_load_off_needs_the_shut_off_managed(read: Any) -> None:
    simulated = device("jbusp")
    simulated.permissions("transfer_to_bypass", False)
    table = v.command_table(read(simulated), 0)
    # Known but forbidden now: INSTCMD still reaches the UPS, which refuses it (event log).
    assert table["bypass.start"] is False and table["bypass.stop"] is True
    assert table[names.LOAD_OFF_DELAY] is True
    simulated.standby_schedule = False  # §16.8: no Standby Schedule, no UPS shut-off
    simulated.tick(1)
    assert names.LOAD_OFF_DELAY not in v.command_table(read(simulated), 0)
    assert v.command_description(names.LOAD_OFF_DELAY) == "Turn off the load possibly after a delay"
    assert v.description(names.DELAY_SHUTDOWN) == names.VARIABLE_DESCRIPTIONS[names.DELAY_SHUTDOWN]
    assert v.description("input.source") == "Current input source"


def test_units_offer_their_own_battery_test_where_units_are_tested_one_by_one(read: Any) -> None:
    distributed = read(device("vumap", topology="parallel", units=2))
    assert v.commands(distributed, 1) == ("test.battery.start",)
    assert v.commands(distributed, 7) == ()
    jbusp = read(device("jbusp", topology="parallel", units=2))
    assert v.commands(jbusp, 1) == ()  # the system's battery test only (§16.2)


def test_descriptions_of_phase_names() -> None:
    assert v.description("input.L2-N.voltage") == "Input voltage (V), L2-N"
    assert v.description("output.L3.power.percent") == (
        "Output percentage of apparent power related to maximum load, L3"
    )
    assert v.description("ups.status") == "UPS status"
    assert v.description("ups.unknown") is None


def test_long_settings_stay_within_a_line(read: Any) -> None:
    system = SystemSettings(name="N" * 255, contact="\u00e9" * 255, location='"\\' * 127)
    snapshot = read(device("vumap"))
    got = v.variables(snapshot, 0, IDLE, NOW, system)
    assert_nut_format("u" * 32, got)
    for ups in v.nut_upses(snapshot, system, NutSettings(ups_name="u" * 32)):
        assert len(f'UPS {ups.name} "{ups.description}"\n'.encode()) < 512


def test_a_statys_is_an_ats_with_two_sources(read: Any) -> None:
    snapshot = read(device("sts", "source1_failure"))
    got = values(snapshot)
    assert got["device.type"] == "ats"
    assert got["input.source"] == "2" and got["input.source.preferred"] == "1"
    assert got["input.2.voltage"] == f"{snapshot.system.measurements['source2_voltage_l1']:.1f}"
    assert "battery.charge" not in got and "ups.type" not in got
    assert got["ups.status"].split()[0] == "OL" and "ALARM" in got["ups.status"]
    assert v.commands(snapshot, 0) == ()
    assert_nut_format("ups", got)


def test_the_ups_clock_and_single_phase_output_powers(read: Any) -> None:
    snapshot = read(device("jbusp"))
    got = values(snapshot)
    assert snapshot.has_clock and snapshot.ups_time is not None
    assert got["ups.date"] == snapshot.ups_time.strftime("%Y/%m/%d")
    assert got["ups.time"] == snapshot.ups_time.strftime("%H:%M:%S")
    # A single-phase output: the line's powers, from the totals where the UPS has no per-phase word.
    assert (
        got["output.realpower"]
        == got["ups.realpower"]
        == str(round(snapshot.system.measurements["output_kw"] * 1000))
    )
    assert got["output.power"] == got["ups.power"]
