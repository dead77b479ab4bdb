"""HTTPS certificates (EN §3.5, §18.2 "Upload CA file", "Download Root Certificate").

On first start the daemon makes its own root CA (``cacert.crt``, downloadable so a
browser can trust it) and a server certificate signed by it. An uploaded PEM
file holding a private key and its certificate replaces the generated pair
after validation, and can be removed to go back to it. Making and checking
certificates is in :mod:`.certificates`; this module serves them.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...fileio import atomic_write

if TYPE_CHECKING:
    from cryptography import x509

MAX_UPLOAD_BYTES = 8 * 1024  # the limit for an uploaded key + certificate
CA_CERT = "cacert.crt"
CA_KEY = "cakey.pem"
SERVER_PEM = "server.pem"  # generated key + certificate
UPLOADED_PEM = "uploaded.pem"


class CertificateError(ValueError):
    """An uploaded PEM that cannot be used; the message says why."""


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
    from .certificates import validate_pem as validate

    return validate(data, now)


def _write_private(path: Path, data: bytes) -> None:
    atomic_write(path, data)  # a new file gets mode 0600; an existing one keeps its own


class CertificateStore:
    """The TLS files in ``<data_dir>/tls`` and the live SSL context that uses them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.context: ssl.SSLContext | None = None

    def ensure(self) -> None:
        if not (self.directory / SERVER_PEM).exists() or not (self.directory / CA_CERT).exists():
            # In a child process: the daemon need not keep cryptography in memory for it.
            command = [sys.executable, "-m", "netvision.services.web.certificates", str(self.directory)]
            subprocess.run(command, check=True, timeout=120, stdin=subprocess.DEVNULL)

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
        from .certificates import describe

        self.ensure()
        return describe(self.active_pem.read_bytes(), uploaded=(self.directory / UPLOADED_PEM).exists())

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
