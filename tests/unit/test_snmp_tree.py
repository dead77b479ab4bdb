"""The bisect table behind GET/GETNEXT, engine ID and boots, and the trap filters."""

from __future__ import annotations

from pathlib import Path

from netvision.events.bus import Severity
from netvision.services.snmp.engine_id import engine_id, next_engine_boots
from netvision.services.snmp.traps import Trap, alarm_trap, receiver_wants
from netvision.services.snmp.tree import OidTree, format_oid, parse_oid
from netvision.settings.models import TrapReceiver


def test_getnext_returns_the_first_oid_after_the_request_in_snmp_order() -> None:
    tree = OidTree([((1, 3, 6, 1, 2, 1, 1, 10, 0), "b"), ((1, 3, 6, 1, 2, 1, 1, 2, 0), "a")])
    assert tree.next((1, 3, 6, 1, 2, 1, 1, 2, 0)) == ((1, 3, 6, 1, 2, 1, 1, 10, 0), "b")  # 10 after 2, not "1" < "2"
    assert tree.next((1,)) == ((1, 3, 6, 1, 2, 1, 1, 2, 0), "a")
    assert tree.next((1, 3, 6, 1, 2, 1, 1, 2)) == ((1, 3, 6, 1, 2, 1, 1, 2, 0), "a")  # a prefix precedes its child
    assert tree.next((1, 3, 6, 1, 2, 1, 1, 10, 0)) is None  # end of the view


def test_get_answers_only_exact_instances() -> None:
    tree = OidTree([((1, 3, 6, 1, 2, 1, 1, 5, 0), "name")])
    assert tree.get((1, 3, 6, 1, 2, 1, 1, 5, 0)) == "name"
    assert tree.get((1, 3, 6, 1, 2, 1, 1, 5)) is None
    assert len(tree.subtree((1, 3, 6, 1, 2, 1, 1))) == 1


def test_oid_text_round_trip() -> None:
    assert format_oid(parse_oid(".1.3.6.1.4.1.4555.1.1.7")) == ".1.3.6.1.4.1.4555.1.1.7"


def test_engine_id_is_enterprise_4555_format_mac() -> None:
    assert engine_id(bytes.fromhex("0011223344ff")) == bytes.fromhex("800011cb030011223344ff")


def test_engine_boots_are_kept_and_incremented(tmp_path: Path) -> None:
    assert next_engine_boots(tmp_path) == 1
    assert next_engine_boots(tmp_path) == 2
    (tmp_path / "snmp_engine_boots").write_text("garbage")
    assert next_engine_boots(tmp_path) == 1


def _trap(number: int, severity: Severity) -> Trap:
    return Trap(number, severity)


def test_severity_filter_warning_sends_warning_and_critical_only() -> None:
    receiver = TrapReceiver(address="10.0.0.1", severity="warning")
    assert receiver_wants(receiver, _trap(6, Severity.WARNING), trap_filter=False)
    assert receiver_wants(receiver, _trap(5, Severity.CRITICAL), trap_filter=False)
    assert not receiver_wants(receiver, _trap(22, Severity.INFORMATION), trap_filter=False)


def test_trap_filter_switch_removes_trap_3_and_4_from_severity_receivers() -> None:
    receiver = TrapReceiver(address="10.0.0.1", severity="information")
    assert receiver_wants(receiver, _trap(3, Severity.WARNING), trap_filter=False)
    assert not receiver_wants(receiver, _trap(3, Severity.WARNING), trap_filter=True)
    assert not receiver_wants(receiver, _trap(4, Severity.INFORMATION), trap_filter=True)


def test_event_filter_sends_only_the_selected_traps() -> None:
    receiver = TrapReceiver(address="10.0.0.1", event_filter="events", events=[10, 3])
    assert receiver_wants(receiver, _trap(10, Severity.CRITICAL), trap_filter=True)
    assert receiver_wants(receiver, _trap(3, Severity.WARNING), trap_filter=True)
    assert not receiver_wants(receiver, _trap(5, Severity.CRITICAL), trap_filter=False)


def test_rfc1628_receiver_gets_only_the_rfc1628_traps_and_none_type_nothing() -> None:
    rfc = TrapReceiver(address="10.0.0.1", trap_type="rfc1628", severity="critical")
    assert receiver_wants(rfc, _trap(3, Severity.WARNING), trap_filter=True)
    assert not receiver_wants(rfc, _trap(10, Severity.CRITICAL), trap_filter=False)
    silent = TrapReceiver(address="10.0.0.1", trap_type="none")
    assert not receiver_wants(silent, _trap(40, Severity.INFORMATION), trap_filter=False)
    unused = TrapReceiver(address="")
    assert not receiver_wants(unused, _trap(40, Severity.INFORMATION), trap_filter=False)


def test_trap_3_and_4_of_one_mib_go_only_to_the_receivers_of_that_mib() -> None:
    netvision = TrapReceiver(address="10.0.0.1", severity="information")
    rfc = TrapReceiver(address="10.0.0.2", trap_type="rfc1628")
    nv_added = alarm_trap(True, 2, None, "Alarm 2 added")
    rfc_added = alarm_trap(True, None, (7, 8), "Alarm 8 added")
    assert receiver_wants(netvision, nv_added, trap_filter=False)
    assert not receiver_wants(rfc, nv_added, trap_filter=False)
    assert receiver_wants(rfc, rfc_added, trap_filter=False)
    assert not receiver_wants(netvision, rfc_added, trap_filter=False)
    assert (1, 3, 6, 1, 2, 1, 33, 1, 6, 2, 1, 1, 7) in dict(rfc_added.rfc1628_varbinds)  # upsAlarmId


def test_test_trap_ignores_the_severity_filter() -> None:
    receiver = TrapReceiver(address="10.0.0.1", severity="critical")
    assert receiver_wants(receiver, _trap(40, Severity.INFORMATION), trap_filter=False)


def test_mib_files_ship_with_the_package() -> None:
    from netvision.services.snmp.mibfiles import mib_file

    assert mib_file("ups").read_text().startswith("NETVISION-MIB DEFINITIONS ::= BEGIN")
    assert mib_file("sts").read_text().startswith("NETVISION-STS-MIB DEFINITIONS ::= BEGIN")
