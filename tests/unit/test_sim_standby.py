"""The simulator carries out the standby controls of the UPS shut-off (§16.8) and says
that it manages the Standby Schedule (JBUSP S29, VU-MAP T008 b06)."""

from __future__ import annotations

import pytest

from netvision.sim.device import ModbusError, SimulatedDevice
from netvision.ups.expression import compile_expression


def condition(device: SimulatedDevice, name: str) -> bool:
    statuses, alarms = device.active_bits(None)
    return compile_expression(device.map.conditions[name])(statuses | alarms)


def test_jbusp_announces_the_standby_schedule() -> None:
    device = SimulatedDevice("jbusp")
    assert condition(device, "standby_schedule")
    device.standby_schedule = False
    device.scenario("normal")
    assert not condition(device, "standby_schedule")


def test_vumap_states_the_standby_schedule_in_t008() -> None:
    device = SimulatedDevice("vumap")
    assert device.block_words("configuration", None)[7] >> 6 & 1 == 1


@pytest.mark.parametrize("map_name", ["jbusp", "vumap"])
def test_standby_on_switches_the_output_off_until_standby_off(map_name: str) -> None:
    device = SimulatedDevice(map_name)
    device.scenario("mains_failure")
    device.apply_control("standby_on")
    assert condition(device, "load_off") and condition(device, "standby")
    assert not condition(device, "on_battery")
    # The mains returns: a UPS in standby stays off until told otherwise.
    device.scenario("mains_restored")
    assert condition(device, "load_off")
    device.apply_control("standby_off")
    assert condition(device, "load_on_inverter") and not condition(device, "standby")


def test_jbusp_standby_written_as_a_command_word() -> None:
    device = SimulatedDevice("jbusp")
    device.write(0x05B0, [0x0001])
    assert condition(device, "load_off")
    device.write(0x05B0, [0x0002])
    assert condition(device, "load_on_inverter")


def test_vumap_standby_written_as_command_bits() -> None:
    device = SimulatedDevice("vumap")
    device.write(0x00C7, [1 << 2])
    assert condition(device, "load_off")
    device.write(0x00C7, [1 << 3])
    assert condition(device, "load_on_inverter")


def test_standby_off_refused_without_mains_or_battery() -> None:
    device = SimulatedDevice("jbusp")
    device.scenario("mains_failure")
    device.apply_control("standby_on")
    device.ups.charge = 0.0
    with pytest.raises(ModbusError):
        device.apply_control("standby_off")
