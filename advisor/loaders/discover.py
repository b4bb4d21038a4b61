"""Find the nginx config and the app server's settings in a directory (`advisor check DIR`).

The walk skips what is not a deployment: version control and hidden directories, node_modules, virtualenvs,
caches, tests and docs. Names decide which files are read at all; the content decides the rest, with
advisor/model/classify.py's rules:

- nginx: `nginx.conf`, `*.conf` (and their `.template`/`.tpl`/`.j2`), files in conf.d/, sites-enabled/, an
  `nginx/` directory ... that hold nginx blocks (`http {`, `server {`, `location ... {`). A main config (one with an
  `http` block) is read with its includes; a fragment it already includes is not picked again, a template whose
  rendered file is there is not picked, and sites-available/ is left out when sites-enabled/ is beside it.
- app server: gunicorn/uvicorn config files (`gunicorn.conf.py`, `gunicorn_conf.py`, `gunicorn.conf`), compose
  files, Dockerfiles, Procfiles, systemd units, supervisor configs, Makefiles and start scripts, kept only when
  reading them finds a gunicorn or uvicorn process (a Dockerfile that only installs gunicorn is not picked). A
  systemd `.socket` is kept with the `.service` of the same name.

Nothing is run; files are read as `advisor check FILE...` reads them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from advisor.lazy_regex import lazy_re
from advisor.readers import read_head
from advisor.template_syntax import DISTINCT_TEMPLATE_SUFFIXES

MAX_DEPTH = 6  # directory levels below the one given
MAX_FILES = 20_000  # directory entries looked at before the walk stops

_SKIP_DIRS = frozenset({
    "node_modules", "bower_components", "venv", "virtualenv", "site-packages", "__pycache__", "test", "tests",
    "testing", "__tests__", "e2e", "docs", "doc", "htmlcov", "coverage",
})
_SERVER_WORD = lazy_re(r"\b(gunicorn|uvicorn|uwsgi)\b")
_NGINX_BLOCK = lazy_re(
    r"(?:^|[;{}\s])(?:http|server|upstream\s+[\w.$-]+|location\s+[^{};\n]+|map\s+[^{};\n]+)\s*\{", re.M)
_NGINX_MAIN = lazy_re(r"(?:^|[;}])\s*(?:http|events)\s*\{", re.M)
_NGINX_DIRS = frozenset({"nginx", "conf.d", "sites-enabled", "sites-available", "http.d", "vhosts.d", "vhosts",
                         "servers"})
_SHELL_SUFFIXES = (".sh", ".bash")
_SNIFF_BYTES = 65536


@dataclass(frozen=True, slots=True)
class Discovery:
    """What `advisor check DIR` picked in DIR: nginx configs and app sources (path, kind), in a stable order."""

    directory: str
    nginx: tuple[str, ...] = ()
    app: tuple[tuple[str, str], ...] = ()
    included: int = 0  # further nginx files the picked main configs include
    truncated: bool = False  # the walk stopped at MAX_FILES

    @property
    def files(self) -> list[str]:
        return [*self.nginx, *(path for path, _ in self.app)]

    def describe(self) -> str:
        """One line for stderr: what was picked, so a surprising pick is seen."""
        more = f"; stopped after {MAX_FILES} entries, pass a smaller directory" if self.truncated else ""
        if not self.files:
            return (f"found no nginx config or app server settings in {self.directory} (looked for nginx.conf, "
                    "conf.d/, sites-enabled/, *.conf, gunicorn.conf.py, compose files, Dockerfiles, Procfiles, "
                    "systemd units, supervisor configs and start scripts; skipped hidden directories, "
                    f"node_modules, virtualenvs, tests and docs{more})")
        parts = []
        if self.nginx:
            includes = f" (+{self.included} included)" if self.included else ""
            parts.append(f"nginx: {', '.join(self.nginx)}{includes}")
        else:
            parts.append("nginx: none found")
        if self.app:
            parts.append(f"app server: {', '.join(f'{path} ({kind})' for path, kind in self.app)}")
        else:
            parts.append("app server: none found")
        return f"{self.directory}: {'; '.join(parts)}{more}"


def expand_directories(paths: list[str]) -> list[str]:
    """`paths` with every directory replaced by the files discovered in it (other paths unchanged)."""
    expanded: list[str] = []
    for path in paths:
        expanded.extend(discover(path).files if os.path.isdir(path) else [path])
    return expanded


def discover(directory: str) -> Discovery:
    """The nginx configs and app sources in `directory` (cached per directory and working directory)."""
    return _discover(directory, os.path.realpath(directory), os.getcwd())


@lru_cache(maxsize=32)
def _discover(directory: str, _real: str, _cwd: str) -> Discovery:
    files, truncated = _walk(directory)
    nginx_candidates: list[str] = []
    app_candidates: list[tuple[str, str]] = []
    for path in files:
        kind = _kind(path)
        if kind == "nginx":
            nginx_candidates.append(path)
        elif kind is not None:
            app_candidates.append((path, kind))
    nginx, included = _pick_nginx(nginx_candidates, directory)
    app = _pick_apps(app_candidates)
    return Discovery(directory, tuple(nginx), tuple(app), included, truncated)


# -- walking ---------------------------------------------------------------------------------------------------------

def _skip_dir(parent: str, name: str) -> bool:
    if name.startswith(".") or name.lower() in _SKIP_DIRS:
        return True
    return os.path.isfile(os.path.join(parent, name, "pyvenv.cfg"))  # a virtualenv under any name


def _walk(directory: str) -> tuple[list[str], bool]:
    found: list[str] = []
    seen = 0
    base_depth = directory.rstrip(os.sep).count(os.sep)
    for parent, dirs, names in os.walk(directory):
        dirs[:] = sorted(name for name in dirs if not _skip_dir(parent, name))
        if parent.rstrip(os.sep).count(os.sep) - base_depth >= MAX_DEPTH:
            dirs[:] = []
        for name in sorted(names):
            seen += 1
            if seen > MAX_FILES:
                return found, True
            found.append(os.path.normpath(os.path.join(parent, name)))
    return found, False


def _head(path: str) -> str:
    try:
        data = read_head(path, _SNIFF_BYTES)
    except OSError:  # not a regular file (FIFO, device), unreadable
        return ""
    return "" if b"\0" in data else data.decode("utf-8", "replace")


# -- what a file is ----------------------------------------------------------------------------------------------------

def _untemplated(name: str) -> str:
    for suffix in DISTINCT_TEMPLATE_SUFFIXES:  # `.in`/`.erb` name other files too
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _nginx_named(path: str) -> bool:
    name = _untemplated(os.path.basename(path).lower())
    if name.endswith((".conf", ".nginx", ".vhost")) or name.startswith("nginx"):
        return True
    # A name without a suffix in an nginx directory (sites-enabled/example, roles/nginx/templates/site.j2); other
    # suffixes there (mime.types, keys, certificates) are not site configs.
    parent = os.path.dirname(path)
    ancestors = {os.path.basename(parent).lower(), os.path.basename(os.path.dirname(parent)).lower()}
    return "." not in name and bool(ancestors & _NGINX_DIRS)


def _names_server(name: str) -> bool:
    """gunicorn.conf.py, gunicorn_conf.py, uvicorn.service, start-gunicorn.sh (`_` is a word character)."""
    return bool(_SERVER_WORD.search(re.sub(r"[_.-]", " ", name)))


def _app_named(path: str) -> bool:
    name = os.path.basename(path).lower()
    bare = _untemplated(name)
    if _names_server(bare):
        return True
    if re.match(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$", name) or name in ("procfile", "makefile") \
            or name.startswith(("dockerfile", "containerfile", "procfile.")) or name.endswith(".dockerfile"):
        return True
    if bare.endswith((".service", ".socket", ".conf", ".ini", ".mk", ".yml", ".yaml") + _SHELL_SUFFIXES):
        return True  # systemd units, supervisor configs and compose files named otherwise (content decides), scripts
    return "." not in bare  # a script without a suffix (start, serve, docker-entrypoint), also as a template


def _kind(path: str) -> str | None:
    """"nginx", an app source kind, or None for a file that is neither (or not worth reading)."""
    from advisor.model.classify import NGINX, classify_path

    nginx_named, app_named = _nginx_named(path), _app_named(path)
    if not (nginx_named or app_named):
        return None
    head = _head(path)
    if not head.strip():
        return None
    kind = classify_path(path)
    if kind == NGINX:
        return "nginx" if nginx_named and _NGINX_BLOCK.search(head) and ";" in head else None
    if kind == "markdown" or not app_named:
        return None  # guides describe a deployment; they are not one
    name = os.path.basename(path).lower()
    if (kind == "gunicorn" or name.endswith(".py")) and not _names_server(name):
        return None  # Sphinx's conf.py, settings.py, a module: only Python configs named for the server count
    if kind in ("compose", "dockerfile", "systemd", "supervisor", "procfile", "gunicorn", "uwsgi"):
        return kind  # what they start may be a script given beside them: reading them decides (_pick_apps)
    return kind if _SERVER_WORD.search(head) else None


# -- choosing ----------------------------------------------------------------------------------------------------------

def _pick_nginx(candidates: list[str], directory: str) -> tuple[list[str], int]:
    """Main configs with what they include, plus the fragments none of them includes; duplicates left out.
    Also returns how many files of `directory` the main configs include."""
    from advisor.loaders.nginx import load_nginx
    from advisor.model.deployment import HostFacts

    candidates = [path for path in candidates if not _template_of_present(path, candidates)
                  and not _disabled_site(path)]
    mains = [path for path in candidates if _NGINX_MAIN.search(_head(path))]
    covered: set[str] = set()
    included = 0
    for main in mains:
        files = load_nginx(main, HostFacts.build()).config.files
        real = {os.path.realpath(file) for file in files} - {os.path.realpath(main)}
        inside = os.path.realpath(directory) + os.sep
        included += len({file for file in real - covered if file.startswith(inside)})
        covered |= real
    chosen: dict[str, str] = {}  # real path -> the path it is picked under (sites-enabled/ names first)
    for path in sorted(candidates, key=lambda path: os.path.basename(os.path.dirname(path)) != "sites-enabled"):
        real = os.path.realpath(path)
        if real not in chosen and (path in mains or real not in covered):
            chosen[real] = path
    picked = set(chosen.values())
    return [path for path in candidates if path in picked], included


def _template_of_present(path: str, candidates: list[str]) -> bool:
    """`default.conf.template` when `default.conf` is there too (the rendered file is what runs): beside it, or,
    for the nginx image's templates/ directory, where it is rendered to (conf.d/ or the directory above)."""
    rendered = _untemplated(path)
    if rendered == path:
        return False
    directory, name = os.path.split(rendered)
    places = [directory]
    if os.path.basename(directory) == "templates":
        above = os.path.dirname(directory)
        places += [above, os.path.join(above, "conf.d")]
    return any(os.path.join(place, name) in candidates or os.path.isfile(os.path.join(place, name))
               for place in places)


def _disabled_site(path: str) -> bool:
    """A site in sites-available/ when sites-enabled/ is beside it: only the enabled ones are loaded by nginx."""
    parent = os.path.dirname(path)
    if os.path.basename(parent) != "sites-available":
        return False
    enabled = os.path.join(os.path.dirname(parent), "sites-enabled")
    if not os.path.isdir(enabled):
        return False
    real, name = os.path.realpath(path), os.path.basename(path)
    return not any(entry == name or os.path.realpath(os.path.join(enabled, entry)) == real
                   for entry in os.listdir(enabled))


def _pick_apps(candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The candidates that start (or configure) a gunicorn or uvicorn process when read with the others."""
    from advisor.loaders.app_sources import load_app_source
    from advisor.model.deployment import HostFacts

    host = HostFacts.build()
    inputs = [path for path, _ in candidates]
    results = {(path, kind): load_app_source(path, kind, host, inputs) for path, kind in candidates
               if not path.endswith(".socket")}
    picked = [item for item, result in results.items() if result.loaded]
    picked += _compose_running_a_picked_script(list(results.values()), host, inputs)
    services = {os.path.splitext(path)[0] for path, kind in picked if kind == "systemd"}
    sockets = [(path, kind) for path, kind in candidates
               if path.endswith(".socket") and os.path.splitext(path)[0] in services]
    return sorted(picked + sockets, key=lambda item: candidates.index(item))


def _compose_running_a_picked_script(results: list, host, inputs: list[str]) -> list[tuple[str, str]]:
    """A compose file whose one app service runs a pulled image, when a picked start script is that image's
    process (advisor/loaders/sources/image_pairing.py pairs them; the compose file brings the environment)."""
    from advisor.loaders.sources.compose import image_services
    from advisor.loaders.sources.image_pairing import pair_image_service

    before = {id(result): [id(loaded) for loaded in result.loaded] for result in results}
    pair_image_service(results, host, inputs)
    if all([id(loaded) for loaded in result.loaded] == before[id(result)] for result in results):
        return []
    return [(result.path, result.kind) for result in results if result.kind == "compose" and not result.loaded
            and any(not service.infrastructure for service in image_services(result.path, host.env))]


__all__ = ["Discovery", "MAX_DEPTH", "MAX_FILES", "discover", "expand_directories"]
