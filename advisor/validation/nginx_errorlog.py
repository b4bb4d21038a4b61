"""Classify nginx error-log lines by the upstream-failure signatures that map to 502/504
(docs/failures.md#error-log-lines)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# (key, pattern, status nginx answers). Order matters: the first match wins.
SIGNATURES: tuple[tuple[str, re.Pattern, str], ...] = tuple(
    (key, re.compile(pattern), status)
    for key, pattern, status in (
        ("connect_eagain", r"connect\(\) to \S+ failed \(11: Resource temporarily unavailable\)", "502"),
        ("connect_refused", r"connect\(\) (?:to \S+ )?failed \(111: Connection refused\)", "502"),
        ("connect_no_such_file", r"connect\(\) to \S+ failed \(2: No such file or directory\)", "502"),
        ("connect_permission_denied", r"connect\(\) to \S+ failed \(13: Permission denied\)", "502"),
        ("timeout_connecting", r"upstream timed out \(110: [^)]*\) while connecting to upstream", "504"),
        ("timeout_reading_header",
         r"upstream timed out \(110: [^)]*\) while reading response header from upstream", "504"),
        ("timeout_sending_request", r"upstream timed out \(110: [^)]*\) while sending request to upstream", "504"),
        ("timeout_reading_upstream", r"upstream timed out \(110: [^)]*\) while reading upstream", "truncated"),
        ("premature_close", r"upstream prematurely closed connection", "502"),
        ("recv_reset", r"recv\(\) failed \(104: Connection reset by peer\)", "502"),
        ("send_failed", r"(?:writev|send)\(\) failed \((?:104|32): [^)]*\) while sending request to upstream", "502"),
        ("too_big_header", r"upstream sent too big header", "502"),
        ("no_valid_header", r"upstream sent no valid HTTP/1\.0 header", "502"),  # proxy_pass to a uwsgi socket
        ("no_live_upstreams", r"no live upstreams", "502"),
        ("worker_connections", r"worker_connections are not enough", "none"),
    )
)

_LEVEL = re.compile(r"^\S+ \S+ \[(\w+)\] ")


@dataclass
class ErrorLogSummary:
    counts: dict[str, int] = field(default_factory=dict)  # signature key -> lines
    levels: dict[str, int] = field(default_factory=dict)  # error level -> lines
    unmatched_errors: list[str] = field(default_factory=list)  # [error]/[crit]/[alert]/[emerg] lines not classified

    def get(self, key: str) -> int:
        return self.counts.get(key, 0)


def classify_line(line: str) -> str | None:
    for key, pattern, _ in SIGNATURES:
        if pattern.search(line):
            return key
    return None


def summarize_error_log(text: str) -> ErrorLogSummary:
    counts: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    unmatched: list[str] = []
    for line in text.splitlines():
        level_match = _LEVEL.match(line)
        level = level_match.group(1) if level_match else ""
        if level:
            levels[level] += 1
        key = classify_line(line)
        if key:
            counts[key] += 1
        elif level in ("error", "crit", "alert", "emerg"):
            unmatched.append(line)
    return ErrorLogSummary(counts=dict(counts), levels=dict(levels), unmatched_errors=unmatched)
