"""The shutdown service in the daemon, polling the simulator (EN §16.8): a mains failure
sends the messages to the clients as NET VISION events, the UPS output is switched off
through the standby control and on again after the mains returns; the AC-fail test.

One minute of the settings lasts one second here (ShutdownService.minute)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from netvision.events.bus import Event
from netvision.services.shutdown import ShutdownService, conditions
from netvision.services.shutdown.status import Phase, ShutdownStatus, UpsShutOff
from netvision.settings.models import ShutdownSettings
from netvision.ups.model import Snapshot
from tests.conftest import wait_for

SHUTDOWN_IDS = (
    "nv.shutdown_warning_sent",
    "nv.shutdown_request_sent",
    "nv.shutdown_cancel_sent",
    "nv.ups_shutdown_command_sent",
    "nv.ups_output_on_sent",
)


def simple_present_events(
    snapshot: Snapshot | None, settings: ShutdownSettings, now: datetime
) -> frozenset[str]:
    """On battery = AC failed; battery low while on battery (as conditions.py says)."""
    if snapshot is None or not snapshot.communicating or snapshot.system is None:
        return frozenset()
    system = snapshot.system
    present = set()
    if system.condition("on_battery"):
        present.add("ac_failed")
        if system.condition("battery_low"):
            present.add("battery_low")
    return frozenset(present)


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(ShutdownService, "tick", 0.1)
    monkeypatch.setattr(ShutdownService, "minute", 1.0)
    monkeypatch.setattr(ShutdownService, "test_cancel_delay", 1.5)
    try:
        conditions.present_events(None, ShutdownSettings(), datetime.now(UTC))
    except NotImplementedError:
        monkeypatch.setattr(conditions, "present_events", simple_present_events)
    yield


def row(**values: Any) -> dict[str, Any]:
    return {
        "event": "ac_failed",
        "enabled": True,
        "warning_period": 0,
        "first_warning": 0,
        "warning_interval": 0,
        **values,
    }


async def start(
    make_daemon: Any, shutdown: dict[str, Any], **simulator: Any
) -> tuple[Any, ShutdownService, list[Event]]:
    daemon = await make_daemon({"shutdown": shutdown}, **simulator)
    (service,) = [s for s in daemon.services if isinstance(s, ShutdownService)]
    events: list[Event] = []
    daemon.bus.on_event(lambda event: events.append(event) if event.id in SHUTDOWN_IDS else None)
    return daemon, service, events


def ids(events: list[Event]) -> list[str]:
    return [event.id for event in events]


def status(daemon: Any) -> ShutdownStatus:
    offered: ShutdownStatus = daemon._context.offers["shutdown.status"]()
    return offered


@pytest.mark.parametrize("map_name", ["jbusp", "vumap"])
async def test_mains_failure_switches_the_ups_off_and_on_delay_zero_keeps_it_off(
    make_daemon: Any, map_name: str
) -> None:
    shutdown = {"ups_shut_off": True, "ups_shut_off_delay": 1, "ups_on_delay": 0, "events": [row()]}
    daemon, service, events = await start(make_daemon, shutdown, map_name=map_name)
    # The UPS says it manages the Standby Schedule (JBUSP S29, VU-MAP T008 b06).
    assert daemon.ups.snapshot.system.condition("standby_schedule")
    device = daemon.test_simulator.device
    device.scenario("mains_failure")
    await wait_for(lambda: device.ups.path == "off", timeout=20)
    assert ids(events) == ["nv.shutdown_request_sent", "nv.ups_shutdown_command_sent"]
    request = events[0]
    assert request.data["event"] == "ac_failed" and request.trap == 21
    assert "UPS on battery (AC failed)" in request.text_en
    assert ("standby_on", None) in device.control_log
    assert status(daemon).phase is Phase.SHUTDOWN and status(daemon).ups_shut_off is UpsShutOff.OFF
    assert service.counters()["ups_shut_offs"] == 1
    # The mains returns: On Delay 0, the UPS stays off; the clients recover.
    device.scenario("mains_restored")
    await wait_for(lambda: "nv.shutdown_cancel_sent" in ids(events), timeout=20)
    assert device.ups.path == "off"
    assert status(daemon).phase is Phase.IDLE and status(daemon).ups_shut_off is UpsShutOff.OFF
    assert "nv.ups_output_on_sent" not in ids(events)


async def test_output_on_after_the_on_delay(make_daemon: Any) -> None:
    shutdown = {"ups_shut_off": True, "ups_shut_off_delay": 1, "ups_on_delay": 2, "events": [row()]}
    daemon, _service, events = await start(make_daemon, shutdown)
    device = daemon.test_simulator.device
    device.scenario("mains_failure")
    await wait_for(lambda: device.ups.path == "off", timeout=20)
    device.scenario("mains_restored")
    await wait_for(lambda: status(daemon).ups_shut_off is UpsShutOff.RESTART_PENDING, timeout=20)
    assert device.ups.path == "off"  # the On Delay runs (2 "minutes" = 2 s here)
    await wait_for(lambda: device.ups.path == "inverter", timeout=20)
    assert ids(events) == [
        "nv.shutdown_request_sent",
        "nv.ups_shutdown_command_sent",
        "nv.ups_output_on_sent",
        "nv.shutdown_cancel_sent",
    ]
    assert ("standby_off", None) in device.control_log
    assert status(daemon).phase is Phase.IDLE and status(daemon).ups_shut_off is UpsShutOff.NONE


async def test_warning_then_cancel_when_the_mains_returns(make_daemon: Any) -> None:
    shutdown = {"events": [row(warning_period=30)]}
    daemon, _service, events = await start(make_daemon, shutdown)
    device = daemon.test_simulator.device
    device.scenario("mains_failure")
    await wait_for(lambda: "nv.shutdown_warning_sent" in ids(events), timeout=20)
    warning = events[0]
    assert warning.trap == 20 and warning.data["event"] == "ac_failed"
    assert 25 <= warning.data["seconds"] <= 30
    assert f"shutdown in {warning.data['seconds']} s" in warning.text_en
    assert status(daemon).phase is Phase.WARNING
    device.scenario("mains_restored")
    await wait_for(lambda: "nv.shutdown_cancel_sent" in ids(events), timeout=20)
    assert ids(events) == ["nv.shutdown_warning_sent", "nv.shutdown_cancel_sent"]
    assert device.control_log == []  # no UPS shut-off: not enabled


async def test_shutdown_test_sends_request_then_cancel_and_never_switches_the_ups_off(
    make_daemon: Any,
) -> None:
    shutdown = {"ups_shut_off": True, "ups_shut_off_delay": 0, "events": [row(warning_period=1)]}
    daemon, service, events = await start(make_daemon, shutdown)
    offers = daemon._context.offers
    assert offers["shutdown.test"]("admin", "web") == ""
    assert offers["shutdown.test"]("admin", "web") != ""  # refused while it runs
    await wait_for(lambda: "nv.shutdown_cancel_sent" in ids(events), timeout=20)
    assert ids(events) == ["nv.shutdown_warning_sent", "nv.shutdown_request_sent", "nv.shutdown_cancel_sent"]
    assert all(event.data["test"] and event.data["event"] == "test" for event in events)
    assert "Shutdown test" in events[1].text_en
    assert daemon.test_simulator.device.control_log == []
    assert service.counters()["tests"] == 1
    assert offers["shutdown.test"]("admin", "web") == ""  # ready again


async def test_shutdown_test_refused_when_ac_failed_is_disabled(make_daemon: Any) -> None:
    daemon, _service, events = await start(make_daemon, {"events": [row(enabled=False)]})
    reason = daemon._context.offers["shutdown.test"]("admin", "web")
    assert "AC failed" in reason
    assert status(daemon).phase is Phase.IDLE and events == []


async def test_forced_shutdown_by_a_nut_primary(make_daemon: Any) -> None:
    daemon, _service, events = await start(make_daemon, {"events": [row()]})
    daemon._context.offers["shutdown.force"]("upsmon", "nut 127.0.0.1")
    assert status(daemon).forced_shutdown and status(daemon).event == "client"
    assert ids(events) == ["nv.shutdown_request_sent"]


async def test_ups_shut_off_once_the_nut_clients_logged_out(make_daemon: Any) -> None:
    from netvision.services.nut.clients import NutClient

    shutdown = {
        "ups_shut_off": True,
        "ups_shut_off_delay": 600,
        "shut_off_after_logout": 1,
        "ups_on_delay": 0,
        "events": [row()],
    }
    daemon, _service, events = await start(make_daemon, shutdown)
    offers = daemon._context.offers
    client = NutClient(1, "127.0.0.1", 40000, datetime.now(UTC), user="upsmon", ups="ups")
    offers["nut.clients"] = lambda: (client,)
    device = daemon.test_simulator.device
    device.scenario("mains_failure")
    await wait_for(lambda: status(daemon).ups_shut_off is UpsShutOff.WAITING, timeout=20)
    assert status(daemon).clients_seen and device.ups.path == "inverter"
    # The host logs out in its last steps of shutdown: the output goes off a second later,
    # long before the 600 s shut-off delay.
    offers["nut.clients"] = lambda: ()
    await wait_for(lambda: device.ups.path == "off", timeout=20)
    assert ids(events) == ["nv.shutdown_request_sent", "nv.ups_shutdown_command_sent"]


async def test_a_lost_link_neither_cancels_nor_stops_the_warning_period(make_daemon: Any) -> None:
    shutdown = {"events": [row(warning_period=4)]}
    daemon = await make_daemon(
        {"shutdown": shutdown, "serial": {"failed_cycles_before_lost": 1, "request_retries": 0}}
    )
    events: list[Event] = []
    daemon.bus.on_event(lambda event: events.append(event) if event.id in SHUTDOWN_IDS else None)
    sim = daemon.test_simulator
    sim.device.scenario("mains_failure")
    await wait_for(lambda: status(daemon).phase is Phase.WARNING, timeout=20)
    sim.slave.fault("no_answer")
    await wait_for(lambda: not daemon.ups.snapshot.communicating, timeout=20)
    # The UPS was on battery when it stopped answering: the deadline still comes.
    await wait_for(lambda: status(daemon).phase is Phase.SHUTDOWN, timeout=20)
    assert "nv.shutdown_cancel_sent" not in ids(events)
    sim.slave.clear_faults()
    sim.device.scenario("mains_restored")
    await wait_for(lambda: "nv.shutdown_cancel_sent" in ids(events), timeout=30)
