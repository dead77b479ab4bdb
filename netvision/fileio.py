"""Files that survive a kill -9 or a power cut at any instant."""

from __future__ import annotations

import os
import shutil
import stat
from contextlib import suppress
from pathlib import Path


def atomic_write(target: Path, data: bytes, *, backup: bool = False) -> None:
    """Replace ``target`` with ``data`` so that a kill or a power cut at any instant
    leaves either the old or the new content: temp file, fsync, rename, directory
    fsync; with ``backup`` the previous content is kept as ``target.bak``."""
    tmp = target.with_name(target.name + ".tmp")
    bak = target.with_name(target.name + ".bak")
    try:
        # Keep the mode of the file we replace; a new file may hold secrets, so 0600.
        mode = stat.S_IMODE(os.stat(target).st_mode)
        exists = True
    except FileNotFoundError:
        mode, exists = 0o600, False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # O_CREAT's mode is masked by the umask and ignored for a stale tmp
        if backup and exists:
            _keep_backup(target, bak)
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(target.parent)


def _keep_backup(target: Path, bak: Path) -> None:
    """Make ``bak`` the current content of ``target``, itself atomically."""
    bak_tmp = bak.with_name(bak.name + ".tmp")
    with suppress(FileNotFoundError):
        os.unlink(bak_tmp)
    try:
        try:
            # A hard link costs nothing: target is replaced, never rewritten, so bak keeps the old inode.
            os.link(target, bak_tmp)
        except OSError:
            _copy_synced(target, bak_tmp)  # file systems without hard links (vfat SD card)
        os.replace(bak_tmp, bak)
    except BaseException:
        with suppress(OSError):
            os.unlink(bak_tmp)
        raise


def _copy_synced(source: Path, destination: Path) -> None:
    with open(source, "rb") as reader, open(destination, "wb") as writer:
        shutil.copyfileobj(reader, writer)
        writer.flush()
        os.fsync(writer.fileno())
    shutil.copymode(source, destination)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; some file systems refuse fsync on a directory.
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
