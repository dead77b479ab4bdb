"""A change never turns off the last web listener, and the problem names both fields; a
port clash names the port's two keys."""

from __future__ import annotations

import pytest

from netvision.settings import Settings
from netvision.settings.store import SettingsError, apply_changes


def test_a_change_cannot_turn_off_both_web_listeners() -> None:
    settings = Settings()
    with pytest.raises(SettingsError) as refused:
        apply_changes(settings, {"web.http_enabled": False, "web.https_enabled": False})
    [problem] = refused.value.problems
    assert problem.startswith("web.http_enabled: ") and "web.https_enabled" in problem
    https_only = apply_changes(settings, {"web.http_enabled": False})
    with pytest.raises(SettingsError) as refused:
        apply_changes(https_only, {"web.https_enabled": False})
    assert refused.value.problems[0].startswith("web.https_enabled: ") and "web.http_enabled" in refused.value.problems[0]


def test_a_file_may_still_start_without_web_and_other_changes_pass() -> None:
    headless = Settings.model_validate({"web": {"http_enabled": False, "https_enabled": False}})
    assert apply_changes(headless, {"system.name": "Room 2"}).system.name == "Room 2"
    assert apply_changes(headless, {"web.http_enabled": True}).web.http_enabled


def test_a_port_clash_names_both_keys() -> None:
    with pytest.raises(SettingsError) as refused:
        apply_changes(Settings(), {"web.http_port": 443})
    assert refused.value.problems == ["web.https_port: tcp port 443 is already used by web.http_port"]
