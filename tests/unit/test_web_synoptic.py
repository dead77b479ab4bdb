"""Synoptic colour rules (EN §12.1.1, §12.2.1), tree icons (§11.3) and parameter tables (§12.1.5–10)."""

from __future__ import annotations

from datetime import UTC, datetime

from netvision.services.web import synoptic
from netvision.services.web.views import device_view, format_values, live_json, table_rows
from netvision.ups.maps.base import Level
from netvision.ups.model import (
    ActiveAlarm,
    Communication,
    CommunicationState,
    DeviceState,
    Snapshot,
    Topology,
    TopologyKind,
    Unit,
)
from tests.fakes import device_state

NORMAL = {
    "rectifier_supply_present": True,
    "rectifier_on": True,
    "inverter_on": True,
    "load_on_inverter": True,
    "bypass_supply_present": True,
}


def device(conditions: dict[str, bool], measurements: dict[str, float | None] | None = None, alarms=()) -> DeviceState:
    """A UPS at 50 % load unless ``measurements`` say otherwise."""
    return device_state(conditions, {"load_rate": 50.0} if measurements is None else measurements, alarms)


def alarm(level: Level) -> ActiveAlarm:
    return ActiveAlarm("A01", "Battery alarm", "Alarme batterie", level, datetime(2026, 1, 1, tzinfo=UTC))


def test_normal_operation_is_green_on_the_inverter_path() -> None:
    colours = synoptic.unit_colours(device(NORMAL))
    for name in ("rectifier_supply", "rectifier", "dc_bus", "inverter_input", "inverter", "inverter_output", "output", "load"):
        assert colours[name] == "green", name
    assert colours["bypass_output"] == "grey"
    assert colours["bypass_input"] == "green"
    assert colours["maintenance_bypass"] == "grey"
    assert colours["alarm_present"] == "hidden"
    assert colours["battery"] == "grey"  # row 10: "default"


def test_on_battery_turns_inverter_input_output_and_output_yellow() -> None:
    conditions = {**NORMAL, "rectifier_supply_present": False, "rectifier_on": False, "on_battery": True}
    colours = synoptic.unit_colours(device(conditions))
    assert colours["rectifier_supply"] == "grey"
    assert colours["dc_bus"] == "grey"
    assert colours["inverter_input"] == "yellow"
    assert colours["inverter_output"] == "yellow"
    assert colours["output"] == "yellow"


def test_on_bypass_is_yellow_and_eco_mode_green() -> None:
    bypass = {**NORMAL, "inverter_on": False, "load_on_inverter": False, "bypass_on": True}
    colours = synoptic.unit_colours(device(bypass))
    assert colours["bypass_input"] == colours["bypass_output"] == colours["output"] == "yellow"
    assert colours["inverter_output"] == "grey"
    eco = synoptic.unit_colours(device({**bypass, "eco_mode": True}))
    assert eco["bypass_output"] == "green" and eco["output"] == "green"


def test_preventive_alarm_is_yellow_and_critical_red() -> None:
    colours = synoptic.unit_colours(device({**NORMAL, "rectifier_preventive_alarm": True, "inverter_critical_alarm": True}))
    assert colours["rectifier"] == "yellow"
    assert colours["inverter"] == "red"


def test_load_colour_follows_load_rate_thresholds() -> None:
    def load(*rates: float) -> str:
        keys = ("load_rate_l1", "load_rate_l2", "load_rate_l3")
        return synoptic.unit_colours(device(NORMAL, dict(zip(keys, rates, strict=False))))["load"]

    assert load(0.0) == "grey"
    assert load(50.0, 90.0, 10.0) == "green"
    assert load(50.0, 91.0) == "yellow"
    assert load(101.0) == "red"


def test_battery_alarms_and_maintenance_bypass() -> None:
    assert synoptic.unit_colours(device({**NORMAL, "battery_alarm": True}))["battery"] == "red"
    assert synoptic.unit_colours(device({**NORMAL, "battery_room_alarm": True}))["battery"] == "yellow"
    maintenance = synoptic.unit_colours(device({**NORMAL, "load_on_maintenance_bypass": True}))
    assert maintenance["maintenance_bypass"] == "yellow"
    assert maintenance["load"] == "grey"
    locked = synoptic.unit_colours(device({**NORMAL, "transfer_locked": True}))
    assert locked["bypass_impossible"] == "red"


def test_system_view_shows_only_its_elements() -> None:
    colours = synoptic.system_colours(device(NORMAL))
    assert set(colours) == set(synoptic.SYSTEM_ELEMENTS)
    assert "rectifier" not in colours and "battery" not in colours


def test_tree_icon_levels() -> None:
    assert synoptic.tree_status(device(NORMAL)) == "ok"
    assert synoptic.tree_status(device(NORMAL, alarms=[alarm(Level.WARNING)])) == "alarm"
    assert synoptic.tree_status(device(NORMAL, alarms=[alarm(Level.WARNING), alarm(Level.CRITICAL)])) == "critical"
    assert synoptic.tree_status(device({**NORMAL, "imminent_stop": True})) == "imminent"
    assert synoptic.tree_status(device({"standby": True})) == "standby"
    assert synoptic.battery_tree_status(device({**NORMAL, "on_battery": True})) == "discharging"


def test_values_not_managed_are_not_shown() -> None:
    state = device(NORMAL, {"load_rate": 40.0, "output_voltage_l1": 230.0, "output_voltage_l2": None, "battery_voltage": None})
    rows = dict(table_rows("ups", state, "en"))
    assert rows["Output load rate (%)"] == "40"
    assert rows["Output Voltage (V)"] == "230"
    assert "Battery voltage (V)" not in rows
    assert format_values({"a": None}, ("a",), 0) is None


def test_per_phase_values_win_over_the_global_load_rate() -> None:
    values = {"load_rate_l1": 10.0, "load_rate_l2": 20.0, "load_rate_l3": 30.0, "load_rate": 30.0}
    assert format_values(values, ("load_rate_l1", "load_rate_l2", "load_rate_l3", "load_rate"), 0) == "10/20/30"


def test_temperatures_follow_the_unit_setting() -> None:
    state = device(NORMAL, {"ambient_temperature": 20.0})
    rows = dict(table_rows("ups", state, "en", fahrenheit=True))
    assert rows["Temperature (°F)"] == "68.0"


def test_french_labels_in_tables() -> None:
    view = device_view(device(NORMAL), "fr")
    assert view is not None
    labels = [label for label, _value in view["tables"]["ups"]]
    assert labels[0] == "État ASI" and "Taux de charge (%)" in labels
    assert view["ups_status"] == "Charge protégée par l'onduleur"


def test_live_message_holds_every_device_of_a_parallel_system() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    state = device(NORMAL, alarms=[alarm(Level.WARNING)])
    snapshot = Snapshot(
        sequence=7,
        time=now,
        communication=Communication(CommunicationState.OK, now),
        topology=Topology(TopologyKind.PARALLEL, units=(1, 2)),
        system=state,
        units=(Unit(1, device(NORMAL)), Unit(2, device(NORMAL))),
    )
    message = live_json(snapshot, "en")
    assert set(message["views"]) == {"system", "unit1", "unit2"}
    assert set(message["views"]["system"]["colours"]) == set(synoptic.SYSTEM_ELEMENTS)
    assert message["alarm_count"] == 1 and message["alarms"][0]["acronym"] == "A01"


def test_sts_on_preferred_source_is_green_and_on_alternate_yellow() -> None:
    preferred = {
        "source1_ok": True, "source2_ok": True, "source1_preferred": True, "load_on_preferred_source": True,
        "load_on_source1": True, "sources_synchronised": True,
    }  # fmt: skip
    colours = synoptic.sts_colours(device(preferred))
    assert colours["source1_input"] == colours["switch1_output"] == colours["output"] == "green"
    assert colours["switch2_output"] == "grey" and colours["source2_input"] == "green"
    assert colours["source1_preferred"] == "grey" and colours["source2_preferred"] == "hidden"
    assert colours["not_synchronised"] == "hidden"
    alternate = {
        "source1_ok": False, "source2_ok": True, "source1_preferred": True, "load_on_alternate_source": True,
        "load_on_source2": True,
    }  # fmt: skip
    colours = synoptic.sts_colours(device(alternate))
    assert colours["source1_input"] == "grey"
    assert colours["source2_input"] == colours["switch2_output"] == colours["output"] == "yellow"
    assert colours["not_synchronised"] == "yellow"


def test_the_battery_path_is_drawn_in_use_while_the_battery_feeds_the_load() -> None:
    on_battery = {**NORMAL, "rectifier_supply_present": False, "rectifier_on": False, "on_battery": True}
    assert synoptic.unit_colours(device(on_battery))["battery_path"] == "yellow"
    assert synoptic.unit_colours(device(NORMAL))["battery_path"] == "green"  # kept charged by the rectifier
    open_circuit = {**on_battery, "battery_disconnected": True}
    assert synoptic.unit_colours(device(open_circuit))["battery_path"] == "grey"
    assert "battery_path" in synoptic.UNIT_ELEMENTS
