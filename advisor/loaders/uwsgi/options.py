"""The uWSGI options advisor models: how uWSGI 2.0.30 converts each value, its default, and the socket options.

Settings carry uWSGI's option names with `-` written as `_` (`buffer-size` -> `buffer_size`), so that rules can
name them (`app.buffer_size`). Conversions are uWSGI's own (core/uwsgi.c): `uwsgi_opt_set_int` is C `atoi` (leading
digits, else 0; a negative value makes uWSGI exit), `uwsgi_opt_set_64bit` is `strtoul`, `buffer-size` is capped at
65535, `reload-on-rss` is in megabytes, and a flag (`uwsgi_opt_true`) is on unless its value is `false`, `off`, `no`
(any case) or `0` — an empty value (`master =`, or `master` alone in an ini file) turns it on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from advisor.lazy_regex import lazy_re

UWSGI_VERSION = "2.0.30"

Conversion = Literal["int", "uint", "uint16", "megabytes", "flag", "str", "chmod"]


@dataclass(frozen=True, slots=True)
class UwsgiOption:
    """One modelled uWSGI option: how its value converts, and its default."""

    name: str  # as uWSGI spells it: "buffer-size"
    conversion: Conversion
    default: Any
    default_note: str = ""  # why the default is what it is, for `advisor show`

    @property
    def setting(self) -> str:
        return setting_name(self.name)


def setting_name(option: str) -> str:
    return option.replace("-", "_")


def _o(name: str, conversion: Conversion, default: Any = None, note: str = "") -> UwsgiOption:
    return UwsgiOption(name, conversion, default, note)


OPTIONS: tuple[UwsgiOption, ...] = (
    _o("processes", "int", 1),
    _o("threads", "int", 1),
    _o("listen", "int", 100, "the listen queue of every socket uWSGI binds"),
    _o("harakiri", "int", 0, "off: a request may run forever"),
    _o("harakiri-graceful-timeout", "int", 0),
    _o("harakiri-verbose", "flag", False),
    _o("buffer-size", "uint16", 4096, "bytes for the request's uwsgi packet or HTTP headers"),
    _o("max-requests", "uint", 0),
    _o("max-requests-delta", "uint", 0),
    _o("max-worker-lifetime", "uint", 0),
    _o("max-worker-lifetime-delta", "int", 0),
    _o("min-worker-lifetime", "uint", 10),
    _o("reload-on-rss", "megabytes", 0),
    _o("evil-reload-on-rss", "megabytes", 0),
    _o("reload-mercy", "int", 0),
    _o("worker-reload-mercy", "int", 60),
    _o("vacuum", "flag", False),
    _o("chmod-socket", "chmod", None),
    _o("abstract-socket", "flag", False, "unix sockets are files; on: every unix socket is an abstract one"),
    _o("post-buffering", "uint", 0),
    _o("http-keepalive", "int", 0),
    _o("http-timeout", "int", 60),
    _o("so-keepalive", "flag", False),
    _o("socket-timeout", "int", 4),
    _o("master", "flag", False),
    _o("lazy-apps", "flag", False),
    _o("lazy", "flag", False),
    _o("enable-threads", "flag", True, "uWSGI 2.0.30 turns threads on whatever this says"),
    _o("thunder-lock", "flag", False),
    _o("die-on-term", "flag", False),
    _o("cheaper", "int", 0),
    _o("cheaper-initial", "int", 0),
    _o("cheaper-step", "int", 0),
    _o("cheaper-algo", "str", None),
    _o("async", "int", 1),
    _o("gevent", "int", 0),
    _o("offload-threads", "int", 0),
    _o("protocol", "str", None, "socket speaks the uwsgi protocol"),
    _o("module", "str", None),
    _o("wsgi-file", "str", None),
    _o("callable", "str", None),
    _o("chdir", "str", None),
    _o("strict", "flag", False),
)
OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}
ALIASES = {"workers": "processes", "socket-protocol": "protocol", "wsgi": "module", "file": "wsgi-file"}

# Options that bind a socket, with the protocol it speaks (None: the default protocol, `protocol = ...` or uwsgi).
SOCKET_OPTIONS: dict[str, str | None] = {
    "socket": None, "uwsgi-socket": "uwsgi", "suwsgi-socket": "suwsgi", "ssl-socket": "suwsgi",
    "http-socket": "http", "http11-socket": "http11", "https-socket": "https", "fastcgi-socket": "fastcgi",
    "fastcgi-nph-socket": "fastcgi", "scgi-socket": "scgi", "scgi-nph-socket": "scgi", "raw-socket": "raw",
    "puwsgi-socket": "puwsgi", "http": "http-router", "https": "https-router",
}
LOAD_OPTIONS = frozenset({"ini", "yaml", "yml", "json", "js", "xml", "xmlconfig", "include", "inherit"})
PLACEHOLDER_OPTIONS = frozenset({"set", "set-placeholder", "set-ph"})
SHORT_OPTIONS = {  # getopt short options: letter -> option name
    "s": "socket", "p": "processes", "M": "master", "T": "enable-threads", "t": "harakiri", "b": "buffer-size",
    "l": "listen", "C": "chmod-socket", "R": "max-requests", "z": "socket-timeout", "x": "xml", "y": "yaml",
    "j": "json", "d": "daemonize", "L": "disable-logging", "m": "memory-report", "i": "single-interpreter",
    "w": "wsgi", "S": "set", "H": "home", "A": "sharedarea", "J": "test", "O": "optimize", "Q": "spooler",
    "a": "abstract-socket", "c": "cgi-mode", "h": "help", "r": "reaper", "v": "max-vars",
}
_FALSE_WORDS = frozenset({"false", "off", "no"})
_LEADING_INT = lazy_re(r"^[ \t\n\r\f\v]*([+-]?\d+)")


class InvalidValue(ValueError):
    """uWSGI exits at start-up with this value (the message says why, as uWSGI would)."""


def atoi(text: str) -> int:
    """C atoi/strtoul: the leading digits after blanks and a sign, else 0."""
    match = _LEADING_INT.match(text)
    return int(match.group(1)) if match else 0


def flag_value(text: str | None) -> bool:
    """uwsgi_opt_true: on unless the value is false/off/no (any case) or "0"."""
    if text is None:
        return True
    return not (text.lower() in _FALSE_WORDS or text == "0")


def convert(option: UwsgiOption, text: str | None) -> Any:
    """The value uWSGI stores for `text` (None: a flag given without a value). Raises InvalidValue."""
    kind = option.conversion
    if kind == "flag":
        return flag_value(text)
    if kind == "str":
        return text or ""
    if kind == "chmod":
        if text is None or text == "1":
            return True
        if len(text) != 3 or any(char not in "01234567" for char in text):
            raise InvalidValue(f"invalid chmod value: {text}")
        return text
    if text is None:
        return 1  # a value-taking option given as a bare word: uWSGI stores 1
    number = atoi(text)
    if kind == "int":
        if number < 0:
            raise InvalidValue(f'invalid value for option "{option.name}": must be > 0')
        return number
    if number < 0:  # strtoul of a negative number wraps around: a huge value
        raise InvalidValue(f"{option.name} = {text} is negative; uWSGI reads it as a huge unsigned number")
    if kind == "uint16":
        return min(number, 65535)
    if kind == "megabytes":
        return number * 1024 * 1024
    return number


__all__ = ["ALIASES", "LOAD_OPTIONS", "OPTIONS", "OPTIONS_BY_NAME", "PLACEHOLDER_OPTIONS", "SHORT_OPTIONS",
           "SOCKET_OPTIONS", "UWSGI_VERSION", "InvalidValue", "UwsgiOption", "atoi", "convert", "flag_value",
           "setting_name"]
