"""Settings types are strict, and any TOML document loads as Settings or a SettingsError."""

from __future__ import annotations

from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netvision.settings import Settings, SettingsError, apply_changes, settings_from_toml


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("snmp.enabled", "yes"),
        ("snmp.v1", 1),
        ("web.http_port", "8080"),
        ("web.http_port", 8080.0),
        ("web.http_port", True),
        ("serial.baud_rate", "9600"),
        ("serial.reconnect_delay", "1.5"),
        ("system.name", 12),
        ("bacnet.bbmd_peers", "10.0.0.1"),
    ],
)
def test_values_of_the_wrong_type_are_refused(key: str, value: object) -> None:
    with pytest.raises(SettingsError) as refused:
        apply_changes(Settings(), {key: value})
    assert refused.value.problems[0].startswith(key)


def test_toml_and_the_web_json_types_still_load() -> None:
    loaded = settings_from_toml(
        '[web]\nhttp_port = 8080\nhttps_enabled = false\n[serial]\nreconnect_delay = 2\nbaud_rate = 19200\n'
        '[snmp]\nusm_users = [{name = "ops", auth_password = "authkey123", priv_password = "privkey123"}]\n'
        '[bacnet]\nbbmd_peers = ["192.0.2.7"]\n'
    )
    assert loaded.web.http_port == 8080 and loaded.serial.reconnect_delay == 2.0
    assert loaded.bacnet.bbmd_peers == ["192.0.2.7"]
    # What the web pages send (app.js): numbers, booleans, strings, lists of objects.
    changed = apply_changes(
        loaded,
        {
            "web.login_timeout": 600,
            "snmp.v1": False,
            "system.name": "UPS room",
            "web.external_links": [{"text": "Docs", "address": "example.com", "enabled": True}],
        },
    )
    assert changed.web.login_timeout == 600 and changed.snmp.v1 is False


@pytest.mark.parametrize("length", [1, 24, 25, 32])
def test_v3_user_names_of_1_to_32_characters_are_valid(length: int) -> None:
    user = {"name": "u" * length, "auth_password": "authkey123", "priv_password": "privkey123"}
    assert apply_changes(Settings(), {"snmp.usm_users": [user]}).snmp.usm_users[0].name == "u" * length


@pytest.mark.parametrize("name", ["", "u" * 33, "é" * 17, "ops\n"])
def test_v3_user_names_outside_rfc_3414_are_refused(name: str) -> None:
    user = {"name": name, "auth_password": "authkey123", "priv_password": "privkey123"}
    with pytest.raises(SettingsError):
        apply_changes(Settings(), {"snmp.usm_users": [user]})


def test_deeply_nested_toml_is_a_settings_error() -> None:
    with pytest.raises(SettingsError):
        settings_from_toml("x = " + "[" * 100_000 + "]" * 100_000)


# -- property-based: any document ------------------------------------------------------------

_SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["0.0.0.0", "::", "127.0.0.1", "public", "sha", "authPriv", "v3", "yes", "8080"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)
_DEFAULTS = Settings().model_dump()
_SECTION_KEYS = st.sampled_from(sorted(key for key, value in _DEFAULTS.items() if isinstance(value, dict)))


@st.composite
def documents(draw: st.DrawFn) -> str:
    """TOML documents with the real section and key names and values of any type."""
    data: dict[str, Any] = {}
    for section in draw(st.lists(_SECTION_KEYS, max_size=4, unique=True)):
        keys = sorted(_DEFAULTS[section])
        table = {}
        for key in draw(st.lists(st.sampled_from(keys), max_size=5, unique=True)):
            table[key] = draw(_VALUES)
        if draw(st.booleans()):
            table[draw(st.text(min_size=1, max_size=10))] = draw(_SCALARS)
        data[section] = table
    return tomli_w.dumps(data)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents(), st.text(max_size=300)))
def test_any_document_loads_or_is_a_settings_error(text: str) -> None:
    try:
        loaded = settings_from_toml(text)
    except SettingsError as error:
        assert error.problems and all(isinstance(problem, str) for problem in error.problems)
    else:
        assert isinstance(loaded, Settings)
