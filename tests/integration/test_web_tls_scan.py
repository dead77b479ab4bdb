"""The HTTPS listener scanned by a real TLS scanner (Debian's sslscan): TLS 1.2 and 1.3
only, and no weak cipher accepted."""

from __future__ import annotations

import asyncio
import re
import shutil
from typing import Any

import pytest

from tests.conftest import free_port

# What a scan must never show accepted: old protocols' suites, export and NULL ciphers,
# RC4, DES/3DES, MD5 MACs, anonymous or pre-shared key exchange, and the rarely vetted ones.
WEAK = re.compile(r"NULL|EXP|RC4|DES|MD5|anon|ADH|AECDH|PSK|SRP|IDEA|SEED|CAMELLIA", re.IGNORECASE)


def accepted_ciphers(report: str) -> list[tuple[str, int, str]]:
    """(protocol, bits, cipher) of every 'Accepted'/'Preferred' line of sslscan's report."""
    found = []
    for line in report.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0] in ("Accepted", "Preferred") and fields[3] == "bits":
            found.append((fields[1], int(fields[2]), fields[4]))
    return found


async def test_https_offers_tls_1_2_and_1_3_only_without_weak_ciphers(make_daemon: Any) -> None:
    sslscan = shutil.which("sslscan")
    if sslscan is None:
        pytest.skip("sslscan is not installed (scripts/debian-packages.txt)")
    port = free_port()
    await make_daemon({"web": {"https_enabled": True, "https_port": port, "bind": "127.0.0.1"}})
    process = await asyncio.create_subprocess_exec(
        sslscan, "--no-colour", f"127.0.0.1:{port}", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    report = output.decode("utf-8", "replace")
    assert process.returncode == 0, report
    protocols = dict(re.findall(r"^(SSLv[23]|TLSv1\.[0-3])\s+(enabled|disabled)", report, re.MULTILINE))
    assert protocols == {
        "SSLv2": "disabled",
        "SSLv3": "disabled",
        "TLSv1.0": "disabled",
        "TLSv1.1": "disabled",
        "TLSv1.2": "enabled",
        "TLSv1.3": "enabled",
    }, report
    ciphers = accepted_ciphers(report)
    assert ciphers, report
    assert {protocol for protocol, _bits, _cipher in ciphers} <= {"TLSv1.2", "TLSv1.3"}, report
    assert not [cipher for _protocol, _bits, cipher in ciphers if WEAK.search(cipher)], report
    assert min(bits for _protocol, bits, _cipher in ciphers) >= 128, report
    # Forward secrecy everywhere: TLS 1.2 suites are ECDHE (or DHE) ones.
    assert all(cipher.startswith(("ECDHE", "DHE")) for protocol, _bits, cipher in ciphers if protocol == "TLSv1.2")
    heartbleed = [line for line in report.splitlines() if "heartbleed" in line]
    assert all("not vulnerable" in line for line in heartbleed), report
    assert "sha1" not in re.search(r"Signature Algorithm: (\S+)", report).group(1).lower()  # type: ignore[union-attr]
