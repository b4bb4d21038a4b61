"""Pair a passed script with the compose service that runs it through its pulled image's own command.

A service without `build:`, `command:` and `entrypoint:` runs whatever its image was built to run, which is not in
the compose file; users then pass the image's entrypoint script next to it. When exactly one such service is not
infrastructure (service_roles) and exactly one passed shell script starts an app server that no other input
starts, that script is what the service runs: it is read again with the service's name and environment
(`environment:`, `env_file:`, `--env`), and a note says the pairing was assumed. Any ambiguity: no pairing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from advisor.loaders.sources.compose import ImageService, image_services
from advisor.loaders.sources.launch import NOTE, Collector, LaunchContext
from advisor.loaders.sources.paths import PathResolver, passed_inputs, source_dir
from advisor.loaders.sources.servers import app_ids, build_server
from advisor.loaders.sources.text import SourceText, read_source_file
from advisor.model.deployment import Diagnostic, HostFacts

if TYPE_CHECKING:
    from advisor.loaders.app_sources import AppSourceResult

SCRIPT_KINDS = ("shell",)


def _real(path: str | None) -> str | None:
    return os.path.realpath(path) if path else None


def _unattached_scripts(results: "list[AppSourceResult]") -> "list[AppSourceResult]":
    """Passed scripts that start an app server no other input starts."""
    reached = {_real(position.path) for result in results for loaded in result.loaded if not loaded.standalone
               and (position := loaded.app.source.position()) is not None}
    return [result for result in results if result.kind in SCRIPT_KINDS and result.loaded
            and all(loaded.standalone for loaded in result.loaded) and _real(result.path) not in reached]


def pair_image_service(results: "list[AppSourceResult]", host: HostFacts, inputs: list[str]) -> None:
    """Re-read the one unattached script as the one app-like image-only service's process (in place)."""
    composes = [result for result in results if result.kind == "compose"]
    if not composes:
        return
    services = [(compose, service) for compose in composes for service in image_services(compose.path, host.env)
                if not service.infrastructure]
    scripts = _unattached_scripts(results)
    if len(services) != 1 or len(scripts) != 1:
        return
    compose, service = services[0]
    script = scripts[0]
    loaded = _load_as_service(script.path, compose.path, service, host, inputs)
    if not loaded:
        return
    from advisor.loaders.app_sources import LoadedApp

    script.loaded = [LoadedApp(server.result.app, list(server.result.diagnostics), server.result.config_file,
                               standalone=True) for server in loaded]
    position = service.position
    compose.diagnostics.append(Diagnostic(
        NOTE, "info", f"service {service.name} runs its image's own command, which the compose file does not show; "
                      f"advisor assumed it is {script.path} (the one passed script that no other input starts) and "
                      f"read it with the service's environment", position.path if position else compose.path,
        position.line if position else None, position.column if position else None,
        fix=f"to make it explicit, set `command:` (or `entrypoint:`) of service {service.name} to the script, or "
            "pass the Dockerfile that builds the image"))


def _load_as_service(script: str, compose_path: str, service: ImageService, host: HostFacts,
                     inputs: list[str]) -> list:
    text = read_source_file(script)
    if text is None:
        return []
    directory = source_dir(script)
    collector = Collector()
    with passed_inputs(inputs):
        context = LaunchContext(compose_path, f"compose service {service.name}: the image's command (assumed "
                                f"{os.path.basename(script)})", PathResolver(base_dir=directory, roots=[directory]),
                                label=service.name, service_name=service.name,
                                extra_settings=dict(service.extra_settings))
        collector.script(SourceText(script, text).ptext(), service.env.copy(), context)
        return [build_server(found, host, app_id) for found, app_id in zip(collector.found,
                                                                            app_ids(collector.found))]


__all__ = ["pair_image_service"]
