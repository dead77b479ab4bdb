"""The web against the daemon and the simulator on a pty: temperatures in the chosen
unit on every page and live update; values marked stale once the UPS is silent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from netvision.ups.model import CommunicationState
from tests.conftest import next_snapshot, wait_for
from tests.integration.test_web_helpers import ADMIN_PASSWORD, client, login

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture


async def live_message(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    """The first 'snapshot' message of the live stream."""
    async with session.get(f"{base}/api/v1/live") as response:
        event = ""
        while True:
            line = (await asyncio.wait_for(response.content.readline(), 20)).decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "snapshot":
                return json.loads(line[6:])  # type: ignore[no-any-return]


async def test_fahrenheit_shows_fahrenheit_numbers_in_the_live_updates_and_the_tables(make_web) -> None:
    web = await make_web()
    async with client() as session:
        csrf = (await login(session, web.http, "admin", ADMIN_PASSWORD))["csrf"]
        change = {"changes": {"system.temperature_unit": "F"}}
        async with session.patch(f"{web.http}/api/v1/settings", json=change, headers={"X-CSRF-Token": csrf}) as response:
            assert response.status == 200, await response.text()
        await next_snapshot(web.daemon)
        poller = web.daemon.ups
        seen = {poller.snapshot.sequence: poller.snapshot}
        poller.subscribe(lambda snapshot: seen.__setitem__(snapshot.sequence, snapshot))
        message = await live_message(session, web.http)
        celsius = seen[message["sequence"]].system.measurement("ambient_temperature")
        shown = message["measurements"]["ambient_temperature"]
        assert shown == pytest.approx(celsius * 9 / 5 + 32)  # the dashboard and the graph show these
        rows = dict(message["views"]["system"]["tables"]["ups"])
        assert rows["Temperature (°F)"] == f"{shown:.1f}"
        async with session.get(f"{web.http}/dashboard") as response:
            page = await response.text()
        assert '"temperature_unit": "\\u00b0F"' in page or '"temperature_unit": "°F"' in page


async def test_values_are_marked_stale_with_their_read_time_when_the_ups_is_silent(make_web) -> None:
    web = await make_web()
    sim = web.simulator
    sim.device.alarm("A01", True)
    await wait_for(lambda: bool(web.daemon.ups.snapshot.system.alarms), timeout=30)
    last_good = web.daemon.ups.snapshot
    async with client() as session:
        await login(session, web.http, "admin", ADMIN_PASSWORD)
        message = await live_message(session, web.http)
        assert not message["stale"] and message["alarm_count"] >= 1 and message["last_read_text"] == ""

        sim.slave.fault("no_answer")
        await wait_for(lambda: web.daemon.ups.snapshot.communication.state is CommunicationState.LOST, timeout=60)
        lost = web.daemon.ups.snapshot
        assert lost.last_read is not None and lost.last_read >= last_good.time

        message = await live_message(session, web.http)
        assert message["stale"] and message["last_read"] == lost.last_read.isoformat()
        assert message["last_read_text"].startswith("No communication: values last read at ")
        assert message["alarm_count"] == 0 and message["alarms"] == [] and message["views"]["system"]["alarms"] == []
        assert message["measurements"]["output_voltage_l1"] is not None  # the last values stay, marked stale

        async with session.get(f"{web.http}/api/v1/snapshot") as response:
            snapshot = await response.json()
        assert snapshot["stale"] and snapshot["last_read"] == lost.last_read.isoformat()
        assert snapshot["system"]["alarms"] == [] and snapshot["system"]["measurements"]
        async with session.get(f"{web.http}/api/v1/alarms") as response:
            alarms = await response.json()
        assert alarms["alarms"] == [] and alarms["stale"]
        async with session.get(f"{web.http}/") as response:
            page = await response.text()
        text = lost.last_read.strftime("%d/%m/%Y %H:%M:%S")  # the settings' time zone is UTC here
        assert f'id="stale-notice" role="status">No communication: values last read at {text}</p>' in page

        sim.slave.clear_faults()
        await wait_for(lambda: web.daemon.ups.snapshot.communicating, timeout=60)
        message = await live_message(session, web.http)
        assert not message["stale"]
