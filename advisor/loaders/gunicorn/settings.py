"""The gunicorn 27.0.1 settings table: every setting name, its CLI options, how its value is validated, its default.

Written from gunicorn's documented behaviour (`gunicorn/config.py` of 27.0.1); `tests/loaders/gunicorn/` compares this
table with the installed gunicorn's `KNOWN_SETTINGS` so that drift is caught.

`kind` names the validator (see `convert.py`). Server hooks are settings too (kind "hook", with the arity gunicorn
checks). Defaults that depend on the host (environment, working directory, user) are computed by `default_setting`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

GUNICORN_VERSION = "27.0.1"

Action = Literal["store", "append", "store_true", "store_const"]
CliType = Literal["str", "int", "auto_int"]

# Settings whose default is computed from the host when gunicorn starts (see `default_setting`).
HOST_DEFAULTS = frozenset({"bind", "workers", "forwarded_allow_ips", "chdir", "user", "group", "control_socket"})


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One gunicorn setting: its validator, default and command-line options."""

    name: str
    kind: str  # validator, see convert.py
    default: Any = None  # gunicorn's raw default, before validation (host-dependent ones: the env-free value)
    cli: tuple[str, ...] = ()
    action: Action = "store"
    cli_type: CliType = "str"
    const: Any = None
    nargs: str | None = None
    arity: int | None = None  # server hooks: the number of positional parameters gunicorn requires

    @property
    def takes_value(self) -> bool:
        """Whether the CLI option consumes an argument (store_true/store_const options do not)."""
        return self.action in ("store", "append")

    @property
    def is_hook(self) -> bool:
        return self.kind in ("hook", "post_request_hook")


def _s(name: str, kind: str, default: Any = None, *cli: str, **extra: Any) -> SettingSpec:
    return SettingSpec(name, kind, default, tuple(cli), **extra)


def _int(name: str, default: int, *cli: str) -> SettingSpec:
    return SettingSpec(name, "pos_int", default, tuple(cli), cli_type="int")


def _flag(name: str, *cli: str, default: bool = False) -> SettingSpec:
    return SettingSpec(name, "bool", default, tuple(cli), action="store_true")


def _hook(name: str, arity: int) -> SettingSpec:
    return SettingSpec(name, "hook", None, arity=arity)


_DEFAULT_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
_DEFAULT_SECURE_SCHEME_HEADERS = {"X-FORWARDED-PROTOCOL": "ssl", "X-FORWARDED-PROTO": "https", "X-FORWARDED-SSL": "on"}

SETTINGS: tuple[SettingSpec, ...] = (
    # Config file
    _s("config", "string", "./gunicorn.conf.py", "-c", "--config"),
    _s("wsgi_app", "string"),
    # Server socket
    _s("bind", "list_string", ["127.0.0.1:8000"], "-b", "--bind", action="append"),
    _int("backlog", 2048, "--backlog"),
    # Worker processes
    _int("workers", 1, "-w", "--workers"),
    _s("worker_class", "class", "sync", "-k", "--worker-class"),
    _int("threads", 1, "--threads"),
    _int("worker_connections", 1000, "--worker-connections"),
    _int("max_requests", 0, "--max-requests"),
    _int("max_requests_jitter", 0, "--max-requests-jitter"),
    _int("timeout", 30, "-t", "--timeout"),
    _int("graceful_timeout", 30, "--graceful-timeout"),
    _int("keepalive", 2, "--keep-alive"),
    # Security
    _int("limit_request_line", 4094, "--limit-request-line"),
    _int("limit_request_fields", 100, "--limit-request-fields"),
    _int("limit_request_field_size", 8190, "--limit-request-field_size"),
    # Debugging
    _flag("reload", "--reload"),
    _s("reload_engine", "reload_engine", "auto", "--reload-engine"),
    _s("reload_extra_files", "files", [], "--reload-extra-file", action="append"),
    _flag("spew", "--spew"),
    _flag("check_config", "--check-config"),
    _flag("print_config", "--print-config"),
    # Server mechanics
    _flag("preload_app", "--preload"),
    _s("sendfile", "bool", None, "--no-sendfile", action="store_const", const=False),
    _flag("reuse_port", "--reuse-port"),
    _s("chdir", "chdir", None, "--chdir"),
    _flag("daemon", "-D", "--daemon"),
    _s("raw_env", "list_string", [], "-e", "--env", action="append"),
    _s("pidfile", "string", None, "-p", "--pid"),
    _s("worker_tmp_dir", "string", None, "--worker-tmp-dir"),
    _s("user", "user", None, "-u", "--user"),
    _s("group", "group", None, "-g", "--group"),
    _s("umask", "pos_int", 0, "-m", "--umask", cli_type="auto_int"),
    _flag("initgroups", "--initgroups"),
    _s("tmp_upload_dir", "string"),
    _s("secure_scheme_headers", "dict", _DEFAULT_SECURE_SCHEME_HEADERS),
    _s("forwarded_allow_ips", "addr_list", "127.0.0.1,::1", "--forwarded-allow-ips"),
    # Logging
    _s("accesslog", "string", None, "--access-logfile"),
    _flag("disable_redirect_access_to_syslog", "--disable-redirect-access-to-syslog"),
    _s("access_log_format", "string", _DEFAULT_ACCESS_LOG_FORMAT, "--access-logformat"),
    _s("errorlog", "string", "-", "--error-logfile", "--log-file"),
    _s("loglevel", "string", "info", "--log-level"),
    _flag("capture_output", "--capture-output"),
    _s("logger_class", "class", "gunicorn.glogging.Logger", "--logger-class"),
    _s("logconfig", "string", None, "--log-config"),
    _s("logconfig_dict", "dict", {}),
    _s("logconfig_json", "string", None, "--log-config-json"),
    _s("syslog_addr", "string", "udp://localhost:514", "--log-syslog-to"),  # Linux default
    _flag("syslog", "--log-syslog"),
    _s("syslog_prefix", "string", None, "--log-syslog-prefix"),
    _s("syslog_facility", "string", "user", "--log-syslog-facility"),
    _flag("enable_stdio_inheritance", "-R", "--enable-stdio-inheritance"),
    _s("statsd_host", "statsd", None, "--statsd-host"),
    _s("dogstatsd_tags", "string", "", "--dogstatsd-tags"),
    _s("statsd_prefix", "string", "", "--statsd-prefix"),
    _flag("enable_backlog_metric", "--enable-backlog-metric"),
    # Process naming
    _s("proc_name", "string", None, "-n", "--name"),
    _s("default_proc_name", "string", "gunicorn"),
    # Server mechanics (continued)
    _s("pythonpath", "string", None, "--pythonpath"),
    _s("paste", "string", None, "--paste", "--paster"),
    # Server hooks
    _hook("on_starting", 1),
    _hook("on_reload", 1),
    _hook("when_ready", 1),
    _hook("pre_fork", 2),
    _hook("post_fork", 2),
    _hook("post_worker_init", 1),
    _hook("worker_int", 1),
    _hook("worker_abort", 1),
    _hook("pre_exec", 1),
    _hook("pre_request", 2),
    SettingSpec("post_request", "post_request_hook"),
    _hook("child_exit", 2),
    _hook("worker_exit", 2),
    _hook("nworkers_changed", 3),
    _hook("on_exit", 1),
    _hook("ssl_context", 2),
    # Proxy / protocol
    _s("proxy_protocol", "proxy_protocol", "off", "--proxy-protocol", nargs="?", const="auto"),
    _s("proxy_allow_ips", "addr_list", "127.0.0.1,::1", "--proxy-allow-from"),
    _s("protocol", "string", "http", "--protocol"),
    _s("uwsgi_allow_ips", "addr_list", "127.0.0.1,::1", "--uwsgi-allow-from"),
    # SSL
    _s("keyfile", "string", None, "--keyfile"),
    _s("certfile", "string", None, "--certfile"),
    _s("ssl_version", "ssl_version", 2, "--ssl-version"),  # ssl.PROTOCOL_TLS (deprecated, ignored)
    _s("cert_reqs", "pos_int", 0, "--cert-reqs"),  # ssl.CERT_NONE
    _s("ca_certs", "string", None, "--ca-certs"),
    _flag("suppress_ragged_eofs", "--suppress-ragged-eofs", default=True),
    _flag("do_handshake_on_connect", "--do-handshake-on-connect"),
    _s("ciphers", "string", None, "--ciphers"),
    # HTTP/2
    _s("http_protocols", "http_protocols", "h1", "--http-protocols"),
    _s("http2_cleartext", "http2_cleartext", "off", "--http2-cleartext"),
    SettingSpec("http2_max_concurrent_streams", "http2_streams", 100, ("--http2-max-concurrent-streams",),
                cli_type="int"),
    SettingSpec("http2_initial_window_size", "http2_window", 65535, ("--http2-initial-window-size",), cli_type="int"),
    SettingSpec("http2_max_frame_size", "http2_frame", 16384, ("--http2-max-frame-size",), cli_type="int"),
    _int("http2_max_header_list_size", 65536, "--http2-max-header-list-size"),
    # Server mechanics (HTTP parsing)
    _s("raw_paste_global_conf", "list_string", [], "--paste-global", action="append"),
    _flag("permit_obsolete_folding", "--permit-obsolete-folding"),
    _flag("strip_header_spaces", "--strip-header-spaces"),
    _flag("permit_unconventional_http_method", "--permit-unconventional-http-method"),
    _flag("permit_unconventional_http_version", "--permit-unconventional-http-version"),
    _flag("casefold_http_method", "--casefold-http-method"),
    _s("forwarder_headers", "string_list", "SCRIPT_NAME,PATH_INFO", "--forwarder-headers"),
    _s("header_map", "header_map", "drop", "--header-map"),
    # ASGI
    _s("asgi_loop", "asgi_loop", "auto", "--asgi-loop"),
    _s("asgi_lifespan", "asgi_lifespan", "auto", "--asgi-lifespan"),
    _int("asgi_disconnect_grace_period", 3, "--asgi-disconnect-grace-period"),
    _int("websocket_max_message_size", 16 * 1024 * 1024, "--websocket-max-message-size"),
    _s("http_parser", "http_parser", "auto", "--http-parser"),
    _s("root_path", "string", "", "--root-path"),
    # Dirty arbiters
    _s("dirty_apps", "list_string", [], "--dirty-app", action="append"),
    _int("dirty_workers", 0, "--dirty-workers"),
    _int("dirty_timeout", 300, "--dirty-timeout"),
    _int("dirty_threads", 1, "--dirty-threads"),
    _int("dirty_graceful_timeout", 30, "--dirty-graceful-timeout"),
    _hook("on_dirty_starting", 1),
    _hook("dirty_post_fork", 2),
    _hook("dirty_worker_init", 1),
    _hook("dirty_worker_exit", 2),
    # Control socket
    _s("control_socket", "string", None, "--control-socket"),
    _s("control_socket_mode", "pos_int", 0o600, "--control-socket-mode", cli_type="auto_int"),
    _flag("control_socket_disable", "--no-control-socket"),
)

SETTINGS_BY_NAME: dict[str, SettingSpec] = {spec.name: spec for spec in SETTINGS}
SETTING_NAMES: frozenset[str] = frozenset(SETTINGS_BY_NAME)
HOOK_NAMES: frozenset[str] = frozenset(spec.name for spec in SETTINGS if spec.is_hook)
OPTION_TO_SETTING: dict[str, SettingSpec] = {flag: spec for spec in SETTINGS for flag in spec.cli}
# Options argparse adds that are not settings: they print and exit.
EXIT_OPTIONS: dict[str, str] = {"-h": "help", "--help": "help", "-v": "version", "--version": "version"}
ALL_OPTIONS: tuple[str, ...] = tuple(OPTION_TO_SETTING) + tuple(EXIT_OPTIONS)


def _option_aliases() -> dict[str, str]:
    """Names people write in config files by analogy with the CLI option (`preload` for --preload)."""
    aliases: dict[str, str] = {}
    for spec in SETTINGS:
        for flag in spec.cli:
            if flag.startswith("--"):
                alias = flag[2:].replace("-", "_")
                if alias != spec.name:
                    aliases.setdefault(alias, spec.name)
    return aliases


SETTING_ALIASES: dict[str, str] = _option_aliases()


MAX_FUZZY_NAME = 64


def suggest_setting(name: str) -> str | None:
    """The setting a misspelled or CLI-styled config name most likely means, or None."""
    if name in SETTING_NAMES:
        return name
    normalized = name.lower().replace("-", "_")
    if normalized in SETTING_NAMES:
        return normalized
    if normalized in SETTING_ALIASES:
        return SETTING_ALIASES[normalized]
    if len(normalized) > MAX_FUZZY_NAME:  # difflib costs length x length per candidate
        return None
    import difflib

    matches = difflib.get_close_matches(normalized, sorted(SETTING_NAMES), n=1, cutoff=0.75)
    if matches:
        return matches[0]
    alias_matches = difflib.get_close_matches(normalized, sorted(SETTING_ALIASES), n=1, cutoff=0.8)
    if alias_matches:
        return SETTING_ALIASES[alias_matches[0]]
    matches = difflib.get_close_matches(normalized, sorted(SETTING_NAMES), n=1, cutoff=0.6)
    return matches[0] if matches else None


def suggest_option(text: str) -> str | None:
    """The real option closest to an unknown one (`--max_requests` -> `--max-requests`)."""
    flag = text.split("=", 1)[0]
    if len(flag) > MAX_FUZZY_NAME:
        return None
    import difflib

    if flag.startswith("--"):
        dashed = "--" + flag[2:].replace("_", "-").lower()
        for option in ALL_OPTIONS:
            if option.replace("_", "-") == dashed:
                return option
        # `--preload-app`, `--worker_tmp_dir`: a setting name spelled as an option
        setting = flag[2:].replace("-", "_").lower()
        if setting in SETTINGS_BY_NAME and SETTINGS_BY_NAME[setting].cli:
            return SETTINGS_BY_NAME[setting].cli[-1]
        longs = sorted(option for option in ALL_OPTIONS if option.startswith("--"))
        matches = difflib.get_close_matches(dashed, longs, n=1, cutoff=0.6)
        return matches[0] if matches else None
    shorts = sorted(option for option in ALL_OPTIONS if not option.startswith("--"))
    matches = difflib.get_close_matches(flag[:2], shorts, n=1, cutoff=0.5)
    return matches[0] if matches else None


# --- worker classes -------------------------------------------------------------------------------------------------

BUNDLED_WORKER_CLASSES: dict[str, str] = {
    "sync": "gunicorn.workers.sync.SyncWorker",
    "gthread": "gunicorn.workers.gthread.ThreadWorker",
    "gevent": "gunicorn.workers.ggevent.GeventWorker",
    "gevent_wsgi": "gunicorn.workers.ggevent.GeventPyWSGIWorker",
    "gevent_pywsgi": "gunicorn.workers.ggevent.GeventPyWSGIWorker",
    "tornado": "gunicorn.workers.gtornado.TornadoWorker",
    "asgi": "gunicorn.workers.gasgi.ASGIWorker",
}
REMOVED_WORKER_CLASSES: dict[str, str] = {"eventlet": "26.0.0"}  # name -> gunicorn version that removed it

WorkerModel = Literal["sync", "gthread", "gevent", "tornado", "asgi", "uvicorn", "eventlet", "custom"]


@dataclass(frozen=True, slots=True)
class WorkerClassInfo:
    """What a worker class means for concurrency."""

    model: WorkerModel
    is_async: bool | None  # one worker serves many connections at once (None: a custom class, not known)
    bundled: bool  # ships with gunicorn 27
    removed_in: str | None = None  # gunicorn version that removed it (eventlet: 26.0.0)


def classify_worker_class(worker_class: str, threads: int = 1) -> WorkerClassInfo:
    """How a `worker_class` value behaves. `sync` with threads > 1 is gunicorn's gthread (it switches silently).

    The family comes from the one shared table (advisor/model/workers.py); this adds what only the loader needs:
    whether gunicorn 27 ships the class and which version removed it."""
    from advisor.model.workers import EVENT_LOOP_FAMILIES, GREENLET_FAMILIES, effective_family, worker_family

    text = worker_class.strip()
    if text.startswith("egg:gunicorn#"):
        text = text[len("egg:gunicorn#"):]
    family = worker_family(text)
    if family is None:
        return WorkerClassInfo("custom", None, False)
    by_path = {path: name for name, path in BUNDLED_WORKER_CLASSES.items()}
    bundled = text in BUNDLED_WORKER_CLASSES or text in by_path
    model = effective_family(family, threads)
    removed_in = REMOVED_WORKER_CLASSES.get(family)
    return WorkerClassInfo(model, model in GREENLET_FAMILIES or model in EVENT_LOOP_FAMILIES,
                           bundled and removed_in is None, removed_in)
