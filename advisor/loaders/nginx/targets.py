"""Turn pass directives (proxy_pass, uwsgi_pass, ...) into Routes with resolved Targets."""

from __future__ import annotations

from collections.abc import Collection

from advisor.loaders.nginx.directives import HEADER_DIRECTIVES, ROUTE_KEYS
from advisor.loaders.nginx.templates import nginx_variables, placeholder_reason
from advisor.loaders.nginx.walker import PassSite
from advisor.model.addresses import parse_nginx_address, parse_proxy_pass_url
from advisor.model.deployment import Diagnostic, Route, Target, Upstream
from advisor.model.provenance import Setting, Source

_DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443, "uwsgi": 80, "suwsgi": 443}


def build_route(site: PassSite, upstreams: dict[str, Upstream], default_proxy_headers: dict[str, Setting],
                diagnostics: list[Diagnostic], defined_variables: Collection[str] = (), complete: bool = True) -> Route:
    """`complete`: the whole configuration was read (main context, no missing include), so a name that is not
    an upstream block really is not one."""
    stmt = site.stmt
    path = site.source.display
    line = stmt["line"]
    raw = " ".join(stmt["args"])
    pass_setting = Setting(stmt["args"][0] if stmt["args"] else "", Source.file(path, line), raw)
    target = _target(site, upstreams, diagnostics, defined_variables, complete)
    settings = {key: site.settings[key] for key in ROUTE_KEYS[site.kind]}
    settings["listen_backlog"] = site.server.backlog  # type: ignore[assignment]
    header_directive = HEADER_DIRECTIVES.get(site.kind)
    headers: dict[str, Setting] = {}
    if header_directive is not None:
        if site.kind == "proxy":
            headers.update(default_proxy_headers)
        headers.update(site.headers.get(header_directive, {}))
    if site.block_stmt is not None and site.block_source is not None:
        block_path, block_line = site.block_source.display, site.block_stmt["line"]
        label = (f"location {site.location}" if site.location is not None
                 else "server " + (site.server.names[0] if site.server.names else "_"))
    else:  # a location-level fragment: the pass directive itself stands for the block
        block_path, block_line, label = path, line, "(location-level fragment)"
    route_id = f"{block_path}:{block_line} {label}"
    if site.condition is not None:
        route_id += f" {site.condition} at line {line}"
    return Route(id=route_id, kind=site.kind, server_names=list(site.server.names),  # type: ignore[arg-type]
                 listens=list(site.server.listens), location=site.location,
                 source=Source.file(block_path, block_line), pass_directive=pass_setting, target=target,
                 settings=settings, headers=headers)


def _target(site: PassSite, upstreams: dict[str, Upstream], diagnostics: list[Diagnostic],
            defined_variables: Collection[str], complete: bool) -> Target:
    stmt = site.stmt
    path = site.source.display
    line = stmt["line"]
    directive = stmt["directive"]
    args = stmt["args"]

    def unknown(raw: str, scheme: str | None, reason: str) -> Target:
        return Target(raw=raw, scheme=scheme, upstream=None, addresses=[Setting.unknown(reason, path, line, raw=raw)])

    def invalid(raw: str, scheme: str | None, message: str) -> Target:
        diagnostics.append(Diagnostic("ADV006", "error", message, path, line))
        return unknown(raw, scheme, message)

    if len(args) != 1:
        return invalid(" ".join(args), None, f'invalid number of arguments in "{directive}" directive')
    arg = args[0]
    reason = placeholder_reason(arg, site.source.jinja, defined_variables)
    if reason is not None:
        return unknown(arg, None, reason)
    scheme: str | None = None
    authority = arg
    if "://" in arg or site.kind == "proxy":  # proxy_pass needs a scheme; the others take one optionally
        try:
            scheme, authority, _uri = parse_proxy_pass_url(arg)
        except ValueError as error:
            if nginx_variables(arg, defined_variables):  # `proxy_pass $upstream_url;`
                return unknown(arg, None, f"{directive} uses variable {arg}: the target is resolved at run time")
            return invalid(arg, None, f'invalid URL "{arg}" in "{directive}" directive: {error}')
    variables = nginx_variables(authority, defined_variables)
    if variables:
        return unknown(authority, scheme, f"{directive} uses variable {', '.join(variables)}: the target is "
                                          "resolved at run time")
    has_port = _has_port(authority)
    upstream = upstreams.get(authority.lower()) if not has_port else None
    if upstream is not None:
        return Target(raw=authority, scheme=scheme, upstream=upstream,
                      addresses=[server.address for server in upstream.servers])
    if scheme is None and not has_port and not authority.startswith("unix:"):
        message = (f'no port in upstream "{authority}" ({directive} to a host without a port needs an upstream '
                   "block of that name)")
        if complete:
            return invalid(authority, scheme, message)
        return unknown(authority, scheme, f"no upstream block named {authority!r} was loaded (this file is a "
                                          "fragment or has missing includes)")
    try:
        address = parse_nginx_address(authority, _DEFAULT_PORTS.get(scheme or "", 80))
    except ValueError as error:
        return invalid(authority, scheme, f'invalid address "{authority}" in "{directive}" directive: {error}')
    detail = None
    if not has_port and address.kind == "tcp" and "." not in authority and authority.lower() != "localhost":
        detail = (f"no upstream block named {authority!r}" + ("" if complete else " was loaded")
                  + f": read as host {authority} port {address.port}")
    return Target(raw=authority, scheme=scheme, upstream=None,
                  addresses=[Setting(address, Source.file(path, line, detail=detail), authority)])


def _has_port(authority: str) -> bool:
    if authority.startswith("unix:"):
        return False
    if authority.startswith("["):
        return "]:" in authority
    return authority.count(":") == 1
