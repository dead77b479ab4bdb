"""What the history logs record (§11.2.4, §21.1, §21.2; FR §11.2.4 for a STS).

Values are kept in tenths (integer ``round(value * 10)``): every measurement of
these lists has at most one decimal in the manuals' formats, and SQLite stores
small integers in one or two bytes, which keeps a year of 60 s history small.
``None`` (not managed, shown as -1, §11.2.4) is stored as NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str  # canonical measurement key (ups/maps/base.py MEASUREMENT_KEYS)
    label_en: str
    label_fr: str
    unit: str

    def label(self, language: str = "en", temperature_unit: str = "C") -> str:
        unit = "°F" if self.unit == "°C" and temperature_unit == "F" else self.unit
        text = self.label_fr if language == "fr" else self.label_en
        return f"{text} ({unit})" if unit else text


def _phases(
    key: str, en: str, fr: str, unit: str, names: tuple[str, str, str] = ("R", "S", "T")
) -> list[Column]:
    return [
        Column(f"{key}_l{n}", f"{en} {name}", f"{fr} {name}", unit) for n, name in enumerate(names, start=1)
    ]


# EN §21.1 table: input V R/S/T, output V R/S/T, input frequency, output load R/S/T,
# battery capacity, UPS temperature. "UPS temperature" is the ambient temperature
# the UPS measures (JBUSP M22, VU-MAP M015).
UPS_HISTORY: tuple[Column, ...] = (
    *_phases("input_voltage", "Input Voltage", "Tension en entrée", "V"),
    *_phases("output_voltage", "Output Voltage", "Tension en sortie", "V"),
    Column("input_frequency", "Input frequency", "Fréquence en entrée", "Hz"),
    *_phases("load_rate", "Output Load", "Charge en sortie", "%"),
    Column("battery_capacity", "Battery Capacity", "Capacité batterie", "%"),
    Column("ambient_temperature", "UPS temperature", "Température ASI", "°C"),
)

# The graph's "global output load" (§21.1) is kept too; INVENTORY (a) #38.
UPS_HISTORY_EXTRA: tuple[Column, ...] = (Column("load_rate", "Output Load", "Charge en sortie", "%"),)

# FR §11.2.4 "Liste des mesures du STS enregistrées par NET VISION dans Historique".
STS_HISTORY: tuple[Column, ...] = (
    *_phases("source1_voltage", "Source 1 voltage", "Source 1 tension", "V", ("L1", "L2", "L3")),
    *_phases("source2_voltage", "Source 2 voltage", "Source 2 tension", "V", ("L1", "L2", "L3")),
    *_phases("output_current", "Output current", "Courant de sortie", "A", ("L1", "L2", "L3")),
    Column("output_frequency", "Output frequency", "Fréquence de sortie", "Hz"),
    Column("switch1_temperature", "SW1 temperature", "Température SW1", "°C"),
    Column("switch2_temperature", "SW2 temperature", "Température SW2", "°C"),
)

# EN §21.2: the history measurements plus output current, as min / avg / max.
EXTENDED: tuple[Column, ...] = (
    *_phases("input_voltage", "Input Voltage", "Tension en entrée", "V"),
    Column("input_frequency", "Input frequency", "Fréquence en entrée", "Hz"),
    *_phases("output_voltage", "Output Voltage", "Tension en sortie", "V"),
    *_phases("output_current", "Output Current", "Courant en sortie", "A"),
    *_phases("load_rate", "Output Load Rate", "Taux de charge en sortie", "%"),
    Column("battery_capacity", "Battery Capacity", "Capacité batterie", "%"),
    Column("ambient_temperature", "UPS Temperature", "Température de l'ASI", "°C"),
)

# Every column of the history table, each key once.
HISTORY_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(column.key for column in (*UPS_HISTORY, *UPS_HISTORY_EXTRA, *STS_HISTORY))
)
EXTENDED_KEYS: tuple[str, ...] = tuple(column.key for column in EXTENDED)

DEVICE_UPS, DEVICE_STS = 0, 1


def to_tenths(value: float | None) -> int | None:
    return None if value is None else round(value * 10)


def from_tenths(value: int | None) -> float | None:
    return None if value is None else value / 10


def history_values(measurements: Mapping[str, float | None]) -> dict[str, float | None]:
    """One history sample from a device's measurements (``None`` = not managed)."""
    values = {key: measurements.get(key) for key in HISTORY_KEYS}
    return values


def history_columns(device: int) -> tuple[Column, ...]:
    return STS_HISTORY if device == DEVICE_STS else UPS_HISTORY
