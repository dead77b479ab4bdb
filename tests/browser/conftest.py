"""Fixtures shared by the browser tests: Debian's Chromium driven by Playwright, and axe-core
(the npm package of package.json) for the accessibility checks."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def missing(what: str) -> None:
    """Skip a test whose tool is not installed here; in CI the tool must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing")
    pytest.skip(f"{what} is not installed")


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    """One headless Chromium for the whole test (contexts are cheap, browsers are not)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        missing("the playwright Python package")
    if not shutil.which(CHROMIUM):
        missing("chromium (Debian package chromium)")
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture
def axe_source() -> str:
    """axe-core's script, installed by ``npm ci`` (scripts/test does it)."""
    if not AXE_SCRIPT.is_file():
        missing("axe-core (run npm ci at the repository root)")
    return AXE_SCRIPT.read_text()
