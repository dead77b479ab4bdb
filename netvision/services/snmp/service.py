"""The SNMP service: agent (v1/v2c/v3), writable objects, and traps from the event bus.

§18.3 SNMP Support (port, versions), §18.2 communities, §18.7 USM table,
§18.8 trap receivers. Settings changes take effect without a restart: the
agent's engine is rebuilt on the new port/communities/users; the objects
follow every snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.proto.rfc1902 import OctetString
from pysnmp.smi import error as smi_error

from ... import __version__
from ...events.bus import Event, Severity
from ...netinfo import network_of
from ...ratelimit import PerSourceCounter
from ...settings import Settings
from ...settings.store import SettingsError, apply_changes
from ...ups.model import Snapshot
from ..listen import guard
from ..registry import ServiceContext
from . import usm
from .engine_id import engine_id, interface_mac, next_engine_boots
from .fastpath import EncodedTree, answer, screen
from .instrum import TreeInstrumController
from .objects import (
    AGENT_ACTION_OBJECTS,
    CLEAR_LOG_OBJECTS,
    NV7_OBJECTS,
    STATUS_CONTROLS,
    SYSTEM,
    UPS_OBJECTS,
    UPS_TEST_GENERAL_SYSTEMS_TEST,
    UPS_TEST_QUICK_TEST,
    AgentView,
    build_entries,
)
from .shutdown import (
    Edit,
    NoSuchRow,
    NotWritable,
    WrongType,
    WrongValue,
    decode_write,
    settings_changes,
)
from .traps import (
    NV_TRAPS,
    STS_TRAP_LIST,
    TRAP_SHUTDOWN_REQUEST,
    TRAP_TEST,
    Trap,
    TrapSender,
    alarm_trap,
    on_battery_trap,
    shutdown_request_trap,
    usm_protocols,
)
from .tree import Oid, OidTree

log = logging.getLogger("netvision.snmp")

# Writable objects that are settings: OID -> (dotted settings key, value kind).
SETTING_OBJECTS: dict[Oid, tuple[str, type]] = {
    SYSTEM + (4, 0): ("system.contact", str),
    SYSTEM + (5, 0): ("system.name", str),
    SYSTEM + (6, 0): ("system.location", str),
    NV7_OBJECTS + (1, 6, 0): ("system.name", str),
    NV7_OBJECTS + (1, 7, 0): ("system.contact", str),
    NV7_OBJECTS + (1, 8, 0): ("system.location", str),
    NV7_OBJECTS + (9, 6, 0): ("system.ntp_server_1", str),
    NV7_OBJECTS + (9, 8, 0): ("logs.history_interval", int),
    NV7_OBJECTS + (9, 9, 0): ("logs.extended_interval", int),
    NV7_OBJECTS + (9, 10, 0): ("serial.polling_rate", int),
}
STATUS_CONTROL_OID = NV7_OBJECTS + (7, 1, 0)
UPS_TEST_ID_OID = UPS_OBJECTS + (7, 1, 0)
# TRAP 1 is raised by this service itself from snapshots (repeated every minute,
# App. traps); the engine's event for it is not sent a second time.
TRAP_ON_BATTERY = 1
SELF_RAISED_TRAPS = frozenset({TRAP_ON_BATTERY})
# The engine's TRAP 3/4: one per well-known alarm of one UPS MIB (events/engine.py).
ALARM_ENTRY_EVENTS = frozenset({"trap.alarm_entry_added", "trap.alarm_entry_removed"})


def _agent_settings(settings: Settings) -> dict[str, Any]:
    """The SNMP settings the agent is opened with (not the trap settings)."""
    return settings.snmp.model_dump(exclude={name for name in type(settings.snmp).model_fields if name.startswith("trap")})


def local_address(bind: str) -> str:
    """The agent's IPv4 address: the bind address, or the one routing to the outside."""
    if bind not in ("0.0.0.0", "::", ""):
        return bind
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent by a UDP connect
        return str(probe.getsockname()[0])
    return "127.0.0.1"


class SnmpService:
    name = "snmp"

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        settings = context.settings
        self._mac = interface_mac(settings.web.mac_interface)
        self.engine_id = engine_id(self._mac)
        self.boots = next_engine_boots(context.data_dir)
        self.view = AgentView(settings=settings, agent_version=__version__)
        self._set_address(settings)
        self.view.logs_clearable = context.recorder is not None
        self.view.agent_controllable = context.agent is not None
        self._tree = OidTree(())
        self._tree_sequence = -1
        self._dirty = True
        self._engine: Any = None
        self._socket: socket.socket | None = None
        self._traps = TrapSender(self.engine_id, self.boots)
        # Snapshot-derived state (system level: traps are system-level, §18.3).
        self._on_battery_since: float | None = None
        self.bound_port: int | None = None
        self._encoded: EncodedTree | None = None
        self._communities: frozenset[bytes] = frozenset()
        self._fast_versions: frozenset[int] = frozenset()
        self._dropped = PerSourceCounter()
        # SNMP's settings changes are saved one after the other, each computed on the saved
        # settings of the one before (a table cell rewrites its whole list).
        self._settings_lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self._open_agent(self.context.settings)  # a port in use fails here, before anything else
        self.context.on_snapshot(self._on_snapshot)
        self._on_snapshot(self.context.ups.snapshot)
        subscription = self.context.subscribe_events(maxsize=1000)
        self.context.create_task(self._forward_events(subscription), name="traps")
        self.context.offer("snmp.test_trap", self.send_test_trap_to)
        self.context.create_task(self._repeat_on_battery(), name="trap1")

    async def stop(self) -> None:
        self._close_agent()
        self._traps.close()

    async def reconfigure(self, old: Settings, new: Settings) -> None:
        """The objects follow every change; the agent reopens when its own settings changed
        (the trap settings apply to the next trap)."""
        self.view.settings = new
        self._set_address(new)
        self._dirty = True
        if _agent_settings(old) != _agent_settings(new):
            self._close_agent()
            self._open_agent(new)

    def counters(self) -> dict[str, int]:
        return {"traps_sent": self._traps.sent, "traps_failed": self._traps.failed, "datagrams_dropped": self._dropped.total}

    def _set_address(self, settings: Settings) -> None:
        """upsAgentIpAddress, Gateway, SubnetMask, DhcpStatus (App. MIB upsAgent 1–3, 12)."""
        self.view.ip_address = local_address(settings.snmp.bind)
        self.view.subnet_mask, self.view.gateway, self.view.dhcp = network_of(self.view.ip_address)

    def addresses(self) -> list[str]:
        snmp = self.context.settings.snmp
        host = "127.0.0.1" if snmp.bind in ("0.0.0.0", "::") else snmp.bind
        versions = "/".join(name for name in ("v1", "v2c", "v3") if getattr(snmp, name))
        return [f"snmp udp {host}:{self.bound_port or snmp.port} ({versions})"]

    # -- the agent -------------------------------------------------------------------------------

    def _open_agent(self, settings: Settings) -> None:
        from pysnmp.carrier.asyncio.dgram import udp
        from pysnmp.entity import config, engine
        from pysnmp.entity.rfc3413 import cmdrsp, context
        from pysnmp.proto.api import v2c

        snmp = settings.snmp
        family = socket.AF_INET6 if ":" in snmp.bind else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((snmp.bind, snmp.port))  # fails here, not later in a future (notes §3)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        # The firewall (§18.15) drops a refused datagram before either path parses it.
        sock = guard(sock, functools.partial(self.context.allows, protocol="SNMP"))
        self._socket = sock
        self.bound_port = sock.getsockname()[1]

        snmp_engine = engine.SnmpEngine(snmpEngineID=v2c.OctetString(self.engine_id))
        (boots,) = snmp_engine.get_mib_builder().import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineBoots")
        boots.syntax = boots.syntax.clone(self.boots)
        usm.install(snmp_engine)  # the report for an unsupported security level (usm.py)
        transport = _fast_transport_class()(self._fast_answer, self._drop, self._dropped_from).open_server_mode(
            sock=sock
        )
        # An empty community is no community (no write access out of the box).
        self._communities = frozenset(c.encode() for c in (snmp.read_community, snmp.write_community) if c)
        self._fast_versions = frozenset(version for version, on in ((0, snmp.v1), (1, snmp.v2c)) if on)
        config.add_transport(snmp_engine, udp.DOMAIN_NAME, transport)

        # Versions not accepted (§18.3): their messages are dropped (snmpInBadVersions).
        for model, accepted in ((0, snmp.v1), (1, snmp.v2c), (3, snmp.v3)):
            if not accepted:
                snmp_engine.message_processing_subsystems.pop(model, None)
        _add_views(snmp_engine)
        for security_name, community, write in (
            ("read-community", snmp.read_community, False),
            ("write-community", snmp.write_community, True),
        ):
            if not community:
                continue
            config.add_v1_system(snmp_engine, security_name, community)
            for model in (1, 2):
                _add_vacm(snmp_engine, model, security_name, "noAuthNoPriv", write=write)
        for user in snmp.usm_users:
            try:
                auth, priv = usm_protocols(user)
                config.add_v3_user(
                    snmp_engine,
                    user.name,
                    auth,
                    user.auth_password or None,
                    priv,
                    user.priv_password or None,
                )
                _add_vacm(snmp_engine, 3, user.name, user.security_level, write=user.write)
            except Exception as error:  # one bad USM row must not take the agent down
                log.error("SNMPv3 user %r not served: %s", user.name, type(error).__name__)

        snmp_context = context.SnmpContext(snmp_engine)
        snmp_context.context_names[b""] = TreeInstrumController(self.tree, _Writer(self))
        cmdrsp.GetCommandResponder(snmp_engine, snmp_context)
        cmdrsp.NextCommandResponder(snmp_engine, snmp_context)
        _BulkResponder(snmp_engine, snmp_context)
        cmdrsp.SetCommandResponder(snmp_engine, snmp_context)
        snmp_engine.transport_dispatcher.job_started(1)
        self._engine = snmp_engine
        log.info("SNMP agent on udp %s:%d", snmp.bind, self.bound_port)

    def _close_agent(self) -> None:
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.transport_dispatcher.job_finished(1)
                self._engine.close_dispatcher()
            self._engine = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _drop(self, datagram: bytes, source: Any) -> bool:
        """Whether ``datagram`` is dropped before any decoding (fastpath.screen)."""
        reason = screen(datagram)
        if reason is None:
            return False
        self._dropped_from(source, reason)
        return True

    def _dropped_from(self, source: Any, reason: str) -> None:
        """One log line per source and minute, with the count: never a traceback per datagram."""
        host = str(source[0]) if isinstance(source, tuple) and source else "?"
        count = self._dropped.hit(host)
        if count:
            log.warning("SNMP datagram from %s dropped: %s (%d dropped from it since the last line)", host, reason, count)

    def _fast_answer(self, datagram: bytes) -> bytes | None:
        return answer(datagram, self._communities, self._fast_versions, self._encoded_tree)

    def _encoded_tree(self) -> EncodedTree:
        tree = self.tree()
        if self._encoded is None or self._encoded.tree is not tree:
            self._encoded = EncodedTree(tree)
        return self._encoded

    def tree(self) -> OidTree:
        """The objects of the latest snapshot, rebuilt at most once per snapshot, or when the
        client table or the shutdown procedure's state changed."""
        snapshot = self.context.ups.snapshot
        clients = self._offered("nut.clients", ())
        status = self._offered("shutdown.status", None)
        if clients != self.view.clients or status != self.view.shutdown_status:
            self.view.clients, self.view.shutdown_status = tuple(clients), status
            self._dirty = True
        if self._dirty or snapshot.sequence != self._tree_sequence:
            self._dirty = False
            self._tree_sequence = snapshot.sequence
            self.view.seconds_on_battery = self._seconds_on_battery()
            self._follow_engine()
            tracker = self.context.battery_tests  # the daemon's (ups/battery_test.py)
            self.view.battery_tests = tracker.state() if tracker is not None else None
            self._tree = OidTree(build_entries(snapshot, self.view))
        return self._tree

    def _offered(self, name: str, default: Any) -> Any:
        """What another service offers under ``name`` now; ``default`` while it does not run."""
        offer = self.context.offers.get(name)
        if offer is None:
            return default
        try:
            return offer()
        except Exception as error:  # the agent keeps answering whatever the other service does
            log.warning("%s not read: %s", name, error)
            return default

    def _follow_engine(self) -> None:
        """RFC1628 upsAlarmTable and upsInputLineBads, as the event engine keeps them."""
        engine = self.context.engine
        if engine is None:
            return
        self.view.rfc1628_alarm_rows = tuple(
            (row.alarm_id, row.number, self.view.uptime_at(row.since)) for row in engine.alarm_table.rows
        )
        self.view.input_line_bads = engine.input_line_bads

    def _seconds_on_battery(self) -> int:
        if self._on_battery_since is None:
            return 0
        return int(time.monotonic() - self._on_battery_since)

    # -- snapshots: TRAP 1 ------------------------------------------------------------------------

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self._dirty = True
        system = snapshot.system if snapshot.communicating else None
        # The trap condition of status.py (App. traps: upsTrapOnBattery), a UPS's trap list.
        on_battery = (
            system is not None
            and system.derived.device_kind == "ups"
            and TRAP_ON_BATTERY in system.derived.traps
        )
        if on_battery and self._on_battery_since is None:
            self._on_battery_since = time.monotonic()
            self._spawn(self._send_on_battery())
        elif not on_battery:
            self._on_battery_since = None

    async def _send_on_battery(self) -> None:
        snapshot = self.context.ups.snapshot
        minutes = snapshot.system.measurement("remaining_backup_time") if snapshot.system else None
        seconds = self._seconds_on_battery()
        text = f"The UPS is operating on battery power: {seconds} s on battery"
        await self._send(on_battery_trap(minutes, seconds, text))

    async def _repeat_on_battery(self) -> None:
        """TRAP 1 every minute while on battery (App. traps), counted from the first one."""
        due: float | None = None
        while True:
            await asyncio.sleep(0.5)
            since = self._on_battery_since
            if since is None:
                due = None
                continue
            interval = self.context.settings.snmp.on_battery_trap_interval
            if due is None or due < since:
                due = since + interval
            if time.monotonic() >= due:
                due += interval
                await self._send_on_battery()

    # -- bus events: every other trap ------------------------------------------------------------

    async def _forward_events(self, subscription: Any) -> None:
        try:
            async for event in subscription:
                trap = self.trap_for_event(event)
                if trap is not None:
                    await self._send(trap)
        finally:
            subscription.close()

    def trap_for_event(self, event: Event) -> Trap | None:
        if event.trap is None or event.log == "ups":
            # The UPS log's alarm rows are not traps: TRAP 3/4 are per well-known alarm.
            return None
        if event.id in ALARM_ENTRY_EVENTS:
            added = event.id == "trap.alarm_entry_added"
            number = int(event.data["well_known"])
            if event.data.get("mib") == "rfc1628":
                return alarm_trap(added, None, (int(event.data["alarm_id"]), number), event.text_en)
            return alarm_trap(added, number, None, event.text_en)
        if event.id.startswith("trap.sts_"):
            # A STATYS's trap triggers are numbered as the STS trap list (FR annex), with its levels.
            if event.trap not in STS_TRAP_LIST:
                return None
            return Trap(event.trap, STS_TRAP_LIST[event.trap][1], text=event.text_en, sts=True)
        if event.trap in SELF_RAISED_TRAPS or event.trap not in NV_TRAPS:
            return None
        if event.trap == TRAP_SHUTDOWN_REQUEST:
            # The event's text already says which event and how long before the command.
            return shutdown_request_trap(self.context.settings.shutdown, event.text_en)
        return Trap(event.trap, event.severity, text=event.text_en)

    async def send_test_trap(self) -> int:
        """The "send test trap" action (TRAP 40, App. traps): to every receiver; returns how many."""
        return await self._send(Trap(TRAP_TEST, Severity.INFORMATION, text="TRAP TEST"))

    async def send_test_trap_to(self, index: int) -> str:
        """TRAP 40 to the saved receiver ``index`` alone (the web page's "Send test trap"), in
        its version and with its community or v3 user. Returns where it went; raises
        ValueError for a row that is not saved, or what the sending reported."""
        settings = self.context.settings.snmp
        if not 0 <= index < len(settings.trap_receivers):
            raise ValueError("no saved trap receiver in this row")
        receiver = settings.trap_receivers[index]
        if not receiver.address:
            raise ValueError("the row has no address")
        # The test trap is the NET VISION MIB's TRAP 40, also for an RFC1628 receiver.
        target = receiver.model_copy(update={"trap_type": "netvision"})
        trap = Trap(TRAP_TEST, Severity.INFORMATION, text="TRAP TEST")
        await self._traps.send_to(target, trap, settings, self.view.uptime(), self.view.ip_address)
        return f"{receiver.address}:{receiver.port}"

    async def _send(self, trap: Trap) -> int:
        settings = self.context.settings.snmp
        if not settings.enabled:
            return 0  # "SNMP Support" off (§18.3): no agent and no traps
        self.view.last_trap_text = trap.text
        self._dirty = True
        return await self._traps.send(trap, settings, self.view.uptime(), self.view.ip_address)

    def _spawn(self, coroutine: Any) -> None:
        self.context.create_task(coroutine, name="send")

    # -- SET -------------------------------------------------------------------------------------

    def check_request(self, var_binds: Sequence[tuple[Oid, Any, int]], manager: str) -> Callable[[], None]:
        """Validate every varbind of one SET (RFC 3416 §4.2.5: all or nothing) and return what
        applies them. The settings among them are checked together and saved as one change."""
        appliers: list[Callable[[], None]] = []
        edits: list[tuple[int, Oid, Edit]] = []
        for oid, value, index in var_binds:
            edit = self._settings_edit(oid, value, index)
            if edit is not None:
                edits.append((index, oid, edit))
            else:
                appliers.append(self.check_write(oid, value, index, manager))
        if edits:
            appliers.append(self._check_settings(edits, manager))

        def apply() -> None:
            for applier in appliers:
                applier()

        return apply

    def _settings_edit(self, oid: Oid, value: Any, index: int) -> Edit | None:
        """The settings edit of a varbind, None for an object that is not a setting; raises
        wrongType / wrongValue for a value the object can never hold."""
        try:
            edit = decode_write(oid, value)
        except WrongType:
            raise smi_error.WrongTypeError(name=oid, idx=index) from None
        except WrongValue:
            raise smi_error.WrongValueError(name=oid, idx=index) from None
        except NoSuchRow:
            raise smi_error.NoCreationError(name=oid, idx=index) from None
        except NotWritable:
            raise smi_error.NotWritableError(name=oid, idx=index) from None
        if edit is not None or oid not in SETTING_OBJECTS:
            return edit
        key, kind = SETTING_OBJECTS[oid]
        if kind is int:
            if not isinstance(value, univ.Integer):
                raise smi_error.WrongTypeError(name=oid, idx=index)
            new: object = int(value)
        else:
            if not isinstance(value, OctetString):
                raise smi_error.WrongTypeError(name=oid, idx=index)
            new = value.asOctets().decode("utf-8", "replace")
        try:
            apply_changes(self.context.settings, {key: new})
        except SettingsError:
            raise smi_error.WrongValueError(name=oid, idx=index) from None
        return Edit(key, new)

    def _check_settings(self, edits: list[tuple[int, Oid, Edit]], manager: str) -> Callable[[], None]:
        # Each value is right on its own; together they may not be (a special day's restart
        # before its shutdown): inconsistentValue on the first of them, nothing saved.
        changes = settings_changes(self.context.settings, [edit for _, _, edit in edits])
        try:
            apply_changes(self.context.settings, changes)
        except SettingsError as exc:
            index, oid, _ = edits[0]
            log.warning("SNMP SET by %s refused: %s", manager, exc)
            raise smi_error.InconsistentValueError(name=oid, idx=index) from None
        requested = [edit for _, _, edit in edits]

        def apply() -> None:
            self._spawn(self._change_settings(requested, manager))

        return apply

    def check_write(self, oid: Oid, value: Any, index: int, manager: str) -> Callable[[], None]:
        """A varbind that is no setting: a control, a log to clear, an agent action."""
        if oid == STATUS_CONTROL_OID:
            return self._check_control(value, index, manager)
        if oid == UPS_TEST_ID_OID:
            # RFC1628 upsTestId: a quick or general systems test is the UPS battery test.
            if not isinstance(value, univ.ObjectIdentifier):
                raise smi_error.WrongTypeError(name=oid, idx=index)
            if tuple(value) not in (UPS_TEST_QUICK_TEST, UPS_TEST_GENERAL_SYSTEMS_TEST):
                raise smi_error.WrongValueError(name=oid, idx=index)
            return self._check_named_control("battery_test", oid, index, manager)
        if oid[:-2] == NV7_OBJECTS + (9,) and oid[-2] in CLEAR_LOG_OBJECTS and oid[-1] == 0:
            return self._check_clear(CLEAR_LOG_OBJECTS[oid[-2]], oid, value, index, manager)
        if oid[:-2] == NV7_OBJECTS + (9,) and oid[-2] in AGENT_ACTION_OBJECTS and oid[-1] == 0:
            return self._check_agent_action(AGENT_ACTION_OBJECTS[oid[-2]], oid, value, index, manager)
        raise smi_error.NotWritableError(name=oid, idx=index)

    def _check_clear(self, name: str, oid: Oid, value: Any, index: int, manager: str) -> Callable[[], None]:
        recorder = self.context.recorder
        if recorder is None:
            raise smi_error.NotWritableError(name=oid, idx=index)
        if not isinstance(value, univ.Integer):
            raise smi_error.WrongTypeError(name=oid, idx=index)
        if int(value) not in (0, 1):
            raise smi_error.WrongValueError(name=oid, idx=index)

        def apply() -> None:
            if int(value) == 1:  # 1 clears the log (§21.5), logged as cleared via SNMP (§21.4)
                self._spawn(recorder.clear(name, via="SNMP", by=manager))

        return apply

    def _check_agent_action(self, action: str, oid: Oid, value: Any, index: int, manager: str) -> Callable[[], None]:
        agent = self.context.agent
        if agent is None:
            raise smi_error.NotWritableError(name=oid, idx=index)
        if not isinstance(value, univ.Integer):
            raise smi_error.WrongTypeError(name=oid, idx=index)
        # The appendix gives no values: 1 does it, anything else is refused (docs/decisions.md).
        if int(value) != 1:
            raise smi_error.WrongValueError(name=oid, idx=index)
        if agent.busy:  # one restart at a time, as from the web
            raise smi_error.ResourceUnavailableError(name=oid, idx=index)

        def apply() -> None:
            # The agent answers first: the restart runs after, as the daemon's task,
            # and stops this service with the others.
            if action == "reset":
                agent.request_reset(via="SNMP", by=manager)
            else:
                agent.request_restart(via="SNMP", by=manager)

        return apply

    async def _change_settings(self, edits: list[Edit], manager: str) -> None:
        async with self._settings_lock:
            # Made on the settings saved now: a change saved since the check is kept.
            changes = settings_changes(self.context.settings, edits)
            try:
                await self.context.settings_manager.change(changes, via="SNMP", by=manager)
            except SettingsError as exc:
                log.warning("SNMP SET of %s by %s refused: %s", ", ".join(changes), manager, exc)

    def _check_control(self, value: Any, index: int, manager: str) -> Callable[[], None]:
        if not isinstance(value, univ.Integer):
            raise smi_error.WrongTypeError(name=STATUS_CONTROL_OID, idx=index)
        control = STATUS_CONTROLS.get(int(value))
        if control is None:
            raise smi_error.WrongValueError(name=STATUS_CONTROL_OID, idx=index)
        return self._check_named_control(control, STATUS_CONTROL_OID, index, manager)

    def _check_named_control(self, control: str, oid: Oid, index: int, manager: str) -> Callable[[], None]:
        snapshot = self.context.ups.snapshot
        # "Control executed only if remote control enabled" (App. MIB upsControl): refuse
        # at once with inconsistentValue when the UPS does not permit it now.
        if not snapshot.communicating or not snapshot.remote_controls_permitted:
            raise smi_error.InconsistentValueError(name=oid, idx=index)
        if not snapshot.permissions.get(control, True):
            raise smi_error.InconsistentValueError(name=oid, idx=index)
        ups = self.context.ups

        async def submit() -> None:
            result = await ups.submit(control, source="snmp", user=manager)
            if not result.accepted:
                log.warning("SNMP control %s by %s refused: %s", control, manager, result.reason)

        def apply() -> None:
            self._spawn(submit())

        return apply


def _add_views(snmp_engine: Any) -> None:
    from pysnmp.entity import config

    config.add_context(snmp_engine, b"")
    config.add_vacm_view(snmp_engine, "full", "included", (1, 3, 6, 1), b"")
    # A view with no entry at all lets everything through in pysnmp 7.1
    # (rfc3415 returns instead of raising notInView), so "none" excludes explicitly.
    config.add_vacm_view(snmp_engine, "none", "excluded", (1, 3, 6, 1), b"")


def _add_vacm(snmp_engine: Any, model: int, security_name: str, level: str, *, write: bool) -> None:
    from pysnmp.entity import config

    (security_level,) = snmp_engine.get_mib_builder().import_symbols("SNMP-FRAMEWORK-MIB", "SnmpSecurityLevel")
    # One group per security model, level and access: vacmGroupName is SIZE(1..32)
    # (RFC 3415), so it cannot carry a user name of up to 32 characters.
    group = f"{model}-{level}-{'rw' if write else 'ro'}"
    config.add_vacm_group(snmp_engine, group, model, security_name)
    config.add_vacm_access(
        snmp_engine, group, b"", model, security_level(level), "exact", "full", "full" if write else "none", "none"
    )


class _Writer:
    def __init__(self, service: SnmpService) -> None:
        self._service = service

    def check(self, var_binds: Sequence[tuple[Oid, Any, int]], manager: str) -> Callable[[], None]:
        return self._service.check_request(var_binds, manager)


def _fast_transport_class() -> Any:
    from pysnmp.carrier.asyncio.dgram import udp

    class FastUdpTransport(udp.UdpTransport):  # type: ignore[misc]
        """Answers community read requests itself (fastpath.py); the rest goes to pysnmp."""

        def __init__(
            self,
            fast: Callable[[bytes], bytes | None],
            drop: Callable[[bytes, Any], bool],
            failed: Callable[[Any, str], None],
        ) -> None:
            super().__init__()
            self._fast = fast
            self._drop = drop
            self._failed = failed

        def datagram_received(self, datagram: bytes, transportAddress: Any) -> None:  # noqa: N803
            # The fast path bounds its own decoding (size, OID limits) and answers None for
            # anything beyond them; what it leaves is screened before pysnmp sees it.
            response = self._fast(datagram)
            if response is not None:
                if self.transport is not None:
                    self.transport.sendto(response, transportAddress)
                return
            if self._drop(datagram, transportAddress):
                return  # oversized or out-of-limits OIDs: pysnmp never decodes it
            self.loop.call_soon(self._to_pysnmp, transportAddress, datagram)

        def _to_pysnmp(self, address: Any, datagram: bytes) -> None:
            # pysnmp lets some decoding errors escape (pyasn1 TypeError on odd tags): they
            # would reach asyncio's handler as a traceback per datagram.
            if self._callback_function is None:
                return  # the engine is closing
            try:
                self._callback_function(self, address, datagram)
            except Exception as error:
                self._failed(address, f"{type(error).__name__}: {error}"[:200])

    return FastUdpTransport


def _bulk_responder_class() -> Any:
    from pysnmp.entity.rfc3413 import cmdrsp

    class BulkResponder(cmdrsp.BulkCommandResponder):
        # Our look-ups are cheap: let one GETBULK carry up to the message size
        # instead of pysnmp's 64 varbinds.
        max_varbinds = 256

    return BulkResponder


def _BulkResponder(snmp_engine: Any, snmp_context: Any) -> Any:  # noqa: N802
    return _bulk_responder_class()(snmp_engine, snmp_context)


def create(context: ServiceContext) -> SnmpService:
    return SnmpService(context)
