"""The simulated power path: what a UPS or STS is doing, and its measurements.

Pure state, no registers: device.py turns it into words with the map data.
Values are physical (V, A, kVA, %, min, s); ``None`` is a measurement the
simulated device does not manage (0xFFFF on the wire, App. JBUSP/VU-MAP).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

NOMINAL_VOLTAGE = 230.0  # V phase-neutral
NOMINAL_FREQUENCY = 50.0  # Hz
POWER_FACTOR = 0.9
EFFICIENCY = 0.95
NORMAL_LOAD = 0.45  # fraction of the nominal kVA
OVERLOAD_LOAD = 1.15
# Backup time of a full battery at 100 % load; it grows as the load falls.
AUTONOMY_AT_FULL_LOAD_MINUTES = 10.0
MAX_BACKUP_MINUTES = 999.0
# A full recharge takes this long (before the speed factor).
RECHARGE_SECONDS = 4 * 3600.0
BATTERY_LOW_CHARGE = 0.20  # "near end of backup time" below this (on battery)
IMMINENT_STOP_CHARGE = 0.05
BATTERY_TEST_SECONDS = 5.0
BATTERY_TEST_DISCHARGE = 0.01  # charge used by a test
BATTERY_AH = 40.0
BATTERY_FLOAT_VOLTAGE = 270.0  # per string, charged, floating
BATTERY_EMPTY_VOLTAGE = 210.0  # per string at end of discharge
SQRT3 = math.sqrt(3.0)

PATHS = ("inverter", "bypass", "maintenance", "off")


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _drift(load: float, target: float, seconds: float, rng: random.Random) -> float:
    """The load after ``seconds``: it drifts slowly around its target (UPS and STS alike)."""
    pull = min(1.0, seconds / 60.0)
    load += (target - load) * pull + rng.gauss(0.0, 0.004) * math.sqrt(min(seconds, 60.0))
    return _clamp(load, 0.0, 1.5)


# Line-to-line voltages from the two phase voltages of each pair.
_PAIRS = {"u12": ("l1", "l2"), "u23": ("l2", "l3"), "u31": ("l3", "l1")}


def _line_to_line(values: dict[str, float | None], prefix: str, three_phase: bool) -> None:
    """``{prefix}_u12/u23/u31`` from ``{prefix}_l1..l3``; not managed (None) unless three-phase."""
    for pair, (first, second) in _PAIRS.items():
        mean = ((values[f"{prefix}_{first}"] or 0.0) + (values[f"{prefix}_{second}"] or 0.0)) / 2
        values[f"{prefix}_{pair}"] = mean * SQRT3 if three_phase else None


@dataclass
class Jitter:
    """Small, slowly wandering deviations around nominal values (deterministic per seed)."""

    rng: random.Random
    offsets: dict[str, float] = field(default_factory=dict)

    def step(self, seconds: float) -> None:
        # Mean-reverting random walk: each offset keeps some memory of the last one.
        keep = math.exp(-seconds / 10.0) if seconds > 0 else 1.0
        for name in list(self.offsets):
            self.offsets[name] = self.offsets[name] * keep + self.rng.gauss(0.0, 1.0) * math.sqrt(
                1 - keep * keep
            )

    def __call__(self, name: str, spread: float) -> float:
        """An offset in [−spread, +spread], around 0."""
        if name not in self.offsets:
            self.offsets[name] = self.rng.gauss(0.0, 1.0)
        return _clamp(self.offsets[name] / 3.0, -1.0, 1.0) * spread


@dataclass
class UpsPower:
    """The power state of a UPS system (all units share the inputs and the load path)."""

    mains_present: bool = True
    bypass_present: bool = True
    path: str = "inverter"  # inverter | bypass | maintenance | off
    eco: bool = False
    battery_present: bool = True
    charge: float = 1.0  # 0..1
    time_on_battery: float = 0.0  # s
    load: float = NORMAL_LOAD  # fraction of the nominal kVA
    load_target: float = NORMAL_LOAD
    test_remaining: float | None = None  # s of battery test left
    test_result: str = "pass"
    test_failed: bool = False
    forced_imminent_stop: bool = False
    discharge_speed: float = 1.0
    standby: bool = False  # output switched off by the standby control (path "off")

    # -- derived flags ----------------------------------------------------------------

    @property
    def load_off(self) -> bool:
        return self.path == "off"

    @property
    def on_battery(self) -> bool:
        return not self.mains_present and self.battery_present and self.path == "inverter"

    @property
    def inverter_on(self) -> bool:
        return self.path in ("inverter", "bypass")

    @property
    def rectifier_on(self) -> bool:
        return self.mains_present

    @property
    def load_on_inverter(self) -> bool:
        return self.path == "inverter"

    @property
    def load_on_bypass(self) -> bool:
        return self.path == "bypass"

    @property
    def battery_test_running(self) -> bool:
        return self.test_remaining is not None

    @property
    def charging(self) -> bool:
        return (
            self.battery_present
            and self.mains_present
            and self.charge < 0.995
            and not self.battery_test_running
        )

    @property
    def battery_low(self) -> bool:
        return self.on_battery and self.charge < BATTERY_LOW_CHARGE

    @property
    def battery_discharged(self) -> bool:
        return self.battery_present and self.charge <= 0.0

    @property
    def imminent_stop(self) -> bool:
        return self.forced_imminent_stop or (self.on_battery and self.charge < IMMINENT_STOP_CHARGE)

    @property
    def overload(self) -> bool:
        return not self.load_off and self.load > 1.0

    def backup_minutes(self, load: float | None = None) -> float:
        load = self.load if load is None else load
        autonomy = AUTONOMY_AT_FULL_LOAD_MINUTES / max(load, 0.05)
        return min(MAX_BACKUP_MINUTES, self.charge * autonomy)

    # -- time ---------------------------------------------------------------------------

    def tick(self, seconds: float, rng: random.Random) -> None:
        if seconds <= 0:
            return
        self.load = _drift(self.load, self.load_target, seconds, rng)
        if self.on_battery:
            self.time_on_battery += seconds
            minutes = AUTONOMY_AT_FULL_LOAD_MINUTES / max(self.load, 0.05)
            self.charge -= seconds * self.discharge_speed / (minutes * 60.0)
            if self.charge <= 0.0:
                # End of backup time: the inverter stops (EN §12.1.5 "Load OFF").
                self.charge = 0.0
                self.path = "off"
        else:
            self.time_on_battery = 0.0
        if self.test_remaining is not None:
            self.charge -= BATTERY_TEST_DISCHARGE * min(seconds, self.test_remaining) / BATTERY_TEST_SECONDS
            self.test_remaining -= seconds
            if self.test_remaining <= 0:
                self.test_remaining = None
                self.test_failed = self.test_result == "fail"
        elif self.charging:
            self.charge += seconds * self.discharge_speed / RECHARGE_SECONDS
        self.charge = _clamp(self.charge, 0.0, 1.0)


def ups_measurements(
    power: UpsPower,
    jitter: Jitter,
    *,
    nominal_kva: float,
    share: float,
    input_phases: int,
    output_phases: int,
    battery: bool,
) -> dict[str, float | None]:
    """One device's measurements; ``share`` is its part of the system load (1 for a single UPS)."""
    values: dict[str, float | None] = {}
    out_phases = ("l1", "l2", "l3")[:output_phases]
    in_phases = ("l1", "l2", "l3")[:input_phases]
    load = 0.0 if power.load_off else power.load * (1.0 + jitter("load", 0.03))
    supplying = not power.load_off
    frequency = NOMINAL_FREQUENCY + jitter("output_frequency", 0.05)
    values["output_frequency"] = frequency if supplying else 0.0
    total_kva = 0.0
    total_kw = 0.0
    for phase in ("l1", "l2", "l3"):
        managed = phase in out_phases
        voltage = NOMINAL_VOLTAGE * (1 + jitter(f"output_voltage_{phase}", 0.01)) if supplying else 0.0
        phase_nominal = nominal_kva / output_phases
        phase_kva = load * phase_nominal * (1 + jitter(f"phase_load_{phase}", 0.03)) if managed else 0.0
        current = phase_kva * 1000.0 / voltage if voltage else 0.0
        power_factor = POWER_FACTOR + jitter(f"power_factor_{phase}", 0.02)
        total_kva += phase_kva
        total_kw += phase_kva * power_factor
        values[f"output_voltage_{phase}"] = voltage if managed else None
        values[f"output_current_{phase}"] = current if managed else None
        values[f"output_kva_{phase}"] = phase_kva if managed else None
        values[f"output_kw_{phase}"] = phase_kva * power_factor if managed else None
        values[f"load_rate_{phase}"] = phase_kva / phase_nominal * 100.0 if managed else None
        values[f"output_power_factor_{phase}"] = (power_factor if supplying else 0.0) if managed else None
        values[f"output_crest_factor_{phase}"] = (1.4 + jitter(f"crest_{phase}", 0.05)) if managed else None
    _line_to_line(values, "output_voltage", output_phases == 3)
    values["output_kva"] = total_kva
    values["output_kw"] = total_kw
    values["load_rate"] = total_kva / nominal_kva * 100.0
    values["load_rate_n"] = None
    values["output_crest_factor"] = 1.4 + jitter("crest", 0.05)
    values["output_crest_factor_n"] = 1.4 + jitter("crest_n", 0.05) if output_phases == 3 else None
    line_current = values["output_current_l1"] or 0.0
    values["output_current_n"] = (
        line_current * (0.05 + jitter("neutral", 0.03)) if output_phases == 3 else line_current
    )

    # Rectifier input: the output power plus losses plus the charger.
    charging_kw = 0.02 * nominal_kva if power.charging and battery else 0.0
    input_kw = (
        (total_kw / EFFICIENCY + charging_kw) if power.mains_present and power.path == "inverter" else 0.0
    )
    if power.mains_present and power.path in ("bypass", "maintenance"):
        input_kw = charging_kw + 0.01 * nominal_kva  # the rectifier only feeds the charger and itself
    for phase in ("l1", "l2", "l3"):
        managed = phase in in_phases
        voltage = (
            NOMINAL_VOLTAGE * (1 + jitter(f"input_voltage_{phase}", 0.01)) if power.mains_present else 0.0
        )
        phase_kw = input_kw / input_phases
        values[f"input_voltage_{phase}"] = voltage if managed else None
        values[f"input_power_{phase}"] = phase_kw if managed else None
        values[f"input_current_{phase}"] = (
            (phase_kw * 1000.0 / voltage if voltage else 0.0) if managed else None
        )
    _line_to_line(values, "input_voltage", input_phases == 3)
    values["input_frequency"] = (
        NOMINAL_FREQUENCY + jitter("input_frequency", 0.05) if power.mains_present else 0.0
    )

    # Bypass input: the bypass feeds the output's phases.
    on_bypass = power.path == "bypass"
    for phase in ("l1", "l2", "l3"):
        managed = phase in out_phases
        voltage = (
            NOMINAL_VOLTAGE * (1 + jitter(f"bypass_voltage_{phase}", 0.01)) if power.bypass_present else 0.0
        )
        bypass_current: float | None = values[f"output_current_{phase}"] if on_bypass else 0.0
        values[f"bypass_voltage_{phase}"] = voltage if managed else None
        values[f"bypass_current_{phase}"] = bypass_current if managed else None
        values[f"bypass_power_{phase}"] = (
            (values[f"output_kw_{phase}"] if on_bypass else 0.0) if managed else None
        )
    _line_to_line(values, "bypass_voltage", output_phases == 3)
    values["bypass_frequency"] = (
        NOMINAL_FREQUENCY + jitter("bypass_frequency", 0.05) if power.bypass_present else 0.0
    )

    values["ambient_temperature"] = 24.0 + jitter("ambient", 0.5)
    values["dc_storage_voltage"] = None
    values["dc_storage_temperature"] = None
    battery_keys = (
        "battery_capacity",
        "battery_capacity_ah",
        "battery_voltage",
        "battery_voltage_negative",
        "battery_current",
        "battery_current_negative",
        "remaining_backup_time",
        "time_on_battery",
        "battery_temperature",
        "battery_temperature_average",
    )
    if not battery:
        values.update(dict.fromkeys(battery_keys, None))
        return values
    voltage = BATTERY_EMPTY_VOLTAGE + (BATTERY_FLOAT_VOLTAGE - BATTERY_EMPTY_VOLTAGE) * power.charge
    if power.on_battery or power.battery_test_running:
        voltage -= 8.0  # voltage drop under discharge current
        discharge_kw = total_kw / EFFICIENCY
        current = -discharge_kw * 1000.0 / (2 * voltage)
    elif power.charging:
        current = 0.1 * BATTERY_AH * share * (1.0 - power.charge) + 0.5
    else:
        current = 0.0
    voltage *= 1 + jitter("battery_voltage", 0.002)
    values["battery_capacity"] = power.charge * 100.0
    values["battery_capacity_ah"] = BATTERY_AH * share * power.charge
    values["battery_voltage"] = voltage
    values["battery_voltage_negative"] = voltage * (1 + jitter("battery_voltage_negative", 0.002))
    values["battery_current"] = current
    values["battery_current_negative"] = current
    values["remaining_backup_time"] = power.backup_minutes(power.load)
    values["time_on_battery"] = power.time_on_battery
    values["battery_temperature"] = 25.0 + jitter("battery_temperature", 0.5)
    values["battery_temperature_average"] = 25.0 + jitter("battery_temperature_average", 0.3)
    return values


# How a parallel system's measurements combine its units' (EN §12.2.3: "system-level
# data = combination of all units").
_SUMMED_PREFIXES = (
    "output_kva",
    "output_kw",
    "output_current",
    "input_current",
    "input_power",
    "bypass_current",
    "bypass_power",
    "battery_current",
    "battery_capacity_ah",
)


def aggregate(units: list[dict[str, float | None]], nominal_kvas: list[float]) -> dict[str, float | None]:
    """System-level measurements from the units': sums of powers and currents, means of
    voltages and frequencies, the shortest backup time, the load against the total rating."""
    values: dict[str, float | None] = {}
    for key in units[0]:
        present = [unit[key] for unit in units if unit.get(key) is not None]
        if not present:
            values[key] = None
        elif key.startswith(_SUMMED_PREFIXES):
            values[key] = sum(present)  # type: ignore[arg-type]
        elif key == "remaining_backup_time":
            values[key] = min(present)  # type: ignore[type-var]
        elif key == "time_on_battery":
            values[key] = max(present)  # type: ignore[type-var]
        else:
            values[key] = sum(present) / len(present)  # type: ignore[arg-type]
    total = sum(nominal_kvas)
    if values.get("output_kva") is not None:
        values["load_rate"] = (values["output_kva"] or 0.0) / total * 100.0
    for phase in ("l1", "l2", "l3"):
        phase_kva = values.get(f"output_kva_{phase}")
        if phase_kva is not None:
            phases = sum(1 for p in ("l1", "l2", "l3") if values.get(f"output_kva_{p}") is not None)
            values[f"load_rate_{phase}"] = phase_kva / (total / phases) * 100.0
    return values


@dataclass
class StsPower:
    """A STATYS static transfer switch: two sources, one load (FR §13)."""

    source1_present: bool = True
    source2_present: bool = True
    preferred: int = 1  # the preferred source, 1 or 2
    active: int | None = 1  # the source feeding the load; None = load not supplied
    load: float = NORMAL_LOAD
    load_target: float = NORMAL_LOAD
    forced_imminent_stop: bool = False

    @property
    def load_off(self) -> bool:
        return self.active is None

    @property
    def on_preferred(self) -> bool:
        return self.active == self.preferred

    @property
    def on_alternate(self) -> bool:
        return self.active is not None and self.active != self.preferred

    @property
    def synchronised(self) -> bool:
        return self.source1_present and self.source2_present

    @property
    def overload(self) -> bool:
        return not self.load_off and self.load > 1.0

    @property
    def imminent_stop(self) -> bool:
        return self.forced_imminent_stop

    def source_present(self, number: int) -> bool:
        return self.source1_present if number == 1 else self.source2_present

    def transfer(self) -> None:
        """Automatic transfer: the load goes to the preferred source when it is present."""
        if self.active is None:
            return
        if self.source_present(self.preferred):
            self.active = self.preferred
        elif self.source_present(3 - self.preferred):
            self.active = 3 - self.preferred
        else:
            self.active = None

    def tick(self, seconds: float, rng: random.Random) -> None:
        if seconds <= 0:
            return
        self.load = _drift(self.load, self.load_target, seconds, rng)


def sts_measurements(
    power: StsPower, jitter: Jitter, *, nominal_kva: float, phases: int
) -> dict[str, float | None]:
    values: dict[str, float | None] = {}
    names = ("l1", "l2", "l3")[:phases]
    for source in (1, 2):
        present = power.source_present(source)
        for phase in ("l1", "l2", "l3"):
            voltage = NOMINAL_VOLTAGE * (1 + jitter(f"s{source}_{phase}", 0.01)) if present else 0.0
            values[f"source{source}_voltage_{phase}"] = voltage if phase in names else None
        _line_to_line(values, f"source{source}_voltage", phases == 3)
        values[f"source{source}_frequency"] = (
            NOMINAL_FREQUENCY + jitter(f"s{source}_hz", 0.05) if present else 0.0
        )
        closed = power.active == source
        values[f"switch{source}_temperature"] = (38.0 if closed else 30.0) + jitter(f"switch{source}", 0.5)
    active = power.active
    load = 0.0 if active is None else power.load * (1.0 + jitter("load", 0.03))
    total_kva = total_kw = 0.0
    for phase in ("l1", "l2", "l3"):
        managed = phase in names
        voltage = (values[f"source{active}_voltage_{phase}"] or 0.0) if active else 0.0
        phase_nominal = nominal_kva / phases
        phase_kva = load * phase_nominal * (1 + jitter(f"phase_load_{phase}", 0.03)) if managed else 0.0
        power_factor = POWER_FACTOR + jitter(f"pf_{phase}", 0.02)
        total_kva += phase_kva
        total_kw += phase_kva * power_factor
        values[f"output_voltage_{phase}"] = voltage if managed else None
        values[f"output_current_{phase}"] = (
            (phase_kva * 1000.0 / voltage if voltage else 0.0) if managed else None
        )
        values[f"output_kva_{phase}"] = phase_kva if managed else None
        values[f"output_kw_{phase}"] = phase_kva * power_factor if managed else None
        values[f"load_rate_{phase}"] = phase_kva / phase_nominal * 100.0 if managed else None
        values[f"output_power_factor_{phase}"] = (power_factor if active else 0.0) if managed else None
        values[f"output_crest_factor_{phase}"] = (1.4 + jitter(f"crest_{phase}", 0.05)) if managed else None
    _line_to_line(values, "output_voltage", phases == 3)
    values["output_frequency"] = (values[f"source{active}_frequency"] or 0.0) if active else 0.0
    line_current = values["output_current_l1"] or 0.0
    values["output_current_n"] = (
        line_current * (0.05 + jitter("neutral", 0.03)) if phases == 3 else line_current
    )
    values["output_crest_factor_n"] = 1.4 + jitter("crest_n", 0.05)
    values["output_kva"] = total_kva
    values["output_kw"] = total_kw
    values["load_rate"] = total_kva / nominal_kva * 100.0
    nominal_phase_current = nominal_kva / phases * 1000.0 / NOMINAL_VOLTAGE
    values["load_rate_n"] = (values["output_current_n"] or 0.0) / nominal_phase_current * 100.0
    values["phase_shift"] = abs(2.0 + jitter("phase_shift", 1.5)) if power.synchronised else 0.0
    values["ambient_temperature"] = 25.0 + jitter("ambient", 0.5)
    return values
