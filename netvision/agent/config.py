"""The agent's settings: command line, optional TOML file, password sources.

The command line wins over the file, the file over the defaults. The password
comes from ``--password-file``, the environment variable NETVISION_AGENT_PASSWORD
or the file's ``password_file``/``password`` keys; ``--password`` works but is
visible to every user of the machine (ps), so it is warned about.
"""

from __future__ import annotations

import argparse
import os
import shlex
import stat
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PASSWORD_ENV = "NETVISION_AGENT_PASSWORD"
DEFAULT_PORT = 3493
MAX_POLL = 5.0  # upsmon's POLLFREQ default: no need to ask more rarely
MIN_POLL = 0.1
MAX_SECRET_FILE = 4096


class ConfigError(Exception):
    """A setting the agent cannot work with; the message says which and why."""


def default_shutdown_command(platform: str = sys.platform) -> list[str]:
    if platform.startswith("win"):
        return ["shutdown", "/s", "/t", "0"]
    return ["shutdown", "-h", "now"]


@dataclass(frozen=True)
class AgentConfig:
    host: str
    port: int = DEFAULT_PORT
    ups: str = "ups"
    username: str = ""
    password: str = field(default="", repr=False)
    tls: bool = False
    ca: str = ""
    insecure: bool = False
    poll: float = 2.0
    deadtime: float = 15.0
    script: str = ""
    script_timeout: float = 60.0
    shutdown_command: tuple[str, ...] = tuple(default_shutdown_command())
    dry_run: bool = False


# key: (type, help). The same keys in the TOML file, with "_" (or "-").
KEYS: dict[str, tuple[type, str]] = {
    "host": (str, "the gateway's address (its NUT server)"),
    "port": (int, f"the NUT server's TCP port (default {DEFAULT_PORT})"),
    "ups": (str, 'the UPS name on the gateway (default "ups")'),
    "username": (str, "NUT user created on the gateway (rights: monitor)"),
    "password_file": (str, "file whose first line is the NUT user's password"),
    "tls": (bool, "require STARTTLS before sending the user and password"),
    "ca": (str, "CA certificate file (PEM) that signed the gateway's certificate; implies --tls"),
    "insecure": (bool, "with TLS, accept any server certificate (not verified); implies --tls"),
    "poll": (float, f"seconds between two status polls (default 2, at most {MAX_POLL:g})"),
    "deadtime": (float, "seconds without news while on battery before shutting down (default 15)"),
    "script": (str, "program run before shutting down (e.g. to stop applications cleanly)"),
    "script_timeout": (float, "seconds the pre-shutdown program may run before it is killed (default 60)"),
    "shutdown_command": (
        str,
        "command that shuts this machine down (default: shutdown -h now; on Windows shutdown /s /t 0)",
    ),
    "dry_run": (bool, "print what would be run instead of shutting down"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``netvision agent`` options; every default is None so the file can fill it."""
    parser.add_argument("--config", help="settings file (TOML) with the same keys as the options")
    parser.add_argument("--log-level", default="info", help="debug, info, warning, error")
    for key, (kind, text) in KEYS.items():
        option = "--" + key.replace("_", "-")
        if kind is bool:
            parser.add_argument(option, action="store_true", default=None, help=text)
        else:
            parser.add_argument(option, type=kind, default=None, help=text)
        if key == "username":
            parser.add_argument("--user", dest="username", type=str, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--password",
        default=None,
        help=f"the password itself: visible to other users, prefer --password-file or {PASSWORD_ENV}",
    )


def read_secret_file(path: str) -> str:
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_SECRET_FILE + 1)
    except OSError as error:
        raise ConfigError(f"cannot read the password file {path}: {error.strerror}") from error
    if len(data) > MAX_SECRET_FILE:
        raise ConfigError(f"the password file {path} is too large")
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[0] if lines else ""


def load_file(path: str) -> tuple[dict[str, Any], list[str]]:
    """The TOML file's keys (``-`` read as ``_``), and warnings about it."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error
    values = {str(key).replace("-", "_"): value for key, value in data.items()}
    unknown = sorted(set(values) - set(KEYS) - {"password"})
    if unknown:
        raise ConfigError(f"{path}: unknown keys {', '.join(unknown)}")
    warnings = []
    if "password" in values and _readable_by_others(path):
        warnings.append(f"{path} holds a password and other users can read it: chmod 600 {path}")
    return values, warnings


def _readable_by_others(path: str) -> bool:
    if os.name == "nt":
        return False
    try:
        return bool(os.stat(path).st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False


TYPE_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def _typed(key: str, value: Any, source: str) -> Any:
    kind = KEYS[key][0] if key in KEYS else str
    if key == "shutdown_command" and isinstance(value, list):
        if not value or not all(isinstance(word, str) for word in value):
            raise ConfigError(f"{source}: shutdown_command must be a string or a list of strings")
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{source}: {key} must be {TYPE_WORDS.get(kind, kind.__name__)}")
    return value


def split_command(command: str, platform: str = sys.platform) -> tuple[str, ...]:
    words = shlex.split(command, posix=not platform.startswith("win"))
    if not words:
        raise ConfigError("the shutdown command is empty")
    return tuple(words)


def build_config(
    args: argparse.Namespace, environ: Mapping[str, str] = os.environ
) -> tuple[AgentConfig, list[str]]:
    """The settings from the parsed command line, the file it names and the environment."""
    warnings: list[str] = []
    values: dict[str, Any] = {}
    source = "settings"
    if args.config:
        file_values, file_warnings = load_file(args.config)
        warnings += file_warnings
        source = args.config
        values.update({key: _typed(key, value, source) for key, value in file_values.items()})
    for key in KEYS:
        given = getattr(args, key, None)
        if given is not None:
            values[key] = given

    password = ""
    if args.password is not None:
        warnings.append(
            f"--password is visible to every user of this machine; use --password-file or {PASSWORD_ENV}"
        )
        password = args.password
    elif args.password_file is not None:
        password = read_secret_file(args.password_file)
    elif environ.get(PASSWORD_ENV):
        password = environ[PASSWORD_ENV]
    elif values.get("password_file"):
        password = read_secret_file(str(values["password_file"]))
    elif values.get("password"):
        password = str(values["password"])
    values.pop("password_file", None)
    values.pop("password", None)

    command = values.pop("shutdown_command", None)
    if isinstance(command, str):
        command = split_command(command)
    if command is not None:
        values["shutdown_command"] = command

    config = AgentConfig(password=password, **values) if "host" in values else None
    if config is None:
        raise ConfigError('no gateway given: --host ADDRESS (or host = "..." in the settings file)')
    if config.ca or config.insecure:
        config = replace(config, tls=True)
    check(config)
    if config.username and not config.password:
        raise ConfigError(
            f"a password is needed for the NUT user {config.username}: --password-file or {PASSWORD_ENV}"
        )
    if config.insecure:
        warnings.append("--insecure: the gateway's certificate is not verified")
    return config, warnings


def check(config: AgentConfig) -> None:
    if not config.host.strip():
        raise ConfigError("the gateway's address is empty")
    if not 0 < config.port < 65536:
        raise ConfigError(f"port {config.port} is not a TCP port")
    if not config.ups or any(char.isspace() for char in config.ups):
        raise ConfigError(f"{config.ups!r} is not a UPS name")
    if not MIN_POLL <= config.poll <= MAX_POLL:
        raise ConfigError(f"poll must be between {MIN_POLL:g} and {MAX_POLL:g} seconds")
    if config.deadtime < 2 * config.poll:
        raise ConfigError("deadtime must be at least twice the poll interval")
    if not 0 < config.script_timeout <= 3600:
        raise ConfigError("script_timeout must be between 0 and 3600 seconds")
    if config.ca and not Path(config.ca).is_file():
        raise ConfigError(f"CA file {config.ca} not found")
    if config.script and not Path(config.script).is_file():
        raise ConfigError(f"pre-shutdown program {config.script} not found")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="netvision agent",
        description=(
            "Shut this machine down when the gateway's UPS says so: NUT secondary client "
            "(FSD, on battery with a low battery, or no news while on battery)."
        ),
    )
    add_arguments(parser)
    return parser.parse_args(list(argv))
