"""Configuration reset defaults and the restart requests services make (App. SSH menu 3 and 4)."""

from __future__ import annotations

import asyncio

from netvision.daemon import factory_defaults
from netvision.services.registry import AgentControl
from netvision.settings import Settings


def test_reset_to_default_keeps_only_the_data_directory_and_the_serial_link() -> None:
    current = Settings.model_validate(
        {
            "data_dir": "/srv/netvision",
            "system": {"name": "UPS room", "contact": "ops@example.org"},
            "serial": {"device": "/dev/ttyUSB3", "slave_id": 7, "polling_rate": 5},
            "logs": {"history_interval": 300},
            "snmp": {"port": 1161, "read_community": "secret"},
        }
    )
    reset = factory_defaults(current)
    defaults = Settings()
    assert reset.data_dir == "/srv/netvision"
    assert reset.serial == current.serial
    assert reset.model_dump(exclude={"data_dir", "serial"}) == defaults.model_dump(exclude={"data_dir", "serial"})


async def test_a_request_runs_after_the_caller_returns_and_one_at_a_time() -> None:
    calls: list[tuple[str, str, str]] = []
    release = asyncio.Event()

    async def restart(via: str, by: str) -> None:
        calls.append(("restart", via, by))
        await release.wait()

    async def reset(via: str, by: str) -> None:
        calls.append(("reset", via, by))

    agent = AgentControl(restart, reset, delay=0)
    agent.request_restart("SNMP", "write-community@127.0.0.1")
    assert calls == [] and agent.busy  # nothing runs inside the request handler
    while not calls:
        await asyncio.sleep(0)
    assert calls == [("restart", "SNMP", "write-community@127.0.0.1")]
    release.set()
    while agent.busy:
        await asyncio.sleep(0)
    agent.request_reset("Web", "admin")
    while agent.busy:
        await asyncio.sleep(0)
    assert calls[-1] == ("reset", "Web", "admin")


async def test_a_failed_restart_is_logged_and_a_pending_one_is_cancelled_at_stop() -> None:
    async def broken(via: str, by: str) -> None:
        raise RuntimeError("port in use")

    async def forever(via: str, by: str) -> None:
        await asyncio.Event().wait()

    agent = AgentControl(broken, forever, delay=0)
    agent.request_restart("Web", "admin")
    while agent.busy:
        await asyncio.sleep(0)  # the error is logged, nothing raised here
    agent.request_reset("Web", "admin")
    assert agent.busy
    await agent.cancel()
    assert not agent.busy
