"""The ``netvision agent`` command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from .client import Agent
from .config import ConfigError, build_config, parse

log = logging.getLogger("netvision.agent")


async def _run(agent: Agent) -> int:
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        # Windows has no signal handlers in asyncio: Ctrl+C ends the agent there.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(number, agent.stopping.set)
    return await agent.run()


def main(argv: Sequence[str]) -> int:
    args = parse(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config, warnings = build_config(args)
    except ConfigError as error:
        print(f"netvision agent: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        log.warning("%s", warning)
    try:
        return asyncio.run(_run(Agent(config)))
    except KeyboardInterrupt:
        return 0
