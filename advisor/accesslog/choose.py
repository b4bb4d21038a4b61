"""Which log format a given access log file was written in, and which servers write to it.

The config says it: an `access_log` directive whose file name is the log's (rotation suffixes aside) names its
format; the other formats the config's access logs use, nginx's built-in `combined` and the format advisor
recommends are tried next, and the first that reads the file's first lines is taken. `--log-format` names a format
of the config (or `combined`, `timing`) or gives the format text itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from advisor.accesslog.formats import COMBINED, RECOMMENDED, RECOMMENDED_DIRECTIVE, LogFormat, compile_format
from advisor.accesslog.reader import first_lines, log_base_name
from advisor.model.nginx_sites import AccessLogDef, NginxSites, ServerDef

__all__ = ["AccessLogError", "FormatChoice", "choose_format"]

SAMPLE_LINES = 50
MATCH_SHARE = 0.9


class AccessLogError(Exception):
    """The log cannot be used (unreadable, unknown format, no upstream timings); exit 2 with this message."""


@dataclass(frozen=True)
class FormatChoice:
    format: LogFormat
    how: str  # why this format: "access_log at nginx.conf:12", "--log-format", "recognised"
    servers: list[ServerDef] | None  # the servers that write to this file; None: any of them


def _where(definition: object) -> str:
    path, line = getattr(definition, "path", None), getattr(definition, "line", None)
    return f"{path}:{line}" if path and line else (path or "")


def _compiled(name: str, sites: NginxSites | None) -> LogFormat | None:
    definition = sites.formats.get(name) if sites is not None else None
    if definition is not None:
        try:
            return compile_format(name, definition.text, definition.escape, _where(definition))
        except ValueError:
            return None
    if name == "combined":
        return COMBINED
    return None


def _explicit(text: str, sites: NginxSites | None) -> LogFormat:
    known = _compiled(text, sites)
    if known is not None:
        return known
    if text == RECOMMENDED.name:
        return RECOMMENDED
    if "$" not in text:
        names = ", ".join(sorted({"combined", "timing", *(sites.formats if sites else ())}))
        raise AccessLogError(f"--log-format {text}: no log_format of that name in the nginx config ({names}); "
                             "give a name or the format text itself")
    escape = "default"
    for mode in ("json", "default", "none"):
        if text.startswith(f"escape={mode} "):
            escape, text = mode, text[len(f"escape={mode} "):]
    return compile_format("--log-format", text, escape, "--log-format")


def _all_access_logs(sites: NginxSites) -> list[AccessLogDef]:
    logs = list(sites.http_access_logs or ())
    for server in sites.servers:
        logs.extend(server.access_logs or ())
        stack = list(server.locations)
        while stack:
            location = stack.pop()
            logs.extend(location.access_logs or ())
            stack.extend(location.children)
    return logs


def _writers(sites: NginxSites, base: str) -> list[ServerDef]:
    """Servers with an access_log (their own, a location's or the inherited http one) writing to file `base`."""
    default = (AccessLogDef("logs/access.log", "combined", None, None),)
    http = sites.http_access_logs if sites.http_access_logs is not None else default
    writers = []
    for server in sites.servers:
        logs = list(server.access_logs if server.access_logs is not None else http)
        stack = list(server.locations)
        while stack:
            location = stack.pop()
            logs.extend(location.access_logs or ())
            stack.extend(location.children)
        if any(not log.off and os.path.basename(log.target) == base for log in logs):
            writers.append(server)
    return writers


def _matches(fmt: LogFormat, lines: list[str]) -> float:
    if not lines:
        return 0.0
    return sum(1 for line in lines if fmt.pattern.match(line)) / len(lines)


def choose_format(path: str, sites: NginxSites | None, explicit: str | None) -> FormatChoice:
    """The format of the log at `path`; raises AccessLogError (unreadable file, no format reads it, no upstream
    timings in it)."""
    from advisor.accesslog.reader import LogFileError

    try:
        lines = first_lines(path, SAMPLE_LINES)
    except LogFileError as error:
        raise AccessLogError(str(error)) from None
    base = log_base_name(path)
    writers = _writers(sites, base) if sites is not None and sites.servers else []
    servers = writers if writers and len(writers) < len(sites.servers) else None  # type: ignore[union-attr]
    if explicit is not None:
        choice = FormatChoice(_explicit(explicit, sites), "--log-format", servers)
    else:
        choice = _recognise(path, lines, sites, base, servers)
    _require_timings(choice, path)
    return choice


def _recognise(path: str, lines: list[str], sites: NginxSites | None, base: str,
               servers: list[ServerDef] | None) -> FormatChoice:
    if not lines:
        raise AccessLogError(f"access log {path} is empty")
    logs = _all_access_logs(sites) if sites is not None else []
    named = [log for log in logs if not log.off and os.path.basename(log.target) == base]
    order: list[tuple[str, str]] = [(log.format, f"access_log at {_where(log)}") for log in named]
    order += [(log.format, f"access_log at {_where(log)}") for log in logs if not log.off and log not in named]
    order += [("combined", "nginx's default format"), (RECOMMENDED.name, "the format advisor recommends")]
    tried: list[str] = []
    for name, how in order:
        fmt = _compiled(name, sites) or (RECOMMENDED if name == RECOMMENDED.name else None)
        if fmt is None or fmt.name in tried:
            continue
        tried.append(fmt.name)
        if _matches(fmt, lines) >= MATCH_SHARE:
            return FormatChoice(fmt, how if fmt is not RECOMMENDED else how, servers)
    raise AccessLogError(
        f"the lines of {path} do not match any log format the nginx config uses ({', '.join(tried)}); pass "
        "--log-format with the name of its log_format or the format text")


def _require_timings(choice: FormatChoice, path: str) -> None:
    fmt = choice.format
    missing = []
    if not fmt.has_upstream_timing:
        missing.append("$upstream_response_time")
    if not fmt.has_time:
        missing.append("a time ($msec, $time_local or $time_iso8601)")
    if not missing:
        return
    where = f" ({fmt.where})" if fmt.where else ""
    raise AccessLogError(
        f"{path} is written in log format {fmt.name}{where}, which has no {' and no '.join(missing)}: the workload "
        "cannot be fitted without the upstream timings of each request. Add a format with them to the http block "
        f"and use it for the access log, for example:\n\n{RECOMMENDED_DIRECTIVE}\n\n"
        "(docs/access-log.md explains each field)")
