"""App-server settings from where they really live: docker-compose files, Dockerfiles, Procfiles, systemd units,
supervisord configs, shell scripts (and fenced commands in Markdown guides).

Public API:
  load_source(path, kind, host) -> SourceLoadResult(servers, diagnostics, suppressions, nginx_mounts)
      kind: one of SOURCE_KINDS; `.apps` are the AppServers (kind "gunicorn" or "uvicorn"), every option's
      Setting pointing at the line and column it is written at; `.servers[i].parsed` is the parsed command line.
  nginx_configs_from_compose(path) -> list[str]: nginx configs the compose file's nginx services mount/copy.
"""

from advisor.loaders.sources.compose import NginxMount, nginx_configs_from_compose
from advisor.loaders.sources.loader import SOURCE_KINDS, SourceLoadResult, load_source
from advisor.loaders.sources.servers import LoadedServer

__all__ = ["LoadedServer", "NginxMount", "SOURCE_KINDS", "SourceLoadResult", "load_source",
           "nginx_configs_from_compose"]
