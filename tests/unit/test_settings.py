"""Settings: manual defaults, validation messages, TOML file, atomic saves."""

from __future__ import annotations

import os
import stat
import zoneinfo
from pathlib import Path

import pydantic
import pytest

from netvision.settings import (
    Settings,
    SettingsError,
    apply_changes,
    changed_keys,
    check_file,
    default_settings_toml,
    load_settings,
    save_settings,
    settings_from_toml,
    settings_to_toml,
)
from netvision.settings.store import main as store_main

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(text: str, tmp_path: Path) -> list[str]:
    path = write(tmp_path / "netvision.toml", text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    return caught.value.problems


# -- defaults ------------------------------------------------------------------------------------


def test_defaults_are_the_manuals() -> None:
    settings = Settings()
    # §18.2 NET VISION configuration
    assert settings.system.name == "Socomec"
    assert settings.system.contact == ""
    assert settings.system.location == ""
    assert settings.system.temperature_unit == "C"
    assert settings.logs.history_interval == 60
    assert settings.logs.extended_interval == 60
    assert settings.serial.polling_rate == 2
    assert settings.web.password_validity_days == 90
    assert settings.serial.serial_timeout_ms.b57600 == 20
    assert settings.serial.serial_timeout_ms.b19200 == 50
    assert settings.serial.serial_timeout_ms.b9600 == 100
    assert settings.snmp.read_community == "public"
    assert settings.snmp.write_community == ""  # no SNMP write access out of the box
    assert settings.web.login_timeout == 300
    assert settings.serial.baud_rate == 9600
    assert settings.serial.auto_detect is True
    # §6 slave 1
    assert settings.serial.slave_id == 1
    # §18.3 NET VISION control
    assert (settings.web.http_enabled, settings.web.http_port) == (True, 80)
    assert (settings.web.https_enabled, settings.web.https_port) == (True, 443)
    assert settings.snmp.port == 161
    assert (settings.snmp.v1, settings.snmp.v2c, settings.snmp.v3) == (True, True, True)
    assert settings.serial.unit_select == 0
    assert settings.snmp.trap_filter is False
    # §18.12 Modbus TCP, FR §15.13 BACnet: protocol pages off by default (§11.2.3)
    assert (settings.modbus_tcp.enabled, settings.modbus_tcp.port) == (False, 502)
    assert settings.modbus_tcp.idle_timeout == 60
    assert (settings.bacnet.enabled, settings.bacnet.port, settings.bacnet.device_id) == (False, 47808, 1883)
    assert settings.system.time_zone == "UTC"
    assert settings.data_dir == "/var/lib/netvision"


def test_serial_timeout_is_chosen_by_baud_rate() -> None:
    timeout = Settings().serial.serial_timeout_ms
    assert [timeout.for_baud(baud) for baud in (57600, 19200, 9600, 2400)] == [20, 50, 100, 200]


def test_every_setting_has_a_description_for_the_file_comments() -> None:
    def walk(model: type[pydantic.BaseModel], prefix: str) -> list[str]:
        missing = []
        for name, info in model.model_fields.items():
            if not info.description:
                missing.append(prefix + name)
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
                missing += walk(annotation, f"{prefix}{name}.")
        return missing

    assert walk(Settings, "") == []


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(pydantic.ValidationError):
        settings.serial.polling_rate = 5  # type: ignore[misc]


# -- validation messages -------------------------------------------------------------------------


def test_polling_rate_zero_is_refused_naming_the_dotted_key(tmp_path: Path) -> None:
    problems = problems_of("[serial]\npolling_rate = 0\n", tmp_path)
    assert len(problems) == 1
    assert "netvision.toml" in problems[0]
    assert "serial.polling_rate = 0: must be at least 1" in problems[0]


def test_port_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of('[web]\nhttp_port = "abc"\n', tmp_path)
    assert 'web.http_port = "abc": must be a whole number' in problem


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of("[serial]\npolling_rat = 3\n", tmp_path)
    assert problem.endswith("serial.polling_rat: unknown key")


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of("[snmpp]\nport = 161\n", tmp_path)
    assert "snmpp: unknown key" in problem


def test_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of('[system]\ntime_zone = "Mars/Olympus_Mons"\n', tmp_path)
    assert "system.time_zone" in problem
    assert "unknown time zone" in problem


def test_time_zone_path_outside_the_database_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of('[system]\ntime_zone = "../../etc/passwd"\n', tmp_path)
    assert "system.time_zone" in problem


def test_iana_time_zone_is_accepted() -> None:
    try:
        zoneinfo.ZoneInfo("Europe/Paris")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")
    assert settings_from_toml('[system]\ntime_zone = "Europe/Paris"\n').system.time_zone == "Europe/Paris"


def test_baud_rate_outside_the_manuals_list_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of("[serial]\nbaud_rate = 4800\n", tmp_path)
    assert "serial.baud_rate = 4800: must be one of 2400, 9600, 19200 or 57600" in problem


def test_password_validity_is_limited_to_720_days(tmp_path: Path) -> None:
    (problem,) = problems_of("[web]\npassword_validity_days = 721\n", tmp_path)
    assert "web.password_validity_days = 721: must be at most 720" in problem


def test_nested_table_value_names_the_full_key(tmp_path: Path) -> None:
    (problem,) = problems_of("[serial.serial_timeout_ms]\nb9600 = -1\n", tmp_path)
    assert "serial.serial_timeout_ms.b9600 = -1: must be at least 0" in problem


def test_every_problem_of_a_file_is_listed(tmp_path: Path) -> None:
    problems = problems_of('[serial]\npolling_rate = 0\nslave_id = 300\n[web]\nbind = "nowhere"\n', tmp_path)
    assert len(problems) == 3
    assert all(problem.startswith(str(tmp_path / "netvision.toml") + ": ") for problem in problems)
    assert "web.bind" in problems[2] and "not an IPv4 or IPv6 address" in problems[2]


def test_two_services_on_one_port_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_toml("[modbus_tcp]\nenabled = true\nport = 80\n")
    assert "modbus_tcp.port: tcp port 80 is already used by web.http_port" in str(caught.value)


def test_same_port_on_tcp_and_udp_or_disabled_service_is_accepted() -> None:
    settings = settings_from_toml("[web]\nhttp_port = 161\n[modbus_tcp]\nport = 443\n")
    assert (settings.web.http_port, settings.snmp.port) == (161, 161)


def test_snmp_enabled_without_any_version_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_toml("[snmp]\nv1 = false\nv2c = false\nv3 = false\n")
    assert "snmp: enabled but none of v1, v2c, v3 is accepted" in str(caught.value)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (problem,) = problems_of("[serial]\npolling_rate = 2\nbaud_rate 9600\n", tmp_path)
    assert "netvision.toml: line 3, column" in problem
    assert "TOML syntax error" in problem


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path / "absent.toml")
    assert str(caught.value) == f"{tmp_path / 'absent.toml'}: file not found"


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path / "empty.toml", "")) == Settings()


def test_partial_file_keeps_the_other_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "partial.toml", "[serial]\npolling_rate = 5\n"))
    assert settings.serial.polling_rate == 5
    assert settings.serial.baud_rate == 9600
    assert settings.web == Settings().web


# -- saving --------------------------------------------------------------------------------------


def custom_settings() -> Settings:
    return apply_changes(
        Settings(),
        {
            "system.name": 'UPS "room B"',
            "system.time_zone": "UTC",
            "serial.polling_rate": 5,
            "serial.serial_timeout_ms.b2400": 300,
            "serial.reconnect_delay": 2.5,
            "snmp.v1": False,
            "modbus_tcp.enabled": True,
        },
    )


def test_save_then_load_gives_the_same_settings(tmp_path: Path) -> None:
    path = tmp_path / "netvision.toml"
    settings = custom_settings()
    save_settings(settings, path)
    assert load_settings(path) == settings
    assert path.read_text(encoding="utf-8") == settings_to_toml(settings)


def test_saved_file_is_complete_and_commented(tmp_path: Path) -> None:
    path = tmp_path / "netvision.toml"
    save_settings(Settings(), path)
    text = path.read_text(encoding="utf-8")
    assert "# Polling Rate (s): delay between 2 pollings (§18.2) (1..60)\npolling_rate = 2\n" in text
    assert "[serial.serial_timeout_ms]\n" in text


def test_backup_holds_the_previous_content_after_a_save(tmp_path: Path) -> None:
    path = tmp_path / "netvision.toml"
    save_settings(Settings(), path)
    first = path.read_bytes()
    save_settings(custom_settings(), path)
    assert (tmp_path / "netvision.toml.bak").read_bytes() == first
    assert load_settings(path) == custom_settings()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["netvision.toml", "netvision.toml.bak"]


@pytest.mark.parametrize("crashing_rename", ["backup", "settings file"])
def test_crash_before_rename_leaves_the_original_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crashing_rename: str
) -> None:
    path = tmp_path / "netvision.toml"
    save_settings(Settings(), path)
    original = path.read_bytes()
    real_replace = os.replace

    def crash(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        is_backup = os.fspath(dst).endswith(".bak")
        if is_backup == (crashing_rename == "backup"):
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(SettingsError) as caught:
        save_settings(custom_settings(), path)
    monkeypatch.undo()

    assert "cannot write: Input/output error" in str(caught.value)
    assert path.read_bytes() == original
    assert load_settings(path) == Settings()
    assert not (tmp_path / "netvision.toml.tmp").exists()
    assert not (tmp_path / "netvision.toml.bak.tmp").exists()


def test_new_file_is_private_and_existing_mode_is_kept(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.toml"
    save_settings(Settings(), fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600

    shared = write(tmp_path / "shared.toml", "")
    shared.chmod(0o640)
    save_settings(Settings(), shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640


def test_saving_through_a_symbolic_link_keeps_the_link(tmp_path: Path) -> None:
    real = write(tmp_path / "real.toml", "")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    save_settings(custom_settings(), link)
    assert link.is_symlink()
    assert load_settings(real) == custom_settings()


# -- changes -------------------------------------------------------------------------------------


def test_changed_keys_lists_dotted_keys_with_old_and_new_values() -> None:
    assert changed_keys(Settings(), custom_settings()) == [
        ("system.name", "Socomec", 'UPS "room B"'),
        ("serial.polling_rate", 2, 5),
        ("serial.serial_timeout_ms.b2400", 200, 300),
        ("serial.reconnect_delay", 1.0, 2.5),
        ("snmp.v1", True, False),
        ("modbus_tcp.enabled", False, True),
    ]
    assert changed_keys(Settings(), Settings()) == []


def test_apply_changes_refuses_a_bad_value_without_touching_the_settings() -> None:
    settings = Settings()
    with pytest.raises(SettingsError) as caught:
        apply_changes(settings, {"serial.polling_rate": 0, "web.nope": 1, "nosuch.key": 2})
    assert caught.value.problems == ["nosuch.key: unknown key"]
    with pytest.raises(SettingsError) as caught:
        apply_changes(settings, {"serial.polling_rate": 0})
    assert caught.value.problems == ["serial.polling_rate = 0: must be at least 1"]
    assert settings == Settings()


# -- shipped files and check ---------------------------------------------------------------------


def test_shipped_defaults_file_is_the_generated_one() -> None:
    path = REPO / "config" / "netvision.toml"
    assert path.read_text(encoding="utf-8") == default_settings_toml(), (
        "regenerate: python -m netvision.settings.store --write-defaults config/netvision.toml"
    )
    assert load_settings(path) == Settings()


def test_demo_file_uses_the_simulator_and_unprivileged_ports() -> None:
    settings = load_settings(REPO / "netvision" / "demo.toml")
    assert settings.serial.device == "simulator"
    assert (settings.web.http_port, settings.web.https_port) == (8080, 8443)
    assert settings.snmp.port == 1161
    assert (settings.modbus_tcp.enabled, settings.modbus_tcp.port) == (True, 1502)
    assert (settings.bacnet.enabled, settings.bacnet.port) == (True, 47808)
    assert {settings.web.bind, settings.snmp.bind, settings.modbus_tcp.bind, settings.bacnet.bind} == {"127.0.0.1"}
    assert all(port >= 1024 for _key, _proto, _addr, port in settings.listeners())


def test_check_file_lists_problems_of_a_bad_file(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", '[serial]\npolling_rate = 0\n[system]\ntime_zone = "Nowhere/Land"\n')
    problems = check_file(bad)
    assert len(problems) == 2
    assert any("serial.polling_rate = 0: must be at least 1" in problem for problem in problems)
    assert any('system.time_zone = "Nowhere/Land": unknown time zone' in problem for problem in problems)


def test_check_file_returns_nothing_for_a_good_file() -> None:
    assert check_file(REPO / "config" / "netvision.toml") == []
    assert check_file(REPO / "netvision" / "demo.toml") == []


def test_write_defaults_command_writes_the_defaults_file(tmp_path: Path) -> None:
    path = tmp_path / "netvision.toml"
    assert store_main(["--write-defaults", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == default_settings_toml()
    assert store_main(["--check", str(path)]) == 0


def test_fast_lane_is_off_or_at_least_100_ms() -> None:
    assert Settings().serial.fast_lane_ms == 500
    assert settings_from_toml("[serial]\nfast_lane_ms = 0\n").serial.fast_lane_ms == 0
    for value, problem in ((50, "must be 0 (off) or at least 100"), (20000, "must be at most 10000")):
        with pytest.raises(SettingsError) as caught:
            settings_from_toml(f"[serial]\nfast_lane_ms = {value}\n")
        assert f"serial.fast_lane_ms = {value}: {problem}" in str(caught.value)
