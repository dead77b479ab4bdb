"""The Wake-on-LAN magic packet, byte for byte."""

from __future__ import annotations

import pytest

from netvision.services.wake_on_lan.packet import mac_bytes, magic_packet
from netvision.settings import Settings


def test_magic_packet_is_six_ff_then_the_mac_sixteen_times() -> None:
    packet = magic_packet("00:11:22:aa:BB:cc")
    assert len(packet) == 102
    assert packet[:6] == bytes.fromhex("ffffffffffff")
    assert packet == bytes.fromhex("ff" * 6 + "001122aabbcc" * 16)


def test_mac_separators_and_errors() -> None:
    assert mac_bytes("00-11-22-33-44-55") == mac_bytes("001122334455") == bytes(range(0, 0x56, 0x11))
    with pytest.raises(ValueError):
        mac_bytes("00:11:22:33:44")
    with pytest.raises(ValueError):
        mac_bytes("00:11:22:33:44:zz")


def test_targets_are_normalised_and_capped_at_32() -> None:
    settings = Settings.model_validate({"wake_on_lan": {"targets": [{"mac": "00-11-22-AA-BB-CC"}]}})
    assert settings.wake_on_lan.targets[0].mac == "00:11:22:aa:bb:cc"
    with pytest.raises(ValueError):
        Settings.model_validate({"wake_on_lan": {"targets": [{"mac": "00:11:22:33:44:55"}] * 33}})
    defaults = Settings().wake_on_lan
    assert (defaults.enabled, defaults.repeat, defaults.interval, defaults.address, defaults.port) == (
        False,
        1,
        1,
        "255.255.255.255",
        9,
    )


def test_syslog_settings_defaults_and_tls_port() -> None:
    syslog = Settings().syslog
    assert (syslog.enabled, syslog.port, syslog.transport) == (False, 514, "udp")
    assert syslog.groups == ["ups", "netvision", "service"]
    assert Settings.model_validate({"syslog": {"transport": "tls"}}).syslog.port == 6514
    assert Settings.model_validate({"syslog": {"transport": "tls", "port": 10514}}).syslog.port == 10514
    with pytest.raises(ValueError):
        Settings.model_validate({"syslog": {"enabled": True}})  # no server
    with pytest.raises(ValueError):
        Settings.model_validate({"syslog": {"client_certificate_file": "/c.pem"}})  # no key
