"""The community read fast path: what it answers, and what it leaves to pysnmp."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api
from pysnmp.proto.rfc1902 import Integer32, OctetString

from netvision.services.snmp.fastpath import (
    EncodedTree,
    Malformed,
    answer,
    decode_oid,
    encode_integer,
    encode_oid,
    screen,
    tlv,
)
from netvision.services.snmp.tree import OidTree

NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
CHARGE = (1, 3, 6, 1, 2, 1, 33, 1, 2, 4, 0)
TREE = EncodedTree(OidTree([(NAME, OctetString(b"Socomec")), (CHARGE, Integer32(87))]))
COMMUNITIES = frozenset({b"public"})


def request(version: int, pdu_kind: str, *oids: tuple[int, ...], community: str = "public", **bulk: int) -> bytes:
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_1 if version == 0 else api.SNMP_VERSION_2C]
    pdu = getattr(module, pdu_kind)()
    module.apiPDU.set_defaults(pdu)
    if pdu_kind == "GetBulkRequestPDU":
        module.apiBulkPDU.set_non_repeaters(pdu, bulk.get("non_repeaters", 0))
        module.apiBulkPDU.set_max_repetitions(pdu, bulk.get("repetitions", 10))
    module.apiPDU.set_request_id(pdu, 4242)
    module.apiPDU.set_varbinds(pdu, [(oid, module.Null("")) for oid in oids])
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def response(data: bytes, version: int) -> tuple[int, int, list[tuple[tuple[int, ...], object]]]:
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_1 if version == 0 else api.SNMP_VERSION_2C]
    message, rest = decoder.decode(data, asn1Spec=module.Message())
    assert rest == b""
    pdu = module.apiMessage.get_pdu(message)
    assert int(module.apiPDU.get_request_id(pdu)) == 4242
    varbinds = [(tuple(oid), value) for oid, value in module.apiPDU.get_varbinds(pdu)]
    return int(module.apiPDU.get_error_status(pdu)), int(module.apiPDU.get_error_index(pdu)), varbinds


def ask(data: bytes, versions: frozenset[int] = frozenset({0, 1})) -> bytes | None:
    return answer(data, COMMUNITIES, versions, lambda: TREE)


def test_oid_codec_round_trip_with_large_arcs() -> None:
    oid = (1, 3, 6, 1, 4, 1, 4555, 1, 1, 7, 1, 2, 3, 0, 2**31)
    assert decode_oid(encode_oid(oid)[2:]) == oid


def test_v2c_get_and_getnext_answer_like_an_agent() -> None:
    status, _index, varbinds = response(ask(request(1, "GetRequestPDU", NAME, (1, 3, 6, 9))), 1)
    assert status == 0
    assert varbinds[0] == (NAME, OctetString(b"Socomec"))
    assert varbinds[1][1].tagSet == api.v2c.NoSuchInstance.tagSet
    _status, _index, varbinds = response(ask(request(1, "GetNextRequestPDU", NAME, CHARGE)), 1)
    assert varbinds[0] == (CHARGE, Integer32(87))
    assert varbinds[1][1].tagSet == api.v2c.EndOfMibView.tagSet


def test_v1_get_of_a_missing_object_is_no_such_name() -> None:
    status, index, varbinds = response(ask(request(0, "GetRequestPDU", CHARGE, (1, 3, 6, 9))), 0)
    assert (status, index) == (2, 2)
    assert [oid for oid, _value in varbinds] == [CHARGE, (1, 3, 6, 9)]


def test_getbulk_repeats_until_the_end_of_the_view() -> None:
    data = ask(request(1, "GetBulkRequestPDU", (1, 3), repetitions=5))
    _status, _index, varbinds = response(data, 1)
    assert [oid for oid, _value in varbinds[:2]] == [NAME, CHARGE]
    assert varbinds[2][1].tagSet == api.v2c.EndOfMibView.tagSet


def test_everything_else_is_left_to_pysnmp() -> None:
    assert ask(request(1, "GetRequestPDU", NAME, community="private")) is None  # unknown community
    assert ask(request(1, "SetRequestPDU", NAME)) is None  # writes always go through pysnmp and VACM
    assert ask(request(0, "GetRequestPDU", NAME), versions=frozenset({1})) is None  # v1 not accepted
    bulk_as_v1 = bytearray(request(1, "GetBulkRequestPDU", NAME))
    bulk_as_v1[4] = 0  # version field of a v2c GETBULK set to v1: GETBULK does not exist in v1
    assert ask(bytes(bulk_as_v1)) is None


def test_malformed_datagrams_are_not_answered() -> None:
    good = request(1, "GetRequestPDU", NAME)
    samples = [b"", b"\x30", b"\x30\x84\xff\xff\xff\xff", good[:-3], good + b"\x00", b"\x30\x03\x02\x01\x03"]
    samples += [os.urandom(length) for length in (1, 10, 100, 1000) for _ in range(50)]
    for sample in samples:
        assert ask(sample) is None or sample == good


# -- bounds: what is dropped before any decoding ------------------------------------------------


def _get_with_oid_body(body: bytes, community: bytes = b"public", pdu_tag: int = 0xA0) -> bytes:
    varbind = tlv(0x30, tlv(0x06, body) + b"\x05\x00")
    pdu = tlv(pdu_tag, encode_integer(1) + encode_integer(0) + encode_integer(0) + tlv(0x30, varbind))
    return tlv(0x30, encode_integer(1) + tlv(0x04, community) + pdu)


def test_oversized_request_is_screened_out_and_not_answered() -> None:
    datagram = _get_with_oid_body(b"\x2b" + b"\xff" * 60000 + b"\x01")  # the quadratic 60 KB GET
    assert screen(datagram) is not None and "bytes" in str(screen(datagram))
    assert ask(datagram) is None


def test_oid_limits_128_arcs_of_32_bits() -> None:
    longest = (1, 3) + (1,) * 126
    assert decode_oid(encode_oid(longest)[2:]) == longest
    assert decode_oid(encode_oid((1, 3, 2**32 - 1))[2:]) == (1, 3, 2**32 - 1)
    for too_far in ((1, 3) + (1,) * 127, (1, 3, 2**32), (1, 3, 2**40)):
        body = encode_oid(too_far)[2:]
        with pytest.raises(Malformed):
            decode_oid(body)
        datagram = _get_with_oid_body(body)
        assert screen(datagram) is not None
        assert ask(datagram) is None
    # SET requests go to pysnmp: screened the same way.
    assert screen(_get_with_oid_body(encode_oid((1, 3, 2**33))[2:], pdu_tag=0xA3)) is not None
    assert screen(request(1, "GetRequestPDU", NAME, CHARGE)) is None


def test_unterminated_huge_arc_costs_no_big_integer() -> None:
    with pytest.raises(Malformed):
        decode_oid(b"\x2b" + b"\xff" * 600 + b"\x01")


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=1600))
def test_any_datagram_is_answered_or_left_to_pysnmp_never_raises(datagram: bytes) -> None:
    screen(datagram)
    result = ask(datagram)
    assert result is None or isinstance(result, bytes)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=20),
    st.sampled_from(["GetRequestPDU", "GetNextRequestPDU", "GetBulkRequestPDU"]),
    st.data(),
)
def test_mutated_requests_never_raise(arcs: list[int], kind: str, data: st.DataObject) -> None:
    datagram = bytearray(request(1, kind, (1, 3, *arcs)))
    for _ in range(data.draw(st.integers(min_value=0, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(datagram) - 1))
        datagram[position] = data.draw(st.integers(min_value=0, max_value=255))
    screen(bytes(datagram))
    result = ask(bytes(datagram))
    assert result is None or isinstance(result, bytes)
