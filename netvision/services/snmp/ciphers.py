"""pysnmp's privacy ciphers (DES, 3DES, AES), loaded only when an SNMPv3 user has privacy.

pysnmp's User-based Security Model imports its cipher modules with it, and each of
them imports the cryptography package at once: about 9 MB resident for a daemon whose
users may have no privacy at all. Each cipher module guards that import (``try`` /
``except ImportError``, ``PysnmpCryptoError``), so the USM is first imported with
cryptography held back in this thread (:func:`import_usm`); when a user or a trap
receiver with privacy appears (:func:`load_ciphers`, from ``usm_protocols``), the three
modules are run again, in place, now with cryptography: the USM's cipher objects,
made from their classes, find the cipher functions in their module as before.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

USM_MODULE = "pysnmp.proto.secmod.rfc3414.service"
# Every pysnmp module that imports cryptography at its top (pysnmp 7.1); aes192/aes256
# take their cipher from rfc3826's aes.
CIPHER_MODULES = (
    "pysnmp.proto.secmod.rfc3414.priv.des",
    "pysnmp.proto.secmod.eso.priv.des3",
    "pysnmp.proto.secmod.rfc3826.priv.aes",
)

_lock = threading.Lock()


class _HoldBack:
    """A meta path finder that refuses cryptography to one thread (the one importing pysnmp)."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        if threading.get_ident() == self.thread and name.partition(".")[0] == "cryptography":
            raise ImportError(f"{name} is loaded with the first SNMPv3 user with privacy", name=name)
        return None


def import_usm() -> Any:
    """pysnmp's USM security model class, its cipher modules imported without cryptography
    (unless cryptography is already loaded: then there is nothing to save)."""
    with _lock:
        if USM_MODULE in sys.modules or "cryptography" in sys.modules:
            return importlib.import_module(USM_MODULE).SnmpUSMSecurityModel
        finder = _HoldBack()
        sys.meta_path.insert(0, finder)
        try:
            return importlib.import_module(USM_MODULE).SnmpUSMSecurityModel
        finally:
            sys.meta_path.remove(finder)


def loaded() -> bool:
    """Do pysnmp's cipher modules have their cipher (cryptography)?"""
    return not any(getattr(sys.modules.get(name), "PysnmpCryptoError", True) for name in CIPHER_MODULES)


def load_ciphers() -> None:
    """Give pysnmp's cipher modules cryptography (once; cheap afterwards)."""
    with _lock:
        for name in CIPHER_MODULES:
            module = importlib.import_module(name)
            if module.PysnmpCryptoError:
                importlib.reload(module)
            if module.PysnmpCryptoError:
                raise ImportError(f"{name} cannot load its cipher (the cryptography package)")
