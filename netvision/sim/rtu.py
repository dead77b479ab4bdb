"""The simulator's serial side: a Modbus RTU slave on a pseudo-terminal or a serial port.

It answers like the UPS's µC board does on the NET VISION serial link (EN §5, §6:
slave 1, no parity, 8 data bits, 1 stop bit): functions 0x03/0x04 read the
register tables, 0x06/0x10 write the control registers, anything else is
exception 0x01. Requests for another slave id are ignored, as a device on a
shared RS485 line must.

Faults (no answer, bad CRC, wrong slave id, exception, delay, baud change,
garbage) are injected here so that the poller's detection and recovery can be
tested over a real tty.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import random
import termios
import time
import tty
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pymodbus.framer.rtu import FramerRTU
from pymodbus.pdu import DecodePDU, ExceptionResponse, ModbusPDU
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersResponse,
    ReadInputRegistersResponse,
    WriteMultipleRegistersResponse,
    WriteSingleRegisterResponse,
)

from .device import ModbusError

ILLEGAL_FUNCTION = 0x01
ILLEGAL_ADDRESS = 0x02
ILLEGAL_VALUE = 0x03

# Modbus application protocol limits per request.
MAX_READ_COUNT = 125
MAX_WRITE_COUNT = 123

FAULT_KINDS: tuple[str, ...] = (
    "no_answer",
    "bad_crc",
    "wrong_slave",
    "exception",
    "delay",
    "baud",
    "garbage",
)

# Standard rates of the card's "Baud rate Setting" (EN §18.2) and the usual others.
BAUD_RATES: tuple[int, ...] = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)

WRONG_SLAVE_ID = 2
# Bytes of a previous request older than this are dropped: a real slave resynchronises
# on the 3.5-character silence; a pty or USB adapter delivers bytes in bursts, so the
# window is wider than the line's own.
STALE_INPUT_SECONDS = 0.1
MAX_BUFFER = 1024
TICK_SECONDS = 0.5


class RegisterDevice(Protocol):
    """What the slave serves: the simulated UPS (device.py)."""

    def read(self, address: int, count: int) -> list[int]: ...

    def write(self, address: int, values: Sequence[int]) -> None: ...

    def tick(self, seconds: float) -> None: ...


def termios_speed(baud: int) -> int:
    try:
        return int(getattr(termios, f"B{baud}"))
    except AttributeError:
        raise ValueError(f"unsupported baud rate {baud}") from None


def character_seconds(baud: int) -> float:
    # 1 start + 8 data + 1 stop bits (no parity, EN §6).
    return 10.0 / baud


def wire_seconds(request_bytes: int, response_bytes: int, baud: int) -> float:
    """Time a real link needs from the request's last byte to the reply's last byte.

    The request is on the wire while the pty delivers it at once, so its duration is
    counted too; each frame is followed by the 3.5-character silence of RTU framing.
    """
    return (request_bytes + 3.5 + response_bytes + 3.5) * character_seconds(baud)


@dataclass
class Fault:
    kind: str
    value: float | None = None
    remaining: int | None = None  # replies still affected; None = until cleared

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "remaining": self.remaining}


@dataclass
class SlaveCounters:
    requests: int = 0  # frames for this slave with a good CRC
    replies: int = 0  # frames written back
    ignored: int = 0  # frames for another slave id
    discarded_bytes: int = 0  # bytes received at a baud other than the slave's
    functions: Counter[int] = field(default_factory=Counter)
    exceptions: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "replies": self.replies,
            "ignored": self.ignored,
            "discarded_bytes": self.discarded_bytes,
            "functions": {f"0x{code:02X}": count for code, count in sorted(self.functions.items())},
            "exceptions": {f"0x{code:02X}": count for code, count in sorted(self.exceptions.items())},
            "faults": dict(self.faults),
        }


class RtuSlave:
    """Modbus RTU slave for one :class:`RegisterDevice`.

    ``open_pty()`` or ``open_serial()`` starts it; ``close()`` stops it. The
    device is ticked from the monotonic clock, scaled by ``time_scale``
    (0 freezes the simulated physics, e.g. to compare registers in tests).
    """

    def __init__(
        self,
        device: RegisterDevice,
        *,
        baud: int = 9600,
        slave_id: int = 1,
        wire_timing: bool = False,
        seed: int | None = None,
        time_scale: float = 1.0,
    ) -> None:
        termios_speed(baud)
        self.device = device
        self.configured_baud = baud
        self.baud = baud
        self.slave_id = slave_id
        self.wire_timing = wire_timing
        self.time_scale = time_scale
        self.counters = SlaveCounters()
        self.faults: dict[str, Fault] = {}
        self.path: str | None = None
        self.link: str | None = None
        self._random = random.Random(seed)
        self._framer = FramerRTU(DecodePDU(is_server=True))
        self._buffer = bytearray()
        self._last_input = 0.0
        self._master_fd: int | None = None
        self._slave_fd: int | None = None
        self._serial: Any = None
        self._read_fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._last_tick = time.monotonic()

    # -- lifecycle -----------------------------------------------------------------

    async def open_pty(self, link: str | None = None) -> str:
        """Create a pseudo-terminal; a client opens the returned slave path."""
        master_fd, slave_fd = os.openpty()
        # Raw line at the configured speed until the client sets its own.
        tty.setraw(slave_fd)
        attributes = termios.tcgetattr(slave_fd)
        attributes[4] = attributes[5] = termios_speed(self.baud)
        termios.tcsetattr(slave_fd, termios.TCSANOW, attributes)
        os.set_blocking(master_fd, False)
        self._master_fd = master_fd
        # Keeping a slave descriptor open stops the master from reporting EIO (and
        # waking the event loop in a busy loop) between two client sessions.
        self._slave_fd = slave_fd
        self.path = os.ttyname(slave_fd)
        if link:
            self._make_link(link, self.path)
        self._start(master_fd)
        return self.link or self.path

    async def open_serial(self, port: str) -> str:
        """Serve on a real serial port at the configured baud (no parity, EN §6)."""
        import serial  # pyserial, a dependency of pymodbus[serial]

        self._serial = serial.Serial(port, self.baud, bytesize=8, parity="N", stopbits=1, timeout=0)
        self.path = port
        self._start(self._serial.fileno())
        return port

    def _start(self, fd: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._read_fd = fd
        self._last_tick = time.monotonic()
        self._loop.add_reader(fd, self._on_readable)
        self._ticker = self._loop.create_task(self._tick_forever())

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        if self._loop is not None and self._read_fd is not None:
            self._loop.remove_reader(self._read_fd)
        self._read_fd = None
        if self._serial is not None:
            self._serial.close()
            self._serial = None
        for fd in (self._master_fd, self._slave_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master_fd = self._slave_fd = None
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                if os.path.islink(self.link):
                    os.unlink(self.link)
            self.link = None

    def _make_link(self, link: str, target: str) -> None:
        if os.path.islink(link):
            os.unlink(link)
        elif os.path.exists(link):
            raise FileExistsError(f"{link} exists and is not a symbolic link")
        os.symlink(target, link)
        self.link = link

    # -- simulated time ---------------------------------------------------------------

    def advance(self) -> None:
        """Move the device's physics to the present (monotonic clock × time_scale)."""
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if self.time_scale and elapsed > 0:
            self.device.tick(elapsed * self.time_scale)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            self.advance()

    # -- faults ----------------------------------------------------------------------

    def fault(self, kind: str, value: float | None = None, count: int | None = None) -> None:
        """Inject a fault until cleared, or for ``count`` replies.

        ``exception``: value = exception code (default 0x06 slave busy);
        ``delay``: value = extra seconds; ``baud``: value = the slave's new baud
        (the client must re-detect it); ``garbage``: value = number of bytes
        (default: the reply's length).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (one of {', '.join(FAULT_KINDS)})")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        if kind == "exception":
            value = int(value) if value is not None else 0x06
            if not 1 <= value <= 0xFF:
                raise ValueError("exception code must be 1..255")
        elif kind == "delay":
            value = float(value) if value is not None else 1.0
            if value < 0:
                raise ValueError("delay must be positive")
        elif kind == "baud":
            if value is None:
                raise ValueError("the baud fault needs the new baud rate as value")
            termios_speed(int(value))
            value = int(value)
            self._set_baud(value)
        elif kind == "garbage" and value is not None:
            value = int(value)
        self.faults[kind] = Fault(kind, value, count)

    def clear_fault(self, kind: str) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        self.faults.pop(kind, None)
        if kind == "baud":
            self._set_baud(self.configured_baud)

    def clear_faults(self) -> None:
        for kind in list(self.faults):
            self.clear_fault(kind)

    def _set_baud(self, baud: int) -> None:
        self.baud = baud
        if self._serial is not None:
            self._serial.baudrate = baud

    def _take(self, kind: str) -> Fault | None:
        """The active fault of this kind, counting one use of it."""
        fault = self.faults.get(kind)
        if fault is None:
            return None
        self.counters.faults[kind] += 1
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.clear_fault(kind)
        return fault

    # -- input -------------------------------------------------------------------------

    def _client_baud_matches(self) -> bool:
        if self._master_fd is None:
            return True  # a real port is opened at the slave's own baud
        try:
            speed = termios.tcgetattr(self._master_fd)[4]
        except termios.error:
            return True
        return bool(speed == termios_speed(self.baud))

    def _on_readable(self) -> None:
        try:
            if self._serial is not None:
                data = self._serial.read(self._serial.in_waiting or 1)
            else:
                assert self._master_fd is not None
                data = os.read(self._master_fd, 4096)
        except BlockingIOError:
            return
        except OSError as error:
            if error.errno == errno.EIO:
                return  # no client on the pty
            raise
        if data:
            self.receive(data, time.monotonic())

    def receive(self, data: bytes, arrival: float) -> None:
        """Bytes from the line; answers every complete request they finish."""
        if not self._client_baud_matches():
            # A UPS receiving at another speed sees noise and stays silent.
            self.counters.discarded_bytes += len(data)
            self._buffer.clear()
            return
        if self._buffer and arrival - self._last_input > STALE_INPUT_SECONDS + 3.5 * character_seconds(
            self.baud
        ):
            self._buffer.clear()
        self._last_input = arrival
        self._buffer += data
        if len(self._buffer) > MAX_BUFFER:
            del self._buffer[: len(self._buffer) - MAX_BUFFER]
        while self._buffer:
            request = self._next_frame()
            if request is None:
                return
            self._serve(request, arrival)

    def _next_frame(self) -> bytes | None:
        """One request frame (device id, PDU, CRC) from the buffer, or None for more bytes."""
        data = bytes(self._buffer)
        used, device_id, _, pdu = self._framer.decode(data)
        if used and pdu:
            # The framer consumes all it has seen (garbage around the frame included).
            del self._buffer[:used]
            frame = bytes((device_id,)) + pdu
            return frame + FramerRTU.compute_CRC(frame).to_bytes(2, "big")
        if used:
            del self._buffer[:used]
            return None
        # The framer only knows the standard function codes; a frame with a good CRC
        # and an unknown code must still get exception 0x01.
        if len(data) >= 4 and self._framer.decoder.lookupPduClass(data) is None:
            if FramerRTU.check_CRC(data[:-2], int.from_bytes(data[-2:], "big")):
                self._buffer.clear()
                return data
        return None

    # -- answering -------------------------------------------------------------------

    def _serve(self, frame: bytes, arrival: float) -> None:
        device_id = frame[0]
        if device_id != self.slave_id:
            self.counters.ignored += 1
            return
        self.counters.requests += 1
        function = frame[1]
        self.counters.functions[function] += 1
        self.advance()
        response = self.respond(frame)
        reply = self._apply_output_faults(response)
        if reply is None:
            return
        delay = 0.0
        if self.wire_timing:
            delay += wire_seconds(len(frame), len(reply), self.baud)
        if (extra := self._take("delay")) is not None:
            delay += float(extra.value or 0.0)
        self._schedule(reply, arrival + delay)

    def respond(self, frame: bytes) -> ModbusPDU:
        """The response PDU to one request frame (device id … CRC)."""
        function = frame[1]
        pdu = self._framer.decoder.decode(frame[1:-2]) if function in (0x03, 0x04, 0x06, 0x10) else None
        if pdu is None:
            return self._exception(function & 0x7F, ILLEGAL_FUNCTION)
        try:
            if function in (0x03, 0x04):
                if not 1 <= pdu.count <= MAX_READ_COUNT:
                    return self._exception(function, ILLEGAL_VALUE)
                if (fault := self._take("exception")) is not None:
                    return self._exception(function, int(fault.value or 0x06))
                registers = self.device.read(pdu.address, pdu.count)
                response_class = (
                    ReadHoldingRegistersResponse if function == 0x03 else ReadInputRegistersResponse
                )
                return response_class(registers=registers, dev_id=self.slave_id)
            if function == 0x06:
                value = pdu.registers[0]
                self.device.write(pdu.address, [value])
                return WriteSingleRegisterResponse(
                    address=pdu.address, registers=[value], dev_id=self.slave_id
                )
            # 0x10: the byte count must match the quantity.
            if not 1 <= pdu.count <= MAX_WRITE_COUNT or frame[6] != 2 * pdu.count:
                return self._exception(function, ILLEGAL_VALUE)
            self.device.write(pdu.address, pdu.registers)
            return WriteMultipleRegistersResponse(address=pdu.address, count=pdu.count, dev_id=self.slave_id)
        except ModbusError as error:
            return self._exception(function, error.code)

    def _exception(self, function: int, code: int) -> ModbusPDU:
        self.counters.exceptions[code] += 1
        return ExceptionResponse(function, code, device_id=self.slave_id)

    def _apply_output_faults(self, response: ModbusPDU) -> bytes | None:
        if self._take("no_answer") is not None:
            return None
        if self._take("wrong_slave") is not None:
            response.dev_id = WRONG_SLAVE_ID
        frame = bytearray(self._framer.buildFrame(response))
        if self._take("bad_crc") is not None:
            frame[-1] ^= 0xFF
        if (garbage := self._take("garbage")) is not None:
            length = int(garbage.value) if garbage.value else len(frame)
            frame = bytearray(self._random.randbytes(max(1, length)))
        if "baud" in self.faults:
            self._take("baud")
        return bytes(frame)

    def _schedule(self, reply: bytes, when_monotonic: float) -> None:
        assert self._loop is not None
        # loop.time() is monotonic too but on its own origin: convert.
        when = self._loop.time() + (when_monotonic - time.monotonic())
        if when <= self._loop.time():
            self._write(reply)
            return
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            if handle is not None:
                self._pending.discard(handle)
            self._write(reply)

        handle = self._loop.call_at(when, fire)
        self._pending.add(handle)

    def _write(self, reply: bytes) -> None:
        try:
            if self._serial is not None:
                self._serial.write(reply)
            elif self._master_fd is not None:
                os.write(self._master_fd, reply)
            else:
                return
        except (BlockingIOError, OSError):
            return  # nobody reading the line: the reply is lost, as on a cable
        self.counters.replies += 1

    # -- inspection ---------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "link": self.link,
            "baud": self.baud,
            "configured_baud": self.configured_baud,
            "slave_id": self.slave_id,
            "wire_timing": self.wire_timing,
            "faults": [fault.as_dict() for fault in self.faults.values()],
            "counters": self.counters.as_dict(),
        }
