"""Debian's stock upsmon 2.8.0 (nut-client) as a secondary of the gateway's NUT server.

/usr/sbin/upsmon is a wrapper reading /etc/nut/nut.conf; the real binary is
/lib/nut/upsmon. It runs in the foreground (-F), as root (-p), with its configuration and
state in a directory of the test (NUT_CONFPATH, NUT_STATEPATH, NUT_ALTPIDPATH). Its
SHUTDOWNCMD creates a file: the host "shuts down" when that file appears.

Run as root, upsmon 2.8.0 keeps its PID file in /run/nut whatever the environment says, and
refuses to start while the PID written there is alive: each upsmon here gets its own
/run/nut (its directory, bind-mounted in a private mount namespace) so that several run at
once, beside any other upsmon of the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

BINARY = Path("/lib/nut/upsmon")
PID_DIRECTORY = "/run/nut"
NOTIFICATIONS = ("ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "NOCOMM")
# sh -c SCRIPT sh DIRECTORY COMMAND...: /run/nut is DIRECTORY, then upsmon runs (same PID).
_PRIVATE_RUN = 'mount --bind "$1" ' + PID_DIRECTORY + ' && shift && exec "$@"'


@functools.cache
def _private_mounts() -> bool:
    """Can this machine give a process its own /run/nut (unshare -m, as root)?"""
    if shutil.which("unshare") is None or not os.path.isdir(PID_DIRECTORY):
        return False
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", _PRIVATE_RUN, "sh", "/tmp", "true"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0


def need_upsmon() -> None:
    """Skipped without nut-client, except in CI where it must be there."""
    if not BINARY.exists():
        if os.environ.get("CI"):
            pytest.fail("/lib/nut/upsmon is missing (Debian package nut-client)")
        pytest.skip("/lib/nut/upsmon is not installed (Debian package nut-client)")


class Upsmon:
    """One running upsmon; its output is read as it comes (``output``)."""

    def __init__(self, process: asyncio.subprocess.Process, flag: Path, notified: Path) -> None:
        self.process = process
        self.flag = flag  # created by SHUTDOWNCMD
        self.notified = notified  # one line per notification: "ONBATT UPS ups@... on battery"
        self.lines: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(
        cls,
        directory: Path,
        port: int,
        user: str,
        password: str,
        *,
        ups: str = "ups",
        deadtime: int = 3,
        hostsync: int = 2,
    ) -> Upsmon:
        """upsmon polling ``ups@127.0.0.1:port`` every second as a secondary."""
        need_upsmon()
        directory.mkdir(parents=True, exist_ok=True)
        flag = directory / "shutdown-ran"
        # Each notification (upsmon.conf(5) NOTIFYFLAG ... EXEC) as one line of a file.
        notify = directory / "notify"
        notify.write_text(f'#!/bin/sh\necho "$NOTIFYTYPE $*" >> {directory / "notifications"}\n')
        notify.chmod(0o755)
        config = directory / "upsmon.conf"
        config.write_text(
            f"MONITOR {ups}@127.0.0.1:{port} 1 {user} {password} secondary\n"
            f'SHUTDOWNCMD "/bin/touch {flag}"\n'
            f'NOTIFYCMD "{notify}"\n'
            + "".join(f"NOTIFYFLAG {kind} SYSLOG+EXEC\n" for kind in NOTIFICATIONS)
            + "POLLFREQ 1\nPOLLFREQALERT 1\n"
            f"DEADTIME {deadtime}\nHOSTSYNC {hostsync}\nFINALDELAY 0\n"
            f"POWERDOWNFLAG {directory / 'killpower'}\n"
        )
        config.chmod(0o600)
        environment = {
            "NUT_CONFPATH": str(directory),
            "NUT_STATEPATH": str(directory),
            "NUT_ALTPIDPATH": str(directory),
        }
        command = [str(BINARY), "-F", "-p", "-D"]
        if _private_mounts():
            pids = directory / "run"
            pids.mkdir(exist_ok=True)
            command = [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                _PRIVATE_RUN,
                "sh",
                str(pids),
                *command,
            ]
        process = await asyncio.create_subprocess_exec(
            *command,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process, flag, directory / "notifications")

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def notifications(self) -> list[str]:
        """The notification types sent so far, in order (ONBATT, ONLINE, FSD, COMMBAD...)."""
        if not self.notified.exists():
            return []
        return [line.split(" ", 1)[0] for line in self.notified.read_text().splitlines() if line]

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> str:
        """Terminate upsmon (the host going down): it logs out and its connection closes.
        Returns everything it printed."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reader, 5)
        return self.output
