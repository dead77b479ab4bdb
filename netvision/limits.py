"""Process-wide limits set once at start: open files, memory kept, privacy of the data.

``netvision run`` and ``demo`` call :func:`set_process_limits` once; the daemon makes
its data directory private (:func:`make_private`) each time it starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("netvision")


def raise_open_file_limit() -> tuple[int, int]:
    """Raise the soft limit of open files to the hard limit (many HTTP clients each hold a
    socket; Debian's default soft limit is 1024). Returns the (soft, hard) limits in force."""
    try:
        import resource
    except ImportError:  # not on this platform
        return (-1, -1)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft == resource.RLIM_INFINITY or (soft != resource.RLIM_INFINITY and soft >= wanted):
        return soft, hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError) as error:
        log.warning("cannot raise the open file limit from %s to %s: %s", soft, wanted, error)
        return soft, hard
    return wanted, hard


def set_process_limits() -> None:
    """What the daemon's process sets once: more open files, a small heap, and files
    created private to its user (umask 077: 0600 files, 0700 directories)."""
    raise_open_file_limit()
    keep_heap_small()
    os.umask(0o077)


def keep_heap_small() -> None:
    """Fix glibc's mmap threshold at its default (128 KiB). Left dynamic, it rises to
    the largest block ever freed: after the first login's 16 MiB scrypt buffer, every
    later one stays in the heap and the daemon keeps 16 MB it does not use."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD


def make_private(data_dir: Path) -> None:
    """The data directory (accounts, keys, logs) belongs to the daemon's user alone: it is
    0700, and what already exists in it loses its group and other permissions."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for directory, _subdirectories, files in os.walk(data_dir):
        _drop_group_and_other(Path(directory))
        for name in files:
            _drop_group_and_other(Path(directory, name))


def _drop_group_and_other(path: Path) -> None:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return  # a link's own mode means nothing; its target may be outside the directory
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)
    except OSError as error:
        log.warning("cannot make %s private: %s", path, error)
