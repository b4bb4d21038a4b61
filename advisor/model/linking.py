"""Join nginx routes to app servers by address, and explain every route that does not join.

Matching (failure-modes.md P01, P02, P05, P06):
- unix targets match unix binds with the same normalised path;
- TCP targets match TCP binds on the same port when the bind host is a wildcard (0.0.0.0, ::, since gunicorn does
  not set IPV6_V6ONLY), equals the target host, or both are loopback (127.0.0.1 vs localhost is linked but flagged
  as dual-stack when the bind covers only one family);
- a route whose target matches nothing gets a RouteLinkDiagnosis naming the most likely reason.
When some route reaches an app server, other unmatched routes most likely go to other services; they are
diagnosed "other-backend" rather than as a mismatch, to keep false alarms away.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from advisor.model.addresses import Address
from advisor.model.deployment import AppServer, Link, Route, RouteLinkDiagnosis
from advisor.model.provenance import Setting

_BOTH_FAMILY_NAMES = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class _Candidate:
    app: AppServer
    bind: Address
    bind_setting: Setting


def _bind_setting_for(app: AppServer, bind: Address) -> Setting:
    setting = app.settings.get("bind")
    source = setting.source if setting is not None else app.source
    return Setting(bind, source, str(bind))


def _tcp_match(target: Address, bind: Address, app: AppServer) -> str | None:
    if target.port != bind.port:
        return None
    if bind.is_wildcard:  # 0.0.0.0 or :: (gunicorn leaves IPV6_V6ONLY off): any host reaching this port
        return "service-name" if app.service_name and target.host == app.service_name else "wildcard"
    if target.host == bind.host:
        return "exact"
    if target.is_loopback and bind.is_loopback:
        return "loopback"
    return None


def _unix_match(target: Address, bind: Address) -> bool:
    return posixpath.normpath(target.path or "") == posixpath.normpath(bind.path or "")


def _dualstack_problem(target: Address, bind: Address) -> bool:
    """`localhost` resolves to 127.0.0.1 and ::1: nginx defines two servers; a single-family bind refuses one."""
    if target.host not in _BOTH_FAMILY_NAMES:
        return False
    if bind.host == "::":
        return False  # covers IPv4-mapped traffic as well
    return bind.family in ("ipv4", "ipv6") or bind.is_loopback


def link_routes(routes: list[Route], apps: list[AppServer]) -> tuple[list[Link], dict[str, RouteLinkDiagnosis]]:
    candidates = [_Candidate(app, bind, _bind_setting_for(app, bind)) for app in apps for bind in app.binds]
    apps_with_unknown_bind = [app for app in apps if "bind" in app.settings and not app.settings["bind"].known]
    links: list[Link] = []
    diagnoses: dict[str, RouteLinkDiagnosis] = {}
    unmatched: list[tuple[Route, Setting]] = []

    for route in routes:
        route_links: list[Link] = []
        dualstack: tuple[Setting, Setting] | None = None
        first_unmatched: Setting | None = None
        unknown_target: Setting | None = None
        for address_setting in route.target.addresses:
            if not address_setting.known or not isinstance(address_setting.value, Address):
                unknown_target = unknown_target or address_setting
                continue
            target: Address = address_setting.value
            matched = False
            for candidate in candidates:
                match: str | None
                if target.kind == "unix" and candidate.bind.kind == "unix":
                    match = "unix" if _unix_match(target, candidate.bind) else None
                elif target.kind == "tcp" and candidate.bind.kind == "tcp":
                    match = _tcp_match(target, candidate.bind, candidate.app)
                else:
                    match = None
                if match is None:
                    continue
                matched = True
                server = None
                if route.target.upstream is not None:
                    server = next((s for s in route.target.upstream.servers if s.address is address_setting), None)
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
                diagnoses[route.id] = RouteLinkDiagnosis("linked", route_links[0].address,
                                                         _bind_setting_for(route_links[0].app, route_links[0].bind))
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
