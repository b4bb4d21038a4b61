"""Dispatch an app-server source file to the loader for its kind (gunicorn.conf.py, compose, Dockerfile, ...).

Kinds (advisor/model/classify.py APP_KINDS): "gunicorn" is a gunicorn config file evaluated with `ast`; the others
(compose, dockerfile, procfile, systemd, supervisor, shell, markdown) are files that start gunicorn or uvicorn,
read by advisor.loaders.sources. One source may start several app servers (one per compose service, Procfile
process type, supervisor program ...). Each app keeps its own diagnostics so that the deployment builder can drop
an app that another input already describes (see advisor/loaders/joins.py) together with what it reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from advisor.model.classify import APP_KINDS
from advisor.model.deployment import AppServer, Diagnostic, HostFacts
from advisor.model.suppressions import Suppression


@dataclass(slots=True)
class LoadedApp:
    """One app server found in an app source, with what was noticed while loading it."""

    app: AppServer
    diagnostics: list[Diagnostic] = field(default_factory=list)
    config_file: str | None = None  # the gunicorn config file its settings were read from (-c or the default)
    standalone: bool = False  # the command is written in the loaded file itself (not reached through another)


@dataclass(slots=True)
class AppSourceResult:
    """What one app-side input file yielded: its app servers, diagnostics and suppressions."""

    path: str = ""
    kind: str = ""
    loaded: list[LoadedApp] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # about the source, not one of its apps
    suppressions: list[Suppression] = field(default_factory=list)
    no_server: Diagnostic | None = None  # "no gunicorn or uvicorn command found" (also in diagnostics)

    @property
    def apps(self) -> list[AppServer]:
        return [loaded.app for loaded in self.loaded]

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        return self.diagnostics + [d for loaded in self.loaded for d in loaded.diagnostics]


def _same_file(first: str | None, second: str | None) -> bool:
    return first is not None and second is not None and os.path.realpath(first) == os.path.realpath(second)


def load_app_source(path: str, kind: str, host: HostFacts, inputs: list[str] | None = None) -> AppSourceResult:
    """`inputs`: every file given to advisor (paths a command names are looked up among them)."""
    if kind == "gunicorn":
        from advisor.loaders.gunicorn import load_gunicorn_config

        config = load_gunicorn_config(path, host)
        return AppSourceResult(path, kind, [LoadedApp(config.app, list(config.diagnostics), path, True)],
                               suppressions=list(config.suppressions))
    if kind == "uwsgi":
        from advisor.loaders.uwsgi import load_uwsgi_config

        config = load_uwsgi_config(path, host)
        return AppSourceResult(path, kind, [LoadedApp(config.app, list(config.diagnostics), path, True)])
    if kind in APP_KINDS:
        from advisor.loaders.sources import load_source

        result = load_source(path, kind, host, inputs)
        loaded: list[LoadedApp] = []
        owned: set[int] = set()
        for server in result.servers:
            position = server.result.app.source.position()
            loaded.append(LoadedApp(server.result.app, list(server.result.diagnostics), server.result.config_file,
                                    standalone=_same_file(position.path if position else None, path)))
            owned.update(id(diagnostic) for diagnostic in server.result.diagnostics)
        own = [diagnostic for diagnostic in result.diagnostics if id(diagnostic) not in owned]
        return AppSourceResult(path, kind, loaded, own, list(result.suppressions), result.no_server)
    return AppSourceResult(path, kind, diagnostics=[Diagnostic(
        "ADV004", "error",
        f"unknown app source kind {kind!r} (--app-format): use one of {', '.join(APP_KINDS)}", path, None,
        fix=f"pass --app-format with one of {', '.join(APP_KINDS)}")])


__all__ = ["AppSourceResult", "LoadedApp", "load_app_source"]
