"""HTTPS certificates: generated root CA and server certificate, uploaded PEM validation (EN §3.5, §18.2)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from netvision.services.web.certificates import validate_pem
from netvision.services.web.tls import CA_CERT, CertificateError, CertificateStore
from tests.pki import key_and_certificate


def test_first_start_generates_a_root_ca_and_a_server_certificate_signed_by_it(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path)
    context = store.ssl_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    ca = x509.load_pem_x509_certificate((tmp_path / CA_CERT).read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    info = store.info()
    assert info.issuer == ca.subject.rfc4514_string() and not info.uploaded
    assert store.ca_certificate().startswith(b"-----BEGIN CERTIFICATE-----")


def test_a_valid_upload_replaces_the_generated_pair_and_can_be_removed(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path)
    store.ssl_context()
    _key, key_pem, cert_pem = key_and_certificate()
    info = store.upload(key_pem + cert_pem)
    assert info.uploaded and "ups.example" in info.subject
    assert not store.remove_uploaded().uploaded


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: key_and_certificate()[2], "no private key"),
        (lambda: key_and_certificate()[1], "no readable certificate"),
        (lambda: key_and_certificate()[1] + key_and_certificate()[2], "does not match"),
        (lambda: b"".join(key_and_certificate(-30, -1)[1:]), "expired"),
        (lambda: b"".join(key_and_certificate(5, 30)[1:]), "not valid before"),
        (lambda: b"x" * 9000, "larger than 8192"),
        (lambda: b"-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n", "cannot be read"),
    ],
)
def test_a_bad_upload_is_refused_with_a_clear_reason(make, message: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CertificateError, match=message):
        validate_pem(make())
    store = CertificateStore(tmp_path)
    with pytest.raises(CertificateError):
        store.upload(make())
    assert not store.info().uploaded


def test_a_sha1_signed_certificate_is_refused(tmp_path: Path) -> None:
    """Issue 10: a SHA-1 signature can be forged; the upload says so and nothing is installed.
    (cryptography no longer signs with SHA-1: the openssl command makes the certificate.)"""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-sha1", "-nodes",
         "-subj", "/CN=ups.example", "-days", "30", "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    pem = (tmp_path / "k.pem").read_bytes() + (tmp_path / "c.pem").read_bytes()
    with pytest.raises(CertificateError, match="SHA1"):
        validate_pem(pem)
    _key, good_key, good_certificate = key_and_certificate()
    validate_pem(good_key + good_certificate)  # SHA-256 still passes


def test_the_daemon_reads_and_checks_certificates_without_loading_cryptography(tmp_path: Path) -> None:
    """cryptography (about 10 MB resident) runs in a child process: making, reading, checking."""
    _key, key_pem, cert_pem = key_and_certificate()
    (tmp_path / "upload.pem").write_bytes(key_pem + cert_pem)
    program = f"""
import sys
from pathlib import Path
from netvision.services.web.tls import CertificateError, CertificateStore
store = CertificateStore(Path({str(tmp_path / "tls")!r}))
store.ssl_context()
assert not store.info().uploaded
assert store.upload(Path({str(tmp_path / "upload.pem")!r}).read_bytes()).uploaded
try:
    store.upload(b"no key")
except CertificateError as error:
    assert "no private key" in str(error), error
else:
    raise AssertionError("accepted")
assert "cryptography" not in sys.modules, "cryptography loaded"
"""
    subprocess.run([sys.executable, "-c", program], check=True, timeout=120)
