"""Process-wide limits set once at start: open files and the privacy of the data directory.

The daemon calls ``raise_open_file_limit()`` and ``make_private(data_dir)`` at start,
before opening its listeners and store.
"""

from __future__ import annotations

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


def make_private(data_dir: Path) -> None:
    """The data directory (accounts, keys, logs) belongs to the daemon's user alone: new files
    are created 0600 and directories 0700 (umask 077), and what already exists loses its
    group and other permissions."""
    os.umask(0o077)
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
