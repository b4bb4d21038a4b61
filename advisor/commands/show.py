"""`advisor show`: the resolved deployment, what `nginx -T` and `gunicorn --print-config` would show, joined.

JSON output (`--output-format json`) is `Deployment.to_dict()`:
  {"host": {...}, "nginx": {"root", "files", "version", "settings"}, "upstreams": {name: {...}},
   "routes": [{"id", "kind", "server_names", "listens", "location", "source", "pass", "target", "settings",
               "headers"}],
   "apps": [{"id", "kind", "source", "service_name", "settings", "unknown_settings", "listeners" (uWSGI)}],
   "links": [{"route", "app", "address", "bind", "match"}], "unlinked_routes": [...],
   "route_diagnoses": {route id: {"status", "target", "closest_bind", "detail"}}, "diagnostics": [...]}
Every setting is {"value": ..., "source": {"kind": file|option|default|derived|unknown, "path", "line", "column",
"detail"}, "raw": "as written"}.
"""

from __future__ import annotations

import json
import sys

from advisor.commands.options import HostFacts, Inputs
from advisor.model.provenance import Setting
from advisor.privacy import inside_project, redact
from advisor.units import format_size, nginx_time

_DURATION_SUFFIXES = ("_timeout", "_time", "timeout")
_SIZE_KEYS = frozenset({"client_max_body_size", "proxy_buffer_size", "proxy_busy_buffers_size",
                        "proxy_max_temp_file_size", "reload_on_rss", "evil_reload_on_rss"})  # uWSGI: in bytes


def format_value(key: str, setting: Setting) -> str:
    if not setting.known:
        return "?"
    value = setting.value
    if setting.raw is not None and setting.source.kind == "file":
        return setting.raw
    if isinstance(value, bool) or value is None:
        return {True: "on", False: "off", None: "(not set)"}[value]
    if isinstance(value, (int, float)) and key.endswith(_DURATION_SUFFIXES) and key not in ("graceful_timeout",
                                                                                              "timeout"):
        return nginx_time(float(value))
    if isinstance(value, int) and key in _SIZE_KEYS:
        return format_size(value)
    if isinstance(value, list):
        return " ".join(str(item) for item in value) or "(empty)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _settings_lines(settings: dict[str, Setting], indent: str) -> list[str]:
    lines = []
    width = max((len(key) for key in settings), default=0)
    for key in sorted(settings):
        setting = settings[key]
        lines.append(f"{indent}{key.ljust(width)}  {_value(key, setting):<24} {_describe(setting.source)}")
    return lines


def version_origin(host, key: str) -> str:
    """Where a server version came from, for the host line: a pin in a file, a version option, or the default."""
    source = host.version_sources.get(key)
    if source is None:
        return "default"
    if source.kind == "option":
        return (source.detail or "").split(" ")[0] or "option"
    if source.kind == "file" and source.path:
        where = f"{source.path}:{source.line}" if source.line else source.path
        return f"{where}: {source.detail}" if source.detail else where
    return source.describe()


NOT_SHOWN = "(not shown: outside the project)"


def _value(key: str, setting: Setting) -> str:
    """format_value, except for values read from a file outside the project (advisor/privacy.py)."""
    return format_value(key, setting) if inside_project(setting.source.path) else NOT_SHOWN


def _describe(source) -> str:  # type: ignore[no-untyped-def]
    described = source.describe()
    return described if inside_project(source.path) else redact(described, note=False)


def render_text(deployment) -> str:
    out: list[str] = []
    host = deployment.host
    out.append(f"host: cpus={host.cpus.value if host.cpus.known else '?'} somaxconn={host.somaxconn.value} "
               f"nginx={host.nginx_version} ({version_origin(host, 'nginx_version')}) "
               f"gunicorn={host.gunicorn_version} ({version_origin(host, 'gunicorn_version')})")
    if deployment.nginx is not None:
        out.append(f"\nnginx {deployment.nginx.root} (defaults of nginx {deployment.nginx.version})")
        if len(deployment.nginx.files) > 1:
            out.append("  files: " + ", ".join(deployment.nginx.files))
        out.extend(_settings_lines(deployment.nginx.settings, "  "))
    for name, upstream in deployment.upstreams.items():
        out.append(f"\nupstream {name}  ({_describe(upstream.source)})")
        for server in upstream.servers:
            params = " ".join(f"{key}={_value(key, value)}" for key, value in sorted(server.params.items()))
            out.append(f"  server {_value('address', server.address)}  {params}  "
                       f"({_describe(server.address.source)})")
        out.extend(_settings_lines(upstream.settings, "  "))
    for route in deployment.routes:
        passed = route.pass_directive.raw or route.target.raw
        if not inside_project(route.pass_directive.source.path):
            passed = NOT_SHOWN
        out.append(f"\nroute {route.id}  {route.kind}_pass {passed}")
        if route.server_names:
            out.append("  server_name " + " ".join(route.server_names))
        for address in route.target.addresses:
            out.append(f"  target {_value('target', address)}  ({_describe(address.source)})")
        out.extend(_settings_lines(route.settings, "  "))
        for header, value in sorted(route.headers.items()):
            if not inside_project(value.source.path):
                shown = f"{header} {NOT_SHOWN}"
            elif value.known and value.value == "":
                shown = f'{value.raw.split()[0] if value.raw else header} ""'
            elif value.raw and value.raw.lower().startswith(header.lower()):
                shown = value.raw
            else:
                shown = f"{header} {_value(header, value)}"
            out.append(f"  proxy_set_header {shown}  ({_describe(value.source)})")
    for app in deployment.apps:
        out.append(f"\napp {app.id} ({app.kind})  {_describe(app.source)}")
        out.extend(_settings_lines(app.settings, "  "))
        for listener in app.listeners:  # uWSGI: every socket with the protocol it speaks
            out.append(f"  {listener.option} {listener.address}  speaks {listener.protocol}  "
                       f"({_describe(listener.source)})")
        for unknown in app.unknown_settings:
            hint = f" (did you mean {unknown.suggestion}?)" if unknown.suggestion else ""
            out.append(f"  ! {unknown.name}: not a {app.kind} setting{hint}  {_describe(unknown.source)}")
    out.append("\nlinks")
    for link in deployment.links:
        out.append(f"  {link.route.id} -> {link.app.id} via {link.address.value} (bind {link.bind}, {link.match})")
    if not deployment.links:
        out.append("  (none)")
    for route_id, diagnosis in deployment.route_diagnoses.items():
        if diagnosis.status != "linked":
            out.append(f"  unlinked {route_id}: {diagnosis.status}: {diagnosis.detail}")
    if deployment.diagnostics:
        out.append("\ndiagnostics")
        for diagnostic in deployment.diagnostics:
            where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line else str(diagnostic.path)
            message = diagnostic.message if inside_project(diagnostic.path) else redact(diagnostic.message)
            out.append(f"  {where}: {diagnostic.code} [{diagnostic.severity}] {message}")
    return "\n".join(out) + "\n"


def _private(data):  # type: ignore[no-untyped-def]
    """The JSON document without values or quotes from files outside the project."""
    if isinstance(data, list):
        return [_private(item) for item in data]
    if not isinstance(data, dict):
        return data
    source = data.get("source")
    if isinstance(source, dict) and not inside_project(source.get("path")):
        data = {**data, **{key: NOT_SHOWN for key in ("value", "raw") if data.get(key) is not None}}
        data["source"] = {**source, "detail": redact(source["detail"], note=False)} if source.get("detail") else source
    elif "message" in data and "code" in data and not inside_project(data.get("path")):
        data = {**data, "message": redact(str(data["message"]))}
    return {key: _private(value) for key, value in data.items()}


def run(inputs: Inputs, host: HostFacts, output_format: str, *, debug: bool = False) -> int:
    from advisor.loaders.deployment import InputError, build_deployment

    if output_format not in ("text", "json"):
        sys.stderr.write(f"advisor: error: unknown output format {output_format!r} for show (text, json)\n")
        return 2
    try:
        deployment = build_deployment(inputs, host)
    except InputError as error:
        sys.stderr.write(f"advisor: error: {error}\n")
        return 2
    if output_format == "json":
        sys.stdout.write(json.dumps(_private(deployment.to_dict()), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(deployment))
    return 1 if any(d.severity == "error" for d in deployment.diagnostics) else 0
