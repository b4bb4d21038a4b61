"""The request-routing view of an nginx configuration: servers, their locations and the access logs.

The routes of the deployment model (`Route`) only cover locations that pass requests on. Reading an access log needs
the whole picture nginx matches a request against: every server with its listen ports and names, every location
(static ones too, since a more specific static location takes a request away from a proxied one), nested locations,
named locations that `try_files ... @name` falls back to, and the `log_format`/`access_log` directives that say how
each request was written down. The nginx loader fills it (advisor/loaders/nginx/sites.py); advisor/accesslog reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LogFormatDef:
    """A `log_format NAME [escape=default|json|none] 'text' ...;` directive (the text strings joined)."""

    name: str
    text: str
    escape: str  # "default", "json" or "none"
    path: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class AccessLogDef:
    """An `access_log PATH [FORMAT] ...;` directive; `target` "off" for `access_log off;`."""

    target: str
    format: str  # "combined" when the directive names none
    path: str | None
    line: int | None

    @property
    def off(self) -> bool:
        return self.target == "off"


@dataclass(frozen=True, slots=True)
class LocationDef:
    """A `location [modifier] pattern { ... }` block; `modifier` is "", "=", "^~", "~", "~*" or "@" (named)."""

    modifier: str
    pattern: str
    path: str | None
    line: int | None
    children: tuple[LocationDef, ...] = ()
    access_logs: tuple[AccessLogDef, ...] | None = None  # None: inherited from the enclosing block
    fallback: str | None = None  # `try_files ... @name` or `error_page ... @name`: the named location it may reach


@dataclass(frozen=True, slots=True)
class ListenDef:
    """One `listen` directive: the port it names (None: a unix socket or unknown), default_server."""

    raw: str
    port: int | None
    default_server: bool


@dataclass(frozen=True, slots=True)
class ServerDef:
    """One nginx server block: names, listens, locations and access logs."""

    names: tuple[str, ...]
    listens: tuple[ListenDef, ...]
    path: str | None
    line: int | None
    locations: tuple[LocationDef, ...] = ()
    access_logs: tuple[AccessLogDef, ...] | None = None  # None: inherited from http


@dataclass(slots=True)
class NginxSites:
    """Every server block of the configuration(s) read, with the log formats and the http-level access logs."""

    servers: list[ServerDef] = field(default_factory=list)
    formats: dict[str, LogFormatDef] = field(default_factory=dict)
    http_access_logs: tuple[AccessLogDef, ...] | None = None  # None: nginx's default (logs/access.log combined)
    fragment: bool = False  # the config is a server or location fragment without the enclosing blocks

    def merge(self, other: NginxSites) -> None:
        """Add another configuration's servers and formats (several nginx files given)."""
        self.servers.extend(other.servers)
        for name, definition in other.formats.items():
            self.formats.setdefault(name, definition)
        if self.http_access_logs is None:
            self.http_access_logs = other.http_access_logs
        self.fragment = self.fragment or other.fragment
