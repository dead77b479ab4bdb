"""RFC1628 upsTest group (upsObjects 7) from the core battery test tracker.

The UPS's battery test is RFC1628's quick battery test (upsTestId, written to
start it, is handled by the service). What the tracker knows of the test in
progress or of the last test (ups/battery_test.py) gives the results summary,
its detail, the start time (as sysUpTime) and the elapsed time. Without a
tracker (a context built without one) the UPS's own bit still says whether a
test runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from pysnmp.proto.rfc1902 import Integer32, ObjectIdentifier, OctetString, TimeTicks

from ...ups.battery_test import BatteryTestResult, BatteryTestState, UnitTest
from .tree import Oid

UPS_TEST = (1, 3, 6, 1, 2, 1, 33, 1, 7)
UPS_TEST_NO_TESTS_INITIATED = UPS_TEST + (7, 1)
UPS_TEST_QUICK_TEST = UPS_TEST + (7, 4)

# upsTestResultsSummary
DONE_PASS, DONE_WARNING, DONE_ERROR, ABORTED, IN_PROGRESS, NO_TESTS_INITIATED = 1, 2, 3, 4, 5, 6
SUMMARY = {
    BatteryTestResult.OK: DONE_PASS,
    BatteryTestResult.FAILED: DONE_ERROR,
    BatteryTestResult.INTERRUPTED: ABORTED,
    BatteryTestResult.NONE: NO_TESTS_INITIATED,
}
DETAIL = {
    BatteryTestResult.OK: "Battery test passed",
    BatteryTestResult.FAILED: "Battery test failed",
    BatteryTestResult.INTERRUPTED: "Battery test interrupted",
    BatteryTestResult.NONE: "",
}


def unit_test(tests: BatteryTestState, unit_select: int) -> UnitTest:
    """The test SNMP Unit Select (§18.3) points at: one unit's where the batteries are
    distributed, else the whole system's."""
    if tests.per_unit and unit_select and any(test.unit == unit_select for test in tests.units):
        return tests.unit(unit_select)
    return tests.system()


def _ticks(seconds: float) -> int:
    return max(0, int(seconds * 100))


def entries(
    test: UnitTest | None,
    testing_now: bool,
    uptime: Callable[[], int],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[tuple[Oid, Any]]:
    """``test``: the tracker's record, None without a tracker (then ``testing_now``, the
    UPS's in-progress bit, is all that is known); ``uptime``: sysUpTime in hundredths."""
    if test is None:
        test = UnitTest(0, running=testing_now)
    initiated = test.running or test.result is not BatteryTestResult.NONE
    yield UPS_TEST + (1, 0), ObjectIdentifier(UPS_TEST_QUICK_TEST if initiated else UPS_TEST_NO_TESTS_INITIATED)
    yield UPS_TEST + (2, 0), Integer32(1)  # upsTestSpinLock (TestAndIncr)
    if test.running:
        summary, detail = IN_PROGRESS, "Battery test in progress"
    else:
        summary, detail = SUMMARY[test.result], DETAIL[test.result]
    yield UPS_TEST + (3, 0), Integer32(summary)
    yield UPS_TEST + (4, 0), OctetString(detail.encode())
    started = test.started
    if summary == NO_TESTS_INITIATED or started is None:
        # RFC1628: 0 when no test was initiated (or its start is not known).
        yield UPS_TEST + (5, 0), TimeTicks(0)
        yield UPS_TEST + (6, 0), Integer32(0)
        return
    # sysUpTime when the test began; 0 for a test that began before the agent.
    yield UPS_TEST + (5, 0), TimeTicks(max(0, uptime() - _ticks((now() - started).total_seconds())))
    if test.running:
        yield UPS_TEST + (6, 0), lambda: Integer32(_ticks((now() - started).total_seconds()))
    else:
        elapsed = test.elapsed(now())
        yield UPS_TEST + (6, 0), Integer32(_ticks(elapsed.total_seconds()) if elapsed else 0)
