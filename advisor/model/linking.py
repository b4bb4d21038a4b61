"""Join nginx routes to app servers by address, and explain every route that does not join.

Every pass directive links by address: `proxy_pass` and `uwsgi_pass` alike reach gunicorn, uvicorn or uWSGI binds
(whether the protocols agree is a rule's question, not the linker's); a uWSGI bind points at its own socket line.
Matching:
- unix targets match unix binds with the same normalised path; a Linux abstract socket (uWSGI `@name`) is no
  path: nginx cannot connect to one (its `unix:@name` is a file named `@name`), so no nginx target reaches it, and
  a route to the file of the same name is diagnosed "abstract-socket";
- TCP targets match TCP binds on the same port when the bind host is a wildcard (0.0.0.0, ::, since gunicorn does
  not set IPV6_V6ONLY), equals the target host, or both are loopback (127.0.0.1 vs localhost is linked but flagged
  as dual-stack when the bind covers only one family); a target host that names another docker-compose service
  than the app's never matches on the port alone;
- a target that is an unrendered template placeholder matches a bind that carries the identical placeholder text
  (`unix:/var/www/{{ project }}.sock` on both sides: whatever the template renders, both sides get the same value),
  also when the bind is unknown because of that placeholder and keeps its text as written in `raw`;
- a route whose target matches nothing gets a RouteLinkDiagnosis naming the most likely reason.
When some route reaches an app server, other unmatched routes most likely go to other services; they are
diagnosed "other-backend" rather than as a mismatch, to keep false alarms away.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection
from dataclasses import dataclass

from advisor.lazy_regex import lazy_re
from advisor.model.addresses import Address, parse_gunicorn_bind, parse_nginx_address, parse_proxy_pass_url
from advisor.model.deployment import AppServer, Link, Route, RouteLinkDiagnosis
from advisor.model.provenance import Setting, Source

_BOTH_FAMILY_NAMES = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An app server that may serve a route, through one of its binds."""

    app: AppServer
    bind: Address
    bind_setting: Setting


def _bind_setting_for(app: AppServer, bind: Address) -> Setting:
    """The bind with the line that configures it: its own socket line for uWSGI, else the `bind` setting's."""
    listener = next((item for item in app.listeners if item.address == bind), None)
    if listener is not None:
        return Setting(bind, listener.source, str(bind))
    setting = app.settings.get("bind")
    source = setting.source if setting is not None else app.source
    return Setting(bind, source, str(bind))


# Template placeholders that survive as text on both sides: Jinja/Go, ERB, Python %-format, envsubst.
_PLACEHOLDER = lazy_re(r"\{\{.*?\}\}|<%=.*?%>|%\([A-Za-z_][A-Za-z0-9_.]*\)[sdifr]|\$\{?[A-Z_][A-Z0-9_]*\}?")
TEMPLATE_TEXT_MATCH = "template-text"


def _normalise_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub(lambda match: " ".join(match.group(0).split()).replace("{{ ", "{{").replace(" }}", "}}"),
                            text)


def _template_address(setting: Setting) -> Address | None:
    """The address an unknown target would have if its placeholder text were a value (`unix:/x/{{ p }}.sock`)."""
    raw = setting.raw or ""
    if not isinstance(raw, str) or not _PLACEHOLDER.search(raw):
        return None
    try:
        authority = parse_proxy_pass_url(raw)[1] if "://" in raw else _first_word(raw)
        return parse_nginx_address(authority, 80)
    except (ValueError, IndexError):
        return None


def _template_candidates(apps: list[AppServer]) -> list[_Candidate]:
    """Binds that are unknown because they hold a template placeholder, with their addresses as written
    (`unix:{{ root }}/app.sock` from a shell variable or a config template): they link only by identical text."""
    found: list[_Candidate] = []
    for app in apps:
        setting = app.settings.get("bind")
        raw = setting.raw if setting is not None and not setting.known else None
        if not isinstance(raw, str) or not _PLACEHOLDER.search(raw):
            continue
        source = setting.source  # type: ignore[union-attr]
        for text in raw.split(", "):
            try:
                bind = parse_gunicorn_bind(text.strip())
            except ValueError:
                continue
            if not _PLACEHOLDER.search(str(bind)):
                continue
            position = Source.file(source.path or "", source.line, source.column,
                                   f"{source.detail}; linked by its template text" if source.detail
                                   else "linked by its template text")
            found.append(_Candidate(app, bind, Setting(bind, position, text.strip())))
    return found


def _first_word(text: str) -> str:
    """The first blank-separated word, a placeholder with blanks inside (`{{ root }}`) counting as one."""
    for match in re.finditer(r"(?:" + _PLACEHOLDER.pattern + r"|\S)+", text):
        return match.group(0)
    raise IndexError("no word")


def _same_template_text(target: Address, bind: Address) -> bool:
    if target.kind != bind.kind or target.abstract != bind.abstract or not _PLACEHOLDER.search(str(bind)):
        return False
    if target.kind == "unix":
        return (_normalise_placeholders(posixpath.normpath(target.path or ""))
                == _normalise_placeholders(posixpath.normpath(bind.path or "")))
    return target.port == bind.port and _normalise_placeholders(target.host or "") == _normalise_placeholders(
        bind.host or "")


def _tcp_match(target: Address, bind: Address, app: AppServer, other_services: Collection[str]) -> str | None:
    if target.port != bind.port:
        return None
    if bind.is_wildcard:  # 0.0.0.0 or :: (gunicorn leaves IPV6_V6ONLY off): any host reaching this port
        if app.service_name and target.host == app.service_name:
            return "service-name"
        if app.service_name and target.host in other_services:
            return None  # another compose service's name: it resolves to that container, not this one
        return "wildcard"
    if target.host == bind.host:
        return "exact"
    if target.is_loopback and bind.is_loopback:
        return "loopback"
    return None


def _unix_match(target: Address, bind: Address) -> bool:
    if target.abstract or bind.abstract:  # an abstract name is bytes, not a path: no normalising
        return target.abstract == bind.abstract and target.path == bind.path
    return posixpath.normpath(target.path or "") == posixpath.normpath(bind.path or "")


def _dualstack_problem(target: Address, bind: Address) -> bool:
    """`localhost` resolves to 127.0.0.1 and ::1: nginx defines two servers; a single-family bind refuses one."""
    if target.host not in _BOTH_FAMILY_NAMES:
        return False
    if bind.host == "::":
        return False  # covers IPv4-mapped traffic as well
    return bind.family in ("ipv4", "ipv6") or bind.is_loopback


def link_routes(routes: list[Route], apps: list[AppServer], compose_services: Collection[str] = ()
                ) -> tuple[list[Link], dict[str, RouteLinkDiagnosis]]:
    """Link routes to app servers. `compose_services`: the names other containers reach docker-compose services by
    (service names, container names, aliases) in the compose files given, so that a target host naming another
    service is never linked to an app on the port alone; the app servers' own service names are always known."""
    candidates = [_Candidate(app, bind, _bind_setting_for(app, bind)) for app in apps for bind in app.binds]
    templated_binds = candidates + _template_candidates(apps)
    apps_with_unknown_bind = [app for app in apps if "bind" in app.settings and not app.settings["bind"].known]
    services = set(compose_services) | {app.service_name for app in apps if app.service_name}
    links: list[Link] = []
    diagnoses: dict[str, RouteLinkDiagnosis] = {}
    unmatched: list[tuple[Route, Setting]] = []

    for route in routes:
        route_links: list[Link] = []
        dualstack: tuple[Setting, Setting] | None = None
        first_unmatched: Setting | None = None
        unknown_target: Setting | None = None
        for address_setting in route.target.addresses:
            server = None
            if route.target.upstream is not None:
                server = next((s for s in route.target.upstream.servers if s.address is address_setting), None)
            if not address_setting.known or not isinstance(address_setting.value, Address):
                templated = _template_address(address_setting)
                matches = [c for c in templated_binds
                           if templated is not None and _same_template_text(templated, c.bind)]
                for candidate in matches:
                    position = address_setting.source
                    linked_address = Setting(candidate.bind, Source.file(
                        position.path or "", position.line, position.column,
                        "the same template placeholder text as the app server's bind"), address_setting.raw)
                    route_links.append(Link(route, candidate.app, linked_address, candidate.bind, server,
                                            TEMPLATE_TEXT_MATCH))
                if not matches:
                    unknown_target = unknown_target or address_setting
                continue
            target: Address = address_setting.value
            matched = False
            for candidate in candidates:
                match: str | None
                if target.kind == "unix" and candidate.bind.kind == "unix":
                    match = "unix" if _unix_match(target, candidate.bind) else None
                elif target.kind == "tcp" and candidate.bind.kind == "tcp":
                    match = _tcp_match(target, candidate.bind, candidate.app,
                                       services - {candidate.app.service_name})
                else:
                    match = None
                if match is None:
                    continue
                matched = True
                route_links.append(Link(route, candidate.app, address_setting, candidate.bind, server, match))
                if _dualstack_problem(target, candidate.bind) and dualstack is None:
                    dualstack = (address_setting, candidate.bind_setting)
            if not matched and first_unmatched is None:
                first_unmatched = address_setting
        links.extend(route_links)
        if route_links:
            if dualstack is not None:
                diagnoses[route.id] = RouteLinkDiagnosis(
                    "dualstack-localhost", dualstack[0], dualstack[1],
                    f"{dualstack[0].value.host} resolves to 127.0.0.1 and ::1 but the bind {dualstack[1].value} "
                    "accepts only one address family")
            else:
                first = route_links[0]
                bind_setting = next((c.bind_setting for c in templated_binds
                                     if c.app is first.app and c.bind == first.bind), None)
                diagnoses[route.id] = RouteLinkDiagnosis("linked", first.address,
                                                         bind_setting or _bind_setting_for(first.app, first.bind))
        elif not apps:
            diagnoses[route.id] = RouteLinkDiagnosis("no-app-config", first_unmatched or unknown_target, None,
                                                     "no app server config was given")
        elif first_unmatched is None:
            diagnoses[route.id] = RouteLinkDiagnosis(
                "unknown-target", unknown_target, None,
                unknown_target.source.detail if unknown_target is not None and unknown_target.source.detail
                else "the route has no resolvable target address")
        elif apps_with_unknown_bind and not candidates:
            diagnoses[route.id] = RouteLinkDiagnosis(
                "unknown-bind", first_unmatched, None,
                apps_with_unknown_bind[0].settings["bind"].source.detail or "the app server's bind is not known")
        else:
            unmatched.append((route, first_unmatched))

    any_linked = bool(links)
    for route, target_setting in unmatched:
        diagnoses[route.id] = _explain_mismatch(target_setting, candidates, any_linked)
    return links, diagnoses


def _explain_mismatch(target_setting: Setting, candidates: list[_Candidate], any_linked: bool) -> RouteLinkDiagnosis:
    target: Address = target_setting.value
    abstract = [c for c in candidates if c.bind.abstract]
    reachable = [c for c in candidates if not c.bind.abstract]
    if abstract and not any_linked:
        named = next((c for c in abstract if target.kind == "unix" and c.bind.path == target.path), None)
        if named is not None or not reachable:
            return _abstract_diagnosis(target_setting, named or abstract[0])
    candidates = reachable or candidates  # advice never points nginx at a socket it cannot connect to
    same_kind = [c for c in candidates if c.bind.kind == target.kind]
    if not same_kind:
        other = candidates[0] if candidates else None
        return RouteLinkDiagnosis(
            "other-backend" if any_linked else "socket-kind-mismatch", target_setting,
            other.bind_setting if other else None,
            f"nginx connects to {target} but the app server listens on "
            + (", ".join(str(c.bind) for c in candidates) or "no address"))
    if target.kind == "unix":
        closest = same_kind[0]
        return RouteLinkDiagnosis(
            "other-backend" if any_linked else "unix-path-mismatch", target_setting, closest.bind_setting,
            f"nginx connects to {target} but the app server's socket is {closest.bind}")
    same_port = [c for c in same_kind if c.bind.port == target.port]
    if same_port:
        closest = same_port[0]
        if closest.bind.is_loopback and not target.is_loopback:
            return RouteLinkDiagnosis(
                "host-mismatch", target_setting, closest.bind_setting,
                f"the app server binds loopback {closest.bind}, which {target.host} (another host or container) "
                "cannot reach")
        return RouteLinkDiagnosis(
            "other-backend" if any_linked else "host-mismatch", target_setting, closest.bind_setting,
            f"nginx connects to {target} but the app server binds {closest.bind}")
    closest = same_kind[0]
    if any_linked:
        return RouteLinkDiagnosis("other-backend", target_setting, closest.bind_setting,
                                  f"{target} matches no bind of the given app servers (another service?)")
    return RouteLinkDiagnosis(
        "port-mismatch", target_setting, closest.bind_setting,
        f"nginx connects to {target} but the app server listens on "
        + ", ".join(str(c.bind) for c in same_kind))


def _abstract_diagnosis(target_setting: Setting, bind: _Candidate) -> RouteLinkDiagnosis:
    target: Address = target_setting.value
    where = (f"the file {target.path}" + ("" if (target.path or "").startswith("/")
                                          else " relative to nginx's working directory")
             if target.kind == "unix" else str(target))
    return RouteLinkDiagnosis(
        "abstract-socket", target_setting, bind.bind_setting,
        f"nginx connects to {where} but the app server listens on the Linux abstract socket {bind.bind.path}, "
        "which nginx cannot connect to")
