"""A fast path for community (v1/v2c) GET, GETNEXT and GETBULK requests.

pysnmp spends ~0.5 ms per message in pyasn1 decoding and encoding (scripts/
bench_snmp.py), a tenth of what a small board can afford for NMS polling. The
read requests NMSs and NUT send are a tiny subset of BER: this module decodes
exactly that subset, answers from the same :class:`OidTree` with each varbind's
encoding cached, and returns ``None`` for everything else (SNMPv3, SET, an
unknown community, anything it does not fully understand), which then goes to
pysnmp unchanged. Malformed input never raises out of :func:`answer`.

:func:`screen` runs first, on every datagram, before either decoder does any
work: a message larger than one Ethernet frame's UDP payload, or holding an
OID beyond SNMP's limits (128 sub-identifiers of 32 bits, RFC 2578 §3.5), is
dropped. Both checks are one linear pass, so a 60 KB datagram costs no more
than reading it once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyasn1.codec.ber import encoder

from .tree import Oid, OidTree

GET, GETNEXT, RESPONSE, GETBULK = 0xA0, 0xA1, 0xA2, 0xA5
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = b"\x80\x00", b"\x81\x00", b"\x82\x00"
NO_SUCH_NAME, TOO_BIG = 2, 1
MAX_RESPONSE = 65000  # below the UDP maximum; a GETBULK answer is cut to fit
MAX_BULK_VARBINDS = 1000
# 1500-byte Ethernet MTU - 20 (IPv4 header) - 8 (UDP header): a request that needs IP
# fragmentation is not one an NMS sends (RFC 3417 §3.2 asks agents to accept 484 octets).
MAX_REQUEST = 1472
MAX_OID_ARCS = 128  # RFC 2578 §3.5: at most 128 sub-identifiers...
MAX_ARC = 0xFFFFFFFF  # ...each at most 2^32-1
_CONSTRUCTED = frozenset({0x30, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8})


class Malformed(Exception):
    pass


def _length(data: bytes, position: int) -> tuple[int, int]:
    first = data[position]
    position += 1
    if first < 0x80:
        return first, position
    count = first & 0x7F
    if count == 0 or count > 3:
        raise Malformed("length form not used by SNMP managers")
    return int.from_bytes(data[position : position + count], "big"), position + count


def _tlv(data: bytes, position: int, end: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the element at ``position``."""
    if position + 2 > end:
        raise Malformed("truncated")
    tag = data[position]
    length, start = _length(data, position + 1)
    stop = start + length
    if stop > end:
        raise Malformed("length beyond the datagram")
    return tag, start, stop


def _integer(data: bytes, position: int, end: int) -> tuple[int, int]:
    tag, start, stop = _tlv(data, position, end)
    if tag != 0x02 or stop == start or stop - start > 8:
        raise Malformed("integer expected")
    return int.from_bytes(data[start:stop], "big", signed=True), stop


def decode_oid(body: bytes) -> Oid:
    if not body:
        raise Malformed("empty OID")
    if len(body) > MAX_OID_ARCS * 5:
        raise Malformed("OID too long")
    arcs: list[int] = []
    value = 0
    width = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        width += 1
        if width > 5:  # five 7-bit groups hold 32 bits: stop before the integer grows
            raise Malformed("OID sub-identifier beyond 32 bits")
        if not byte & 0x80:
            arcs.append(value)
            value = 0
            width = 0
    if body[-1] & 0x80:
        raise Malformed("unterminated OID arc")
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    oid = (*head, *arcs[1:])
    if len(oid) > MAX_OID_ARCS or max(oid[1:]) > MAX_ARC:
        raise Malformed("OID beyond 128 sub-identifiers of 32 bits")
    return oid


def screen(data: bytes) -> str | None:
    """Why ``data`` must be dropped before any decoding, or None.

    One pass over the BER structure: every OID inside a SEQUENCE or a PDU is
    checked against the limits; OCTET STRINGs (v3 security parameters and the
    encrypted PDU) are not opened. Structures this pass cannot follow are left
    to the decoders, which reject them cheaply now that the size is bounded.
    """
    if len(data) > MAX_REQUEST:
        return f"message of {len(data)} bytes (more than {MAX_REQUEST})"
    stack = [(0, len(data))]
    try:
        while stack:
            position, end = stack.pop()
            while position < end:
                tag, start, stop = _tlv(data, position, end)
                if tag in _CONSTRUCTED:
                    stack.append((stop, end))
                    position, end = start, stop
                    continue
                if tag == 0x06:
                    decode_oid(data[start:stop])
                position = stop
    except Malformed as error:
        if "OID" in str(error):
            return str(error)
        return None
    except IndexError:
        return None
    return None


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _encode_length(len(body)) + body


def encode_integer(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def encode_oid(oid: Oid) -> bytes:
    body = bytearray((oid[0] * 40 + oid[1],)) if len(oid) > 1 else bytearray((oid[0] * 40,))
    for arc in oid[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


class EncodedTree:
    """Varbind encodings of one tree, computed on first use."""

    def __init__(self, tree: OidTree) -> None:
        self.tree = tree
        self._cache: dict[Oid, bytes] = {}

    def varbind(self, oid: Oid, value: Any) -> bytes:
        if callable(value):  # live values (sysUpTime…) are encoded each time
            return tlv(0x30, encode_oid(oid) + encoder.encode(value()))
        cached = self._cache.get(oid)
        if cached is None:
            cached = tlv(0x30, encode_oid(oid) + encoder.encode(value))
            self._cache[oid] = cached
        return cached


def _request_varbinds(data: bytes, position: int, end: int) -> list[tuple[Oid, bytes]]:
    tag, start, stop = _tlv(data, position, end)
    if tag != 0x30:
        raise Malformed("varbind list expected")
    result = []
    position = start
    while position < stop:
        tag, vb_start, vb_stop = _tlv(data, position, stop)
        if tag != 0x30:
            raise Malformed("varbind expected")
        tag, oid_start, oid_stop = _tlv(data, vb_start, vb_stop)
        if tag != 0x06:
            raise Malformed("OID expected")
        result.append((decode_oid(data[oid_start:oid_stop]), data[position:vb_stop]))
        position = vb_stop
    return result


def answer(
    datagram: bytes,
    communities: frozenset[bytes],
    versions: frozenset[int],
    encoded: Callable[[], EncodedTree],
) -> bytes | None:
    """The response to a community GET/GETNEXT/GETBULK, or None to let pysnmp handle it."""
    try:
        return _answer(datagram, communities, versions, encoded)
    except (Malformed, IndexError, ValueError):
        return None  # pysnmp decodes it again and drops it, counting snmpInASNParseErrs


def _answer(
    data: bytes, communities: frozenset[bytes], versions: frozenset[int], encoded: Callable[[], EncodedTree]
) -> bytes | None:
    end = len(data)
    if end > MAX_REQUEST:
        return None
    tag, start, stop = _tlv(data, 0, end)
    if tag != 0x30 or stop != end:
        return None
    version, position = _integer(data, start, stop)
    if version not in versions:
        return None  # SNMPv3 and versions not accepted go to pysnmp (dropped there)
    tag, c_start, c_stop = _tlv(data, position, stop)
    if tag != 0x04 or data[c_start:c_stop] not in communities:
        return None
    community = data[c_start:c_stop]
    pdu_type, p_start, p_stop = _tlv(data, c_stop, stop)
    if pdu_type not in (GET, GETNEXT, GETBULK) or (pdu_type == GETBULK and version == 0):
        return None
    request_id, position = _integer(data, p_start, p_stop)
    first, position = _integer(data, position, p_stop)
    second, position = _integer(data, position, p_stop)
    requested = _request_varbinds(data, position, p_stop)
    tree = encoded()
    error_status = error_index = 0
    out: list[bytes] = []
    if pdu_type == GET:
        for index, (oid, _raw) in enumerate(requested, start=1):
            value = tree.tree.get(oid)
            if value is not None:
                out.append(tree.varbind(oid, value))
            elif version == 0:
                error_status, error_index = NO_SUCH_NAME, index
                break
            else:
                out.append(tlv(0x30, encode_oid(oid) + NO_SUCH_INSTANCE))
    elif pdu_type == GETNEXT:
        for index, (oid, _raw) in enumerate(requested, start=1):
            found = tree.tree.next(oid)
            if found is not None:
                out.append(tree.varbind(*found))
            elif version == 0:
                error_status, error_index = NO_SUCH_NAME, index
                break
            else:
                out.append(tlv(0x30, encode_oid(oid) + END_OF_MIB_VIEW))
    else:
        out = _bulk(tree, requested, max(0, first), max(0, second))
    if error_status:
        out = [raw for _oid, raw in requested]  # v1: the request's varbinds come back (RFC 1157)
    body = b"".join(out)
    pdu = tlv(RESPONSE, encode_integer(request_id) + encode_integer(error_status) + encode_integer(error_index)
              + tlv(0x30, body))
    message = tlv(0x30, encode_integer(version) + tlv(0x04, community) + pdu)
    if len(message) > MAX_RESPONSE:
        if pdu_type == GETBULK:
            return None  # unreachable in practice (_bulk stops before); let pysnmp answer
        pdu = tlv(RESPONSE, encode_integer(request_id) + encode_integer(TOO_BIG) + encode_integer(0) + tlv(0x30, b""))
        message = tlv(0x30, encode_integer(version) + tlv(0x04, community) + pdu)
    return message


def _bulk(tree: EncodedTree, requested: list[tuple[Oid, bytes]], non_repeaters: int, repetitions: int) -> list[bytes]:
    """RFC 3416 §4.2.3, stopping when the answer would be too big."""
    out: list[bytes] = []
    size = 0
    non_repeaters = min(non_repeaters, len(requested))
    for oid, _raw in requested[:non_repeaters]:
        found = tree.tree.next(oid)
        encoded = tree.varbind(*found) if found else tlv(0x30, encode_oid(oid) + END_OF_MIB_VIEW)
        out.append(encoded)
        size += len(encoded)
    cursors = [oid for oid, _raw in requested[non_repeaters:]]
    if not cursors:
        return out
    repetitions = min(repetitions, MAX_BULK_VARBINDS // len(cursors))
    for _ in range(repetitions):
        ended = 0
        for index, oid in enumerate(cursors):
            found = tree.tree.next(oid)
            if found is None:
                encoded = tlv(0x30, encode_oid(oid) + END_OF_MIB_VIEW)
                ended += 1
            else:
                cursors[index] = found[0]
                encoded = tree.varbind(*found)
            if size + len(encoded) > MAX_RESPONSE - 200:
                return out
            out.append(encoded)
            size += len(encoded)
        if ended == len(cursors):
            break
    return out
