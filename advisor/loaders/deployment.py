"""Build the deployment model from the input files: load each source, then join and link them.

The one entry point from the inputs (advisor/model/inputs.py) to a `Deployment`: the commands and the rule examples
call it; the loaders it calls never call back. A loader module is imported only when an input of its kind is there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.model.classify import NGINX, classify_path
from advisor.loaders.joins import join_app_sources
from advisor.model.deployment import Deployment, Diagnostic, HostFacts
from advisor.model.diagnostics import consolidate_diagnostics
from advisor.model.inputs import Inputs
from advisor.model.linking import link_routes

if TYPE_CHECKING:
    from advisor.loaders.app_sources import AppSourceResult


class InputError(Exception):
    """A usage problem with the inputs (exit code 2): no files, an unknown --app-format, ..."""


def split_inputs(inputs: Inputs) -> tuple[list[str], list[tuple[str, str]]]:
    """Return (nginx paths, [(app path, app kind)]) from positional and explicit inputs."""
    from advisor.model.classify import APP_KINDS

    if inputs.app_format is not None and inputs.app_format not in APP_KINDS:
        raise InputError(f"unknown --app-format {inputs.app_format!r}: use one of {', '.join(APP_KINDS)}")
    _require_existing([*inputs.nginx, *inputs.app, *inputs.paths])
    nginx_paths = [path for path, _ in _expand_option(inputs.nginx, "nginx")]
    app_paths = [(path, inputs.app_format or kind) for path, kind in _expand_option(inputs.app, "app")]
    for path in _expand_directories(inputs.paths):  # a directory: the configs discovered in it
        kind = classify_path(path)
        if kind == NGINX:
            nginx_paths.append(path)
        else:
            app_paths.append((path, inputs.app_format or kind))
    return nginx_paths, app_paths


def _expand_directories(paths: list[str]) -> list[str]:
    """The configs discovered in each directory among `paths` (the discovery code only when there is one)."""
    import os

    if not any(os.path.isdir(path) for path in paths):
        return list(paths)
    from advisor.loaders.discover import expand_directories

    return expand_directories(paths)


def _expand_option(paths: list[str], side: str) -> list[tuple[str, str]]:
    """`--nginx`/`--app` paths as (path, kind): a directory is searched like a positional one, keeping that side's
    files (a directory without any is a usage error)."""
    import os

    if not any(os.path.isdir(path) for path in paths):
        return [(path, NGINX if side == "nginx" else classify_path(path)) for path in paths]
    from advisor.loaders.discover import discover

    expanded: list[tuple[str, str]] = []
    for path in paths:
        if not os.path.isdir(path):
            expanded.append((path, NGINX if side == "nginx" else classify_path(path)))
            continue
        found = discover(path)
        picked = [(config, NGINX) for config in found.nginx] if side == "nginx" else list(found.app)
        if not picked:
            raise InputError(f"--{side} {path}: found no {'nginx config' if side == 'nginx' else 'app server settings'}"
                             f" in the directory ({found.describe()})")
        expanded.extend(picked)
    return expanded


def _require_existing(paths: list[str]) -> None:
    """A file named on the command line that is not there is a usage error (exit 2), not a finding: nothing about
    the deployment follows from a typo in the command."""
    import os

    missing = [path for path in paths if path != "-" and not os.path.lexists(path)]
    if missing:
        raise InputError(f"{missing[0]}: no such file or directory"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))


def nginx_configs_mounted_by_compose(app_paths: list[tuple[str, str]]) -> list[str]:
    """With only a compose file given, check the nginx config its nginx service mounts (the main config when one
    is mounted over nginx.conf, which includes the rest; otherwise every mounted fragment)."""
    for path, kind in app_paths:
        if kind != "compose":
            continue
        from advisor.loaders.sources import nginx_configs_from_compose

        mounted = nginx_configs_from_compose(path)
        main = [config for config in mounted if config.endswith("nginx.conf")]
        if mounted:
            return main[:1] or mounted
    return []


def nginx_environment_from_compose_inputs(app_paths: list[tuple[str, str]], host: HostFacts) -> dict:
    """What compose passes to its nginx containers' environment (fills their envsubst templates)."""
    env: dict = {}
    for path, kind in app_paths:
        if kind == "compose":
            from advisor.loaders.sources.compose import nginx_environment_from_compose

            for name, value in nginx_environment_from_compose(path, dict(host.env)).items():
                env.setdefault(name, value)
    return env


def compose_services(app_paths: list[tuple[str, str]]) -> set[str]:
    """The service names of the compose files given: a route to another service never links by port alone."""
    composes = [path for path, kind in app_paths if kind == "compose"]
    if not composes:
        return set()
    from advisor.loaders.sources.compose import compose_service_names

    return {name for path in composes for name in compose_service_names(path)}


TOO_DEEP = "nested too deeply for advisor to read (a parser ran out of recursion depth)"


def _load_app_source(path: str, kind: str, host: HostFacts, inputs: list[str]) -> "AppSourceResult":
    """load_app_source, with input nested beyond what one of its parsers handles as a diagnostic naming the file."""
    from advisor.loaders.app_sources import AppSourceResult, load_app_source

    try:
        return load_app_source(path, kind, host, inputs)
    except RecursionError:
        return AppSourceResult(path, kind, diagnostics=[Diagnostic(
            "ADV004", "error", f"{path} is {TOO_DEEP}; its app server settings were not checked", path, None,
            fix="flatten the nesting, or pass the file that starts the server directly")])


def build_deployment(inputs: Inputs, host: HostFacts) -> Deployment:
    from advisor.loaders.nginx import load_nginx
    from advisor.loaders.versions import with_pinned_versions

    nginx_paths, app_paths = split_inputs(inputs)
    if not nginx_paths:
        nginx_paths = nginx_configs_mounted_by_compose(app_paths)
    if not nginx_paths and not app_paths:
        raise InputError("no input files: pass an nginx config and an app server config, "
                         "e.g. `advisor check nginx.conf gunicorn.conf.py`")
    host, version_notes = with_pinned_versions(host, nginx_paths, app_paths)  # before loading: defaults depend on it
    deployment = Deployment(host=host, nginx=None, upstreams={}, routes=[], apps=[], links=[],
                            diagnostics=list(version_notes))
    template_env = nginx_environment_from_compose_inputs(app_paths, host)
    for path in nginx_paths:
        try:
            result = load_nginx(path, host, template_env)
        except RecursionError:  # a parser without its own depth limit
            raise InputError(f"{path}: {TOO_DEEP}") from None
        if deployment.nginx is None:
            deployment.nginx = result.config
        else:
            deployment.nginx.files.extend(result.config.files)
            if deployment.nginx.sites is not None and result.config.sites is not None:
                deployment.nginx.sites.merge(result.config.sites)
        for name, upstream in result.upstreams.items():
            deployment.upstreams.setdefault(name, upstream)
        deployment.routes.extend(result.routes)
        deployment.diagnostics.extend(result.diagnostics)
        deployment.suppressions.extend(result.suppressions)
    inputs = nginx_paths + [path for path, _ in app_paths]
    sources = [_load_app_source(path, kind, host, inputs) for path, kind in app_paths]
    if any(source.kind == "compose" for source in sources):  # only a compose service runs a passed script
        from advisor.loaders.sources.image_pairing import pair_image_service

        pair_image_service(sources, host, inputs)
    deployment.apps, app_diagnostics = join_app_sources(sources)
    deployment.diagnostics.extend(app_diagnostics)
    for source in sources:
        deployment.suppressions.extend(source.suppressions)
    deployment.links, deployment.route_diagnoses = link_routes(deployment.routes, deployment.apps,
                                                               compose_services=compose_services(app_paths))
    deployment.diagnostics = consolidate_diagnostics(deployment.diagnostics)
    return deployment


__all__ = ["InputError", "build_deployment", "split_inputs"]
