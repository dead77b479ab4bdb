"""HTTPS certificates (EN §3.5, §18.2 "Upload CA file", "Download Root Certificate").

On first start the daemon makes its own root CA (``cacert.crt``, downloadable so a
browser can trust it) and a server certificate signed by it. An uploaded PEM
file holding a private key and its certificate replaces the generated pair
after validation, and can be removed to go back to it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ...fileio import atomic_write

MAX_UPLOAD_BYTES = 8 * 1024  # the limit for an uploaded key + certificate
CA_CERT = "cacert.crt"
CA_KEY = "cakey.pem"
SERVER_PEM = "server.pem"  # generated key + certificate
UPLOADED_PEM = "uploaded.pem"


class CertificateError(ValueError):
    """An uploaded PEM that cannot be used; the message says why."""


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


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    not_before: str
    not_after: str
    uploaded: bool

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


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
    if certificate.not_valid_after_utc <= now:
        raise CertificateError(f"the certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}")
    if certificate.not_valid_before_utc > now:
        raise CertificateError(f"the certificate is not valid before {certificate.not_valid_before_utc:%Y-%m-%d}")
    return certificate


class CertificateStore:
    """The TLS files in ``<data_dir>/tls`` and the live SSL context that uses them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.context: ssl.SSLContext | None = None

    def ensure(self) -> None:
        if not (self.directory / SERVER_PEM).exists() or not (self.directory / CA_CERT).exists():
            generate(self.directory)

    @property
    def active_pem(self) -> Path:
        uploaded = self.directory / UPLOADED_PEM
        return uploaded if uploaded.exists() else self.directory / SERVER_PEM

    def ssl_context(self) -> ssl.SSLContext:
        """One context for the HTTPS listener, reloaded in place on upload/removal."""
        self.ensure()
        if self.context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2  # §3.5: TLS 1.2 minimum
            context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
            context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
            self.context = context
        self.context.load_cert_chain(self.active_pem)
        return self.context

    def ca_certificate(self) -> bytes:
        self.ensure()
        return (self.directory / CA_CERT).read_bytes()

    def info(self) -> CertificateInfo:
        self.ensure()
        certificate = x509.load_pem_x509_certificates(self.active_pem.read_bytes())[0]
        return CertificateInfo(
            subject=certificate.subject.rfc4514_string(),
            issuer=certificate.issuer.rfc4514_string(),
            not_before=certificate.not_valid_before_utc.isoformat(),
            not_after=certificate.not_valid_after_utc.isoformat(),
            uploaded=(self.directory / UPLOADED_PEM).exists(),
        )

    def upload(self, data: bytes) -> CertificateInfo:
        validate_pem(data)
        # A last check by OpenSSL itself before the file replaces the running one.
        probe = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        candidate = self.directory / (UPLOADED_PEM + ".new")
        _write_private(candidate, data)
        try:
            probe.load_cert_chain(candidate)
        except ssl.SSLError as error:
            candidate.unlink(missing_ok=True)
            raise CertificateError(f"OpenSSL refused the file: {error.reason or error}") from None
        os.replace(candidate, self.directory / UPLOADED_PEM)
        if self.context is not None:
            self.ssl_context()
        return self.info()

    def remove_uploaded(self) -> CertificateInfo:
        (self.directory / UPLOADED_PEM).unlink(missing_ok=True)
        if self.context is not None:
            self.ssl_context()
        return self.info()
