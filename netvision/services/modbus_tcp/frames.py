"""Modbus TCP framing: the MBAP header and the few PDUs the server speaks.

Pure functions, no I/O. The manual's card "follows IDA frame format" (EN App.
"MODBUS TCP ACCESS"): a 7-byte MBAP header (transaction, protocol 0, length,
unit identifier) followed by the PDU. Only function 0x03 and 0x04 reads are
answered; every other function gets exception 0x01.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

HEADER_BYTES = 7
# The MBAP length counts the unit identifier and the PDU; a PDU is 1–253 bytes.
MIN_LENGTH = 2
MAX_LENGTH = 254
MAX_READ_COUNT = 125  # Modbus application protocol, functions 0x03/0x04
READ_FUNCTIONS = frozenset({0x03, 0x04})
_HEADER = struct.Struct(">HHHB")
_READ = struct.Struct(">BHH")


class ExceptionCode(enum.IntEnum):
    ILLEGAL_FUNCTION = 0x01
    ILLEGAL_DATA_ADDRESS = 0x02
    ILLEGAL_DATA_VALUE = 0x03
    SERVER_DEVICE_FAILURE = 0x04
    GATEWAY_TARGET_FAILED = 0x0B  # "gateway target device failed to respond" (MTC §16)


class FramingError(Exception):
    """A header whose length cannot be right: the byte stream cannot be resynchronised."""


@dataclass(frozen=True)
class Header:
    transaction: int
    protocol: int
    length: int
    unit: int

    @property
    def pdu_bytes(self) -> int:
        return self.length - 1


def parse_header(data: bytes) -> Header:
    """Decode the 7 header bytes; raises :class:`FramingError` on an impossible length."""
    transaction, protocol, length, unit = _HEADER.unpack(data)
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise FramingError(f"MBAP length {length} outside {MIN_LENGTH}..{MAX_LENGTH}")
    return Header(transaction, protocol, length, unit)


def encode_adu(transaction: int, unit: int, pdu: bytes) -> bytes:
    return _HEADER.pack(transaction, 0, len(pdu) + 1, unit) + pdu


def exception_pdu(function: int, code: int) -> bytes:
    return bytes(((function | 0x80) & 0xFF, code))


def read_response_pdu(function: int, words: tuple[int, ...] | list[int]) -> bytes:
    return struct.pack(f">BB{len(words)}H", function, 2 * len(words), *words)


@dataclass(frozen=True)
class ReadRequest:
    function: int
    address: int
    count: int


def parse_read(pdu: bytes) -> ReadRequest | ExceptionCode:
    """A 0x03/0x04 request, or the exception code its PDU deserves."""
    function = pdu[0]
    if function not in READ_FUNCTIONS:
        # Writes (0x05, 0x06, 0x0F, 0x10, 0x16, 0x17) and everything else: read-only
        # table (EN App. "MODBUS TCP ACCESS": "write functions 0x06 and 0x10 are not allowed").
        return ExceptionCode.ILLEGAL_FUNCTION
    if len(pdu) != _READ.size:
        return ExceptionCode.ILLEGAL_DATA_VALUE
    _, address, count = _READ.unpack(pdu)
    if not 1 <= count <= MAX_READ_COUNT:
        return ExceptionCode.ILLEGAL_DATA_VALUE
    if address + count > 0x10000:
        return ExceptionCode.ILLEGAL_DATA_ADDRESS
    return ReadRequest(function, address, count)
