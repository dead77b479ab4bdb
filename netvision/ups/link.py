"""The Modbus RTU master link: one serial port, one request at a time.

Wraps pymodbus' async RTU client with the settings a UPS poller needs: a
per-request timeout computed from the wire time plus the manual's extra serial
timeout (§18.2), no automatic reconnection or port closing by the library
(the poller decides), and counters of requests, bytes, timeouts, CRC errors,
wrong-slave replies and exception replies.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pymodbus import FramerType
from pymodbus.client import AsyncModbusSerialClient
from pymodbus.exceptions import ModbusException
from pymodbus.framer.rtu import FramerRTU

log = logging.getLogger("netvision.link")
# pymodbus logs every timeout at error level; the poller reports them itself.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

READ_REQUEST_BYTES = 8  # slave, function, address (2), count (2), CRC (2)
WRITE_REQUEST_BYTES = 8
WRITE_RESPONSE_BYTES = 8
# Scheduling and USB-adapter latency on top of the wire time and the manual's
# serial timeout, so that a loaded host does not turn a late reply into a loss.
HOST_MARGIN_SECONDS = 0.1


def read_response_bytes(count: int) -> int:
    return 5 + 2 * count  # slave, function, byte count, data, CRC


def wire_seconds(byte_count: int, baud_rate: int) -> float:
    """Time of ``byte_count`` bytes on the wire: 10 bits each (8N1)."""
    return byte_count * 10 / baud_rate


def frame_gap_seconds(baud_rate: int) -> float:
    """The 3.5-character silence that ends an RTU frame."""
    return 3.5 * 10 / baud_rate


def exchange_wire_seconds(request_bytes: int, response_bytes: int, baud_rate: int) -> float:
    """Wire minimum of one request/response exchange, gaps included."""
    return wire_seconds(request_bytes + response_bytes, baud_rate) + 2 * frame_gap_seconds(baud_rate)


class LinkError(Exception):
    """A request that got no usable answer. ``kind``: timeout, crc, wrong_slave, exception, io."""

    def __init__(self, kind: str, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


@dataclass
class LinkCounters:
    requests: int = 0
    attempts: int = 0
    errors: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    wrong_slave: int = 0
    exceptions: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    frames: int = 0  # frames on the wire, both directions
    wire_seconds: float = 0.0  # wire minimum of the frames exchanged


class ModbusLink:
    def __init__(
        self,
        device: str,
        baud_rate: int,
        slave_id: int = 1,
        retries: int = 1,
        serial_timeout: float = 0.1,
        counters: LinkCounters | None = None,
    ) -> None:
        self.device = device
        self.baud_rate = baud_rate
        self.slave_id = slave_id
        self.retries = retries
        self.serial_timeout = serial_timeout
        self.counters = counters or LinkCounters()
        self._received = bytearray()
        self._client: AsyncModbusSerialClient | None = None

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if sending:
            self.counters.attempts += 1
            self.counters.bytes_sent += len(data)
            self.counters.frames += 1
            self._received.clear()
        else:
            self.counters.bytes_received += len(data)
            self._received += data
        return data

    async def open(self) -> None:
        self._client = AsyncModbusSerialClient(
            self.device,
            framer=FramerType.RTU,
            baudrate=self.baud_rate,
            bytesize=8,
            parity="N",
            stopbits=1,
            timeout=1.0,
            retries=self.retries,
            reconnect_delay=0,
            trace_packet=self._trace,
            name="ups",
        )
        if not await self._client.connect():
            self._client.close()
            self._client = None
            raise LinkError("io", f"cannot open {self.device}")
        # The poller decides when the UPS is lost; pymodbus must never close the port itself.
        self._client.set_max_no_responses(1 << 30)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def is_open(self) -> bool:
        return self._client is not None and self._client.connected

    def _classify_silence(self) -> LinkError:
        data = bytes(self._received)
        if not data:
            self.counters.timeouts += 1
            return LinkError("timeout", "no answer from the UPS")
        if data[0] != self.slave_id:
            self.counters.wrong_slave += 1
            return LinkError("wrong_slave", f"answer from slave {data[0]} instead of {self.slave_id}")
        if len(data) >= 4 and FramerRTU.compute_CRC(data[:-2]) != int.from_bytes(data[-2:], "big"):
            self.counters.crc_errors += 1
            return LinkError("crc", "answer with a bad CRC")
        self.counters.timeouts += 1
        return LinkError("timeout", f"incomplete answer ({len(data)} bytes)")

    async def _execute(self, call, request_bytes: int, response_bytes: int):  # type: ignore[no-untyped-def]
        if self._client is None:
            raise LinkError("io", "link is not open")
        self.counters.requests += 1
        exchange = exchange_wire_seconds(request_bytes, response_bytes, self.baud_rate)
        self._client.comm_params.timeout_connect = exchange + self.serial_timeout + HOST_MARGIN_SECONDS
        try:
            response = await call()
        except ModbusException as error:
            self.counters.errors += 1
            if self._client is None or not self._client.connected:
                raise LinkError("io", str(error)) from error
            raise self._classify_silence() from error
        except OSError as error:
            self.counters.errors += 1
            raise LinkError("io", str(error)) from error
        self.counters.frames += 1
        if response.isError():
            self.counters.errors += 1
            self.counters.exceptions += 1
            code = getattr(response, "exception_code", None)
            self.counters.wire_seconds += exchange_wire_seconds(request_bytes, 5, self.baud_rate)
            raise LinkError("exception", f"exception reply {code:#04x}" if code else "exception reply", code)
        self.counters.wire_seconds += exchange
        return response

    async def read(self, address: int, count: int) -> tuple[int, ...]:
        assert self._client is not None
        client = self._client
        response = await self._execute(
            lambda: client.read_holding_registers(address, count=count, device_id=self.slave_id),
            READ_REQUEST_BYTES,
            read_response_bytes(count),
        )
        registers = tuple(response.registers)
        if len(registers) != count:
            self.counters.errors += 1
            raise LinkError("io", f"asked {count} registers at {address:#06x}, got {len(registers)}")
        return registers

    async def write(self, address: int, value: int) -> None:
        assert self._client is not None
        client = self._client
        await self._execute(
            lambda: client.write_register(address, value, device_id=self.slave_id),
            WRITE_REQUEST_BYTES,
            WRITE_RESPONSE_BYTES,
        )
