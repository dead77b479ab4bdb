"""Web accounts: ``admin`` plus up to 8 users (EN §11.5, §18.2, §18.4).

Accounts live in their own file in the data directory (``web_accounts.json``,
mode 0600) rather than in the settings TOML: a configuration backup must not
carry password hashes, and a restore must not replace them. Passwords are
stored as salted scrypt hashes (standard library), never in clear.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ... import netinfo
from ...fileio import atomic_write
from ...i18n import label
from ...passwords import DUMMY_HASH, hash_password, verify_password

ACCOUNTS_FILE = "web_accounts.json"
ADMIN = "admin"
MAX_USERS = 8  # §18.4: "up to 8 user accounts", admin not counted

# Roles: admin is the one account that manages the others (§18.4).
ROLE_ADMIN = "admin"
ROLE_READ_WRITE = "read_write"
ROLE_READ_ONLY = "read_only"
ROLE_DISABLED = "disabled"
USER_ROLES = (ROLE_DISABLED, ROLE_READ_ONLY, ROLE_READ_WRITE)

# §11.5 password policy: ≥ 12 characters, upper, lower, digit and one of ! % # @ ^ *, nothing else.
SPECIALS = "!%#@^*"
_ALLOWED = re.compile(r"^[A-Za-z0-9!%#@^*]+$")
_USER_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
MAX_USER_NAME = 32

# Failed logins, counted per account and source address: the answer slows down after
# the 3rd failure and the account is locked for that source only after the 5th, first for
# LOCK_SECONDS, twice as long at each new lock-out up to MAX_LOCK_SECONDS (security by
# default; the manual is silent). Another address still logs in: a flood from one
# address never locks admin out. Unknown user names share one counter per source.
SLOW_AFTER = 3
LOCK_AFTER = 5
LOCK_SECONDS = 60.0
MAX_LOCK_SECONDS = 3600.0
MAX_DELAY = 4.0
FORGET_AFTER = 86400.0  # a day without failure starts the counting again
MAX_TRACKED = 1024  # (account, source) pairs remembered; the least recently seen is dropped


class AccountError(ValueError):
    """A refused account operation; the message says why. ``key`` and ``values`` give the
    same in the label tables, for the page's language (:meth:`text`)."""

    def __init__(self, message: str, key: str = "", **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values

    def text(self, language: str) -> str:
        if not self.key:
            return str(self)
        values = dict(self.values)
        rules = values.pop("rules", None)
        if isinstance(rules, list):
            values["problems"] = ", ".join(label(f"account.rule.{rule}", language) for rule in rules)
        return label(self.key, language).format(**values)


# The password policy (§11.5): (rule, what the password then lacks).
_RULES = (
    ("length", "at least 12 characters"),
    ("upper", "an upper case letter (A-Z)"),
    ("lower", "a lower case letter (a-z)"),
    ("digit", "a digit (0-9)"),
    ("special", "one of the special characters ! % # @ ^ *"),
    ("allowed", "no character other than letters, digits and ! % # @ ^ *"),
)


def broken_rules(password: str) -> list[str]:
    """The rules of the §11.5 policy the password breaks (empty list = acceptable)."""
    broken = []
    if len(password) < 12:
        broken.append("length")
    if not re.search(r"[A-Z]", password):
        broken.append("upper")
    if not re.search(r"[a-z]", password):
        broken.append("lower")
    if not re.search(r"[0-9]", password):
        broken.append("digit")
    if not any(char in SPECIALS for char in password):
        broken.append("special")
    if password and not _ALLOWED.match(password):
        broken.append("allowed")
    return broken


def password_problems(password: str) -> list[str]:
    """What the password lacks under the §11.5 policy (empty list = acceptable)."""
    words = dict(_RULES)
    return [words[rule] for rule in broken_rules(password)]


def check_password_policy(password: str) -> None:
    rules = broken_rules(password)
    if rules:
        words = dict(_RULES)
        message = "the password needs " + ", ".join(words[rule] for rule in rules)
        raise AccountError(message, "account.password_needs", rules=rules)


def mac_address(interface: str = "", sys_class_net: Path = netinfo.SYS_CLASS_NET) -> str:
    """MAC of ``interface``, or of the first non-loopback interface with a real address."""
    address = netinfo.mac_address(interface, sys_class_net)
    if address is None:
        raise AccountError(f"no MAC address found (interface {interface or 'any'})")
    return address


def initial_admin_password(mac: str) -> str:
    """§11.5: "the 6 last char of its MAC address", counted without separators, upper case
    as printed on the card's label (accepted in either case, see ``Account.initial``)."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    if len(digits) < 6:
        raise AccountError(f"not a MAC address: {mac!r}")
    return digits[-6:].upper()


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password_hash: str
    password_changed: float  # epoch seconds
    must_change: bool = False  # first login (§11.5) or password expired (§18.2)
    initial: bool = False  # still the MAC-derived password: compared case-insensitively
    language: str = ""  # "" = the system language (§18.17)

    @property
    def can_write(self) -> bool:
        return self.role in (ROLE_ADMIN, ROLE_READ_WRITE)

    def public(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role,
            "language": self.language,
            "must_change": self.must_change,
            "password_changed": self.password_changed,
        }


@dataclass
class _Failures:
    count: int = 0
    in_flight: int = 0  # passwords being checked now: they count against the allowance
    locked_until: float = 0.0
    lockouts: int = 0  # lock-outs in a row: each doubles the next one
    last: float = 0.0


def source_key(address: str) -> str:
    """Where failures are counted: the address, or its /64 for IPv6 (one host's usual share)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


@dataclass
class LoginOutcome:
    account: Account | None
    reason: str = ""  # "" | "invalid" | "locked" | "disabled"
    delay: float = 0.0  # seconds the caller should wait before answering
    must_change: bool = False
    locked_now: bool = False
    checked: bool = False  # a password was actually checked (scrypt ran)


@dataclass
class AccountStore:
    """The accounts file and the failed-login counters (kept in memory)."""

    path: Path
    mac: Callable[[], str]
    clock: Callable[[], float] = time.time
    accounts: dict[str, Account] = field(default_factory=dict)
    _failures: OrderedDict[tuple[str, str], _Failures] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, data_dir: Path, mac: Callable[[], str], clock: Callable[[], float] = time.time) -> AccountStore:
        store = cls(data_dir / ACCOUNTS_FILE, mac, clock)
        store.load()
        return store

    # -- persistence ------------------------------------------------------------------------------

    def load(self) -> None:
        self.accounts = {}
        if self.path.exists():
            document = json.loads(self.path.read_text())
            for item in document.get("accounts", []):
                account = Account(**item)
                self.accounts[account.name] = account
        if ADMIN not in self.accounts:
            self.reset_admin()

    def reset_admin(self) -> None:
        """admin back to the MAC-derived password, to be changed at first login (§11.5, §9)."""
        self.accounts[ADMIN] = Account(
            ADMIN,
            ROLE_ADMIN,
            hash_password(initial_admin_password(self.mac()).lower()),
            self.clock(),
            must_change=True,
            initial=True,
        )
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"accounts": [asdict(account) for account in self.accounts.values()]}
        atomic_write(self.path, json.dumps(document, indent=1).encode())

    # -- queries ----------------------------------------------------------------------------------

    def get(self, name: str) -> Account | None:
        return self.accounts.get(name)

    def users(self) -> list[Account]:
        return [account for account in self.accounts.values() if account.name != ADMIN]

    def expired(self, account: Account, validity_days: int) -> bool:
        return self.clock() - account.password_changed > validity_days * 86400

    def days_left(self, account: Account, validity_days: int) -> int:
        """Whole days before the password must be changed (FR §11.6), 0 once expired."""
        seconds = validity_days * 86400 - (self.clock() - account.password_changed)
        return max(0, math.ceil(seconds / 86400))

    # -- login ------------------------------------------------------------------------------------

    def authenticate(self, name: str, password: str, validity_days: int, source: str = "") -> LoginOutcome:
        """Check a login from ``source`` (the client address). Slow (scrypt): call it in a thread.

        The allowance is taken before the password is checked, under a lock, so that
        concurrent guesses cannot check more than LOCK_AFTER passwords between two locks."""
        now = self.clock()
        known = name in self.accounts
        key = (name if known else "", source_key(source))
        with self._lock:
            failures = self._failures.get(key)
            if failures is None or (now - failures.last > FORGET_AFTER and failures.locked_until <= now):
                failures = self._failures[key] = _Failures()
                while len(self._failures) > MAX_TRACKED:
                    self._failures.popitem(last=False)
            self._failures.move_to_end(key)
            failures.last = now
            if failures.locked_until > now or failures.count + failures.in_flight >= LOCK_AFTER:
                return LoginOutcome(None, "locked")
            failures.in_flight += 1
        good = False
        try:
            account = self.accounts.get(name)
            candidate = password.lower() if account is not None and account.initial else password
            # Hash even for an unknown user so that timing does not tell which names exist.
            stored = account.password_hash if account is not None else DUMMY_HASH
            good = verify_password(candidate, stored) and account is not None
        finally:
            with self._lock:
                failures.in_flight -= 1
                outcome = LoginOutcome(None, "invalid", checked=True)
                if not good:
                    failures.count += 1
                    if failures.count >= LOCK_AFTER:
                        failures.lockouts += 1
                        duration = min(MAX_LOCK_SECONDS, LOCK_SECONDS * 2 ** (failures.lockouts - 1))
                        failures.locked_until = now + duration
                        failures.count = 0
                        outcome.locked_now = True
                    elif failures.count >= SLOW_AFTER:
                        outcome.delay = min(MAX_DELAY, 0.5 * 2 ** (failures.count - SLOW_AFTER))
                else:
                    self._failures.pop(key, None)
        if not good:
            return outcome
        assert account is not None
        if account.role == ROLE_DISABLED:
            return LoginOutcome(None, "disabled", checked=True)
        must_change = account.must_change or self.expired(account, validity_days)
        return LoginOutcome(account, must_change=must_change, checked=True)

    def tracked_failures(self) -> int:
        """(account, source) pairs with failures remembered (bounded by MAX_TRACKED)."""
        return len(self._failures)

    # -- changes ----------------------------------------------------------------------------------

    def change_password(self, name: str, new_password: str) -> Account:
        account = self.accounts.get(name)
        if account is None:
            raise AccountError(f"no account {name!r}", "account.no_account", name=name)
        check_password_policy(new_password)
        if verify_password(new_password, account.password_hash):
            raise AccountError("the new password must differ from the current one", "account.password_same")
        updated = replace(
            account,
            password_hash=hash_password(new_password),
            password_changed=self.clock(),
            must_change=False,
            initial=False,
        )
        self.accounts[name] = updated
        self.save()
        return updated

    def set_language(self, name: str, language: str) -> Account:
        if language not in ("", "en", "fr"):
            raise AccountError("language must be en or fr")
        account = self.accounts[name]
        updated = replace(account, language=language)
        self.accounts[name] = updated
        self.save()
        return updated

    def put_user(
        self, name: str, role: str, password: str = "", language: str = "", *, must_change: bool = True
    ) -> Account:
        """Create or update one row of the multi-user table (§18.4). A password set by admin
        is a first password: the user changes it at the first login (as admin does, §11.5)."""
        if name == ADMIN:
            raise AccountError("admin is not managed in the multi-user table", "account.admin_not_in_table")
        if not _USER_NAME.match(name):
            raise AccountError("user name: 1 to 32 letters, digits, '_', '.' or '-'", "account.bad_name")
        if role not in USER_ROLES:
            raise AccountError(f"access type must be one of {', '.join(USER_ROLES)}")
        if language not in ("", "en", "fr"):
            raise AccountError("language must be en or fr")
        existing = self.accounts.get(name)
        if existing is None:
            if len(self.users()) >= MAX_USERS:
                raise AccountError(f"the multi-user table holds at most {MAX_USERS} users", "account.too_many", n=MAX_USERS)
            if not password:
                raise AccountError("a new user needs a password", "account.password_needed")
        if password:
            check_password_policy(password)
            account = Account(name, role, hash_password(password), self.clock(), must_change=must_change, language=language)
        else:
            assert existing is not None
            account = replace(existing, role=role, language=language)
        self.accounts[name] = account
        self.save()
        return account

    def delete_user(self, name: str) -> None:
        if name == ADMIN:
            raise AccountError("admin always exists", "account.admin_always")
        if name not in self.accounts:
            raise AccountError(f"no account {name!r}", "account.no_account", name=name)
        del self.accounts[name]
        self.save()

