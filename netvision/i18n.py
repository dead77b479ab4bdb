"""Labels shown to people, in English and French: one table, keyed by the
names the code uses. Register labels stay with their map (ups/maps)."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "fr")

LABELS: Mapping[str, tuple[str, str]] = {
    # UPS status, §12.1.5 (FR §12.1.5)
    "ups_status.unknown": ("Unknown", "Inconnu"),
    "ups_status.in_service_mode": ("In Service mode", "En mode service"),
    "ups_status.maintenance_bypass": ("On maintenance bypass", "Sur bypass de maintenance"),
    "ups_status.imminent_stop": ("Imminent STOP", "Arrêt imminent"),
    "ups_status.auto_test": ("Auto-test procedure", "Procédure d'auto-test"),
    "ups_status.on_battery": ("Operating on Battery", "Fonctionnement sur batterie"),
    "ups_status.battery_test": ("Battery test in progress", "Test batterie en cours"),
    "ups_status.load_on_inverter": ("Load protected by Inverter", "Charge protégée par l'onduleur"),
    "ups_status.normal_mode": ("Normal mode", "Mode normal"),
    "ups_status.eco_mode": ("UPS in eco mode", "ASI en mode éco"),
    "ups_status.line_interactive": ("Line-Interactive mode", "Mode Line-Interactive"),
    "ups_status.load_on_bypass": ("Load on Bypass", "Charge sur bypass"),
    "ups_status.unit_available": ("Unit Available", "Unité disponible"),
    "ups_status.standby": ("On standby", "En veille"),
    "ups_status.load_off": ("Load OFF", "Charge non alimentée"),
    # STS status, FR §13.2
    "ups_status.maintenance_bypass_1": ("On maintenance bypass 1", "Sur bypass de maintenance 1"),
    "ups_status.maintenance_bypass_2": ("On maintenance bypass 2", "Sur bypass de maintenance 2"),
    "ups_status.on_preferred_source": ("On preferred source", "Sur source préférentielle"),
    "ups_status.on_alternate_source": ("On alternate source", "Sur source alternative"),
    # Battery status, §12.1.6
    "battery_status.unknown": ("Unknown", "Inconnu"),
    "battery_status.disconnected": ("Battery disconnected", "Batterie déconnectée"),
    "battery_status.discharged": ("Battery discharged", "Batterie déchargée"),
    "battery_status.low": ("Battery low", "Batterie faible"),
    "battery_status.discharging": ("Battery discharging", "Batterie en décharge"),
    "battery_status.to_input": ("Battery to input", "Batterie vers l'entrée"),
    "battery_status.alarm": ("Battery alarm", "Alarme batterie"),
    "battery_status.room_alarm": ("Battery room alarm", "Alarme local batterie"),
    "battery_status.temperature_alarm": ("Battery temperature alarm", "Alarme température batterie"),
    "battery_status.test_running": ("Battery test running", "Test batterie en cours"),
    "battery_status.charging": ("Battery charging", "Batterie en charge"),
    "battery_status.ok": ("Battery OK", "Batterie OK"),
    # Output status, §12.1.7
    "output_status.unknown": ("Unknown", "Inconnu"),
    "output_status.maintenance_bypass": ("On maintenance bypass", "Sur bypass de maintenance"),
    "output_status.load_on_inverter": ("Load protected by inverter", "Charge protégée par l'onduleur"),
    "output_status.normal_mode": ("Normal mode", "Mode normal"),
    "output_status.eco_mode": ("eco mode", "mode éco"),
    "output_status.load_on_bypass": ("Load on Bypass", "Charge sur bypass"),
    "output_status.line_interactive": ("Line-Interactive mode", "Mode Line-Interactive"),
    "output_status.standby": ("On standby", "En veille"),
    "output_status.load_off": ("Load OFF", "Charge non alimentée"),
    "output_status.preferred_source": ("On preferred source", "Sur source préférentielle"),
    "output_status.alternate_source": ("On alternate source", "Sur source alternative"),
    # Communication
    "communication.starting": ("Detecting the UPS", "Détection de l'ASI"),
    "communication.ok": ("UPS connected", "ASI connectée"),
    "communication.lost": ("UPS not connected", "ASI non connectée"),
    # Levels
    "level.I": ("Information", "Information"),
    "level.W": ("Warning", "Alarme"),
    "level.C": ("Critical", "Critique"),
}


def label(key: str, language: str = "en") -> str:
    """The label of ``key`` in ``language``; the key itself if the table lacks it."""
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry[1] if language == "fr" else entry[0]
