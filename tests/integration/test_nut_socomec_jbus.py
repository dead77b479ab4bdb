"""Network UPS Tools' own ``socomec_jbus`` driver (Debian nut-modbus) reading the
simulated JBUSP UPS over a pty, as it reads a real Socomec unit on its RS-232 port.

The driver (drivers/socomec_jbus.c, NUT 2.8) reads, with function 0x03 at slave 1,
9600 baud 8N1: 0x1000 ×12 (type code, kVA, serial number), 0x10E0 ×32 (the whole
configuration table T00–T31), 0x1360 ×4 (clock), 0x1020 ×6 (status: 4 words in the
NET VISION manual), 0x1040 ×4 (alarms) and 0x1060 ×48 (measurements). Every read
must be answered, or the driver goes stale and reports nothing.

Where NUT's conventions differ from the UPS's, the test says so and checks the raw
register instead:

- ``ups.status`` OL/OB/LB comes from M23 alone: OL when the remaining backup time is
  0xFFFF, OB above 15 minutes, LB below (the driver's one tested unit, a DIGYS, shows
  -1 on mains). A UPS following the NET VISION manual gives its nominal backup time in
  normal operation (EN §12.1.6), so NUT reports OB on mains too; on battery is the
  status bit S05, checked in the raw status word. Bypass is not in NUT's status at all
  (S04 is only logged), so the bypass case checks S04.
- ``battery.runtime`` is M23 in minutes (NUT's variable is in seconds).
- ``battery.current`` and ``output.Lx.current`` are the raw words (A×10): the driver
  neither divides the currents nor reads M24 as signed.
- ``input.voltage``, ``output.voltage`` (three-phase), ``input.frequency`` and
  ``output.frequency`` come first from the configuration table's nominal values T00–T03.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

import pytest

from netvision.ups.maps.base import NOT_MANAGED
from tests.integration.test_snmp_helpers import need, run

# The alarm bits the driver turns into ups.alarm messages, in its order (word, bit, text).
NUT_ALARMS: tuple[tuple[int, int, str], ...] = (
    (0, 0, "General Alarm present."),
    (0, 1, "Battery failure."),
    (0, 2, "Overload fault."),
    (0, 4, "Control failure (com, internal supply...)"),
    (0, 5, "Rectifier input supply out of tolerance."),
    (0, 6, "Bypass input supply out of tolerance."),
    (0, 7, "Over temperature fault."),
    (0, 8, "Maintenance bypass closed."),
    (0, 10, "Battery charger fault."),
    (1, 15, "Imminent STOP."),
    (2, 12, "Servicing alarm."),
    (3, 0, "Maintenance bypass."),
    (3, 1, "Battery discharged."),
    (3, 4, "Critical Rectifier fault."),
    (3, 6, "Critical Inverter fault."),
    (3, 11, "Battery circuit open."),
    (3, 14, "Bypass critical alarm."),
)
BATTERY_RUNTIME_CRITICAL = 15  # minutes, the driver's LB threshold


async def nut_dump(device_path: str, state: Path) -> dict[str, str]:
    """One update of the driver, dumped (``-d 1``), as {variable: value}."""
    driver = need("socomec_jbus")
    code, output = await run(
        "env", f"NUT_STATEPATH={state}", driver, "-s", "netvision", "-x", f"port={device_path}",
        "-d", "1", "-u", pwd.getpwuid(os.getuid()).pw_name, timeout=60,
    )
    assert code == 0, output
    assert "mrir:" not in output, output  # a read the UPS refused
    data = dict(line.split(": ", 1) for line in output.splitlines() if ": " in line and "." in line.split(":")[0])
    assert "ups.status" in data, output  # not stale: every table was read
    return data


def nut_power_status(remaining_minutes: int) -> str:
    if remaining_minutes == NOT_MANAGED:
        return "OL"
    return "OB" if remaining_minutes > BATTERY_RUNTIME_CRITICAL else "LB"


def check_against_the_registers(data: dict[str, str], sim: Any, phases: int) -> tuple[list[int], list[int]]:
    """Every value the driver shows is the simulator's word; returns (status, measurement) words."""
    status = sim.device.read(0x1020, 4)
    alarms = sim.device.read(0x1040, 4)
    m = sim.device.read(0x1060, 48)
    identification = sim.device.read(0x1000, 12)
    configuration = sim.device.read(0x10E0, 32)

    expected_alarms = [text for word, bit, text in NUT_ALARMS if alarms[word] >> bit & 1]
    assert data.get("ups.alarm", "") == " ".join(expected_alarms)
    expected_status = {nut_power_status(m[23])} | ({"ALARM"} if expected_alarms else set())
    assert set(data["ups.status"].split()) == expected_status

    assert data["ups.power"] == str(identification[1] * 100)  # kVA×10 → VA
    assert data["ups.serial"].strip() == sim.device.nodes[sim.device.top].serial
    assert data["input.voltage"] == str(configuration[0])  # T00 nominal
    assert data["input.frequency"] == str(configuration[2])  # T02 nominal
    assert data["battery.charge"] == str(m[4])
    assert data["battery.capacity"] == str(m[5] // 10)  # Ah×10 → Ah
    assert data["battery.voltage"] == f"{m[20] / 10:.2f}"
    assert data["battery.current"] == f"{m[24] / 10:.2f}"  # unsigned raw word
    assert data["battery.runtime"] == str(m[23])  # minutes
    assert data["ambient.1.temperature"] == str(m[22])
    assert data["output.frequency"] == str(m[19] // 10)
    assert data["input.bypass.frequency"] == str(m[18] // 10)
    assert data["input.phases"] == str(phases)
    if phases == 1:
        assert m[1] == m[2] == NOT_MANAGED  # how the driver tells a single-phase UPS
        assert data["ups.load"] == str(m[0])
        assert data["output.voltage"] == str(m[9])
        assert data["input.bypass.voltage"] == str(m[6])
        assert data["output.current"] == str(m[15])
    else:
        assert data["ups.load"] == str(m[3])
        assert data["output.voltage"] == str(configuration[1])  # T01 nominal
        for phase in range(3):
            assert data[f"ups.L{phase + 1}.load"] == str(m[phase])
            assert data[f"output.L{phase + 1}-N.voltage"] == str(m[9 + phase])
            assert data[f"input.bypass.L{phase + 1}-N.voltage"] == str(m[6 + phase])
            assert data[f"output.L{phase + 1}.current"] == str(m[15 + phase])
    return status, m


async def test_nut_socomec_jbus_reads_normal_mains_failure_and_bypass(
    make_simulator: Any, tmp_path: Path
) -> None:
    # A DELPHYS MX, one of the two ranges the driver names; time_scale=0 holds the values
    # still between the driver's reads and the test's.
    sim = await make_simulator(
        map_name="jbusp", model="DELPHYS MX SINGLE UNIT", time_scale=0, discharge_speed=5
    )
    data = await nut_dump(sim.device_path, tmp_path)
    assert data["ups.model"] == "DELPHYS MX"
    status, m = check_against_the_registers(data, sim, phases=3)
    assert not status[0] >> 5 & 1 and status[0] >> 3 & 1  # S05 off, S03 load on inverter
    assert "ups.alarm" not in data
    assert m[23] != NOT_MANAGED  # the nominal backup time: NUT says OB (module docstring)
    # DELPHYS MX does not manage M12–M14 (input currents), M21, M43: the driver reads none of them.
    assert [m[12], m[13], m[14], m[21], m[43]] == [NOT_MANAGED] * 5

    sim.device.scenario("mains_failure")
    sim.device.tick(30)  # 150 s of discharge at speed 5
    data = await nut_dump(sim.device_path, tmp_path)
    status, m = check_against_the_registers(data, sim, phases=3)
    assert status[0] >> 5 & 1  # S05 on battery
    assert "OB" in data["ups.status"].split() and "ALARM" in data["ups.status"].split()
    assert data["ups.alarm"] == (
        "General Alarm present. Rectifier input supply out of tolerance. Bypass input supply out of tolerance."
    )
    assert int(data["battery.charge"]) < 100
    assert m[24] & 0x8000  # discharging: M24 is negative, NUT shows the unsigned word
    assert all(data[f"input.bypass.L{n}-N.voltage"] == "0" for n in (1, 2, 3))

    sim.device.scenario("normal")
    sim.device.scenario("bypass")
    data = await nut_dump(sim.device_path, tmp_path)
    status, m = check_against_the_registers(data, sim, phases=3)
    assert status[0] >> 4 & 1 and not status[0] >> 3 & 1  # S04 on bypass, not S03
    assert "ALARM" not in data["ups.status"].split()
    # On bypass the output follows the bypass input.
    for phase in (1, 2, 3):
        assert abs(int(data[f"output.L{phase}-N.voltage"]) - int(data[f"input.bypass.L{phase}-N.voltage"])) <= 5


@pytest.mark.parametrize(
    ("options", "phases"),
    [
        ({"model": "MASTERYS 1/1 UPS", "topology": "single_phase"}, 1),
        ({"model": "MASTERYS 3/3 UPS"}, 3),
    ],
)
async def test_nut_socomec_jbus_reads_single_and_three_phase_masterys(
    make_simulator: Any, tmp_path: Path, options: dict[str, Any], phases: int
) -> None:
    sim = await make_simulator(map_name="jbusp", time_scale=0, **options)
    data = await nut_dump(sim.device_path, tmp_path)
    # Not one of the two type codes the driver names.
    assert data["ups.model"].startswith("Unknown Socomec JBUS. Send id ")
    check_against_the_registers(data, sim, phases=phases)
