"""The agent's connection to the gateway's NUT server, and its watch loop.

It behaves as upsmon does for a secondary (docs/man/upsmon.txt): optional
STARTTLS, USERNAME, PASSWORD, LOGIN <ups>, then ``GET VAR <ups> ups.status`` every
poll; on the verdict of :mod:`.decision` it runs the pre-shutdown program, says
LOGOUT (so the gateway stops waiting for it) and runs the shutdown command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable, Coroutine
from typing import Any

from . import actions
from .config import AgentConfig
from .decision import CRITICAL, INFO, WARNING, Notice, Watch
from .protocol import (
    MAX_LINE,
    ListReader,
    NutError,
    ProtocolError,
    check_error,
    decode_line,
    parse_ok,
    parse_status,
    parse_timer,
    parse_var,
    request,
)

log = logging.getLogger("netvision.agent")

MAX_BACKOFF = 30.0
CONNECT_TIMEOUT = 10.0
LEVELS = {INFO: logging.INFO, WARNING: logging.WARNING, CRITICAL: logging.CRITICAL}


class ConnectionLost(Exception):
    """The server did not answer, or the TCP connection broke."""


def tls_context(config: AgentConfig) -> ssl.SSLContext:
    """Verify the gateway's certificate against --ca or the system's store, unless --insecure."""
    context = ssl.create_default_context(cafile=config.ca or None)
    if config.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class NutConnection:
    """One TCP connection to a NUT server: one request, one reply, each within a time limit."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout = timeout

    @classmethod
    async def open(cls, host: str, port: int, timeout: float) -> NutConnection:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=MAX_LINE * 2), min(timeout, CONNECT_TIMEOUT)
            )
        except (OSError, TimeoutError) as error:
            raise ConnectionLost(f"cannot connect to {host}:{port}: {error or 'timed out'}") from error
        return cls(reader, writer, timeout)

    async def ask(self, *words: str) -> str:
        """Send one request, return the reply line (raises NutError on ERR)."""
        try:
            self.writer.write(request(*words))
            await self.writer.drain()
            raw = await asyncio.wait_for(self.reader.readline(), self.timeout)
        except TimeoutError as error:
            raise ConnectionLost(f"no reply to {words[0]} within {self.timeout:g} s") from error
        except (OSError, ValueError, asyncio.LimitOverrunError) as error:
            raise ConnectionLost(f"connection broken: {error}") from error
        if not raw:
            raise ConnectionLost("the server closed the connection")
        try:
            line = decode_line(raw)
        except ProtocolError as error:
            raise ConnectionLost(str(error)) from error
        check_error(line)
        return line

    async def ask_list(self, *query: str) -> list[tuple[str, ...]]:
        reader = ListReader(*query)
        line = await self.ask("LIST", *query)
        reader.feed(line)
        while True:
            try:
                raw = await asyncio.wait_for(self.reader.readline(), self.timeout)
            except (TimeoutError, OSError, ValueError) as error:
                raise ConnectionLost(f"list not read to its end: {error}") from error
            if reader.feed(decode_line(raw)):
                return reader.items

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        reply = await self.ask("STARTTLS")
        parse_ok(reply)
        try:
            await asyncio.wait_for(
                self.writer.start_tls(context, server_hostname=server_hostname), self.timeout
            )
        except ssl.SSLError as error:
            raise ConnectionLost(f"TLS handshake failed: {error.reason or error}") from error
        except (OSError, TimeoutError) as error:
            raise ConnectionLost(f"TLS handshake failed: {error or 'timed out'}") from error

    async def close(self, logout: bool = False) -> None:
        if logout:
            with contextlib.suppress(ConnectionLost, NutError, ProtocolError):
                await self.ask("LOGOUT")
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 2.0)


class Agent:
    """Watches one UPS on the gateway until a shutdown is due, then carries it out."""

    def __init__(
        self,
        config: AgentConfig,
        notify: Callable[[str, str], Coroutine[Any, Any, None]] = actions.notify,
    ) -> None:
        self.config = config
        self.watch = Watch(deadtime=config.deadtime)
        self.notify = notify
        self.connection: NutConnection | None = None
        self.logged_in = False
        self.stopping = asyncio.Event()
        self._cleartext_warned = False
        self._upses_named = False
        self._notifications: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------ connection

    async def connect(self) -> NutConnection:
        config = self.config
        timeout = min(5.0, config.deadtime / 3)
        connection = await NutConnection.open(config.host, config.port, timeout)
        try:
            if config.tls:
                try:
                    await connection.start_tls(tls_context(config), config.host)
                except NutError as error:
                    raise ConnectionLost(
                        f"the gateway refused STARTTLS ({error.word}): turn TLS on in its NUT server "
                        "settings, or run the agent without --tls"
                    ) from error
                log.info("TLS session with %s:%d", config.host, config.port)
            self.logged_in = False
            if config.username:
                if not config.tls and not self._cleartext_warned:
                    log.warning("the NUT password travels in clear text: --tls protects it")
                    self._cleartext_warned = True
                await self._login(connection)
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _login(self, connection: NutConnection) -> None:
        # A refused login does not blind the agent: GET VAR needs no login, so it keeps
        # watching; only the gateway's count of clients to wait for (NUMLOGINS) misses it.
        config = self.config
        try:
            parse_ok(await connection.ask("USERNAME", config.username))
            parse_ok(await connection.ask("PASSWORD", config.password))
            parse_ok(await connection.ask("LOGIN", config.ups))
        except NutError as error:
            log.error(
                "login as %s on %s refused (%s): watching without it; check the NUT user on the gateway",
                config.username,
                config.ups,
                error,
            )
            return
        self.logged_in = True
        log.info("logged in on %s@%s:%d as %s", config.ups, config.host, config.port, config.username)

    # ------------------------------------------------------------ polling

    async def poll(self, connection: NutConnection) -> list[Notice]:
        ups = self.config.ups
        now = asyncio.get_running_loop().time()
        try:
            status = parse_status(
                parse_var(await connection.ask("GET", "VAR", ups, "ups.status"), ups, "ups.status")
            )
        except NutError as error:
            if error.word == "UNKNOWN-UPS" and not self._upses_named:
                self._upses_named = True  # once: the log is not to be flooded every poll
                await self._name_the_upses(connection)
            return self.watch.no_answer(now, str(error))
        timer: int | None = None
        try:
            value = parse_var(
                await connection.ask("GET", "VAR", ups, "ups.timer.shutdown"), ups, "ups.timer.shutdown"
            )
            timer = parse_timer(value)
        except NutError:
            timer = None  # not published: no warning period to show
        return self.watch.answered(now, status, timer)

    async def _name_the_upses(self, connection: NutConnection) -> None:
        with contextlib.suppress(NutError, ProtocolError):
            names = [item[0] for item in await connection.ask_list("UPS") if item]
            log.error(
                "the gateway has no UPS named %r; it serves: %s", self.config.ups, ", ".join(names) or "none"
            )

    async def report(self, notices: list[Notice]) -> None:
        for notice in notices:
            log.log(LEVELS.get(notice.level, logging.INFO), "%s", notice.message)
            if notice.notify:
                # In the background: a desktop that is slow to answer never delays a shutdown.
                task = asyncio.create_task(
                    self.notify(f"UPS {self.config.ups}@{self.config.host}", notice.message)
                )
                self._notifications.add(task)
                task.add_done_callback(self._notifications.discard)

    async def _end_notifications(self, patience: float = 2.0) -> None:
        if not self._notifications:
            return
        _, late = await asyncio.wait(set(self._notifications), timeout=patience)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def watch_until_shutdown(self) -> str | None:
        """Poll until a shutdown is due (its reason) or the agent is stopped (None)."""
        config = self.config
        loop = asyncio.get_running_loop()
        backoff = config.poll
        next_attempt = 0.0
        while not self.stopping.is_set():
            started = loop.time()
            notices: list[Notice] = []
            if self.connection is None and started >= next_attempt:
                try:
                    self.connection = await self.connect()
                    backoff = config.poll
                except (ConnectionLost, NutError, ProtocolError) as error:
                    notices += self.watch.no_answer(loop.time(), str(error))
                    log.debug("reconnecting in %g s", backoff)
                    next_attempt = loop.time() + backoff
                    backoff = min(backoff * 2, MAX_BACKOFF)
            elif self.connection is None:
                notices += self.watch.no_answer(started, "reconnecting")
            if self.connection is not None:
                try:
                    notices += await self.poll(self.connection)
                except (ConnectionLost, ProtocolError) as error:
                    await self.connection.close()
                    self.connection = None
                    next_attempt = 0.0  # the first reconnection at once, then backing off
                    notices += self.watch.no_answer(loop.time(), str(error))
            await self.report(notices)
            if self.watch.shutdown_reason is not None:
                return self.watch.shutdown_reason
            await self._sleep(max(0.0, config.poll - (loop.time() - started)))
        return None

    async def shut_down(self) -> int:
        """Pre-shutdown program, LOGOUT, shutdown command; the command's exit status."""
        config = self.config
        if config.script:
            await actions.run_script(config.script, config.script_timeout)
        if self.connection is not None:
            # LOGOUT tells the gateway (a NUT primary waiting on NUMLOGINS) this server is going.
            await self.connection.close(logout=True)
            self.connection = None
            log.info("logged out from %s@%s", config.ups, config.host)
        return await actions.run_shutdown(config.shutdown_command, config.dry_run)

    async def run(self) -> int:
        """Watch, then shut down; 0 when stopped or when the shutdown command ran well."""
        config = self.config
        log.info(
            "watching %s@%s:%d every %g s (deadtime %g s%s)",
            config.ups,
            config.host,
            config.port,
            config.poll,
            config.deadtime,
            ", dry run" if config.dry_run else "",
        )
        try:
            reason = await self.watch_until_shutdown()
            if reason is None:
                return 0
            return await self.shut_down()
        finally:
            if self.connection is not None:
                await self.connection.close(logout=self.logged_in)
                self.connection = None
            await self._end_notifications()
