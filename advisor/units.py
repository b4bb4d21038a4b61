"""Units: reading durations and sizes as nginx and advisor's options write them, and every number people read.

Reading. nginx: `ms s m h d w M y`, a bare number is seconds, units may be combined (`1h 30m`, `1m30s`); sizes
take `k/K`, `m/M`, `g/G` (nginx syntax.html). Options: `80ms`, `1.5s`, `2m`, `250us`.

Writing, one style for every output (finding texts, `advisor model`, validation tables), SI style with a space
between number and unit:
- durations (`format_duration`): `150 ms`, `1.5 s`, `60 s`, `10 min`, `2 h`; whole seconds stay exact (`90 s`,
  `3601 s`; minutes and hours only when exact and at least 10 min), other values keep 3 significant digits, in µs
  below 1 ms, in min/h above 2 min;
- shares (`format_percent`): 3 significant digits (`4.76 %`, `0.0123 %`, `45.7 %`), and a share that is not 0 or 1
  never reads as `0 %` or `100 %`: `< 0.001 %` below, `> 99.999 %` above, as many digits as it takes in between;
- rates (`format_rate`): 4 significant digits and the unit, `210 requests/s`; plain numbers (`format_number`)
  likewise;
- None and NaN read `-`, infinity `unlimited`; nothing is ever written in scientific notation, and numbers from
  10^15 up (only absurd inputs produce them) read `> 1000000000000000` instead of hundreds of digits.
Configuration text is not prose: `nginx_time` and `format_size` write values nginx reads back (`150ms`, `60s`,
`10m`, `8k`), for labels that quote a directive and for generated nginx.conf files.
"""

from __future__ import annotations

import math

from advisor.lazy_regex import lazy_re

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
_TIME_PART = lazy_re(r"(\d+)(ms|s|m|h|d|w|M|y)?")
_SIZE = lazy_re(r"^(\d+)([kKmMgG]?)$")
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


def nginx_time(seconds: float) -> str:
    """An nginx time value, as a directive takes it: `150ms`, `60s`, `90s`, `10m`, `2h` (whole milliseconds)."""
    if seconds != seconds:  # NaN
        return MISSING
    if seconds == float("inf"):
        return "unlimited"
    if seconds > 0 and (seconds < 1 or not float(seconds).is_integer()):
        return f"{max(1, round(seconds * 1000))}ms"
    count, unit = _whole_seconds_in_units(int(seconds))
    return f"{count}{'m' if unit == 'min' else unit}"


def _whole_seconds_in_units(whole: int) -> tuple[int, str]:
    """Whole seconds as (count, `h`/`min`/`s`): hours or minutes only when exact and at least 10 min."""
    if whole >= 3600 and whole % 3600 == 0:
        return whole // 3600, "h"
    if whole >= 600 and whole % 60 == 0:
        return whole // 60, "min"
    return whole, "s"


# Numbers people read ---------------------------------------------------------------------------------------------

MISSING = "-"
_PLAIN_LIMIT = 1e15  # from here on a number reads "> 1000000000000000", not hundreds of digits


def _missing(value: float | None) -> bool:
    return value is None or value != value


def format_number(value: float | None, digits: int = 4) -> str:
    """`value` with `digits` significant digits, never in scientific notation: 0.0123, 4.76, 1234, 123457."""
    if _missing(value):
        return MISSING
    assert value is not None
    if math.isinf(value):
        return "unlimited" if value > 0 else "-unlimited"
    if abs(value) >= _PLAIN_LIMIT:
        return ("> " if value > 0 else "< -") + f"{_PLAIN_LIMIT:.0f}"
    text = f"{value:.{digits}g}"
    if "e" not in text:
        return text
    from decimal import Decimal

    return format(Decimal(text), "f")


def format_duration(seconds: float | None) -> str:
    """Seconds as people read them: `150 ms`, `1.5 s`, `60 s`, `10 min`, `2 h` (see the module docstring)."""
    if _missing(seconds):
        return MISSING
    assert seconds is not None
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if math.isinf(seconds):
        return "unlimited"
    if seconds == 0:
        return "0 s"
    if float(seconds).is_integer() and seconds < 1e7:
        count, unit = _whole_seconds_in_units(int(seconds))
        return f"{count} {unit}"
    for limit, factor, unit in ((1e-3, 1e6, "µs"), (1.0, 1e3, "ms"), (120.0, 1.0, "s"), (7200.0, 1 / 60, "min")):
        if float(f"{seconds:.3g}") < limit:
            shown = seconds * factor
            if unit == "µs" and shown < 0.001:
                return "< 0.001 µs"
            return f"{format_number(shown, 3)} {unit}"
    return f"{format_number(seconds / 3600, 3)} h"


def format_percent(fraction: float | None, digits: int = 3) -> str:
    """A share (0..1) as a percentage (see the module docstring): 0 %, < 0.001 %, 0.0123 %, 4.76 %, 99.95 %, 100 %."""
    if _missing(fraction):
        return MISSING
    assert fraction is not None
    if fraction < 0:
        return "-" + format_percent(-fraction, digits)
    percent = fraction * 100
    if math.isinf(percent):
        return "unlimited"
    if percent == 0:
        return "0 %"
    if percent < 0.001:
        return "< 0.001 %"
    text = format_number(percent, digits)
    if percent < 100:
        while float(text) >= 100 and digits < 5:
            digits += 1
            text = format_number(percent, digits)
        if float(text) >= 100:
            return "> 99.999 %"
    return f"{text} %"


def format_rate(rps: float | None) -> str:
    """A rate in requests per second: `210 requests/s`, `0.5 requests/s`."""
    return f"{format_number(rps)} requests/s"


def format_count(count: int) -> str:
    """A count with thousands separators: `12,345`."""
    return f"{count:,}"


def option_seconds_text(seconds: float) -> str:
    """Seconds as option text that `parse_option_duration` reads back exactly (`0`, `1.5`, `0.1`)."""
    return "0" if seconds == 0 else repr(float(seconds))


def format_size(size: int) -> str:
    for unit, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


# Durations on the command line and in advisor's own config --------------------------------------------------------
# One syntax for every option that takes a duration (--service-time, --duration, --warmup, workload service-time):
# a number with a unit (`80ms`, `1.5s`, `2m`, `250us`), also combined as nginx writes them (`1m30s`).

_OPTION_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}
_OPTION_PART = lazy_re(r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(us|µs|ms|min|s|m|h)")
_BARE_NUMBER = lazy_re(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


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
