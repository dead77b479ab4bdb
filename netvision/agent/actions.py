"""What the agent does to this machine: the pre-shutdown program, the shutdown
command, desktop notifications. Each one is logged and none can hang the agent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
from collections.abc import Sequence

log = logging.getLogger("netvision.agent")

KILL_GRACE = 5.0  # seconds between the polite stop and the kill of a late program
NOTIFY_TIMEOUT = 5.0


def _process_group_options() -> dict[str, object]:
    # Its own process group, so a shell script's children are stopped with it.
    return {"start_new_session": True} if os.name != "nt" else {}


def _signal_group(process: asyncio.subprocess.Process, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if os.name != "nt":
            os.killpg(process.pid, number)
        elif number == getattr(signal, "SIGKILL", None):
            process.kill()
        else:
            process.terminate()


async def run_script(path: str, timeout: float, grace: float = KILL_GRACE) -> int | None:
    """Run the pre-shutdown program; past ``timeout`` it is stopped, then killed.

    Returns its exit status (negative: the signal that ended it), None if it could not start.
    """
    log.info("running the pre-shutdown program %s (time limit %g s)", path, timeout)
    try:
        process = await asyncio.create_subprocess_exec(
            path,
            stdin=asyncio.subprocess.DEVNULL,
            **_process_group_options(),  # type: ignore[arg-type]
        )
    except OSError as error:
        log.error("the pre-shutdown program %s could not start: %s", path, error)
        return None
    try:
        code = await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        log.error("the pre-shutdown program %s ran past its %g s limit: stopping it", path, timeout)
        _signal_group(process, signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            _signal_group(process, getattr(signal, "SIGKILL", signal.SIGTERM))
            code = await process.wait()
    if code == 0:
        log.info("the pre-shutdown program %s ended: exit status 0", path)
    else:
        log.warning("the pre-shutdown program %s ended: exit status %s", path, code)
    return code


async def run_shutdown(command: Sequence[str], dry_run: bool) -> int:
    """Run the shutdown command (or print it); its exit status, 0 for a dry run."""
    shown = " ".join(command)
    if dry_run:
        print(f"netvision agent: dry run: would run: {shown}", flush=True)
        log.warning("dry run: the shutdown command is not run: %s", shown)
        return 0
    log.critical("running the shutdown command: %s", shown)
    try:
        process = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.DEVNULL)
    except OSError as error:
        log.critical("the shutdown command %s could not start: %s", shown, error)
        return 127
    code = await process.wait()
    if code:
        log.critical("the shutdown command %s failed: exit status %s", shown, code)
    return code


def notification_command(title: str, message: str, platform: str = sys.platform) -> list[str] | None:
    """The desktop notification command of this system, if it has one."""
    if platform == "darwin":
        osascript = shutil.which("osascript")
        if osascript is None:
            return None
        script = f"display notification {_applescript(message)} with title {_applescript(title)}"
        return [osascript, "-e", script]
    if platform.startswith("win"):
        return None
    notify_send = shutil.which("notify-send")
    if notify_send is None:
        return None
    return [notify_send, "--app-name=netvision", title, message]


def _applescript(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def notify(title: str, message: str) -> None:
    """A desktop notification where the system has a way to show one; never fails."""
    command = notification_command(title, message)
    if command is None:
        return
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError as error:
        log.debug("no desktop notification: %s", error)
        return
    try:
        await asyncio.wait_for(process.wait(), NOTIFY_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
