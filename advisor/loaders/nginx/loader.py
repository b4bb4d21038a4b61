"""load_nginx: one nginx configuration (full nginx.conf or a fragment) -> upstreams, routes, diagnostics."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field

from advisor.loaders.nginx.context import infer_context
from advisor.loaders.nginx.directives import CLIENT_SPECS
from advisor.loaders.nginx.includes import FileSet
from advisor.loaders.nginx.sites import collect_sites
from advisor.loaders.nginx.suppressions import collect_suppressions
from advisor.loaders.nginx.targets import RouteBuilder
from advisor.loaders.nginx.walker import ConfigWalker
from advisor.model.deployment import Diagnostic, HostFacts, NginxConfig, Route, Upstream
from advisor.model.provenance import Setting, Source
from advisor.model.suppressions import Suppression
from advisor.loaders.nginx.columns import reset_cache as reset_column_cache


@dataclass(slots=True)
class NginxLoadResult:
    """An nginx configuration with its upstreams, routes, diagnostics and suppressions."""

    config: NginxConfig
    upstreams: dict[str, Upstream] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)


def load_nginx(path: str, host: HostFacts, template_env: Mapping[str, Setting] | None = None) -> NginxLoadResult:
    """Load the nginx configuration at `path` (as given on the command line; it names the main file in Sources).

    Template placeholders (`${NAME}`) are filled from `host.env` (`--env`) and from `template_env`: the environment
    the nginx container gets elsewhere (e.g. a compose service's `environment:`), each value with its position,
    which the filled values' Sources name. `--env` wins when both give a name; unknown values fill nothing.

    Never raises for bad input: unreadable files, syntax errors, missing includes and invalid values become
    Diagnostics (ADV001 parse error, ADV002 missing include, ADV003 stock include assumed, ADV005 include loop or
    limit, ADV006 invalid value).
    """
    # Loading allocates one object per directive and value and creates no reference cycles worth collecting;
    # the cyclic GC would otherwise rescan the growing parse tree over and over (about 30% of the load time on a
    # 40k-line config).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(path, host, template_env or {})
    finally:
        reset_column_cache()  # the lines of every file read: needed while loading only
        if gc_was_enabled:
            gc.enable()


def _where(source: Source) -> str:
    if source.kind == "option":
        return source.detail or "--env"
    if source.path:
        return f"{source.path}:{source.line}" if source.line else source.path
    return source.detail or "the environment"


def _template_values(host: HostFacts, template_env: Mapping[str, Setting]) -> tuple[dict[str, str], dict[str, str]]:
    """(values, where each came from) for filling templates."""
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name, setting in template_env.items():
        if setting.known and setting.value is not None:
            values[name] = str(setting.value)
            origins[name] = _where(setting.source)
    for name, value in host.env.items():
        values[name] = value
        origin = host.env_sources.get(name)
        origins[name] = _where(origin) if origin is not None else "--env"
    return values, origins


def _load(path: str, host: HostFacts, template_env: Mapping[str, Setting]) -> NginxLoadResult:
    reset_column_cache()
    diagnostics: list[Diagnostic] = []
    values, origins = _template_values(host, template_env)
    files = FileSet(path, diagnostics, env=values, origins=origins)
    walker = ConfigWalker(files, host, diagnostics)
    main = files.load_main()
    context, reason = ("main", "the file could not be read") if main is None else infer_context(main.stmts)
    if main is not None:
        walker.walk(main, context)
    complete = context == "main" and not files.incomplete
    builder = RouteBuilder(walker.upstreams, walker.defaults, walker.default_headers, diagnostics,
                           walker.defined_variables, complete)
    routes = [builder.build(site) for site in walker.passes]
    suppressions = [suppression for source in files.sources if source.has_suppressions
                    for suppression in collect_suppressions(source)]
    settings = dict(walker.main_settings)
    for key in CLIENT_SPECS:  # the http-level (client side) values, before any server overrides them
        settings[key] = walker.http_settings.get(key) or walker.defaults[key]
    settings["context"] = Setting(context, Source.derived(reason, Source.file(path, None)), context)
    order = {name: index for index, name in enumerate(files.files)}
    diagnostics.sort(key=lambda d: (order.get(d.path or "", len(order)), d.line or 0))
    config = NginxConfig(root=path, files=list(files.files), settings=settings, version=str(host.nginx_version))
    config.sites = collect_sites(files, main, context)  # servers, locations, log formats: for reading access logs
    return NginxLoadResult(config, walker.upstreams, routes, diagnostics, suppressions)
