"""Durations and sizes as nginx and gunicorn write them.

nginx: `ms s m h d w M y`, a bare number is seconds, units may be combined (`1h 30m`, `1m30s`);
sizes take `k/K`, `m/M`, `g/G` (nginx syntax.html).
"""

from __future__ import annotations

import math
import re

_NGINX_TIME_UNITS = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
    "M": 2592000.0,  # 30 days, as nginx defines a month
    "y": 31536000.0,  # 365 days
}
_TIME_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|M|y)?")
_SIZE = re.compile(r"^(\d+)([kKmMgG]?)$")
# nginx keeps times in milliseconds and sizes in off_t, both 64-bit signed: larger values are "invalid value"
# there (ngx_parse_time, ngx_parse_offset), and here, instead of numbers no float can hold.
NGINX_MAX_TIME_S = float((2**63 - 1) // 1000)
NGINX_MAX_SIZE = 2**63 - 1


def parse_nginx_duration(text: str) -> float:
    """Return seconds for an nginx time value such as `150ms`, `1m30s`, `1h 30m` or `60`."""
    compact = text.strip().replace(" ", "")
    if not compact:
        raise ValueError(f"empty time value {text!r}")
    position = 0
    total = 0.0
    seen_units: set[str] = set()
    while position < len(compact):
        match = _TIME_PART.match(compact, position)
        if not match or match.end() == position:
            raise ValueError(f"invalid time value {text!r}")
        number, unit = match.group(1), match.group(2) or "s"
        if match.group(2) is None and match.end() != len(compact):
            raise ValueError(f"invalid time value {text!r}")
        if unit in seen_units:
            raise ValueError(f"invalid time value {text!r}: unit {unit!r} repeated")
        seen_units.add(unit)
        if len(number) > 20:
            raise ValueError(f"invalid time value {text!r}: too large")
        total += int(number) * _NGINX_TIME_UNITS[unit]
        position = match.end()
    if total > NGINX_MAX_TIME_S:
        raise ValueError(f"invalid time value {text!r}: too large")
    return total


def parse_nginx_size(text: str) -> int:
    """Return bytes for an nginx size such as `8k`, `1m`, `1024`."""
    match = _SIZE.match(text.strip())
    if not match:
        raise ValueError(f"invalid size {text!r}")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    if len(match.group(1)) > 20 or int(match.group(1)) * factor > NGINX_MAX_SIZE:
        raise ValueError(f"invalid size {text!r}: too large")
    return int(match.group(1)) * factor


def format_duration(seconds: float) -> str:
    """Format seconds for messages the way people write nginx values: `150ms`, `60s`, `90s`, `10m`, `2h`."""
    if seconds != seconds:  # NaN
        return "unknown"
    if seconds == float("inf"):
        return "unlimited"
    if 0 < seconds < 1:
        millis = seconds * 1000
        return f"{millis:.0f}ms" if millis >= 1 else f"{millis:.2g}ms"
    if float(seconds).is_integer():
        whole = int(seconds)
        if whole >= 3600 and whole % 3600 == 0:
            return f"{whole // 3600}h"
        if whole >= 600 and whole % 60 == 0:
            return f"{whole // 60}m"
        return f"{whole}s"
    return f"{seconds:.3g}s"


def format_size(size: int) -> str:
    for unit, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


# Durations on the command line and in advisor's own config --------------------------------------------------------
# One syntax for every option that takes a duration (--service-time, --duration, --warmup, workload service-time):
# a number with a unit (`80ms`, `1.5s`, `2m`, `250us`), also combined as nginx writes them (`1m30s`).

_OPTION_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}
_OPTION_PART = re.compile(r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(us|µs|ms|min|s|m|h)")
_BARE_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


def parse_option_duration(text: str, *, bare: str = "seconds") -> float:
    """Seconds for a duration option such as `80ms`, `1.5s`, `2m` or `1m30s`.

    `bare` says what a number without a unit means: "seconds", or "error" where either reading is plausible
    (a service time of `100` is as likely milliseconds as seconds), raising ValueError with both spellings."""
    stripped = text.strip()
    bare_match = _BARE_NUMBER.match(stripped)
    if bare_match:
        if bare == "error":
            raise ValueError(bare_number_hint(stripped))
        value = float(bare_match.group(1))
        if not math.isfinite(value):
            raise ValueError(f"{stripped!r} is too large for a duration")
        return value
    position, total = 0, 0.0
    compact = stripped.replace(" ", "")
    while position < len(compact):
        match = _OPTION_PART.match(compact, position)
        if not match:
            raise ValueError(f"cannot read {stripped!r} as a duration; use e.g. 80ms, 1.5s or 2m")
        total += float(match.group(1)) * _OPTION_UNITS[match.group(2)]
        position = match.end()
    if not compact:
        raise ValueError("empty duration; use e.g. 80ms, 1.5s or 2m")
    if not math.isfinite(total):
        raise ValueError(f"{stripped!r} is too large for a duration")
    return total


def bare_number_hint(number: str) -> str:
    """What to write instead of a number without a unit: `100ms`? `100s`? (`0.1s`? for `0.1`)."""
    value = float(number)
    if 0 < value < 1:
        return f"{number!r} has no unit: did you mean {number}s ({value * 1000:g}ms)?"
    return f"{number!r} has no unit: did you mean {number}ms or {number}s?"


def require_units(spec: str) -> None:
    """Raise ValueError when a service-time spec (`80ms`, `p50=40ms,p99=400ms`) has a bare number in it."""
    for part in spec.split(","):
        value = part.partition("=")[2] if "=" in part else part
        if _BARE_NUMBER.match(value):
            raise ValueError(bare_number_hint(value.strip()))
