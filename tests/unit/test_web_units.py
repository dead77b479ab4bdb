"""What the pages show, on built snapshots: temperatures in the chosen unit (one
conversion for tables, live updates and logs), stale values once the UPS is silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netvision.services.web.logs import _celsius_to_unit
from netvision.services.web.units import displayed_measurements
from netvision.services.web.views import live_json, snapshot_json, table_rows
from netvision.ups.maps.base import Level
from netvision.ups.model import ActiveAlarm, Communication, CommunicationState, Derived, DeviceState, Snapshot
from netvision.ups.status import derive_lost

T0 = datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC)
ALARM = ActiveAlarm("A01", "General alarm", "Alarme générale", Level.WARNING, T0)


def system(derived: Derived | None = None) -> DeviceState:
    return DeviceState(
        number=0,
        statuses=frozenset(),
        alarm_bits=frozenset({"A01"}),
        alarms=(ALARM,),
        measurements={"ambient_temperature": 25.0, "battery_temperature": 30.0, "output_voltage_l1": 230.0},
        derived=derived or Derived("ups_status.load_on_inverter", "battery_status.ok", "output_status.load_on_inverter", 3, 2),
    )


def test_fahrenheit_converts_every_temperature_and_nothing_else() -> None:
    ok = Snapshot(1, T0, Communication(CommunicationState.OK, T0), system=system())
    live = live_json(ok, "en", fahrenheit=True)
    assert live["measurements"] == {"ambient_temperature": 77.0, "battery_temperature": 86.0, "output_voltage_l1": 230.0}
    assert ("Temperature (°F)", "77.0") in live["views"]["system"]["tables"]["ups"]
    assert ("Battery temperature (°F)", "86.0") in table_rows("battery", system(), "en", fahrenheit=True)
    assert live_json(ok, "en")["measurements"]["ambient_temperature"] == 25.0
    assert displayed_measurements({"switch1_temperature": None}, True) == {"switch1_temperature": None}
    assert _celsius_to_unit("battery_temperature_average", 21.5, "F") == 70.7  # the logs too
    assert _celsius_to_unit("output_voltage_l1", 230.0, "F") == 230.0


def test_lost_communication_keeps_the_values_marked_stale_with_their_read_time() -> None:
    ok = Snapshot(1, T0, Communication(CommunicationState.OK, T0), system=system())
    assert ok.last_read == T0 and not ok.stale
    lost_at = T0 + timedelta(seconds=9)
    lost = Snapshot(
        2, lost_at, Communication(CommunicationState.LOST, lost_at, last_read=T0), system=system(derive_lost())
    )
    assert lost.stale and lost.last_read == T0
    live = live_json(lost, "fr", time_zone="Europe/Paris")
    assert live["stale"] and live["last_read"] == T0.isoformat()
    assert live["last_read_text"] == "Pas de communication : valeurs lues le 01/03/2026 11:00:05"
    assert (live["alarm_count"], live["alarms"], live["views"]["system"]["alarms"]) == (0, [], [])
    assert live["measurements"]["output_voltage_l1"] == 230.0
    data = snapshot_json(lost)
    assert data["stale"] and data["last_read"] == T0.isoformat() and data["system"]["alarms"] == []
    assert snapshot_json(ok)["system"]["alarms"][0]["acronym"] == "A01" and not snapshot_json(ok)["stale"]
    # before the first answer nothing is stale: there is nothing to show
    starting = Snapshot(0, T0, Communication(CommunicationState.STARTING, T0))
    assert not starting.stale and live_json(starting, "en")["last_read_text"] == ""
