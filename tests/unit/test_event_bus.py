"""The event bus never blocks its publisher."""

from __future__ import annotations

from netvision.events.bus import EventBus
from netvision.events.catalog import make_event


async def test_a_slow_subscriber_loses_its_oldest_events_not_the_publisher():
    bus = EventBus()
    slow = bus.subscribe("slow", maxsize=3)
    fast = bus.subscribe("fast", maxsize=100)
    for number in range(10):
        bus.publish(make_event("nv.setting_changed", key=f"k{number}", via="test", by="test"))
    assert slow.dropped == 7
    assert [slow.get_nowait().data["key"] for _ in range(3)] == ["k7", "k8", "k9"]
    assert fast.pending() == 10 and fast.dropped == 0


async def test_a_failing_callback_does_not_stop_the_others():
    bus = EventBus()
    seen = []

    def broken(event):
        raise RuntimeError("boom")

    bus.on_event(broken)
    bus.on_event(seen.append)
    bus.publish(make_event("nv.cold_boot"))
    assert [event.id for event in seen] == ["nv.cold_boot"]


async def test_unknown_placeholders_read_as_the_manuals_question_marks():
    event = make_event("nv.setting_changed", key="snmp.port")
    assert event.text_en == "snmp.port has been changed via ??? by ???"
