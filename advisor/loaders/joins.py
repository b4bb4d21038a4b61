"""Join the app-side sources into one app server per process.

Several inputs often describe the same process: a compose service or Dockerfile runs a script that was passed too,
a command line loads a gunicorn config (with `-c` or `./gunicorn.conf.py` by default) or a uWSGI config (`--ini`)
that was passed too. Each is
one app server, not two: the one reached through its launcher keeps (it carries the launcher's environment,
working directory and service name), the standalone reading is dropped with its diagnostics. A source that starts
no server itself is only worth a note when no other input provides the app server.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from advisor.model.deployment import AppServer, Diagnostic

if TYPE_CHECKING:
    from advisor.loaders.app_sources import AppSourceResult, LoadedApp


_CONFIG_KINDS = ("gunicorn", "uwsgi")  # config files (a gunicorn.conf.py, a uwsgi.ini) rather than launchers


def _real(path: str | None) -> str | None:
    return os.path.realpath(path) if path else None


def _site(loaded: "LoadedApp") -> tuple[str | None, int | None, int | None] | None:
    position = loaded.app.source.position()
    if position is None:
        return None
    return _real(position.path), position.line, position.column


def _duplicates(results: "list[AppSourceResult]") -> set[int]:
    """ids of the LoadedApps another input already describes."""
    entries = [(result, loaded) for result in results for loaded in result.loaded]
    loaded_configs = {_real(loaded.config_file) for result, loaded in entries
                      if result.kind not in _CONFIG_KINDS and loaded.config_file}
    reached_sites = {_site(loaded) for result, loaded in entries if not loaded.standalone} - {None}
    compose_sites = {_site(loaded) for result, loaded in entries if result.kind == "compose"} - {None}
    dropped: set[int] = set()
    for result, loaded in entries:
        if result.kind in _CONFIG_KINDS and _real(result.path) in loaded_configs:
            dropped.add(id(loaded))  # a config file that a command line loads: that command's app
        elif result.kind not in _CONFIG_KINDS and loaded.standalone and _site(loaded) in reached_sites:
            dropped.add(id(loaded))  # a script that a compose service / Dockerfile / unit runs: that launcher's app
        elif result.kind == "dockerfile" and _site(loaded) in compose_sites:
            dropped.add(id(loaded))  # the image a compose service runs: the service (with its environment)
    return dropped


def join_app_sources(results: "list[AppSourceResult]") -> tuple[list[AppServer], list[Diagnostic]]:
    """The deployment's app servers and the diagnostics that belong to them and to their sources."""
    dropped = _duplicates(results)
    apps: list[AppServer] = []
    diagnostics: list[Diagnostic] = []
    for result in results:
        for loaded in result.loaded:
            if id(loaded) not in dropped:
                apps.append(loaded.app)
    for result in results:
        for diagnostic in result.diagnostics:
            if diagnostic is result.no_server and apps:
                continue  # the process is started by a file that was passed too
            diagnostics.append(diagnostic)
        for loaded in result.loaded:
            if id(loaded) not in dropped:
                diagnostics.extend(loaded.diagnostics)
    return apps, diagnostics


__all__ = ["join_app_sources"]
