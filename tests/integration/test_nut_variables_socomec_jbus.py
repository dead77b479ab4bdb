"""The NUT variables the gateway serves, next to what NUT's own ``socomec_jbus`` driver
reports from the same simulated JBUSP UPS (tests/integration/test_nut_socomec_jbus.py).

Both follow nut-names.txt where the driver reads the value as the UPS gives it: serial
number, battery charge and voltage, phase voltages, phase counts, ambient temperature,
the rating, and OB on a mains failure. The driver's known departures (runtime in
minutes, raw current words, OL/OB from the runtime alone, its own alarm texts) are
not compared; the gateway's runtime is in seconds and its currents in amperes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from netvision.services.nut import variables as v
from netvision.services.shutdown.status import IDLE
from netvision.settings.models import SystemSettings
from netvision.ups import poller as poller_module
from tests.integration.test_nut_socomec_jbus import nut_dump
from tests.unit.test_nut_variables import MemoryLink


async def variables_of(device: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setattr(poller_module, "ModbusLink", MemoryLink)
    MemoryLink.device = device
    poller = poller_module.Poller(poller_module.PollerConfig(device="memory", fast_lane=0))
    snapshot = await poller.probe()
    return v.variables(snapshot, 0, IDLE, datetime.now(UTC), SystemSettings())


def same_number(ours: str, theirs: str) -> bool:
    return abs(float(ours) - float(theirs)) < 0.05


async def test_the_gateway_and_socomec_jbus_agree_on_the_same_ups(
    make_simulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = await make_simulator(map_name="jbusp", model="DELPHYS MX SINGLE UNIT", time_scale=0)
    theirs = await nut_dump(sim.device_path, tmp_path)
    ours = await variables_of(sim.device, monkeypatch)

    assert ours["ups.serial"] == theirs["ups.serial"].strip()
    assert ours["ups.model"].startswith(theirs["ups.model"])  # "DELPHYS MX" + the range's words
    assert ours["battery.charge"] == theirs["battery.charge"]
    assert same_number(ours["battery.voltage"], theirs["battery.voltage"])
    assert same_number(ours["ambient.temperature"], theirs["ambient.1.temperature"])
    assert ours["input.phases"] == theirs["input.phases"]
    assert ours["ups.power.nominal"] == theirs["ups.power"]  # the driver's ups.power is the rating
    for phase in (1, 2, 3):
        for name in (f"output.L{phase}-N.voltage", f"input.bypass.L{phase}-N.voltage"):
            assert same_number(ours[name], theirs[name]), name
    # Where the driver's conventions differ, the gateway's follow nut-names.txt.
    assert ours["battery.runtime"] == str(int(theirs["battery.runtime"]) * 60)
    assert ours["ups.status"] == "OL"

    sim.device.scenario("mains_failure")
    sim.device.tick(1)
    theirs = await nut_dump(sim.device_path, tmp_path)
    ours = await variables_of(sim.device, monkeypatch)
    assert "OB" in theirs["ups.status"].split()
    assert ours["ups.status"].split()[0] == "OB"
    assert ("ALARM" in ours["ups.status"].split()) == ("ALARM" in theirs["ups.status"].split())
