"""Convert the arguments of one directive into a typed value, the way nginx would accept or reject them."""

from __future__ import annotations

from typing import Any

from advisor.loaders.nginx.directives import V1_29_4, V1_29_7, Spec
from advisor.model.buffers import Buffers
from advisor.model.deployment import Version
from advisor.units import parse_nginx_duration, parse_nginx_size

_EXPECTED = {
    "duration": "a time such as 60s, 1m30s or 500ms",
    "first_duration": "a time such as 75s",
    "size": "a size such as 8k or 1m",
    "flag": '"on" or "off"',
    "int": "a non-negative integer",
}


class InvalidValue(ValueError):
    """nginx would reject the directive (`nginx -t` fails); the message says why."""


def _invalid(directive: str, value: str, kind: str) -> InvalidValue:
    expected = _EXPECTED.get(kind)
    suffix = f", expected {expected}" if expected else ""
    return InvalidValue(f'invalid value "{value}" in "{directive}" directive{suffix}')


_DURATIONS: dict[str, float] = {}  # the same few values recur thousands of times in large configs
_SIZES: dict[str, int] = {}


def _duration(directive: str, text: str, kind: str = "duration") -> float:
    value = _DURATIONS.get(text)
    if value is None:
        try:
            value = parse_nginx_duration(text)
        except ValueError:
            raise _invalid(directive, text, kind) from None
        if len(_DURATIONS) < 4096:
            _DURATIONS[text] = value
    return value


def _size(directive: str, text: str) -> int:
    value = _SIZES.get(text)
    if value is None:
        try:
            value = parse_nginx_size(text)
        except ValueError:
            raise _invalid(directive, text, "size") from None
        if len(_SIZES) < 4096:
            _SIZES[text] = value
    return value


def _integer(directive: str, text: str) -> int:
    if not text.isdigit():
        raise _invalid(directive, text, "int")
    return int(text)


def _flag(directive: str, text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("on", "off"):
        raise _invalid(directive, text, "flag")
    return lowered == "on"


def convert(directive: str, spec: Spec, args: list[str], version: Version) -> Any:
    """Return the typed value of `directive args;` or raise InvalidValue."""
    if not spec.min_args <= len(args) <= spec.max_args:
        raise InvalidValue(f'invalid number of arguments in "{directive}" directive')
    kind = spec.kind
    first = args[0]
    if kind == "duration":
        return _duration(directive, first)
    if kind == "size":
        return _size(directive, first)
    if kind == "flag":
        return _flag(directive, first)
    if kind == "int":
        return _integer(directive, first)
    if kind == "str":
        return " ".join(args)
    if kind == "first_duration":
        for arg in args[1:]:
            _duration(directive, arg, kind)
        return _duration(directive, first, kind)
    if kind == "list":
        return _choices(directive, spec, args)
    if kind == "buffers":
        _integer(directive, first)
        _size(directive, args[1])
        return " ".join(args)
    if kind == "counted_buffers":
        return Buffers(_integer(directive, first), _size(directive, args[1]))
    if kind == "http_version":
        allowed = ("1.0", "1.1", "2") if V1_29_4 <= version else ("1.0", "1.1")
        if first not in allowed:
            raise InvalidValue(f'invalid value "{first}" in "{directive}" directive, expected '
                               + " or ".join(allowed) + f" (nginx {version})")
        return first
    if kind == "upstream_keepalive":
        count = _integer(directive, first)
        if len(args) == 2:
            if args[1] != "local":
                raise InvalidValue(f'invalid parameter "{args[1]}" in "{directive}" directive')
            if version < V1_29_7:
                raise InvalidValue(f'"keepalive ... local" needs nginx >= 1.29.7 (configured: {version})')
        return count, len(args) == 2
    if kind == "worker_processes":
        return "auto" if first == "auto" else _integer(directive, first)
    raise AssertionError(f"unknown spec kind {kind!r}")


def _choices(directive: str, spec: Spec, args: list[str]) -> list[str]:
    assert spec.choices is not None
    for arg in args:
        if arg not in spec.choices:
            raise InvalidValue(f'invalid value "{arg}" in "{directive}" directive')
    if "off" in args and len(args) > 1:
        raise InvalidValue(f'"off" cannot be combined with other values in "{directive}" directive')
    return list(args)
