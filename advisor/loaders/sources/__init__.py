"""App-server settings from where they really live: docker-compose files, Dockerfiles, Procfiles, systemd units,
supervisord configs, shell scripts (and fenced commands in Markdown guides).

Public API:
  load_source(path, kind, host) -> SourceLoadResult(servers, diagnostics, suppressions, nginx_mounts)
      kind: one of SOURCE_KINDS; `.apps` are the AppServers (kind "gunicorn" or "uvicorn"); every option's
      Setting points at the line and column it is written at, and `.servers[i].parsed` is the parsed command line.
  nginx_configs_from_compose(path) -> list[str]: nginx configs the compose file's nginx services mount or copy.

Environment precedence (documented decision): `--env NAME=VALUE` is the environment of the deployment. It
overrides what files *declare* (compose `environment:`/`env_file:`, Dockerfile `ENV`, systemd `Environment=`/
`EnvironmentFile=`, supervisord `environment=`), the way `docker run -e` overrides an image's ENV. A shell script
starts with `--env` as its environment and then runs its own assignments in order, as a shell does: `X=${X:-4}`
keeps the `--env` value, a plain `X=4` replaces it. Compose interpolates `${X}` in the compose file itself from
`--env` and the `.env` file next to it (never from a service's `environment:`).

Positions: words are split by a tokenizer that follows the POSIX rules `shlex.split` implements (checked against it
in the tests) but keeps, for every character, the file position it came from, through quotes, line continuations,
variable expansion and YAML/JSON unquoting; so `-w${WORKERS:-4}` points at the `-w` and its value at the `4`.
"""

from advisor.loaders.sources.loader import SOURCE_KINDS, SourceLoadResult, load_source
from advisor.loaders.sources.servers import LoadedServer


def nginx_configs_from_compose(path: str) -> list[str]:
    """The nginx config files that a compose file's nginx services mount or copy from this machine (main
    configs first); [] when there are none or the file cannot be read."""
    from advisor.loaders.sources.compose import nginx_configs_from_compose as find  # pyyaml only when needed

    return find(path)


__all__ = ["LoadedServer", "SOURCE_KINDS", "SourceLoadResult", "load_source", "nginx_configs_from_compose"]
