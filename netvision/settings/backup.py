"""Encrypted configuration backups: the one file that carries the secrets.

The whole settings TOML, secrets included, sealed with AES-256-GCM under a key
derived from a password the administrator chooses (scrypt, standard library).
The file is JSON text so it survives any transfer; its header fields are the
authenticated associated data, so none of them can be altered unnoticed.
``cryptography`` is imported only here, on use: the daemon does not load it at
start (it costs about 10 MB of resident memory).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

FORMAT = "netvision-backup"
VERSION = 1
MIN_PASSWORD = 8
MAX_PASSWORD = 256
# scrypt cost: ~32 MiB and a fraction of a second on a small board, once per export or restore.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


class BackupError(ValueError):
    """A backup that cannot be made or opened; the message says why."""


def _key(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def _check_password(password: object) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise BackupError(f"the backup password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def _header_bytes(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def encrypt(text: str, password: str) -> str:
    """The backup file holding ``text`` (the settings TOML with its secrets)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    _check_password(password)
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kdf": "scrypt",
        "n": _N,
        "r": _R,
        "p": _P,
        "salt": base64.b64encode(salt).decode(),
        "cipher": "AES-256-GCM",
        "nonce": base64.b64encode(nonce).decode(),
    }
    sealed = AESGCM(_key(password, salt, _N, _R, _P)).encrypt(nonce, text.encode(), _header_bytes(header))
    return json.dumps({**header, "data": base64.b64encode(sealed).decode()}, indent=1) + "\n"


def is_backup(text: str) -> bool:
    """True when ``text`` looks like an encrypted backup (rather than a TOML file)."""
    if not text.lstrip().startswith("{"):
        return False
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and document.get("format") == FORMAT


def decrypt(text: str, password: object) -> str:
    """The settings TOML sealed in the backup ``text``; BackupError for a wrong password."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not isinstance(password, str) or not password:
        raise BackupError("this backup is encrypted: give its password")
    try:
        document = json.loads(text)
        header = {key: document[key] for key in ("format", "version", "kdf", "n", "r", "p", "salt", "cipher", "nonce")}
        n, r, p = (int(document[key]) for key in ("n", "r", "p"))
        salt = base64.b64decode(document["salt"], validate=True)
        nonce = base64.b64decode(document["nonce"], validate=True)
        sealed = base64.b64decode(document["data"], validate=True)
    except (ValueError, KeyError, TypeError, RecursionError):
        raise BackupError("the backup file is damaged") from None
    if header["version"] != VERSION or header["kdf"] != "scrypt" or header["cipher"] != "AES-256-GCM":
        raise BackupError("this backup was made by another version of netvision")
    # The cost parameters come from the file: keep them to what this module writes.
    if not (2**10 <= n <= _N and n & (n - 1) == 0 and 1 <= r <= 8 and p == 1 and len(nonce) == 12):
        raise BackupError("the backup file is damaged")
    try:
        plain = AESGCM(_key(password[:MAX_PASSWORD], salt, n, r, p)).decrypt(nonce, sealed, _header_bytes(header))
    except InvalidTag:
        raise BackupError("wrong backup password (or a damaged file)") from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise BackupError("the backup file is damaged") from None
