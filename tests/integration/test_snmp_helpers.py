"""Helpers shared by the SNMP tests: net-snmp clients run without blocking the loop."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest


def need(binary: str) -> str:
    """The path of a client binary; skipped without it, except in CI where it must be there."""
    path = shutil.which(binary) or (f"/lib/nut/{binary}" if os.path.exists(f"/lib/nut/{binary}") else None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{binary} is missing (Debian packages snmp, snmptrapd, nut-snmp, nut-modbus: scripts/debian-packages.txt)")
        pytest.skip(f"{binary} is not installed")
    return path


async def run(*args: str, timeout: float = 30.0) -> tuple[int, str]:
    """Run a client; the agent answers from this same event loop meanwhile."""
    process = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"},
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, output.decode("utf-8", "replace")


async def snmp(tool: str, *args: str) -> tuple[int, str]:
    need(tool)
    return await run(tool, "-On", "-t", "2", "-r", "1", *args)


def values(output: str) -> dict[str, str]:
    """``{".1.3.6…": "INTEGER: 3"}`` from net-snmp output lines."""
    result = {}
    for line in output.splitlines():
        if " = " in line:
            oid, value = line.split(" = ", 1)
            result[oid.strip()] = value.strip()
    return result


def number(value: str) -> int:
    return int(value.split(":", 1)[1].strip().split()[0])
