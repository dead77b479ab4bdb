"""Which status and alarm bits each map shows for a simulated state.

The physics (physics.py) says what the device is doing in plain words
("on battery", "load on bypass"); these tables say which acronyms a JBUSP,
VU-MAP or STS device sets for it (EN App. JBUSP, App. VU-MAP; FR annex STS).
A flag may set several bits: VU-MAP on battery is A019 with S000 still set,
eco mode is S006 with the load on the automatic bypass S002.
"""

from __future__ import annotations

from collections.abc import Mapping

# Semantic flag -> acronyms, per map. A flag missing from a map's table shows nothing.
JBUSP_FLAGS: Mapping[str, tuple[str, ...]] = {
    "rectifier_supply_present": ("S00",),
    "inverter_on": ("S01",),
    "rectifier_on": ("S02",),
    "load_on_inverter": ("S03",),
    "load_on_bypass": ("S04",),
    "on_battery": ("S05",),
    "remote_controls_disabled": ("S06",),
    "eco_mode": ("S07",),
    "standby": ("S08",),
    "standby_schedule": ("S29",),
    "battery_test_in_progress": ("S10",),
    "battery_test_supported": ("S13",),
    "battery_test_failed": ("S14",),
    "battery_low": ("S15",),
    "battery_discharged": ("S16", "A49"),
    "battery_ok": ("S17",),
    "synchronised": ("S23",),
    "bypass_supply_present": ("S26",),
    "battery_charging": ("S27",),
    "parallel_system": ("S30",),
    "permission_table": ("S42",),
    "overload": ("A02",),
    # Mains failure: A05/A06 as VU-MAP A035/A050 (the MIB's ReInputBad/ByInputBad rows).
    "rectifier_supply_failed": ("A05",),
    "bypass_supply_failed": ("A06",),
    "maintenance_bypass": ("A08",),
    "imminent_stop": ("A31",),
}

VUMAP_FLAGS: Mapping[str, tuple[str, ...]] = {
    "load_on_inverter": ("S000", "S053"),
    "load_on_bypass": ("S002", "S057"),
    "maintenance_bypass": ("S003", "S017"),
    "load_off": ("S004",),
    "eco_mode": ("S006",),
    "standby": ("S013",),
    "operating": ("S011",),
    "available": ("S012",),
    "output_breaker_closed": ("S016",),
    "input_breakers_closed": ("S021", "S022"),
    "acknowledgement_requested": ("S031",),
    "battery_ok": ("S032",),
    "battery_charged": ("S033",),
    "battery_test_in_progress": ("S034",),
    "battery_charging": ("S036",),
    "rectifier_supply_present": ("S048",),
    "rectifier_on": ("S049",),
    "charger_on": ("S050",),
    "inverter_on": ("S052",),
    "bypass_supply_present": ("S056",),
    "synchronised": ("S058",),
    "imminent_stop": ("A000",),
    "overload": ("A001",),
    "battery_discharged": ("A017",),
    "battery_low": ("A018",),
    # "Operating on Battery" A019; the load stays on the inverter (S000).
    "on_battery": ("A019",),
    "battery_test_failed": ("A022",),
    "rectifier_supply_failed": ("A035",),
    "bypass_supply_failed": ("A050",),
}

# STS: S(16·word + bit) / A(16·word + bit) of the FR annex "DONNÉES TABLEAU MODBUS".
STS_FLAGS: Mapping[str, tuple[str, ...]] = {
    "source1_ok": ("S000", "S004"),  # source 1 OK, power path 1 OK
    "source1_absent": ("S003",),
    "source2_ok": ("S006", "S010"),
    "source2_absent": ("S009",),
    "synchronised": ("S012", "S015"),
    "source1_preferred": ("S016",),
    "load_on_preferred": ("S017",),
    "load_on_alternate": ("S018",),
    "load_off": ("S019",),
    "load_on_source1": ("S023", "S035"),  # and static switch 1 closed
    "load_on_source2": ("S024", "S036"),
    "output_ok": ("S028",),
    "output_absent": ("S030",),
    "input_switches_closed": ("S033", "S034", "S037"),  # Q41, Q42, Q30
    "remote_controls_enabled": ("S045",),
    "imminent_stop": ("A000",),
    "overload": ("A003",),
    "source1_failed": ("A009",),
    "source2_failed": ("A013",),
}

FLAGS_BY_MAP: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "jbusp": JBUSP_FLAGS,
    "vumap": VUMAP_FLAGS,
    "sts": STS_FLAGS,
}

# The alarm each map raises when any other alarm is active (JBUSP A00, VU-MAP A015, STS A031).
GENERAL_ALARM: Mapping[str, str] = {"jbusp": "A00", "vumap": "A015", "sts": "A031"}


def unit_synthesis(map_name: str, kind: str, unit: int) -> str | None:
    """System-level bit for unit ``unit`` of a parallel system.

    JBUSP: S32–S37 unit present, A32–A37 unit general alarm (App. JBUSP).
    VU-MAP: S096– operating, S112– available, A096– general alarm, A112– imminent stop.
    """
    if map_name == "jbusp":
        if unit > 6:
            return None
        return {"present": f"S{31 + unit:02d}", "general_alarm": f"A{31 + unit:02d}"}.get(kind)
    if map_name == "vumap":
        if unit > 15:
            return None
        return {
            "operating": f"S{95 + unit:03d}",
            "available": f"S{111 + unit:03d}",
            "general_alarm": f"A{95 + unit:03d}",
            "imminent_stop": f"A{111 + unit:03d}",
        }.get(kind)
    return None


def is_synthesis_bit(map_name: str, acronym: str) -> bool:
    """Unit synthesis bits do not raise the system's own general alarm."""
    number = int(acronym[1:])
    if map_name == "jbusp":
        return 32 <= number <= 37
    if map_name == "vumap":
        return number >= 96
    return False
