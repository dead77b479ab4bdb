"""What the history logs record (§11.2.4, §21.1, §21.2; FR §11.2.4 for a STS).

Values are kept in tenths (integer ``round(value * 10)``): every measurement of
these lists has at most one decimal in the manuals' formats, and SQLite stores
small integers in one or two bytes, which keeps a year of 60 s history small.
``None`` (not managed, shown as -1, §11.2.4) is stored as NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..i18n import label


@dataclass(frozen=True)
class Column:
    key: str  # canonical measurement key (ups/maps/base.py MEASUREMENT_KEYS)
    label_key: str  # its heading in the label tables (netvision/i18n)
    unit: str

    def label(self, language: str = "en", temperature_unit: str = "C") -> str:
        unit = "°F" if self.unit == "°C" and temperature_unit == "F" else self.unit
        text = label(self.label_key, language)
        return f"{text} ({unit})" if unit else text


def _column(key: str, unit: str, table: str = "column") -> Column:
    return Column(key, f"{table}.{key}", unit)


def _phases(key: str, unit: str, table: str = "column") -> list[Column]:
    return [_column(f"{key}_l{n}", unit, table) for n in (1, 2, 3)]


# EN §21.1 table: input V R/S/T, output V R/S/T, input frequency, output load R/S/T,
# battery capacity, UPS temperature. "UPS temperature" is the ambient temperature
# the UPS measures (JBUSP M22, VU-MAP M015). Headings: ``column.<key>`` in the label tables.
UPS_HISTORY: tuple[Column, ...] = (
    *_phases("input_voltage", "V"),
    *_phases("output_voltage", "V"),
    _column("input_frequency", "Hz"),
    *_phases("load_rate", "%"),
    _column("battery_capacity", "%"),
    _column("ambient_temperature", "°C"),
)

# The graph's "global output load" (§21.1) is kept too.
UPS_HISTORY_EXTRA: tuple[Column, ...] = (_column("load_rate", "%"),)

# FR §11.2.4 "Liste des mesures du STS enregistrées par NET VISION dans Historique".
STS_HISTORY: tuple[Column, ...] = (
    *_phases("source1_voltage", "V"),
    *_phases("source2_voltage", "V"),
    *_phases("output_current", "A"),
    _column("output_frequency", "Hz"),
    _column("switch1_temperature", "°C"),
    _column("switch2_temperature", "°C"),
)

# EN §21.2: the history measurements plus output current, as min / avg / max.
# Headings: ``column.extended.<key>``.
EXTENDED: tuple[Column, ...] = (
    *_phases("input_voltage", "V", "column.extended"),
    _column("input_frequency", "Hz", "column.extended"),
    *_phases("output_voltage", "V", "column.extended"),
    *_phases("output_current", "A", "column.extended"),
    *_phases("load_rate", "%", "column.extended"),
    _column("battery_capacity", "%", "column.extended"),
    _column("ambient_temperature", "°C", "column.extended"),
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
