"""What the benchmarks share: a free loopback port and the simulator in its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_simulator(link: Path, *options: str, timeout: float = 20) -> subprocess.Popen[bytes]:
    """`netvision sim OPTIONS --link LINK` in its own process, once its pty is there."""
    process = subprocess.Popen(
        [sys.executable, "-m", "netvision", "--log-level", "warning", "sim", *options, "--link", str(link)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while not link.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the simulator did not start")
        time.sleep(0.05)
    return process
