"""UPS/STS simulator: a Modbus RTU slave on a pseudo-terminal serving one map.

``netvision sim`` answers on a serial line as a Socomec UPS (JBUSP or VU-MAP
map) or STATYS STS would (EN §6, §7.3; FR §7.5): slave 1, no parity, the
map's tables computed from a simulated power path, scenarios, controls with
permissions, and injectable line faults for the poller's tests::

    sim = Simulator(map_name="vumap", topology="parallel", units=4, seed=1)
    await sim.start()        # sim.device_path is the tty a client opens
    sim.device.scenario("mains_failure")
    sim.slave.fault("no_answer", count=3)
    await sim.stop()
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from .control import ControlServer, sim_client_main
from .device import STS_SCENARIOS, TOPOLOGIES, UPS_SCENARIOS, ModbusError, SimulatedDevice
from .rtu import BAUD_RATES, FAULT_KINDS, RtuSlave

log = logging.getLogger(__name__)

EMBEDDED_CONTROL_SOCKET = "simulator.sock"
MAX_UNIX_PATH = 108  # sun_path of struct sockaddr_un (Linux), the final NUL included

__all__ = [
    "FAULT_KINDS",
    "ModbusError",
    "RtuSlave",
    "SimulatedDevice",
    "Simulator",
    "add_sim_arguments",
    "run_simulator",
    "sim_client_main",
]


class Simulator:
    """A simulated device, its RTU slave and (optionally) its control socket."""

    def __init__(
        self,
        map_name: str = "jbusp",
        *,
        model: str | int | None = None,
        topology: str = "three_phase",
        units: int = 2,
        modules: int = 4,
        bypass: str = "distributed",
        nominal_kva: float | None = None,
        baud: int = 9600,
        wire_timing: bool = False,
        link: str | None = None,
        control_path: str | None = None,
        serial_port: str | None = None,
        seed: int = 0,
        discharge_speed: float = 1.0,
        measure_factor: int = 1,
        time_scale: float = 1.0,
        scenario: str | None = None,
    ) -> None:
        self.device = SimulatedDevice(
            map_name,
            model,
            topology,
            units=units,
            modules=modules,
            bypass=bypass,
            nominal_kva=nominal_kva,
            seed=seed,
            discharge_speed=discharge_speed,
            measure_factor=measure_factor,
        )
        if scenario:
            self.device.scenario(scenario)
        self.slave = RtuSlave(
            self.device, baud=baud, wire_timing=wire_timing, seed=seed, time_scale=time_scale
        )
        self.link = link
        self.control_path = control_path
        self.serial_port = serial_port
        self.control: ControlServer | None = None
        self.device_path: str | None = None

    @classmethod
    def embedded(cls, data_dir: str | os.PathLike[str], baud: int = 9600) -> Simulator:
        """The daemon's embedded UPS (``serial.device = "simulator"``, ``netvision demo``):
        a JBUSP three-phase UPS with its control socket ``simulator.sock`` in the data
        directory, so that ``netvision simctl`` plays scenarios against it. A directory
        too deep for a Unix socket path gets no control socket."""
        path = os.path.join(os.fspath(data_dir), EMBEDDED_CONTROL_SOCKET)
        control: str | None = path
        if len(os.fsencode(path)) >= MAX_UNIX_PATH:
            log.warning("no simulator control socket: %s is too long for a Unix socket", path)
            control = None
        return cls(map_name="jbusp", topology="three_phase", baud=baud, control_path=control)

    async def start(self) -> str:
        """Open the pty (or the serial port) and the control socket; returns the device path."""
        if self.serial_port:
            self.device_path = await self.slave.open_serial(self.serial_port)
        else:
            await self.slave.open_pty(self.link)
            self.device_path = self.slave.path
        if self.control_path:
            self.control = ControlServer(self, self.control_path)
            try:
                await self.control.start()
            except OSError:
                await self.slave.close()
                raise
        assert self.device_path is not None
        return self.device_path

    async def stop(self) -> None:
        if self.control is not None:
            await self.control.stop()
            self.control = None
        await self.slave.close()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()

    def describe(self) -> str:
        device = self.device
        topology = device.topology
        rating = f"{device.nominal_kva:g} kVA"
        if topology == "parallel":
            topology += f" ({device.units} units, {device.bypass} bypass)"
            rating = f"{device.units} × {rating}"
        elif topology == "modular":
            topology += f" ({device.modules} modules)"
        return f"{device.map.title} {device.model_name}, {topology}, {rating}, slave 1 at {self.slave.baud} baud 8N1"


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``netvision sim``."""
    parser.add_argument("--map", dest="map_name", choices=("jbusp", "vumap", "sts"), default="jbusp")
    parser.add_argument("--model", help="range/model name or type code (JBUSP 0x1000, VU-MAP T015)")
    parser.add_argument("--topology", choices=TOPOLOGIES, default="three_phase")
    parser.add_argument("--units", type=int, default=2, help="units of a parallel system")
    parser.add_argument("--modules", type=int, default=4, help="modules of a modular unit")
    parser.add_argument("--bypass", choices=("distributed", "centralized"), default="distributed")
    parser.add_argument("--nominal-kva", type=float, default=None)
    parser.add_argument("--baud", type=int, choices=BAUD_RATES, default=9600)
    parser.add_argument("--wire-timing", action="store_true", help="reply when a real link would")
    parser.add_argument("--device", default=None, help="serve on this serial port instead of a pty")
    parser.add_argument("--link", default=None, help="symbolic link to the pty (e.g. /tmp/ups)")
    parser.add_argument("--control", default=None, help="Unix socket for `netvision simctl`")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", choices=sorted(set(UPS_SCENARIOS) | set(STS_SCENARIOS)), default=None)
    parser.add_argument(
        "--discharge-speed", type=float, default=1.0, help="battery discharge/charge speed factor"
    )
    parser.add_argument("--measure-factor", type=int, choices=(0, 1), default=1, help="VU-MAP T014")
    parser.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per real second")


def simulator_from_arguments(args: argparse.Namespace) -> Simulator:
    return Simulator(
        args.map_name,
        model=args.model,
        topology=args.topology,
        units=args.units,
        modules=args.modules,
        bypass=args.bypass,
        nominal_kva=args.nominal_kva,
        baud=args.baud,
        wire_timing=args.wire_timing,
        link=args.link,
        control_path=args.control,
        serial_port=args.device,
        seed=args.seed,
        discharge_speed=args.discharge_speed,
        measure_factor=args.measure_factor,
        time_scale=args.time_scale,
        scenario=args.scenario,
    )


async def run_simulator(args: argparse.Namespace) -> None:
    """``netvision sim``: serve until SIGINT/SIGTERM; prints the device path first."""
    sim = simulator_from_arguments(args)
    path = await sim.start()
    # The path alone on stdout, so that a script can read it; the rest on stderr.
    print(path, flush=True)
    details = sim.describe()
    if sim.slave.link:
        details += f"; link {sim.slave.link}"
    if sim.control_path:
        details += f"; control socket {sim.control_path}"
    print(f"netvision sim: {details}", file=sys.stderr, flush=True)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(number, stopped.set)
            handled.append(number)
    try:
        await stopped.wait()
    finally:
        for number in handled:
            loop.remove_signal_handler(number)
        await sim.stop()
