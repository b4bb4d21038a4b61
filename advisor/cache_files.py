"""Where advisor keeps its caches, and the two rules every cache file follows.

The directory is $ADVISOR_CACHE_DIR, else $XDG_CACHE_HOME/advisor, else ~/.cache/advisor; ADVISOR_NO_CACHE=1 turns
every cache off. A cache file is only read when it belongs to this user and no one else can write it (caches hold
pickled objects and compiled code); it is written under a fresh temporary name (O_EXCL, so a planted symlink is not
followed) in a directory created private (0700), then renamed into place. Failing to read or write a cache is a miss.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pathlib is not imported on the way to the first cache file (it costs a start-up)
    from pathlib import Path

KEEP_FILES = 8  # cache files kept per family (e.g. one per distinct set of rule directories)


def cache_directory(environ: dict[str, str] | None = None) -> str | None:
    """The cache directory, or None when caches are off."""
    env = os.environ if environ is None else environ
    if env.get("ADVISOR_NO_CACHE"):
        return None
    if env.get("ADVISOR_CACHE_DIR"):
        return env["ADVISOR_CACHE_DIR"]
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "advisor")


def cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """cache_directory() as a Path."""
    from pathlib import Path

    directory = cache_directory(environ)
    return None if directory is None else Path(directory)


def is_private(descriptor: int) -> bool:
    """True if the open file belongs to this user and no one else can write it (always true without POSIX users)."""
    if not hasattr(os, "getuid"):
        return True
    stat = os.fstat(descriptor)
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def read_private(path: str | Path) -> bytes | None:
    """The bytes of a cache file, or None when it is missing, unreadable or not this user's private file."""
    try:
        with open(path, "rb") as handle:
            return handle.read() if is_private(handle.fileno()) else None
    except OSError:
        return None


def replace_file(target: str | Path, data: bytes, family: str) -> None:
    """Write `data` to `target` atomically (mode 0600) and keep the KEEP_FILES newest files of its family (a glob)."""
    import glob
    import tempfile

    directory, name = os.path.split(os.fspath(target))
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
        stale = sorted(glob.glob(os.path.join(glob.escape(directory), family)), key=os.path.getmtime, reverse=True)
        for old in stale[KEEP_FILES:]:
            try:
                os.unlink(old)
            except FileNotFoundError:
                pass
    except OSError:
        return
