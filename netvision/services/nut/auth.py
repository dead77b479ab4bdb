"""Password checks of NUT users: scrypt in a thread, bounded, remembered, rate-limited.

- A check runs scrypt (about 50 ms) in a worker thread, at most ``concurrency`` threads
  at a time, so that clients reconnecting together never stall the event loop nor take
  the worker threads (scrypt itself runs one at a time in the process: passwords.py).
- A password found right is remembered (as a keyed digest, never in clear) with the
  stored hash it matched: upsmon reconnecting costs no scrypt, and a password change in
  the settings makes the memory useless at once.
- Failed checks are counted three ways, so that a guesser gains nothing by spreading
  its guesses over user names or over addresses:

  * per user name and source (as the web login does): after SLOW_AFTER failures the
    answer is delayed, after LOCK_AFTER that name is refused to that source without a
    check for LOCK_SECONDS, twice as long at each new lock-out (up to MAX_LOCK_SECONDS).
    Unknown user names share one counter per source, and are checked against a dummy
    hash so that the answer's timing does not tell which names exist;
  * per source, whatever the names: after SOURCE_LOCK_AFTER failures the source is
    refused for any name, with the same growing lock-out;
  * per user name, whatever the sources: after USER_LOCK_AFTER failures within
    USER_WINDOW seconds that name is refused to every source for LOCK_SECONDS, never
    longer. A guesser with many addresses can keep a user locked out only while it keeps
    failing at that rate; connected clients stay logged in, and the lock ends a minute
    after the guesses stop, so the real admin is never locked out for good.

  A source is an IPv4 address, or an IPv6 /64 (one host holds a whole /64). A right
  password remembered does not pass a lock-out: a lock-out is no cheaper guessing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ...access import client_address, source_key
from ...passwords import DUMMY_HASH, verify_password

SLOW_AFTER = 3
LOCK_AFTER = 5
SOURCE_LOCK_AFTER = 10
USER_LOCK_AFTER = 20
USER_WINDOW = 60.0
LOCK_SECONDS = 60.0
MAX_LOCK_SECONDS = 3600.0
MAX_DELAY = 4.0
FORGET_AFTER = 86400.0
MAX_TRACKED = 1024  # counters of failures remembered (user and source, source, user)
MAX_REMEMBERED = 256  # right passwords remembered


def failure_source(address: str) -> str:
    """How failures are counted by source: an IPv4 address, or an IPv6 address's /64."""
    ip = client_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return source_key(address)


@dataclass
class _Failures:
    count: int = 0
    in_flight: int = 0
    locked_until: float = 0.0
    lockouts: int = 0
    last: float = 0.0
    since: float = 0.0  # start of the counting window (per-user counters)


# (kind, user name, source): kind is "pair" (a name from a source), "source" (any name
# from a source) or "user" (a name from any source).
_Key = tuple[str, str, str]


@dataclass(frozen=True)
class Outcome:
    good: bool
    locked: bool = False  # refused without a check: too many failures from this source
    locked_now: bool = False  # this failure started a lock-out
    delay: float = 0.0  # seconds to wait before answering
    checked: bool = False  # scrypt ran


class PasswordChecker:
    def __init__(
        self,
        concurrency: int = 2,
        clock: Callable[[], float] = time.monotonic,
        verify: Callable[[str, str], bool] = verify_password,
    ) -> None:
        self._semaphore = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._verify = verify
        self._key = secrets.token_bytes(32)
        self._good: OrderedDict[tuple[str, str, bytes], None] = OrderedDict()
        self._failures: OrderedDict[_Key, _Failures] = OrderedDict()
        self._pending: dict[tuple[str, str, bytes], asyncio.Task[bool]] = {}
        self.checks = 0  # scrypt runs, for the counters

    def _digest(self, name: str, password: str) -> bytes:
        return hmac.new(self._key, f"{name}\0{password}".encode(), hashlib.sha256).digest()

    async def _check_once(self, password: str, stored: str | None) -> bool:
        async with self._semaphore:
            self.checks += 1
            return await asyncio.to_thread(self._run, password, stored)

    def _run(self, password: str, stored: str | None) -> bool:
        """In the worker thread (scrypt); an unknown user is checked against the dummy hash."""
        return self._verify(password, stored if stored is not None else DUMMY_HASH)

    def forget(self) -> None:
        """Drop every remembered password (the users changed)."""
        self._good.clear()

    @property
    def tracked_failures(self) -> int:
        return len(self._failures)

    def _entry(self, key: _Key, now: float) -> _Failures:
        failures = self._failures.get(key)
        if failures is None or (now - failures.last > FORGET_AFTER and failures.locked_until <= now):
            failures = self._failures[key] = _Failures(since=now)
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)
        elif key[0] == "user" and now - failures.since > USER_WINDOW:
            failures.count, failures.since = 0, now
        self._failures.move_to_end(key)
        failures.last = now
        return failures

    async def check(self, name: str, password: str, stored: str | None, source: str) -> Outcome:
        """Is ``password`` the one whose hash is ``stored`` (None or '': no such user, or no
        password: never)? ``source`` is the client's address."""
        now = self._clock()
        known = bool(stored)
        where = failure_source(source)
        keys: list[tuple[_Key, int]] = [
            (("pair", name if known else "", where), LOCK_AFTER),
            (("source", "", where), SOURCE_LOCK_AFTER),
        ]
        if known:
            keys.append((("user", name, ""), USER_LOCK_AFTER))
        entries = [(key, self._entry(key, now), limit) for key, limit in keys]
        for _, failures, limit in entries:
            if failures.locked_until > now or failures.count + failures.in_flight >= limit:
                return Outcome(False, locked=True)
        pair_key, pair = entries[0][0], entries[0][1]
        remembered = (name, stored or "", self._digest(name, password))
        if known and remembered in self._good:
            self._good.move_to_end(remembered)
            self._failures.pop(pair_key, None)
            return Outcome(True)
        # Clients asking with the same name and password at once (hosts reconnecting
        # together after a restart) share one check.
        task = self._pending.get(remembered)
        first = task is None
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._check_once(password, stored if known else None)
            )
            self._pending[remembered] = task
            counted = [failures for _, failures, _ in entries]
            for failures in counted:
                failures.in_flight += 1

            def done(_: asyncio.Task[bool], counted: list[_Failures] = counted) -> None:
                for failures in counted:
                    failures.in_flight -= 1
                self._pending.pop(remembered, None)

            task.add_done_callback(done)
        # Shielded: the check goes on for the others if this client goes away.
        good = await asyncio.shield(task) and known
        if good:
            self._good[remembered] = None
            while len(self._good) > MAX_REMEMBERED:
                self._good.popitem(last=False)
            self._failures.pop(pair_key, None)
            return Outcome(True, checked=first)
        if not first:
            return Outcome(False)  # the same guess, counted once
        locked_now = False
        for key, failures, limit in entries:
            failures.count += 1
            if failures.count >= limit:
                failures.lockouts += 1
                growth = 0 if key[0] == "user" else failures.lockouts - 1
                failures.locked_until = now + min(MAX_LOCK_SECONDS, LOCK_SECONDS * 2**growth)
                failures.count = 0
                failures.since = now
                locked_now = True
        if locked_now:
            return Outcome(False, locked_now=True, checked=True)
        count = pair.count
        delay = min(MAX_DELAY, 0.5 * 2 ** (count - SLOW_AFTER)) if count >= SLOW_AFTER else 0.0
        return Outcome(False, delay=delay, checked=True)
