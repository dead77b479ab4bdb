"""Which controls the UPS permits (§16.1): remote controls, the permission table, JBUSP S42."""

from __future__ import annotations

import re
from pathlib import Path

from netvision.ups import controls
from netvision.ups.maps import JBUSP, VUMAP
from netvision.ups.status import evaluate_conditions

# C01/C02: standby on/off (an assumption of maps/jbusp.py), C03/C04, C10/C11.
JBUSP_TABLE = {0x05C0: 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 10 | 1 << 11, 0x05C1: 0, 0x15C1: 1}


def jbusp_conditions(*statuses: str) -> dict[str, bool]:
    return evaluate_conditions(JBUSP, frozenset(statuses))


def test_jbusp_with_a_permission_table_follows_its_bits():
    conditions = jbusp_conditions("S42", "S13")
    assert controls.permissions(JBUSP, 1, JBUSP_TABLE, conditions) == dict.fromkeys(JBUSP.controls, True)
    forbidden = {**JBUSP_TABLE, 0x05C0: 1 << 3}
    permitted = controls.permissions(JBUSP, 1, forbidden, conditions)
    assert permitted["eco_mode_on"] and not permitted["transfer_to_bypass"]
    assert "permission bit is 0" in controls.check_permission(JBUSP, "transfer_to_bypass", 1, forbidden, conditions)
    # A table the UPS manages but that could not be read permits nothing.
    assert not any(controls.permissions(JBUSP, 1, {}, conditions).values())


def test_jbusp_without_a_permission_table_permits_the_controls_it_announces():
    # S42 = 0: the table is not managed; its words (here unreadable) are not looked at.
    conditions = jbusp_conditions("S13", "S29")
    assert controls.permissions(JBUSP, 1, {}, conditions) == dict.fromkeys(JBUSP.controls, True)
    # The standby controls are announced by S29 "Stand-by schedule".
    assert not controls.permissions(JBUSP, 1, {}, jbusp_conditions("S13"))["standby_on"]
    # The battery test is announced by S13 "Battery test supported".
    without_test = controls.permissions(JBUSP, 1, {}, jbusp_conditions())
    assert not without_test["battery_test"] and without_test["eco_mode_on"]
    assert "not offered" in controls.check_permission(JBUSP, "battery_test", 1, {}, jbusp_conditions())


def test_jbusp_remote_controls_disabled_refuses_everything_with_or_without_table():
    for statuses in (("S06", "S42", "S13"), ("S06", "S13")):
        conditions = jbusp_conditions(*statuses)
        assert not any(controls.permissions(JBUSP, 1, JBUSP_TABLE, conditions).values())
        assert "remote controls" in controls.check_permission(JBUSP, "eco_mode_on", 1, JBUSP_TABLE, conditions)


def test_vumap_always_reads_its_permission_bits():
    words = {0x00C9: 1, 0x00CA: 1 << 0}  # P000 remote permitted, P016 eco mode on only
    permitted = controls.permissions(VUMAP, 0, words, {})
    assert permitted["eco_mode_on"] and not permitted["eco_mode_off"] and not permitted["battery_test"]


def test_decode_and_poller_hold_no_map_specific_literals():
    # Map-specific logic lives in ups/maps: no map-name test, no status/alarm acronym.
    root = Path(controls.__file__).parent
    for name in ("decode.py", "poller.py"):
        source = (root / name).read_text()
        assert "map_name ==" not in source and not re.search(r"\.name\s*[!=]=\s*\"(jbusp|vumap|sts)\"", source)
        assert not re.search(r"[\"'][SA]\d{2,3}[\"']", source), name
