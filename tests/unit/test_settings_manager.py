"""The one path of every settings change."""

from __future__ import annotations

import pytest

from netvision.events.bus import EventBus
from netvision.settings import Settings, SettingsError, load_settings
from netvision.settings.manager import SettingsManager


async def test_a_change_is_saved_logged_and_pushed_to_listeners(tmp_path):
    path = tmp_path / "netvision.toml"
    bus = EventBus()
    events = bus.subscribe("test")
    manager = SettingsManager(Settings(), path, bus)
    seen: list[list[str]] = []

    async def listener(settings: Settings, keys: list[str]) -> None:
        seen.append(keys)

    manager.on_change(listener)
    new = await manager.change({"serial.polling_rate": 5, "system.name": "Room 2"}, via="Web", by="admin")
    assert new.serial.polling_rate == 5
    assert load_settings(path).system.name == "Room 2"
    assert len(seen) == 1 and sorted(seen[0]) == ["serial.polling_rate", "system.name"]
    texts = {events.get_nowait().text_en for _ in range(2)}
    assert "serial.polling_rate has been changed via Web by admin" in texts


async def test_an_invalid_change_changes_nothing(tmp_path):
    path = tmp_path / "netvision.toml"
    bus = EventBus()
    events = bus.subscribe("test")
    manager = SettingsManager(Settings(), path, bus)
    with pytest.raises(SettingsError) as error:
        await manager.change({"serial.polling_rate": 0}, via="SNMP", by="private")
    assert "serial.polling_rate" in str(error.value)
    assert manager.settings.serial.polling_rate == 2
    assert not path.exists()
    assert events.get_nowait() is None


async def test_no_change_no_event(tmp_path):
    bus = EventBus()
    events = bus.subscribe("test")
    manager = SettingsManager(Settings(), tmp_path / "x.toml", bus)
    await manager.change({"serial.polling_rate": 2}, via="Web", by="admin")
    assert events.get_nowait() is None
