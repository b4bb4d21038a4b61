"""The model's settings rules can read by name, per namespace: what the loaders put in a route's, upstream's, app
server's or the nginx config's settings (with defaults), declared as groups of names. Derived facts are declared in
advisor/engine/fact_registry.py; settings a loader starts to provide only need their name here.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.loaders.uwsgi.options import OPTIONS as UWSGI_OPTIONS


@dataclass(frozen=True, slots=True)
class SettingGroup:
    """A family of settings exposed to rules as facts of one namespace, described once for the docs."""

    namespace: str
    names: frozenset[str]
    description: str  # for the docs: which settings, with what defaults


_PROXY_LIKE = ("proxy", "uwsgi", "fastcgi", "scgi", "grpc", "memcached")
_PER_MODULE = (
    "connect_timeout", "read_timeout", "send_timeout", "next_upstream", "next_upstream_tries",
    "next_upstream_timeout", "buffering", "request_buffering", "buffer_size", "buffers", "busy_buffers_size",
    "max_temp_file_size", "ignore_client_abort", "socket_keepalive", "intercept_errors", "bind",
    "pass_request_body", "pass_request_headers", "cache", "temp_file_write_size",
)
ROUTE_SETTINGS = frozenset(
    {f"{module}_{name}" for module in _PROXY_LIKE for name in _PER_MODULE}
    | {
        "proxy_http_version", "proxy_redirect", "proxy_set_body", "proxy_pass_header", "proxy_hide_header",
        "proxy_cache_valid", "client_max_body_size", "client_body_timeout", "client_body_buffer_size",
        "client_header_timeout", "send_timeout", "keepalive_timeout", "keepalive_requests", "keepalive_time",
        "lingering_timeout", "lingering_close", "reset_timedout_connection", "resolver", "resolver_timeout",
        "sendfile", "tcp_nodelay", "large_client_header_buffers", "http2", "uwsgi_modifier1", "listen_backlog",
    }
)

UPSTREAM_SETTINGS = frozenset({"keepalive", "keepalive_timeout", "keepalive_requests", "keepalive_time", "zone",
                               "hash", "ip_hash", "least_conn", "random", "queue", "resolver", "balancer",
                               "keepalive_local"})

GUNICORN_SETTINGS = frozenset({
    "bind", "backlog", "workers", "worker_class", "threads", "worker_connections", "max_requests",
    "max_requests_jitter", "timeout", "graceful_timeout", "keepalive", "limit_request_line", "limit_request_fields",
    "limit_request_field_size", "reload", "preload_app", "reuse_port", "sendfile", "chdir", "daemon", "raw_env",
    "pidfile", "worker_tmp_dir", "user", "group", "umask", "initgroups", "tmp_upload_dir", "secure_scheme_headers",
    "forwarded_allow_ips", "accesslog", "errorlog", "loglevel", "capture_output", "proxy_protocol",
    "proxy_allow_ips", "protocol", "http_protocols", "http2_cleartext", "control_socket", "dirty_workers",
    "dirty_timeout", "wsgi_app", "strip_header_spaces", "statsd_host", "print_config", "check_config",
    "keyfile", "certfile", "ssl_version", "cert_reqs", "ca_certs", "suppress_ragged_eofs",
    "do_handshake_on_connect", "ciphers", "worker_int", "paste", "proc_name", "default_proc_name", "pythonpath",
    "logconfig", "syslog", "enable_stdio_inheritance", "header_map",
    "access_log_format", "asgi_disconnect_grace_period", "asgi_lifespan", "asgi_loop", "casefold_http_method",
    "config", "control_socket_disable", "control_socket_mode", "dirty_apps", "dirty_graceful_timeout",
    "dirty_threads", "disable_redirect_access_to_syslog", "dogstatsd_tags", "enable_backlog_metric",
    "forwarder_headers", "http2_initial_window_size", "http2_max_concurrent_streams", "http2_max_frame_size",
    "http2_max_header_list_size", "http_parser", "logconfig_dict", "logconfig_json", "logger_class",
    "permit_obsolete_folding", "permit_unconventional_http_method", "permit_unconventional_http_version",
    "raw_paste_global_conf", "reload_engine", "reload_extra_files", "spew", "statsd_prefix", "syslog_addr",
    "syslog_facility", "syslog_prefix", "uwsgi_allow_ips", "websocket_max_message_size",
})
UVICORN_SETTINGS = frozenset({
    "host", "port", "uds", "fd", "timeout_keep_alive", "limit_concurrency", "limit_max_requests",
    "limit_max_requests_jitter", "timeout_graceful_shutdown", "timeout_worker_healthcheck", "loop", "http", "ws",
    "interface", "proxy_headers", "root_path", "h11_max_incomplete_event_size",
})
# uWSGI's modelled options (`-` written `_`) and the model names its loader adds.
UWSGI_SETTINGS = frozenset(option.setting for option in UWSGI_OPTIONS) | {"app", "env"}

NGINX_SETTINGS = frozenset({
    "worker_processes", "worker_connections", "worker_rlimit_nofile", "user", "multi_accept", "accept_mutex",
    "keepalive_timeout", "keepalive_requests", "keepalive_time", "client_max_body_size", "send_timeout",
    "client_body_timeout", "client_header_timeout", "proxy_read_timeout", "proxy_connect_timeout",
    "proxy_send_timeout", "resolver", "error_log", "pid", "listen_backlog", "context",
})

SETTING_GROUPS: tuple[SettingGroup, ...] = (
    SettingGroup("route", ROUTE_SETTINGS, "every effective nginx setting of the location (`proxy_read_timeout`, "
                 "`uwsgi_read_timeout`, `client_max_body_size`, ...) after inheritance, with version defaults"),
    SettingGroup("upstream", UPSTREAM_SETTINGS, "the block's `keepalive`, `keepalive_timeout`, `keepalive_requests`, "
                 "`keepalive_time`, `zone`, `balancer`, ..."),
    SettingGroup("app", GUNICORN_SETTINGS, "every gunicorn setting, with gunicorn's default when unset"),
    SettingGroup("app", UVICORN_SETTINGS, "standalone uvicorn's settings (`timeout_keep_alive`, "
                 "`limit_concurrency`, ...)"),
    SettingGroup("app", UWSGI_SETTINGS, "uWSGI's modelled options, `-` written `_` (`buffer_size`, `harakiri`, "
                 "`listen`, ...)"),
    SettingGroup("nginx", NGINX_SETTINGS, "main/events/http settings (`worker_processes`, `worker_connections`, "
                 "...) and `context` (`main` for a complete nginx.conf)"),
)
