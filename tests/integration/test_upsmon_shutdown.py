"""The shutdown procedure (EN §16.8) as a stock NUT client lives it: Debian's upsmon 2.8.0,
a secondary of the gateway, whose SHUTDOWNCMD creates a file.

- mains failure: the file appears only after the Warning Period, with FSD in ups.status;
- the mains returns within the reversible period: no shutdown, the cancel is logged;
- communication with the UPS lost: the server answers DATA-STALE; upsmon declares the UPS
  dead after DEADTIME and, last seen on battery, shuts down (upsmon(8) "DEADTIME"); last
  seen on mains, it does not;
- UPS shut-off: the output goes off once upsmon has logged out (plus the delay after
  logout; upsmon 2.8.0, a secondary, logs out by itself once SHUTDOWNCMD has run), or
  after the shut-off delay when a host never logs out; on again after the On Delay.

One minute of the settings lasts MINUTE seconds here (ShutdownService.minute). Each
scenario has its own simulator, daemon and upsmon; they run concurrently.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from netvision.daemon import Daemon
from netvision.services.shutdown import ShutdownService
from netvision.services.shutdown.status import Phase, ShutdownStatus
from tests.conftest import wait_for
from tests.integration.test_nut_server import PASSWORDS, Client, login, users
from tests.integration.upsmon import Upsmon, need_upsmon

MakeDaemon = Callable[..., Awaitable[Daemon]]

MINUTE = 6.0  # seconds in one minute of the settings
DEADTIME = 3  # upsmon's DEADTIME (s)


@pytest.fixture(autouse=True)
def short_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ShutdownService, "minute", MINUTE)
    monkeypatch.setattr(ShutdownService, "tick", 0.2)


def ac_failed(warning_period: int) -> dict[str, Any]:
    return {
        "event": "ac_failed",
        "enabled": True,
        "warning_period": warning_period,
        "first_warning": 0,
        "warning_interval": 0,
    }


def distinct_ports(count: int) -> list[int]:
    """Free TCP ports, all different (free_port() called concurrently may repeat one)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


class Stage:
    """What the scenarios share: the daemon factory, and every upsmon started (all of them
    are stopped at the end, whatever happened)."""

    def __init__(self, make_daemon: MakeDaemon, scenes: int) -> None:
        self.make_daemon = make_daemon
        self.ports = distinct_ports(scenes)
        self.upsmons: list[Upsmon] = []
        self.clients: list[Client] = []


class Scene:
    """One simulator, one daemon with its NUT server, one upsmon secondary."""

    def __init__(self, daemon: Daemon, upsmon: Upsmon) -> None:
        self.daemon = daemon
        self.upsmon = upsmon
        self.device = daemon.test_simulator.device  # type: ignore[attr-defined]
        self.slave = daemon.test_simulator.slave  # type: ignore[attr-defined]

    @classmethod
    async def start(cls, stage: Stage, directory: Path, shutdown: dict[str, Any]) -> Scene:
        port = stage.ports.pop()
        nut = {"enabled": True, "bind": "127.0.0.1", "port": port, "users": users()}
        daemon = await stage.make_daemon({"nut": nut, "shutdown": shutdown})
        upsmon = await Upsmon.start(directory, port, "monitor", PASSWORDS["monitor"], deadtime=DEADTIME)
        stage.upsmons.append(upsmon)
        scene = cls(daemon, upsmon)
        try:
            await wait_for(lambda: scene.logged_in() == 1, timeout=20)
        except AssertionError:
            raise AssertionError(f"upsmon did not log in:\n{upsmon.output}") from None
        return scene

    def logged_in(self) -> int:
        table = self.daemon._context.offers["nut.clients"]  # type: ignore[union-attr]
        return sum(1 for client in table() if client.logged_in)

    def status(self) -> ShutdownStatus:
        status: ShutdownStatus = self.daemon._context.offers["shutdown.status"]()  # type: ignore[union-attr]
        return status

    async def ups_status(self) -> str:
        client = await Client.connect(self.daemon)
        try:
            return await client.ask("GET VAR ups ups.status")
        finally:
            client.writer.close()

    async def logged_events(self) -> list[str]:
        store = self.daemon.store
        assert store is not None
        await store.flush()
        page = await store.events("netvision", descending=False, per_page=1000)
        return [row.event for row in page.rows]

    async def wait_status(self, text: str, timeout: float = 20.0) -> str:
        """Until GET VAR ups.status answers something containing ``text``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            answer = await self.ups_status()
            if text in answer:
                return answer
            if loop.time() > deadline:
                raise AssertionError(f"ups.status never had {text!r}; last {answer!r}")
            await asyncio.sleep(0.2)


def _seconds_to(deadline: Any) -> float:
    return float(deadline.timestamp() - time.time())


async def mains_failure(stage: Stage, directory: Path) -> None:
    """a) The file appears only after the Warning Period, with FSD in ups.status."""
    scene = await Scene.start(stage, directory, {"events": [ac_failed(1)]})
    scene.device.scenario("mains_failure")
    await wait_for(lambda: scene.status().phase is Phase.WARNING, timeout=20)
    deadline = scene.status().deadline
    assert deadline is not None
    assert "OB" in await scene.wait_status("OB")
    # Shortly before the deadline: upsmon has seen OB for seconds, and not shut down.
    await asyncio.sleep(max(0.0, _seconds_to(deadline) - 1.0))
    assert not scene.upsmon.flag.exists(), scene.upsmon.output
    await wait_for(scene.upsmon.flag.exists, timeout=15)
    assert scene.upsmon.flag.stat().st_mtime >= deadline.timestamp() - 0.05
    assert (await scene.ups_status()).startswith('VAR ups ups.status "FSD OB')
    output = await scene.upsmon.stop()
    assert "forced shutdown in progress" in output, output
    # (each NOTIFYCMD runs in its own process: their lines may come in any order)
    assert sorted(scene.upsmon.notifications()) == ["FSD", "ONBATT", "SHUTDOWN"], output


async def mains_restored(stage: Stage, directory: Path) -> None:
    """b) The mains returns within the reversible period: no shutdown, the cancel is logged."""
    scene = await Scene.start(stage, directory, {"events": [ac_failed(1)]})
    scene.device.scenario("mains_failure")
    await wait_for(lambda: scene.status().phase is Phase.WARNING, timeout=20)
    deadline = scene.status().deadline
    assert deadline is not None
    await wait_for(lambda: "ONBATT" in scene.upsmon.notifications(), timeout=10)
    scene.device.scenario("mains_restored")
    await wait_for(lambda: scene.status().phase is Phase.IDLE, timeout=20)
    await asyncio.sleep(max(0.0, _seconds_to(deadline)) + 3.0)
    assert not scene.upsmon.flag.exists(), scene.upsmon.output
    assert "FSD" not in await scene.wait_status("OL")
    logged = await scene.logged_events()
    assert "nv.shutdown_cancel_sent" in logged and "nv.shutdown_request_sent" not in logged, logged
    await scene.upsmon.stop()
    assert scene.upsmon.notifications() == ["ONBATT", "ONLINE"], scene.upsmon.output


async def lost_on_battery(stage: Stage, directory: Path) -> None:
    """c) Communication lost while on battery: DATA-STALE; upsmon declares the UPS dead
    after DEADTIME and, last seen on battery, shuts down (before the gateway's own
    deadline: a long Warning Period here)."""
    scene = await Scene.start(stage, directory, {"events": [ac_failed(30)]})
    scene.device.scenario("mains_failure")
    await scene.wait_status("OB")
    await asyncio.sleep(1.5)  # upsmon has polled OB
    scene.slave.fault("no_answer")
    await scene.wait_status("ERR DATA-STALE", timeout=30)
    stale = time.time()
    await wait_for(scene.upsmon.flag.exists, timeout=30)
    assert scene.upsmon.flag.stat().st_mtime >= stale + DEADTIME - 1.5
    assert scene.status().phase is Phase.WARNING  # the gateway has not sent its command
    output = await scene.upsmon.stop()
    assert "Data stale" in output and "Promoting dead UPS" in output, output
    assert sorted(scene.upsmon.notifications()) == ["COMMBAD", "ONBATT", "SHUTDOWN"], output


async def lost_on_mains(stage: Stage, directory: Path) -> None:
    """c) Communication lost while on mains: DATA-STALE, no shutdown."""
    scene = await Scene.start(stage, directory, {"events": [ac_failed(0)]})
    await scene.wait_status("OL")
    await asyncio.sleep(1.5)
    scene.slave.fault("no_answer")
    await scene.wait_status("ERR DATA-STALE", timeout=30)
    await asyncio.sleep(DEADTIME + 5)
    assert not scene.upsmon.flag.exists(), scene.upsmon.output
    assert scene.status().phase is Phase.IDLE
    output = await scene.upsmon.stop()
    assert "Data stale" in output, output
    assert scene.upsmon.notifications() == ["COMMBAD"], output


SHUT_OFF_AFTER_LOGOUT = 2
SHUT_OFF_DELAY = 30


async def shut_off_after_logout(stage: Stage, directory: Path) -> None:
    """d) UPS shut-off: the output goes off SHUT_OFF_AFTER_LOGOUT s after upsmon has
    logged out (the host went down), not before; the mains returns: on again after
    the UPS On Delay."""
    shutdown = {
        "ups_shut_off": True,
        "ups_shut_off_delay": SHUT_OFF_DELAY,
        "shut_off_after_logout": SHUT_OFF_AFTER_LOGOUT,
        "ups_on_delay": 1,
        "events": [ac_failed(0)],
    }
    scene = await Scene.start(stage, directory, shutdown)
    device = scene.device
    device.scenario("mains_failure")
    # upsmon 2.8.0, a secondary, runs SHUTDOWNCMD then logs out and ends ("Auto logout and
    # shutdown proceeding"): the host is in its last steps of shutdown.
    await wait_for(scene.upsmon.flag.exists, timeout=20)
    await wait_for(lambda: scene.logged_in() == 0, timeout=10, interval=0.02)
    gone = time.monotonic()
    assert device.ups.path == "inverter"
    await wait_for(lambda: device.ups.path == "off", timeout=20)
    off_after = time.monotonic() - gone
    assert SHUT_OFF_AFTER_LOGOUT - 0.5 <= off_after < SHUT_OFF_DELAY / 2, off_after
    assert "Auto logout and shutdown proceeding" in await scene.upsmon.stop()
    # The mains returns: the output comes back after the On Delay (1 minute).
    device.scenario("mains_restored")
    back = time.monotonic()
    await asyncio.sleep(MINUTE - 1.5)
    assert device.ups.path == "off"
    await wait_for(lambda: device.ups.path == "inverter", timeout=15)
    assert time.monotonic() - back >= MINUTE - 0.5
    logged = await scene.logged_events()
    assert "nv.ups_shutdown_command_sent" in logged and "nv.ups_output_on_sent" in logged, logged


async def shut_off_without_logout(stage: Stage, directory: Path) -> None:
    """d) A host that never logs out (its shutdown hangs; a raw client here, beside upsmon):
    the output goes off after the UPS Shut Off Delay."""
    delay = 8
    shutdown = {
        "ups_shut_off": True,
        "ups_shut_off_delay": delay,
        "shut_off_after_logout": SHUT_OFF_AFTER_LOGOUT,
        "ups_on_delay": 0,
        "events": [ac_failed(0)],
    }
    scene = await Scene.start(stage, directory, shutdown)
    hung = await login(scene.daemon, "monitor", stage.clients)
    assert await hung.ask("LOGIN ups") == "OK"
    scene.device.scenario("mains_failure")
    await wait_for(lambda: scene.status().shutdown_sent is not None, timeout=20)
    sent = scene.status().shutdown_sent
    assert sent is not None
    await wait_for(scene.upsmon.flag.exists, timeout=20)
    await wait_for(lambda: scene.device.ups.path == "off", timeout=delay + 10)
    assert time.time() - sent.timestamp() >= delay - 0.5
    assert not scene.upsmon.running and scene.logged_in() == 1  # upsmon logged out


SCENARIOS: tuple[Callable[[Stage, Path], Coroutine[Any, Any, None]], ...] = (
    mains_failure,
    mains_restored,
    lost_on_battery,
    lost_on_mains,
    shut_off_after_logout,
    shut_off_without_logout,
)


async def test_stock_upsmon_secondary_through_the_shutdown_scenarios(
    make_daemon: MakeDaemon, tmp_path: Path
) -> None:
    need_upsmon()
    stage = Stage(make_daemon, len(SCENARIOS))
    try:
        results = await asyncio.gather(
            *(scenario(stage, tmp_path / scenario.__name__) for scenario in SCENARIOS),
            return_exceptions=True,
        )
    finally:
        for upsmon in stage.upsmons:
            await upsmon.stop()
    failures = [
        f"{scenario.__name__}: {type(result).__name__}: {result}"
        for scenario, result in zip(SCENARIOS, results, strict=True)
        if isinstance(result, BaseException)
    ]
    assert not failures, "\n\n".join(failures)
