"""The one catalogue of events: id, English and French text, severity, the
NET VISION trap it maps to, and whether it may start a shutdown.

SNMP traps, mails, syslog lines and both event logs all come from here.
Texts may hold ``{placeholders}`` filled from the event's data.

Logs (``EventType.log``):

- ``"ups"``: the UPS events log (§21.3; FR §18.3, §18.4 for a STS);
- ``"netvision"``: the NET VISION events log (§21.4; FR §18.5);
- ``"traps"``: not written to any log. These are the trap triggers the maps
  express on bits (App. "NET VISION 7 TRAP DESCRIPTION", ``trap_conditions``),
  raised so that the SNMP and mail services only translate events; the UPS
  events log already holds the alarm behind each of them.

Severities follow the trap appendix where it gives one; the NET VISION events
of §21.4 have none in the manual (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from ..ups.controls import CONTROL_LABELS
from .bus import Event, Severity

I, W, C = Severity.INFORMATION, Severity.WARNING, Severity.CRITICAL  # noqa: E741

LOGS = ("ups", "netvision")


@dataclass(frozen=True)
class EventType:
    id: str
    log: str  # "ups" | "netvision" | "traps"
    severity: Severity
    text_en: str
    text_fr: str
    trap: int | None = None
    shutdown: bool = False


def _nv(
    event_id: str, severity: Severity, en: str, fr: str, trap: int | None = None, shutdown: bool = False
) -> EventType:
    return EventType(f"nv.{event_id}", "netvision", severity, en, fr, trap, shutdown)


def _ups(event_id: str, severity: Severity, en: str, fr: str, trap: int | None = None) -> EventType:
    return EventType(f"ups.{event_id}", "ups", severity, en, fr, trap)


def _trap(
    event_id: str, severity: Severity, trap: int, en: str, fr: str, shutdown: bool = False
) -> EventType:
    return EventType(f"trap.{event_id}", "traps", severity, en, fr, trap, shutdown)


# UPS status events of §21.3 raised when the derived UPS status (§12.1.5) becomes
# the key's value: derived-status key -> (severity, English, French).
STATUS_EVENTS: Mapping[str, tuple[Severity, str, str]] = MappingProxyType(
    {
        "maintenance_bypass": (W, "On maintenance bypass", "Sur bypass de maintenance"),
        "auto_test": (I, "Auto-test in progress", "Auto-test en cours"),
        "battery_test": (I, "Battery test in progress", "Test batterie en cours"),
        "load_on_inverter": (
            I,
            "Load protected by Inverter",
            "Charges utilisatrices protégées par l'onduleur",
        ),
        "normal_mode": (I, "Normal mode", "Mode normal"),
        "eco_mode": (I, "UPS in eco mode", "ASI en mode Éco"),
        "line_interactive": (I, "Line-Interactive mode", "Mode Line-Interactive"),
        "load_on_bypass": (W, "Load on bypass", "Utilisation sur by-pass"),
        "unit_available": (I, "Unit Available", "Unité disponible"),
        "standby": (W, "On standby", "En veille"),
        "load_off": (C, "Load off", "Utilisation non alimentée"),
    }
)

# Trap triggers of the maps' ``trap_conditions``: trap number -> (id, severity,
# may start a shutdown (§16.8 "Shutdown event selection"), English, French).
TRAP_EVENTS: Mapping[int, tuple[str, Severity, bool, str, str]] = MappingProxyType(
    {
        # Trap 1: the appendix says Critical, the §18.8 filter list Warning (INVENTORY (a) #7).
        1: ("on_battery", W, True, "The UPS is operating on battery power", "L'ASI fonctionne sur batterie"),
        5: (
            "imminent_stop",
            C,
            True,
            "The UPS is about to switch off the output power",
            "Arrêt imminent de l'ASI",
        ),
        6: ("overload", W, True, "The UPS output is in overload", "Sortie de l'ASI en surcharge"),
        7: ("redundancy_lost", W, False, "Redundancy is lost", "Perte de redondance"),
        8: (
            "battery_circuit_open",
            C,
            False,
            "The battery has been disconnected from the UPS",
            "Batterie déconnectée de l'ASI",
        ),
        9: (
            "battery_discharged",
            C,
            True,
            "The battery has been detected as discharged",
            "Batterie déchargée",
        ),
        10: (
            "battery_low",
            C,
            True,
            "The battery is near of the end of backup time",
            "Batterie proche de la fin d'autonomie",
        ),
        11: ("battery_alarm", W, False, "The battery is in alarm", "Alarme batterie"),
        12: (
            "critical_alarm",
            C,
            False,
            "A critical alarm has been detected on the UPS",
            "Alarme critique détectée sur l'ASI",
        ),
        13: (
            "load_off",
            C,
            False,
            "The load has been disconnected from the UPS",
            "Charge non alimentée par l'ASI",
        ),
        15: (
            "on_battery_power",
            W,
            True,
            "The UPS has switched to battery backup power",
            "L'ASI est passée sur batterie",
        ),
        16: (
            "battery_test_failed",
            W,
            False,
            "The battery test has detected a weak battery",
            "Le test batterie a détecté une batterie faible",
        ),
        17: (
            "temperature_alarm",
            W,
            True,
            "The UPS internal temperature has reached the threshold",
            "Seuil de température interne de l'ASI atteint",
        ),
        18: (
            "on_bypass",
            W,
            True,
            "Load supplied by automatic Bypass",
            "Charge alimentée par le by-pass automatique",
        ),
        19: (
            "preventive_alarm",
            W,
            False,
            "A preventive alarm has been detected by the UPS",
            "Alarme préventive détectée par l'ASI",
        ),
        22: (
            "ups_normal",
            I,
            False,
            "The UPS status is normal. Load protected by UPS",
            "État normal de l'ASI. Charge protégée par l'ASI",
        ),
        23: (
            "power_restored",
            I,
            False,
            "The Input supply has been restored",
            "Alimentation d'entrée rétablie",
        ),
        24: (
            "alarm_cancelled",
            I,
            False,
            "Alarm cancelled. All alarms are disabled",
            "Alarmes annulées. Plus aucune alarme",
        ),
    }
)

# A STATYS's trap triggers (FR annex "Description des TRAP du STS", numbered 1–8 in
# the annex order as maps/sts.py): number -> (id, severity, may start a shutdown,
# English, French). Their ``trap`` is the STS list's number, not the NET VISION one.
STS_TRAP_EVENTS: Mapping[int, tuple[str, Severity, bool, str, str]] = MappingProxyType(
    {
        1: ("sts_imminent_stop", C, True, "The STS is about to switch off the output", "Arrêt imminent du STS"),
        2: ("sts_overload", C, True, "The STS output is in overload", "Sortie du STS en surcharge"),
        3: (
            "sts_switch_on_preferred_source",
            I,
            False,
            "Load switched on the preferred source",
            "Charge transférée sur la source prioritaire",
        ),
        4: (
            "sts_switch_on_alternate_source",
            W,
            False,
            "Load switched on the alternate source",
            "Charge transférée sur la source alternative",
        ),
        5: (
            "sts_source1_preferred_source",
            I,
            False,
            "Source 1 is the preferred source",
            "La source 1 est la source prioritaire",
        ),
        6: ("sts_output_load_off", C, False, "The load is not supplied", "Charge non alimentée"),
        7: ("sts_general_alarm", W, False, "General alarm on the STS", "Alarme générale du STS"),
        8: ("sts_alarm_cancelled", I, False, "Alarm cancelled", "Alarme annulée"),
    }
)

_TYPES: tuple[EventType, ...] = (
    # ---------------------------------------------------------------- NET VISION events (§21.4)
    _nv("cold_boot", I, "Cold boot", "Démarrage à froid"),
    _nv("warm_boot", I, "Warm boot", "Démarrage à chaud"),
    _nv("network_link_up", I, "Network link up", "Connexion Ethernet"),
    _nv("network_link_down", W, "Network link down", "Déconnexion Ethernet"),
    _nv("agent_restart", I, "NET VISION UPS Agent Restart", "Redémarrage Agent ASI NET VISION", trap=27),
    _nv(
        "parameters_reset",
        I,
        "NET VISION UPS Agent Parameters reset to default",
        "Rétablissement des paramètres Agent ASI NET VISION",
    ),
    _nv(
        "parameters_checksum_error",
        W,
        "Parameters checksum error",
        "Erreur checksum (somme de contrôle) des paramètres",
    ),
    _nv(
        "firmware_upgrade",
        I,
        "NET VISION UPS Agent Firmware upgrade",
        "Mise à niveau firmware Agent ASI NET VISION",
    ),
    _nv("history_log_cleared", I, "History log cleared", "Historique effacé"),
    _nv("extended_log_cleared", I, "Extended history log cleared", "Historique étendu effacé"),
    _nv("ups_event_log_cleared", I, "UPS event log cleared", "Journal d'événements ASI effacé"),
    _nv(
        "netvision_event_log_cleared",
        I,
        "NET VISION UPS Agent event log cleared",
        "Journal d'événements Agent ASI NET VISION effacé",
    ),
    _nv(
        "history_interval_changed",
        I,
        "History log interval changed",
        "Intervalle d'enregistrement de l'historique modifié",
    ),
    _nv(
        "extended_interval_changed",
        I,
        "Extended history log interval changed",
        "Intervalle d'enregistrement de l'historique étendu modifié",
    ),
    _nv(
        "shutdown_warning_sent",
        W,
        "Send shutdown warning to clients: {event_en}, shutdown in {seconds} s",
        "Notification de mise à l'arrêt envoyée aux clients : {event_fr}, arrêt dans {seconds} s",
        trap=20,
    ),
    _nv(
        "shutdown_request_sent",
        W,
        "Send shutdown request to clients: {event_en}",
        "Demande de mise à l'arrêt envoyée aux clients : {event_fr}",
        trap=21,
    ),
    _nv(
        "ups_shutdown_command_sent",
        W,
        "Send UPS shutdown command to UPS: {event_en}",
        "Commande de mise à l'arrêt de l'ASI envoyée à l'ASI : {event_fr}",
    ),
    _nv(
        "shutdown_cancel_sent",
        I,
        "Send shutdown cancel to clients: {event_en}",
        "Annulation procédure de mise à l'arrêt envoyée aux clients : {event_fr}",
        trap=26,
    ),
    _nv(
        "ups_output_on_sent",
        I,
        "Send UPS output on command to UPS: {event_en}",
        "Commande d'activation sortie ASI envoyée à l'ASI : {event_fr}",
    ),
    _nv("communication_lost", C, "UPS communication lost", "Perte de Communication", trap=14, shutdown=True),
    _nv("communication_restored", I, "UPS communication restored", "Communication rétablie", trap=25),
    # Modbus TCP sessions ("TCP session x opened/closed", MODBUS TCP card §13.7.1)
    _nv(
        "modbus_tcp_session_opened",
        I,
        "Modbus TCP session {session} opened by {client}",
        "Session Modbus TCP {session} ouverte par {client}",
    ),
    _nv(
        "modbus_tcp_session_closed",
        I,
        "Modbus TCP session {session} with {client} closed: {reason}",
        "Session Modbus TCP {session} avec {client} fermée : {reason_fr}",
    ),
    _nv(
        "modbus_tcp_session_refused",
        W,
        "{count} Modbus TCP connection(s) from {client} refused: {limit} session(s) already open",
        "{count} connexion(s) Modbus TCP de {client} refusée(s) : {limit} session(s) déjà ouverte(s)",
    ),
    # NUT-compatible server (RFC 9271): the shutdown clients arriving and leaving, refusals
    # and failed logins at most once per source and minute, with the count.
    _nv(
        "nut_client_logged_in",
        I,
        "NUT client {user} logged in from {client} to UPS {ups}",
        "Client NUT {user} connecté depuis {client} à l'ASI {ups}",
    ),
    _nv(
        "nut_client_logged_out",
        I,
        "NUT client {user} at {client} left UPS {ups}: {reason}",
        "Client NUT {user} de {client} déconnecté de l'ASI {ups} : {reason_fr}",
    ),
    _nv(
        "nut_fsd_set",
        W,
        "NUT client {user} at {client} set forced shutdown (FSD) on UPS {ups}",
        "Client NUT {user} de {client} a demandé l'arrêt forcé (FSD) de l'ASI {ups}",
    ),
    _nv(
        "nut_login_failed",
        W,
        "{count} failed NUT login(s) from {client} (last user name tried: {user})",
        "{count} échec(s) de connexion NUT depuis {client} (dernier nom essayé : {user})",
    ),
    _nv(
        "nut_connection_refused",
        W,
        "{count} NUT connection(s) from {client} refused: {limit} client(s) already connected",
        "{count} connexion(s) NUT de {client} refusée(s) : {limit} client(s) déjà connecté(s)",
    ),
    # IP access control (§18.15): at most one event per source and minute, with the count.
    _nv(
        "access_denied",
        W,
        "{protocol} access from {client} rejected by the firewall: {count} attempt(s)",
        "Accès {protocol} depuis {client} rejeté par le pare-feu : {count} tentative(s)",
    ),
    _nv(
        "time_changed_by_user", I, "{source} Time changed by user", "{source} Heure modifiée par utilisateur"
    ),
    _nv(
        "time_changed_by_server", I, "{source} Time changed by server", "{source} Heure modifiée par serveur"
    ),
    _nv("time_changed_by_rtc", I, "{source} Time changed by RTC", "{source} Heure modifiée par RTC"),
    _nv(
        "mail_cannot_connect",
        W,
        "Cannot connect to mail server",
        "Impossible de se connecter au serveur mail",
    ),
    _nv("mail_incorrect_receiver", W, "Incorrect Mail receiver", "Destinataire mail incorrect"),
    _nv(
        "mail_incorrect_server",
        W,
        "Incorrect Mail server name/IP address",
        "Nom de serveur mail/adresse IP incorrect(e)",
    ),
    _nv("mail_send_error", W, "Mail send error/unknown error", "Erreur d'envoi email/erreur inconnue"),
    _nv("mail_send_error_detail", W, "Mail send error:{error}", "Erreur d'envoi e-mail : {error}"),
    _nv("mail_sent", I, "Mail sent", "Mail envoyé"),
    _nv("mail_test", I, "Mail send test", "Test envoi e-mail"),
    # Mails the server did not take within the configured age are dropped from the queue.
    _nv(
        "mail_dropped",
        W,
        "{count} mail(s) not delivered in {hours} h dropped",
        "{count} e-mail(s) non remis en {hours} h supprimé(s)",
    ),
    _nv("wol_sent", I, "Wake On LAN packet sent to clients", "Wake On LAN requête envoyée aux clients"),
    # The syslog queue is full (the server is away or slower than the events): the oldest
    # messages are dropped; at most one event a minute, with the total so far.
    _nv(
        "syslog_dropped",
        W,
        "Syslog server {server} unreachable: {count} message(s) dropped",
        "Serveur Syslog {server} injoignable : {count} message(s) perdu(s)",
    ),
    _nv(
        "radius_failed",
        W,
        "All RADIUS servers invalid or connection failed",
        "Invalidité de tous les serveurs RADIUS ou échec de connexion",
    ),
    _nv("setting_changed", I, "{key} has been changed via {via} by {by}", "{key} modifié via {via} par {by}"),
    # Web logins (§11.5; the manual lists no login events: security by default logs them).
    _nv("web_login", I, "{user} logged in from {ip}", "{user} connecté depuis {ip}"),
    _nv(
        "web_login_failed", W, "Login failed for {user} from {ip}", "Échec de connexion de {user} depuis {ip}"
    ),
    _nv(
        "web_login_failures",
        W,
        "{count} more failed logins from {ip} in the last minute (last user name tried: {user})",
        "{count} autres échecs de connexion depuis {ip} dans la dernière minute (dernier nom essayé : {user})",
    ),
    _nv(
        "web_account_locked",
        W,
        "{user} locked out after repeated failed logins from {ip}",
        "{user} verrouillé après des échecs de connexion répétés depuis {ip}",
    ),
    _nv(
        "netvision_event_log_schema_changed",
        W,
        "NET VISION UPS Agent event log schema changed. Log has been re-created.",
        "Schéma du journal d'événements Agent ASI NET VISION modifié. Historique recréé.",
    ),
    _nv(
        "ups_event_log_schema_changed",
        W,
        "UPS event log schema changed. Log has been re-created.",
        "Schéma du journal des événements de l'ASI modifié. Historique recréé.",
    ),
    _nv(
        "history_log_schema_changed",
        W,
        "History log schema changed. Log has been re-created.",
        "Schéma de l'historique modifié. Historique recréé.",
    ),
    _nv(
        "extended_log_schema_changed",
        W,
        "Extended history log schema changed. Log has been re-created.",
        "Schéma de l'historique étendu modifié. Historique recréé.",
    ),
    _nv(
        "configuration_uploaded",
        I,
        "Upload configuration successfully via NET VISION Explorer by {by}",
        "Réussite du transfert de configuration via NET VISION Explorer par {by}",
    ),
    _nv(
        "configuration_upload_errors",
        W,
        "Upload configuration with {errors} error(s) via NET VISION Explorer by {by}",
        "Erreur(s) {errors} du transfert de configuration via NET VISION Explorer par {by}",
    ),
    _nv("ntp_failed", W, "Ntp Time Server Connected Failed", "Échec connexion au serveur NTP"),
    _nv(
        "control_refused",
        W,
        "{control} refused via {via} by {by}: {reason}",
        "{control_fr} refusé via {via} par {by} : {reason}",
    ),
    _nv("trap_test", I, "TRAP TEST", "TRAP TEST", trap=40),
    # EMD events (§21.4 "If an EMD device is connected and enabled"; App. traps 28-39)
    _nv(
        "emd_temperature_not_high",
        I,
        "EMD Temperature not over high Set point",
        "Température EMD inférieure à la consigne haute",
        trap=31,
    ),
    _nv(
        "emd_temperature_high",
        C,
        "EMD Temperature over high Set point",
        "Température EMD supérieure à la consigne haute",
        trap=30,
        shutdown=True,
    ),
    _nv(
        "emd_temperature_not_low",
        I,
        "EMD Temperature not under low Set point",
        "Température EMD supérieure à la consigne basse",
        trap=29,
    ),
    _nv(
        "emd_temperature_low",
        C,
        "EMD Temperature under low Set point",
        "Température EMD inférieure à la consigne basse",
        trap=28,
        shutdown=True,
    ),
    _nv(
        "emd_humidity_not_high",
        I,
        "EMD Humidity not over high Set point",
        "Humidité EMD inférieure à la consigne haute",
        trap=35,
    ),
    _nv(
        "emd_humidity_high",
        C,
        "EMD Humidity over high Set point",
        "Humidité EMD supérieure à la consigne haute",
        trap=34,
        shutdown=True,
    ),
    _nv(
        "emd_humidity_not_low",
        I,
        "EMD Humidity not under low Set point",
        "Humidité EMD supérieure à la consigne basse",
        trap=33,
    ),
    _nv(
        "emd_humidity_low",
        C,
        "EMD Humidity under low Set point",
        "Humidité EMD inférieure à la consigne basse",
        trap=32,
        shutdown=True,
    ),
    _nv("emd_alarm1_inactive", I, "EMD Alarm-1 not active", "Alarme EMD-1 pas active", trap=37),
    _nv("emd_alarm1_active", C, "EMD Alarm-1 activated", "Alarme EMD-1 activée", trap=36, shutdown=True),
    _nv("emd_alarm2_inactive", I, "EMD Alarm-2 not active", "Alarme EMD-2 pas active", trap=39),
    _nv("emd_alarm2_active", C, "EMD Alarm-2 activated", "Alarme EMD-2 activée", trap=38, shutdown=True),
    # ---------------------------------------------------------------- UPS events (§21.3)
    # An alarm of the alarm table (§12.3) appears: the text is the map's bit label;
    # the severity is the bit's level (make_event(severity=...)).
    _ups("alarm_added", W, "{description}", "{description_fr}", trap=3),
    _ups("alarm_removed", I, "{description} has been removed", "{description_fr} a disparu", trap=4),
    _ups("connected", I, "UPS connected", "ASI connectée"),
    _ups("not_connected", C, "UPS not connected", "ASI pas connectée"),
    *(_ups(f"status.{key}", severity, en, fr) for key, (severity, en, fr) in STATUS_EVENTS.items()),
    # Controls sent to the UPS (§16.1), with who sent them.
    *(
        _ups(f"control.{name}", I, f"{en} via {{via}} by {{by}}", f"{fr} via {{via}} par {{by}}")
        for name, (en, fr) in CONTROL_LABELS.items()
    ),
    _ups("shut_off_sent", W, "UPS shut off sent", "Mise à l'arrêt ASI transmise"),
    _ups("standby_schedule_sent", I, "Standby schedule sent", "Planification veille envoyée"),
    _ups("eco_schedule_sent", I, "Eco mode schedule sent", "Planification eco mode envoyée"),
    _ups("power_plug_on", I, "Power Plugs {plug} ON", "Prises de puissance {plug} activées"),
    _ups("power_plug_off", W, "Power Plugs {plug} OFF", "Prises de puissance {plug} désactivées"),
    # ---------------------------------------------------------------- trap triggers (App. traps)
    *(
        _trap(event_id, severity, number, en, fr, shutdown)
        for table in (TRAP_EVENTS, STS_TRAP_EVENTS)
        for number, (event_id, severity, shutdown, en, fr) in table.items()
    ),
    # A well-known alarm of a UPS MIB raised / cleared (TRAP 3 / TRAP 4, App. traps;
    # RFC1628 upsTrapAlarmEntryAdded/Removed). ``mib`` is "netvision" or "rfc1628";
    # an RFC1628 one also carries its upsAlarmTable row (``alarm_id``).
    _trap("alarm_entry_added", W, 3, "Alarm {well_known} added", "Alarme {well_known} ajoutée"),
    _trap("alarm_entry_removed", I, 4, "Alarm {well_known} removed", "Alarme {well_known} disparue"),
)

CATALOG: Mapping[str, EventType] = MappingProxyType({event_type.id: event_type for event_type in _TYPES})
assert len(CATALOG) == len(_TYPES), "duplicate event id in the catalogue"

# Which NET VISION event a clear / a schema re-creation of each stored log raises.
LOG_CLEARED_EVENTS: Mapping[str, str] = MappingProxyType(
    {
        "history": "nv.history_log_cleared",
        "extended": "nv.extended_log_cleared",
        "ups": "nv.ups_event_log_cleared",
        "netvision": "nv.netvision_event_log_cleared",
    }
)
LOG_SCHEMA_EVENTS: Mapping[str, str] = MappingProxyType(
    {
        "history": "nv.history_log_schema_changed",
        "extended": "nv.extended_log_schema_changed",
        "ups": "nv.ups_event_log_schema_changed",
        "netvision": "nv.netvision_event_log_schema_changed",
    }
)


class _Missing(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "???"  # the manual's placeholder for an unknown IP/user/source (§21.4)


def make_event(
    event_id: str,
    *,
    time: datetime | None = None,
    unit: int = 0,
    acronym: str | None = None,
    severity: Severity | None = None,
    **data: Any,
) -> Event:
    """An occurrence of ``event_id``; ``severity`` overrides the catalogue's (alarm levels)."""
    event_type = CATALOG[event_id]
    values = _Missing(data)
    return Event(
        id=event_id,
        log=event_type.log,
        severity=severity or event_type.severity,
        time=time or datetime.now(UTC),
        text_en=event_type.text_en.format_map(values),
        text_fr=event_type.text_fr.format_map(values),
        trap=event_type.trap,
        shutdown=event_type.shutdown,
        unit=unit,
        acronym=acronym,
        data=MappingProxyType(dict(data)),
    )
