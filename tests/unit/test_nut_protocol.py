"""The NUT protocol's text and one session's answers, without a network: parsing as
parseconf does, quoting, line bounds, and no request that makes an exception escape."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netvision.passwords import hash_password, hashed, is_password_hash, verify_password
from netvision.services.nut.auth import (
    LOCK_AFTER,
    LOCK_SECONDS,
    SOURCE_LOCK_AFTER,
    USER_LOCK_AFTER,
    PasswordChecker,
    failure_source,
)
from netvision.services.nut.protocol import (
    MAX_REPLY_LINE,
    MAX_REQUEST,
    MAX_WORD,
    MAX_WORDS,
    LineFramer,
    ParseError,
    line,
    parse_request,
    quoted,
)
from netvision.services.nut.server import RequestBudget, cost_of
from netvision.services.nut.session import MAX_LIST_SPELLINGS, Session, UpsView, Writable
from netvision.services.nut.tracking import PENDING, SUCCESS, UNKNOWN, TrackingTable
from netvision.services.nut.variables import NutUps
from netvision.settings.models import NutSettings, NutUser

# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_line", "words"),
    [
        (b"GET VAR ups ups.status", ["GET", "VAR", "ups", "ups.status"]),
        (b"  get\tvar  ups   ups.status \r", ["get", "var", "ups", "ups.status"]),
        (b'SET VAR ups ups.id "my ups"', ["SET", "VAR", "ups", "ups.id", "my ups"]),
        (b'PASSWORD "a \\"b\\" \\\\ c"', ["PASSWORD", 'a "b" \\ c']),
        (b'PASSWORD "x\\#y"', ["PASSWORD", "x#y"]),
        (b"PASSWORD a\\ b", ["PASSWORD", "a b"]),
        (b'PASSWORD ""', ["PASSWORD", ""]),
        (b"LIST VAR ups # the rest is a comment", ["LIST", "VAR", "ups"]),
        (b"PASSWORD pa=ss", ["PASSWORD", "pa", "=", "ss"]),  # '=' is a word, as in parseconf
        (b"GET VAR ups\xc3\xa9 x\x01y", ["GET", "VAR", "ups", "xy"]),  # only printable ASCII kept
        (b"", []),
        (b"   ", []),
    ],
)
def test_requests_are_parsed_as_parseconf_does(request_line: bytes, words: list[str]) -> None:
    assert parse_request(request_line) == words


@pytest.mark.parametrize("request_line", [b'GET VAR "ups', b'PASSWORD "a#b"', b'USERNAME "x\\"'])
def test_unbalanced_quotes_and_a_hash_inside_quotes_are_refused(request_line: bytes) -> None:
    with pytest.raises(ParseError):
        parse_request(request_line)


def test_words_and_their_length_are_bounded_as_in_parseconf() -> None:
    words = parse_request(b" ".join([b"w"] * 100))
    assert len(words) == MAX_WORDS
    assert parse_request(b"x" * 900) == ["x" * MAX_WORD]


@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    try:
        words = parse_request(data)
    except ParseError:
        return
    assert len(words) <= MAX_WORDS
    assert all(len(word) <= MAX_WORD and word.isascii() and word.isprintable() for word in words)


# -- framing ----------------------------------------------------------------------------------


def test_lines_are_split_across_chunks_and_long_ones_dropped() -> None:
    framer = LineFramer(limit=10)
    assert framer.feed(b"abc\nde") == [b"abc"]
    assert framer.pending
    assert framer.feed(b"f\n0123456789A\n") == [b"def", None]
    assert framer.feed(b"x" * 50) == []
    assert framer.pending
    assert framer.feed(b"y" * 50 + b"\nok\n") == [None, b"ok"]
    assert not framer.pending


@given(st.lists(st.binary(max_size=3000), max_size=20))
def test_framing_holds_at_most_one_request_line(chunks: list[bytes]) -> None:
    framer = LineFramer()
    for chunk in chunks:
        for request in framer.feed(chunk):
            assert request is None or len(request) <= MAX_REQUEST
        assert len(framer._buffer) <= MAX_REQUEST


# -- replies ----------------------------------------------------------------------------------


def test_values_are_quoted_escaped_and_kept_in_ascii() -> None:
    assert quoted('Room "B" #2 \\ é') == '"Room \\"B\\" \\#2 \\\\ e"'
    assert line("VAR", "ups", "device.location", value="a\nb") == 'VAR ups device.location "a b"\n'
    # What libupsclient reads back through parseconf is the value itself.
    reply = line("VAR", "ups", "x", value='say "hi" #1 \\o/')
    assert parse_request(reply.rstrip("\n").encode()) == ["VAR", "ups", "x", 'say "hi" #1 \\o/']


@given(st.text(max_size=2000))
def test_reply_lines_stay_under_512_bytes_and_parse_back(value: str) -> None:
    reply = line("VAR", "ups", "device.description", value=value)
    assert len(reply.encode("ascii")) <= MAX_REPLY_LINE
    words = parse_request(reply.rstrip("\n").encode())
    assert words[:3] == ["VAR", "ups", "device.description"] and len(words) == 4


# -- a session against a small backend ----------------------------------------------------------


class FakeBackend:
    def __init__(self, nut: NutSettings, stale: bool = False) -> None:
        self._nut = nut
        self.stale = stale
        self.tracking = TrackingTable()
        self.checker = PasswordChecker(verify=lambda password, stored: stored == f"hash:{password}")
        self.all_sessions: list[Session] = []
        self.commands: list[tuple[str, str]] = []
        self.changes: list[tuple[str, int]] = []
        self.forced: list[str] = []
        self.logins: list[str] = []

    @property
    def nut(self) -> NutSettings:
        return self._nut

    def upses(self) -> tuple[NutUps, ...]:
        return (
            NutUps(self._nut.ups_name, "Socomec UPS", 0),
            NutUps(f"{self._nut.ups_name}-unit1", "Unit 1", 1),
        )

    def find(self, name: str) -> NutUps | None:
        for ups in self.upses():
            if ups.name.lower() == name.lower():
                return ups
        if name.lower() in (alias.lower() for alias in self._nut.aliases):
            return self.upses()[0]
        return None

    def view(self, ups: NutUps) -> UpsView | None:
        if self.stale:
            return None
        return UpsView(
            {"ups.status": "OL", "battery.charge": "100", "ups.delay.shutdown": "180"},
            {"ups.delay.shutdown": Writable(0, 32767)},
            {"test.battery.start": True, "bypass.start": False},
        )

    def logged_in_sessions(self, unit: int) -> list[Session]:
        return [s for s in self.all_sessions if s.login is not None and s.login.unit == unit]

    def user(self, name: str) -> NutUser | None:
        return next((user for user in self._nut.users if user.name == name), None)

    async def verify(self, session: Session, user: NutUser | None) -> bool:
        outcome = await self.checker.check(
            session.user or "", session.password or "", user.password if user else None, session.address
        )
        return outcome.good

    async def tls_context(self) -> ssl.SSLContext | None:
        return ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER) if self._nut.starttls else None

    async def instcmd(self, session: Session, ups: NutUps, command: str) -> str:
        self.commands.append((command, session.who))
        return "" if command == "test.battery.start" else "not permitted by the UPS"

    async def set_variable(self, session: Session, ups: NutUps, name: str, value: int) -> str:
        self.changes.append((name, value))
        return ""

    def force_shutdown(self, session: Session, ups: NutUps) -> None:
        self.forced.append(session.who)

    def logged_in(self, session: Session) -> None:
        self.logins.append(session.who)


def nut_settings(**values: object) -> NutSettings:
    users = [
        {"name": "mon", "password": "hash:m", "rights": "monitor"},
        {"name": "op", "password": "hash:o", "rights": "instcmd"},
        {"name": "admin", "password": "hash:a", "rights": "set"},
    ]
    return NutSettings.model_validate({"enabled": True, "aliases": ["nas"], "users": users, **values})


@pytest.fixture(autouse=True)
def plain_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests give readable stand-ins for hashes; the model keeps them as they are.
    monkeypatch.setattr("netvision.passwords.is_password_hash", lambda value: value.startswith("hash:"))


def session_of(backend: FakeBackend, address: str = "192.0.2.1") -> Session:
    session = Session(backend, len(backend.all_sessions) + 1, address, 40000, datetime.now(UTC))
    backend.all_sessions.append(session)
    return session


async def ask(session: Session, text: str) -> str:
    return (await session.handle(text.encode())).text


async def test_a_session_answers_each_command_as_upsd() -> None:
    backend = FakeBackend(nut_settings())
    session = session_of(backend)
    assert await ask(session, "GET VAR NAS ups.status") == 'VAR NAS ups.status "OL"\n'
    assert await ask(session, "GET VAR ups UPS.STATUS") == 'VAR ups UPS.STATUS "OL"\n'
    assert (
        await ask(session, "GET TYPE ups ups.delay.shutdown")
        == "TYPE ups ups.delay.shutdown RW RANGE NUMBER\n"
    )
    assert await ask(session, "LIST RANGE ups ups.delay.shutdown") == (
        "BEGIN LIST RANGE ups ups.delay.shutdown\n"
        'RANGE ups ups.delay.shutdown "0" "32767"\n'
        "END LIST RANGE ups ups.delay.shutdown\n"
    )
    assert (
        await ask(session, "LIST CMD ups")
        == "BEGIN LIST CMD ups\nCMD ups test.battery.start\nEND LIST CMD ups\n"
    )
    assert await ask(session, "LIST UPS") == (
        'BEGIN LIST UPS\nUPS ups "Socomec UPS"\nUPS ups-unit1 "Unit 1"\nEND LIST UPS\n'
    )
    assert (await ask(session, "GET VAR x server.version")).startswith("VAR x server.version ")
    assert await ask(session, "INSTCMD ups test.battery.start") == "ERR USERNAME-REQUIRED\n"
    assert await ask(session, "USERNAME op") == "OK\n"
    assert await ask(session, "SET TRACKING ON") == "ERR PASSWORD-REQUIRED\n"
    assert await ask(session, "PASSWORD o") == "OK\n"
    assert await ask(session, "INSTCMD ups load.off") == "ERR CMD-NOT-SUPPORTED\n"
    assert await ask(session, "INSTCMD ups test.battery.start") == "OK\n"
    assert await ask(session, "INSTCMD ups bypass.start") == "ERR INSTCMD-FAILED\n"
    assert backend.commands == [("test.battery.start", "op@192.0.2.1"), ("bypass.start", "op@192.0.2.1")]
    assert await ask(session, "SET VAR ups ups.delay.shutdown 60") == "ERR ACCESS-DENIED\n"
    assert await ask(session, "SET TRACKING ON") == "OK\n"
    reply = await ask(session, "INSTCMD ups test.battery.start")
    assert reply.startswith("OK TRACKING ")
    assert await ask(session, f"GET TRACKING {reply.split()[-1]}") == f"{SUCCESS}\n"
    assert await ask(session, "PRIMARY ups") == "OK PRIMARY-GRANTED\n"
    assert await ask(session, "FSD ups") == "OK FSD-SET\n"
    assert backend.forced == ["op@192.0.2.1"]
    assert await ask(session, "LOGIN ups-unit1") == "OK\n"
    assert await ask(session, "GET NUMLOGINS ups-unit1") == "NUMLOGINS ups-unit1 1\n"
    assert await ask(session, "GET NUMLOGINS ups") == "NUMLOGINS ups 0\n"
    assert await ask(session, "LIST CLIENT ups-unit1") == (
        "BEGIN LIST CLIENT ups-unit1\nCLIENT ups-unit1 192.0.2.1\nEND LIST CLIENT ups-unit1\n"
    )
    assert session.client().ups == "ups-unit1" and session.client().primary
    reply_logout = await session.handle(b"LOGOUT")
    assert (reply_logout.text, reply_logout.close) == ("OK Goodbye\n", True)


async def test_set_var_checks_rights_name_range_and_value() -> None:
    backend = FakeBackend(nut_settings())
    session = session_of(backend)
    await ask(session, "USERNAME admin")
    await ask(session, "PASSWORD a")
    assert await ask(session, "SET VAR ups battery.charge 5") == "ERR READONLY\n"
    assert await ask(session, "SET VAR ups no.such 5") == "ERR VAR-NOT-SUPPORTED\n"
    assert await ask(session, "SET VAR ups ups.delay.shutdown 99999") == "ERR INVALID-VALUE\n"
    assert await ask(session, "SET VAR ups ups.delay.shutdown 1e3") == "ERR INVALID-VALUE\n"
    assert await ask(session, 'SET VAR ups ups.delay.shutdown "120"') == "OK\n"
    assert backend.changes == [("ups.delay.shutdown", 120)]
    assert await ask(session, "SET VAR ups ups.delay.shutdown") == "ERR INVALID-ARGUMENT\n"


async def test_stale_data_and_tls_rules() -> None:
    backend = FakeBackend(nut_settings(require_tls=True, starttls=True), stale=True)
    session = session_of(backend)
    # TLS required: nothing but STARTTLS, VER, NETVER, HELP (and LOGOUT) in clear.
    for request in ("GET VAR ups ups.status", "LIST VAR ups", "LIST UPS", "USERNAME mon", "GET UPSDESC ups"):
        assert await ask(session, request) == "ERR ACCESS-DENIED\n"
    assert await ask(session, "NETVER") == "1.3\n"
    reply = await session.handle(b"STARTTLS")
    assert reply.text == "OK STARTTLS\n" and reply.starttls is not None
    session.tls = True  # the server sets it once the handshake is done
    assert await ask(session, "GET VAR ups ups.status") == "ERR DATA-STALE\n"
    assert await ask(session, "LIST VAR ups") == "ERR DATA-STALE\n"
    assert await ask(session, "GET UPSDESC ups") == 'UPSDESC ups "Socomec UPS"\n'  # no fresh data needed
    assert await ask(session, "STARTTLS") == "ERR ALREADY-SSL-MODE\n"
    assert await ask(session, "USERNAME mon") == "OK\n"
    closed = session_of(FakeBackend(nut_settings(starttls=False)))
    assert await ask(closed, "STARTTLS") == "ERR FEATURE-NOT-CONFIGURED\n"


async def test_one_password_check_per_connection_and_a_lock_out_per_source() -> None:
    backend = FakeBackend(nut_settings())
    checks: list[str] = []
    backend.checker = PasswordChecker(
        verify=lambda password, stored: checks.append(password) or stored == f"hash:{password}"
    )
    session = session_of(backend)
    await ask(session, "USERNAME op")
    await ask(session, "PASSWORD o")
    for _ in range(3):
        assert await ask(session, "PRIMARY ups") == "OK PRIMARY-GRANTED\n"
    assert checks == ["o"]
    for attempt in range(LOCK_AFTER):
        guess = session_of(backend, "198.51.100.7")
        await ask(guess, "USERNAME op")
        await ask(guess, f"PASSWORD bad{attempt}")
        assert await ask(guess, "LOGIN ups") == "ERR ACCESS-DENIED\n"
    right = session_of(backend, "198.51.100.7")
    await ask(right, "USERNAME op")
    await ask(right, "PASSWORD o")
    assert await ask(right, "LOGIN ups") == "ERR ACCESS-DENIED\n"  # locked out, not checked
    assert len(checks) == 1 + LOCK_AFTER
    other = session_of(backend, "203.0.113.9")  # another address is not locked out
    await ask(other, "USERNAME op")
    await ask(other, "PASSWORD o")
    assert await ask(other, "LOGIN ups") == "OK\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_no_request_makes_an_exception_escape(requests: list[bytes]) -> None:
    async def converse() -> None:
        backend = FakeBackend(nut_settings(starttls=False))
        session = session_of(backend)
        for request in requests:
            reply = await session.handle(request)
            assert reply.text.endswith("\n")
            assert all(len(part) < MAX_REPLY_LINE + 1 for part in reply.text.splitlines(keepends=True))

    asyncio.run(converse())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "GET",
                "LIST",
                "SET",
                "INSTCMD",
                "VAR",
                "ups",
                "nas",
                "CMD",
                "RW",
                "TRACKING",
                "ON",
                "USERNAME",
                "op",
                "PASSWORD",
                "o",
                "LOGIN",
                "FSD",
                "PRIMARY",
                "ups.status",
                "ups.delay.shutdown",
                "5",
                '"x y"',
                "RANGE",
                "ENUM",
                "CLIENT",
                "NUMLOGINS",
                "UPSDESC",
                "TYPE",
                "DESC",
                "CMDDESC",
                "test.battery.start",
                "LOGOUT",
            ]
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_command_shaped_requests_always_get_a_reply(words: list[str]) -> None:
    async def converse() -> str:
        session = session_of(FakeBackend(nut_settings(starttls=False)))
        await ask(session, "USERNAME op")
        await ask(session, "PASSWORD o")
        return await ask(session, " ".join(words))

    assert asyncio.run(converse()).endswith("\n")


# -- tracking and passwords ----------------------------------------------------------------------


def test_tracking_entries_are_bounded_in_number_and_age() -> None:
    now = [0.0]
    table = TrackingTable(max_entries=3, max_age=10, clock=lambda: now[0])
    first = table.new()
    assert table.get(first.upper()) == PENDING
    for _ in range(3):
        table.new()
    assert table.get(first) == UNKNOWN and len(table) == 3
    now[0] = 11
    assert table.get("anything") == UNKNOWN and len(table) == 0


def test_passwords_in_clear_are_hashed_and_hashes_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real hash check
    stored = hash_password("s3cret")
    assert (
        is_password_hash(stored)
        and verify_password("s3cret", stored)
        and not verify_password("other", stored)
    )
    assert hashed(stored) == stored and hashed("") == ""
    assert not is_password_hash("scrypt$1$2$3$x$y") and not is_password_hash("plain")
    made = hashed("typed in clear")
    assert is_password_hash(made) and verify_password("typed in clear", made)
    user = NutUser.model_validate({"name": "nas", "password": "monpass"})
    assert user.password.startswith("scrypt$") and verify_password("monpass", user.password)
    assert NutUser.model_validate(user.model_dump()).password == user.password


async def test_hosts_logging_in_together_share_one_check() -> None:
    checks: list[str] = []

    def slow_verify(password: str, stored: str) -> bool:
        checks.append(password)
        time.sleep(0.05)
        return stored == f"hash:{password}"

    checker = PasswordChecker(verify=slow_verify)
    outcomes = await asyncio.gather(*(checker.check("mon", "m", "hash:m", "192.0.2.1") for _ in range(50)))
    assert all(outcome.good for outcome in outcomes) and checks == ["m"]
    # More guesses at once than the lock-out allows: the ones beyond it are not checked.
    guesses = await asyncio.gather(
        *(checker.check("mon", f"bad{n}", "hash:m", "192.0.2.1") for n in range(20))
    )
    assert not any(outcome.good for outcome in guesses)
    assert len(checks) == 1 + LOCK_AFTER


# -- abuse: what an attacker sends, and what it costs ---------------------------------------------


async def test_credentials_longer_than_any_user_are_refused_and_injection_stays_words() -> None:
    backend = FakeBackend(nut_settings())
    session = session_of(backend)
    assert await ask(session, "USERNAME " + "u" * 33) == "ERR INVALID-USERNAME\n"
    assert await ask(session, "PASSWORD " + "p" * 129) == "ERR INVALID-PASSWORD\n"
    assert await ask(session, "LOGIN ups") == "ERR USERNAME-REQUIRED\n"
    assert await ask(session, "USERNAME admin") == "OK\n"
    assert await ask(session, "USERNAME op") == "ERR ALREADY-SET-USERNAME\n"
    assert await ask(session, "LOGIN ups") == "ERR PASSWORD-REQUIRED\n"
    assert await ask(session, "PASSWORD a") == "OK\n"
    # Values that are not one integer: never an exception (int('--5') would raise).
    for value in ("--5", "-", "5-", "1e3", " ", "0x10", "9" * 13, '"1\\"; rm"', "١٢"):
        assert await ask(session, f"SET VAR ups ups.delay.shutdown {value}") in (
            "ERR INVALID-VALUE\n",
            "ERR INVALID-ARGUMENT\n",
        )
    assert backend.changes == []
    # Quotes and backslashes stay inside one word: a name with them is just unknown.
    assert await ask(session, 'INSTCMD ups "test.battery.start\\nFSD ups"') == "ERR CMD-NOT-SUPPORTED\n"
    assert await ask(session, 'SET VAR ups "ups.delay.shutdown\\" 5" 5') == "ERR VAR-NOT-SUPPORTED\n"
    assert backend.commands == []


async def test_malformed_requests_are_marked_for_the_log() -> None:
    session = session_of(FakeBackend(nut_settings()))
    for request in (None, b'GET "x', b"\x00\xff", b"FOO bar"):
        reply = await session.handle(request)
        assert reply.text.startswith("ERR ") and reply.bad
    assert not (await session.handle(b"GET VAR ups nothing")).bad  # a client's question, not abuse


def test_list_var_keeps_a_few_spellings_only() -> None:
    view = UpsView({"ups.status": "OL"})
    for n in range(64):
        spelling = "".join(c.upper() if n >> i & 1 else c for i, c in enumerate("upsups"))
        assert view.list_var(spelling).startswith(f"BEGIN LIST VAR {spelling}\n")
    assert len(view._lists) <= MAX_LIST_SPELLINGS


def test_the_request_budget_bounds_the_rate_and_lets_a_burst_through() -> None:
    budget = RequestBudget(rate=50, burst=200, now=0.0)
    assert all(budget.spend(1, 0.0) == 0 for _ in range(200))  # upsc reading everything at once
    assert budget.spend(1, 0.0) == pytest.approx(1 / 50)
    assert budget.spend(cost_of(b"x" * 5000), 1.0) == 0  # refilled over a second, 5 units
    assert cost_of(b"OK\n") == 1 and cost_of(b"x" * 10_240) == 11


async def test_guesses_spread_over_user_names_lock_the_source() -> None:
    checks: list[str] = []
    checker = PasswordChecker(verify=lambda password, stored: checks.append(password) or False)
    for n in range(SOURCE_LOCK_AFTER):
        name = f"user{n}"
        outcome = await checker.check(name, "guess", f"hash:{name}", "198.51.100.7")
        assert not outcome.good and not outcome.locked
    assert (await checker.check("another", "guess", "hash:x", "198.51.100.7")).locked
    assert (await checker.check("unknown", "guess", None, "198.51.100.7")).locked
    assert len(checks) == SOURCE_LOCK_AFTER
    assert not (await checker.check("user0", "guess", "hash:user0", "198.51.100.8")).locked


async def test_guesses_spread_over_addresses_lock_the_user_for_a_while_only() -> None:
    now = [0.0]
    checker = PasswordChecker(
        clock=lambda: now[0], verify=lambda password, stored: stored == f"hash:{password}"
    )
    for n in range(USER_LOCK_AFTER):
        outcome = await checker.check("admin", f"guess{n}", "hash:right", f"203.0.113.{n}")
        assert not outcome.locked
    # Every address now: the name is locked, even with the right password (no cheap oracle).
    assert (await checker.check("admin", "right", "hash:right", "192.0.2.200")).locked
    assert not (await checker.check("other", "o", "hash:o", "192.0.2.200")).locked
    # The lock ends a minute after the guesses stop: the real admin is not locked out for good.
    now[0] += LOCK_SECONDS + 1
    assert (await checker.check("admin", "right", "hash:right", "192.0.2.200")).good


async def test_an_ipv6_host_is_one_source_for_its_whole_64() -> None:
    checker = PasswordChecker(verify=lambda password, stored: False)
    for n in range(LOCK_AFTER):
        await checker.check("mon", "guess", "hash:m", f"2001:db8:1:2::{n + 1:x}")
    assert (await checker.check("mon", "guess", "hash:m", "2001:db8:1:2:ffff::9")).locked
    assert not (await checker.check("mon", "guess", "hash:m", "2001:db8:1:3::1")).locked
    assert failure_source("::ffff:192.0.2.1") == "192.0.2.1"


async def test_no_credential_works_out_of_the_box() -> None:
    assert NutSettings().users == [] and not NutSettings().enabled
    checker = PasswordChecker(verify=lambda password, stored: stored == f"hash:{password}")
    for password in ("", "x"):
        assert not (await checker.check("nopass", password, "", "192.0.2.1")).good  # a user without password
        assert not (await checker.check("nobody", password, None, "192.0.2.1")).good
