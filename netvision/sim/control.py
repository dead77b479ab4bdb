"""Local control interface of the simulator: JSON lines over a Unix socket.

One request per line, one answer per line::

    {"cmd": "scenario", "name": "mains_failure"}      -> {"ok": true, ...}
    {"cmd": "alarm", "acronym": "A02", "on": true}
    {"cmd": "status", "acronym": "S07", "on": true, "unit": 2}
    {"cmd": "fault", "kind": "no_answer", "count": 3}
    {"cmd": "clear_faults"}                            (or {"kind": "delay"})
    {"cmd": "permission", "control": "eco_mode_on", "allowed": false}
    {"cmd": "state"}
    {"cmd": "registers", "address": 4192, "count": 48, "unit": 1}
    {"cmd": "tick", "seconds": 60}
    {"cmd": "slave"}                                   (faults and counters)

A bad line gets ``{"ok": false, "error": "..."}`` and the connection stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from netvision.ups.maps.base import unit_address

from .device import ModbusError

if TYPE_CHECKING:
    from . import Simulator

MAX_LINE = 64 * 1024

Handler = Callable[["Simulator", dict[str, Any]], dict[str, Any]]


class CommandError(ValueError):
    pass


def _require(request: dict[str, Any], name: str) -> Any:
    if name not in request:
        raise CommandError(f"missing {name!r}")
    return request[name]


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise CommandError(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            pass
    raise CommandError(f"{name} must be an integer")


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "on", "yes", "1", "false", "off", "no", "0"):
        return value.lower() in ("true", "on", "yes", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise CommandError(f"{name} must be true or false")


def _optional_unit(request: dict[str, Any]) -> int | None:
    return _int(request["unit"], "unit") if request.get("unit") is not None else None


def _scenario(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    name = _require(request, "name")
    options = {key: value for key, value in request.items() if key in ("discharge_speed", "result", "load")}
    sim.slave.advance()
    sim.device.scenario(str(name), **options)
    return {"scenario": name}


def _alarm(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    acronym = str(_require(request, "acronym"))
    on = _bool(request.get("on", True), "on")
    sim.device.alarm(acronym, on, _optional_unit(request))
    return {"acronym": acronym, "on": on}


def _status(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    acronym = str(_require(request, "acronym"))
    on = _bool(request.get("on", True), "on")
    sim.device.status(acronym, on, _optional_unit(request))
    return {"acronym": acronym, "on": on}


def _fault(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    kind = str(_require(request, "kind"))
    value = request.get("value")
    if isinstance(value, str):
        try:
            value = int(value, 0) if value.lower().startswith("0x") else float(value)
        except ValueError:
            raise CommandError("value must be a number") from None
    elif value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise CommandError("value must be a number")
    count = _int(request["count"], "count") if request.get("count") is not None else None
    sim.slave.fault(kind, value, count)
    return {"faults": [fault.as_dict() for fault in sim.slave.faults.values()]}


def _clear_faults(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    if request.get("kind"):
        sim.slave.clear_fault(str(request["kind"]))
    else:
        sim.slave.clear_faults()
    return {"faults": [fault.as_dict() for fault in sim.slave.faults.values()]}


def _permission(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    control = str(request.get("control", "all"))
    allowed = _bool(_require(request, "allowed"), "allowed")
    sim.device.permissions(control, allowed)
    return {"permissions": {"remote": sim.device.remote_permitted, **sim.device.permitted}}


def _state(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    sim.slave.advance()
    return {"state": sim.device.state(), "slave": sim.slave.status()}


def _registers(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    address = _int(_require(request, "address"), "address")
    count = _int(request.get("count", 1), "count")
    if not 1 <= count <= 0x1000:
        raise CommandError("count must be 1..4096")
    unit = _optional_unit(request)
    if unit is not None:
        address = unit_address(address, unit)
    sim.slave.advance()
    try:
        words = sim.device.read(address, count)
    except ModbusError as error:
        raise CommandError(f"exception 0x{error.code:02X}: {error}") from None
    return {"address": address, "count": count, "registers": words}


def _tick(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    seconds = float(_require(request, "seconds"))
    if seconds < 0:
        raise CommandError("seconds must be positive")
    sim.device.tick(seconds)
    return {"sim_seconds": sim.device.sim_seconds}


def _slave(sim: Simulator, request: dict[str, Any]) -> dict[str, Any]:
    return {"slave": sim.slave.status()}


COMMANDS: dict[str, Handler] = {
    "scenario": _scenario,
    "alarm": _alarm,
    "status": _status,
    "fault": _fault,
    "clear_faults": _clear_faults,
    "permission": _permission,
    "state": _state,
    "registers": _registers,
    "tick": _tick,
    "slave": _slave,
}


def handle_line(sim: Simulator, line: bytes | str) -> dict[str, Any]:
    """One JSON request → one JSON-ready answer; never raises."""
    try:
        request = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return {"ok": False, "error": f"bad JSON: {error}"}
    if not isinstance(request, dict):
        return {"ok": False, "error": "a request is a JSON object"}
    command = request.get("cmd")
    handler = COMMANDS.get(str(command))
    if handler is None:
        return {"ok": False, "error": f"unknown command {command!r} (one of {', '.join(COMMANDS)})"}
    try:
        return {"ok": True, **handler(sim, request)}
    except (CommandError, ModbusError, ValueError, KeyError, TypeError) as error:
        return {"ok": False, "error": str(error)}


class ControlServer:
    """Serves :func:`handle_line` on a Unix socket."""

    def __init__(self, sim: Simulator, path: str) -> None:
        self.sim = sim
        self.path = path
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            if os.path.exists(self.path) and not os.path.isdir(self.path):
                os.unlink(self.path)  # a socket left by a previous run
        self._server = await asyncio.start_unix_server(self._serve, path=self.path, limit=MAX_LINE)
        # The socket drives the simulated UPS: keep it to its owner.
        os.chmod(self.path, 0o600)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._clients):
                task.cancel()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._clients.add(task)
        try:
            while True:
                try:
                    line = await reader.readline()
                except (asyncio.LimitOverrunError, ValueError):
                    writer.write(b'{"ok": false, "error": "line too long"}\n')
                    break
                if not line:
                    break
                if not line.strip():
                    continue
                answer = handle_line(self.sim, line)
                writer.write(json.dumps(answer).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self._clients.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


# -- netvision simctl ---------------------------------------------------------------------

# Positional arguments of each command, in order: `simctl SOCK alarm A02 on`.
POSITIONAL: dict[str, tuple[str, ...]] = {
    "scenario": ("name",),
    "alarm": ("acronym", "on", "unit"),
    "status": ("acronym", "on", "unit"),
    "fault": ("kind", "value"),
    "clear_faults": ("kind",),
    "permission": ("control", "allowed"),
    "state": (),
    "registers": ("address", "count", "unit"),
    "tick": ("seconds",),
    "slave": (),
}


def _argument_value(text: str) -> Any:
    if text.lower() in ("true", "on", "yes"):
        return True
    if text.lower() in ("false", "off", "no"):
        return False
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def build_request(command: str, arguments: Sequence[str]) -> dict[str, Any]:
    """``["A02", "on", "unit=2"]`` for ``alarm`` → ``{"cmd": "alarm", "acronym": "A02", ...}``."""
    request: dict[str, Any] = {"cmd": command}
    names = list(POSITIONAL.get(command, ()))
    for argument in arguments:
        if "=" in argument:
            key, _, text = argument.partition("=")
            request[key] = _argument_value(text)
        elif names:
            request[names.pop(0)] = _argument_value(argument)
        else:
            raise CommandError(f"unexpected argument {argument!r} for {command}")
    # Names and acronyms stay strings even when they look like numbers.
    for key in ("name", "acronym", "kind", "control"):
        if key in request:
            request[key] = str(request[key])
    return request


def send_request(path: str, request: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        client.connect(path)
        client.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = client.recv(65536)
            if not chunk:
                break
            data += chunk
    answer = json.loads(data)
    if not isinstance(answer, dict):
        raise CommandError("unexpected answer")
    return answer


def sim_client_main(argv: Sequence[str] | None = None) -> int:
    """``netvision simctl SOCKET COMMAND [ARGS…]``: send one command, print the answer."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="netvision simctl",
        description="Drive a running simulator through its control socket.",
        epilog="commands: "
        + "; ".join(f"{name} {' '.join(args)}".strip() for name, args in POSITIONAL.items())
        + ". Extra options as key=value (e.g. fault delay 0.5 count=3).",
    )
    parser.add_argument("socket", help="the simulator's --control path")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("arguments", nargs="*")
    options = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        request = build_request(options.command, options.arguments)
        answer = send_request(options.socket, request)
    except (OSError, CommandError, json.JSONDecodeError) as error:
        print(f"simctl: {error}", file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=2))
    return 0 if answer.get("ok") else 1
