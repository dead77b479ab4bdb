"""The NUT-compatible server as a service: every NUT client (upsmon, a NAS, Home Assistant)
is a shutdown client of the gateway (RFC 9271; peers-and-libraries §1).

The service is the sessions' :class:`~.session.Backend`: it knows the UPS names, builds
each UPS's variables once per snapshot, shutdown status or settings change (every client
reads the same cached view, so 250 clients polling each second cost little), checks
passwords, runs instant commands through the UPS handle as the web control page does
(source "nut", user ``user@address``: the UPS event log says who and from where), and
hands a primary's FSD to the shutdown service.

Against a client that abuses the port: an address holds at most MAX_PER_ADDRESS
connections (never half the table) and opens at most CONNECT_BURST at once, then
CONNECT_RATE a second (each may cost a TLS handshake); 127.0.0.1 and ::1, the gateway's
own clients, are not limited that way. Refusals, malformed requests and failed logins
are logged at most once per source and minute, with their count.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...access import rules_changed, source_key
from ...events.catalog import make_event
from ...settings import Settings
from ...settings.models import NutSettings, NutUser
from ...settings.store import SettingsError
from ...ups.model import Snapshot
from ..flood import FloodCounter
from ..shutdown.status import IDLE, Phase, ShutdownStatus
from . import variables as nut_variables
from .auth import PasswordChecker
from .clients import NutClient
from .names import DELAY_SHUTDOWN, DELAY_SHUTDOWN_SETTING, LOAD_OFF_DELAY
from .server import FIREWALL, NutServer, Reason, RequestBudget
from .session import Session, UpsView, Writable
from .tracking import TrackingTable
from .variables import NutUps

if TYPE_CHECKING:
    from ..registry import ServiceContext

log = logging.getLogger("netvision.nut")

CONTROL_TIMEOUT = 30.0  # a control waits for the poller's next write slot, then the UPS's answer
SOURCE = "nut"  # ControlRequest source: the UPS event log's "via"
VIA = "NUT"  # settings changes: "… has been changed via NUT by user@address"
SHUT_OFF_OFFER = "shutdown.ups_shut_off"  # (by, source) -> '' or the reason it was refused
MAX_DELAY_SHUTDOWN = 32767
MAX_FAILED_SOURCES = 256
# Connections one address may hold: a host runs one upsmon (a NAS or an office behind
# NAT a few more), so one address never takes every place of max_clients. The gateway's
# own clients (a local upsmon or monitoring agent, on 127.0.0.1 or ::1) are not counted.
MAX_PER_ADDRESS = 32
LOCAL = frozenset({"127.0.0.1", "::1"})
# New connections one address may open: a burst (a host's clients starting together),
# then a few a second. Each connection may cost a TLS handshake (public-key work): an
# address reconnecting without end must not take the processor.
CONNECT_RATE = 5.0
CONNECT_BURST = 40
MAX_RATED_SOURCES = 1024


@dataclass(frozen=True)
class _ViewKey:
    snapshot: Snapshot
    status: ShutdownStatus
    second: int | None  # the countdown (ups.timer.shutdown) moves each second of a warning
    fsd: bool
    settings: Settings
    offers: frozenset[str]

    def same(self, other: _ViewKey | None) -> bool:
        return (
            other is not None
            and other.snapshot is self.snapshot
            and other.settings is self.settings
            and other.status == self.status
            and other.second == self.second
            and other.fsd == self.fsd
            and other.offers == self.offers
        )


class _Reports:
    """Counts an occurrence per source; reports the first of a minute at once and the
    others with their count when the minute is over (one event per source and minute)."""

    def __init__(self, context: ServiceContext, report: Callable[[str, int], None]) -> None:
        self._context = context
        self._report = report
        self._counter = FloodCounter()
        self._reporter = False

    def hit(self, source: str) -> None:
        count = self._counter.hit(source)
        if count:
            self._report(source, count)
        if not self._reporter:
            self._reporter = True
            self._context.create_task(self._later(), name="reports")

    async def _later(self) -> None:
        try:
            while self._counter.tracking:
                await asyncio.sleep(min(1.0, self._counter.window))
                for source, count in self._counter.pending():
                    self._report(source, count)
        finally:
            self._reporter = False


class NutService:
    name = "nut"

    def __init__(self, context: ServiceContext) -> None:
        self._context = context
        self._server = NutServer(self._open_session, self._close_session, self._bad_request)
        self.max_per_address = MAX_PER_ADDRESS
        self.connect_rate = CONNECT_RATE
        self._per_address: dict[str, int] = {}
        self._by_unit: dict[int, dict[int, Session]] = {}  # unit -> index -> session logged in
        self._connects: OrderedDict[str, RequestBudget] = OrderedDict()  # new connections per source
        self._sessions: dict[int, Session] = {}
        self._checker = PasswordChecker()
        self.tracking = TrackingTable()
        self._fsd = False  # latched by a client's FSD when no shutdown service takes it
        self._view_key: _ViewKey | None = None
        self._views: dict[int, UpsView] = {}
        self._upses_key: tuple[Snapshot, Settings] | None = None
        self._upses: tuple[NutUps, ...] = ()
        self._tls: tuple[Path, int, ssl.SSLContext] | None = None
        self._counters = dict.fromkeys(
            (
                "sessions_opened",
                "sessions_refused",
                "logins",
                "password_checks",
                "authentication_failures",
                "instant_commands",
                "instant_commands_failed",
                "tls_sessions",
                "bad_requests",
            ),
            0,
        )
        self._refused = _Reports(context, self._report_refused)
        self._failed = _Reports(context, self._report_failed)
        self._bad = _Reports(context, self._report_bad)
        self._last_bad: dict[str, str] = {}
        self._failure_logs = FloodCounter()
        self._last_failed_user: OrderedDict[str, str] = OrderedDict()
        self._logins = FloodCounter()  # login/logout events: at most one pair per source and minute
        self._reported_logins: set[Session] = set()
        self._last_fault_log = -60.0

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self.nut.starttls:
            # The certificate is made now if the gateway has none yet, before the web server
            # starts and would make one of its own at the same moment.
            await self.tls_context()
        self._context.on_settings(self._firewall_changed)
        await self._open_listener()
        self._context.offer("nut.clients", self.clients)

    async def stop(self) -> None:
        await self._server.close()
        await self._server.close_sessions()

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        """The names, users, rights and TLS choices apply to the next request; a new port or
        address reopens the listener (connected clients stay)."""
        if old.nut.users != new.nut.users:
            self._checker.forget()
        if not self._server.listening or (old.nut.bind, old.nut.port) != (new.nut.bind, new.nut.port):
            await self._server.close()
            try:
                await self._open_listener()
            except OSError as failure:
                message = f"cannot listen on {new.nut.bind} port {new.nut.port}: {failure}"
                log.error("NUT server %s", message)
                self._context.report_error(message)

    async def _firewall_changed(self, settings: Settings, keys: list[str]) -> None:
        """New firewall rules apply to the open connections too (§18.15): those from an
        address now refused are closed, with one log line for the change."""
        if not rules_changed(keys):
            return
        section = settings.access_control
        closed = await self._server.close_sessions(
            FIREWALL, where=lambda session: not self._context.access.allows(section, session.address)
        )
        log.info(
            "NUT firewall rules changed: %d connection(s) from addresses now refused closed, %d kept",
            closed, len(self._sessions),
        )  # fmt: skip

    async def _open_listener(self) -> None:
        settings = self.nut
        allows = functools.partial(self._context.allows, protocol="NUT")
        await self._server.open(settings.bind, settings.port, allows)
        log.info("NUT server listening on %s port %d", settings.bind, settings.port)

    def addresses(self) -> list[str]:
        return self._server.addresses()

    def counters(self) -> Mapping[str, int | float]:
        return {
            **self._counters,
            "requests": self._server.requests,
            "throttled": self._server.throttled,
            "password_checks": self._checker.checks,
            "clients": len(self._sessions),
            "logged_in": sum(1 for session in self._sessions.values() if session.login is not None),
        }

    def clients(self) -> tuple[NutClient, ...]:
        """The client table (EN §15): every connection, in index order."""
        return tuple(self._sessions[index].client() for index in sorted(self._sessions))

    # ------------------------------------------------------------ connections

    def _address_limit(self, address: str) -> int | None:
        """How many connections ``address`` may hold; None: no limit but max_clients."""
        if source_key(address) in LOCAL:
            return None
        # Never more than half the table, so that one address always leaves room.
        return max(1, min(self.max_per_address, self.nut.max_clients // 2))

    def _may_connect(self, source: str) -> bool:
        now = time.monotonic()
        budget = self._connects.get(source)
        if budget is None:
            budget = self._connects[source] = RequestBudget(self.connect_rate, CONNECT_BURST, now)
            while len(self._connects) > MAX_RATED_SOURCES:
                self._connects.popitem(last=False)
        self._connects.move_to_end(source)
        if budget.spend(1.0, now):
            budget.spend(-1.0, now)  # a refused connection costs nothing more
            return False
        return True

    def _open_session(self, address: str, port: int) -> Session | None:
        limit = self.nut.max_clients
        source = source_key(address)
        share = self._address_limit(address)
        held = self._per_address.get(source, 0)
        if (
            len(self._sessions) >= limit
            or (share is not None and held >= share)
            or (share is not None and not self._may_connect(source))
        ):
            self._counters["sessions_refused"] += 1
            self._refused.hit(source)
            return None
        index = next(n for n in itertools.count(1) if n not in self._sessions)
        session = Session(self, index, address, port, datetime.now(UTC))
        self._sessions[index] = session
        self._per_address[source] = held + 1
        self._counters["sessions_opened"] += 1
        log.debug("NUT connection %d from %s port %d", index, address, port)
        return session

    def _close_session(self, session: Session, reason: Reason) -> None:
        if self._sessions.pop(session.index, None) is not None:
            source = source_key(session.address)
            left = self._per_address.get(source, 0) - 1
            if left > 0:
                self._per_address[source] = left
            else:
                self._per_address.pop(source, None)
        if session.tls:
            self._counters["tls_sessions"] += 1
        if session.login is None:
            log.debug("NUT connection %d from %s closed: %s", session.index, session.address, reason.en)
            return
        self._by_unit.get(session.login.unit, {}).pop(session.index, None)
        log.info("User %s logged out from UPS [%s]: %s", session.who, session.login.name, reason.en)
        if session in self._reported_logins:
            self._reported_logins.discard(session)
            self._publish(
                "nv.nut_client_logged_out",
                user=session.user,
                client=session.address,
                ups=session.login.name,
                reason=reason.en,
                reason_fr=reason.fr,
            )

    def _report_refused(self, source: str, count: int) -> None:
        limit = self.nut.max_clients
        log.warning(
            "%d NUT connection(s) from %s refused: %d client(s) at most, %d per address",
            count,
            source,
            limit,
            self.max_per_address,
        )
        self._publish("nv.nut_connection_refused", client=source, count=count, limit=limit)

    def _bad_request(self, session: Session, what: str) -> None:
        """A malformed request or a failed TLS handshake: answered (or closed) by the
        server, logged here at most once per source and minute, with the count."""
        self._counters["bad_requests"] += 1
        source = source_key(session.address)
        self._last_bad[source] = what
        while len(self._last_bad) > MAX_FAILED_SOURCES:
            del self._last_bad[next(iter(self._last_bad))]
        self._bad.hit(source)

    def _report_bad(self, source: str, count: int) -> None:
        what = self._last_bad.pop(source, "")
        log.warning("%d bad NUT request(s) from %s; the last: %s", count, source, what)

    def _report_failed(self, source: str, count: int) -> None:
        user = self._last_failed_user.pop(source, "")
        self._publish("nv.nut_login_failed", client=source, count=count, user=user)

    def _publish(self, event_id: str, **data: Any) -> None:
        try:
            self._context.bus.publish(make_event(event_id, **data))
        except Exception:
            # The event log must never take a NUT client down with it.
            log.exception("event %s not published", event_id)

    # ------------------------------------------------------------ the sessions' backend

    @property
    def nut(self) -> NutSettings:
        return self._context.settings.nut

    def logged_in_sessions(self, unit: int) -> Collection[Session]:
        return self._by_unit.get(unit, {}).values()

    def upses(self) -> tuple[NutUps, ...]:
        snapshot = self._context.ups.snapshot
        settings = self._context.settings
        key = self._upses_key
        if key is None or key[0] is not snapshot or key[1] is not settings:
            try:
                self._upses = nut_variables.nut_upses(snapshot, settings.system, settings.nut)
            except Exception:
                self._failed_to_describe("the NUT UPS list")
                self._upses = ()
            self._upses_key = (snapshot, settings)
        return self._upses

    def _failed_to_describe(self, what: str) -> None:
        """A fault in building the NUT names is logged at most once a minute (clients poll
        every second); clients meanwhile get UNKNOWN-UPS or DATA-STALE."""
        now = time.monotonic()
        if now - self._last_fault_log >= 60.0:
            self._last_fault_log = now
            log.exception("%s could not be built from the snapshot", what)

    def find(self, name: str) -> NutUps | None:
        wanted = name.lower()
        upses = self.upses()
        for ups in upses:
            if ups.name.lower() == wanted:
                return ups
        if any(alias.lower() == wanted for alias in self.nut.aliases):
            return next((ups for ups in upses if ups.unit == 0), None)
        return None

    def user(self, name: str) -> NutUser | None:
        return next((user for user in self.nut.users if user.name == name), None)

    def view(self, ups: NutUps) -> UpsView | None:
        snapshot = self._context.ups.snapshot
        if not snapshot.communicating:
            return None
        views = self._current_views(snapshot)
        return views.get(ups.unit)

    def _shutdown_status(self) -> ShutdownStatus:
        status = self._context.offers.get("shutdown.status")
        if status is None:
            return IDLE
        try:
            value = status()
        except Exception:
            log.exception("shutdown status not available")
            return IDLE
        return value if isinstance(value, ShutdownStatus) else IDLE

    def _current_views(self, snapshot: Snapshot) -> dict[int, UpsView]:
        now = datetime.now(UTC)
        status = self._shutdown_status()
        offers = frozenset(name for name in (SHUT_OFF_OFFER,) if name in self._context.offers)
        second = int(now.timestamp()) if status.phase is Phase.WARNING else None
        key = _ViewKey(snapshot, status, second, self._fsd, self._context.settings, offers)
        if not key.same(self._view_key):
            try:
                self._views = {
                    ups.unit: self._build_view(snapshot, ups, status, now, offers) for ups in self.upses()
                }
            except Exception:
                self._failed_to_describe("the NUT variables")
                self._views = {}
            self._view_key = key
        return self._views

    def _build_view(
        self, snapshot: Snapshot, ups: NutUps, status: ShutdownStatus, now: datetime, offers: frozenset[str]
    ) -> UpsView:
        settings = self._context.settings
        values = dict(nut_variables.variables(snapshot, ups.unit, status, now, settings.system))
        writable: dict[str, Writable] = {}
        commands = nut_variables.command_table(snapshot, ups.unit)
        if SHUT_OFF_OFFER not in offers:
            # The shutdown service runs the UPS shut-off: without it, no load.off.delay.
            commands.pop(LOAD_OFF_DELAY, None)
        if ups.unit == 0:
            if self._fsd:
                current = values.get("ups.status", "")
                if "FSD" not in current.split():
                    values["ups.status"] = f"FSD {current}".strip()
            if settings.shutdown.ups_shut_off or LOAD_OFF_DELAY in commands:
                # The delay between the shutdown command and the UPS output switched off
                # (§16.8): shown once the admin has turned the UPS shut-off on, or where
                # a client may ask for that shut-off (load.off.delay).
                values[DELAY_SHUTDOWN] = str(settings.shutdown.ups_shut_off_delay)
                writable[DELAY_SHUTDOWN] = Writable(0, MAX_DELAY_SHUTDOWN)
        return UpsView(values, writable, commands)

    async def verify(self, session: Session, user: NutUser | None) -> bool:
        outcome = await self._checker.check(
            session.user or "",
            session.password or "",
            user.password if user is not None else None,
            session.address,
        )
        if outcome.good:
            return True
        self._counters["authentication_failures"] += 1
        # One log line per source and minute (the event carries the count); a lock-out
        # starting is always worth its line.
        if outcome.locked_now:
            log.warning("NUT login of %s failed; locked out for a while (too many failures)", session.who)
        elif self._failure_logs.hit(source_key(session.address)):
            if outcome.locked:
                log.warning("NUT login of %s refused: locked out after too many failures", session.who)
            else:
                log.warning("NUT login of %s failed (wrong password or unknown user)", session.who)
        # The name last tried from each source, for the event; bounded as the sources are.
        self._last_failed_user[session.address] = session.user or ""
        self._last_failed_user.move_to_end(session.address)
        while len(self._last_failed_user) > MAX_FAILED_SOURCES:
            self._last_failed_user.popitem(last=False)
        self._failed.hit(session.address)
        if outcome.delay:
            await asyncio.sleep(outcome.delay)
        return False

    async def tls_context(self) -> ssl.SSLContext | None:
        if not self.nut.starttls:
            return None
        try:
            return await asyncio.to_thread(self._load_tls)
        except Exception as failure:
            log.error("NUT STARTTLS not available: %s", failure)
            return None

    def _load_tls(self) -> ssl.SSLContext:
        """The gateway's certificate, the one the web server shows (uploaded or generated),
        reloaded when the file changes. In a worker thread: it may create the files."""
        from ..web.tls import CertificateStore

        store = CertificateStore(self._context.data_dir / "tls")
        store.ensure()
        pem = store.active_pem
        stamp = pem.stat().st_mtime_ns
        if self._tls is None or self._tls[0] != pem or self._tls[1] != stamp:
            self._tls = (pem, stamp, store.ssl_context())
        return self._tls[2]

    async def instcmd(self, session: Session, ups: NutUps, command: str) -> str:
        self._counters["instant_commands"] += 1
        control = nut_variables.control_of(command)
        if command == LOAD_OFF_DELAY:
            failure = self._shut_off(session)
        elif control is None:
            failure = f"{command} is not an instant command of this UPS"
        else:
            failure = await self._control(session, control, ups.unit)
        if failure:
            self._counters["instant_commands_failed"] += 1
            log.warning(
                "NUT instant command %s on [%s] by %s refused: %s", command, ups.name, session.who, failure
            )
        else:
            log.info("NUT instant command %s on [%s] by %s done", command, ups.name, session.who)
        return failure

    async def _control(self, session: Session, control: str, unit: int) -> str:
        # Submitted even when the UPS forbids it now: the poller refuses it and the UPS
        # event log keeps who tried (as for the web control page). A unit's own battery
        # test goes to that unit (§16.2).
        try:
            async with asyncio.timeout(CONTROL_TIMEOUT):
                result = await self._context.ups.submit(
                    control, source=SOURCE, user=session.who, unit=unit or None
                )
        except TimeoutError:
            return "no answer from the UPS in time"
        return "" if result.accepted else (result.reason or "refused by the UPS")

    def _shut_off(self, session: Session) -> str:
        """load.off.delay: the shutdown service runs the UPS shut-off sequence, and says
        why not when the UPS does not manage or permit it now."""
        action = self._context.offers.get(SHUT_OFF_OFFER)
        if action is None:
            return "the UPS shut-off is not available (shutdown management stopped)"
        try:
            return str(action(session.who, SOURCE) or "")
        except Exception as failure:
            log.exception("UPS shut-off asked by %s failed", session.who)
            return str(failure) or "failed"

    async def set_variable(self, session: Session, ups: NutUps, name: str, value: int) -> str:
        if name != DELAY_SHUTDOWN:
            return f"{name} is not writable"
        try:
            await self._context.settings_manager.change(
                {DELAY_SHUTDOWN_SETTING: value}, via=VIA, by=session.who
            )
        except SettingsError as failure:
            return str(failure)
        log.info("NUT client %s set %s on [%s] to %d", session.who, name, ups.name, value)
        return ""

    def force_shutdown(self, session: Session, ups: NutUps) -> None:
        log.warning("NUT client %s set FSD on UPS [%s]", session.who, ups.name)
        self._publish("nv.nut_fsd_set", user=session.user, client=session.address, ups=ups.name)
        action = self._context.offers.get("shutdown.force")
        if action is not None:
            try:
                action(session.who, SOURCE)
                return
            except Exception:
                log.exception("the shutdown service did not take the FSD of %s", session.who)
        # No shutdown service to take it: latched here, as upsd does, until the server restarts.
        self._fsd = True

    def logged_in(self, session: Session) -> None:
        assert session.login is not None
        self._by_unit.setdefault(session.login.unit, {})[session.index] = session
        self._counters["logins"] += 1
        log.info(
            "User %s logged into UPS [%s]%s", session.who, session.login.name, " (TLS)" if session.tls else ""
        )
        if self._logins.hit(session.address):
            self._reported_logins.add(session)
            self._publish(
                "nv.nut_client_logged_in", user=session.user, client=session.address, ups=session.login.name
            )
