"""Validate and convert setting values the way gunicorn 27's validators do (`workers = "4"` is 4).

`validate(spec, value)` takes a statically evaluated value (plain data or a marker from values.py) and returns the
value gunicorn would store, raises `InvalidValue` where gunicorn refuses to start, or `NotStatic` where the value is
code (a class or function object) that cannot be judged without running it. `cli_argument(spec, text)` applies the
argparse `type` conversion that precedes validation for command-line options.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from advisor.loaders.gunicorn.settings import SettingSpec
from advisor.loaders.gunicorn.values import (
    ClassRef, FunctionRef, ImportedRef, ModuleRef, Unknown, describe_marker, is_plain,
)
from advisor.model.addresses import Address, parse_gunicorn_bind


class InvalidValue(ValueError):
    """gunicorn would reject this value and exit ("Invalid value for workers: four")."""


class NotStatic(ValueError):
    """The value is code (a function or class object) whose effect cannot be known without running it."""


RELOAD_ENGINES = ("auto", "poll", "inotify")
_PROXY_PROTOCOL = {"false": "off", "off": "off", "0": "off", "none": "off",
                   "true": "auto", "auto": "auto", "1": "auto", "v1": "v1", "v2": "v2"}


def validate(spec: SettingSpec, value: Any) -> Any:
    if isinstance(value, Unknown):  # callers handle unknowns first; keep this total anyway
        raise NotStatic(value.reason)
    if isinstance(value, ModuleRef):
        raise NotStatic(f"{spec.name} is set to {describe_marker(value)}")
    validator = _VALIDATORS[spec.kind]
    if spec.is_hook:
        return validator(spec, value)
    if isinstance(value, (FunctionRef, ClassRef, ImportedRef)) and spec.kind != "class":
        if isinstance(value, ImportedRef):
            raise NotStatic(f"{spec.name} is set to {value.dotted}, imported from a module advisor does not read")
        if spec.kind in ("string", "pos_int", "bool", "list_string", "dict"):
            raise InvalidValue(_type_error_message(spec, value))
        raise NotStatic(f"{spec.name} is set to {describe_marker(value)}")
    if not is_plain(value) and spec.kind != "class":
        raise NotStatic(f"{spec.name} is set to {describe_marker(value)}")
    return validator(spec, value)


def _type_error_message(spec: SettingSpec, value: Any) -> str:
    described = describe_marker(value)
    if spec.kind == "string":
        return f"Not a string: {described}"
    if spec.kind == "pos_int":
        return "int() can't convert non-string with explicit base"
    if spec.kind == "bool":
        return f"Invalid type for casting: {described}"
    if spec.kind == "dict":
        return f"Value is not a dictionary: {described}"
    return f"invalid value {described}"


# --- validators (one per kind) --------------------------------------------------------------------------------------

def _string(spec: SettingSpec, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValue(f"Not a string: {value!r}")
    return value.strip()


def _pos_int(spec: SettingSpec, value: Any) -> int:
    number = _to_int(value)
    if number < 0:
        raise InvalidValue(f"Value must be positive: {number}")
    return number


def _to_int(value: Any) -> int:
    if isinstance(value, int):  # bool included, as in gunicorn
        return int(value)
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError as error:
            raise InvalidValue(str(error)) from None
    raise InvalidValue("int() can't convert non-string with explicit base")


def _bool(spec: SettingSpec, value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise InvalidValue(f"Invalid type for casting: {value!r}")
    text = value.lower().strip()
    if text == "true":
        return True
    if text == "false":
        return False
    raise InvalidValue(f"Invalid boolean: {value}")


def _list_string(spec: SettingSpec, value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset, dict)):
        raise InvalidValue(f"'{type(value).__name__}' object is not iterable")
    return [_string(spec, item) for item in value]  # type: ignore[misc]


def _string_list(spec: SettingSpec, value: Any) -> list[str]:
    text = _string(spec, value)
    if not text:
        return []
    return [item.strip() for item in text.split(",") if item]


def _addr_list(spec: SettingSpec, value: Any) -> list[str]:
    addresses = _string_list(spec, value)
    for address in addresses:
        if address == "*":
            continue
        try:
            ipaddress.ip_network(address)
        except ValueError as error:
            raise InvalidValue(str(error)) from None
    return addresses


def _class(spec: SettingSpec, value: Any) -> str:
    if isinstance(value, FunctionRef):
        raise NotStatic(f"{spec.name} is {describe_marker(value)}; gunicorn calls it to get the class")
    if isinstance(value, ClassRef):
        raise NotStatic(f"{spec.name} is {describe_marker(value)} in the config file")
    if isinstance(value, ImportedRef):
        return value.dotted  # gunicorn accepts the class object; its import path names it
    if not is_plain(value):
        raise NotStatic(f"{spec.name} is set to {describe_marker(value)}")
    text = _string(spec, value)
    if text is None:
        raise InvalidValue("Not a string: None")  # gunicorn fails later, loading the class
    return text


def _hook(spec: SettingSpec, value: Any) -> str:
    """Hooks are stored as a name: the function's name, or the import path gunicorn would load."""
    if isinstance(value, FunctionRef):
        if spec.arity is not None and value.arity is not None and value.arity != spec.arity:
            raise InvalidValue(f"Value must have an arity of: {spec.arity}")
        return value.name
    if isinstance(value, (ImportedRef, ClassRef)):
        return value.dotted if isinstance(value, ImportedRef) else value.name
    if isinstance(value, str):
        if "." not in value:
            raise InvalidValue(f"Value '{value}' is not import string. Format: module[.submodules...].object")
        return value
    raise InvalidValue(f"Value is not callable: {value!r}")


def _post_request_hook(spec: SettingSpec, value: Any) -> str:
    if isinstance(value, FunctionRef) and value.arity is not None and value.arity not in (2, 3, 4):
        raise InvalidValue("Value must have an arity of: 4")
    return _hook(spec, value)


def _dict(spec: SettingSpec, value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise InvalidValue(f"Value is not a dictionary: {value!r} ")
    return value


def _user_or_group(spec: SettingSpec, value: Any) -> int | str | None:
    """None means "the user gunicorn runs as"; a name stays a name (resolving it needs the host's passwd)."""
    if value is None:
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return int(value) if value.isdigit() else value
    raise InvalidValue(f"'{type(value).__name__}' object has no attribute 'isdigit'")


def _chdir(spec: SettingSpec, value: Any) -> str:
    text = _string(spec, value)
    if text is None:
        raise InvalidValue("expected str, bytes or os.PathLike object, not NoneType")
    return text


def _statsd(spec: SettingSpec, value: Any) -> str | None:
    text = _string(spec, value)
    if text is None or re.match(r"^unix:(\d+)$", text) or text.startswith("unix:"):
        return text
    if text.startswith("fd://"):
        if not text[5:].isdigit():
            raise InvalidValue("Value must be one of ('host:port', 'unix://PATH')")
        return text
    host_port = text[len("tcp://"):] if text.startswith("tcp://") else text
    try:
        int(_port_text(host_port, "8125"))
    except ValueError:
        raise InvalidValue("Value must be one of ('host:port', 'unix://PATH')") from None
    return text


def _reload_engine(spec: SettingSpec, value: Any) -> str:
    if value not in RELOAD_ENGINES:
        raise InvalidValue(f"Invalid reload_engine: {value!r}")
    return value


def _ssl_version(spec: SettingSpec, value: Any) -> Any:
    return value  # deprecated and ignored by gunicorn 27 (it only warns)


def _proxy_protocol(spec: SettingSpec, value: Any) -> str:
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "auto" if value else "off"
    if not isinstance(value, str):
        raise InvalidValue("proxy_protocol must be string or bool")
    text = value.lower().strip()
    if text not in _PROXY_PROTOCOL:
        raise InvalidValue("proxy_protocol must be: off, v1, v2, or auto")
    return _PROXY_PROTOCOL[text]


def _http_protocols(spec: SettingSpec, value: Any) -> list[str]:
    if value is None:
        return ["h1"]
    if not isinstance(value, str):
        raise InvalidValue("http_protocols must be a string")
    protocols = [item.strip().lower() for item in value.strip().split(",") if item.strip()]
    if not protocols:
        return ["h1"]
    for protocol in protocols:
        if protocol not in ("h1", "h2"):
            raise InvalidValue(f"Invalid protocol '{protocol}'. Valid protocols: h1, h2")
    if len(protocols) != len(set(protocols)):
        raise InvalidValue("Duplicate protocols specified")
    return protocols


def _http2_cleartext(spec: SettingSpec, value: Any) -> str:
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "prior-knowledge" if value else "off"
    if not isinstance(value, str):
        raise InvalidValue(f"Invalid type for casting: {value!r}")
    text = value.lower().strip()
    if text not in ("off", "prior-knowledge", "upgrade", "both"):
        raise InvalidValue(f"Invalid http2_cleartext: {text}")
    return text


def _http2_window(spec: SettingSpec, value: Any) -> int:
    number = _pos_int(spec, value)
    if number > 2 ** 31 - 1:
        raise InvalidValue(f"HTTP/2 window size must be at most 2147483647: {number}")
    return number


def _http2_streams(spec: SettingSpec, value: Any) -> int:
    number = _pos_int(spec, value)
    if number < 1:
        raise InvalidValue(f"HTTP/2 max concurrent streams must be at least 1: {number}")
    return number


def _http2_frame(spec: SettingSpec, value: Any) -> int:
    number = _to_int(value)
    if not 16384 <= number <= 16777215:
        raise InvalidValue(f"http2_max_frame_size must be between 16384 and 16777215, got {number}")
    return number


def _choice(choices: tuple[str, ...], default: str | None, type_error: str, invalid: str, keep_case: bool = False):
    """A validator for a fixed set of (case-insensitive) words; messages are gunicorn's, `{}` takes the value."""
    def check(spec: SettingSpec, value: Any) -> str | None:
        if value is None:
            return default
        if not isinstance(value, str):
            raise InvalidValue(type_error.format(repr(value)))
        text = value.lower().strip()
        if text not in choices:
            raise InvalidValue(invalid.format(value if keep_case else text))
        return text
    return check


_VALIDATORS = {
    "string": _string,
    "pos_int": _pos_int,
    "bool": _bool,
    "list_string": _list_string,
    "files": _list_string,  # gunicorn also checks that literal paths exist: that is a fact of the target host
    "string_list": _string_list,
    "addr_list": _addr_list,
    "class": _class,
    "hook": _hook,
    "post_request_hook": _post_request_hook,
    "dict": _dict,
    "user": _user_or_group,
    "group": _user_or_group,
    "chdir": _chdir,
    "statsd": _statsd,
    "reload_engine": _reload_engine,
    "ssl_version": _ssl_version,
    "proxy_protocol": _proxy_protocol,
    "http_protocols": _http_protocols,
    "http2_cleartext": _http2_cleartext,
    "http2_window": _http2_window,
    "http2_streams": _http2_streams,
    "http2_frame": _http2_frame,
    "header_map": _choice(("drop", "refuse", "dangerous"), None, "Invalid type for casting: {}",
                          "Invalid header map behaviour: {}", keep_case=True),
    "asgi_loop": _choice(("auto", "asyncio", "uvloop"), "auto", "Invalid type for casting: {}",
                         "Invalid ASGI loop: {}"),
    "asgi_lifespan": _choice(("auto", "on", "off"), "auto", "Invalid type for casting: {}",
                             "Invalid ASGI lifespan: {}"),
    "http_parser": _choice(("auto", "fast", "python"), "auto", "http_parser must be a string",
                           "http_parser must be one of: auto, fast, python"),
}
KINDS = frozenset(_VALIDATORS)


# --- command-line argument types (argparse `type=` runs before the validator) ---------------------------------------

def cli_argument(spec: SettingSpec, text: str) -> Any:
    """Convert an option's text as argparse would (`type=int` for --workers); raises InvalidValue like argparse."""
    if spec.cli_type == "int":
        try:
            return int(text)
        except ValueError:
            raise InvalidValue(f"invalid int value: {text!r}") from None
    if spec.cli_type == "auto_int":
        candidate = text.replace("0", "0o", 1) if re.match(r"0(\d)", text, re.IGNORECASE) else text
        try:
            return int(candidate, 0)
        except ValueError:
            raise InvalidValue(f"invalid auto_int value: {text!r}") from None
    return text


# --- model values ---------------------------------------------------------------------------------------------------

def check_gunicorn_bind(text: str) -> None:
    """Reject what gunicorn's address parser rejects at startup (`0.0.0.0:`, a bare `::1`, `fd://x`)."""
    if re.match(r"unix:(//)?", text):
        return
    if text.startswith("fd://"):
        if not re.fullmatch(r"\s*[+-]?\d+\s*", text[5:]):
            raise InvalidValue(f"{text[5:]!r} is not a valid file descriptor.")
        return
    netloc = text.split("tcp://")[1] if text.startswith("tcp://") else text
    port = _port_text(netloc, "8000")
    try:
        int(port)
    except ValueError:
        raise InvalidValue(f"{port!r} is not a valid port number.") from None


def _port_text(netloc: str, default: str) -> str:
    """The port part of HOST:PORT or [V6]:PORT as gunicorn's parse_address cuts it (before it calls int())."""
    if "[" in netloc and "]" in netloc:
        return (netloc.split("]:") + [default])[1]
    if ":" in netloc:
        return (netloc.split(":") + [default])[1]
    return default


def model_value(spec: SettingSpec, validated: Any) -> tuple[Any, str | None]:
    """The value stored in the deployment model and its raw text. `bind` becomes a list of Address."""
    if spec.name == "bind":
        addresses: list[Address] = []
        for text in validated:
            check_gunicorn_bind(text)
            try:
                addresses.append(parse_gunicorn_bind(text))
            except ValueError as error:
                raise InvalidValue(f"{error} (gunicorn cannot bind {text!r})") from None
        return addresses, ", ".join(validated)
    return validated, None
