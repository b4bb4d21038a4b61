"""Turn pass directives (proxy_pass, uwsgi_pass, ...) into Routes with resolved Targets."""

from __future__ import annotations

from collections.abc import Collection

from advisor.lazy_regex import lazy_re
from advisor.loaders.nginx.directives import HEADER_DIRECTIVES, ROUTE_KEYS
from advisor.loaders.nginx.rejection import rejected
from advisor.loaders.nginx.templates import envsubst_note, may_hold_placeholder, nginx_variables, placeholder_reason
from advisor.loaders.nginx.walker import PassSite
from advisor.model.addresses import parse_nginx_address, parse_proxy_pass_url
from advisor.model.deployment import Diagnostic, Route, Target, Upstream
from advisor.model.provenance import Setting, Source
from advisor.loaders.nginx.columns import directive_column

_DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443, "uwsgi": 80, "suwsgi": 443}
_URI_VARIABLES = ("$request_uri", "$uri", "$document_uri", "$is_args", "$args", "$query_string")
_ROUTE_KEY_SETS = {kind: frozenset(keys) for kind, keys in ROUTE_KEYS.items()}


class RouteBuilder:
    """Builds Routes once every upstream block is known.

    `complete`: the whole configuration was read (main context, no missing include), so a name that is not an
    upstream block really is not one (an error for uwsgi_pass/fastcgi_pass without a port).
    """

    def __init__(self, upstreams: dict[str, Upstream], defaults: dict[str, Setting],
                 default_proxy_headers: dict[str, Setting], diagnostics: list[Diagnostic],
                 defined_variables: Collection[str] = (), complete: bool = True) -> None:
        self.upstreams = upstreams
        self.kind_defaults = {kind: {key: defaults[key] for key in keys} for kind, keys in ROUTE_KEYS.items()}
        self.default_proxy_headers = default_proxy_headers
        self.diagnostics = diagnostics
        self.defined_variables = defined_variables
        self.complete = complete
        self._upstream_targets: dict[tuple[str, str], Target] = {}  # many locations pass to the same group
        # Routes whose settings (or headers) are the same Setting objects share one dict (read-only after this):
        # thousands of locations that only inherit would otherwise each hold a copy.
        self._shared_dicts: dict[tuple[tuple[str, int], ...], dict[str, Setting]] = {}

    def build(self, site: PassSite) -> Route:
        stmt = site.stmt
        args = stmt["args"]
        path = site.source.display
        line = stmt["line"]
        pass_setting = Setting(args[0] if args else "",
                               Source("file", path, line, directive_column(path, line, stmt["directive"])),
                               args[0] if len(args) == 1 else " ".join(args))
        settings = dict(self.kind_defaults[site.kind])  # explicit values replace defaults in place (order kept)
        keys = _ROUTE_KEY_SETS[site.kind]
        for key, setting in site.settings.items():
            if key in keys:
                settings[key] = setting
        settings["listen_backlog"] = site.server.backlog  # type: ignore[assignment]
        header_directive = HEADER_DIRECTIVES.get(site.kind)
        if header_directive is None:
            headers: dict[str, Setting] = {}
        elif site.kind == "proxy":
            headers = {**self.default_proxy_headers, **site.headers.get(header_directive, {})}
        else:
            headers = dict(site.headers.get(header_directive, {}))
        if site.block_stmt is not None and site.block_source is not None:
            block_path, block_line = site.block_source.display, site.block_stmt["line"]
            label = (f"location {site.location}" if site.location is not None
                     else "server " + (site.server.names[0] if site.server.names else "_"))
        else:  # a location-level fragment: the pass directive itself stands for the block
            block_path, block_line, label = path, line, "(location-level fragment)"
        route_id = f"{block_path}:{block_line} {label}"
        if site.condition is not None:
            route_id += f" {site.condition} at line {line}"
        return Route(id=route_id, kind=site.kind, server_names=site.server.names,  # type: ignore[arg-type]
                     listens=site.server.listens, location=site.location,
                     source=Source("file", block_path, block_line,
                                    directive_column(block_path, block_line, label.split(" ")[0])),
                     pass_directive=pass_setting,
                     target=self.target(site), settings=self._shared(settings), headers=self._shared(headers))

    def _shared(self, settings: dict[str, Setting]) -> dict[str, Setting]:
        """An equal dict built before (same names, same Setting objects, same order), else `settings`."""
        key = tuple((name, id(setting)) for name, setting in settings.items())
        return self._shared_dicts.setdefault(key, settings)  # the dict kept here keeps those Settings (and ids) alive

    def target(self, site: PassSite) -> Target:
        stmt = site.stmt
        path = site.source.display
        line = stmt["line"]
        directive = stmt["directive"]
        args = stmt["args"]

        def unknown(raw: str, scheme: str | None, reason: str) -> Target:
            return Target(raw=raw, scheme=scheme, upstream=None,
                          addresses=[Setting.unknown(reason, path, line, raw=raw)])

        def invalid(raw: str, scheme: str | None, message: str) -> Target:
            self.diagnostics.append(Diagnostic("ADV006", "error", rejected(message), path, line))
            return unknown(raw, scheme, message)

        if len(args) != 1:
            return invalid(" ".join(args), None, f'invalid number of arguments in "{directive}" directive')
        arg = args[0]
        if may_hold_placeholder(arg):
            reason = placeholder_reason(arg, self.defined_variables)
            if reason is not None:
                return self._templated_upstream(arg) or unknown(arg, None, reason)
        scheme: str | None = None
        authority = arg
        if "://" in arg or site.kind == "proxy":  # proxy_pass needs a scheme; the others take one optionally
            try:
                scheme, authority, _uri = parse_proxy_pass_url(arg)
            except ValueError as error:
                if nginx_variables(arg, self.defined_variables):  # `proxy_pass $upstream_url;`
                    return unknown(arg, None, f"{directive} uses variable {arg}: the target is resolved at run time")
                return invalid(arg, None, f'invalid URL "{arg}" in "{directive}" directive: {error}')
        if "$" in authority:
            authority = _strip_uri_variable(authority)
        if "$" in authority:
            variables = nginx_variables(authority, self.defined_variables)
            if variables:
                return unknown(authority, scheme, f"{directive} uses variable {', '.join(variables)}: the target is "
                                                  "resolved at run time")
        has_port = _has_port(authority)
        upstream = None if has_port else self.upstreams.get(authority.lower())
        if upstream is not None:
            key = (scheme or "", authority)
            cached = self._upstream_targets.get(key)
            if cached is None:
                cached = Target(raw=authority, scheme=scheme, upstream=upstream,
                                addresses=[server.address for server in upstream.servers])
                self._upstream_targets[key] = cached
            return cached
        if scheme is None and not has_port and not authority.startswith("unix:"):
            message = (f'no port in upstream "{authority}" ({directive} to a host without a port needs an upstream '
                       "block of that name)")
            if self.complete:
                return invalid(authority, scheme, message)
            return unknown(authority, scheme, f"no upstream block named {authority!r} was loaded (this file is a "
                                              "fragment or has missing includes)")
        try:
            address = parse_nginx_address(authority, _DEFAULT_PORTS.get(scheme or "", 80))
        except ValueError as error:
            return invalid(authority, scheme, f'invalid address "{authority}" in "{directive}" directive: {error}')
        detail = envsubst_note(stmt)
        if not has_port and address.kind == "tcp" and "." not in authority and authority.lower() != "localhost":
            detail = (f"no upstream block named {authority!r}" + ("" if self.complete else " was loaded")
                      + f": read as host {authority} port {address.port}") + (f"; {detail}" if detail else "")
        return Target(raw=authority, scheme=scheme, upstream=None,
                      addresses=[Setting(address, Source("file", path, line, directive_column(path, line, authority), detail),
                                          authority)])

    def _templated_upstream(self, arg: str) -> Target | None:
        """`proxy_pass http://{{ app }}_backend;` next to `upstream {{ app }}_backend {}`: whatever the template
        renders, both get the same name, so the identical placeholder text names that upstream."""
        scheme, _, rest = arg.rpartition("://")
        authority = _placeholder_key(rest.split("/", 1)[0])
        matches = [upstream for name, upstream in self.upstreams.items()
                   if may_hold_placeholder(name) and _placeholder_key(name) == authority]
        if len(matches) != 1:
            return None
        key = (scheme, authority)
        cached = self._upstream_targets.get(key)
        if cached is None:
            cached = Target(raw=rest.split("/", 1)[0], scheme=scheme or None, upstream=matches[0],
                            addresses=[server.address for server in matches[0].servers])
            self._upstream_targets[key] = cached
        return cached


_PLACEHOLDER_BLANKS = lazy_re(r"(\{\{-?|<%=|\$\{)\s*(.*?)\s*(-?\}\}|%>|\})")


def _placeholder_key(text: str) -> str:
    """Template text compared the way a template engine sees it: `{{app}}` is `{{ app }}`."""
    return _PLACEHOLDER_BLANKS.sub(lambda match: match.group(1) + " ".join(match.group(2).split())
                                   + match.group(3), text).lower()


def _strip_uri_variable(authority: str) -> str:
    """`http://app$request_uri` has no `/` before the variable; the variable is the URI, not part of the host."""
    dollar = authority.find("$")
    if dollar > 0 and authority[dollar:].startswith(_URI_VARIABLES):
        return authority[:dollar]
    return authority


def _has_port(authority: str) -> bool:
    if authority.startswith("unix:"):
        return False
    if authority.startswith("["):
        return "]:" in authority
    return authority.count(":") == 1
