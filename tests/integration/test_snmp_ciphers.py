"""pysnmp's privacy ciphers load with the first SNMPv3 user with privacy (ciphers.py): the
daemon as a real process, so that nothing else loaded cryptography first, against net-snmp."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from tests.conftest import free_port
from tests.daemon_process import simulator_and_daemon
from tests.integration.test_snmp_helpers import snmp

NAME = ".1.3.6.1.4.1.4555.1.1.7.1.1.1.0"  # the UPS model (NET VISION MIB), a STRING
AUTH = {"auth_protocol": "sha", "auth_password": "authkey123"}
PRIVACY = {"des": "DES", "aes": "AES", "aes192": "AES-192", "aes256": "AES-256"}


def _privacy_users() -> list[dict[str, Any]]:
    return [
        {"name": f"user_{protocol}", **AUTH, "priv_protocol": protocol, "priv_password": "privkey123"}
        for protocol in PRIVACY
    ]


def _maps_cryptography(pid: int) -> bool:
    return "/cryptography/" in Path(f"/proc/{pid}/maps").read_text()


def _agent(port: int, users: list[dict[str, Any]]) -> dict[str, Any]:
    return {"snmp": {"enabled": True, "bind": "127.0.0.1", "port": port, "usm_users": users}}


async def _answered(address: str, *arguments: str) -> bool:
    code, output = await snmp("snmpget", "-v3", *arguments, address, NAME)
    return code == 0 and "STRING" in output


async def test_without_privacy_the_daemon_does_not_load_cryptography(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    user = {"name": "reader", "security_level": "authNoPriv", **AUTH}
    async with simulator_and_daemon(tmp_path, _agent(port, [user])) as (_simulator, daemon):
        daemon.start()
        address = f"127.0.0.1:{port}"
        arguments = ("-u", "reader", "-l", "authNoPriv", "-a", "SHA", "-A", "authkey123")
        assert await _wait_answered(daemon, address, *arguments)
        assert daemon.process is not None
        assert not _maps_cryptography(daemon.process.pid)


async def test_each_privacy_protocol_answers_net_snmp_once_loaded(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    async with simulator_and_daemon(tmp_path, _agent(port, _privacy_users())) as (_simulator, daemon):
        daemon.start()
        address = f"127.0.0.1:{port}"
        for protocol, option in PRIVACY.items():
            arguments = ("-u", f"user_{protocol}", "-l", "authPriv", "-a", "SHA", "-A", "authkey123", "-x", option)
            assert await _wait_answered(daemon, address, *arguments, "-X", "privkey123"), protocol
            assert not await _answered(address, *arguments, "-X", "wrongkey99"), protocol
        assert daemon.process is not None
        assert _maps_cryptography(daemon.process.pid)


async def _wait_answered(daemon: Any, address: str, *arguments: str) -> bool:
    """The first answer, once the agent listens (the daemon starts meanwhile)."""
    for _ in range(30):
        if await _answered(address, *arguments):
            return True
        assert daemon.process.poll() is None, daemon.output()
    return False
