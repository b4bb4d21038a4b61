"""nginx `log_format` definitions compiled into line parsers.

A format's text is split into literal text and `$variables`; the variables the workload needs become capture
groups, every other one a pattern that skips its value. How a value may look follows nginx's escaping: with
`escape=default` a `"` inside a value is written as `\\x22`, so a quoted value never contains a bare quote; with
`escape=json` it is written as `\\"`, and a variable without a value is written as nothing instead of `-`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = [
    "COMBINED",
    "FIELDS",
    "LogFormat",
    "RECOMMENDED",
    "RECOMMENDED_DIRECTIVE",
    "compile_format",
    "unescape",
]

# The variables the workload reads; any other variable in a format is skipped.
FIELDS = (
    "msec", "time_local", "time_iso8601", "request", "request_uri", "uri", "status", "request_time",
    "upstream_connect_time", "upstream_header_time", "upstream_response_time", "upstream_addr", "upstream_status",
    "host", "http_host", "server_name", "server_port",
)

COMBINED_TEXT = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
                 '"$http_user_agent"')
# The format the docs and the refusal message recommend: combined (so other log tools keep working) plus the
# request end time in milliseconds, the timings of every upstream attempt, the upstream address and the host/port.
RECOMMENDED_TEXT = (COMBINED_TEXT + ' msec=$msec rt=$request_time uct="$upstream_connect_time" '
                    'uht="$upstream_header_time" urt="$upstream_response_time" ua="$upstream_addr" '
                    'us="$upstream_status" host="$host" port=$server_port')
RECOMMENDED_DIRECTIVE = (
    "log_format timing '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent '\n"
    "                  '\"$http_referer\" \"$http_user_agent\" msec=$msec rt=$request_time '\n"
    "                  'uct=\"$upstream_connect_time\" uht=\"$upstream_header_time\" "
    "urt=\"$upstream_response_time\" '\n"
    "                  'ua=\"$upstream_addr\" us=\"$upstream_status\" host=\"$host\" port=$server_port';\n"
    "access_log /var/log/nginx/access.log timing;"
)

_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_NUMBER = r"\d+(?:\.\d+)?"
_LIST_SEP = r"(?:, | : )"
_TIMES = rf"(?:{_NUMBER}|-)(?:{_LIST_SEP}(?:{_NUMBER}|-))*"
_STATUSES = rf"(?:\d{{3}}|-)(?:{_LIST_SEP}(?:\d{{3}}|-))*"
# Patterns for variables whose values have a known shape (they never contain the text that follows them).
_SHAPES = {
    "msec": r"\d+\.\d+",
    "status": r"\d{3}",
    "request_time": _NUMBER,
    "upstream_connect_time": _TIMES,
    "upstream_header_time": _TIMES,
    "upstream_response_time": _TIMES,
    "upstream_status": _STATUSES,
    "time_local": r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}",
    "time_iso8601": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)",
    "server_port": r"\d+|-",
    "body_bytes_sent": r"\d+",
    "bytes_sent": r"\d+",
    "remote_addr": r"[0-9A-Fa-f.:]+|unix:|-",
    "pipe": r"[p.]",
    "connection": r"\d+",
    "connection_requests": r"\d+",
}


@dataclass(frozen=True)
class LogFormat:
    """A compiled format: `pattern` captures `fields` (in this order) from one line."""

    name: str
    text: str
    escape: str
    pattern: re.Pattern[str]
    fields: tuple[str, ...]
    where: str  # "nginx.conf:12", "built in" or "--log-format"

    def has(self, name: str) -> bool:
        return name in self.fields

    @property
    def has_upstream_timing(self) -> bool:
        return "upstream_response_time" in self.fields

    @property
    def has_time(self) -> bool:
        return any(name in self.fields for name in ("msec", "time_local", "time_iso8601"))


def _value_pattern(name: str, following: str, escape: str) -> str:
    """The pattern of one variable's value, given the literal text right after it ('' at the end of the line)."""
    if name in _SHAPES:
        return f"(?:{_SHAPES[name]})" if escape != "json" else f"(?:{_SHAPES[name]}|)"
    if following.startswith('"'):
        return r'(?:[^"\\]|\\.)*' if escape == "json" else r'[^"]*'
    if not following:
        return r".*"
    return r".*?"


def compile_format(name: str, text: str, escape: str = "default", where: str = "") -> LogFormat:
    """Compile a log_format text; raises ValueError for an escape mode nginx does not have."""
    if escape not in ("default", "json", "none"):
        raise ValueError(f"log_format {name}: unknown escape={escape}")
    pieces: list[tuple[str, str]] = []  # (kind, text): ("lit", text) / ("var", name)
    position = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > position:
            pieces.append(("lit", text[position:match.start()]))
        pieces.append(("var", match.group(1) or match.group(2)))
        position = match.end()
    if position < len(text):
        pieces.append(("lit", text[position:]))
    parts: list[str] = []
    fields: list[str] = []
    for index, (kind, value) in enumerate(pieces):
        if kind == "lit":
            parts.append(re.escape(value))
            continue
        following = pieces[index + 1][1] if index + 1 < len(pieces) and pieces[index + 1][0] == "lit" else ""
        if index + 1 < len(pieces) and pieces[index + 1][0] == "var":
            following = "\0"  # two variables glued together: only a lazy match can split them
        value_pattern = _value_pattern(value, following, escape)
        if value in FIELDS and value not in fields:
            fields.append(value)
            parts.append(f"({value_pattern})")
        else:
            parts.append(value_pattern)
    pattern = re.compile("".join(parts) + r"\r?$")
    return LogFormat(name, text, escape, pattern, tuple(fields), where)


_HEX_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})")


def unescape(value: str, escape: str) -> str:
    """A value as nginx saw it, from how the log wrote it (only needed when it holds a backslash)."""
    if "\\" not in value:
        return value
    if escape == "json":
        try:
            return json.loads(f'"{value}"')
        except ValueError:
            return value
    if escape == "default":
        return _HEX_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


COMBINED = compile_format("combined", COMBINED_TEXT, where="built in")
RECOMMENDED = compile_format("timing", RECOMMENDED_TEXT, where="the format advisor recommends")
