"""The nginx directives the loader interprets: value kind, argument count, and defaults per nginx version.

Defaults are from the nginx documentation and source. Version switches:
1.19.10 (`keepalive_requests` 100 -> 1000, `keepalive_time` added), 1.29.4 (`proxy_http_version 2`),
1.29.7 (`proxy_http_version` 1.0 -> 1.1, no default `Connection: close`, explicit upstreams keep 32 idle
connections per worker by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from advisor.model.buffers import Buffers
from advisor.model.deployment import Version
from advisor.model.provenance import Setting, Source

V1_19_10 = Version(1, 19, 10)
V1_29_4 = Version(1, 29, 4)
V1_29_7 = Version(1, 29, 7)

PAGE_SIZE = 4096  # "4k|8k": one memory page; 4k on x86-64/arm64 Linux


@dataclass(frozen=True, slots=True)
class Spec:
    """How to read one directive. kind: duration (s, float), size (bytes, int), flag (bool), int, list (list[str]),
    str (arguments joined), buffers ("8 4k"), counted_buffers (Buffers(4, 8192)), http_version, first_duration
    (first argument of keepalive_timeout), upstream_keepalive ("32 [local]")."""

    kind: str
    min_args: int = 1
    max_args: int = 1
    choices: frozenset[str] | None = None


NEXT_UPSTREAM_CHOICES = frozenset({
    "error", "timeout", "denied", "invalid_header", "invalid_response", "not_found", "non_idempotent", "off",
    "http_500", "http_502", "http_503", "http_504", "http_403", "http_404", "http_429",
})

PASS_KINDS = {"proxy_pass": "proxy", "uwsgi_pass": "uwsgi", "fastcgi_pass": "fastcgi", "scgi_pass": "scgi",
              "grpc_pass": "grpc", "memcached_pass": "memcached"}

_BUFFERED_MODULES = ("proxy", "uwsgi", "fastcgi", "scgi")
_ALL_MODULES = ("proxy", "uwsgi", "fastcgi", "scgi", "grpc", "memcached")

# suffix -> (spec, modules having it)
_MODULE_SUFFIXES: dict[str, tuple[Spec, tuple[str, ...]]] = {
    "connect_timeout": (Spec("duration"), _ALL_MODULES),
    "read_timeout": (Spec("duration"), _ALL_MODULES),
    "send_timeout": (Spec("duration"), _ALL_MODULES),
    "next_upstream": (Spec("list", 1, 99, NEXT_UPSTREAM_CHOICES), _ALL_MODULES),
    "next_upstream_tries": (Spec("int"), _ALL_MODULES),
    "next_upstream_timeout": (Spec("duration"), _ALL_MODULES),
    "buffer_size": (Spec("size"), _ALL_MODULES),
    "socket_keepalive": (Spec("flag"), _ALL_MODULES),
    "buffering": (Spec("flag"), _BUFFERED_MODULES),
    "request_buffering": (Spec("flag"), _BUFFERED_MODULES),
    "buffers": (Spec("buffers", 2, 2), _BUFFERED_MODULES),
    "busy_buffers_size": (Spec("size"), _BUFFERED_MODULES),
    "max_temp_file_size": (Spec("size"), _BUFFERED_MODULES),
    "ignore_client_abort": (Spec("flag"), _BUFFERED_MODULES),
    "http_version": (Spec("http_version"), ("proxy",)),
}

CLIENT_SPECS: dict[str, Spec] = {
    "client_max_body_size": Spec("size"),
    "client_body_timeout": Spec("duration"),
    "client_header_timeout": Spec("duration"),
    "send_timeout": Spec("duration"),
    "keepalive_timeout": Spec("first_duration", 1, 2),
    "keepalive_requests": Spec("int"),
    "keepalive_time": Spec("duration"),
    "large_client_header_buffers": Spec("counted_buffers", 2, 2),  # http and server level
}


def _module_specs() -> tuple[dict[str, Spec], dict[str, tuple[str, ...]]]:
    specs: dict[str, Spec] = {}
    keys: dict[str, list[str]] = {module: [] for module in _ALL_MODULES}
    for suffix, (spec, modules) in _MODULE_SUFFIXES.items():
        for module in modules:
            specs[f"{module}_{suffix}"] = spec
            keys[module].append(f"{module}_{suffix}")
    return specs, {module: tuple(names) for module, names in keys.items()}


_MODULE_SPECS, _MODULE_KEYS = _module_specs()

# Directives of http/server/location (and `if`) that the loader reads into Route.settings.
LOCATION_SPECS: dict[str, Spec] = {**_MODULE_SPECS, **CLIENT_SPECS}

# Route.settings keys per route kind: the module's own settings plus the client-side ones.
ROUTE_KEYS: dict[str, tuple[str, ...]] = {module: _MODULE_KEYS[module] + tuple(CLIENT_SPECS) for module in
                                          _ALL_MODULES}

# Header-setting directive per route kind (all-or-nothing inheritance).
HEADER_DIRECTIVES = {"proxy": "proxy_set_header", "grpc": "grpc_set_header"}

UPSTREAM_SPECS: dict[str, Spec] = {
    "keepalive": Spec("upstream_keepalive", 1, 2),
    "keepalive_timeout": Spec("duration"),
    "keepalive_requests": Spec("int"),
    "keepalive_time": Spec("duration"),
    "zone": Spec("str", 1, 2),
}

UPSTREAM_BALANCERS = {"least_conn": 0, "ip_hash": 0, "hash": 2, "random": 2, "least_time": 3, "ntlm": 0}

SERVER_PARAM_SPECS: dict[str, str] = {  # upstream `server` parameters -> kind
    "weight": "int", "max_fails": "int", "fail_timeout": "duration", "max_conns": "int",
    "backup": "flag", "down": "flag", "resolve": "flag",
    # NGINX Plus / less common, accepted but not interpreted further
    "slow_start": "duration", "route": "str", "service": "str", "drain": "flag",
}

MAIN_SPECS: dict[str, Spec] = {
    "worker_processes": Spec("worker_processes"),
    "worker_rlimit_nofile": Spec("int"),
    "user": Spec("str", 1, 2),
}
EVENTS_SPECS: dict[str, Spec] = {"worker_connections": Spec("int")}

LISTEN_BACKLOG_DEFAULT = 511  # NGX_LISTEN_BACKLOG on Linux (ngx_linux_config.h)


def default_source(version: Version) -> Source:
    return Source.default(f"nginx {version} default")


@lru_cache(maxsize=8)
def location_defaults(version: Version) -> dict[str, Setting]:
    """Defaults for every key of LOCATION_SPECS (the values when no level sets the directive)."""
    src = default_source(version)
    values: dict[str, tuple[object, Source, str]] = {}
    for module in _ALL_MODULES:
        values[f"{module}_connect_timeout"] = (60.0, src, "60s")
        values[f"{module}_read_timeout"] = (60.0, src, "60s")
        values[f"{module}_send_timeout"] = (60.0, src, "60s")
        values[f"{module}_next_upstream"] = (["error", "timeout"], src, "error timeout")
        values[f"{module}_next_upstream_tries"] = (0, src, "0")  # 0 = unlimited
        values[f"{module}_next_upstream_timeout"] = (0.0, src, "0")  # 0 = unlimited
        values[f"{module}_buffer_size"] = (PAGE_SIZE, src, "4k")  # "4k|8k": one memory page
        values[f"{module}_socket_keepalive"] = (False, src, "off")
    for module in _BUFFERED_MODULES:
        values[f"{module}_buffering"] = (True, src, "on")
        values[f"{module}_request_buffering"] = (True, src, "on")
        values[f"{module}_buffers"] = ("8 4k", src, "8 4k")
        values[f"{module}_busy_buffers_size"] = (2 * PAGE_SIZE, src, "8k")
        values[f"{module}_max_temp_file_size"] = (1024 * 1024 * 1024, src, "1024m")
        values[f"{module}_ignore_client_abort"] = (False, src, "off")
    values["proxy_http_version"] = ("1.1", src, "1.1") if V1_29_7 <= version else ("1.0", src, "1.0")
    values["client_max_body_size"] = (1024 * 1024, src, "1m")
    values["client_body_timeout"] = (60.0, src, "60s")
    values["client_header_timeout"] = (60.0, src, "60s")
    values["send_timeout"] = (60.0, src, "60s")
    values["keepalive_timeout"] = (75.0, src, "75s")
    values["large_client_header_buffers"] = (Buffers(4, 8192), src, "4 8k")
    values.update(_keepalive_request_defaults(version))
    return {key: Setting(value, source, raw) for key, (value, source, raw) in values.items()}


def _keepalive_request_defaults(version: Version) -> dict[str, tuple[object, Source, str]]:
    src = default_source(version)
    if V1_19_10 <= version:
        return {"keepalive_requests": (1000, src, "1000"), "keepalive_time": (3600.0, src, "1h")}
    return {"keepalive_requests": (100, src, "100"),
            "keepalive_time": (None, src, None)}  # keepalive_time exists since 1.19.10


@lru_cache(maxsize=8)
def upstream_defaults(version: Version) -> dict[str, Setting]:
    """Defaults of an explicit `upstream {}` block."""
    src = default_source(version)
    result = {
        "keepalive_timeout": Setting(60.0, src, "60s"),
        "zone": Setting(None, src),  # no shared memory zone
        "balancer": Setting("round_robin", src, None),
    }
    for key, (value, source, raw) in _keepalive_request_defaults(version).items():
        result[key] = Setting(value, source, raw)
    if V1_29_7 <= version:
        result["keepalive"] = Setting(32, src, "32 local")  # explicit upstream blocks only (implicit: none)
        result["keepalive_local"] = Setting(True, src, "local")
    else:
        result["keepalive"] = Setting(0, src, None)  # no upstream keep-alive before 1.29.7
        result["keepalive_local"] = Setting(False, src, None)
    return result


@lru_cache(maxsize=8)
def server_param_defaults(version: Version) -> dict[str, Setting]:
    src = default_source(version)
    return {
        "weight": Setting(1, src, "1"),
        "max_fails": Setting(1, src, "1"),
        "fail_timeout": Setting(10.0, src, "10s"),
        "max_conns": Setting(0, src, "0"),  # 0 = no limit
        "backup": Setting(False, src, None),
        "down": Setting(False, src, None),
        "resolve": Setting(False, src, None),
    }


@lru_cache(maxsize=8)
def main_defaults(version: Version) -> dict[str, Setting]:
    src = default_source(version)
    return {
        "worker_processes": Setting(1, src, "1"),
        "worker_connections": Setting(512, src, "512"),
        "worker_rlimit_nofile": Setting(None, src),  # not set: the OS RLIMIT_NOFILE applies
        "user": Setting("nobody nobody", src, "nobody nobody"),
    }


@lru_cache(maxsize=8)
def default_headers(version: Version) -> dict[str, Setting]:
    """proxy_set_header defaults: `Host $proxy_host`, and `Connection close` before 1.29.7."""
    src = default_source(version)
    headers = {"host": Setting("$proxy_host", src, "Host $proxy_host")}
    if version < V1_29_7:
        headers["connection"] = Setting("close", src, "Connection close")
    return headers


def listen_backlog_default(version: Version) -> Setting:
    return Setting(LISTEN_BACKLOG_DEFAULT, default_source(version), "511")
