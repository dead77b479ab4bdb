"""Password hashes: salted scrypt from the standard library, the one format every stored
password uses (web accounts, NUT users).

A hash reads ``scrypt$N$r$p$<salt base64>$<digest base64>``. scrypt with N=2**14, r=8
costs about 50 ms and 16 MiB on a small board: slow enough to hurt guessing, so callers
on the event loop run :func:`verify_password` in a thread. One scrypt runs at a time in
the whole process (web logins, NUT checks, settings saves): N passwords checked at once
never take N × 16 MiB.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024
PREFIX = "scrypt$"


_one_at_a_time = threading.Lock()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    with _one_at_a_time:
        return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=dklen)


def _format(salt: bytes, digest: bytes) -> str:
    encode = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    return _format(salt, _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, 32))


# What a password of an unknown user is checked against, so that a refusal takes as long
# as for a known one (timing does not tell which names exist). Shaped as a hash of
# :func:`hash_password`, same costs, with a random digest no password gives: made
# without running scrypt (16 MiB) at start.
DUMMY_HASH = _format(secrets.token_bytes(16), secrets.token_bytes(32))


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def is_password_hash(value: str) -> bool:
    """Whether ``value`` is a hash made by :func:`hash_password` (its shape, bounded costs),
    rather than a password typed in clear."""
    parts = value.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    _, n, r, p, salt, digest = parts
    if not (n.isdigit() and r.isdigit() and p.isdigit()):
        return False
    cost, block, parallel = int(n), int(r), int(p)
    if cost < 2 or cost & (cost - 1) or cost > 2**16 or not 1 <= block <= 16 or not 1 <= parallel <= 4:
        return False
    try:
        return (
            bool(base64.b64decode(salt, validate=True)) and len(base64.b64decode(digest, validate=True)) >= 16
        )
    except (ValueError, binascii.Error):
        return False


def hashed(value: str) -> str:
    """The value to store for a password field: a hash stays as it is, '' stays ''
    (no password: nobody logs in), anything else is a password in clear and is hashed."""
    if not value or is_password_hash(value):
        return value
    return hash_password(value)
