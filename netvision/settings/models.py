"""Settings models: one class per group of the manual's NET VISION management pages.

Defaults are the manual's (EN §18.1–§18.3, §18.12; FR §15.13; INVENTORY §32).
Every section forbids unknown keys, so a typo in the TOML file is an error
instead of a silently ignored setting. Models are frozen: a change builds a
new ``Settings`` (see ``store.apply_changes``), so services holding the old
object never see it move under them, and ``changed_keys(old, new)`` can diff.

To add a page group (mail, syslog, shutdown...): write one ``Section``
subclass and add it as a field of ``Settings`` with ``default_factory``.
Values must be TOML types (no ``None``: use ``""`` for "not set").
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..passwords import hashed

# -- reusable field types ------------------------------------------------------------------------


def _check_ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 address") from None
    return value


Port = Annotated[int, Field(ge=1, le=65535)]
BindAddress = Annotated[str, AfterValidator(_check_ip)]
# RFC 1213 DisplayString: SIZE (0..255); these strings are served as SNMP system OIDs.
DisplayString = Annotated[str, Field(max_length=255)]


class SecretMark:
    """Marks a secret field (community, password): write-only on the web, left out of a
    plain configuration download, kept in an encrypted backup (see settings/secrets.py)."""

    def __repr__(self) -> str:
        return "Secret"


SECRET = SecretMark()
# Declare every secret field with this type; settings/secrets.py finds them by the mark.
Secret = Annotated[str, SECRET]

_WILDCARDS = {"0.0.0.0", "::"}


class Section(BaseModel):
    """Base of every settings group: unknown keys are errors, values are immutable, and
    types are strict: ``"yes"`` is not a boolean, ``"8080"`` is not a port (TOML and the
    web's JSON carry real booleans and numbers; an integer is still a valid float)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# -- §18.1 date and time, §18.2 identity ---------------------------------------------------------


class SystemSettings(Section):
    """Identity, units, language and clock (EN §18.1, §18.2, §18.17)."""

    name: DisplayString = Field(
        default="Socomec",
        description="System Name: shown in the top bar, SNMP sysName and e-mails (§18.2)",
    )
    contact: DisplayString = Field(
        default="", description="System Contact: reported in SNMP sysContact and e-mails (§18.2)"
    )
    location: DisplayString = Field(
        default="", description="System Location: shown in the top bar, SNMP sysLocation and e-mails (§18.2)"
    )
    temperature_unit: Literal["C", "F"] = Field(default="C", description="Temperature unit, °C or °F (§18.2)")
    language: Literal["en", "fr"] = Field(
        default="en", description="Language of the web pages and e-mails (§18.17)"
    )
    time_zone: str = Field(
        default="UTC", description="Time zone, an IANA name such as Europe/Paris (§18.1 'Time Zone GMT+')"
    )
    dst: Literal["disabled", "enabled", "auto"] = Field(
        default="auto",
        description="Daylight Saving Time: auto follows the time zone's rules (§18.1; FR §15.1 adds Auto)",
    )
    synchronize_ups_clock: bool = Field(
        default=True,
        description="Synchronize UPS: send the date and time to the UPS when it manages them (§18.1)",
    )
    # NTP (§18.1 "Synchronize with NTP server"): saved now, used by the NTP feature.
    ntp_enabled: bool = Field(default=False, description="Synchronize with NTP server (§18.1)")
    ntp_server_1: str = Field(
        default="", max_length=255, description="NTP Server: IP address or host name (§18.1, §19.3)"
    )
    ntp_server_2: str = Field(
        default="", max_length=255, description="Second NTP server, asked when the first does not answer"
    )
    ntp_period: Literal["hour", "day", "week", "month"] = Field(
        default="hour",
        description="NTP Synchro: hour / day / week / month (§18.1; 'every hours' is the default, INVENTORY (a) #23)",
    )
    ntp_nts: bool = Field(default=False, description="NTS Support: authenticated NTP (§18.1, §3.3.3)")

    @field_validator("ntp_server_1", "ntp_server_2")
    @classmethod
    def _host_name_or_address(cls, value: str) -> str:
        # A host name or an IPv4/IPv6 address: no spaces, schemes or paths.
        if value and not re.fullmatch(r"[A-Za-z0-9.:\-]+", value):
            raise ValueError("expected an IP address or a host name such as pool.ntp.org")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        # UTC is always valid, even on a board without the tz database.
        if value == "UTC":
            return value
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError("unknown time zone (expected an IANA name such as Europe/Paris)") from None
        return value


# -- §18.2 serial link ---------------------------------------------------------------------------


class SerialTimeout(Section):
    """Extra answer time allowed per baud rate, "Serial Timeout (ms)" (§18.2)."""

    b57600: int = Field(default=20, ge=0, le=2000, description="At 57600 baud, manual '20 ms (56k)' (§18.2)")
    b19200: int = Field(default=50, ge=0, le=2000, description="At 19200 baud (§18.2)")
    b9600: int = Field(default=100, ge=0, le=2000, description="At 9600 baud (§18.2)")
    b2400: int = Field(default=200, ge=0, le=2000, description="At 2400 baud (ITYS, §6); not given by §18.2")

    def for_baud(self, baud_rate: int) -> int:
        """Extra timeout in ms for ``baud_rate`` (one of the four supported rates)."""
        return int(getattr(self, f"b{baud_rate}"))


class SerialSettings(Section):
    """Serial Modbus RTU link to the UPS (EN §6, §7.2, §18.2, §18.3)."""

    device: str = Field(
        default="/dev/ttyS0",
        min_length=1,
        description="Serial device wired to the UPS; 'simulator' starts the embedded simulator",
    )
    baud_rate: Literal[2400, 9600, 19200, 57600] = Field(
        default=9600, description="Baud rate Setting: tried first, before automatic discovery (§18.2)"
    )
    auto_detect: bool = Field(
        default=True, description="Try the other baud rates when the UPS does not answer at baud_rate (§18.2)"
    )
    slave_id: int = Field(
        default=1, ge=1, le=247, description="Modbus slave number of the UPS, 1 by default (§6)"
    )
    polling_rate: int = Field(
        default=2, ge=1, le=60, description="Polling Rate (s): delay between 2 pollings (§18.2)"
    )
    fast_lane_ms: int = Field(
        default=500,
        ge=0,
        le=10000,
        description=(
            "Fast lane (ms): between two pollings, read the UPS status and alarm words every N ms"
            " and publish a change at once; 0 = off, else 100 or more"
        ),
    )
    serial_timeout_ms: SerialTimeout = Field(
        default_factory=SerialTimeout, description="Serial Timeout (ms): additional answer time (§18.2)"
    )
    request_retries: int = Field(
        default=1, ge=0, le=5, description="Repeats of a request that got no valid answer"
    )
    failed_cycles_before_lost: int = Field(
        default=3, ge=1, le=20, description="Failed polling cycles before 'communication lost' is raised"
    )
    reconnect_delay: float = Field(
        default=1.0,
        ge=0.1,
        le=60.0,
        description="Seconds to wait before reopening the serial port after an error",
    )
    unit_select: int = Field(
        default=0,
        ge=0,
        le=15,
        description="SNMP Unit Select: 0 = system data, N = data of local unit N (§18.3; FR 'data unit select')",
    )

    @field_validator("fast_lane_ms")
    @classmethod
    def _fast_lane_off_or_sensible(cls, value: int) -> int:
        # Below 100 ms the fast lane would keep a 9600-baud wire busy most of the time.
        if 0 < value < 100:
            raise ValueError("must be 0 (off) or at least 100")
        return value


# -- §18.2 logs ----------------------------------------------------------------------------------


class LogSettings(Section):
    """History and extended history logs (EN §18.2, §21.1, §21.2)."""

    history_interval: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="History Log Interval (s): measurements recorded every N s (§18.2)",
    )
    extended_interval: int = Field(
        default=60,
        ge=1,
        le=1440,
        description="Extend Log Interval (mn): min/avg/max recorded every N minutes (§18.2)",
    )
    history_retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Days of history log kept (the card keeps 2048 records, §21.1)",
    )
    extended_retention_days: int = Field(
        default=1825,
        ge=1,
        le=3650,
        description="Days of extended log kept (the card keeps 2048 records, §21.2)",
    )
    event_retention_days: int = Field(
        default=1825,
        ge=1,
        le=3650,
        description="Days of UPS and NET VISION events kept (the card keeps 2048 records, §21.3, §21.4)",
    )


# -- §18.2/§18.3 web -----------------------------------------------------------------------------


class ExternalLink(Section):
    """One row of the External Links Setup table (EN §20)."""

    text: str = Field(default="", max_length=64, description="Screen Text shown in the External Links menu")
    address: str = Field(
        default="",
        max_length=255,
        pattern=r"^[^\s<>\"']*$",
        description="Link Address: IP address or URL without http:// (§20); only http:// and https:// links",
    )
    enabled: bool = Field(default=False, description="Status: Enabled or Disabled (§20)")

    @field_validator("address")
    @classmethod
    def _web_link(cls, value: str) -> str:
        if value and link_href(value) is None:
            raise ValueError("only http:// or https:// links (or an address without a scheme)")
        return value


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def link_href(address: str) -> str | None:
    """The URL an external link opens: ``address`` itself for an http(s) URL, ``http://``
    before an address without a scheme (§20), None for any other scheme (javascript:, data:...)."""
    if any(character.isspace() or ord(character) < 32 for character in address) or not address:
        return None
    match = _SCHEME.match(address)
    if match is None:
        return None if address.startswith("//") or "://" in address else f"http://{address}"
    rest = address[match.end() :]
    if match[1].lower() in ("http", "https"):
        return address if rest.startswith("//") and len(rest) > 2 else None
    if rest[:1].isdigit() and "://" not in address:  # host:port/path
        return f"http://{address}"
    return None


class WebSettings(Section):
    """Web server (EN §11.5, §18.2, §18.3)."""

    http_enabled: bool = Field(default=True, description="HTTP Port enabled (§18.3)")
    http_port: Port = Field(default=80, description="HTTP Port (§18.3)")
    https_enabled: bool = Field(default=True, description="HTTPs Port enabled (§18.3)")
    https_port: Port = Field(default=443, description="HTTPs Port (§18.3)")
    bind: BindAddress = Field(default="0.0.0.0", description="Address the web server listens on")
    redirect_http: bool = Field(
        default=True,
        description="While HTTPs is on, pages asked over HTTP are redirected to HTTPs (the REST API answers on both)",
    )
    login_timeout: int = Field(
        default=300,
        ge=60,
        le=86400,
        description="Login Timeout (s): an idle session is closed after N s (§18.2, §11.5)",
    )
    read_only_sessions: int = Field(
        default=4,
        ge=0,
        le=16,
        description=(
            "Read Only sessions open beside the single write session; when all are taken, a new "
            "Read Only login ends the one idle longest. 0 = one session at a time, whoever logs in (§11.5)"
        ),
    )
    monitoring_stays_logged_in: bool = Field(
        default=True,
        description=(
            "A Read Only session stays logged in while one of its pages is open (live updates); "
            "write sessions always close after the Login Timeout"
        ),
    )
    password_validity_days: int = Field(
        default=90,
        ge=1,
        le=720,
        description="First Login Reset (Day): password validity, up to 720 days (§18.2)",
    )
    mac_interface: str = Field(
        default="",
        max_length=15,
        pattern=r"^[^/\s]*$",
        description="Interface whose MAC is the card's (admin first password, §11.5); '' = first non-loopback",
    )
    external_links: list[ExternalLink] = Field(
        default_factory=list,
        max_length=4,
        description="External Links Setup: up to 4 links shown in the External Links menu (§20)",
    )


# -- §18.2/§18.3 SNMP ----------------------------------------------------------------------------


def _check_trap_numbers(value: list[int]) -> list[int]:
    if any(not 1 <= number <= 40 for number in value):
        raise ValueError("trap numbers are 1 to 40 (App. 'NET VISION 7 TRAP DESCRIPTION')")
    return sorted(set(value))


# The "By Event" selection of the trap receivers (§18.8) and of the mail recipients (§18.9).
TrapNumbers = Annotated[list[int], AfterValidator(_check_trap_numbers)]


class TrapReceiver(Section):
    """One row of the SNMP Trap Receivers table (EN §18.8)."""

    address: str = Field(default="", max_length=255, description="NMS IP address ('' = row not used)")
    port: Port = Field(default=162, description="UDP port of the trap receiver")
    community: Secret = Field(
        default="public",
        max_length=64,
        description="Community String; for a v3 trap, the USM user name (§18.8)",
    )
    trap_type: Literal["none", "rfc1628", "netvision"] = Field(
        default="netvision", description="Trap Type: None / RFC1628 / NET VISION TRAP (§18.8)"
    )
    version: Literal["v1", "v2c", "v3"] = Field(default="v1", description="Trap Version (§18.8)")
    event_filter: Literal["severity", "events"] = Field(
        default="severity", description="Event Filter: By Severity or By Event (§18.8)"
    )
    severity: Literal["information", "warning", "critical"] = Field(
        default="information",
        description="Information = every trap, Warning = warning and critical, Critical = critical only (§18.8)",
    )
    events: TrapNumbers = Field(
        default_factory=list, description="Trap numbers sent when filtering By Event (§18.8 'Event Select')"
    )


class UsmUser(Section):
    """One row of the SNMP v3 USM table (EN §18.7)."""

    name: str = Field(min_length=1, max_length=32, description="User Name: 1 to 32 octets (RFC 3414 usmUserName)")
    security_level: Literal["noAuthNoPriv", "authNoPriv", "authPriv"] = Field(
        default="authPriv", description="Security level (§18.7)"
    )
    auth_protocol: Literal["md5", "sha", "sha224", "sha256", "sha384", "sha512"] = Field(
        default="sha", description="Auth-Protocol: HMAC-MD5 or HMAC-SHA (§18.7), and the SHA-2 family"
    )
    auth_password: Secret = Field(default="", max_length=64, description="Auth-Password (8 characters at least)")
    priv_protocol: Literal["des", "aes", "aes192", "aes256"] = Field(
        default="aes",
        description="Priv-Protocol: DES or AES (§18.7); aes192/aes256 use the key extension of net-snmp's AES192/AES256",
    )
    priv_password: Secret = Field(default="", max_length=64, description="Priv-Password (8 characters at least)")
    write: bool = Field(default=False, description="The user may SET (controls and agent settings)")

    @field_validator("name")
    @classmethod
    def _admin_string(cls, value: str) -> str:
        # SnmpAdminString SIZE(1..32) counts UTF-8 octets, not characters (RFC 3411, RFC 3414).
        if len(value.encode("utf-8")) > 32:
            raise ValueError("a user name is 32 octets at most in UTF-8 (RFC 3414)")
        if any(not character.isprintable() for character in value):
            raise ValueError("a user name holds printable characters only")
        return value

    @model_validator(mode="after")
    def _passwords(self) -> UsmUser:
        # §18.7 note (1): these characters are refused in every password.
        for password in (self.auth_password, self.priv_password):
            if any(character in "()[]{}\\$%&/" for character in password):
                raise ValueError("()[]{}\\$%&/ are not allowed in passwords (§18.7)")
        if self.security_level != "noAuthNoPriv" and len(self.auth_password) < 8:
            raise ValueError("the auth password needs 8 characters at least (RFC 3414)")
        if self.security_level == "authPriv" and len(self.priv_password) < 8:
            raise ValueError("the priv password needs 8 characters at least (RFC 3414)")
        return self


class SnmpSettings(Section):
    """SNMP agent (EN §18.2, §18.3)."""

    enabled: bool = Field(default=True, description="SNMP Support (§18.3)")
    port: Port = Field(default=161, description="SNMP port, UDP (§18.3)")
    bind: BindAddress = Field(default="0.0.0.0", description="Address the SNMP agent listens on")
    v1: bool = Field(default=True, description="SNMP version v1 accepted (§18.3)")
    v2c: bool = Field(default=True, description="SNMP version v2c accepted (§18.3)")
    v3: bool = Field(
        default=True, description="SNMP version v3 accepted, users in the USM table (§18.3, §18.7)"
    )
    read_community: Secret = Field(
        default="public", min_length=1, max_length=64, description="SNMP read Community (§18.2)"
    )
    write_community: Secret = Field(
        default="",
        max_length=64,
        description="SNMP write Community (§18.2); '' = no write community: SNMP writes need a v3 user "
        "with write access, or a community the admin sets here",
    )
    trap_filter: bool = Field(
        default=False,
        description="SNMP TRAP / email Filter: no TRAP3/TRAP4 to receivers filtering by severity (§18.3, §18.8)",
    )
    usm_users: list[UsmUser] = Field(
        default_factory=list, max_length=16, description="SNMP v3 USM table (§18.7)"
    )
    trap_receivers: list[TrapReceiver] = Field(
        default_factory=list, max_length=8, description="SNMP Trap Receivers, up to 8 (§18.8)"
    )
    on_battery_trap_interval: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="TRAP1 is repeated every N s while on battery (App. traps: every minute)",
    )

    @model_validator(mode="after")
    def _one_version(self) -> SnmpSettings:
        if self.enabled and not (self.v1 or self.v2c or self.v3):
            raise ValueError("enabled but none of v1, v2c, v3 is accepted")
        return self


# -- §18.12 Modbus TCP ---------------------------------------------------------------------------


class ModbusTcpSettings(Section):
    """Modbus TCP server (EN §18.3 'Modbus Configuration', §18.12)."""

    enabled: bool = Field(
        default=False, description="Modbus TCP Configuration enabled (§18.12; off by default, §11.2.3)"
    )
    port: Port = Field(default=502, description="Modbus Port (§18.12)")
    bind: BindAddress = Field(default="0.0.0.0", description="Address the Modbus TCP server listens on")
    max_connections: int = Field(
        default=3,
        ge=1,
        le=16,
        description="Simultaneous connections (NET VISION allows 1, §18.12; the Modbus TCP card 3, MTC §4.1)",
    )
    idle_timeout: int = Field(
        default=60, ge=1, le=3600, description="A connection idle for N s is closed (§18.12: 1 minute)"
    )
    pass_through: bool = Field(
        default=False,
        description="Gateway mode: a read outside the cached tables is forwarded to the UPS (MTC §4.1, §16)",
    )
    pass_through_timeout_ms: int = Field(
        default=500,
        ge=50,
        le=5000,
        description="UPS answer time in gateway mode, ms; exception 0x0B after it (MTC §16)",
    )
    unit_id: int = Field(
        default=0,
        ge=0,
        le=255,
        description="MBAP unit identifier answered; 0 = any (a server addressed by IP ignores it); "
        "another identifier gets exception 0x0B",
    )


# -- FR §15.13 BACnet ----------------------------------------------------------------------------


class BacnetSettings(Section):
    """BACnet/IP device (FR §15.3 'Configuration BACnet', §15.13)."""

    enabled: bool = Field(default=False, description="BACnet Configuration enabled (FR §15.13; not for STS)")
    port: Port = Field(default=47808, description="BACnet Port, UDP (FR §15.13)")
    bind: BindAddress = Field(
        default="0.0.0.0",
        description="IPv4 address the BACnet/IP device listens on; 0.0.0.0 also receives broadcasts (Who-Is)",
    )
    device_id: int = Field(
        default=1883,
        ge=0,
        le=4194302,
        description="BACnet ID, the device object instance (FR §15.13; the stand-alone interface uses 1338)",
    )

    bbmd_peers: list[str] = Field(
        default_factory=list,
        max_length=32,
        description="IPv4 addresses of the BBMDs whose Forwarded-NPDU messages are accepted (Annex J); "
        "none by default: forwarded messages from anyone else are dropped",
    )

    @field_validator("bind")
    @classmethod
    def _ipv4(cls, value: str) -> str:
        # BACnet/IP (Annex J) is IPv4; BACnet/IPv6 (Annex U) is not offered.
        if ipaddress.ip_address(value).version != 4:
            raise ValueError("BACnet/IP needs an IPv4 address")
        return value

    @field_validator("bbmd_peers")
    @classmethod
    def _ipv4_peers(cls, value: list[str]) -> list[str]:
        for peer in value:
            try:
                if ipaddress.ip_address(peer).version != 4:
                    raise ValueError
            except ValueError:
                raise ValueError(f"{peer!r} is not an IPv4 address") from None
        return value


# -- §18.15 firewall (IP access control) ----------------------------------------------------------


class AccessRule(Section):
    """One row of the Firewall Configuration table (EN §18.15)."""

    address: BindAddress = Field(description="IP Address: an IPv4 or IPv6 address (host bits beyond the prefix are ignored)")
    prefix_length: int = Field(
        ge=0, le=128, description="Prefix Length: bits of the address that must match, 0-32 (IPv4) or 0-128 (IPv6)"
    )
    action: Literal["accept", "reject"] = Field(default="accept", description="Action: Accept or Reject (§18.15)")

    @model_validator(mode="after")
    def _prefix_fits(self) -> AccessRule:
        if ipaddress.ip_address(self.address).version == 4 and self.prefix_length > 32:
            raise ValueError("the prefix length of an IPv4 address is 0 to 32")
        return self


class AccessControlSettings(Section):
    """IP access control of every listener: web, SNMP, Modbus TCP, BACnet (EN §18.3 "Firewall Setup", §18.15)."""

    enabled: bool = Field(default=False, description="Firewall Setup: the rules apply when enabled (§18.3)")
    default_action: Literal["accept", "reject"] = Field(
        default="accept", description="Action for a client no rule matches"
    )
    rules: list[AccessRule] = Field(
        default_factory=list,
        max_length=32,
        description="Firewall Configuration: up to 32 rules, the first that matches the client decides (§18.15); "
        'e.g. [{address = "192.168.1.0", prefix_length = 24, action = "accept"}]',
    )


# -- §18.13 syslog -------------------------------------------------------------------------------

_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def _check_host(value: str) -> str:
    """An IP address or a DNS name; '' for "not set"."""
    if value == "":
        return value
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not _HOST_NAME.match(value):
        raise ValueError("not an IP address or a host name")
    return value


HostName = Annotated[str, AfterValidator(_check_host)]

SYSLOG_PORTS = {"udp": 514, "tcp": 514, "tls": 6514}


def _default_port(data: object, key: str, ports: dict[str, int]) -> object:
    """Settings data with the port that goes with ``data[key]``, when no port is given."""
    if isinstance(data, dict):
        choice = data.get(key)
        if isinstance(choice, str) and "port" not in data and choice in ports:
            return {**data, "port": ports[choice]}
    return data
SyslogGroup = Literal["ups", "netvision", "service"]
SYSLOG_GROUPS: tuple[SyslogGroup, ...] = ("ups", "netvision", "service")


class SyslogSettings(Section):
    """Syslog Setup (EN §18.13): UPS and NET VISION events to one syslog server, RFC 5424."""

    enabled: bool = Field(
        default=False, description="Server Control: Enabled or Disabled (§18.13; off by default)"
    )
    server: HostName = Field(
        default="", max_length=253, description="Server IP: address or name of the syslog server"
    )
    port: Port = Field(
        default=514, description="Server Port (§18.13: 514; 6514 is the port of syslog over TLS)"
    )
    transport: Literal["udp", "tcp", "tls"] = Field(
        default="udp",
        description="udp (RFC 5426), tcp with octet counting (RFC 6587) or tls (RFC 5425, TLS Control enabled)",
    )
    groups: list[SyslogGroup] = Field(
        default_factory=lambda: list(SYSLOG_GROUPS),
        description="Syslog filter: the groups of events sent, UPS + NET VISION + SERVICE (§18.13)",
    )
    facility: Literal["local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"] = Field(
        default="local0", description="Syslog facility of every message"
    )
    ca_file: str = Field(
        default="",
        max_length=4096,
        description="TLS: file of the CA certificate(s) (PEM) the server's certificate must chain to; "
        "'' = the system's certificate store",
    )
    client_certificate_file: str = Field(
        default="",
        max_length=4096,
        description="TLS: file of the gateway's client certificate (PEM), if the server asks for one",
    )
    client_key_file: str = Field(
        default="",
        max_length=4096,
        description="TLS: file of the private key of the client certificate (PEM)",
    )
    queue_size: int = Field(
        default=1000,
        ge=10,
        le=100000,
        description="Messages kept while the server is unreachable; beyond it the oldest are dropped and counted",
    )

    @model_validator(mode="before")
    @classmethod
    def _tls_port(cls, data: object) -> object:
        # The port follows the transport unless it is given: 6514 is syslog over TLS (RFC 5425).
        return _default_port(data, "transport", SYSLOG_PORTS)

    @field_validator("groups")
    @classmethod
    def _distinct_groups(cls, value: list[SyslogGroup]) -> list[SyslogGroup]:
        return [group for group in SYSLOG_GROUPS if group in value]

    @model_validator(mode="after")
    def _complete(self) -> SyslogSettings:
        if self.enabled and not self.server:
            raise ValueError("a syslog server address is needed to enable syslog")
        if bool(self.client_certificate_file) != bool(self.client_key_file):
            raise ValueError("a client certificate needs its private key, and a key its certificate")
        return self


# -- §18.9 e-mail --------------------------------------------------------------------------------

MAIL_PORTS = {"none": 25, "starttls": 587, "tls": 465}
_MAIL_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_HH_MM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# §18.9 note (1): these characters are refused in every password.
_PASSWORD_FORBIDDEN = "()[]{}\\$%&/"


def _check_hh_mm(value: str) -> str:
    if not _HH_MM.match(value):
        raise ValueError("expected hh:mm, 00:00 to 23:59")
    return value


HhMm = Annotated[str, AfterValidator(_check_hh_mm)]


def _check_mail_address(value: str) -> str:
    """``name@domain``; '' for "not set"."""
    if value and not _MAIL_ADDRESS.match(value):
        raise ValueError("not an e-mail address (name@domain)")
    return value


MailAddress = Annotated[str, AfterValidator(_check_mail_address)]


class MailRecipient(Section):
    """One row of the Email Notification recipients table (EN §18.9)."""

    address: MailAddress = Field(
        default="", max_length=64, description="Mail account: the recipient's address ('' = row not used)"
    )
    description: str = Field(default="", max_length=64, description="Description of the recipient")
    mail_type: Literal["none", "events", "daily_status", "events_and_status"] = Field(
        default="none",
        description="Mail Type: None / Events / Daily Status (history log attached) / "
        "Events/Status (event mails with the history log attached) (§18.9)",
    )
    event_filter: Literal["severity", "events"] = Field(
        default="severity", description="Event Filter: By Severity or By Event, as the trap receivers (§18.9)"
    )
    severity: Literal["information", "warning", "critical"] = Field(
        default="information",
        description="Information = every event, Warning = warning and critical, Critical = critical only (§18.9)",
    )
    events: TrapNumbers = Field(
        default_factory=list,
        description="Trap numbers whose events are mailed when filtering By Event (§18.9 refers to the trap list)",
    )


class MailSettings(Section):
    """Email notification (EN §18.3 "SMTP", §18.9): events and a daily status to up to 8 recipients."""

    enabled: bool = Field(default=False, description="SMTP enabled (§18.3; off by default)")
    server: HostName = Field(
        default="", max_length=253, description="Mail Server: IP address or server full name (§18.9)"
    )
    port: Port = Field(
        default=25, description="SMTP port: 25, 587 (submission with STARTTLS) or 465 (implicit TLS)"
    )
    security: Literal["none", "starttls", "tls"] = Field(
        default="none",
        description="Mail support TLS: none, STARTTLS (e.g. smtp.gmail.com:587) or implicit TLS (port 465)",
    )
    ca_file: str = Field(
        default="",
        max_length=4096,
        description="File of the CA certificate(s) (PEM) the server's certificate must chain to; "
        "'' = the system's certificate store",
    )
    authentication: bool = Field(
        default=False, description="Mail support authentication: log in with the user account (§18.9)"
    )
    account: str = Field(default="", max_length=64, description="User Account, needed with authentication")
    password: Secret = Field(
        default="",
        max_length=64,
        description="User Password, needed with authentication (e.g. an app password)",
    )
    sender: MailAddress = Field(default="", max_length=64, description="Sender email Address: name@domain")
    subject_prefix: str = Field(default="", max_length=64, description="Mail Subject Prefix: free text")
    daily_status_time: HhMm = Field(
        default="00:00", description="Mail Daily Status Report at (hh:mm), in the configured time zone"
    )
    delay_minutes: int = Field(
        default=0,
        ge=0,
        le=60,
        description="Delay before sending (minute): an event is mailed only if still present after it",
    )
    max_queue_age_hours: int = Field(
        default=24,
        ge=1,
        le=168,
        description="Mails not delivered after this many hours (server unreachable) are dropped with an event",
    )
    recipients: list[MailRecipient] = Field(
        default_factory=list, max_length=8, description="Recipients, up to 8 (§18.9)"
    )

    @model_validator(mode="before")
    @classmethod
    def _security_port(cls, data: object) -> object:
        # The port follows the security unless it is given.
        return _default_port(data, "security", MAIL_PORTS)

    @field_validator("password")
    @classmethod
    def _password_characters(cls, value: str) -> str:
        if any(character in _PASSWORD_FORBIDDEN for character in value):
            raise ValueError("()[]{}\\$%&/ are not allowed in passwords (§18.9)")
        return value

    @model_validator(mode="after")
    def _complete(self) -> MailSettings:
        if self.enabled and not self.server:
            raise ValueError("a mail server is needed to enable e-mail")
        if self.enabled and not self.sender:
            raise ValueError("a sender address is needed to enable e-mail")
        if self.authentication and not self.account:
            raise ValueError("authentication needs a user account")
        return self


# -- §18.11 Wake-on-LAN --------------------------------------------------------------------------

_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")


def _check_mac(value: str) -> str:
    if not _MAC.match(value):
        raise ValueError("not a MAC address (six hexadecimal bytes: 00:11:22:33:44:55)")
    digits = re.sub(r"[:-]", "", value).lower()
    return ":".join(digits[index : index + 2] for index in range(0, 12, 2))


MacAddress = Annotated[str, AfterValidator(_check_mac)]


class WakeOnLanTarget(Section):
    """One row of the Wake On LAN Targets table (EN §18.11)."""

    mac: MacAddress = Field(description="Mac Address of the server to wake")
    enabled: bool = Field(default=True, description="Control: Enabled or Disabled (§18.11)")
    description: str = Field(default="", max_length=64, description="Description of the server")


class WakeOnLanSettings(Section):
    """Wake On LAN (EN §18.3 "WOL Target", §18.11): servers shut down after an AC failure are
    woken when the gateway starts again."""

    enabled: bool = Field(default=False, description="WOL Target enabled (§18.3; off by default)")
    targets: list[WakeOnLanTarget] = Field(
        default_factory=list,
        max_length=32,
        description='Up to 32 servers (§18.11); e.g. [{mac = "00:11:22:33:44:55", description = "file server"}]',
    )
    repeat: int = Field(
        default=1, ge=1, le=10, description="Repeating Times: packets sent to each server (§18.11)"
    )
    interval: int = Field(
        default=1, ge=1, le=60, description="Interval Timer (s) between two repeats (§18.11)"
    )
    address: BindAddress = Field(
        default="255.255.255.255",
        description="Address the magic packets are sent to (the IPv4 broadcast by default)",
    )
    port: Port = Field(default=9, description="UDP port of the magic packets (9, discard)")

    @field_validator("address")
    @classmethod
    def _ipv4(cls, value: str) -> str:
        if ipaddress.ip_address(value).version != 4:
            raise ValueError("Wake-on-LAN packets go to an IPv4 address")
        return value


# -- §16.5, §16.6, §16.8 shutdown management ---------------------------------------------------

# In the manual's order (§16.8 "Shutdown event selection"): the rows of the page and of
# upsControlShutdownParametersTable.
ShutdownEventName = Literal[
    "ac_failed",
    "battery_low",
    "battery_level",
    "imminent_stop",
    "overload",
    "temperature_alarm",
    "on_bypass",
    "weekly_schedule",
    "special_day",
]
SHUTDOWN_EVENTS: tuple[ShutdownEventName, ...] = get_args(ShutdownEventName)
# What a row holds when the settings file does not say: servers are shut down after five
# minutes on battery, and at once when the battery is low or the UPS is about to stop.
SHUTDOWN_EVENT_DEFAULTS: dict[str, dict[str, object]] = {
    "ac_failed": {"enabled": True, "warning_period": 5, "first_warning": 10, "warning_interval": 60},
    "battery_low": {"enabled": True, "warning_period": 0, "first_warning": 0, "warning_interval": 30},
    "imminent_stop": {"enabled": True, "warning_period": 0, "first_warning": 0, "warning_interval": 30},
}

WeekDay = Literal["disabled", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEK_DAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_date(value: str) -> str:
    """``yyyy-mm-dd`` (the pages show and take dd/mm/yyyy); '' = not set."""
    if value == "":
        return value
    import datetime as _datetime

    try:
        if not _ISO_DATE.match(value):
            raise ValueError
        _datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date (yyyy-mm-dd)") from None
    return value


IsoDate = Annotated[str, AfterValidator(_check_date)]


class ShutdownEventSettings(Section):
    """One row of the shutdown event table (EN §16.8): what one event does to the servers."""

    event: ShutdownEventName = Field(description="Shutdown Event (§16.8 'Shutdown event selection')")
    enabled: bool = Field(default=False, description="Shutdown Actions: Enabled or Disabled (§16.8)")
    warning_period: int = Field(
        default=5,
        ge=0,
        le=999,
        description="Warning Period (min): delay before the shutdown command is sent; 0 = at once (§16.8)",
    )
    first_warning: int = Field(
        default=10, ge=0, le=3600, description="1st Warning (s): delay before the first warning (§16.8)"
    )
    warning_interval: int = Field(
        default=60, ge=0, le=3600, description="Warning Interval (s) between two warnings; 0 = one warning (§16.8)"
    )


class WeeklyScheduleRow(Section):
    """One row of the weekly shutdown schedule (EN §16.5)."""

    shutdown_day: WeekDay = Field(default="disabled", description="SHUTDOWN period: day ('disabled' = row not used)")
    shutdown_time: HhMm = Field(default="00:00", description="SHUTDOWN period: hh:mm")
    restart_day: WeekDay = Field(default="disabled", description="RESTART period: day")
    restart_time: HhMm = Field(default="00:00", description="RESTART period: hh:mm")


class SpecialDayRow(Section):
    """One row of the special day shutdown schedule (EN §16.6)."""

    shutdown_date: IsoDate = Field(default="", description="SHUTDOWN period: date ('' = row not used)")
    shutdown_time: HhMm = Field(default="00:00", description="SHUTDOWN period: hh:mm")
    restart_date: IsoDate = Field(default="", description="RESTART period: date")
    restart_time: HhMm = Field(default="00:00", description="RESTART period: hh:mm")

    @model_validator(mode="after")
    def _restart_after_shutdown(self) -> SpecialDayRow:
        if self.shutdown_date and not self.restart_date:
            raise ValueError("a special day needs its restart date")
        if self.shutdown_date and (self.restart_date, self.restart_time) <= (self.shutdown_date, self.shutdown_time):
            raise ValueError("the restart must come after the shutdown")
        return self


def _default_shutdown_events() -> list[ShutdownEventSettings]:
    return [
        ShutdownEventSettings(event=name, **SHUTDOWN_EVENT_DEFAULTS.get(name, {}))  # type: ignore[arg-type]
        for name in SHUTDOWN_EVENTS
    ]


class ShutdownSettings(Section):
    """Shutdown management (EN §16.5, §16.6, §16.8): when the protected servers are told to shut
    down, and whether the UPS output is switched off after them."""

    enabled: bool = Field(
        default=True, description="Shutdown of the protected servers (NET VISION Control, FR §15.3)"
    )
    ups_shut_off: bool = Field(
        default=False,
        description="UPS Shut Off: switch the UPS output off after the servers (only if the UPS manages it, §16.8)",
    )
    ups_shut_off_delay: int = Field(
        default=180,
        ge=0,
        le=32767,
        description="UPS Shut Off Delay (s) after the shutdown command; must exceed the servers' own "
        "shutdown time (§16.8)",
    )
    shut_off_after_logout: int = Field(
        default=30,
        ge=0,
        le=3600,
        description="Seconds the UPS output is kept on once every client has logged out (each host's "
        "last steps of its shutdown), when that comes before the shut-off delay",
    )
    ups_on_delay: int = Field(
        default=1, ge=0, le=9999, description="UPS On Delay (min) after the mains returns; 0 = no restart (§16.8)"
    )
    battery_level: int = Field(
        default=30, ge=0, le=100, description="Level of battery capacity (%) of the 'Battery Level' event (§16.8)"
    )
    events: list[ShutdownEventSettings] = Field(
        default_factory=_default_shutdown_events, description="Shutdown events, one row per event in the manual's order (§16.8)"
    )
    weekly_schedule: list[WeeklyScheduleRow] = Field(
        default_factory=list, max_length=8, description="Weekly Schedule, up to 8 rows (§16.5)"
    )
    special_days: list[SpecialDayRow] = Field(
        default_factory=list, max_length=8, description="Special Schedule, up to 8 rows (§16.6)"
    )

    @field_validator("events", mode="before")
    @classmethod
    def _every_event_once(cls, value: object) -> object:
        # Every event has its row, in the manual's order; a file may list only those it changes.
        if not isinstance(value, list):
            return value
        given: dict[str, object] = {}
        for row in value:
            name = row.event if isinstance(row, ShutdownEventSettings) else row.get("event") if isinstance(row, dict) else None
            if not isinstance(name, str):
                return value  # let the row's own validation say what is wrong
            if name in given:
                raise ValueError(f"the event {name!r} has two rows")
            given[name] = row
        rows: list[object] = []
        for name in SHUTDOWN_EVENTS:
            rows.append(given.pop(name, {"event": name, **SHUTDOWN_EVENT_DEFAULTS.get(name, {})}))
        rows.extend(given.values())  # unknown names: refused by the row's validation
        return rows

    def event(self, name: str) -> ShutdownEventSettings:
        for row in self.events:
            if row.event == name:
                return row
        raise KeyError(name)


# -- NUT-compatible server (RFC 9271) ------------------------------------------------------------

_NUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


def _check_nut_name(value: str) -> str:
    if not _NUT_NAME.match(value):
        raise ValueError("1 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit")
    return value


NutName = Annotated[str, AfterValidator(_check_nut_name)]


# A password in clear is hashed as it is validated, so the settings file, a backup and every
# API only ever hold the hash; a hash passes through unchanged and '' stays ''.
HashedSecret = Annotated[Secret, AfterValidator(hashed)]


class NutUser(Section):
    """A user of the NUT-compatible server: what a NUT client (upsmon, a NAS) logs in with."""

    name: NutName = Field(description="User name, as in the client's MONITOR line or NAS page")
    password: HashedSecret = Field(
        default="",
        max_length=128,
        description="Password (kept as a salted hash; '' = the user cannot log in)",
    )
    rights: Literal["monitor", "instcmd", "set"] = Field(
        default="monitor",
        description="monitor: log in and follow the UPS (a shutdown client); instcmd: also instant "
        "commands and forced shutdown; set: also change writable variables",
    )


class NutSettings(Section):
    """The NUT-compatible server (RFC 9271): every NUT client is a shutdown client of the gateway."""

    # Off until the admin turns it on: a shutdown client needs a NUT user anyway, and nothing
    # should answer on 3493 before someone decided it would.
    enabled: bool = Field(default=False, description="NUT server enabled (NET VISION Control; off by default)")
    port: Port = Field(default=3493, description="NUT server port, TCP (3493, RFC 9271)")
    bind: BindAddress = Field(default="0.0.0.0", description="Address the NUT server listens on")
    ups_name: NutName = Field(
        default="ups", description="Name of the UPS for NUT clients (Synology DSM asks for 'ups')"
    )
    aliases: list[NutName] = Field(
        default_factory=list, max_length=4, description="Other names the same UPS answers to"
    )
    starttls: bool = Field(
        default=True, description="Offer STARTTLS with the gateway's certificate (the web server's)"
    )
    require_tls: bool = Field(
        default=False,
        description="Answer only STARTTLS, VER, NETVER, HELP and LOGOUT before STARTTLS (no password or UPS "
        "data in clear)",
    )
    max_clients: int = Field(
        default=300, ge=1, le=1000, description="Connections served at once; more are refused"
    )
    users: list[NutUser] = Field(default_factory=list, max_length=32, description="NUT users, up to 32")

    @model_validator(mode="after")
    def _distinct_names(self) -> NutSettings:
        names = [self.ups_name.lower(), *(alias.lower() for alias in self.aliases)]
        if len(set(names)) != len(names):
            raise ValueError("the UPS name and its aliases must differ")
        users = [user.name for user in self.users]
        if len(set(users)) != len(users):
            raise ValueError("two NUT users have the same name")
        return self


# -- root ----------------------------------------------------------------------------------------


def _overlap(a: str, b: str) -> bool:
    """True when two listening addresses can clash on the same port."""
    if a == b or "::" in (a, b):  # "::" is dual-stack on Linux by default
        return True
    version_a = ipaddress.ip_address(a).version
    version_b = ipaddress.ip_address(b).version
    return version_a == version_b and (a in _WILDCARDS or b in _WILDCARDS)


class Settings(BaseModel):
    """All netvision settings; one TOML file, one table per section."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    data_dir: str = Field(
        default="/var/lib/netvision", min_length=1, description="Directory of the logs database and TLS files"
    )
    system: SystemSettings = Field(
        default_factory=SystemSettings, description="Identity, units and clock (§18.1, §18.2)"
    )
    serial: SerialSettings = Field(
        default_factory=SerialSettings, description="Serial link to the UPS (§18.2, §18.3)"
    )
    logs: LogSettings = Field(default_factory=LogSettings, description="History logs (§18.2, §21)")
    web: WebSettings = Field(default_factory=WebSettings, description="Web server (§18.2, §18.3)")
    snmp: SnmpSettings = Field(default_factory=SnmpSettings, description="SNMP agent (§18.2, §18.3)")
    modbus_tcp: ModbusTcpSettings = Field(
        default_factory=ModbusTcpSettings, description="Modbus TCP server (§18.12)"
    )
    bacnet: BacnetSettings = Field(default_factory=BacnetSettings, description="BACnet/IP (FR §15.13)")
    access_control: AccessControlSettings = Field(
        default_factory=AccessControlSettings, description="IP access control, the firewall (§18.3, §18.15)"
    )
    syslog: SyslogSettings = Field(default_factory=SyslogSettings, description="Syslog (§18.13)")
    wake_on_lan: WakeOnLanSettings = Field(
        default_factory=WakeOnLanSettings, description="Wake-on-LAN targets (§18.11)"
    )
    mail: MailSettings = Field(default_factory=MailSettings, description="E-mail notification (§18.9)")
    shutdown: ShutdownSettings = Field(
        default_factory=ShutdownSettings,
        description="Shutdown management and schedules (§16.5, §16.6, §16.8)",
    )
    nut: NutSettings = Field(default_factory=NutSettings, description="NUT-compatible server (RFC 9271)")

    def listeners(self) -> list[tuple[str, str, str, int]]:
        """Enabled listening sockets as (dotted key, protocol, address, port).

        A section added later whose service listens (e.g. the NUT server) adds its socket here,
        so the port clash check covers it.
        """
        sockets = [
            ("web.http_port", "tcp", self.web.bind, self.web.http_port, self.web.http_enabled),
            ("web.https_port", "tcp", self.web.bind, self.web.https_port, self.web.https_enabled),
            ("modbus_tcp.port", "tcp", self.modbus_tcp.bind, self.modbus_tcp.port, self.modbus_tcp.enabled),
            ("snmp.port", "udp", self.snmp.bind, self.snmp.port, self.snmp.enabled),
            ("bacnet.port", "udp", self.bacnet.bind, self.bacnet.port, self.bacnet.enabled),
            ("nut.port", "tcp", self.nut.bind, self.nut.port, self.nut.enabled),
        ]
        return [(key, proto, addr, port) for key, proto, addr, port, on in sockets if on]

    @model_validator(mode="after")
    def _distinct_ports(self) -> Settings:
        # Two services on one port would make the daemon fail at start; say so at load time.
        seen: list[tuple[str, str, str, int]] = []
        for key, proto, addr, port in self.listeners():
            for other_key, other_proto, other_addr, other_port in seen:
                if proto == other_proto and port == other_port and _overlap(addr, other_addr):
                    raise ValueError(f"{key}: {proto} port {port} is already used by {other_key}")
            seen.append((key, proto, addr, port))
        return self
