"""The BACnet/IP device, seen by a BACnet client (bacpypes3's client side) run as
its own process on loopback, against the simulator on a pty.

Loopback has no broadcast, so Who-Is and Who-Has are sent unicast to the
device, which answers them the same way.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from netvision.daemon import Daemon
from netvision.services.bacnet import objects as o
from netvision.services.bacnet.values import compute
from netvision.ups.model import Snapshot
from tests.conftest import free_port, next_snapshot, wait_for

CLIENT = [sys.executable, "-m", "netvision.services.bacnet.client"]


async def client(port: int, *arguments: str, device_id: int = 1883) -> list[dict[str, Any]]:
    """Run one client command; its JSON lines."""
    process = await asyncio.create_subprocess_exec(
        *CLIENT,
        "--device",
        f"127.0.0.1:{port}",
        "--device-id",
        str(device_id),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def read_all(port: int, device_id: int = 1883) -> dict[str, Any]:
    (result,) = await client(port, "read-all", device_id=device_id)
    return result


async def start(make_daemon: Callable[..., Awaitable[Daemon]], serial: dict[str, Any] | None = None, **sim: Any) -> tuple[Daemon, int]:
    port = free_port(socket.SOCK_DGRAM)
    overrides: dict[str, Any] = {"bacnet": {"enabled": True, "bind": "127.0.0.1", "port": port}}
    if serial:
        overrides["serial"] = serial
    daemon = await make_daemon(overrides, **sim)
    # The daemon is communicating: one more cycle so every object holds UPS data.
    await next_snapshot(daemon)
    return daemon, port


class Recorder:
    """Every snapshot published while a read is in flight."""

    def __init__(self, daemon: Daemon) -> None:
        assert daemon.ups is not None
        self.snapshots: list[Snapshot] = [daemon.ups.snapshot]
        daemon.ups.subscribe(self.snapshots.append)


def present_values(result: dict[str, Any]) -> dict[str, Any]:
    return {key: entry["present-value"] for key, entry in result["objects"].items()}


def real(value: float) -> float:
    """``value`` as a BACnet REAL (32 bits) carries it."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def expected_values(snapshot: Snapshot, unit_select: int) -> dict[str, Any]:
    values = compute(snapshot, unit_select)
    expected: dict[str, Any] = {}
    expected.update({f"analog-value,{i}": real(v) for i, v in values.analog.items()})
    expected.update({f"multi-state-value,{i}": v for i, v in values.multi_state.items()})
    expected.update({f"bitstring-value,{i}": list(v) for i, v in values.bitstring.items()})
    return expected


def assert_served_from_a_snapshot(result: dict[str, Any], recorder: Recorder, unit_select: int = 0) -> None:
    """Each present value is the one a snapshot current during the read gives."""
    served = present_values(result)
    candidates = [expected_values(snapshot, unit_select) for snapshot in recorder.snapshots if snapshot.communicating]
    assert candidates
    for key, value in served.items():
        assert any(candidate[key] == value for candidate in candidates), (key, value, [c[key] for c in candidates])


def near(value: float, expected: float | None, scale: int = 1) -> bool:
    if expected is None:
        return value == -1
    target = expected * scale
    return abs(value - target) <= max(2.0, 0.05 * abs(target))


def by_name(result: dict[str, Any]) -> dict[str, Any]:
    return {entry["object-name"]: entry["present-value"] for entry in result["objects"].values()}


# ---------------------------------------------------------------------------------------------


async def test_who_is_gets_i_am_with_device_1883_and_vendor_591(make_daemon: Any) -> None:
    daemon, port = await start(make_daemon, map_name="jbusp")
    lines = await client(port, "whois", "--low", "1883", "--high", "1883")
    assert lines[0]["i_am"] == 1883
    assert lines[0]["vendor"] == 591
    assert lines[0]["max_apdu"] == 1476
    assert lines[-1] == {"done": 1}
    assert f"bacnet udp 127.0.0.1:{port} (device 1883)" in daemon.addresses()


async def test_who_has_finds_an_object_by_name(make_daemon: Any) -> None:
    _daemon, port = await start(make_daemon, map_name="jbusp")
    lines = await client(port, "who-has", "UnitAlarms", "--timeout", "1")
    assert lines[0] == {"i_have": "bitstring-value,2", "name": "UnitAlarms"}


async def test_object_list_and_properties_are_the_interface_documents(make_daemon: Any) -> None:
    daemon, port = await start(make_daemon, map_name="vumap", topology="three_phase")
    result = await read_all(port)
    objects = result["objects"]
    assert len(result["device"]["object-list"]) == 1 + 88 + 10 + 3
    for row in o.ANALOG_OBJECTS:
        entry = objects[f"analog-value,{row.instance}"]
        assert entry["object-name"] == row.name
        assert entry["units"] == row.units
    for state_row in o.MULTI_STATE_OBJECTS:
        entry = objects[f"multi-state-value,{state_row.instance}"]
        assert entry["object-name"] == state_row.name
        assert entry["number-of-states"] == state_row.number_of_states
        assert entry["state-text"] == list(state_row.states)
        assert 1 <= entry["present-value"] <= state_row.number_of_states
    for bits_row in o.BITSTRING_OBJECTS:
        entry = objects[f"bitstring-value,{bits_row.instance}"]
        assert entry["object-name"] == bits_row.name
        assert entry["bit-text"] == list(bits_row.bits)
        assert len(entry["present-value"]) == len(bits_row.bits)
    assert objects["multi-state-value,8"]["state-text"] == ["NOT PRESENT", "OUT OF TOL", "GEN SET", "OK"]
    # Device object (BAC §5.2.1).
    snapshot = daemon.ups.snapshot  # type: ignore[union-attr]
    identity = snapshot.identity
    assert identity is not None
    device = result["device"]
    assert device["object-name"] == identity.model
    assert device["vendor-name"] == "SOCOMEC UPS"
    assert device["vendor-identifier"] == 591
    assert device["model-name"] == f"{identity.nominal_kva:g} kVA"
    assert device["description"] == identity.serial_number
    assert device["location"] == "0"
    assert device["profile-name"] == "factor_10"  # the simulator's VU-MAP T014 = 1
    services = device["protocol-services-supported"]
    # subscribeCOV 5, readProperty 12, readPropertyMultiple 14, writeProperty 15,
    # writePropertyMultiple 16, i-Am 26, i-Have 27, who-Has 33, who-Is 34.
    assert {bit for bit, on in enumerate(services) if on} == {5, 12, 14, 15, 16, 26, 27, 33, 34}
    types = device["protocol-object-types-supported"]
    # analog-value 2, device 8, multi-state-value 19, bitstring-value 39.
    assert {bit for bit, on in enumerate(types) if on} == {2, 8, 19, 39}
    assert snapshot.ups_time is None or device["local-date"][:3] == [
        snapshot.ups_time.year - 1900,
        snapshot.ups_time.month,
        snapshot.ups_time.day,
    ]


async def test_analog_units_codes(make_daemon: Any) -> None:
    _daemon, port = await start(make_daemon, map_name="jbusp")
    result = await read_all(port)
    units = {entry["object-name"]: entry["units"] for entry in result["objects"].values() if "units" in entry}
    # BACnetEngineeringUnits codes of BAC §5.2.2.
    assert units["UPS_OUTPUT_fr"] == 27  # hertz
    assert units["BATTERY_Min"] == 72  # minutes
    assert units["BATTERY_s"] == 73  # seconds
    assert units["UNIT_TMP"] == 62  # degrees Celsius
    assert units["UPS_OUTPUT_pf1"] == 15  # power factor
    assert units["BATTERY_Ah"] == 95  # no units (BAC; FR says 261)
    assert units["UPS_OUTPUT_cf"] == 95
    assert units["UPS_OUTPUT_Lr"] == 98  # percent
    assert units["UNIT_OUTPUT_kVA1"] == 9
    assert units["BYPASS_kw3"] == 48
    assert units["RECTIFIER_I1"] == 3
    assert units["BATTERY_V+"] == 5


# (scenario, UPSLoadStatus, BatteryStatus)
SCENARIOS = [
    ("normal", 3, 10),
    ("mains_failure", 2, 5),
    ("bypass", 6, 10),
    ("eco_mode", 5, 10),
    ("maintenance_bypass", 1, 10),
    ("load_off", 7, 10),
    ("battery_test", 3, 8),
    ("battery_low", 2, 4),
    ("overload", 3, 10),
]


@pytest.mark.parametrize("map_name", ["jbusp", "vumap"])
async def test_present_values_follow_the_simulator_in_each_scenario(make_daemon: Any, map_name: str) -> None:
    daemon, port = await start(make_daemon, map_name=map_name, topology="three_phase")
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    assert daemon.ups is not None
    factor = 10 if map_name == "vumap" else 1  # factor_10 columns when T014 = 1
    for scenario, load_status, battery_status in SCENARIOS:
        sim.device.scenario("normal")
        sim.device.scenario(scenario)
        await next_snapshot(daemon)
        await next_snapshot(daemon)
        truth = sim.device.measurements()
        recorder = Recorder(daemon)
        result = await read_all(port)
        assert_served_from_a_snapshot(result, recorder)
        values = by_name(result)
        assert values["DeviceStatus"] == 1, scenario
        assert values["UPSLoadStatus"] == load_status, scenario
        assert values["UnitLoadStatus"] == load_status, scenario
        assert values["BatteryStatus"] == battery_status, scenario
        # Single unit: the UPS-level objects are a copy of the unit's (FR annex).
        assert values["UPS_OUTPUT_V1"] == values["UNIT_OUTPUT_V1"]
        assert near(values["UPS_OUTPUT_V1"], truth.get("output_voltage_l1")), scenario
        assert near(values["UPS_OUTPUT_fr"], truth.get("output_frequency"), 10), scenario
        assert near(values["RECTIFIER_V1"], truth.get("input_voltage_l1")), scenario
        assert near(values["BATTERY_%"], truth.get("battery_capacity")), scenario
        assert near(values["UNIT_OUTPUT_I1"], truth.get("output_current_l1"), factor), scenario
        if scenario == "normal":
            # The UPS's decimals are kept (1.4 kW is not 1 kW): some values have a fraction.
            served = [value for key, value in present_values(result).items() if key.startswith("analog-value")]
            assert any(value != round(value) for value in served)
        assert values["RectifierStatus"] == (1 if scenario == "mains_failure" else values["RectifierStatus"])
        unit_alarms = values["UnitAlarms"]
        assert unit_alarms[10] == (1 if scenario == "mains_failure" else unit_alarms[10])
        if scenario == "mains_failure":
            assert unit_alarms[10] == 1  # ON BATTERY
            assert values["InputRecStatus"] == 1  # NOT PRESENT
        if scenario == "normal":
            assert values["InputRecStatus"] == 4
            assert values["UnitStatus"] == 5  # OPERATING
            assert values["Alarms"] == 1  # NO ALARM
        if scenario == "overload":
            assert unit_alarms[1] == 1  # OVERLOAD
            assert values["UPSAlarms"][1] == 1  # UPS OVERLOAD (a copy on a single unit)
            assert values["Alarms"] == 4  # GENERAL ALARM
        if scenario == "battery_low":
            assert unit_alarms[9] == 1  # BATTERY LOW


async def test_single_phase_ups_reads_minus_one_on_phases_2_and_3(make_daemon: Any) -> None:
    _daemon, port = await start(make_daemon, map_name="jbusp", topology="single_phase")
    values = by_name(await read_all(port))
    for name in ("UPS_OUTPUT_V2", "UPS_OUTPUT_V3", "UNIT_OUTPUT_I2", "UNIT_OUTPUT_U12", "BYPASS_V3"):
        assert values[name] == -1, name
    assert values["UPS_OUTPUT_V1"] > 100


async def test_parallel_concentrator_and_multi_units(make_daemon: Any) -> None:
    daemon, port = await start(make_daemon, map_name="vumap", topology="parallel", units=3)
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    # Unit select 0 ("concentrator"): unit objects carry the system's values.
    recorder = Recorder(daemon)
    result = await read_all(port)
    assert_served_from_a_snapshot(result, recorder, unit_select=0)
    values = by_name(result)
    assert values["UNIT_OUTPUT_Lr"] == values["UPS_OUTPUT_Lr"]
    assert values["UPSStatus"][1:4] == [1, 1, 1]  # units 1-3 operating
    assert values["UPSStatus"][4:] == [0] * 12
    # Unit select 2 ("multi-units"): unit objects carry unit 2's values, Location says 2.
    await daemon.settings_manager.change({"serial.unit_select": 2}, via="test", by="test")
    await next_snapshot(daemon)
    recorder = Recorder(daemon)
    result = await read_all(port)
    assert_served_from_a_snapshot(result, recorder, unit_select=2)
    assert result["device"]["location"] == "2"
    values = by_name(result)
    unit2 = sim.device.measurements(2)
    assert near(values["UNIT_OUTPUT_V1"], unit2.get("output_voltage_l1"))
    assert near(values["UNIT_OUTPUT_I1"], unit2.get("output_current_l1"), 10)
    system = sim.device.measurements()
    assert near(values["UPS_OUTPUT_I1"], system.get("output_current_l1"))
    # A unit that is not in the system: unit objects flagged as faults.
    await daemon.settings_manager.change({"serial.unit_select": 9}, via="test", by="test")
    result = await read_all(port)
    assert result["objects"]["analog-value,26"]["status-flags"] == [0, 1, 0, 1]
    assert result["objects"]["analog-value,0"]["status-flags"] == [0, 0, 0, 0]


async def test_every_write_is_refused_with_write_access_denied(make_daemon: Any) -> None:
    _daemon, port = await start(make_daemon, map_name="jbusp")
    before = await read_all(port)
    for identifier, prop, value in (
        ("analog-value,0", "present-value", "12.5"),
        ("analog-value,1", "object-name", "HACKED"),
        ("analog-value,2", "out-of-service", "1"),
        ("multi-state-value,1", "present-value", "2"),
        ("bitstring-value,0", "description", "x"),
        ("device,1883", "object-name", "HACKED"),
        ("device,1883", "location", "somewhere"),
    ):
        lines = await client(port, "write", identifier, prop, value)
        assert lines == [{"error": "property/write-access-denied"}], (identifier, prop)
    lines = await client(port, "write", "analog-value,0", "present-value", "1", "--priority", "8")
    assert lines == [{"error": "property/write-access-denied"}]
    lines = await client(port, "write", "analog-value,500", "present-value", "1")
    assert lines == [{"error": "object/unknown-object"}]
    lines = await client(port, "write-multiple", "analog-value,3", "present-value", "7")
    assert lines == [{"error": "property/write-access-denied"}]
    lines = await client(port, "write-multiple", "analog-value,500", "present-value", "7")
    assert lines == [{"error": "object/unknown-object"}]
    after = await read_all(port)
    assert after["device"]["object-name"] == before["device"]["object-name"]
    assert after["objects"]["analog-value,1"]["object-name"] == "UPS_OUTPUT_kVA"


class CovWatcher:
    """The client's ``cov`` command running as its own process; its records as they arrive."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, port: int, *objects: str, confirmed: bool = False) -> CovWatcher:
        process = await asyncio.create_subprocess_exec(
            *CLIENT,
            "--device",
            f"127.0.0.1:{port}",
            "cov",
            *objects,
            *(["--confirmed"] if confirmed else []),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    def mark(self) -> int:
        return len(self.seen)

    async def expect(self, since: int, *predicates: Callable[[dict[str, Any]], bool]) -> None:
        """Every predicate matches a record received from ``since`` on, in any order."""
        assert self.process.stdout is not None
        position = since
        waiting = list(predicates)
        while True:
            while position < len(self.seen) and waiting:
                waiting = [predicate for predicate in waiting if not predicate(self.seen[position])]
                position += 1
            if not waiting:
                return
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), timeout=30)
            except TimeoutError:
                raise AssertionError(f"no matching notification; received {self.seen[since:]}") from None
            assert line, "the client ended"
            self.seen.append(json.loads(line))

    async def close(self) -> None:
        self.process.kill()
        await self.process.wait()


def notification(obj: str, value: Callable[[Any], bool], prop: str = "present-value") -> Callable[[dict[str, Any]], bool]:
    def match(record: dict[str, Any]) -> bool:
        note = record.get("notification")
        return bool(note) and note["object"] == obj and note["property"] == prop and value(note["value"])

    return match


@pytest.mark.parametrize("confirmed", [False, True], ids=["unconfirmed", "confirmed"])
async def test_cov_notifications_arrive_on_change_for_analog_and_multi_state(make_daemon: Any, confirmed: bool) -> None:
    daemon, port = await start(make_daemon, map_name="vumap")
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    # RECTIFIER_V1 and UPSLoadStatus
    watcher = await CovWatcher.start(port, "analog-value,53", "multi-state-value,1", confirmed=confirmed)
    try:
        # A new subscription gets the current values at once.
        await watcher.expect(
            0,
            notification("multi-state-value,1", lambda v: v == 3),
            notification("analog-value,53", lambda v: v > 100),
        )
        mark = watcher.mark()
        sim.device.scenario("mains_failure")
        await watcher.expect(
            mark,
            notification("multi-state-value,1", lambda v: v == 2),
            notification("analog-value,53", lambda v: v < 50),
        )
        mark = watcher.mark()
        sim.device.scenario("mains_restored")
        await watcher.expect(
            mark,
            notification("multi-state-value,1", lambda v: v == 3),
            notification("analog-value,53", lambda v: v > 100),
        )
    finally:
        await watcher.close()


async def test_lost_communication_flags_fault_and_out_of_service_then_recovers(make_daemon: Any) -> None:
    daemon, port = await start(make_daemon, map_name="jbusp", serial={"failed_cycles_before_lost": 1})
    sim = daemon.test_simulator  # type: ignore[attr-defined]
    assert daemon.ups is not None
    poller = daemon.ups
    good = by_name(await read_all(port))
    watcher = await CovWatcher.start(port, "analog-value,15", "bitstring-value,2")
    try:
        await watcher.expect(0, notification("analog-value,15", lambda v: v > 100))
        mark = watcher.mark()
        sim.slave.fault("no_answer")
        await wait_for(lambda: poller.snapshot.communication.state.value == "lost", timeout=30)
        # The change of Status_Flags is notified (BACnet clause 13.1), for AV and BSV alike.
        await watcher.expect(
            mark,
            notification("analog-value,15", lambda v: v == [0, 1, 0, 1], "status-flags"),
            notification("bitstring-value,2", lambda v: v == [0, 1, 0, 1], "status-flags"),
        )
    finally:
        await watcher.close()
    result = await read_all(port)
    values = by_name(result)
    assert values["DeviceStatus"] == 3  # No com with UPS
    av = result["objects"]["analog-value,15"]
    assert av["status-flags"] == [0, 1, 0, 1]
    assert av["out-of-service"] in (True, 1)
    assert values["UPS_OUTPUT_V1"] == pytest.approx(good["UPS_OUTPUT_V1"], abs=3)  # last value kept
    assert result["objects"]["multi-state-value,0"]["status-flags"] == [0, 0, 0, 0]
    sim.slave.clear_faults()
    await wait_for(lambda: poller.snapshot.communicating, timeout=30)
    await next_snapshot(daemon)
    result = await read_all(port)
    assert by_name(result)["DeviceStatus"] == 1
    assert result["objects"]["analog-value,15"]["status-flags"] == [0, 0, 0, 0]


async def test_malformed_datagrams_are_dropped_and_the_device_keeps_answering(make_daemon: Any) -> None:
    _daemon, port = await start(make_daemon, map_name="jbusp")
    rng = __import__("random").Random(6)
    datagrams = [
        b"",
        b"\x81",
        b"\x81\x0a",
        b"\x81\x0a\x00\x04",  # BVLL with no NPDU
        b"\x81\x0a\x00\x05\x01",  # NPDU cut short
        b"\x81\x0a\x00\x08\x01\x04\x00\x05",  # confirmed request cut short
        b"\x81\x0a\x00\x0c\x01\x04\x02\x75\x01\x0c\x0c\x00",  # ReadProperty, truncated tag
        b"\x81\x0a\xff\xff\x01\x00\x10\x08",  # length field lies
        b"\x81\x0b\x00\x09\x01\x20\xff\xff\x00",  # broadcast with a bad destination
        b"\x82\x00\x00\x04",  # not BACnet/IP
        *(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))) for _ in range(200)),
        *(b"\x81\x0a" + bytes(rng.randrange(256) for _ in range(rng.randrange(2, 60))) for _ in range(200)),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for datagram in datagrams:
            sender.sendto(datagram, ("127.0.0.1", port))
    lines = await client(port, "whois", "--low", "1883", "--high", "1883")
    assert lines[0]["i_am"] == 1883
    assert by_name(await read_all(port))["DeviceStatus"] == 1


async def test_settings_change_moves_the_device_without_restart(make_daemon: Any) -> None:
    daemon, port = await start(make_daemon, map_name="jbusp")
    new_port = free_port(socket.SOCK_DGRAM)
    await daemon.settings_manager.change(
        {"bacnet.port": new_port, "bacnet.device_id": 4242}, via="test", by="test"
    )
    lines = await client(new_port, "whois", "--low", "4242", "--high", "4242", device_id=4242)
    assert lines[0]["i_am"] == 4242
    assert by_name(await read_all(new_port, device_id=4242))["DeviceStatus"] == 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", port))  # the old port was released
    await daemon.settings_manager.change({"bacnet.enabled": False}, via="test", by="test")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", new_port))


async def test_bacnet_is_not_offered_for_an_sts(make_daemon: Any) -> None:
    daemon, port = await start(make_daemon, map_name="sts")
    assert not any(line.startswith("bacnet ") for line in daemon.addresses())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", port))  # nothing listens
