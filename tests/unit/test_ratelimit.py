"""The per-source windowed counter every listener reports its floods with (netvision/ratelimit.py)."""

from __future__ import annotations

import tracemalloc

import pytest

from netvision.ratelimit import OTHER_SOURCES, PerSourceCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_first_occurrence_is_reported_at_once_the_rest_once_the_window_ends() -> None:
    clock = Clock()
    counter = PerSourceCounter(window=60, clock=clock)
    assert counter.count("10.0.0.1") == ("10.0.0.1", 1)
    assert [counter.hit("10.0.0.1") for _ in range(99)] == [0] * 99
    assert counter.unreported("10.0.0.1") == 99
    assert counter.ended() == []  # the window is still open
    clock.now += 59.9
    assert counter.ended() == []
    clock.now += 0.1
    assert counter.ended() == [("10.0.0.1", 99)]
    assert not counter.tracking and counter.total == 100
    assert counter.hit("10.0.0.1") == 1  # forgotten: reported at once again


def test_sources_have_windows_of_their_own() -> None:
    clock = Clock()
    counter = PerSourceCounter(window=60, clock=clock)
    counter.hit("a")
    clock.now += 30
    assert counter.hit("b") == 1
    counter.hit("a")
    counter.hit("b")
    clock.now += 30
    assert counter.ended() == [("a", 1)]  # b's window has 30 s to go
    clock.now += 30
    assert counter.ended() == [("b", 1)]


def test_a_source_seen_again_after_its_window_carries_the_count_when_no_sweep_took_it() -> None:
    clock = Clock()
    counter = PerSourceCounter(window=60, clock=clock)
    for _ in range(3):
        counter.hit("a")
    clock.now += 60
    assert counter.hit("a") == 3  # the two left over, and this one
    assert counter.unreported("a") == 0


def test_an_explicit_time_is_used_instead_of_the_clock() -> None:
    counter = PerSourceCounter(window=60, clock=lambda: pytest.fail("the clock is not read"))
    assert counter.hit("a", now=0.0) == 1
    assert counter.hit("a", now=59.0) == 0
    assert counter.hit("a", now=60.0) == 2
    assert counter.ended(now=200.0) == []


def test_a_renewing_counter_reports_once_a_window_while_the_flood_goes_on() -> None:
    clock = Clock()
    counter = PerSourceCounter(window=60, renew=True, clock=clock)
    counter.hit("a")
    reports = []
    for _ in range(3):
        for _ in range(10):
            assert counter.hit("a") == 0  # counted in the renewed window, never reported at once
        clock.now += 60
        reports += counter.ended()
    assert reports == [("a", 10)] * 3
    clock.now += 60
    assert counter.ended() == [] and not counter.tracking  # a quiet window is forgotten


def test_new_sources_past_the_bound_share_one_entry() -> None:
    clock = Clock()
    counter = PerSourceCounter(window=60, max_sources=4, clock=clock)
    counted = [counter.count(f"10.0.0.{n}") for n in range(10)]
    assert [key for key, _ in counted[:4]] == [f"10.0.0.{n}" for n in range(4)]
    assert counted[4:] == [(OTHER_SOURCES, 1)] + [(OTHER_SOURCES, 0)] * 5
    assert counter.sources == 5 and "10.0.0.9" not in counter
    assert counter.hit("10.0.0.1") == 0  # a known source keeps its own entry
    clock.now += 60
    assert counter.ended() == [("10.0.0.1", 1), (OTHER_SOURCES, 5)]


def test_a_full_table_makes_room_by_forgetting_ended_windows_first() -> None:
    clock = Clock()
    counter = PerSourceCounter(window=60, max_sources=2, clock=clock)
    counter.hit("a")
    clock.now += 30
    counter.hit("b")
    clock.now += 30  # a's window has ended, b's has not
    assert counter.count("c") == ("c", 1)
    assert "a" not in counter and "b" in counter and "c" in counter
    assert counter.count("d") == (OTHER_SOURCES, 1)


def test_a_flood_from_many_addresses_costs_bounded_memory_and_reports() -> None:
    clock = Clock()
    counter = PerSourceCounter(window=60, max_sources=256, clock=clock)
    tracemalloc.start()
    try:
        reports = 0
        for n in range(30_000):
            clock.now += 0.004  # 120 s in all: the windows end and renew as the flood goes on
            reports += counter.hit(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}") > 0
            assert counter.sources <= 257
        reports += len(counter.ended())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counter.total == 30_000
    assert reports < 2 * 257 * 2  # at most every entry twice per window, not one per occurrence
    assert peak < 1_000_000


def test_drain_reports_every_count_and_forgets_everything() -> None:
    clock = Clock()
    counter = PerSourceCounter(window=60, clock=clock)
    counter.hit("a")
    counter.hit("a")
    counter.hit("b")
    assert counter.drain() == [("a", 1)]
    assert not counter.tracking and counter.sources == 0


def test_nonsense_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        PerSourceCounter(window=0)
    with pytest.raises(ValueError):
        PerSourceCounter(max_sources=0)
