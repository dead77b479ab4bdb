"""Battery test tracking (EN §16.2; RFC1628 upsTest; BACnet TESTING / BAT. TEST FAILED).

The UPS reports whether a test runs and whether the last one failed (or, VU-MAP
S037, was interrupted); it does not report a successful end, nor when a test
began. So the tests are followed here, from the snapshots and the control
results: a test seen in progress that ends without a failure bit is "OK". One
record per unit where the batteries are distributed (a VU-MAP parallel system
whose units do not share their battery, §16.2), else one for the system
(unit 0). The records are kept in ``battery_tests.json`` in the data directory
(written atomically), so that a restart of the daemon, or a kill, does not
forget them.

:class:`BatteryTests` is the one tracker the daemon feeds; every service reads
its immutable :class:`BatteryTestState`.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..fileio import atomic_write
from .controls import ControlResult
from .model import DeviceState, Snapshot

log = logging.getLogger("netvision.ups")

RESULTS_FILE = "battery_tests.json"
# A test the UPS shows running within this delay of an accepted battery test control
# started with that control: its start time is the control's.
CONTROL_START_WINDOW = timedelta(minutes=2)


class BatteryTestResult(enum.StrEnum):
    NONE = "none"  # no test seen yet
    OK = "ok"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


# The worst result wins where several units are summed up into one answer.
_SEVERITY = {BatteryTestResult.NONE: 0, BatteryTestResult.OK: 1, BatteryTestResult.INTERRUPTED: 2, BatteryTestResult.FAILED: 3}


@dataclass(frozen=True)
class UnitTest:
    """The battery test of one unit (0: the whole system)."""

    unit: int
    running: bool = False
    started: datetime | None = None  # start of the test in progress, or of the last test
    ended: datetime | None = None  # end of the last test: §16.2 "Last Battery test"
    result: BatteryTestResult = BatteryTestResult.NONE

    def elapsed(self, now: datetime) -> timedelta | None:
        """How long the test in progress has run, or how long the last test took."""
        if self.started is None:
            return None
        end = now if self.running else self.ended
        if end is None or end < self.started:
            return None
        return end - self.started


@dataclass(frozen=True)
class BatteryTestState:
    """What every service reads: one :class:`UnitTest` per row of §16.2."""

    per_unit: bool = False
    units: tuple[UnitTest, ...] = (UnitTest(0),)

    def unit(self, number: int) -> UnitTest:
        for test in self.units:
            if test.unit == number:
                return test
        return UnitTest(number)

    @property
    def running(self) -> bool:
        return any(test.running for test in self.units)

    def system(self) -> UnitTest:
        """The whole system in one answer (SNMP, BACnet UPS level): a test runs while one
        unit tests; else the worst result of the units' last tests, dated by the last end."""
        if not self.per_unit:
            return self.unit(0)
        running = [test for test in self.units if test.running]
        if running:
            starts = [test.started for test in running if test.started is not None]
            return UnitTest(0, running=True, started=min(starts) if starts else None)
        done = [test for test in self.units if test.result is not BatteryTestResult.NONE]
        if not done:
            return UnitTest(0)
        starts = [test.started for test in done if test.started is not None]
        ends = [test.ended for test in done if test.ended is not None]
        return UnitTest(
            0,
            started=min(starts) if starts else None,
            ended=max(ends) if ends else None,
            result=max((test.result for test in done), key=_SEVERITY.__getitem__),
        )


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


def _time(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


class BatteryTests:
    """Follows every snapshot (:meth:`on_snapshot`) and every control result
    (:meth:`on_control`); :meth:`state` is the current answer, immutable."""

    def __init__(self, data_dir: Path | None) -> None:
        self.path = data_dir / RESULTS_FILE if data_dir is not None else None
        self._records: dict[int, UnitTest] = {}
        self._rows: tuple[int, ...] = (0,)
        self._per_unit = False
        self._requested: datetime | None = None  # an accepted battery test control, not yet seen running
        self._load()
        self._state = self._build()

    # -- reading ---------------------------------------------------------------------------------

    def state(self) -> BatteryTestState:
        return self._state

    def _build(self) -> BatteryTestState:
        return BatteryTestState(
            per_unit=self._per_unit,
            units=tuple(self._records.get(unit, UnitTest(unit)) for unit in self._rows),
        )

    # -- following the UPS -----------------------------------------------------------------------

    def on_control(self, result: ControlResult) -> None:
        if result.control == "battery_test" and result.accepted:
            self._requested = result.time

    def on_snapshot(self, snapshot: Snapshot) -> None:
        if not snapshot.communicating:
            return  # nothing is known while the UPS is silent: a test in progress stays so
        rows = targets(snapshot)
        shape = (tuple(unit for unit, _ in rows), per_unit(snapshot))
        changed = shape != (self._rows, self._per_unit)
        if rows:
            self._rows, self._per_unit = shape
        saved = False
        for unit, state in rows:
            before = self._records.get(unit, UnitTest(unit))
            after = self._follow(before, state, snapshot.time)
            if after != before:
                self._records[unit] = after
                saved = True
        if any(test.running for test in self._records.values()):
            self._requested = None
        if saved:
            self._save()
        if saved or changed:
            self._state = self._build()

    def _follow(self, record: UnitTest, state: DeviceState, now: datetime) -> UnitTest:
        failed = state.condition("battery_test_failed")
        interrupted = state.condition("battery_test_interrupted")
        if state.condition("battery_test_in_progress"):
            if record.running:
                return record
            started = now
            if self._requested is not None and now - CONTROL_START_WINDOW <= self._requested <= now:
                started = self._requested
            return replace(record, running=True, started=started)
        if record.running:
            result = BatteryTestResult.FAILED if failed else BatteryTestResult.INTERRUPTED if interrupted else BatteryTestResult.OK
            return replace(record, running=False, ended=now, result=result)
        if failed and record.result is not BatteryTestResult.FAILED:
            # A failure reported without the test seen running (started before our start,
            # or the bit came one poll after the end): the UPS's word wins.
            return replace(record, ended=now, result=BatteryTestResult.FAILED)
        if interrupted and record.result not in (BatteryTestResult.INTERRUPTED, BatteryTestResult.FAILED):
            return replace(record, ended=now, result=BatteryTestResult.INTERRUPTED)
        return record

    # -- the file --------------------------------------------------------------------------------

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            document = json.loads(self.path.read_text())
            records: dict[int, UnitTest] = {}
            for key, item in document.items():
                unit = int(key)
                result = item.get("result", "none")
                records[unit] = UnitTest(
                    unit,
                    running=bool(item.get("running", False)),
                    started=_time(item.get("started")),
                    # "time": the end of the last test (the first version of the file had only it)
                    ended=_time(item.get("time")),
                    result=BatteryTestResult(result) if result in BatteryTestResult.__members__.values() else BatteryTestResult.NONE,
                )
            self._records = records
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            log.warning("%s is unreadable, battery test results start empty", self.path)
            self._records = {}

    def _document(self) -> Mapping[str, Any]:
        return {
            str(unit): {
                "result": record.result.value,
                "time": record.ended.isoformat() if record.ended else None,
                "started": record.started.isoformat() if record.started else None,
                "running": record.running,
            }
            for unit, record in sorted(self._records.items())
        }

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(self._document()).encode())
        except OSError:
            log.exception("cannot save the battery test results")
