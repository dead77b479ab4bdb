"""MBAP framing and request parsing of the Modbus TCP server (EN App. "MODBUS TCP ACCESS")."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netvision.services.modbus_tcp.frames import (
    ExceptionCode,
    FramingError,
    ReadRequest,
    encode_adu,
    exception_pdu,
    parse_header,
    parse_read,
    read_response_pdu,
)


def test_header_gives_transaction_unit_and_pdu_length() -> None:
    header = parse_header(struct.pack(">HHHB", 0x1234, 0, 6, 7))
    assert (header.transaction, header.protocol, header.unit, header.pdu_bytes) == (0x1234, 0, 7, 5)


@pytest.mark.parametrize("length", [0, 1, 255, 0xFFFF])
def test_header_with_impossible_length_is_a_framing_error(length: int) -> None:
    with pytest.raises(FramingError, match="MBAP length"):
        parse_header(struct.pack(">HHHB", 1, 0, length, 1))


def test_read_holding_and_input_registers_are_parsed() -> None:
    assert parse_read(struct.pack(">BHH", 3, 0x1060, 48)) == ReadRequest(3, 0x1060, 48)
    assert parse_read(struct.pack(">BHH", 4, 0x0030, 1)) == ReadRequest(4, 0x0030, 1)


@pytest.mark.parametrize(
    "pdu",
    [
        struct.pack(">BHH", 6, 0x1020, 1),  # write single register
        struct.pack(">BHHB2H", 0x10, 0x1020, 2, 4, 1, 2),  # write multiple registers
        struct.pack(">BHH", 5, 0, 0xFF00),  # write single coil
        struct.pack(">BHHBB", 0x0F, 0, 8, 1, 0xFF),  # write multiple coils
        struct.pack(">BHHH", 0x16, 0, 0xFFFF, 0),  # mask write
        bytes([0x17, 0, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0]),  # read/write multiple
        bytes([0x01, 0, 0, 0, 8]),  # read coils
        bytes([0x2B, 0x0E, 1, 0]),  # device identification
        bytes([0x83]),  # an exception code sent as a request
    ],
)
def test_every_function_but_reads_is_illegal_function(pdu: bytes) -> None:
    assert parse_read(pdu) is ExceptionCode.ILLEGAL_FUNCTION


@pytest.mark.parametrize(
    "pdu",
    [
        bytes([3, 0x10, 0x60]),  # truncated
        struct.pack(">BHHB", 3, 0x1060, 1, 0),  # trailing byte
        struct.pack(">BHH", 3, 0x1060, 0),  # zero words
        struct.pack(">BHH", 3, 0x1060, 126),  # more than 125 words
    ],
)
def test_malformed_read_is_illegal_data_value(pdu: bytes) -> None:
    assert parse_read(pdu) is ExceptionCode.ILLEGAL_DATA_VALUE


def test_read_past_the_last_address_is_illegal_data_address() -> None:
    assert parse_read(struct.pack(">BHH", 3, 0xFFFF, 2)) is ExceptionCode.ILLEGAL_DATA_ADDRESS


def test_responses_are_encoded_with_mbap_header() -> None:
    pdu = read_response_pdu(3, [0x0102, 0xFFFF])
    assert pdu == bytes([3, 4, 1, 2, 0xFF, 0xFF])
    assert encode_adu(9, 1, pdu) == bytes([0, 9, 0, 0, 0, 7, 1]) + pdu
    assert exception_pdu(6, ExceptionCode.ILLEGAL_FUNCTION) == bytes([0x86, 1])
    assert exception_pdu(4, ExceptionCode.GATEWAY_TARGET_FAILED) == bytes([0x84, 0x0B])


# -- property-based: any bytes from the network ---------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(min_size=7, max_size=7))
def test_any_header_decodes_or_is_a_framing_error(data: bytes) -> None:
    try:
        header = parse_header(data)
    except FramingError:
        return
    assert 1 <= header.pdu_bytes <= 253
    assert encode_adu(header.transaction, header.unit, b"\x00" * header.pdu_bytes)[:7][:2] == data[:2]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.binary(min_size=1, max_size=253))
def test_any_pdu_is_a_read_request_or_an_exception_code(pdu: bytes) -> None:
    result = parse_read(pdu)
    if isinstance(result, ReadRequest):
        assert result.function in (3, 4) and 1 <= result.count <= 125
        assert result.address + result.count <= 0x10000
        response = read_response_pdu(result.function, [0] * result.count)
        assert len(response) == 2 + 2 * result.count
    else:
        assert isinstance(result, ExceptionCode)
        assert exception_pdu(pdu[0], result)[0] == (pdu[0] | 0x80) & 0xFF
