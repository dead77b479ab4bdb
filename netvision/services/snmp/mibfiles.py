"""The MIB files the agent's objects are described in, for "Download MIB file" (§3.3.2, §18.2)."""

from __future__ import annotations

from pathlib import Path

import netvision

MIB_DIRECTORY = Path(netvision.__file__).resolve().parent / "mibs"
# NETVISION-MIB: the NET VISION 7 tree (UPS); NETVISION-STS-MIB: the STS tree (FR annex).
MIB_FILES: tuple[str, ...] = ("NETVISION-MIB.txt", "NETVISION-STS-MIB.txt")


def mib_file(device_kind: str = "ups") -> Path:
    """The MIB to offer for the connected device ("ups" or "sts")."""
    return MIB_DIRECTORY / MIB_FILES[1 if device_kind == "sts" else 0]
