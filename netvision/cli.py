"""Command line: ``netvision run | demo | sim | simctl | probe | config | agent``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from . import __version__

log = logging.getLogger("netvision")


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def to_jsonable(value: Any) -> Any:
    """Snapshots (dataclasses, enums, datetimes, mappings) as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_jsonable(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(to_jsonable(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    return value


# ---------------------------------------------------------------- commands


def _load(path: str | None):  # type: ignore[no-untyped-def]
    from .settings import Settings, load_settings

    return load_settings(path) if path else Settings()


def cmd_run(args: argparse.Namespace) -> int:
    from .daemon import Daemon
    from .settings import SettingsError

    try:
        settings = _load(args.config)
    except SettingsError as error:
        print(f"netvision: not starting, the settings are not valid:\n{error}", file=sys.stderr)
        return 2
    daemon = Daemon(settings, Path(args.config) if args.config else None)

    def started(running: Daemon) -> None:
        for line in running.addresses():
            log.info("serving: %s", line)

    asyncio.run(daemon.run_until_signal(started))
    return 0


DEMO_SETTINGS = Path(__file__).with_name("demo.toml")


def cmd_demo(args: argparse.Namespace) -> int:
    from .daemon import Daemon
    from .settings import SettingsError

    try:
        settings = _load(args.config or str(DEMO_SETTINGS))
    except SettingsError as error:
        print(f"netvision: not starting, the settings are not valid:\n{error}", file=sys.stderr)
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="netvision-demo-"))
    settings = settings.model_copy(update={"data_dir": str(data_dir)})
    daemon = Daemon(settings)

    def started(running: Daemon) -> None:
        print("netvision demo: a simulated UPS and the daemon are running.", flush=True)
        simulator = running.simulator
        if simulator is not None:
            print(f"  simulator  {simulator.device_path} (Modbus RTU, {simulator.slave.baud} baud, JBUSP map)")
        for line in running.addresses():
            print(f"  {line}")
        print(f"  data       {data_dir} (thrown away)")
        if simulator is not None and simulator.control is not None:
            scenarios = ", ".join(simulator.device.scenarios)
            print(f"Play a scenario on the simulated UPS ({scenarios}):")
            print(f"  netvision simctl {simulator.control_path} scenario mains_failure")
        for line in _snmp_write_note(running.settings):
            print(line)
        for line in _nut_note(running.settings):
            print(line)
        print("Press Ctrl+C to stop.", flush=True)

    try:
        asyncio.run(daemon.run_until_signal(started))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def _nut_note(settings: Any) -> list[str]:
    """How to read the UPS with a NUT client, and what upsmon needs first."""
    nut = settings.nut
    if not nut.enabled:
        return []
    host = "127.0.0.1" if nut.bind in ("0.0.0.0", "::", "") else nut.bind
    return [
        f"  NUT: upsc {nut.ups_name}@{host}:{nut.port} reads the UPS; for upsmon or a NAS, add a NUT user",
        "  on the web page \"NUT server\" (no user exists out of the box).",
    ]


def _snmp_write_note(settings: Any) -> list[str]:
    """How to turn SNMP write access on, when it is off (no write community, no v3 writer)."""
    snmp = settings.snmp
    if not snmp.enabled or snmp.write_community or any(user.write for user in snmp.usm_users):
        return []
    return [
        "  SNMP is read-only: no write community is set and no v3 user may write.",
        "  To allow SET (controls, agent restart), add a v3 user with write = true, or set a",
        "  write community of your own: [snmp] write_community = \"...\" (README: SNMP write access).",
    ]


def cmd_probe(args: argparse.Namespace) -> int:
    from .ups.link import LinkError
    from .ups.poller import Poller, PollerConfig

    config = PollerConfig(
        device=args.device,
        baud_rate=args.baud or 9600,
        auto_detect=args.baud is None,
        polling_rate=0,
    )
    poller = Poller(config)
    try:
        snapshot = asyncio.run(poller.probe())
    except LinkError as error:
        print(f"netvision probe: {error}", file=sys.stderr)
        return 1
    communication = snapshot.communication
    identity = snapshot.identity
    topology = snapshot.topology
    print(f"baud rate: {communication.baud_rate}", file=sys.stderr)
    print(f"map: {communication.map_name}", file=sys.stderr)
    if identity is not None:
        print(f"model: {identity.model}  serial number: {identity.serial_number}", file=sys.stderr)
    if topology is not None:
        print(f"topology: {topology.kind.value}  units: {list(topology.units)}", file=sys.stderr)
    print(json.dumps(to_jsonable(snapshot), indent=2, ensure_ascii=False))
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    from .settings import check_file

    problems = check_file(args.file)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    print(f"{args.file}: OK")
    return 0


def cmd_config_defaults(args: argparse.Namespace) -> int:
    from .settings import default_settings_toml

    sys.stdout.write(default_settings_toml())
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    from .sim import run_simulator

    try:
        asyncio.run(run_simulator(args))
    except KeyboardInterrupt:
        pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netvision", description="UPS network gateway for Socomec UPS and STS")
    parser.add_argument("--version", action="version", version=f"netvision {__version__}")
    parser.add_argument("--log-level", default="info", help="debug, info, warning, error")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the daemon")
    run.add_argument("--config", help="settings file (TOML); the manual's defaults if omitted")
    run.set_defaults(handler=cmd_run)

    demo = commands.add_parser("demo", help="run a simulated UPS and the daemon against it")
    demo.add_argument("--config", help="settings file instead of the demo's")
    demo.set_defaults(handler=cmd_demo)

    probe = commands.add_parser("probe", help="detect the UPS on a serial port and print one full snapshot")
    probe.add_argument("--device", required=True, help="serial port, e.g. /dev/ttyUSB0")
    probe.add_argument("--baud", type=int, choices=(2400, 9600, 19200, 57600), help="skip baud rate detection")
    probe.set_defaults(handler=cmd_probe)

    sim = commands.add_parser("sim", help="run the UPS/STS simulator (Modbus RTU slave)")
    from .sim import add_sim_arguments

    add_sim_arguments(sim)
    sim.set_defaults(handler=cmd_sim)

    commands.add_parser("simctl", help="send one command to a running simulator", add_help=False)
    # Parsed by netvision.agent alone (main() below): the agent must start without the daemon's modules.
    commands.add_parser(
        "agent", help="shut this server down when the gateway's UPS says so (NUT client)", add_help=False
    )

    config = commands.add_parser("config", help="settings files")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    check = config_commands.add_parser("check", help="validate a settings file")
    check.add_argument("file")
    check.set_defaults(handler=cmd_config_check)
    defaults = config_commands.add_parser("defaults", help="print every setting with its default")
    defaults.set_defaults(handler=cmd_config_defaults)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simctl"]:
        from .sim import sim_client_main

        return sim_client_main(argv[1:])
    if argv[:1] == ["agent"]:
        from .agent.main import main as agent_main

        return agent_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.log_level)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
