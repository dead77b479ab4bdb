"""SNMP traps: the NET VISION 7 trap list, the RFC1628 upsTraps, receivers and filters.

§18.8: up to 8 receivers, each with a trap type (None / RFC1628 / NET VISION),
a version (v1 / v2c / v3: the community column then holds a USM user name) and
a filter by severity or by a selection of events. §18.3: the "TRAP / email
filter" switch keeps TRAP3/TRAP4 from receivers filtering by severity.
Sending never waits for an answer (a trap is not acknowledged), so the poller
and the event bus are never held back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pysnmp.proto.rfc1902 import IpAddress, ObjectIdentifier, OctetString, TimeTicks

from ...events.bus import Severity
from ...settings.models import ShutdownSettings, SnmpSettings, TrapReceiver, UsmUser
from .ciphers import load_ciphers
from .objects import NV7_OBJECTS, NV7_TRAPS, STS_OBJECTS, STS_TRAPS, UPS_OBJECTS, UPS_TRAPS
from .shutdown import DISABLED, ENABLED, SHUTDOWN_DELAY, TURN_OFF_AFTER_SHUTDOWN
from .tree import Oid

log = logging.getLogger("netvision.snmp.traps")

I, W, C = Severity.INFORMATION, Severity.WARNING, Severity.CRITICAL  # noqa: E741

# App. "NET VISION 7 TRAP DESCRIPTION": number -> (name, level). TRAP 2 is "not managed".
NV_TRAPS: dict[int, tuple[str, Severity]] = {
    1: ("upsTrapOnBattery", C),
    2: ("upsTrapTestCompleted", I),
    3: ("upsTrapAlarmEntryAdded", W),
    4: ("upsTrapAlarmEntryRemoved", I),
    5: ("upsTrapImminentStop", C),
    6: ("upsTrapOverload", W),
    7: ("upsTrapRedundancyLost", W),
    8: ("upsTrapBatteryCircuitOpen", C),
    9: ("upsTrapBatteryDischarged", C),
    10: ("upsTrapBatteryLow", C),
    11: ("upsTrapBatteryAlarm", W),
    12: ("upsTrapUpsCriticalAlarm", C),
    13: ("upsTrapLoadOFF", C),
    14: ("upsTrapCommunicationLost", C),
    15: ("upsTrapOnBatteryPower", W),
    16: ("upsTrapBatteryTestFailed", W),
    17: ("upsTrapTemperatureAlarm", W),
    18: ("upsTrapOnBypass", W),
    19: ("upsTrapUpsPreventiveAlarm", W),
    20: ("upsTrapShutdownWarning", W),
    21: ("upsTrapShutdownRequest", W),
    22: ("upsTrapUpsNormal", I),
    23: ("upsTrapPowerRestored", I),
    24: ("upsTrapAlarmCancelled", I),
    25: ("upsTrapComEstablished", I),
    26: ("upsTrapShutdownCancelled", I),
    27: ("upsTrapAgentRestarting", I),
    28: ("upsTrapEmdTempLow", C),
    29: ("upsTrapEmdTempNotLow", I),
    30: ("upsTrapEmdTempHigh", C),
    31: ("upsTrapEmdTempNotHigh", I),
    32: ("upsTrapEmdHumidityLow", C),
    33: ("upsTrapEmdHumidityNotLow", I),
    34: ("upsTrapEmdHumidityHigh", C),
    35: ("upsTrapEmdHumidityNotHigh", I),
    36: ("upsTrapEmdFirstInputActive", C),
    37: ("upsTrapEmdFirstInputRestored", I),
    38: ("upsTrapEmdSecondInputActive", C),
    39: ("upsTrapEmdSecondInputRestored", I),
    40: ("upsTrapTest", I),
}
# FR annex "Description des TRAP du STS": GRAVE, AVERTISSEMENT, INFORMATIONS.
STS_TRAP_LIST: dict[int, tuple[str, Severity]] = {
    1: ("stsTrapImminentStop", C),
    2: ("stsTrapOverload", C),
    3: ("stsTrapSwitchOnPreferredSource", I),
    4: ("stsTrapSwitchOnAlternateSource", W),
    5: ("stsTrapSource1PreferredSource", I),
    6: ("stsTrapOutputLoadOFF", C),
    7: ("stsTrapGeneralAlarm", W),
    8: ("stsTrapAlarmCancelled", I),
}
RFC1628_TRAPS = (1, 2, 3, 4)  # "TRAP1 to TRAP4 are managed as defined by RFC1628"
TRAP_TEST = 40
# The shutdown procedure's traps (App. traps "Shutdown agent"; EN §21.4 events).
TRAP_SHUTDOWN_WARNING, TRAP_SHUTDOWN_REQUEST, TRAP_SHUTDOWN_CANCELLED = 20, 21, 26
SEVERITY_RANK = {"information": 0, "warning": 1, "critical": 2}

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAP_ADDRESS = (1, 3, 6, 1, 6, 3, 18, 1, 3, 0)
NV7_TRAP_STRING = NV7_OBJECTS + (9, 50, 0)
STS_TRAP_STRING = STS_OBJECTS + (7, 1, 0)


def nv_trap_oid(number: int) -> Oid:
    return NV7_TRAPS + (number,)


def rfc1628_trap_oid(number: int) -> Oid:
    return UPS_TRAPS + (number,)


@dataclass(frozen=True)
class Trap:
    """One trap to send: its NET VISION number and level, and the varbinds per MIB."""

    number: int
    severity: Severity
    netvision_varbinds: tuple[tuple[Oid, Any], ...] = ()
    rfc1628_varbinds: tuple[tuple[Oid, Any], ...] = ()
    text: str = ""
    sts: bool = False  # a trap of the STS MIB (.4555.1.1.10.2.0.n), for a STATYS
    mib: str | None = None  # "netvision" | "rfc1628": only for the receivers of that trap type


def receiver_wants(receiver: TrapReceiver, trap: Trap, trap_filter: bool) -> bool:
    """Whether ``receiver`` gets ``trap`` (§18.8 filters, §18.3 TRAP / email filter)."""
    if not receiver.address or receiver.trap_type == "none":
        return False
    if trap.mib is not None and receiver.trap_type != trap.mib:
        return False
    if receiver.trap_type == "rfc1628":
        if trap.sts:
            return False  # a STS is no UPS: RFC1628 has no trap for it
        # RFC1628 receivers get the four upsTraps; the filters apply to the NET VISION MIB (§18.8).
        return trap.number in RFC1628_TRAPS and trap.number != 2
    if trap.number == TRAP_TEST:
        return True  # a manual test goes to every receiver
    if receiver.event_filter == "events":
        return trap.number in receiver.events
    if trap.number in (3, 4) and trap_filter:
        return False
    return trap.severity.rank >= SEVERITY_RANK[receiver.severity]


def trap_pdu_varbinds(receiver: TrapReceiver, trap: Trap, uptime: int, agent_address: str) -> list[tuple[Oid, Any]]:
    """sysUpTime.0, snmpTrapOID.0 and the trap's objects for this receiver's MIB."""
    if receiver.trap_type == "rfc1628":
        oid, objects = rfc1628_trap_oid(trap.number), list(trap.rfc1628_varbinds)
    elif trap.sts:
        objects = [(STS_TRAP_STRING, OctetString(trap.text.encode("utf-8")[:255]))]
        oid = STS_TRAPS + (trap.number,)
    else:
        objects = list(trap.netvision_varbinds)
        objects.append((NV7_TRAP_STRING, OctetString(trap.text.encode("utf-8")[:255])))
        oid = nv_trap_oid(trap.number)
    varbinds: list[tuple[Oid, Any]] = [(SYS_UPTIME, TimeTicks(uptime)), (SNMP_TRAP_OID, ObjectIdentifier(oid))]
    varbinds.extend(objects)
    if receiver.version == "v1" and agent_address not in ("", "0.0.0.0"):
        # RFC 3584 §3.1: the v1 agent-addr comes from snmpTrapAddress.0.
        varbinds.append((SNMP_TRAP_ADDRESS, IpAddress(agent_address)))
    return varbinds


def on_battery_trap(minutes_remaining: float | None, seconds_on_battery: int, text: str) -> Trap:
    """TRAP 1: remaining backup time and running time on battery (App. traps)."""
    from pysnmp.proto.rfc1902 import Integer32

    minutes = Integer32(-1 if minutes_remaining is None else int(round(minutes_remaining)))
    return Trap(
        1,
        NV_TRAPS[1][1],
        netvision_varbinds=(
            (NV7_OBJECTS + (2, 3, 0), minutes),
            (NV7_OBJECTS + (2, 2, 0), Integer32(seconds_on_battery)),
        ),
        rfc1628_varbinds=(
            (UPS_OBJECTS + (2, 3, 0), Integer32(max(0, int(minutes)))),
            (UPS_OBJECTS + (2, 2, 0), Integer32(seconds_on_battery)),
        ),
        text=text,
    )


def alarm_trap(added: bool, nv_number: int | None, rfc_row: tuple[int, int] | None, text: str) -> Trap:
    """TRAP 3 / TRAP 4 with the well-known alarm: a NET VISION MIB number for the
    NET VISION receivers, or an RFC1628 alarm row (upsAlarmId, number) for the RFC1628 ones."""
    from pysnmp.proto.rfc1902 import Integer32

    number = 3 if added else 4
    netvision: tuple[tuple[Oid, Any], ...] = ()
    if nv_number is not None:
        netvision = ((NV7_OBJECTS + (6, 3, nv_number, 0), Integer32(1 if added else 0)),)
    rfc: tuple[tuple[Oid, Any], ...] = ()
    if rfc_row is not None:
        alarm_id, well_known = rfc_row
        rfc = (
            (UPS_OBJECTS + (6, 2, 1, 1, alarm_id), Integer32(alarm_id)),
            (UPS_OBJECTS + (6, 2, 1, 2, alarm_id), ObjectIdentifier(UPS_OBJECTS + (6, 3, well_known))),
        )
    return Trap(
        number,
        NV_TRAPS[number][1],
        netvision_varbinds=netvision,
        rfc1628_varbinds=rfc,
        text=text,
        mib="netvision" if nv_number is not None else "rfc1628",
    )


def shutdown_request_trap(shutdown: ShutdownSettings, text: str) -> Trap:
    """TRAP 21: the shutdown command went to the servers; with whether the UPS output is
    switched off after them and after how long (upsTurnOffAfterShutdown, upsShutdownDelay)."""
    from pysnmp.proto.rfc1902 import Integer32

    return Trap(
        TRAP_SHUTDOWN_REQUEST,
        NV_TRAPS[TRAP_SHUTDOWN_REQUEST][1],
        netvision_varbinds=(
            (SHUTDOWN_DELAY, Integer32(shutdown.ups_shut_off_delay)),
            (TURN_OFF_AFTER_SHUTDOWN, Integer32(ENABLED if shutdown.ups_shut_off else DISABLED)),
        ),
        text=text,
    )


_AUTH = {
    "md5": "USM_AUTH_HMAC96_MD5",
    "sha": "USM_AUTH_HMAC96_SHA",
    "sha224": "USM_AUTH_HMAC128_SHA224",
    "sha256": "USM_AUTH_HMAC192_SHA256",
    "sha384": "USM_AUTH_HMAC256_SHA384",
    "sha512": "USM_AUTH_HMAC384_SHA512",
}
# net-snmp's -x AES192/AES256 extend the key the Blumenthal way (shared/notes §3, measured).
_PRIV = {
    "des": "USM_PRIV_CBC56_DES",
    "aes": "USM_PRIV_CFB128_AES",
    "aes192": "USM_PRIV_CFB192_AES_BLUMENTHAL",
    "aes256": "USM_PRIV_CFB256_AES_BLUMENTHAL",
}


def usm_protocols(user: UsmUser) -> tuple[Any, Any]:
    from pysnmp.entity import config

    auth = config.USM_AUTH_NONE
    priv = config.USM_PRIV_NONE
    if user.security_level != "noAuthNoPriv":
        auth = getattr(config, _AUTH[user.auth_protocol])
    if user.security_level == "authPriv":
        priv = getattr(config, _PRIV[user.priv_protocol])
        load_ciphers()  # pysnmp's ciphers come with the first user with privacy (ciphers.py)
    return auth, priv


class TrapSender:
    """Sends traps through its own pysnmp engine (same engine ID as the agent, so v3
    receivers configured with it keep working), whatever versions the agent accepts.

    Its socket is bound to the agent's address (``snmp.bind``, any port) and reads
    nothing: traps are not acknowledged, so nothing that arrives there is answered
    (no v3 discovery reports on an address the agent was not told to serve)."""

    def __init__(self, engine_id: bytes, boots: int) -> None:
        self._engine_id = engine_id
        self._boots = boots
        self._engine: Any = None
        self._bind: str | None = None
        self.sent = 0
        self.failed = 0

    def _snmp_engine(self, bind: str) -> Any:
        if self._engine is not None and bind != self._bind:
            self.close()  # snmp.bind changed: a new socket on the new address
        if self._engine is None:
            from pysnmp.entity import config, engine
            from pysnmp.proto.api import v2c

            snmp_engine = engine.SnmpEngine(snmpEngineID=v2c.OctetString(self._engine_id))
            (boots,) = snmp_engine.get_mib_builder().import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineBoots")
            boots.syntax = boots.syntax.clone(self._boots)
            transport_class, domain = _silent_transport(bind)
            local = "0.0.0.0" if bind in ("", "::") else bind
            config.add_transport(snmp_engine, domain, transport_class().open_client_mode((local, 0)))
            self._engine, self._bind = snmp_engine, bind
        return self._engine

    def close(self) -> None:
        if self._engine is not None and self._engine.transport_dispatcher is not None:
            self._engine.close_dispatcher()
        self._engine = None
        self._bind = None

    async def send(
        self,
        trap: Trap,
        settings: SnmpSettings,
        uptime: int,
        agent_address: str,
        receivers: Sequence[TrapReceiver] | None = None,
    ) -> int:
        """Send ``trap`` to every receiver that wants it; returns how many were sent."""
        count = 0
        for receiver in receivers if receivers is not None else settings.trap_receivers:
            if not receiver_wants(receiver, trap, settings.trap_filter):
                continue
            try:
                await self._send_one(receiver, trap, settings, uptime, agent_address)
            except Exception as exc:  # one unreachable receiver must not stop the others
                self.failed += 1
                log.warning("trap %d to %s:%d not sent: %s", trap.number, receiver.address, receiver.port, exc)
                continue
            count += 1
            self.sent += 1
        return count

    async def send_to(
        self, receiver: TrapReceiver, trap: Trap, settings: SnmpSettings, uptime: int, agent_address: str
    ) -> None:
        """Send ``trap`` to this one receiver whatever its filters; raises what went wrong."""
        try:
            await self._send_one(receiver, trap, settings, uptime, agent_address)
        except Exception:
            self.failed += 1
            raise
        self.sent += 1

    async def _send_one(
        self, receiver: TrapReceiver, trap: Trap, settings: SnmpSettings, uptime: int, agent_address: str
    ) -> None:
        from pysnmp.hlapi.v3arch.asyncio import (
            CommunityData,
            ContextData,
            Udp6TransportTarget,
            UdpTransportTarget,
            UsmUserData,
            send_notification,
        )

        if receiver.version == "v3":
            user = next((user for user in settings.usm_users if user.name == receiver.community), None)
            if user is None:
                raise ValueError(f"v3 trap user {receiver.community!r} is not in the USM table (§18.8)")
            auth, priv = usm_protocols(user)
            auth_data: Any = UsmUserData(
                user.name,
                authKey=user.auth_password or None,
                privKey=user.priv_password or None,
                authProtocol=auth,
                privProtocol=priv,
            )
        else:
            auth_data = CommunityData(receiver.community, mpModel=0 if receiver.version == "v1" else 1)
        snmp_engine = self._snmp_engine(settings.bind)
        target_class = Udp6TransportTarget if _ipv6_bind(settings.bind) else UdpTransportTarget
        target = await target_class.create((receiver.address, receiver.port), timeout=1, retries=0)
        varbinds = trap_pdu_varbinds(receiver, trap, uptime, agent_address)
        error, _status, _index, _ = await send_notification(
            snmp_engine, auth_data, target, ContextData(), "trap", *varbinds, lookupMib=False
        )
        if error:
            raise RuntimeError(str(error))


def _ipv6_bind(bind: str) -> bool:
    # "::" listens on both families: traps then leave from an IPv4 socket, as before.
    return ":" in bind and bind != "::"


def _silent_transport(bind: str) -> tuple[Any, Oid]:
    """A client UDP transport class that drops whatever it receives, and its domain."""
    from pysnmp.carrier.asyncio.dgram import udp, udp6

    base, domain = (udp6.Udp6AsyncioTransport, udp6.DOMAIN_NAME) if _ipv6_bind(bind) else (
        udp.UdpAsyncioTransport,
        udp.DOMAIN_NAME,
    )

    class SendOnlyTransport(base):  # type: ignore[misc, valid-type]
        def datagram_received(self, datagram: bytes, transportAddress: Any) -> None:  # noqa: N803
            pass  # traps are not acknowledged: nothing to read here

    return SendOnlyTransport, domain
