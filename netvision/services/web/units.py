"""Temperatures in the unit chosen in the settings (§18.1 "Temperature unit").

The UPS gives every temperature in °C; this is the one conversion that the
parameter tables, the live updates (dashboard, graph) and the logs use, so that
a number labelled °F is always a Fahrenheit number.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...settings import Settings


def is_temperature(key: str) -> bool:
    """ambient_temperature, battery_temperature, switch1_temperature, …_average."""
    return "temperature" in key


def fahrenheit(settings: Settings) -> bool:
    return settings.system.temperature_unit == "F"


def converted(key: str, value: float, in_fahrenheit: bool) -> float:
    """``value`` of measurement ``key`` in the unit shown to the user."""
    if not in_fahrenheit or not is_temperature(key):
        return value
    return value * 9 / 5 + 32


def displayed(key: str, value: float | None, in_fahrenheit: bool) -> float | None:
    return None if value is None else converted(key, value, in_fahrenheit)


def displayed_measurements(measurements: Mapping[str, float | None], in_fahrenheit: bool) -> dict[str, float | None]:
    return {key: displayed(key, value, in_fahrenheit) for key, value in measurements.items()}
