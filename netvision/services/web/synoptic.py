"""Synoptic colour rules (EN §12.1.1 unit view, §12.2.1 system view, §11.3 tree view).

Pure functions of a :class:`DeviceState`: the page draws the SVG once and the
live stream sends the colour of each element after every poll.
"""

from __future__ import annotations

from ...ups.maps.base import Level
from ...ups.model import DeviceState

GREY, GREEN, YELLOW, RED, HIDDEN = "grey", "green", "yellow", "red", "hidden"

UNIT_ELEMENTS = (
    "rectifier_supply", "rectifier", "rectifier_output", "dc_bus", "inverter_input", "inverter",
    "inverter_output", "output", "load", "battery", "battery_path", "bypass_supply", "bypass_input", "bypass",
    "bypass_output", "maintenance_bypass", "bypass_impossible", "maintenance_alarm", "alarm_present",
    "genset", "battery_sharing",
)  # fmt: skip
# §12.2.1: the system view shows only these.
SYSTEM_ELEMENTS = (
    "rectifier_supply", "inverter_output", "output", "load", "bypass_supply", "bypass_input",
    "bypass_output", "maintenance_bypass",
)  # fmt: skip


def load_percent(state: DeviceState) -> float | None:
    """The highest phase load rate (§12.1.3 shows one load figure)."""
    values = [
        value
        for key in ("load_rate", "load_rate_l1", "load_rate_l2", "load_rate_l3")
        if (value := state.measurements.get(key)) is not None
    ]
    return max(values) if values else None


def _box(on: bool, preventive: bool, critical: bool) -> str:
    # §12.1.1 rows 2, 6, 13: yellow "On + prev. alarm", red "Critical alarm"; the table leaves
    # the plain states blank: on is drawn green and off grey, like the lines around them.
    if critical:
        return RED
    if on and preventive:
        return YELLOW
    return GREEN if on else GREY


def unit_colours(state: DeviceState) -> dict[str, str]:
    """Colour of each element of the unit synoptic, §12.1.1."""
    c = state.condition
    rectifier_on = c("rectifier_on")
    inverter_on = c("inverter_on")
    on_battery = c("on_battery")
    bypass_on = c("bypass_on") or c("load_on_automatic_bypass")
    eco = c("eco_mode")
    maintenance = c("load_on_maintenance_bypass") or c("maintenance_bypass_closed")
    if c("load_off"):
        output = GREY
    elif on_battery or (bypass_on and not eco) or maintenance:
        output = YELLOW
    elif c("load_on_inverter") or eco or inverter_on:
        output = GREEN
    else:
        output = GREY
    load = load_percent(state)
    if maintenance or load is None or load <= 0 or output == GREY:
        load_colour = GREY
    elif load > 100:
        load_colour = RED
    elif load > 90:
        load_colour = YELLOW
    else:
        load_colour = GREEN
    if c("battery_alarm"):
        battery = RED
    elif c("battery_room_alarm") or c("battery_temperature_alarm") or c("battery_test_failed"):
        battery = YELLOW
    else:
        battery = GREY  # §12.1.1 row 10: "default"
    colours = {
        "rectifier_supply": GREEN if c("rectifier_supply_present") else GREY,
        "rectifier": _box(rectifier_on, c("rectifier_preventive_alarm"), c("rectifier_critical_alarm")),
        "rectifier_output": GREEN if rectifier_on else GREY,
        "dc_bus": GREEN if rectifier_on else GREY,
        "inverter_input": YELLOW if on_battery else GREEN if rectifier_on else GREY,
        "inverter": _box(inverter_on, c("inverter_preventive_alarm"), c("inverter_critical_alarm")),
        "inverter_output": (YELLOW if on_battery else GREEN) if inverter_on else GREY,
        "output": output,
        "load": load_colour,
        "battery": battery,
        "battery_path": _battery_path(state),
        "bypass_supply": GREEN if c("bypass_supply_present") else GREY,
        "bypass_input": YELLOW if bypass_on else GREEN if c("bypass_supply_present") else GREY,
        "bypass": _box(bypass_on, c("bypass_preventive_alarm"), c("bypass_critical_alarm")),
        "bypass_output": (GREEN if eco else YELLOW) if bypass_on else GREY,
        "maintenance_bypass": YELLOW if maintenance else GREY,
        "bypass_impossible": RED if c("transfer_locked") else YELLOW if c("transfer_impossible") else HIDDEN,
        "maintenance_alarm": YELLOW if c("maintenance_alarm") else HIDDEN,
        "alarm_present": GREY if (state.alarms or c("general_alarm")) else HIDDEN,
        "genset": GREY if c("genset_on") else HIDDEN,
        "battery_sharing": GREY if c("battery_shared") else HIDDEN,
    }
    return colours


def _battery_path(state: DeviceState) -> str:
    """The line between the battery and the DC bus: yellow while the battery feeds the load
    (the path in use), green while the rectifier keeps it charged, grey when it is open."""
    c = state.condition
    if c("battery_disconnected"):
        return GREY
    if c("on_battery"):
        return YELLOW
    return GREEN if c("rectifier_on") else GREY


STS_ELEMENTS = (
    "source1_preferred", "source1_input", "switch1", "switch1_output", "source2_preferred", "source2_input",
    "switch2", "switch2_output", "output", "load", "not_synchronised", "bypass_impossible",
    "maintenance_alarm", "alarm_present", "maintenance_bypass_1", "maintenance_bypass_2",
)  # fmt: skip


def sts_colours(state: DeviceState) -> dict[str, str]:
    """Colour of each element of the STS synoptic (FR §13.1)."""
    c = state.condition
    preferred, alternate = c("load_on_preferred_source"), c("load_on_alternate_source")
    path = GREEN if preferred else YELLOW if alternate else GREY
    source1_preferred = c("source1_preferred")

    def source(number: int) -> tuple[str, str, str]:
        ok, on = c(f"source{number}_ok"), c(f"load_on_source{number}")
        is_preferred = source1_preferred if number == 1 else not source1_preferred
        # FR §13.1 rows 2/8: grey absent, green present, yellow while the load is on it as the
        # alternate source; rows 4/10: the switch output takes the colour of the path it feeds.
        supply = GREY if not ok else YELLOW if on and not is_preferred else GREEN
        switch = GREEN if on else GREY
        output = (GREEN if is_preferred else YELLOW) if on else GREY
        return supply, switch, output

    input1, switch1, output1 = source(1)
    input2, switch2, output2 = source(2)
    load = load_percent(state)
    if path == GREY or load is None or load <= 0:
        load_colour = GREY
    else:
        load_colour = RED if load > 100 else YELLOW if load > 90 else GREEN
    return {
        "source1_preferred": GREY if source1_preferred else HIDDEN,
        "source1_input": input1,
        "switch1": switch1,
        "switch1_output": output1,
        "source2_preferred": HIDDEN if source1_preferred else GREY,
        "source2_input": input2,
        "switch2": switch2,
        "switch2_output": output2,
        "output": GREY if c("load_off") else path,
        "load": load_colour,
        "not_synchronised": HIDDEN if c("sources_synchronised") else YELLOW,
        "bypass_impossible": YELLOW if c("transfer_impossible") else HIDDEN,
        "maintenance_alarm": YELLOW if c("maintenance_alarm") else HIDDEN,
        "alarm_present": GREY if (state.alarms or c("general_alarm")) else HIDDEN,
        "maintenance_bypass_1": YELLOW if c("load_on_manual_bypass_1") else GREY,
        "maintenance_bypass_2": YELLOW if c("load_on_manual_bypass_2") else GREY,
    }


def system_colours(state: DeviceState) -> dict[str, str]:
    """§12.2.1: the system view is the unit rules restricted to the system's elements."""
    colours = unit_colours(state)
    return {name: colours[name] for name in SYSTEM_ELEMENTS}


def tree_status(state: DeviceState | None) -> str:
    """Device icon of the tree view (§11.3): standby, ok, alarm, critical, imminent (flashing)."""
    if state is None:
        return "unknown"
    if state.condition("imminent_stop"):
        return "imminent"
    levels = {alarm.level for alarm in state.alarms}
    if Level.CRITICAL in levels:
        return "critical"
    if Level.WARNING in levels:
        return "alarm"
    if state.condition("standby") or state.condition("load_off"):
        return "standby"
    return "ok"


def battery_tree_status(state: DeviceState | None) -> str:
    """Battery icon of the tree view (§11.3): disconnected, ok, discharging, alarm."""
    if state is None:
        return "unknown"
    if state.condition("battery_disconnected"):
        return "disconnected"
    if state.condition("battery_alarm") or state.condition("battery_low") or state.condition("battery_discharged"):
        return "alarm"
    if state.condition("on_battery"):
        return "discharging"
    return "ok"


def battery_animation(state: DeviceState) -> str:
    """§12.1.2 battery symbol: open, charged, discharging, discharged, charging."""
    c = state.condition
    if c("battery_disconnected"):
        return "open"
    if c("battery_discharged"):
        return "discharged"
    if c("on_battery"):
        return "discharging"
    if c("battery_charging"):
        return "charging"
    return "charged"
