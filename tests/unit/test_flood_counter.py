"""Counting floods: the first occurrence of a source is reported, the rest once a window."""

from __future__ import annotations

from netvision.services.flood import OTHER_SOURCES, FloodCounter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_first_is_reported_then_one_count_per_window_and_source() -> None:
    clock = Clock()
    counter = FloodCounter(window=60, clock=clock)
    reports = [counter.hit("10.0.0.1") for _ in range(2000)]
    assert reports[0] == 1 and sum(1 for report in reports if report) == 1
    assert counter.hit("10.0.0.2") == 1  # another source is reported on its own
    assert counter.pending() == []  # the window is still open
    clock.now = 61
    assert counter.pending() == [("10.0.0.1", 1999)]
    assert not counter.tracking
    assert counter.hit("10.0.0.1") == 1 and counter.total == 2002


def test_a_source_seen_again_after_its_window_carries_the_count() -> None:
    clock = Clock()
    counter = FloodCounter(window=60, clock=clock)
    counter.hit("a")
    counter.hit("a")
    clock.now = 60
    assert counter.hit("a") == 2  # the one left over, and this one


def test_sources_are_bounded() -> None:
    clock = Clock()
    counter = FloodCounter(window=60, max_sources=4, clock=clock)
    assert [counter.hit(f"10.0.0.{n}") for n in range(10)] == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    clock.now = 61
    assert counter.pending() == [(OTHER_SOURCES, 5)]
