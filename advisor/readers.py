"""The one guarded way to read user input: regular files only, bounded in size per file and per run, read once.

Every loader, the reporters, the project config and the rule loader read through here, so a named pipe, a device,
`/dev/zero` or a 2 GB file named anywhere (an include, an env_file, `-c CONFIG`, a rule file) is a clear error with
the path, never a blocked or unbounded read. The file is checked with `os.stat` before it is opened and opened with
O_NONBLOCK (opening a FIFO without a writer would otherwise block); the open file is checked again (`fstat`) so a
file swapped in between is caught too.

Within a run (`session()`, entered by the commands) each file is read once: a second read of the same unchanged
file (same device, inode, size and modification time) returns the text read the first time, so the text reporter
shows lines from what the loader parsed. Standard input goes through `read_stream` with the same per-file limit.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import IO

DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_RUN_BYTES = 256 * 1024 * 1024
_DEFAULT_CACHE_BYTES = 64 * 1024 * 1024  # outside a session: what the shared cache may hold before it is emptied
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


class ReadError(OSError):
    """A file advisor will not or cannot read; `str()` is the reason, `filename` the path."""

    def __init__(self, path: str, reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, reason, path)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """The most one file and one run may read."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_run_bytes: int = DEFAULT_MAX_RUN_BYTES


@dataclass(slots=True)
class _Entry:
    """One file read. Once its text is decoded, the bytes are dropped when the text encodes back to them (valid
    UTF-8): a large config is not held twice for the whole run."""

    signature: tuple[int, int, int, int]
    raw: bytes | None
    size: int
    text: str | None = None

    def data(self) -> bytes:
        return self.raw if self.raw is not None else self.decoded().encode("utf-8")

    def head(self, size: int) -> bytes:
        return self.raw[:size] if self.raw is not None else self.decoded()[:size].encode("utf-8")[:size]

    def decoded(self) -> str:
        if self.text is None:
            assert self.raw is not None
            try:
                self.text = self.raw.decode("utf-8")
                self.raw = None
            except UnicodeDecodeError:
                self.text = self.raw.decode("utf-8", errors="replace")
        return self.text


@dataclass(slots=True)
class ReadSession:
    """Limits, the bytes read so far and the files read (for reuse) of one run."""

    limits: ReadLimits = field(default_factory=ReadLimits)
    bounded_run: bool = True  # the shared default session never runs out of its run budget
    used: int = 0
    cache: dict[str, _Entry] = field(default_factory=dict)
    cached_bytes: int = 0


_DEFAULT = ReadSession(bounded_run=False)
_current: ContextVar[ReadSession | None] = ContextVar("advisor_read_session", default=None)


def current() -> ReadSession:
    return _current.get() or _DEFAULT


@contextmanager
def session(max_file_bytes: int | None = None, max_run_bytes: int | None = None) -> Iterator[ReadSession]:
    """One run's reading: its limits, its budget, its cache (dropped on exit)."""
    limits = ReadLimits(max_file_bytes or DEFAULT_MAX_FILE_BYTES,
                        max(max_run_bytes or DEFAULT_MAX_RUN_BYTES, max_file_bytes or 0))
    state = ReadSession(limits)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def max_file_bytes() -> int:
    return current().limits.max_file_bytes


def describe_size(size: int) -> str:
    """10485760 -> "10 MB" (binary multiples, as --max-file-size reads them)."""
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def parse_size(text: str) -> int:
    """`10M`, `10MB`, `512k`, `2G` or a number of bytes (binary multiples); raises ValueError."""
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    factor = 1
    if cleaned and cleaned[-1] in "KMG":
        factor = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[cleaned[-1]]
        cleaned = cleaned[:-1]
    try:
        value = int(cleaned.strip())
    except ValueError:
        raise ValueError(f"expected a size such as 10M, 512K or a number of bytes, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"expected a positive size, got {text!r}")
    return value * factor


def _kind(mode: int) -> str | None:
    """Why a file of this mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file; advisor reads regular files only"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file; advisor reads regular files only"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file; advisor reads regular files only"
    return "is not a regular file; advisor reads regular files only"


def _too_large(size: int | None, limit: int, option: bool = True) -> str:
    shown = f"{size} bytes" if size is not None else "larger than the limit"
    return f"is too large ({shown}; the limit is {describe_size(limit)}{', see --max-file-size' if option else ''})"


def _reason(error: OSError) -> str:
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a file"
    return error.strerror or str(error)


def check_regular(path: str) -> os.stat_result:
    """`os.stat(path)` of a regular file; ReadError (with the reason) for anything else."""
    try:
        info = os.stat(path)
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        reason = _reason(error) if isinstance(error, OSError) else "the path contains a NUL byte"
        if isinstance(error, FileNotFoundError) and os.path.islink(path):
            reason = "a symbolic link to a file that does not exist"
        raise ReadError(path, reason, getattr(error, "errno", None) or errno.EINVAL) from None
    kind = _kind(info.st_mode)
    if kind is not None:
        raise ReadError(path, kind, errno.EISDIR if stat.S_ISDIR(info.st_mode) else errno.EINVAL)
    return info


def _signature(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _read_limited(path: str, limit: int, option: bool = True) -> tuple[bytes, os.stat_result]:
    """At most `limit` bytes of the regular file `path` (ReadError when it holds more; `option`: the limit is
    --max-file-size's)."""
    info = check_regular(path)
    if info.st_size > limit:
        raise ReadError(path, _too_large(info.st_size, limit, option), errno.EFBIG)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise ReadError(path, _reason(error), error.errno or errno.EIO) from None
    try:
        opened = os.fstat(fd)
        kind = _kind(opened.st_mode)
        if kind is not None:  # replaced between stat and open
            raise ReadError(path, kind)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except ReadError:
        raise
    except OSError as error:
        raise ReadError(path, _reason(error), error.errno or errno.EIO) from None
    finally:
        os.close(fd)
    if total > limit:  # grew since stat, or a file that reports size 0 (/proc)
        raise ReadError(path, _too_large(None, limit, option), errno.EFBIG)
    return b"".join(chunks), opened


def _key(path: str) -> str:
    return os.path.abspath(path)


def _lookup(state: ReadSession, path: str) -> _Entry | None:
    entry = state.cache.get(_key(path))
    if entry is None:
        return None
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return entry if _signature(info) == entry.signature else None


def _store(state: ReadSession, path: str, data: bytes, info: os.stat_result) -> _Entry:
    if not state.bounded_run and state.cached_bytes + len(data) > _DEFAULT_CACHE_BYTES:
        state.cache.clear()
        state.cached_bytes = 0
    entry = _Entry(_signature(info), data, len(data))
    old = state.cache.get(_key(path))
    state.cached_bytes += len(data) - (old.size if old is not None else 0)
    state.cache[_key(path)] = entry
    return entry


def _entry(path: str, limit: int | None = None) -> _Entry:
    state = current()
    entry = _lookup(state, path)
    if entry is not None:
        return entry
    limits = state.limits
    data, info = _read_limited(path, limit or limits.max_file_bytes, option=limit is None)
    if state.bounded_run:
        if state.used + len(data) > limits.max_run_bytes:
            raise ReadError(path, f"not read: the files of this run exceed {describe_size(limits.max_run_bytes)} "
                                  "in total", errno.EFBIG)
        state.used += len(data)
    return _store(state, path, data, info)


def read_bytes(path: str, limit: int | None = None) -> bytes:
    """The bytes of the regular file `path`, within the limits (`limit` instead of --max-file-size when given: for
    files whose size the user's inputs do not decide, such as rule files); ReadError otherwise."""
    return _entry(path, limit).data()


def read_text(path: str) -> str:
    """The text of the regular file `path` (UTF-8; undecodable bytes become U+FFFD), within the limits."""
    return _entry(path).decoded()


def read_text_or_none(path: str) -> str | None:
    try:
        return read_text(path)
    except OSError:
        return None


def read_head(path: str, size: int) -> bytes:
    """The first `size` bytes of a regular file (for sniffing its kind); ReadError for anything else."""
    state = current()
    entry = _lookup(state, path)
    if entry is not None:
        return entry.head(size)
    check_regular(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise ReadError(path, _reason(error), error.errno or errno.EIO) from None
    try:
        if _kind(os.fstat(fd).st_mode) is not None:
            raise ReadError(path, "is not a regular file; advisor reads regular files only")
        return os.read(fd, size)
    except ReadError:
        raise
    except OSError as error:
        raise ReadError(path, _reason(error), error.errno or errno.EIO) from None
    finally:
        os.close(fd)


def read_stream(stream: IO[str], label: str = "<stdin>") -> str:
    """All of a text stream (standard input) within the per-file limit; ReadError when it holds more."""
    limit = max_file_bytes()
    parts: list[str] = []
    total = 0
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise ReadError(label, _too_large(None, limit), errno.EFBIG)
    return "".join(parts)


def cached_text(path: str) -> str | None:
    """The text already read for `path` in this run (unchanged since), without reading anything."""
    entry = _lookup(current(), path)
    if entry is None:
        return None
    return entry.decoded()


def open_output(path: str) -> IO[str]:
    """`-o PATH` for writing: a regular file (created or truncated) or a device/pipe that is ready now.

    A named pipe nobody reads from is an error at once rather than a run that blocks forever; a directory is an
    error with the path."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as error:
        raise ReadError(path, _reason(error) if isinstance(error, OSError) else "the path contains a NUL byte")
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise ReadError(path, "is a directory, not a file", errno.EISDIR)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    if info is None or stat.S_ISREG(info.st_mode):
        flags |= os.O_TRUNC
    else:
        flags |= getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise ReadError(path, "is a named pipe with no reader; nothing was written", errno.ENXIO) from None
        raise ReadError(path, _reason(error), error.errno or errno.EIO) from None
    if flags & getattr(os, "O_NONBLOCK", 0):
        os.set_blocking(fd, True)  # a reader is there: write normally
    return os.fdopen(fd, "w", encoding="utf-8")


__all__ = ["DEFAULT_MAX_FILE_BYTES", "ReadError", "ReadLimits", "ReadSession", "cached_text", "check_regular",
           "current", "describe_size", "max_file_bytes", "open_output", "parse_size", "read_bytes", "read_head",
           "read_stream", "read_text", "read_text_or_none", "session"]
