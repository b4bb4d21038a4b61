"""Reading access log files: plain, rotated (`access.log.1`) or gzip-compressed, line by line (constant memory),
and the time values nginx writes ($msec, $time_local, $time_iso8601) as Unix seconds."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import IO

from advisor.readers import check_regular

__all__ = ["LogFileError", "TimeParser", "first_lines", "log_base_name", "open_lines", "parse_point_in_time"]

_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_ROTATION = re.compile(r"(?:[.-]\d{8,10})?(?:\.\d+)?(?:\.gz)?$")
MAX_LINE_BYTES = 64 * 1024  # nginx's own request line and header limits keep real log lines far shorter
MAX_SAMPLE_SCAN = 100_000  # lines looked at for the format sample
_CHUNK_BYTES = 1 << 20



class LogFileError(Exception):
    """A log file that cannot be read; the message names it."""


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _bounded_lines(raw: IO[bytes]) -> Iterator[bytes]:
    """The lines of a binary stream, read in chunks. A line longer than MAX_LINE_BYTES (no log format writes one:
    the NUL run that `copytruncate` leaves, a binary dump) is cut there and its rest skipped, so memory stays
    bounded by the limit and a 2 GB line costs one pass over the bytes."""
    pending = b""  # the start of a line that continues in the next chunk (at most MAX_LINE_BYTES)
    overlong = False
    while chunk := raw.read(_CHUNK_BYTES):
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if overlong:
                yield pending + b"\n"
            else:
                line = pending + chunk[start:end + 1] if pending else chunk[start:end + 1]
                yield line if len(line) <= MAX_LINE_BYTES + 1 else line[:MAX_LINE_BYTES] + b"\n"
            pending, overlong, start = b"", False, end + 1
        if not overlong:
            pending += chunk[start:]
            if len(pending) > MAX_LINE_BYTES:
                pending, overlong = pending[:MAX_LINE_BYTES], True
    if pending:
        yield pending


def open_lines(path: str) -> Iterator[str]:
    """The lines of `path` (gzip detected by content, not by name), undecodable bytes replaced, each at most
    MAX_LINE_BYTES long."""
    try:
        check_regular(path)  # a FIFO or device would block or never end; a log is streamed, so no size limit
        raw = gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise LogFileError(f"cannot read access log {path}: {error.strerror or error}") from None
    try:
        try:
            for line in _bounded_lines(raw):  # type: ignore[arg-type]
                yield line.decode("utf-8", "replace")
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise LogFileError(f"cannot read access log {path}: {error}") from None
    finally:
        raw.close()


def first_lines(path: str, count: int) -> list[str]:
    """Up to `count` non-empty lines from the start of the file (for recognising its format), looking at no more
    than MAX_SAMPLE_SCAN lines (a file of blank lines is not read to its end)."""
    lines: list[str] = []
    for scanned, line in enumerate(open_lines(path), 1):
        if line.strip():
            lines.append(line)
            if len(lines) >= count:
                break
        if scanned >= MAX_SAMPLE_SCAN:
            break
    return lines


def log_base_name(path: str) -> str:
    """`access.log` for `access.log.1`, `access.log.2.gz`, `access.log-20240501`: the name nginx writes to."""
    return _ROTATION.sub("", os.path.basename(path)) or os.path.basename(path)


class TimeParser:
    """Converts nginx time values to Unix seconds; the text forms are cached (many lines share one second)."""

    def __init__(self) -> None:
        self._cache: dict[str, float] = {}
        self.offset_s: float | None = None  # the UTC offset the log writes local times with, when it does

    def local(self, text: str) -> float:
        """`10/Oct/2000:13:55:36 -0700`."""
        value = self._cache.get(text)
        if value is None:
            if len(self._cache) > 100_000:
                self._cache.clear()
            day, month, rest = text.split("/", 2)
            year, hour, minute, second_zone = rest.split(":", 3)
            second, zone = second_zone.split(" ")
            sign = -1 if zone[0] == "-" else 1
            offset = sign * (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60)
            moment = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second),
                              tzinfo=timezone.utc)
            value = self._cache[text] = moment.timestamp() - offset
            if self.offset_s is None:
                self.offset_s = offset
        return value

    def iso8601(self, text: str) -> float:
        """`2000-10-10T13:55:36-07:00`."""
        value = self._cache.get(text)
        if value is None:
            if len(self._cache) > 100_000:
                self._cache.clear()
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            value = self._cache[text] = moment.timestamp()
            if self.offset_s is None and moment.utcoffset() is not None:
                self.offset_s = moment.utcoffset().total_seconds()  # type: ignore[union-attr]
        return value


def parse_point_in_time(text: str, offset_s: float | None) -> float:
    """`--since`/`--until`: an ISO date-time (`2024-05-01T12:00`, `2024-05-01 12:00:00+02:00`) or Unix seconds.
    Without a UTC offset the time is read in the log's own offset (UTC for $msec logs). Raises ValueError."""
    stripped = text.strip()
    try:
        return float(stripped)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date-time (2024-05-01T12:00, 2024-05-01 12:00:00+02:00) "
                         "or Unix seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp() - (offset_s or 0.0)
    return moment.timestamp()
