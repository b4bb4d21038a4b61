"""Dispatch an app-server source file to the loader for its kind (gunicorn.conf.py, compose, Dockerfile, ...).

Kinds (advisor/model/classify.py APP_KINDS): "gunicorn" is a gunicorn config file evaluated with `ast`; the others
(compose, dockerfile, procfile, systemd, supervisor, shell, markdown) are files that start gunicorn or uvicorn,
read by advisor.loaders.sources. One source may start several app servers (one per compose service, Procfile
process type, supervisor program ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.model.classify import APP_KINDS
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
    if kind in APP_KINDS:
        from advisor.loaders.sources import load_source

        result = load_source(path, kind, host)
        return AppSourceResult(result.apps, list(result.diagnostics), list(result.suppressions))
    return AppSourceResult(diagnostics=[Diagnostic(
        "ADV004", "error",
        f"unknown app source kind {kind!r} (--app-format): use one of {', '.join(APP_KINDS)}", path, None)])
