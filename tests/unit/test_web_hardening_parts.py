"""Issue 10, the pieces behind the web hardening: secret fields, encrypted backups, merged
restores, failed-login counting and logging, process limits, the private data directory."""

from __future__ import annotations

import asyncio
import os
import resource
import stat
from pathlib import Path

import pytest

from netvision.events.bus import EventBus
from netvision.limits import make_private, raise_open_file_limit, set_process_limits
from netvision.services.web.accounts import LOCK_AFTER, MAX_TRACKED, AccountStore, source_key
from netvision.services.web.failures import OTHER_SOURCES, FailedLogins
from netvision.settings import Settings, backup
from netvision.settings.secrets import PLACEHOLDER, changed_secrets, redact, secret_keys
from netvision.settings.store import (
    MAX_DEPTH,
    SettingsError,
    apply_changes,
    settings_from_upload,
    settings_to_toml,
)

GOOD = "Good1234567!x"


def with_secrets() -> Settings:
    return Settings.model_validate(
        {
            "snmp": {
                "write_community": "w-secret",
                "usm_users": [
                    {"name": "a", "auth_password": "a-auth-secret", "priv_password": "a-priv-secret"},
                    {"name": "b", "auth_password": "b-auth-secret", "priv_password": "b-priv-secret"},
                ],
                "trap_receivers": [{"address": "192.0.2.1", "community": "t-secret"}],
            }
        }
    )


def test_every_community_and_v3_password_is_declared_secret() -> None:
    assert set(secret_keys()) == {
        "snmp.read_community",
        "snmp.write_community",
        "snmp.usm_users[].auth_password",
        "snmp.usm_users[].priv_password",
        "snmp.trap_receivers[].community",
        "mail.password",
        "nut.users[].password",  # kept hashed
    }


def test_redacted_settings_say_set_or_not_set_and_a_placeholder_keeps_each_rows_secret() -> None:
    settings = with_secrets()
    shown = redact(settings.model_dump(mode="json"))
    assert "secret" not in repr(shown)
    assert shown["snmp"]["write_community"] == PLACEHOLDER
    # Rows sent back as shown, reordered and one removed: each keeps its own secrets.
    users = [shown["snmp"]["usm_users"][1]]
    changed = apply_changes(settings, {"snmp.usm_users": users, "snmp.write_community": PLACEHOLDER})
    assert changed.snmp.usm_users[0].name == "b" and changed.snmp.usm_users[0].auth_password == "b-auth-secret"
    assert changed.snmp.write_community == "w-secret"
    assert changed_secrets(settings, changed) == ["snmp.usm_users[a].auth_password", "snmp.usm_users[a].priv_password"]
    # A new row given with a placeholder has nothing to keep: validation says so.
    with pytest.raises(SettingsError, match="8 characters"):
        apply_changes(settings, {"snmp.usm_users": [{"name": "new", "auth_password": PLACEHOLDER, "priv_password": PLACEHOLDER}]})


def test_a_plain_file_has_no_secret_and_restores_to_the_same_settings() -> None:
    settings = with_secrets()
    plain = settings_to_toml(settings, with_secrets=False)
    assert "secret" not in plain
    restored, missing = settings_from_upload(plain, settings)
    assert restored == settings and missing == []


def test_a_partial_file_is_merged_over_the_current_settings() -> None:
    current = with_secrets().model_copy(update={"data_dir": "/srv/here"})
    restored, missing = settings_from_upload('data_dir = "/elsewhere"\n[system]\nname = "x"\n', current)
    assert restored.system.name == "x" and restored.data_dir == "/srv/here"
    assert restored.model_copy(update={"system": current.system}) == current
    assert "snmp" in missing and "system.contact" in missing


def test_deep_toml_is_refused_with_a_clear_problem() -> None:
    for text in ("a = " + "[" * 50 + "]" * 50, "a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 40 + "1" + "}" * 40):
        with pytest.raises(SettingsError, match=f"more than {MAX_DEPTH} levels"):
            settings_from_upload(text, Settings())


def test_an_encrypted_backup_round_trips_and_refuses_a_wrong_password_or_a_change() -> None:
    text = settings_to_toml(with_secrets())
    sealed = backup.encrypt(text, "Backup-pass-1")
    assert backup.is_backup(sealed) and not backup.is_backup(text)
    assert "secret" not in sealed
    assert backup.decrypt(sealed, "Backup-pass-1") == text
    with pytest.raises(backup.BackupError, match="wrong backup password"):
        backup.decrypt(sealed, "Backup-pass-2")
    with pytest.raises(backup.BackupError, match="give its password"):
        backup.decrypt(sealed, None)
    tampered = sealed.replace('"r": 8', '"r": 7')  # the header is authenticated too
    with pytest.raises(backup.BackupError):
        backup.decrypt(tampered, "Backup-pass-1")
    costly = sealed.replace('"n": 32768', '"n": 1073741824')  # a file must not set a huge scrypt cost
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.decrypt(costly, "Backup-pass-1")
    with pytest.raises(backup.BackupError, match="8 to"):
        backup.encrypt(text, "short")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def accounts(tmp_path: Path, clock: Clock) -> AccountStore:
    store = AccountStore.open(tmp_path, lambda: "00:11:22:33:44:55", clock)
    store.change_password("admin", GOOD)
    return store


def test_lock_out_is_per_account_and_address_and_grows(tmp_path: Path) -> None:
    clock = Clock()
    store = accounts(tmp_path, clock)
    for _ in range(LOCK_AFTER):
        store.authenticate("admin", "Wrong1234567!", 90, "192.0.2.7")
    assert store.authenticate("admin", GOOD, 90, "192.0.2.7").reason == "locked"
    assert store.authenticate("admin", GOOD, 90, "192.0.2.8").account is not None  # another address
    clock.now += 61
    lock_times = []
    for _ in range(2):  # each new lock-out lasts twice as long
        for _ in range(LOCK_AFTER):
            store.authenticate("admin", "Wrong1234567!", 90, "192.0.2.7")
        start = clock.now
        while store.authenticate("admin", "x", 90, "192.0.2.7").reason == "locked":
            clock.now += 10
        lock_times.append(clock.now - start)
        for key in store._failures:
            store._failures[key].count = 0  # the probe above counted one failure
    assert lock_times[1] > lock_times[0] >= 120


def test_ipv6_addresses_of_one_host_share_a_counter() -> None:
    assert source_key("2001:db8::1") == source_key("2001:db8::ffff") == "2001:db8::/64"
    assert source_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert source_key("192.0.2.1") == "192.0.2.1"


def test_failure_counters_stay_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from netvision.services.web import accounts as module

    monkeypatch.setattr(module, "verify_password", lambda password, stored: False)  # no scrypt: fast
    store = accounts(tmp_path, Clock())
    for number in range(MAX_TRACKED + 200):
        store.authenticate(f"name{number}", "x", 90, f"10.{number // 65536}.{number // 256 % 256}.{number % 256}")
    assert store.tracked_failures() == MAX_TRACKED
    for number in range(300):  # many names from one address: one counter
        store.authenticate(f"other{number}", "x", 90, "192.0.2.99")
    assert store.tracked_failures() == MAX_TRACKED


async def test_failed_logins_are_logged_once_per_source_and_window_with_the_count() -> None:
    bus = EventBus()
    events = bus.subscribe("test")
    failures = FailedLogins(lambda: bus, window=0.05, max_sources=2)
    for _ in range(100):
        failures.failed("192.0.2.1", "admin")
    for source in ("192.0.2.2", "192.0.2.3", "192.0.2.4"):
        failures.failed(source, "x")
    assert failures.sources() == 3  # two sources told apart, the others in one row
    await asyncio.sleep(0.3)
    found = []
    while (event := events.get_nowait()) is not None:
        found.append(event)
    firsts = [event.data["ip"] for event in found if event.id == "nv.web_login_failed"]
    assert firsts == ["192.0.2.1", "192.0.2.2", OTHER_SOURCES]
    counts = {event.data["ip"]: event.data["count"] for event in found if event.id == "nv.web_login_failures"}
    assert counts == {"192.0.2.1": 99, OTHER_SOURCES: 1}
    await asyncio.sleep(0.3)
    assert failures.sources() == 0  # quiet windows are forgotten
    failures.close()


def test_the_open_file_limit_is_raised_to_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
        new_soft, new_hard = raise_open_file_limit()
        assert new_hard == hard and new_soft == (hard if hard != resource.RLIM_INFINITY else new_soft)
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == new_soft >= 256
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_data_directory_becomes_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "tls").mkdir(parents=True)
    (data / "tls" / "cacert.crt").write_text("x")
    (data / "netvision.db").write_text("x")
    os.chmod(data, 0o755)
    os.chmod(data / "tls", 0o755)
    os.chmod(data / "netvision.db", 0o644)
    umask = os.umask(0o022)
    try:
        make_private(data)
        set_process_limits()  # what `netvision run` sets: files created private
        created = data / "new.db"
        created.write_text("x")
        created_mode = stat.S_IMODE(created.stat().st_mode)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "tls").stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "netvision.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "tls" / "cacert.crt").stat().st_mode) == 0o600
    assert created_mode == 0o600  # the umask makes new files private too


def test_two_receivers_at_one_address_keep_their_own_community() -> None:
    settings = Settings.model_validate(
        {
            "snmp": {
                "trap_receivers": [
                    {"address": "192.0.2.1", "port": 162, "community": "first-secret"},
                    {"address": "192.0.2.1", "port": 1162, "community": "second-secret"},
                ]
            }
        }
    )
    shown = redact(settings.model_dump(mode="json"))["snmp"]["trap_receivers"]
    changed = apply_changes(settings, {"snmp.trap_receivers": list(reversed(shown))})
    assert [(r.port, r.community) for r in changed.snmp.trap_receivers] == [(1162, "second-secret"), (162, "first-secret")]
