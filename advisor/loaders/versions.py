"""The versions a deployment pins: gunicorn in its Python requirements, nginx in its image tag.

gunicorn: an exact pin (`gunicorn==21.2.0`, a lock file's resolved version) in requirements*.txt, pyproject.toml,
Pipfile.lock, poetry.lock or uv.lock in the input files' directories and their parents up to the current
directory. nginx: the tag of the official image (`nginx:1.25.5-alpine`, `nginxinc/nginx-unprivileged:1.27.3`) of a
compose service or a Dockerfile's final `FROM`. Only full x.y.z versions count: `nginx:1.27`, `alpine`, `latest`,
`stable`, `mainline` or a range (`gunicorn>=21`) say nothing certain, so the default stays. Two different pins
are no pin either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from advisor.lazy_regex import lazy_re
from advisor.model.deployment import Diagnostic, HostFacts, Version
from advisor.model.provenance import Source
from advisor.readers import read_text_or_none

_REQUIREMENT = lazy_re(r"^\s*gunicorn(?:\[[^\]]*\])?\s*===?\s*(\d+\.\d+(?:\.\d+)?)\s*(?:[;#].*)?$",
                       re.IGNORECASE | re.MULTILINE)
_PEP508 = lazy_re(r"""["']gunicorn(?:\[[^\]]*\])?\s*===?\s*(\d+\.\d+(?:\.\d+)?)\s*(?:;[^"']*)?["']""",
                  re.IGNORECASE)
_POETRY = lazy_re(r"""^\s*gunicorn\s*=\s*(?:\{[^}\n]*version\s*=\s*)?["']=?=?(\d+\.\d+(?:\.\d+)?)["']""",
                  re.IGNORECASE | re.MULTILINE)
_LOCK_PACKAGE = lazy_re(r"""^name\s*=\s*["']gunicorn["']\s*\nversion\s*=\s*["'](\d+\.\d+(?:\.\d+)?)["']""",
                        re.IGNORECASE | re.MULTILINE)
_NGINX_IMAGE = lazy_re(r"""(?:^|[\s"'/])(?:nginx|nginx-unprivileged):(\d+\.\d+\.\d+)(?:-[\w.]+)?(?=$|[\s"'@])""",
                       re.IGNORECASE)
_FROM = lazy_re(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE | re.MULTILINE)
_COMPOSE_IMAGE = lazy_re(r"^\s*image:\s*(\S+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Pin:
    """A version pinned by a file of the project (requirements, image tag), with where."""

    version: Version
    source: Source


def _read(path: str) -> str | None:
    return read_text_or_none(path)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _directories(paths: Iterable[str]) -> list[str]:
    """The input files' directories and their parents up to the current directory (or the file's own directory
    when it lies outside it)."""
    top = os.path.abspath(os.curdir)
    found: list[str] = []
    for path in paths:
        directory = os.path.dirname(os.path.abspath(path))
        while True:
            if directory not in found:
                found.append(directory)
            if directory == top or not directory.startswith(top + os.sep):
                break
            directory = os.path.dirname(directory)
    return found


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _gunicorn_pins_in(path: str) -> list[Pin]:
    text = _read(path)
    if text is None:
        return []
    name = os.path.basename(path)
    matches: list[re.Match[str]] = []
    if name.endswith(".txt"):
        matches = list(_REQUIREMENT.finditer(text))
    elif name == "pyproject.toml":
        matches = list(_PEP508.finditer(text)) + list(_POETRY.finditer(text))
    elif name in ("poetry.lock", "uv.lock"):
        matches = list(_LOCK_PACKAGE.finditer(text))
    elif name == "Pipfile.lock":
        return _pipfile_lock(path, text)
    return [Pin(Version.parse(match.group(1)),
                Source.file(_shown(path), _line_of(text, match.start(1)), None, f"gunicorn {match.group(1)} pinned"))
            for match in matches]


def _pipfile_lock(path: str, text: str) -> list[Pin]:
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return []
    pins = []
    for section in ("default", "develop"):
        entry = (data.get(section) or {}).get("gunicorn") if isinstance(data, dict) else None
        version = entry.get("version", "") if isinstance(entry, dict) else ""
        match = re.fullmatch(r"==(\d+\.\d+(?:\.\d+)?)", version or "")
        if match:
            line = _line_of(text, text.find('"gunicorn"'))
            pins.append(Pin(Version.parse(match.group(1)),
                            Source.file(_shown(path), line, None, f"gunicorn {match.group(1)} locked")))
    return pins


def _requirement_files(directory: str) -> list[str]:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    wanted = [name for name in names if (name.startswith("requirements") and name.endswith(".txt"))
              or name in ("pyproject.toml", "Pipfile.lock", "poetry.lock", "uv.lock")]
    return [os.path.join(directory, name) for name in wanted if os.path.isfile(os.path.join(directory, name))]


def _single(pins: list[Pin]) -> Pin | None:
    versions = {pin.version for pin in pins}
    return pins[0] if len(versions) == 1 else None


def pinned_gunicorn_version(paths: Iterable[str]) -> Pin | None:
    """The gunicorn version the deployment's requirements pin; None when nothing (or contradicting pins) is found."""
    pins = [pin for directory in _directories(paths) for found in _requirement_files(directory)
            for pin in _gunicorn_pins_in(found)]
    return _single(pins)


def _nginx_tag_pins(path: str, text: str, pattern: re.Pattern[str], what: str) -> list[Pin]:
    pins = []
    for reference in pattern.finditer(text):
        tag = _NGINX_IMAGE.search(" " + reference.group(1))
        if tag:
            pins.append(Pin(Version.parse(tag.group(1)),
                            Source.file(_shown(path), _line_of(text, reference.start(1)), None,
                                        f"{what} {reference.group(1)}")))
    return pins


def _final_from(path: str, text: str) -> list[Pin]:
    stages = list(_FROM.finditer(text))
    if not stages:
        return []
    final = stages[-1]
    tag = _NGINX_IMAGE.search(" " + final.group(1))
    if tag is None:
        return []
    return [Pin(Version.parse(tag.group(1)),
                Source.file(_shown(path), _line_of(text, final.start(1)), None, f"FROM {final.group(1)}"))]


def _built_dockerfiles(path: str, text: str) -> list[str]:
    """The Dockerfiles a compose file's services build (contexts written without variables)."""
    import yaml  # only when a compose file is read

    from advisor.loaders.sources.compose import MAX_COMPOSE_CHARS
    from advisor.yaml_limits import YamlLimitError, check_yaml

    if len(text) > MAX_COMPOSE_CHARS:  # not a compose file of a deployment: the compose loader does not read it
        return []
    try:
        check_yaml(text)
        data = yaml.safe_load(text)
    except (yaml.YAMLError, YamlLimitError):
        return []
    services = data.get("services") if isinstance(data, dict) else None
    found = []
    for service in (services or {}).values() if isinstance(services, dict) else []:
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, str):
            context, dockerfile = build, "Dockerfile"
        elif isinstance(build, dict):
            context, dockerfile = str(build.get("context", ".")), str(build.get("dockerfile", "Dockerfile"))
        else:
            continue
        if "$" in context + dockerfile or "://" in context:
            continue
        found.append(os.path.normpath(os.path.join(os.path.dirname(path), context, dockerfile)))
    return found


def pinned_nginx_version(compose_files: Iterable[str], dockerfiles: Iterable[str]) -> Pin | None:
    """The nginx version of the official image the deployment runs: a compose service's `image:` tag, or the final
    `FROM` of a Dockerfile (given, or one that a compose service builds)."""
    pins: list[Pin] = []
    dockerfiles = list(dockerfiles)
    for path in compose_files:
        text = _read(path)
        if text is not None:
            pins += _nginx_tag_pins(path, text, _COMPOSE_IMAGE, "image:")
            dockerfiles += [found for found in _built_dockerfiles(path, text) if found not in dockerfiles]
    for path in dockerfiles:
        text = _read(path)
        if text is not None:
            pins += _final_from(path, text)
    return _single(pins)


def with_pinned_versions(host: HostFacts, nginx_paths: list[str],
                         app_paths: list[tuple[str, str]]) -> tuple[HostFacts, list[Diagnostic]]:
    """`host` with the versions the inputs pin, where no version option was given; a note for each one used."""
    notes: list[Diagnostic] = []
    sources = dict(host.version_sources)
    changes: dict[str, Version] = {}
    if "gunicorn_version" not in sources:
        pin = pinned_gunicorn_version(nginx_paths + [path for path, _ in app_paths])
        if pin is not None:
            changes["gunicorn_version"], sources["gunicorn_version"] = pin.version, pin.source
            notes.append(_note(pin, "gunicorn", "--gunicorn-version"))
    if "nginx_version" not in sources:
        pin = pinned_nginx_version([path for path, kind in app_paths if kind == "compose"],
                                   [path for path, kind in app_paths if kind == "dockerfile"])
        if pin is not None:
            changes["nginx_version"], sources["nginx_version"] = pin.version, pin.source
            notes.append(_note(pin, "nginx", "--nginx-version"))
    if not changes:
        return host, notes
    return replace(host, version_sources=sources, **changes), notes  # type: ignore[arg-type]


def _note(pin: Pin, server: str, option: str) -> Diagnostic:
    detail = pin.source.detail or ""
    shown = "" if not detail or detail.startswith(f"{server} {pin.version}") else f" ({detail})"
    return Diagnostic("ADV007", "info", f"{server} {pin.version} is pinned here{shown}: its defaults and behaviour "
                      "apply", pin.source.path, pin.source.line,
                      fix=f"nothing to do if this is the version that runs; otherwise pass {option}")


__all__ = ["Pin", "pinned_gunicorn_version", "pinned_nginx_version", "with_pinned_versions"]
