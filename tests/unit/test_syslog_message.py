"""RFC 5424 messages and RFC 6587 framing of the syslog service, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime

from netvision.events.bus import Severity
from netvision.events.catalog import make_event
from netvision.services.syslog.message import (
    BOM,
    escape_param,
    event_group,
    format_message,
    hostname,
    octet_counted,
    priority,
    selected,
    structured_data,
)

WHEN = datetime(2026, 1, 15, 12, 30, 5, 123456, tzinfo=UTC)


def test_priority_is_facility_times_eight_plus_severity() -> None:
    assert priority("local0", Severity.INFORMATION) == 16 * 8 + 6
    assert priority("local0", Severity.WARNING) == 16 * 8 + 4
    assert priority("local7", Severity.CRITICAL) == 23 * 8 + 2


def test_a_ups_event_is_one_rfc5424_line_with_bom_and_structured_data() -> None:
    event = make_event(
        "ups.alarm_added", time=WHEN, description="Operating on battery", severity=Severity.WARNING
    )
    message = format_message(event, host="ups-room", serial_number="SN123", time_zone="Europe/Paris")
    assert message == (
        b"<132>1 2026-01-15T13:30:05.123+01:00 ups-room netvision - UPS "
        b'[netvision@32473 id="ups.alarm_added" severity="warning" serial="SN123"] '
        + BOM
        + b"Operating on battery"
    )


def test_the_text_follows_the_language_and_is_utf8() -> None:
    event = make_event("nv.communication_lost", time=WHEN)
    message = format_message(event, host="h", language="fr")
    assert message.endswith(BOM + b"Perte de Communication")
    assert message.startswith(b"<130>1 2026-01-15T12:30:05.123+00:00 h netvision - NETVISION ")


def test_unit_and_acronym_are_in_the_structured_data() -> None:
    event = make_event(
        "ups.alarm_added", time=WHEN, unit=2, acronym="A12", description="x", severity=Severity.CRITICAL
    )
    message = format_message(event, host="h")
    assert (
        b'[netvision@32473 id="ups.alarm_added" severity="critical" serial="" unit="2" acronym="A12"]'
        in message
    )


def test_param_values_escape_quote_backslash_and_bracket() -> None:
    assert escape_param('a"b\\c]d') == 'a\\"b\\\\c\\]d'
    assert structured_data([("serial", 'S"N]')]) == '[netvision@32473 serial="S\\"N\\]"]'


def test_hostname_is_printable_ascii_without_spaces() -> None:
    assert hostname("Salle onduleur 2") == "Salle-onduleur-2"
    assert hostname("salle-é") == "salle--"
    assert hostname("", "machine") == "machine"
    assert hostname("", "") == "-"
    assert len(hostname("x" * 300)) == 255


def test_groups_of_the_syslog_filter() -> None:
    assert event_group(make_event("ups.connected")) == "ups"
    assert event_group(make_event("nv.setting_changed", key="k", via="web", by="admin")) == "netvision"
    assert event_group(make_event("nv.shutdown_request_sent")) == "service"
    assert event_group(make_event("nv.wol_sent")) == "service"
    assert event_group(make_event("trap.on_battery")) is None
    assert selected(make_event("ups.connected"), ["ups"])
    assert not selected(make_event("ups.connected"), ["netvision", "service"])
    assert not selected(make_event("trap.on_battery"), ["ups", "netvision", "service"])


def test_a_setting_change_says_who_and_from_where() -> None:
    event = make_event("nv.setting_changed", time=WHEN, key="snmp.port", via="web 10.0.0.9", by="admin")
    assert format_message(event, host="h").endswith(
        BOM + b"snmp.port has been changed via web 10.0.0.9 by admin"
    )


def test_octet_counting_prefixes_the_length_in_bytes() -> None:
    assert octet_counted(b"<14>1 - - - - - - \xc3\xa9") == b"20 <14>1 - - - - - - \xc3\xa9"
    message = format_message(make_event("ups.connected", time=WHEN), host="h")
    framed = octet_counted(message)
    length, _, rest = framed.partition(b" ")
    assert int(length) == len(rest) == len(message)
