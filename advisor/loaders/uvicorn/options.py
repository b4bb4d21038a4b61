"""uvicorn 0.54.0's command-line options (`uvicorn/main.py`, a click command with `auto_envvar_prefix="UVICORN"`).

Each option maps to the Config parameter of the same name; that name is the setting name in the model
(`timeout_keep_alive`, `limit_concurrency`, ...). Defaults and semantics: uvicorn 0.54 `uvicorn/config.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

UVICORN_VERSION = "0.54.0"

OptionType = Literal["str", "int", "float", "bool", "flag", "choice"]

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
LIFESPANS = ("auto", "on", "off")
INTERFACES = ("auto", "asgi3", "asgi2", "wsgi")


@dataclass(frozen=True, slots=True)
class UvicornOption:
    name: str  # Config parameter / setting name
    flags: tuple[str, ...]  # option strings; for on/off pairs the first one sets True, `off_flags` False
    type: OptionType
    default: Any = None
    multiple: bool = False
    choices: tuple[str, ...] = ()
    off_flags: tuple[str, ...] = ()

    @property
    def takes_value(self) -> bool:
        return self.type != "flag"

    @property
    def envvar(self) -> str:
        return f"UVICORN_{self.name.upper()}"


def _o(name: str, flag: str, type_: OptionType, default: Any = None, **extra: Any) -> UvicornOption:
    return UvicornOption(name, (flag,), type_, default, **extra)


def _switch(name: str, on: str, off: str, default: bool | None) -> UvicornOption:
    return UvicornOption(name, (on,), "flag", default, off_flags=(off,))


OPTIONS: tuple[UvicornOption, ...] = (
    _o("host", "--host", "str", "127.0.0.1"),
    _o("port", "--port", "int", 8000),
    _o("uds", "--uds", "str"),
    _o("fd", "--fd", "int"),
    _o("reload", "--reload", "flag", False),
    _o("reload_dirs", "--reload-dir", "str", multiple=True),
    _o("reload_includes", "--reload-include", "str", multiple=True),
    _o("reload_excludes", "--reload-exclude", "str", multiple=True),
    _o("reload_delay", "--reload-delay", "float", 0.25),
    _o("workers", "--workers", "int"),
    _o("loop", "--loop", "str", "auto"),
    _o("http", "--http", "str", "auto"),
    _o("http2", "--http2", "flag", False),
    _o("ws", "--ws", "str", "auto"),
    _o("ws_max_size", "--ws-max-size", "int", 16777216),
    _o("ws_max_queue", "--ws-max-queue", "int", 32),
    _o("ws_ping_interval", "--ws-ping-interval", "float", 20.0),
    _o("ws_ping_timeout", "--ws-ping-timeout", "float", 20.0),
    _o("ws_per_message_deflate", "--ws-per-message-deflate", "bool", True),
    _o("lifespan", "--lifespan", "choice", "auto", choices=LIFESPANS),
    _o("interface", "--interface", "choice", "auto", choices=INTERFACES),
    _o("env_file", "--env-file", "str"),
    _o("log_config", "--log-config", "str"),
    _o("log_level", "--log-level", "choice", None, choices=LOG_LEVELS),
    _switch("access_log", "--access-log", "--no-access-log", True),
    _switch("use_colors", "--use-colors", "--no-use-colors", None),
    _switch("proxy_headers", "--proxy-headers", "--no-proxy-headers", True),
    _switch("server_header", "--server-header", "--no-server-header", True),
    _switch("date_header", "--date-header", "--no-date-header", True),
    _o("forwarded_allow_ips", "--forwarded-allow-ips", "str"),
    _o("root_path", "--root-path", "str", ""),
    _o("limit_concurrency", "--limit-concurrency", "int"),
    _o("backlog", "--backlog", "int", 2048),
    _o("limit_max_requests", "--limit-max-requests", "int"),
    _o("limit_max_requests_jitter", "--limit-max-requests-jitter", "int", 0),
    _o("timeout_keep_alive", "--timeout-keep-alive", "int", 5),
    _o("timeout_graceful_shutdown", "--timeout-graceful-shutdown", "int"),
    _o("timeout_worker_healthcheck", "--timeout-worker-healthcheck", "int", 5),
    _o("ssl_keyfile", "--ssl-keyfile", "str"),
    _o("ssl_certfile", "--ssl-certfile", "str"),
    _o("ssl_keyfile_password", "--ssl-keyfile-password", "str"),
    _o("ssl_version", "--ssl-version", "int", 17),  # int(ssl.PROTOCOL_TLS_SERVER)
    _o("ssl_cert_reqs", "--ssl-cert-reqs", "int", 0),  # ssl.CERT_NONE
    _o("ssl_ca_certs", "--ssl-ca-certs", "str"),
    _o("ssl_ciphers", "--ssl-ciphers", "str"),
    _o("headers", "--header", "str", multiple=True),
    _o("app_dir", "--app-dir", "str", ""),
    _o("h11_max_incomplete_event_size", "--h11-max-incomplete-event-size", "int"),
    _o("reset_contextvars", "--reset-contextvars", "flag", False),
    _o("factory", "--factory", "flag", False),
)

OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}
FLAG_TO_OPTION: dict[str, tuple[UvicornOption, bool]] = {}
for _option in OPTIONS:
    for _flag in _option.flags:
        FLAG_TO_OPTION[_flag] = (_option, True)
    for _flag in _option.off_flags:
        FLAG_TO_OPTION[_flag] = (_option, False)
EXIT_FLAGS = {"--help": "help", "--version": "version"}


def suggest_flag(text: str) -> str | None:
    import difflib

    head = text.split("=", 1)[0]
    matches = difflib.get_close_matches(head, list(FLAG_TO_OPTION) + list(EXIT_FLAGS), n=1, cutoff=0.6)
    return matches[0] if matches else None
