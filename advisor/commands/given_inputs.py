"""Inputs as people first type them: `-` for standard input, a directory to search, before any loading.

`-` (positional, `--nginx -` or `--app -`) is read once into a private temporary directory, under a name that lets
the usual classification work (`nginx.conf`, `gunicorn.conf.py`, `compose.yaml`, `Dockerfile` ...), and removed
afterwards; reports name it `<stdin>` (`StdinAliases` rewrites the temporary path in everything printed).
A directory is searched by advisor/loaders/discover.py; what it picked is printed on stderr so a surprising pick
is seen.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import IO, TextIO

from advisor.commands.options import Inputs
from advisor.readers import read_stream

STDIN = "-"
STDIN_LABEL = "<stdin>"

# --app-format -> a file name the loaders recognise for that kind
_NAMES_BY_FORMAT = {
    "gunicorn": "gunicorn.conf.py", "compose": "compose.yaml", "dockerfile": "Dockerfile", "procfile": "Procfile",
    "systemd": "app.service", "supervisor": "supervisord.conf", "shell": "start.sh", "markdown": "README.md",
    "python": "launch.py", "makefile": "Makefile",
}


class InputsError(ValueError):
    """A usage problem with `-` or a directory (exit 2)."""


@dataclass(slots=True)
class StdinAliases:
    """Temporary path of standard input -> `<stdin>` in what is printed."""

    replacements: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: str) -> None:
        from pathlib import Path
        from urllib.parse import quote

        absolute = {os.path.abspath(path), os.path.realpath(path)}
        self.replacements += [(Path(variant).as_uri(), quote(STDIN_LABEL))  # SARIF: a valid URI reference
                              for variant in sorted(absolute, key=len, reverse=True)]
        variants = sorted(absolute | {os.path.relpath(variant) for variant in absolute}, key=len, reverse=True)
        self.replacements += [(variant, STDIN_LABEL) for variant in variants]
        # A file named next to it (a relative include that is not there) is shown as written.
        self.replacements += [(os.path.dirname(variant) + os.sep, "") for variant in variants]

    def apply(self, text: str) -> str:
        for old, new in self.replacements:
            text = text.replace(old, new)
        return text

    def rewrite_file(self, path: str | None) -> None:
        if not self.replacements or not path or not os.path.isfile(path):
            return
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.apply(text))


class AliasingStream:
    """A text stream that writes through `StdinAliases` (everything else is the wrapped stream's)."""

    def __init__(self, stream: TextIO, aliases: StdinAliases) -> None:
        self._stream = stream
        self._aliases = aliases

    def write(self, text: str) -> int:
        return self._stream.write(self._aliases.apply(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _sniffed_name(text: str) -> str:
    """A name for stdin given positionally: the kind its content shows, else a neutral name (content decides)."""
    from advisor.model.classify import looks_like_python, starts_server

    if re.search(r"^services\s*:", text, re.M):
        return "compose.yaml"
    first = next((line.strip() for line in text.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")), "")
    if re.match(r"(?i)^(FROM|ARG)\s+\S", first) and re.search(r"(?im)^FROM\s+\S", text):
        return "Dockerfile"
    if re.match(r"^[\w-]+:\s*\S", first) and not re.search(r"[{};]\s*$", first):
        return "Procfile"
    if not text.startswith("#!") and looks_like_python(text):
        return "launch.py" if starts_server(text) else "gunicorn.conf.py"
    return "stdin"


def _stdin_name(text: str, side: str, app_format: str | None) -> str:
    if side == "nginx":
        return "nginx.conf"
    if app_format in _NAMES_BY_FORMAT:
        return _NAMES_BY_FORMAT[app_format]
    name = _sniffed_name(text)
    if side == "app" and name == "stdin":
        return "start.sh" if text.startswith("#!") or re.search(r"\b(gunicorn|uvicorn)\b", text) else name
    return name


@contextmanager
def stdin_inputs(inputs: Inputs, stdin: IO[str], aliases: StdinAliases) -> Iterator[Inputs]:
    """`inputs` with `-` replaced by a temporary file holding standard input (removed on exit)."""
    sides = [(side, index) for side, paths in (("paths", inputs.paths), ("nginx", inputs.nginx), ("app", inputs.app))
             for index, path in enumerate(paths) if path == STDIN]
    if not sides:
        yield inputs
        return
    if len(sides) > 1:
        raise InputsError("standard input (-) can be given once")
    side, index = sides[0]
    try:
        text = read_stream(stdin, STDIN_LABEL)
    except OSError as error:
        raise InputsError(f"standard input (-) {error}") from None
    if not text.strip():
        raise InputsError("standard input (-) is empty")
    import shutil
    import tempfile

    directory = tempfile.mkdtemp(prefix="advisor-stdin-")
    try:
        path = os.path.join(directory, _stdin_name(text, side, inputs.app_format))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        aliases.add(path)
        paths = list(getattr(inputs, side))
        paths[index] = path
        yield replace(inputs, **{side: paths})
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def announce_directories(inputs: Inputs, err: TextIO) -> None:
    """Print what each directory argument resolved to; a directory with nothing to check is a usage error."""
    if not any(os.path.isdir(path) for path in [*inputs.paths, *inputs.nginx, *inputs.app]):
        return  # files only: the discovery code is not needed
    from advisor.loaders.discover import discover

    for path in inputs.paths:
        if not os.path.isdir(path):
            continue
        found = discover(path)
        if not found.files:
            raise InputsError(found.describe())
        err.write(f"advisor: checking {found.describe()}\n")
        err.flush()
    for option, paths in (("--nginx", inputs.nginx), ("--app", inputs.app)):  # searched for that side only
        for path in paths:
            if os.path.isdir(path):
                found = discover(path)
                picked = found.nginx if option == "--nginx" else [f"{app} ({kind})" for app, kind in found.app]
                err.write(f"advisor: {option} {path}: {', '.join(picked) or 'none found'}\n")


__all__ = ["AliasingStream", "InputsError", "STDIN", "STDIN_LABEL", "StdinAliases", "announce_directories",
           "stdin_inputs"]
