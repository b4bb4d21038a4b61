"""The fact names rules may use, per namespace, and which namespaces each scope provides.

Rule files are checked against this catalog when they are loaded, so a typo (`route.proxy_red_timeout`) is a
rule-file error naming the file, not a rule that silently never fires. Settings that the loaders add later only need
a line here.
"""

from __future__ import annotations

from advisor.loaders.uwsgi.options import OPTIONS as UWSGI_OPTIONS

SCOPES = ("route", "upstream", "app", "link", "deployment", "diagnostic", "unknown_setting")

SCOPE_NAMESPACES: dict[str, tuple[str, ...]] = {
    "route": ("route", "upstream", "nginx", "host"),
    "upstream": ("upstream", "nginx", "host"),
    "app": ("app", "host"),
    "link": ("route", "upstream", "app", "link", "model", "nginx", "host"),
    "deployment": ("deployment", "nginx", "host"),
    "diagnostic": ("diagnostic", "host"),
    "unknown_setting": ("unknown_setting", "app", "host"),
}

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
ROUTE_DERIVED = frozenset({
    "id", "location", "kind", "prefix", "headers", "server_names", "scheme", "target_raw", "target_is_upstream",
    "target_count", "target_kind", "read_timeout", "connect_timeout", "http_version",
    "buffering", "request_buffering", "next_upstream", "next_upstream_tries", "next_upstream_timeout",
    "connection_header_cleared", "stream_hint",
    "link_status", "link_target", "link_bind", "link_bind_assumed", "link_detail", "linked", "link_server",
    "link_command_line_given",
})

UPSTREAM_SETTINGS = frozenset({"keepalive", "keepalive_timeout", "keepalive_requests", "keepalive_time", "zone",
                               "hash", "ip_hash", "least_conn", "random", "queue", "resolver", "balancer",
                               "keepalive_local"})
UPSTREAM_DERIVED = frozenset({"name", "explicit", "server_count", "failure_counted_servers",
                              "longest_fail_timeout"})

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
APP_DERIVED = frozenset({
    "id", "kind", "service_name", "effective_worker_class", "is_async", "slots_per_worker", "concurrency",
    "accept_queue", "timeout_bounds_requests", "max_request_time", "backend_idle", "bind_count", "unix_bind",
    "queue_capacity", "workers_from_cpu_count", "timeout_assumed", "workers_assumed", "command_line_given",
})

NGINX_SETTINGS = frozenset({
    "worker_processes", "worker_connections", "worker_rlimit_nofile", "user", "multi_accept", "accept_mutex",
    "keepalive_timeout", "keepalive_requests", "keepalive_time", "client_max_body_size", "send_timeout",
    "client_body_timeout", "client_header_timeout", "proxy_read_timeout", "proxy_connect_timeout",
    "proxy_send_timeout", "resolver", "error_log", "pid", "listen_backlog", "context",
})
NGINX_DERIVED = frozenset({"root", "version", "file_count"})

LINK_FACTS = frozenset({"socket", "target", "bind", "match", "upstream_keepalive_on", "connection_header_cleared",
                        "keepalive_pool", "protocol", "protocol_ok"})
# The queueing model at the given workload (--rps/--service-time; advisor/engine/workload_facts.py).
MODEL_FACTS = frozenset({
    "workload_given", "modelled", "rps", "service_time", "service", "budget", "offered_concurrency",
    "family", "servers", "queue_room", "read_timeout", "capacity_rps",
    "p_ok", "p_502", "p_504", "p_504_connect", "p_500", "error_share", "utilization", "rho", "goodput_rps",
    "latency_p99_s", "drain_time_s", "mean_holding_s", "collapse", "overload_collapse", "overload_rps",
    "overload_p_ok", "overload_p_502", "overload_p_504", "overload_p_500",
    "recommendations", "recommended_workers", "recommended_backlog", "recommended_worker_connections",
    "recommended_queue", "recommended_backlog_p_ok", "recommended_p_ok", "recommended_error_share",
    "recommended_utilization",
})
HOST_FACTS = frozenset({"cpus", "somaxconn", "somaxconn_assumed", "nginx_version", "gunicorn_version", "env"})
DEPLOYMENT_FACTS = frozenset({"route_count", "app_count", "link_count", "has_nginx", "has_app", "file_count",
                              "loader_errors", "missing_includes"})
DIAGNOSTIC_FACTS = frozenset({"code", "message", "path", "line", "column", "fix", "severity"})
UNKNOWN_SETTING_FACTS = frozenset({"name", "suggestion", "server", "worker_count"})

NAMESPACE_FACTS: dict[str, frozenset[str]] = {
    "route": ROUTE_SETTINGS | ROUTE_DERIVED,
    "upstream": UPSTREAM_SETTINGS | UPSTREAM_DERIVED,
    "app": GUNICORN_SETTINGS | UVICORN_SETTINGS | UWSGI_SETTINGS | APP_DERIVED,
    "nginx": NGINX_SETTINGS | NGINX_DERIVED,
    "link": LINK_FACTS,
    "model": MODEL_FACTS,
    "host": HOST_FACTS,
    "deployment": DEPLOYMENT_FACTS,
    "diagnostic": DIAGNOSTIC_FACTS,
    "unknown_setting": UNKNOWN_SETTING_FACTS,
}

# Namespaces whose object owns a file location (used when a fact has no position of its own).
OWNER_NAMESPACES = frozenset({"route", "upstream", "app", "nginx", "link", "model", "diagnostic",
                              "unknown_setting"})


def is_known_fact(namespace: str, attr: str) -> bool:
    return attr in NAMESPACE_FACTS.get(namespace, frozenset())


def closest_fact(namespace: str, attr: str) -> str | None:
    import difflib

    matches = difflib.get_close_matches(attr, sorted(NAMESPACE_FACTS.get(namespace, ())), n=1, cutoff=0.75)
    return f"{namespace}.{matches[0]}" if matches else None
