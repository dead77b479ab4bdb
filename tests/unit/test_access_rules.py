"""IP access control matching (the card's firewall, EN §18.15): IPv4, IPv6, IPv4-mapped
IPv6, first match wins, the default action, and the per-source refusal counter."""

from __future__ import annotations

import pytest

from netvision.access import AccessControl, AccessGuard, Denials, Rule, rule_network, source_key
from netvision.settings import Settings
from netvision.settings.store import SettingsError, apply_changes


def control(*rules: tuple[str, int, str], default: str = "accept", enabled: bool = True) -> AccessControl:
    return AccessControl(
        (Rule(rule_network(address, prefix), action == "accept") for address, prefix, action in rules),
        default_accept=default == "accept",
        enabled=enabled,
    )


def test_an_ipv4_segment_is_matched_by_its_prefix_length() -> None:
    table = control(("192.168.1.0", 24, "reject"))
    assert not table.allows("192.168.1.7")
    assert not table.allows("192.168.1.255")
    assert table.allows("192.168.2.1")
    assert table.allows("10.0.0.1")


def test_host_bits_beyond_the_prefix_are_ignored_and_32_is_one_host() -> None:
    assert rule_network("10.1.2.3", 8).with_prefixlen == "10.0.0.0/8"
    table = control(("127.0.0.2", 32, "reject"))
    assert not table.allows("127.0.0.2") and table.allows("127.0.0.1") and table.allows("127.0.0.3")


def test_the_first_matching_rule_wins() -> None:
    table = control(("10.0.0.5", 32, "accept"), ("10.0.0.0", 8, "reject"), ("10.0.0.5", 32, "reject"))
    assert table.allows("10.0.0.5")
    assert not table.allows("10.0.0.6")


def test_the_default_action_applies_when_no_rule_matches() -> None:
    only_lan = control(("192.168.0.0", 16, "accept"), default="reject")
    assert only_lan.allows("192.168.10.20")
    assert not only_lan.allows("8.8.8.8")
    assert not only_lan.allows("2001:db8::1")
    assert control().allows("8.8.8.8")  # no rule, accept by default


def test_ipv6_rules_and_prefix_lengths_up_to_128() -> None:
    table = control(("2001:db8::", 32, "reject"), ("fe80::1", 128, "reject"))
    assert not table.allows("2001:db8:1::42")
    assert table.allows("2001:db9::1")
    assert not table.allows("fe80::1")
    assert not table.allows("fe80::1%eth0")  # a zone index is not part of the address
    assert table.allows("fe80::2")
    assert table.allows("192.168.1.1")  # an IPv6 rule never matches an IPv4 client


def test_an_ipv4_mapped_ipv6_client_is_matched_as_ipv4() -> None:
    table = control(("10.0.0.0", 8, "reject"))
    assert not table.allows("::ffff:10.1.2.3")
    assert table.allows("::ffff:192.168.1.1")
    assert source_key("::ffff:10.1.2.3") == "10.1.2.3"


def test_prefix_zero_matches_every_address_of_its_family() -> None:
    table = control(("0.0.0.0", 0, "reject"), default="accept")
    assert not table.allows("203.0.113.9") and table.allows("::1")
    assert not control(("::", 0, "reject")).allows("::1")


def test_disabled_accepts_everyone_and_a_non_ip_peer_is_local() -> None:
    assert control(("0.0.0.0", 0, "reject"), enabled=False).allows("10.0.0.1")
    assert control(("0.0.0.0", 0, "reject"), default="reject").allows("")


def test_a_rule_outside_its_family_range_is_refused() -> None:
    with pytest.raises(ValueError):
        rule_network("10.0.0.0", 33)
    with pytest.raises(ValueError):
        rule_network("not an address", 8)


def test_settings_validate_the_rules_and_bound_their_count() -> None:
    settings = apply_changes(
        Settings(),
        {
            "access_control.enabled": True,
            "access_control.rules": [
                {"address": "192.168.1.0", "prefix_length": 24, "action": "accept"},
                {"address": "2001:db8::", "prefix_length": 64, "action": "reject"},
            ],
            "access_control.default_action": "reject",
        },
    )
    assert [rule.prefix_length for rule in settings.access_control.rules] == [24, 64]
    guard = AccessGuard()
    assert guard.allows(settings.access_control, "192.168.1.9")
    assert not guard.allows(settings.access_control, "10.0.0.1")
    for bad in (
        {"address": "10.0.0.0", "prefix_length": 33, "action": "accept"},
        {"address": "2001:db8::", "prefix_length": 129, "action": "accept"},
        {"address": "10.0.0.0/8", "prefix_length": 8, "action": "accept"},
        {"address": "10.0.0.0", "prefix_length": 8, "action": "drop"},
        {"address": "10.0.0.0", "prefix_length": "8", "action": "accept", "extra": 1},
    ):
        with pytest.raises(SettingsError):
            apply_changes(Settings(), {"access_control.rules": [bad]})
    many = [{"address": f"10.0.0.{n}", "prefix_length": 32, "action": "reject"} for n in range(33)]
    with pytest.raises(SettingsError):
        apply_changes(Settings(), {"access_control.rules": many})
    # Out of the box nothing is filtered.
    assert not Settings().access_control.enabled
    assert AccessGuard().allows(Settings().access_control, "203.0.113.1")


def test_the_guard_follows_a_new_settings_section() -> None:
    guard = AccessGuard()
    first = apply_changes(Settings(), {"access_control.enabled": True, "access_control.default_action": "reject"})
    assert not guard.allows(first.access_control, "10.0.0.1")
    second = apply_changes(first, {"access_control.default_action": "accept"})
    assert guard.allows(second.access_control, "10.0.0.1")


def test_refusals_are_counted_per_source_with_one_report_a_minute() -> None:
    denials = Denials(period=60)
    assert denials.record("10.0.0.1", now=1000.0) == 1  # the first refusal is reported at once
    assert [denials.record("10.0.0.1", now=1000.0 + n) for n in range(1, 59)] == [0] * 58
    assert denials.pending("10.0.0.1") == 58
    assert denials.record("10.0.0.2", now=1010.0) == 1  # another source has its own minute
    assert denials.record("10.0.0.1", now=1060.0) == 59  # the next minute reports the count
    assert denials.total == 61


def test_the_refusal_table_keeps_a_bounded_number_of_sources() -> None:
    denials = Denials(period=60, max_sources=100)
    for n in range(5000):
        denials.record(f"10.0.{n // 256}.{n % 256}", now=float(n))
    assert denials.sources <= 101 and denials.total == 5000
    # Past the bound within one period, the new sources share one entry: one event, not one each.
    crowded = Denials(period=60, max_sources=100)
    events = [crowded.record(f"10.1.{n // 256}.{n % 256}", now=0.0) for n in range(5000)]
    assert sum(1 for count in events if count) == 101 and crowded.sources == 101


def test_rules_survive_the_settings_file() -> None:
    from netvision.settings.store import settings_from_toml, settings_to_toml

    settings = apply_changes(
        Settings(),
        {
            "access_control.enabled": True,
            "access_control.rules": [
                {"address": "127.0.0.2", "prefix_length": 32, "action": "reject"},
                {"address": "::1", "prefix_length": 128, "action": "accept"},
            ],
        },
    )
    text = settings_to_toml(settings)
    assert "[[access_control.rules]]" in text
    assert settings_from_toml(text) == settings
