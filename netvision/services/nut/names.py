"""NUT names the server gives meaning to (docs/nut-names.txt): the instant commands and
the one writable variable, what they do here, and short descriptions for ``GET DESC`` and
``GET CMDDESC``. Pure data."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# NUT instant command -> the UPS control it sends (§16.1 "UPS Control"; ups/controls.py).
# "test.battery.stop" has no control on Socomec maps, so it is never offered.
CONTROLS: Mapping[str, str] = MappingProxyType(
    {
        "test.battery.start": "battery_test",
        "bypass.start": "transfer_to_bypass",
        "bypass.stop": "transfer_to_inverter",
        "beeper.mute": "alarm_acknowledgement",
    }
)

# "Turn off the load with a delay": the shutdown procedure's UPS shut-off (§16.8), offered
# where the UPS manages its standby (the control "standby_on", SHD-05).
LOAD_OFF_DELAY = "load.off.delay"
LOAD_OFF_CONTROL = "standby_on"

# The delay of that shut-off, the one variable a NUT client may change (``SET VAR``):
# settings.shutdown.ups_shut_off_delay, in seconds.
DELAY_SHUTDOWN = "ups.delay.shutdown"
DELAY_SHUTDOWN_SETTING = "shutdown.ups_shut_off_delay"

COMMAND_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "test.battery.start": "Start a battery test",
        "bypass.start": "Transfer the load to the bypass",
        "bypass.stop": "Transfer the load back to the inverter",
        "beeper.mute": "Acknowledge the alarms (silence the buzzer)",
        LOAD_OFF_DELAY: "Switch the UPS output off after ups.delay.shutdown seconds",
    }
)

VARIABLE_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "ups.status": "UPS status",
        "ups.alarm": "UPS alarms",
        "ups.mfr": "UPS manufacturer",
        "ups.model": "UPS model",
        "ups.serial": "UPS serial number",
        "ups.firmware": "UPS firmware",
        "ups.load": "Load on the UPS (percent of nominal)",
        "ups.power": "Apparent power (VA)",
        "ups.power.nominal": "Nominal apparent power (VA)",
        "ups.realpower": "Active power (W)",
        "ups.temperature": "UPS temperature (degrees C)",
        "ups.delay.shutdown": "Seconds from the shutdown command to the UPS output switched off",
        "ups.timer.shutdown": "Seconds before the shutdown command (-1: none pending)",
        "ups.test.result": "Result of the last battery test",
        "ups.type": "UPS type",
        "device.mfr": "Device manufacturer",
        "device.model": "Device model",
        "device.serial": "Device serial number",
        "device.type": "Device type",
        "device.location": "Where the device stands",
        "device.contact": "Who looks after the device",
        "input.voltage": "Input voltage (V)",
        "input.frequency": "Input frequency (Hz)",
        "input.current": "Input current (A)",
        "input.bypass.voltage": "Bypass voltage (V)",
        "input.bypass.frequency": "Bypass frequency (Hz)",
        "output.voltage": "Output voltage (V)",
        "output.frequency": "Output frequency (Hz)",
        "output.current": "Output current (A)",
        "battery.charge": "Battery charge (percent of full)",
        "battery.runtime": "Remaining battery runtime (seconds)",
        "battery.voltage": "Battery voltage (V)",
        "battery.current": "Battery current (A)",
        "battery.temperature": "Battery temperature (degrees C)",
        "ambient.temperature": "Ambient temperature (degrees C)",
    }
)
