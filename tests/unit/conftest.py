"""Fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from netvision.store import LogStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[LogStore]:
    """A new, empty log store in the test's directory, open (it opens without a problem)."""
    opened = LogStore(tmp_path / "logs.sqlite3")
    assert await opened.open() == []
    yield opened
    await opened.close()
