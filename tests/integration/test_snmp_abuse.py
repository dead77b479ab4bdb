"""The SNMP agent under abuse: oversized and malformed datagrams, long OIDs, bad USM entries."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import pytest

from netvision.services.snmp.fastpath import encode_integer, encode_oid, tlv
from netvision.services.snmp.service import SnmpService
from tests.conftest import free_port, wait_for
from tests.integration.test_snmp_helpers import snmp

NAME = ".1.3.6.1.2.1.1.5.0"


async def agent(make_daemon: Any, **snmp_settings: Any) -> tuple[Any, str]:
    port = free_port(socket.SOCK_DGRAM)
    daemon = await make_daemon({"snmp": {"enabled": True, "port": port, "bind": "127.0.0.1", **snmp_settings}})
    return daemon, f"127.0.0.1:{port}"


@pytest.mark.parametrize("length", [24, 25, 32])
async def test_v3_user_names_up_to_32_characters_are_served(make_daemon: Any, length: int) -> None:
    name = "u" * length
    user = {"name": name, "auth_protocol": "sha", "auth_password": "authkey123", "priv_protocol": "aes",
            "priv_password": "privkey123"}
    _daemon, address = await agent(make_daemon, usm_users=[user])
    base = ["-v3", "-u", name, "-l", "authPriv", "-a", "SHA", "-A", "authkey123", "-x", "AES", "-X", "privkey123"]
    code, output = await snmp("snmpget", *base, address, NAME)
    assert code == 0 and "Socomec" in output, output
    code, output = await snmp("snmpget", "-v2c", "-c", "public", address, NAME)
    assert code == 0 and "Socomec" in output, output


def request(oid_body: bytes, community: bytes = b"public", pdu_tag: int = 0xA0) -> bytes:
    varbind = tlv(0x30, tlv(0x06, oid_body) + (b"\x02\x01\x01" if pdu_tag == 0xA3 else b"\x05\x00"))
    pdu = tlv(pdu_tag, encode_integer(7) + encode_integer(0) + encode_integer(0) + tlv(0x30, varbind))
    return tlv(0x30, encode_integer(1) + tlv(0x04, community) + pdu)


async def test_no_write_community_out_of_the_box(make_daemon: Any) -> None:
    daemon, address = await agent(make_daemon)
    assert daemon.settings_manager.settings.snmp.write_community == ""
    for community in ("private", ""):
        quick = ["-t", "1", "-r", "0"]  # no answer is expected: do not wait for retries
        code, output = await snmp("snmpset", *quick, "-v2c", "-c", community, address, ".1.3.6.1.2.1.1.4.0", "s", "x")
        assert code != 0 and "Timeout" in output, output
        code, output = await snmp("snmpget", *quick, "-v2c", "-c", community, address, NAME)
        assert code != 0 and "Timeout" in output, output
    assert daemon.settings_manager.settings.system.contact == ""


async def test_oversized_and_out_of_limit_requests_are_dropped_with_one_log_line(
    make_daemon: Any, caplog: Any
) -> None:
    daemon, address = await agent(make_daemon, write_community="writer")
    host, port = address.split(":")
    service = next(s for s in daemon.services if isinstance(s, SnmpService))
    attacks = [
        request(b"\x2b" + b"\xff" * 60000 + b"\x01"),  # 60 KB GET, one endless sub-identifier
        request(b"\x2b" + b"\x01" * 60000),  # 60 KB GET, 60,000 sub-identifiers
        request(encode_oid((1, 3) + (1,) * 200)[2:]),  # small GET, 202 sub-identifiers
        request(encode_oid((1, 3, 6, 2**33))[2:], community=b"writer", pdu_tag=0xA3),  # SET for pysnmp
    ]
    with caplog.at_level(logging.INFO), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        for _ in range(10):
            for datagram in attacks:
                sock.sendto(datagram, (host, int(port)))
                await asyncio.sleep(0.005)  # the daemon shares this loop: let it read
            sock.sendto(b"\x30\x00", (host, int(port)))  # 2 bytes, malformed
        await wait_for(lambda: service.counters()["datagrams_dropped"] == 40)
        code, output = await snmp("snmpget", "-v2c", "-c", "public", address, NAME)
    assert code == 0 and "Socomec" in output, output
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1 and "127.0.0.1" in dropped[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert len(caplog.text) < 4000


async def test_a_bad_usm_entry_does_not_take_the_agent_down(make_daemon: Any, monkeypatch: Any, caplog: Any) -> None:
    from netvision.services.snmp import service as snmp_service

    real = snmp_service.usm_protocols

    def failing(user: Any) -> Any:
        if user.name == "broken":
            raise KeyError("unknown protocol")
        return real(user)

    monkeypatch.setattr(snmp_service, "usm_protocols", failing)
    users = [
        {"name": "broken", "auth_password": "authkey123", "priv_password": "privkey123"},
        {"name": "reader", "auth_protocol": "sha", "auth_password": "authkey123", "priv_protocol": "aes",
         "priv_password": "privkey123"},
    ]
    with caplog.at_level(logging.INFO):
        _daemon, address = await agent(make_daemon, usm_users=users)
    assert any("broken" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    base = ["-v3", "-u", "reader", "-l", "authPriv", "-a", "SHA", "-A", "authkey123", "-x", "AES", "-X", "privkey123"]
    code, output = await snmp("snmpget", *base, address, NAME)
    assert code == 0 and "Socomec" in output, output


async def test_trap_socket_is_bound_to_the_agent_address_and_answers_nothing(make_daemon: Any) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    row = {"address": "127.0.0.1", "port": receiver.getsockname()[1], "version": "v2c"}
    try:
        # 127.0.0.2 is a loopback address too: the trap must leave from it, not from 0.0.0.0.
        daemon, _address = await agent(make_daemon, trap_receivers=[row], bind="127.0.0.2")
        service = next(s for s in daemon.services if isinstance(s, SnmpService))
        assert await service.send_test_trap() == 1
        loop = asyncio.get_running_loop()
        _trap, source = await asyncio.wait_for(loop.sock_recvfrom(receiver, 65535), 10)
        assert source[0] == "127.0.0.2"
        await daemon.settings_manager.change({"snmp.bind": "127.0.0.3"}, via="test", by="test")
        assert await service.send_test_trap() == 1
        while source[0] != "127.0.0.3":  # traps sent before the change may still be queued
            _trap, source = await asyncio.wait_for(loop.sock_recvfrom(receiver, 65535), 10)
        # A v3 discovery sent to the trap socket gets no report back.
        code, output = await snmp(
            "snmpget", "-v3", "-u", "probe", "-l", "noAuthNoPriv", "-t", "1", "-r", "0", f"{source[0]}:{source[1]}", NAME
        )
        assert code != 0 and "Timeout" in output, output
    finally:
        receiver.close()


def generated_datagrams() -> list[bytes]:
    """Datagrams drawn by Hypothesis (seeded): raw bytes, and GET/SET/v3-shaped ones mutated."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    templates = [
        request(encode_oid((1, 3, 6, 1, 2, 1, 1, 5, 0))[2:]),
        request(encode_oid((1, 3, 6, 1, 2, 1, 1, 4, 0))[2:], community=b"writer", pdu_tag=0xA3),
        # An SNMPv3 discovery GET (noAuthNoPriv, empty user), as net-snmp sends it.
        bytes.fromhex("303e020103301102042c0d7b7b020300ffe30401040201030410300e0400020100020100040004000400"
                      "301404000400a00e0204337b4a4f020100020100300030"),
    ]

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        datagram = bytearray(draw(st.sampled_from(templates)))
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            position = draw(st.integers(min_value=0, max_value=len(datagram) - 1))
            datagram[position] = draw(st.integers(min_value=0, max_value=255))
        return bytes(datagram[: draw(st.integers(min_value=0, max_value=len(datagram)))])

    drawn: list[bytes] = []

    @settings(max_examples=200, deadline=None, derandomize=True, database=None)
    @given(st.one_of(st.binary(max_size=120), mutated()))
    def draw(datagram: bytes) -> None:
        drawn.append(datagram)

    draw()
    return drawn


async def test_fuzzed_datagrams_never_stop_the_agent_nor_write_tracebacks(make_daemon: Any, caplog: Any) -> None:
    _daemon, address = await agent(make_daemon, write_community="writer")
    host, port = address.split(":")
    with caplog.at_level(logging.INFO), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for number, datagram in enumerate(generated_datagrams()):
            sock.sendto(datagram, (host, int(port)))
            if number % 20 == 0:
                await asyncio.sleep(0.01)  # the agent shares this loop
        await asyncio.sleep(0.2)
        code, output = await snmp("snmpget", "-v2c", "-c", "public", address, NAME)
    assert code == 0 and "Socomec" in output, output
    assert not any(r.exc_info for r in caplog.records), caplog.text[:2000]
    assert len(caplog.text) < 5000
