"""NUT names the server gives meaning to (docs/nut-names.txt): the instant commands and the
controls they send, the one writable variable, and the descriptions of ``GET DESC`` and
``GET CMDDESC``. Pure data, the one place these facts are kept: variables.py reads them to
build each UPS's view, the server to run a command or change the variable."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# "Turn off the load with a delay": the shutdown procedure's UPS shut-off (§16.8), sent
# through the UPS's standby control (SHD-05). The shutdown service runs it: the clients
# are told to shut down first, the output goes off after ups.delay.shutdown.
LOAD_OFF_DELAY = "load.off.delay"
LOAD_OFF_CONTROL = "standby_on"

# NUT instant command -> the UPS control it sends (§16.1 "UPS Control"; ups/maps/base.CONTROLS).
# "test.battery.stop" has no control on Socomec maps, so it is never offered.
COMMAND_CONTROLS: Mapping[str, str] = MappingProxyType(
    {
        "test.battery.start": "battery_test",
        "bypass.start": "transfer_to_bypass",
        "bypass.stop": "transfer_to_inverter",
        "beeper.mute": "alarm_acknowledgement",
        LOAD_OFF_DELAY: LOAD_OFF_CONTROL,
    }
)

# The delay of that shut-off, the one variable a NUT client may change (``SET VAR``):
# settings.shutdown.ups_shut_off_delay, in seconds.
DELAY_SHUTDOWN = "ups.delay.shutdown"
DELAY_SHUTDOWN_SETTING = "shutdown.ups_shut_off_delay"

# GET CMDDESC / GET DESC: docs/nut-names.txt wording (upsd reads the same text from cmdvartab),
# so that clients show what they show for any other UPS.
COMMAND_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "test.battery.start": "Start a battery test",
        "bypass.start": "Put the UPS in bypass mode",
        "bypass.stop": "Take the UPS out of bypass mode",
        "beeper.mute": "Temporarily mute the UPS beeper",
        LOAD_OFF_DELAY: "Turn off the load possibly after a delay",
    }
)

VARIABLE_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "device.mfr": "Device manufacturer",
        "device.model": "Device model",
        "device.serial": "Device serial number (opaque string)",
        "device.type": "Device type (ups, pdu, scd, psu, ats)",
        "device.description": "Device description (opaque string)",
        "device.contact": "Device administrator name (opaque string)",
        "device.location": "Device physical location (opaque string)",
        "driver.name": "Driver name",
        "driver.version": "Driver version (NUT release)",
        "ups.status": "UPS status",
        "ups.alarm": "UPS alarms",
        "ups.mfr": "UPS manufacturer",
        "ups.model": "UPS model",
        "ups.serial": "UPS serial number (opaque string)",
        "ups.firmware": "UPS firmware (opaque string)",
        "ups.type": "UPS type (opaque string)",
        "ups.date": "Internal UPS clock date (opaque string)",
        "ups.time": "Internal UPS clock time (opaque string)",
        "ups.load": "Load on UPS (percent)",
        "ups.power": "Current value of apparent power (Volt-Amps)",
        "ups.power.nominal": "Nominal value of apparent power (Volt-Amps)",
        "ups.realpower": "Current value of real power (Watts)",
        "ups.realpower.nominal": "Nominal value of real power (Watts)",
        "ups.timer.shutdown": "Time before the load will be shutdown (seconds)",
        DELAY_SHUTDOWN: "Interval to wait after shutdown with delay command (seconds)",
        "ups.test.result": "Results of last self test (opaque string)",
        "battery.charge": "Battery charge (percent)",
        "battery.runtime": "Battery runtime (seconds)",
        "battery.voltage": "Battery voltage (V)",
        "battery.current": "Battery current (A)",
        "battery.temperature": "Battery temperature (degrees C)",
        "battery.capacity": "Battery capacity (Ah)",
        "battery.charger.status": "Status of the battery charger",
        "ambient.temperature": "Ambient temperature (degrees C)",
        "input.phases": "Input phases (3 for three-phase, absent or 1 for 1phase)",
        "input.voltage": "Input voltage (V)",
        "input.voltage.nominal": "Nominal input voltage (V)",
        "input.current": "Input current (A)",
        "input.frequency": "Input line frequency (Hz)",
        "input.frequency.nominal": "Nominal input line frequency (Hz)",
        "input.realpower": "Current value of real power (Watts)",
        "input.source": "Current input source",
        "input.source.preferred": "Preferred input source",
        "input.bypass.phases": "Bypass input phases",
        "input.bypass.voltage": "Bypass input voltage (V)",
        "input.bypass.current": "Bypass input current (A)",
        "input.bypass.frequency": "Bypass input frequency (Hz)",
        "input.bypass.realpower": "Bypass input real power (Watts)",
        "output.phases": "Output phases (3 for three-phase, absent or 1 for 1phase)",
        "output.voltage": "Output voltage (V)",
        "output.voltage.nominal": "Nominal output voltage (V)",
        "output.current": "Output current (A)",
        "output.frequency": "Output frequency (Hz)",
        "output.frequency.nominal": "Nominal output frequency (Hz)",
        "output.power": "Apparent power (VA)",
        "output.realpower": "Real power (W)",
        "output.powerfactor": "Power Factor (dimensionless value between 0.00 and 1.00)",
        "output.crestfactor": "Crest Factor (dimensionless value greater or equal to 1)",
    }
)
