"""HTTPS certificates (EN §3.5, §18.2 "Upload CA file", "Download Root Certificate").

On first start the daemon makes its own root CA (``cacert.crt``, downloadable so a
browser can trust it) and a server certificate signed by it. An uploaded PEM
file holding a private key and its certificate replaces the generated pair
after validation, and can be removed to go back to it. Making, reading and checking
certificates is in :mod:`.certificates`, run in a child process (cryptography would
cost the daemon about 10 MB resident); this module serves them.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ...fileio import atomic_write

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


REFUSED = 3  # the certificate tool's exit status for a refused upload (the reason on its output)
_CHILD_TIMEOUT = 120.0


def _certificates(*arguments: str, data: bytes | None = None) -> dict[str, object]:
    """``python -m netvision.services.web.certificates ARGUMENTS`` (``data`` on its standard
    input) and what it prints; a refused upload raises :class:`CertificateError`."""
    command = [sys.executable, "-m", "netvision.services.web.certificates", *arguments]
    result = subprocess.run(
        command,
        input=data if data is not None else b"",
        stdout=subprocess.PIPE,
        timeout=_CHILD_TIMEOUT,
        check=False,
    )
    if result.returncode not in (0, REFUSED):
        raise RuntimeError(f"the certificate tool failed ({' '.join(arguments)}): exit status {result.returncode}")
    if not result.stdout:
        return {}
    answer: dict[str, object] = json.loads(result.stdout)
    if result.returncode == REFUSED:
        raise CertificateError(str(answer["error"]))
    return answer


def _info(answer: dict[str, object]) -> CertificateInfo:
    return CertificateInfo(
        subject=str(answer["subject"]),
        issuer=str(answer["issuer"]),
        not_before=str(answer["not_before"]),
        not_after=str(answer["not_after"]),
        uploaded=bool(answer["uploaded"]),
    )


def _write_private(path: Path, data: bytes) -> None:
    atomic_write(path, data)  # a new file gets mode 0600; an existing one keeps its own


class CertificateStore:
    """The TLS files in ``<data_dir>/tls`` and the live SSL context that uses them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.context: ssl.SSLContext | None = None

    def ensure(self) -> None:
        if not (self.directory / SERVER_PEM).exists() or not (self.directory / CA_CERT).exists():
            _certificates("generate", str(self.directory))

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
        uploaded = (self.directory / UPLOADED_PEM).exists()
        flags = ("--uploaded",) if uploaded else ()
        return _info(_certificates("describe", *flags, data=self.active_pem.read_bytes()))

    def upload(self, data: bytes) -> CertificateInfo:
        """Check ``data`` (size, key, certificate, dates, signature: certificates.validate_pem)
        and make it the certificate in use; :class:`CertificateError` says why it is refused."""
        if len(data) > MAX_UPLOAD_BYTES:  # refused before a child is started for it
            raise CertificateError(f"the file is larger than {MAX_UPLOAD_BYTES} bytes")
        _certificates("check", data=data)
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
