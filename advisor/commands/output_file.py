"""`-o FILE`: the report appears whole or not at all.

A regular file (or a new one) is written to a temporary file in the same directory, which replaces the target
only once the report is complete; an error or an interrupt midway removes the temporary and leaves an existing
report untouched. The temporary is created with mode 0666 less the umask, as the file itself would be; replacing
an existing file keeps that file's permission bits. A symbolic link is followed (its target is replaced, the link
stays). A device or pipe (`/dev/stdout`, a FIFO) cannot be replaced: it is written directly, and so is a file in a
directory where no temporary can be created.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from advisor.readers import open_output


@contextmanager
def report_output(path: str) -> Iterator[IO[str]]:
    """A text stream for the report at `path`, put in place when the block ends without an exception."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    try:
        info: os.stat_result | None = os.stat(target)
    except (OSError, ValueError):
        info = None  # missing, or a problem open_output reports with its own message
    if info is not None and not stat.S_ISREG(info.st_mode):
        with open_output(path) as handle:  # a directory is refused there; a device or pipe is written directly
            yield handle
        return
    temporary, fd = _create_beside(target)
    if fd is None:
        with open_output(path) as handle:
            yield handle
        return
    try:
        if info is not None:
            os.fchmod(fd, stat.S_IMODE(info.st_mode))
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise


def _create_beside(target: str) -> tuple[str, int | None]:
    """A new, exclusively created file next to `target` (mode 0666 less the umask), or no descriptor when the
    directory does not allow one."""
    directory, name = os.path.split(target)
    for _ in range(8):
        temporary = os.path.join(directory, f".{name}.{os.urandom(4).hex()}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                                      0o666)
        except FileExistsError:
            continue
        except (OSError, ValueError):
            break
    return "", None


def _remove(temporary: str) -> None:
    try:
        os.unlink(temporary)
    except OSError:
        pass


__all__ = ["report_output"]
