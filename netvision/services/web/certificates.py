"""Making and checking HTTPS certificates with the cryptography package.

Kept apart from :mod:`.tls`, which serves them: cryptography costs the daemon
about 10 MB of resident memory once imported, so the daemon runs this module in a
child process (``python -m netvision.services.web.certificates COMMAND``):

- ``generate DIR``: the generated pair, once per device;
- ``describe [--uploaded]``: subject, issuer and dates of the PEM read on standard input
  (the certificate page);
- ``check``: the same for an uploaded PEM (standard input), after :func:`validate_pem`.

Each prints the certificate's description as JSON (``describe``, ``check``), or
``{"error": "..."}`` and exits with :data:`REFUSED` when the upload is refused.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ...fileio import atomic_write
from .tls import CA_CERT, CA_KEY, MAX_UPLOAD_BYTES, REFUSED, SERVER_PEM, CertificateError, CertificateInfo


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    atomic_write(path, data)  # a new file gets mode 0600; an existing one keeps its own


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _names() -> tuple[list[x509.GeneralName], str]:
    host = socket.gethostname() or "netvision"
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(host)]
    names += [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
    return names, host


def generate(directory: Path, now: dt.datetime | None = None) -> None:
    """Make the root CA and a server certificate signed by it (ECDSA P-256, fast on a small board)."""
    now = now or _utc_now()
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "netvision"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "netvision root CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    names, host = _names()
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        # 825 days: the longest validity browsers accept for a server certificate.
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(directory / CA_KEY, _key_pem(ca_key))
    (directory / CA_CERT).write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pem = _key_pem(server_key) + server_cert.public_bytes(serialization.Encoding.PEM)
    pem += ca_cert.public_bytes(serialization.Encoding.PEM)
    _write_private(directory / SERVER_PEM, pem)


def validate_pem(data: bytes, now: dt.datetime | None = None) -> x509.Certificate:
    """Check an uploaded PEM: size, one private key, its certificate first, dates."""
    now = now or _utc_now()
    if len(data) > MAX_UPLOAD_BYTES:
        raise CertificateError(f"the file is larger than {MAX_UPLOAD_BYTES} bytes")
    if b"PRIVATE KEY-----" not in data:
        raise CertificateError("the file holds no private key (PEM '-----BEGIN PRIVATE KEY-----')")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise CertificateError("the private key is encrypted; upload it without a passphrase") from None
    except ValueError as error:
        raise CertificateError(f"the private key cannot be read: {error}") from None
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError("the file holds no readable certificate") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CertificateError("the private key must be RSA or ECDSA")
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    matching = [
        cert
        for cert in certificates
        if cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        == public
    ]
    if not matching:
        raise CertificateError("the private key does not match the certificate")
    certificate = matching[0]
    for chained in certificates:
        _check_signature_hash(chained, leaf=chained is certificate)
    if certificate.not_valid_after_utc <= now:
        raise CertificateError(f"the certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}")
    if certificate.not_valid_before_utc > now:
        raise CertificateError(f"the certificate is not valid before {certificate.not_valid_before_utc:%Y-%m-%d}")
    return certificate



# Collisions can be forged for these: a certificate signed with them proves nothing.
_WEAK_HASHES = ("sha1", "md5")


def _check_signature_hash(certificate: x509.Certificate, leaf: bool) -> None:
    """Refuse a SHA-1 or MD5 signature on the server certificate or an intermediate. A
    self-signed root's own signature is not checked by browsers and is let through."""
    if not leaf and certificate.issuer == certificate.subject:
        return
    try:
        algorithm = certificate.signature_hash_algorithm
    except Exception:  # noqa: BLE001 - an algorithm cryptography does not know
        raise CertificateError("the certificate's signature algorithm is not supported") from None
    if algorithm is not None and algorithm.name in _WEAK_HASHES:
        which = "the certificate" if leaf else f"the chain certificate {certificate.subject.rfc4514_string()}"
        raise CertificateError(f"{which} is signed with {algorithm.name.upper()}: use SHA-256 or better")


def describe(pem: bytes, uploaded: bool) -> CertificateInfo:
    """Subject, issuer and dates of the first certificate of ``pem``."""
    certificate = x509.load_pem_x509_certificates(pem)[0]
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        not_before=certificate.not_valid_before_utc.isoformat(),
        not_after=certificate.not_valid_after_utc.isoformat(),
        uploaded=uploaded,
    )


def main(arguments: Sequence[str]) -> int:
    command, *rest = arguments
    if command == "generate":
        generate(Path(rest[0]))
        return 0
    data = sys.stdin.buffer.read()
    try:
        if command == "check":
            validate_pem(data)
            info = describe(data, uploaded=True)
        elif command == "describe":
            info = describe(data, uploaded="--uploaded" in rest)
        else:
            raise SystemExit(f"unknown command {command!r}: generate DIR, describe [--uploaded] or check")
    except CertificateError as error:
        print(json.dumps({"error": str(error)}))
        return REFUSED
    print(json.dumps(info.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
