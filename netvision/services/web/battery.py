"""The battery test page's table (EN §16.2): status, last test and its result.

The UPS reports whether a test runs, is programmed, on standby or supported,
and whether the last one failed (or, VU-MAP S037, was interrupted); it does
not report a successful end. So the result is followed here: a test seen in
progress that ends without a failure bit is "OK". The last result and its date
are kept in ``battery_tests.json`` in the data directory so that a restart of
the daemon does not forget them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ...fileio import atomic_write
from ...ups.model import DeviceState, Snapshot
from .labels import t

log = logging.getLogger("netvision.web")

RESULTS_FILE = "battery_tests.json"
STATUSES = ("disabled", "in_progress", "standby", "programmed", "enabled")
RESULTS = ("none", "ok", "interrupted", "failed")


@dataclass
class TestRecord:
    result: str = "none"
    time: datetime | None = None
    running: bool = False


def per_unit(snapshot: Snapshot) -> bool:
    """§16.2: one row per unit for a VU-MAP parallel system with distributed batteries."""
    identity, topology, system = snapshot.identity, snapshot.topology, snapshot.system
    if identity is None or topology is None or identity.map_name != "vumap" or not topology.is_parallel:
        return False
    return not (system is not None and system.condition("battery_shared"))


def targets(snapshot: Snapshot) -> list[tuple[int, DeviceState]]:
    """(unit number, state) of each row: unit 0 is the whole system."""
    if per_unit(snapshot):
        return [(unit.number, unit.state) for unit in snapshot.units if unit.state is not None]
    return [(0, snapshot.system)] if snapshot.system is not None else []


def battery_test_permitted(snapshot: Snapshot) -> bool:
    """§16.2 "Available if the remote controls are enabled by the UPS and the battery test is possible"."""
    return bool(snapshot.remote_controls_permitted and snapshot.permissions.get("battery_test"))


def battery_test_status(state: DeviceState, permitted: bool) -> str:
    if state.condition("battery_test_in_progress"):
        return "in_progress"
    if state.condition("battery_test_standby"):
        return "standby"
    if state.condition("battery_test_programmed"):
        return "programmed"
    # JBUSP S13 says whether the UPS supports the test; without it, the permission tells.
    if "battery_test_supported" in state.derived.conditions:
        return "enabled" if state.condition("battery_test_supported") else "disabled"
    return "enabled" if permitted else "disabled"


class BatteryTests:
    """Follows every poll (``update``) and answers the page's rows (``rows``)."""

    def __init__(self, data_dir: Path | None) -> None:
        self.path = data_dir / RESULTS_FILE if data_dir is not None else None
        self.records: dict[int, TestRecord] = {}
        self._load()

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            document = json.loads(self.path.read_text())
            for key, item in document.items():
                result = item.get("result", "none")
                when = datetime.fromisoformat(item["time"]) if item.get("time") else None
                self.records[int(key)] = TestRecord(result if result in RESULTS else "none", when)
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            log.warning("web: %s is unreadable, battery test results start empty", self.path)
            self.records = {}

    def _save(self) -> None:
        if self.path is None:
            return
        document = {
            str(unit): {"result": record.result, "time": record.time.isoformat() if record.time else None}
            for unit, record in self.records.items()
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(document).encode())
        except OSError:
            log.exception("web: cannot save the battery test results")

    def update(self, snapshot: Snapshot) -> None:
        if not snapshot.communicating:
            return
        changed = False
        for unit, state in targets(snapshot):
            record = self.records.setdefault(unit, TestRecord())
            failed = state.condition("battery_test_failed")
            interrupted = state.condition("battery_test_interrupted")
            if state.condition("battery_test_in_progress"):
                record.running = True
                continue
            if record.running:
                record.running = False
                record.result = "failed" if failed else "interrupted" if interrupted else "ok"
                record.time = snapshot.time
                changed = True
            elif failed and record.result != "failed":
                # A failure reported without the test seen running (started before our start,
                # or the bit came one poll after the end): the UPS's word wins.
                record.result, record.time, changed = "failed", snapshot.time, True
            elif interrupted and record.result not in ("interrupted", "failed"):
                record.result, record.time, changed = "interrupted", snapshot.time, True
        if changed:
            self._save()

    def rows(self, snapshot: Snapshot, language: str) -> list[dict[str, Any]]:
        permitted = battery_test_permitted(snapshot)
        rows = []
        for unit, state in targets(snapshot):
            record = self.records.get(unit, TestRecord())
            status = battery_test_status(state, permitted)
            rows.append(
                {
                    "unit": unit,
                    "status": status,
                    "status_label": t(f"battery_test.{status}", language),
                    "last_test": record.time.isoformat() if record.time else None,
                    # §16.2 shows "day/month" of the last test.
                    "last_test_text": record.time.strftime("%d/%m") if record.time else "00/00",
                    "result": record.result,
                    "result_label": t(f"battery_test.result_{record.result}", language),
                    "can_start": permitted and status != "in_progress",
                }
            )
        return rows
