"""Read the access log that ``nginx_runner`` configures (format ``advisor``) and join it to load-generator records.

Per request it tells what the error log cannot: whether a 504 was a connect timeout (``$upstream_connect_time``
is ``-``: no connection was made) or a read timeout (connected, no response header in time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .loadgen import request_index

_LINE = re.compile(
    r'^(?P<msec>\d+\.\d+) (?P<status>\d{3}) "(?P<request>[^"]*)" upstream_status=(?P<upstream_status>\S*) '
    r"connect=(?P<connect>\S*) header=(?P<header>\S*) response=(?P<response>\S*) request_time=(?P<request_time>\S+)"
)


@dataclass(frozen=True)
class AccessEntry:
    status: int
    target: str
    upstream_status: str  # last attempt's status, "-" when nginx never got one
    connected: bool  # the last upstream attempt got a connection ($upstream_connect_time was not "-")
    request_time_s: float


def _last(value: str) -> str:
    """``$upstream_*`` variables list one value per attempt ("0.001, -"); the last attempt decided the outcome."""
    return value.replace(" : ", ", ").split(",")[-1].strip() if value else "-"


def parse_access_log(text: str) -> dict[int, AccessEntry]:
    """Entries of tagged requests (``LoadSpec.tag_requests``) by request index; other lines are skipped."""
    entries: dict[int, AccessEntry] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        method, _, rest = match["request"].partition(" ")
        target = rest.rpartition(" ")[0] or rest
        index = request_index(target)
        if index is None:
            continue
        entries[index] = AccessEntry(
            status=int(match["status"]),
            target=target,
            upstream_status=_last(match["upstream_status"]),
            connected=_last(match["connect"]) not in ("-", ""),
            request_time_s=float(match["request_time"]),
        )
    return entries
