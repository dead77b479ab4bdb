"""One NUT client connection: its state and the answer to each request (RFC 9271 §4,
upsd's server/net*.c). No I/O: the server feeds request lines and writes the replies;
what needs the gateway (the UPS, the users, TLS, controls) is asked of a :class:`Backend`.

Where upsd decides the order of the checks (UPS name, then fresh data, then rights,
then the variable or command), the same order is kept, so that clients see the same
error words. Authentication follows upsd: ``USERNAME`` and ``PASSWORD`` always answer
``OK`` and are checked when a command needs them (LOGIN, PRIMARY/MASTER, FSD, SET,
INSTCMD); a check is remembered for the connection. With ``require_tls``, nothing but
STARTTLS, VER, NETVER/PROTVER, HELP and LOGOUT is answered before TLS (ACCESS-DENIED):
neither the UPS's data nor a credential crosses the network in clear. A malformed
request is answered with its ERR word and marked (``Reply.bad``) for the log.
"""

from __future__ import annotations

import enum
import re
import ssl
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ... import __version__
from ...settings.models import NutSettings, NutUser
from .clients import NutClient
from .protocol import OK, PROTOCOL_VERSION, Error, ParseError, error, line, parse_request
from .tracking import SUCCESS, TrackingTable
from .variables import NutUps, command_description, description


class Rights(enum.IntEnum):
    """settings.nut.users[].rights, each including the ones before it."""

    MONITOR = 0  # LOGIN: a shutdown client (upsmon secondary)
    INSTCMD = 1  # also PRIMARY/MASTER, FSD and instant commands
    SET = 2  # also SET VAR


def rights_of(user: NutUser) -> Rights:
    return Rights[user.rights.upper()]


MAX_LIST_SPELLINGS = 4  # LIST VAR answers kept per view (the UPS name and its aliases)
MAX_USERNAME = 32  # the longest NUT user name the settings take (NutName)
MAX_PASSWORD = 128  # the longest password the settings take


@dataclass(frozen=True)
class Writable:
    """A writable NUMBER variable with one RANGE (``TYPE … RW RANGE NUMBER``)."""

    minimum: int
    maximum: int


@dataclass
class UpsView:
    """One NUT UPS as every client sees it now. The service builds it once per snapshot
    (or shutdown status, or settings) change and every session shares it."""

    variables: Mapping[str, str]  # name -> value, as sent
    writable: Mapping[str, Writable] = field(default_factory=dict)
    # NUT command -> whether the UPS permits it now; only the permitted ones are listed.
    commands: Mapping[str, bool] = field(default_factory=dict)
    _lower: dict[str, str] = field(default_factory=dict, repr=False)
    _lists: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.variables = dict(sorted(self.variables.items()))
        self._lower = {name.lower(): name for name in self.variables}

    def variable(self, asked: str) -> str | None:
        """Our name of the variable ``asked`` (names are case-insensitive, as in upsd)."""
        return self._lower.get(asked.lower())

    def command(self, asked: str) -> str | None:
        for name in self.commands:
            if name.lower() == asked.lower():
                return name
        return None

    def list_var(self, ups: str) -> str:
        """The whole ``LIST VAR`` answer, formatted once per name asked. Only a few
        spellings are kept: a client asking ``UPS``, ``Ups``, ``uPs``… gets its answer
        formatted each time, not a copy kept per spelling."""
        text = self._lists.get(ups)
        if text is None:
            lines = [f"BEGIN LIST VAR {ups}\n"]
            lines += [line("VAR", ups, name, value=value) for name, value in self.variables.items()]
            lines.append(f"END LIST VAR {ups}\n")
            text = "".join(lines)
            if len(self._lists) < MAX_LIST_SPELLINGS:
                self._lists[ups] = text
        return text


@dataclass(frozen=True)
class Reply:
    text: str
    starttls: ssl.SSLContext | None = None  # send text, then the TLS handshake
    close: bool = False  # send text, then close (LOGOUT)
    bad: str = ""  # what was wrong with a malformed request, for the log (rate-limited)


class Backend(Protocol):
    """What a session needs from the gateway (the NUT service)."""

    tracking: TrackingTable

    @property
    def nut(self) -> NutSettings: ...

    def upses(self) -> tuple[NutUps, ...]: ...

    def find(self, name: str) -> NutUps | None:
        """The UPS ``name`` stands for (its name or an alias, any case), None if none."""
        ...

    def view(self, ups: NutUps) -> UpsView | None:
        """The UPS's variables now; None while the UPS does not answer (DATA-STALE)."""
        ...

    def logged_in_sessions(self, unit: int) -> Collection[Session]:
        """The sessions logged into the UPS ``unit`` (kept as they log in: asking costs
        no walk over every connection)."""
        ...

    def user(self, name: str) -> NutUser | None: ...

    async def verify(self, session: Session, user: NutUser | None) -> bool:
        """Is the session's password the user's? (scrypt: slow, rate-limited per source)."""
        ...

    async def tls_context(self) -> ssl.SSLContext | None: ...

    async def instcmd(self, session: Session, ups: NutUps, command: str) -> str:
        """Run an instant command; '' once done, else why it failed."""
        ...

    async def set_variable(self, session: Session, ups: NutUps, name: str, value: int) -> str:
        """Change a writable variable; '' once done, else why it failed."""
        ...

    def force_shutdown(self, session: Session, ups: NutUps) -> None: ...

    def logged_in(self, session: Session) -> None: ...


_USER_COMMANDS = frozenset({"LOGIN", "PRIMARY", "MASTER", "FSD", "SET", "INSTCMD"})
# What a client may send before STARTTLS when settings.nut.require_tls is on: no data
# and no credentials cross the network in clear.
_BEFORE_TLS = frozenset({"STARTTLS", "VER", "NETVER", "PROTVER", "HELP", "LOGOUT"})
HELP = "Commands: HELP VER PROTVER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS\n"
UNAVAILABLE = "Description unavailable"  # upsd's answer where it has no description
VERSION = f"NET VISION {__version__} - Network UPS Tools protocol {PROTOCOL_VERSION}\n"


_INTEGER = re.compile(r"-?[0-9]{1,11}")


def _err(word: Error) -> Reply:
    return Reply(error(word))


class Session:
    def __init__(self, backend: Backend, index: int, address: str, port: int, since: datetime) -> None:
        self.backend = backend
        self.index = index
        self.address = address
        self.port = port
        self.since = since
        self.user: str | None = None
        self.password: str | None = None
        self.login: NutUps | None = None
        self.primary = False
        self.tls = False
        self.tracking = False
        self.requests = 0
        # (stored hash, verdict) of the last password check: one scrypt per connection.
        self._checked: tuple[str, bool] | None = None

    @property
    def who(self) -> str:
        """``user@address`` for the logs and the UPS event log."""
        return f"{self.user or '-'}@{self.address}"

    def client(self) -> NutClient:
        return NutClient(
            index=self.index,
            address=self.address,
            port=self.port,
            connected_since=self.since,
            user=self.user or "",
            ups=self.login.name if self.login is not None else "",
            primary=self.primary,
            tls=self.tls,
        )

    # -- dispatch ---------------------------------------------------------------------------------

    async def handle(self, request: bytes | None) -> Reply:
        """The reply to one request line (None: a line over the length limit)."""
        self.requests += 1
        if request is None:
            return Reply(error(Error.TOO_LONG), bad="request line too long")
        try:
            words = parse_request(request)
        except ParseError as failure:
            return Reply(error(Error.INVALID_ARGUMENT), bad=str(failure))
        if not words:
            return Reply(error(Error.UNKNOWN_COMMAND), bad="empty or unprintable request")
        command = words[0].upper()
        handler = _HANDLERS.get(command)
        if handler is None:
            return Reply(error(Error.UNKNOWN_COMMAND), bad=f"unknown command {command[:32]}")
        if self.backend.nut.require_tls and not self.tls and command not in _BEFORE_TLS:
            return _err(Error.ACCESS_DENIED)
        if command in _USER_COMMANDS:
            if self.user is None:
                return _err(Error.USERNAME_REQUIRED)
            if self.password is None:
                return _err(Error.PASSWORD_REQUIRED)
        return await handler(self, words[1:])

    async def _authorised(self, needs: Rights) -> bool:
        """The session's user exists, its password is right and its rights cover ``needs``."""
        assert self.user is not None
        user = self.backend.user(self.user)
        stored = user.password if user is not None else ""
        if self._checked is None or self._checked[0] != stored:
            self._checked = (stored, await self.backend.verify(self, user))
        return self._checked[1] and user is not None and rights_of(user) >= needs

    # -- plain commands ---------------------------------------------------------------------------

    async def _ver(self, args: list[str]) -> Reply:
        return _err(Error.INVALID_ARGUMENT) if args else Reply(VERSION)

    async def _netver(self, args: list[str]) -> Reply:
        return _err(Error.INVALID_ARGUMENT) if args else Reply(PROTOCOL_VERSION + "\n")

    async def _help(self, args: list[str]) -> Reply:
        return _err(Error.INVALID_ARGUMENT) if args else Reply(HELP)

    async def _starttls(self, args: list[str]) -> Reply:
        if self.tls:
            return _err(Error.ALREADY_SSL_MODE)
        context = await self.backend.tls_context()
        if context is None:
            return _err(Error.FEATURE_NOT_CONFIGURED)
        return Reply("OK STARTTLS\n", starttls=context)

    async def _username(self, args: list[str]) -> Reply:
        if len(args) != 1:
            return _err(Error.INVALID_ARGUMENT)
        if self.backend.nut.require_tls and not self.tls:
            # No credentials in clear: refused before the client sends its password.
            return _err(Error.ACCESS_DENIED)
        if self.user is not None:
            return _err(Error.ALREADY_SET_USERNAME)
        if len(args[0]) > MAX_USERNAME:
            return _err(Error.INVALID_USERNAME)  # no user has such a name
        self.user = args[0]
        return Reply(OK)

    async def _password(self, args: list[str]) -> Reply:
        if len(args) != 1:
            return _err(Error.INVALID_ARGUMENT)
        if self.backend.nut.require_tls and not self.tls:
            return _err(Error.ACCESS_DENIED)
        if self.password is not None:
            return _err(Error.ALREADY_SET_PASSWORD)
        if len(args[0]) > MAX_PASSWORD:
            return _err(Error.INVALID_PASSWORD)  # no user has such a password
        self.password = args[0]
        return Reply(OK)

    async def _logout(self, args: list[str]) -> Reply:
        if args:
            return _err(Error.INVALID_ARGUMENT)
        return Reply("OK Goodbye\n", close=True)

    # -- privileged commands ----------------------------------------------------------------------

    async def _login(self, args: list[str]) -> Reply:
        if len(args) != 1:
            return _err(Error.INVALID_ARGUMENT)
        if self.login is not None:
            return _err(Error.ALREADY_LOGGED_IN)
        ups = self.backend.find(args[0])
        if ups is None:
            return _err(Error.UNKNOWN_UPS)
        if not await self._authorised(Rights.MONITOR):
            return _err(Error.ACCESS_DENIED)
        self.login = ups
        self.backend.logged_in(self)
        return Reply(OK)

    async def _primary(self, args: list[str], legacy: bool = False) -> Reply:
        if len(args) != 1:
            return _err(Error.INVALID_ARGUMENT)
        if self.backend.find(args[0]) is None:
            return _err(Error.UNKNOWN_UPS)
        if not await self._authorised(Rights.INSTCMD):
            return _err(Error.ACCESS_DENIED)
        self.primary = True
        return Reply("OK MASTER-GRANTED\n" if legacy else "OK PRIMARY-GRANTED\n")

    async def _master(self, args: list[str]) -> Reply:
        return await self._primary(args, legacy=True)

    async def _fsd(self, args: list[str]) -> Reply:
        if len(args) != 1:
            return _err(Error.INVALID_ARGUMENT)
        ups = self.backend.find(args[0])
        if ups is None:
            return _err(Error.UNKNOWN_UPS)
        if not await self._authorised(Rights.INSTCMD):
            return _err(Error.ACCESS_DENIED)
        self.backend.force_shutdown(self, ups)
        return Reply("OK FSD-SET\n")

    async def _instcmd(self, args: list[str]) -> Reply:
        if len(args) < 2:
            return _err(Error.INVALID_ARGUMENT)
        ups = self.backend.find(args[0])
        if ups is None:
            return _err(Error.UNKNOWN_UPS)
        view = self.backend.view(ups)
        if view is None:
            return _err(Error.DATA_STALE)
        command = view.command(args[1])
        if command is None:
            return _err(Error.CMD_NOT_SUPPORTED)
        if not await self._authorised(Rights.INSTCMD):
            return _err(Error.ACCESS_DENIED)
        failure = await self.backend.instcmd(self, ups, command)
        return self._done(failure, Error.INSTCMD_FAILED)

    async def _set(self, args: list[str]) -> Reply:
        if len(args) < 2:
            return _err(Error.INVALID_ARGUMENT)
        what = args[0].upper()
        if what == "TRACKING":
            # As upsd: no rights needed beyond USERNAME and PASSWORD sent.
            value = args[1].upper()
            if value not in ("ON", "OFF"):
                return _err(Error.INVALID_ARGUMENT)
            self.tracking = value == "ON"
            return Reply(OK)
        if what != "VAR" or len(args) < 4:
            return _err(Error.INVALID_ARGUMENT)
        ups = self.backend.find(args[1])
        if ups is None:
            return _err(Error.UNKNOWN_UPS)
        view = self.backend.view(ups)
        if view is None:
            return _err(Error.DATA_STALE)
        if not await self._authorised(Rights.SET):
            return _err(Error.ACCESS_DENIED)
        name = view.variable(args[2])
        if name is None:
            return _err(Error.VAR_NOT_SUPPORTED)
        writable = view.writable.get(name)
        if writable is None:
            return _err(Error.READONLY)
        text = args[3].strip()
        if not _INTEGER.fullmatch(text):
            return _err(Error.INVALID_VALUE)
        number = int(text)
        if not writable.minimum <= number <= writable.maximum:
            return _err(Error.INVALID_VALUE)
        failure = await self.backend.set_variable(self, ups, name, number)
        return self._done(failure, Error.SET_FAILED)

    def _done(self, failure: str, word: Error) -> Reply:
        """The reply to a command that ran (the control is answered once the UPS took it or
        refused it: a tracked command is then already SUCCESS or ERR FAILED)."""
        if self.tracking:
            tracking = self.backend.tracking
            identifier = tracking.new()
            tracking.set(identifier, SUCCESS if not failure else "ERR FAILED")
            return Reply(f"OK TRACKING {identifier}\n")
        return _err(word) if failure else Reply(OK)

    # -- GET --------------------------------------------------------------------------------------

    async def _get(self, args: list[str]) -> Reply:
        if not args:
            return _err(Error.INVALID_ARGUMENT)
        what = args[0].upper()
        if what == "TRACKING":
            if len(args) < 2:
                return Reply("ON\n" if self.tracking else "OFF\n")
            if not self.tracking:
                return _err(Error.FEATURE_NOT_CONFIGURED)
            return Reply(self.backend.tracking.get(args[1]) + "\n")
        if len(args) < 2:
            return _err(Error.INVALID_ARGUMENT)
        asked = args[1]
        if what == "UPSDESC":
            ups = self.backend.find(asked)
            if ups is None:
                return _err(Error.UNKNOWN_UPS)
            return Reply(line("UPSDESC", asked, value=ups.description or "Unavailable"))
        if what == "NUMLOGINS":
            ups = self.backend.find(asked)
            if ups is None:
                return _err(Error.UNKNOWN_UPS)
            if self.backend.view(ups) is None:
                return _err(Error.DATA_STALE)
            return Reply(f"NUMLOGINS {asked} {len(self.backend.logged_in_sessions(ups.unit))}\n")
        if len(args) < 3 or what not in ("VAR", "TYPE", "DESC", "CMDDESC"):
            return _err(Error.INVALID_ARGUMENT)
        name = args[2]
        if what == "VAR" and name.lower().startswith("server."):
            return self._server_variable(asked, name)
        ups = self.backend.find(asked)
        if ups is None:
            return _err(Error.UNKNOWN_UPS)
        view = self.backend.view(ups)
        if view is None:
            return _err(Error.DATA_STALE)
        if what == "CMDDESC":
            command = view.command(name)
            if command is None or not view.commands[command]:
                return _err(Error.CMD_NOT_SUPPORTED)
            text = command_description(command) or UNAVAILABLE
            return Reply(line("CMDDESC", asked, name, value=text))
        ours = view.variable(name)
        if ours is None:
            return _err(Error.VAR_NOT_SUPPORTED)
        if what == "VAR":
            return Reply(line("VAR", asked, name, value=view.variables[ours]))
        if what == "TYPE":
            # As upsd: a read-only variable is a NUMBER whatever it holds.
            kind = "RW RANGE NUMBER" if ours in view.writable else "NUMBER"
            return Reply(f"TYPE {asked} {name} {kind}\n")
        return Reply(line("DESC", asked, name, value=description(ours) or UNAVAILABLE))

    def _server_variable(self, asked: str, name: str) -> Reply:
        lowered = name.lower()
        if lowered == "server.info":
            return Reply(line("VAR", asked, name, value=VERSION.strip()))
        if lowered == "server.version":
            return Reply(line("VAR", asked, name, value=__version__))
        return _err(Error.VAR_NOT_SUPPORTED)

    # -- LIST -------------------------------------------------------------------------------------

    async def _list(self, args: list[str]) -> Reply:
        if not args:
            return _err(Error.INVALID_ARGUMENT)
        what = args[0].upper()
        if what == "UPS":
            lines = ["BEGIN LIST UPS\n"]
            lines += [
                line("UPS", ups.name, value=ups.description or "Unavailable") for ups in self.backend.upses()
            ]
            lines.append("END LIST UPS\n")
            return Reply("".join(lines))
        if len(args) < 2:
            return _err(Error.INVALID_ARGUMENT)
        asked = args[1]
        if what not in ("VAR", "RW", "CMD", "CLIENT", "ENUM", "RANGE"):
            return _err(Error.INVALID_ARGUMENT)
        if what in ("ENUM", "RANGE") and len(args) < 3:
            return _err(Error.INVALID_ARGUMENT)
        ups = self.backend.find(asked)
        if ups is None:
            return _err(Error.UNKNOWN_UPS)
        if what == "CLIENT":
            lines = [f"BEGIN LIST CLIENT {asked}\n"]
            for session in self.backend.logged_in_sessions(ups.unit):
                lines.append(f"CLIENT {ups.name} {session.address}\n")
            lines.append(f"END LIST CLIENT {asked}\n")
            return Reply("".join(lines))
        view = self.backend.view(ups)
        if view is None:
            return _err(Error.DATA_STALE)
        if what == "VAR":
            return Reply(view.list_var(asked))
        if what == "RW":
            lines = [f"BEGIN LIST RW {asked}\n"]
            lines += [line("RW", asked, name, value=view.variables[name]) for name in view.writable]
            lines.append(f"END LIST RW {asked}\n")
            return Reply("".join(lines))
        if what == "CMD":
            lines = [f"BEGIN LIST CMD {asked}\n"]
            lines += [f"CMD {asked} {name}\n" for name, permitted in view.commands.items() if permitted]
            lines.append(f"END LIST CMD {asked}\n")
            return Reply("".join(lines))
        name = args[2]
        ours = view.variable(name)
        if ours is None:
            return _err(Error.VAR_NOT_SUPPORTED)
        kind = what  # ENUM or RANGE
        lines = [f"BEGIN LIST {kind} {asked} {name}\n"]
        writable = view.writable.get(ours)
        if kind == "RANGE" and writable is not None:
            lines.append(line("RANGE", asked, name, values=(str(writable.minimum), str(writable.maximum))))
        lines.append(f"END LIST {kind} {asked} {name}\n")
        return Reply("".join(lines))


Handler = Callable[[Session, list[str]], Awaitable[Reply]]

_HANDLERS: dict[str, Handler] = {
    "VER": Session._ver,
    "NETVER": Session._netver,
    "PROTVER": Session._netver,  # an alias since NUT 2.8.0
    "HELP": Session._help,
    "STARTTLS": Session._starttls,
    "GET": Session._get,
    "LIST": Session._list,
    "USERNAME": Session._username,
    "PASSWORD": Session._password,
    "LOGIN": Session._login,
    "LOGOUT": Session._logout,
    "PRIMARY": Session._primary,
    "MASTER": Session._master,
    "FSD": Session._fsd,
    "SET": Session._set,
    "INSTCMD": Session._instcmd,
}
