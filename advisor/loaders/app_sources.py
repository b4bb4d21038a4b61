"""Dispatch an app-server source file to the loader for its kind (gunicorn.conf.py, compose, Dockerfile, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.model.deployment import AppServer, Diagnostic, HostFacts
from advisor.model.suppressions import Suppression


@dataclass(slots=True)
class AppSourceResult:
    apps: list[AppServer] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)


def load_app_source(path: str, kind: str, host: HostFacts) -> AppSourceResult:
    if kind == "gunicorn":
        from advisor.loaders.gunicorn import load_gunicorn_config

        loaded = load_gunicorn_config(path, host)
        return AppSourceResult([loaded.app], list(loaded.diagnostics), list(loaded.suppressions))
    return AppSourceResult(diagnostics=[Diagnostic(
        "ADV004", "error",
        f"app server sources of kind {kind!r} are not supported yet; pass a gunicorn.conf.py "
        "(or set --app-format gunicorn if this file is one)", path, None)])
