"""Password checks of NUT users: scrypt in a thread, bounded, remembered, rate-limited.

- A check runs scrypt (about 50 ms) in a worker thread, at most ``concurrency`` at a time,
  so that clients reconnecting together never stall the event loop.
- A password found right is remembered (as a keyed digest, never in clear) with the
  stored hash it matched: upsmon reconnecting costs no scrypt, and a password change in
  the settings makes the memory useless at once.
- Failed checks are counted per user name and source address (as the web login does):
  after SLOW_AFTER failures the answer is delayed, after LOCK_AFTER the source is refused
  without a check for LOCK_SECONDS, twice as long at each new lock-out. Unknown user
  names share one counter per source, and are checked against a dummy hash so that the
  answer's timing does not tell which names exist.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ...access import source_key
from ...passwords import hash_password, verify_password

SLOW_AFTER = 3
LOCK_AFTER = 5
LOCK_SECONDS = 60.0
MAX_LOCK_SECONDS = 3600.0
MAX_DELAY = 4.0
FORGET_AFTER = 86400.0
MAX_TRACKED = 1024  # (user, source) pairs with failures remembered
MAX_REMEMBERED = 256  # right passwords remembered


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(8))


@dataclass
class _Failures:
    count: int = 0
    in_flight: int = 0
    locked_until: float = 0.0
    lockouts: int = 0
    last: float = 0.0


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
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._pending: dict[tuple[str, str, bytes], asyncio.Task[bool]] = {}
        self.checks = 0  # scrypt runs, for the counters

    def _digest(self, name: str, password: str) -> bytes:
        return hmac.new(self._key, f"{name}\0{password}".encode(), hashlib.sha256).digest()

    async def _check_once(self, password: str, stored: str | None) -> bool:
        async with self._semaphore:
            self.checks += 1
            return await asyncio.to_thread(self._run, password, stored)

    def _run(self, password: str, stored: str | None) -> bool:
        """In the worker thread: the dummy hash is made there too, the first time."""
        return self._verify(password, stored if stored is not None else _dummy_hash())

    def forget(self) -> None:
        """Drop every remembered password (the users changed)."""
        self._good.clear()

    @property
    def tracked_failures(self) -> int:
        return len(self._failures)

    async def check(self, name: str, password: str, stored: str | None, source: str) -> Outcome:
        """Is ``password`` the one whose hash is ``stored`` (None or '': no such user, or no
        password: never)? ``source`` is the client's address."""
        now = self._clock()
        known = bool(stored)
        key = (name if known else "", source_key(source))
        failures = self._failures.get(key)
        if failures is None or (now - failures.last > FORGET_AFTER and failures.locked_until <= now):
            failures = self._failures[key] = _Failures()
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)
        self._failures.move_to_end(key)
        failures.last = now
        if failures.locked_until > now or failures.count + failures.in_flight >= LOCK_AFTER:
            return Outcome(False, locked=True)
        remembered = (name, stored or "", self._digest(name, password))
        if known and remembered in self._good:
            self._good.move_to_end(remembered)
            self._failures.pop(key, None)
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
            failures.in_flight += 1

            def done(_: asyncio.Task[bool], failures: _Failures = failures) -> None:
                failures.in_flight -= 1
                self._pending.pop(remembered, None)

            task.add_done_callback(done)
        # Shielded: the check goes on for the others if this client goes away.
        good = await asyncio.shield(task) and known
        if good:
            self._good[remembered] = None
            while len(self._good) > MAX_REMEMBERED:
                self._good.popitem(last=False)
            self._failures.pop(key, None)
            return Outcome(True, checked=first)
        if not first:
            return Outcome(False)  # the same guess, counted once
        failures.count += 1
        if failures.count >= LOCK_AFTER:
            failures.lockouts += 1
            failures.locked_until = now + min(MAX_LOCK_SECONDS, LOCK_SECONDS * 2 ** (failures.lockouts - 1))
            failures.count = 0
            return Outcome(False, locked_now=True, checked=True)
        delay = (
            min(MAX_DELAY, 0.5 * 2 ** (failures.count - SLOW_AFTER)) if failures.count >= SLOW_AFTER else 0.0
        )
        return Outcome(False, delay=delay, checked=True)
