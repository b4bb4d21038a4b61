"""What a run could not check, as notices next to the verdict.

A rule runs on instances of its scope, so a missing side silences whole families of rules without a single skip:
nginx alone has no app server for `app` and `link` rules, app settings alone have no routes, and both sides with no
route reaching the app server leave every `link` rule without an instance. Which rules are affected is derived from
the scopes of the selected rules (custom rules included), never from a list of codes; the notice names their
families, how many there are, and what to pass to run them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from advisor.engine.findings import Notice
from advisor.engine.rules import Rule
from advisor.model.deployment import Deployment, RouteLinkDiagnosis

NGINX, APP, LINK = "nginx", "app", "link"

# What a scope needs to have any instance. `deployment` and `diagnostic` rules run on whatever was given.
SCOPE_NEEDS: dict[str, frozenset[str]] = {
    "route": frozenset({NGINX}),
    "upstream": frozenset({NGINX}),
    "app": frozenset({APP}),
    "unknown_setting": frozenset({APP}),
    "link": frozenset({NGINX, APP, LINK}),
}

# Family prefixes of the bundled rules, in the order they are named; other families (custom rules) follow by code.
FAMILY_LABELS: dict[str, str] = {
    "TMO": "timeouts", "ADR": "addresses", "KAL": "keep-alive", "CAP": "capacity", "BUF": "buffering",
    "LIF": "lifecycle", "SET": "settings",
}

MAX_REASONS = 3
PASS_APP = ("pass gunicorn.conf.py or the file that starts gunicorn or uvicorn (Procfile, Dockerfile, compose file, "
            "systemd unit, supervisor config or start script)")
PASS_NGINX = ("pass the nginx config that proxies to the app (the site file in sites-enabled/ or conf.d/, or the "
              "main nginx.conf that includes it)")
PASS_PROXYING_NGINX = "pass the nginx file that proxies to the app together with the app settings"


@dataclass(frozen=True, slots=True)
class GivenInputs:
    """What the user passed, as classified by the model builder: nginx paths and (app path, source kind) pairs."""

    nginx: tuple[str, ...] = ()
    app: tuple[tuple[str, str], ...] = ()


def coverage_notices(deployment: Deployment, rules: Sequence[Rule], given: GivenInputs | None = None) -> list[Notice]:
    """The notices for one deployment, given the rules that were selected for the run."""
    given = given or GivenInputs()
    has_nginx, has_app = deployment.nginx is not None, bool(deployment.apps)
    if not has_nginx or not has_app:
        missing = ({NGINX} if not has_nginx else set()) | ({APP} if not has_app else set())
        return _one_sided(rules, missing, given)
    if not deployment.routes:
        affected = _needing(rules, {LINK})
        if not affected:
            return []
        why = ("no route that passes requests to a backend was found in the part of the nginx config that could be "
               "read (see the findings about the files that did not parse or were not found)"
               if _nginx_partly_unread(deployment) else
               "the nginx config passes no request to a backend (no proxy_pass, uwsgi_pass, fastcgi_pass, scgi_pass "
               "or grpc_pass)")
        return [Notice(f"{_checks(affected, 'cross-file')} did not run: {why} — {PASS_PROXYING_NGINX}",
                       checks_not_run=len(affected))]
    return _unlinked_routes(deployment, rules)


def _nginx_partly_unread(deployment: Deployment) -> bool:
    """A file of the nginx config did not parse, or an include was not found: its routes may be in the missing
    part."""
    files = set(deployment.nginx.files) if deployment.nginx is not None else set()
    return any(diagnostic.path in files and (diagnostic.severity == "error" or diagnostic.missing is not None)
               for diagnostic in deployment.diagnostics)


def _one_sided(rules: Sequence[Rule], missing: set[str], given: GivenInputs) -> list[Notice]:
    affected = _needing(rules, missing)
    if not affected:
        return []
    app_paths = [path for path, _kind in given.app]
    compose = any(kind == "compose" for _path, kind in given.app)
    no_nginx = "no nginx config was given" + (
        " and the compose file mounts none (a config built into an image is not read)" if compose else "")
    no_app = (f"no gunicorn or uvicorn settings were found in {_join(app_paths)}" if app_paths
              else "no app server settings were given")
    if missing == {APP}:
        what, why, remedy = "app server and cross-file", no_app, PASS_APP
    elif missing == {NGINX}:
        what, why, remedy = "nginx and cross-file", no_nginx, PASS_NGINX
    else:
        what, why, remedy = "nginx, app server and cross-file", f"{no_nginx}, and {no_app}", \
            "pass the nginx config and the app server's settings"
    return [Notice(f"{_checks(affected, what)} did not run: {why} — {remedy}", checks_not_run=len(affected))]


def _unlinked_routes(deployment: Deployment, rules: Sequence[Rule]) -> list[Notice]:
    linked = {id(link.route) for link in deployment.links}
    unlinked = [route for route in deployment.routes if id(route) not in linked]
    affected = _needing(rules, {LINK})
    if not unlinked or not affected:
        return []
    reasons = [f"{route.id}: {_reason(deployment.route_diagnoses.get(route.id))}" for route in unlinked[:MAX_REASONS]]
    if len(unlinked) > MAX_REASONS:
        reasons.append(f"and {len(unlinked) - MAX_REASONS} more")
    why = "; ".join(reasons)
    total = len(deployment.routes)
    if len(unlinked) < total:
        one = len(unlinked) == 1
        return [Notice(f"{len(unlinked)} of {total} proxied routes {'reaches' if one else 'reach'} no given app "
                       f"server, so the cross-file checks did not run for {'it' if one else 'them'} — {why}",
                       routes_not_checked=len(unlinked))]
    routes = "the proxied route does not reach" if total == 1 else f"none of the {total} proxied routes reaches"
    return [Notice(f"{_checks(affected, 'cross-file')} did not run: {routes} the given app server — {why}",
                   checks_not_run=len(affected), routes_not_checked=total)]


def _needing(rules: Iterable[Rule], missing: set[str]) -> list[Rule]:
    """The rules whose scope needs something that is missing."""
    return [rule for rule in rules if SCOPE_NEEDS.get(rule.scope, frozenset()) & missing]


def _checks(rules: Sequence[Rule], what: str) -> str:
    families = sorted({rule.family for rule in rules},
                      key=lambda family: (list(FAMILY_LABELS).index(family) if family in FAMILY_LABELS
                                          else len(FAMILY_LABELS), family))
    labels = ", ".join(FAMILY_LABELS.get(family, family) for family in families)
    return f"{len(rules)} {what} {'check' if len(rules) == 1 else 'checks'} ({labels})"


def _reason(diagnosis: RouteLinkDiagnosis | None) -> str:
    if diagnosis is None:
        return "no app server bind matches its target"
    return diagnosis.detail or diagnosis.status.replace("-", " ")


def _join(paths: Sequence[str]) -> str:
    return ", ".join(paths) if len(paths) <= MAX_REASONS else f"{', '.join(paths[:MAX_REASONS])} and " \
                                                             f"{len(paths) - MAX_REASONS} more"


__all__ = ["FAMILY_LABELS", "GivenInputs", "SCOPE_NEEDS", "coverage_notices"]
