"""``netvision agent``'s pure parts: NUT requests and replies, upsmon's shutdown rules,
settings, and the promise that the agent starts without the daemon's modules."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netvision.agent import actions
from netvision.agent.config import (
    PASSWORD_ENV,
    AgentConfig,
    ConfigError,
    build_config,
    default_shutdown_command,
    parse,
)
from netvision.agent.decision import CRITICAL, Watch, critical_reason, format_duration
from netvision.agent.protocol import (
    ListReader,
    NutError,
    ProtocolError,
    decode_line,
    parse_ok,
    parse_status,
    parse_timer,
    parse_var,
    quote,
    request,
    split_words,
)

# ---------------------------------------------------------------- requests


def test_words_are_quoted_only_when_they_must_be() -> None:
    assert quote("ups.status") == "ups.status"
    assert quote("two words") == '"two words"'
    assert quote("") == '""'
    assert quote('say "hi"\\') == '"say \\"hi\\"\\\\"'


def test_a_request_cannot_smuggle_a_second_line() -> None:
    with pytest.raises(ValueError):
        quote("secret\nFSD ups")
    with pytest.raises(ValueError):
        request("PASSWORD", "x" * 600)


def test_request_line() -> None:
    assert request("GET", "VAR", "ups", "ups.status") == b"GET VAR ups ups.status\n"
    assert request("PASSWORD", "pass word") == b'PASSWORD "pass word"\n'


# ---------------------------------------------------------------- replies


def test_split_words_reads_quotes_and_escapes() -> None:
    assert split_words('VAR ups ups.status "OB LB"') == ["VAR", "ups", "ups.status", "OB LB"]
    assert split_words(r'VAR ups device.description "a \"big\" one \\ here"') == [
        "VAR",
        "ups",
        "device.description",
        'a "big" one \\ here',
    ]
    assert split_words('VAR ups ups.alarm ""') == ["VAR", "ups", "ups.alarm", ""]
    with pytest.raises(ProtocolError):
        split_words('VAR ups ups.status "OL')


def test_var_reply_is_checked_against_the_question() -> None:
    assert parse_var('VAR ups ups.status "FSD OL"', "ups", "ups.status") == "FSD OL"
    with pytest.raises(ProtocolError):
        parse_var('VAR other ups.status "OL"', "ups", "ups.status")
    with pytest.raises(ProtocolError):
        parse_var("OK", "ups", "ups.status")


def test_err_replies_carry_their_word() -> None:
    with pytest.raises(NutError) as stale:
        parse_var("ERR DATA-STALE", "ups", "ups.status")
    assert stale.value.word == "DATA-STALE" and stale.value.no_data
    with pytest.raises(NutError) as denied:
        parse_ok("ERR ACCESS-DENIED some detail")
    assert denied.value.word == "ACCESS-DENIED" and denied.value.extra == "some detail"
    assert not denied.value.no_data
    assert parse_ok("OK") == "" and parse_ok("OK Goodbye") == "Goodbye"
    with pytest.raises(ProtocolError):
        parse_ok("NOPE")


def test_reply_lines_are_bounded() -> None:
    assert decode_line(b"OK\r\n") == "OK"
    with pytest.raises(ProtocolError):
        decode_line(b"VAR " + b"x" * 600 + b"\n")
    with pytest.raises(ProtocolError):
        decode_line(b"VAR ups ups.sta")  # cut by a closed connection


def test_list_block() -> None:
    reader = ListReader("UPS")
    lines = ["BEGIN LIST UPS", 'UPS ups "Main UPS"', 'UPS sts "STS"', "END LIST UPS"]
    assert [reader.feed(line) for line in lines] == [False, False, False, True]
    assert reader.items == [("ups", "Main UPS"), ("sts", "STS")]
    with pytest.raises(NutError):
        ListReader("VAR", "ups").feed("ERR UNKNOWN-UPS")
    with pytest.raises(ProtocolError):
        ListReader("VAR", "ups").feed("BEGIN LIST UPS")
    reader = ListReader("VAR", "ups")
    reader.feed("BEGIN LIST VAR ups")
    with pytest.raises(ProtocolError):
        reader.feed("OK")


# ---------------------------------------------------------------- ups.status


def test_status_tokens() -> None:
    status = parse_status("FSD  OB LB NEWTOKEN")
    assert status.forced_shutdown and status.on_battery and status.low_battery and not status.on_line
    assert "NEWTOKEN" in status.tokens  # unknown tokens are tolerated
    assert status.describe() == "FSD OB LB NEWTOKEN (forced shutdown, on battery, low battery, NEWTOKEN)"
    assert parse_status("WAIT").waiting and not parse_status("OL").waiting


def test_timer_values() -> None:
    assert parse_timer("95") == 95
    assert parse_timer("30.0") == 30
    assert parse_timer("-1") is None
    assert parse_timer("nan") is None
    assert parse_timer("soon") is None


@pytest.mark.parametrize(
    ("text", "critical"),
    [
        ("OL", False),
        ("OB", False),
        ("OL LB", False),
        ("OB LB", True),
        ("FSD OL", True),
        ("OB DISCHRG LB", True),
    ],
)
def test_critical_states_follow_upsmon(text: str, critical: bool) -> None:
    assert (critical_reason(parse_status(text)) is not None) is critical


# ---------------------------------------------------------------- the watch


def kinds(notices: list) -> list[str]:
    return [notice.kind for notice in notices]


def test_on_battery_alone_never_shuts_down_low_battery_does() -> None:
    watch = Watch(deadtime=15)
    assert kinds(watch.answered(0, parse_status("OL"))) == ["status"]
    assert watch.answered(1, parse_status("OL")) == []
    onbatt = watch.answered(2, parse_status("OB DISCHRG"))
    assert kinds(onbatt) == ["status"] and onbatt[0].notify
    for second in range(3, 600):
        assert watch.answered(second, parse_status("OB DISCHRG")) == []
    notices = watch.answered(600, parse_status("OB DISCHRG LB"))
    assert kinds(notices) == ["status", "shutdown"] and notices[1].level == CRITICAL
    assert watch.shutdown_reason is not None
    assert watch.answered(601, parse_status("OL")) == []  # decided: nothing undoes it


def test_fsd_overrides_on_line() -> None:
    watch = Watch()
    watch.answered(0, parse_status("OL"))
    watch.answered(1, parse_status("FSD OL"))
    assert watch.shutdown_reason == "the gateway forced a shutdown (FSD)"


def test_lost_communication_counts_only_while_on_battery() -> None:
    watch = Watch(deadtime=15)
    watch.answered(0, parse_status("OL"))
    lost = watch.no_answer(1, "ERR DATA-STALE")
    assert kinds(lost) == ["comm_lost"] and not lost[0].notify
    assert watch.no_answer(100, "ERR DATA-STALE") == []
    assert watch.shutdown_reason is None
    assert kinds(watch.answered(101, parse_status("OL"))) == ["comm_ok"]

    watch.answered(102, parse_status("OB"))
    assert kinds(watch.no_answer(103, "no reply")) == ["comm_lost"]
    assert watch.no_answer(116.9, "no reply") == []  # deadtime counts from the last answer (102)
    assert kinds(watch.no_answer(117, "no reply")) == ["shutdown"]
    assert "while it was on battery (no reply)" in (watch.shutdown_reason or "")


def test_nothing_known_yet_is_not_an_alarm() -> None:
    watch = Watch(deadtime=2)
    first = watch.answered(0, parse_status("WAIT"))
    assert kinds(first) == ["comm_lost"] and first[0].level == "info" and "yet" in first[0].message
    assert watch.no_answer(50, "cannot connect") == []
    assert kinds(watch.answered(51, parse_status("OL"))) == ["status"]  # no "restored"


def test_warning_period_is_shown_with_its_countdown() -> None:
    watch = Watch(warning_log_every=10, warning_notify_every=60)
    watch.answered(0, parse_status("OL"), None)
    first = watch.answered(1, parse_status("OB"), 120)
    assert kinds(first) == ["status", "warning"] and first[1].notify
    assert "shuts down in 2 min unless mains return" in first[1].message
    assert watch.answered(5, parse_status("OB"), 116) == []
    again = watch.answered(11, parse_status("OB"), 110)
    assert kinds(again) == ["warning"] and not again[0].notify and "1 min 50 s" in again[0].message
    later = watch.answered(61, parse_status("OB"), 60)
    assert later[0].notify
    over = watch.answered(62, parse_status("OL"), None)
    assert kinds(over) == ["status", "warning_over"]
    assert watch.answered(63, parse_status("OL"), None) == []


def test_durations() -> None:
    assert format_duration(5) == "5 s"
    assert format_duration(60) == "1 min"
    assert format_duration(95) == "1 min 35 s"


# ---------------------------------------------------------------- settings


def config_of(*argv: str, environ: dict[str, str] | None = None) -> tuple[AgentConfig, list[str]]:
    return build_config(parse(argv), environ or {})


def test_defaults_follow_upsmon_and_the_system() -> None:
    config, warnings = config_of("--host", "gw")
    assert (config.port, config.ups, config.poll, config.deadtime, config.script_timeout) == (
        3493,
        "ups",
        2.0,
        15.0,
        60.0,
    )
    assert warnings == [] and not config.tls
    assert default_shutdown_command("linux") == ["shutdown", "-h", "now"]
    assert default_shutdown_command("win32") == ["shutdown", "/s", "/t", "0"]


def test_password_sources(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\nignored\n")
    config, _ = config_of("--host", "gw", "--username", "mon", "--password-file", str(secret))
    assert config.password == "from-file"
    config, warnings = config_of("--host", "gw", "--username", "mon", environ={PASSWORD_ENV: "from-env"})
    assert config.password == "from-env" and warnings == []
    config, warnings = config_of("--host", "gw", "--username", "mon", "--password", "visible")
    assert config.password == "visible" and "visible to every user" in warnings[0]
    assert "visible" not in repr(config)
    with pytest.raises(ConfigError, match="password is needed"):
        config_of("--host", "gw", "--username", "mon")


def test_settings_file_and_command_line(tmp_path: Path) -> None:
    settings = tmp_path / "agent.toml"
    settings.write_text(
        'host = "10.0.0.5"\nusername = "monuser"\npassword = "secret"\npoll = 5\n'
        'shutdown-command = ["systemctl", "poweroff"]\nscript_timeout = 30\n'
    )
    settings.chmod(0o644)
    config, warnings = config_of("--config", str(settings), "--poll", "1")
    assert config.host == "10.0.0.5" and config.password == "secret" and config.poll == 1.0
    assert config.shutdown_command == ("systemctl", "poweroff") and config.script_timeout == 30.0
    if os.name != "nt":
        assert any("chmod 600" in warning for warning in warnings)
    settings.write_text('host = "gw"\npasword = "typo"\n')
    with pytest.raises(ConfigError, match="unknown keys pasword"):
        config_of("--config", str(settings))
    settings.write_text('host = "gw"\nport = "3493"\n')
    with pytest.raises(ConfigError, match="port must be a whole number"):
        config_of("--config", str(settings))


def test_bad_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no gateway"):
        config_of()
    with pytest.raises(ConfigError, match="poll"):
        config_of("--host", "gw", "--poll", "10")
    with pytest.raises(ConfigError, match="deadtime"):
        config_of("--host", "gw", "--poll", "5", "--deadtime", "6")
    with pytest.raises(ConfigError, match="not found"):
        config_of("--host", "gw", "--script", str(tmp_path / "missing.sh"))


def test_ca_or_insecure_imply_tls(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert config_of("--host", "gw", "--ca", str(ca))[0].tls
    config, warnings = config_of("--host", "gw", "--insecure")
    assert config.tls and "not verified" in warnings[0]


def test_shutdown_command_string_is_split() -> None:
    config, _ = config_of("--host", "gw", "--shutdown-command", "sudo /sbin/shutdown -h '+0'")
    assert config.shutdown_command == ("sudo", "/sbin/shutdown", "-h", "+0")


def test_desktop_notification_where_one_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions.shutil, "which", lambda name: None)
    assert actions.notification_command("t", "m", "linux") is None
    assert actions.notification_command("t", "m", "darwin") is None
    monkeypatch.setattr(actions.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert actions.notification_command("UPS", "on battery", "linux") == [
        "/usr/bin/notify-send",
        "--app-name=netvision",
        "UPS",
        "on battery",
    ]
    mac = actions.notification_command("UPS", 'say "hi"', "darwin")
    assert mac == ["/usr/bin/osascript", "-e", 'display notification "say \\"hi\\"" with title "UPS"']
    assert actions.notification_command("UPS", "m", "win32") is None


def test_the_agent_starts_without_the_daemons_modules() -> None:
    code = (
        "import sys\n"
        "from netvision.cli import main\n"
        "try:\n    main(['agent', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'pysnmp', 'bacpypes3', 'aiohttp', 'pymodbus', 'pydantic', 'serial', 'jinja2', 'cryptography'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert output.strip().splitlines()[-1] == "[]"


def test_cli_lists_the_agent() -> None:
    from netvision.cli import build_parser

    parser = build_parser()
    sub = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    assert "agent" in sub.choices


async def test_a_notification_command_is_run_and_bounded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown = tmp_path / "shown"
    monkeypatch.setattr(
        actions,
        "notification_command",
        lambda title, message: ["sh", "-c", f'echo "$0: $1" > {shown}', title, message],
    )
    await actions.notify("UPS ups@gw", "on battery")
    assert shown.read_text() == "UPS ups@gw: on battery\n"
    monkeypatch.setattr(actions, "NOTIFY_TIMEOUT", 0.2)
    monkeypatch.setattr(actions, "notification_command", lambda title, message: ["sleep", "30"])
    await asyncio.wait_for(actions.notify("t", "m"), 5)  # killed, not waited for
    monkeypatch.setattr(actions, "notification_command", lambda title, message: ["/nonexistent/notify"])
    await actions.notify("t", "m")  # never fails
