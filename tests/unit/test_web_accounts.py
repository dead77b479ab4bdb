"""Web accounts, password policy and sessions (EN §11.5, §18.2, §18.4)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from netvision.passwords import DUMMY_HASH, is_password_hash
from netvision.services.web.accounts import (
    LOCK_AFTER,
    SLOW_AFTER,
    AccountError,
    AccountStore,
    check_password_policy,
    hash_password,
    initial_admin_password,
    mac_address,
    password_problems,
    verify_password,
)
from netvision.services.web.sessions import SessionManager

MAC = "00:e0:d8:12:ab:cd"
GOOD = "Abcdefgh1234!"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def store(tmp_path: Path, clock: Clock | None = None) -> AccountStore:
    return AccountStore.open(tmp_path, lambda: MAC, clock or Clock())


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Abc1!", "at least 12 characters"),
        ("abcdefgh1234!", "upper case"),
        ("ABCDEFGH1234!", "lower case"),
        ("Abcdefghijkl!", "digit"),
        ("Abcdefgh12345", "special"),
        ("Abcdefgh1234!$", "no character other"),
        ("Abcdefgh 1234!", "no character other"),
    ],
)
def test_password_policy_names_what_is_missing(password: str, missing: str) -> None:
    assert any(missing in problem for problem in password_problems(password))


@pytest.mark.parametrize("password", ["Abcdefgh1234!", "zZ9%zzzzzzzz", "Q1w2e3r4t5y6^", "PASSword0001*#@"])
def test_password_policy_accepts_the_six_specials(password: str) -> None:
    assert password_problems(password) == []


def test_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("scrypt$") and first != second
    assert verify_password(GOOD, first) and not verify_password("Abcdefgh1234%", first)
    assert not verify_password(GOOD, "garbage")


def test_unknown_users_are_checked_against_a_hash_made_without_scrypt() -> None:
    """Importing the accounts runs no scrypt (16 MiB at start); an unknown user's password is
    still checked at the same cost as a known one's, and never matches."""
    program = (
        "import hashlib\n"
        "def refuse(*args, **kwargs): raise AssertionError('scrypt ran at import')\n"
        "hashlib.scrypt = refuse\n"
        "import netvision.services.web.accounts, netvision.services.nut.auth\n"
    )
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)
    assert is_password_hash(DUMMY_HASH) and DUMMY_HASH.split("$")[1:4] == hash_password("x").split("$")[1:4]
    assert not verify_password("", DUMMY_HASH) and not verify_password(GOOD, DUMMY_HASH)


def test_initial_admin_password_is_last_six_mac_characters() -> None:
    assert initial_admin_password(MAC) == "12ABCD"
    assert initial_admin_password("00-E0-D8-FF-C1-A0") == "FFC1A0"


def test_mac_address_reads_the_named_interface(tmp_path: Path) -> None:
    (tmp_path / "lo").mkdir()
    (tmp_path / "lo" / "address").write_text("00:00:00:00:00:00\n")
    (tmp_path / "eth1").mkdir()
    (tmp_path / "eth1" / "address").write_text("02:fc:00:00:00:01\n")
    assert mac_address("", tmp_path) == "02:fc:00:00:00:01"
    assert mac_address("eth1", tmp_path) == "02:fc:00:00:00:01"
    with pytest.raises(AccountError):
        mac_address("wlan9", tmp_path)


def test_first_admin_login_uses_mac_password_and_forces_a_change(tmp_path: Path) -> None:
    accounts = store(tmp_path)
    outcome = accounts.authenticate("admin", "12abcd", 90)  # either case, as on the label
    assert outcome.account is not None and outcome.must_change
    accounts.change_password("admin", GOOD)
    again = accounts.authenticate("admin", GOOD, 90)
    assert again.account is not None and not again.must_change
    assert accounts.authenticate("admin", "12ABCD", 90).account is None


def test_accounts_file_is_private_and_holds_no_clear_password(tmp_path: Path) -> None:
    accounts = store(tmp_path)
    accounts.change_password("admin", GOOD)
    path = tmp_path / "web_accounts.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert GOOD not in path.read_text()
    reopened = store(tmp_path)
    assert reopened.authenticate("admin", GOOD, 90).account is not None


def test_password_expires_after_first_login_reset_days(tmp_path: Path) -> None:
    clock = Clock()
    accounts = store(tmp_path, clock)
    accounts.change_password("admin", GOOD)
    clock.now += 89 * 86400
    assert not accounts.authenticate("admin", GOOD, 90).must_change
    clock.now += 2 * 86400
    assert accounts.authenticate("admin", GOOD, 90).must_change
    assert not accounts.authenticate("admin", GOOD, 720).must_change


def test_repeated_failures_slow_down_then_lock_out(tmp_path: Path) -> None:
    clock = Clock()
    accounts = store(tmp_path, clock)
    accounts.change_password("admin", GOOD)
    delays = [accounts.authenticate("admin", "Wrong1234567!", 90) for _ in range(LOCK_AFTER)]
    assert delays[0].delay == 0 and delays[SLOW_AFTER - 1].delay > 0
    assert delays[-1].locked_now
    locked = accounts.authenticate("admin", GOOD, 90)
    assert locked.account is None and locked.reason == "locked"
    clock.now += 301
    assert accounts.authenticate("admin", GOOD, 90).account is not None


def test_multi_user_table_holds_eight_users_with_roles(tmp_path: Path) -> None:
    accounts = store(tmp_path)
    for number in range(8):
        accounts.put_user(f"user{number}", "read_only", GOOD)
    with pytest.raises(AccountError, match="at most 8"):
        accounts.put_user("user8", "read_only", GOOD)
    with pytest.raises(AccountError, match="admin"):
        accounts.put_user("admin", "read_only", GOOD)
    accounts.delete_user("user7")
    with pytest.raises(AccountError, match="needs"):
        accounts.put_user("weak", "read_only", "short")
    with pytest.raises(AccountError, match="access type"):
        accounts.put_user("user7", "admin", GOOD)
    accounts.put_user("user0", "disabled")
    assert accounts.authenticate("user0", GOOD, 90).reason == "disabled"
    with pytest.raises(AccountError, match="always exists"):
        accounts.delete_user("admin")


def test_new_write_login_ends_the_previous_write_session() -> None:
    sessions = SessionManager(timeout=lambda: 300.0, clock=Clock())
    first = sessions.open("admin", "admin", "en", False)
    reader = sessions.open("operator", "read_only", "en", False)
    assert sessions.lookup(first.token) is first  # a Read Only login leaves the write session
    second = sessions.open("writer", "read_write", "en", False)
    assert sessions.lookup(first.token) is None
    assert sessions.why_ended(first.token) == "replaced"
    assert sessions.lookup(second.token) is second
    assert sessions.lookup(reader.token) is reader


def test_read_only_sessions_beside_the_write_session_up_to_the_limit() -> None:
    clock = Clock()
    limit = [2]
    sessions = SessionManager(timeout=lambda: 300.0, clock=clock, read_only_limit=lambda: limit[0])
    admin = sessions.open("admin", "admin", "en", False)
    clock.now += 1
    first = sessions.open("a", "read_only", "en", False)
    first.streams = 1  # a live page open: replaced last
    clock.now += 1
    second = sessions.open("b", "read_only", "en", False)
    clock.now += 1
    third = sessions.open("c", "read_only", "en", False)
    assert sessions.why_ended(second.token) == "replaced"
    assert [s.token for s in sessions.sessions()] == [admin.token, first.token, third.token]
    limit[0] = 0  # the card's rule: one session at a time
    last = sessions.open("d", "read_only", "en", False)
    assert sessions.sessions() == [last]


def test_a_live_stream_keeps_only_read_only_sessions_alive() -> None:
    clock = Clock()
    keep = [True]
    sessions = SessionManager(timeout=lambda: 300.0, clock=clock, stream_keeps_read_only=lambda: keep[0])
    admin = sessions.open("admin", "admin", "en", False)
    reader = sessions.open("reader", "read_only", "en", False)
    for _ in range(3):
        clock.now += 200
        assert sessions.lookup(reader.token, touch=False, streaming=True) is reader
    assert sessions.lookup(admin.token, touch=False, streaming=True) is None
    keep[0] = False
    clock.now += 200
    assert sessions.lookup(reader.token, touch=False, streaming=True) is reader
    clock.now += 200
    assert sessions.lookup(reader.token, touch=False, streaming=True) is None


def test_session_ends_after_login_timeout_of_inactivity() -> None:
    clock = Clock()
    sessions = SessionManager(timeout=lambda: 300.0, clock=clock)
    session = sessions.open("admin", "admin", "en", False)
    clock.now += 299
    assert sessions.lookup(session.token) is session  # activity restarts the count
    clock.now += 299
    assert sessions.lookup(session.token, touch=False) is session
    clock.now += 2
    assert sessions.lookup(session.token) is None
    assert sessions.why_ended(session.token) == "timeout"


def test_read_only_and_pending_change_sessions_cannot_write() -> None:
    sessions = SessionManager(timeout=lambda: 300.0)
    reader = sessions.open("reader", "read_only", "en", False)
    assert not reader.can_write
    admin = sessions.open("admin", "admin", "en", True)
    assert not admin.can_write and not admin.is_admin
    assert admin.csrf_ok(admin.csrf) and not admin.csrf_ok("") and not admin.csrf_ok(None)


def test_a_refused_password_is_told_in_the_users_language() -> None:
    try:
        check_password_policy("short")
    except AccountError as problem:
        assert problem.text("en").startswith("The password needs at least 12 characters")
        french = problem.text("fr")
        assert french.startswith("Le mot de passe doit contenir au moins 12 caractères") and "upper" not in french
    else:
        raise AssertionError("a short password was accepted")
