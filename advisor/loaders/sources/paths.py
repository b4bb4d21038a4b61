"""Map a path as a command line writes it (often a path inside a container) to a file on this machine.

Order: an exact mount (compose `volumes:`, Dockerfile `COPY`), the path itself when the source describes this host
(systemd, supervisor), then the path's trailing components under the source's directories (`/app/gunicorn.conf.py`
-> `<compose dir>/gunicorn.conf.py`). A relative path starts in the process's working directory; when that is not
here, an input file given to advisor whose path ends with the written components (`conf/gunicorn.conf.py`) is that
file, and failing everything else an input of the same file name. A match by trailing components or by name is a
guess; it is recorded in `guesses` so the loader can say which file it read. An input named like the written file
plus a template suffix (`gunicorn.conf.py.template` for `gunicorn.conf.py`) is the template the file is rendered
from; it is used when no input has the name itself.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

# What template engines add to the name of the file they render (`gunicorn.conf.py.j2` -> gunicorn.conf.py): the
# one list, shared with the gunicorn template reader (which imports nothing from here, so no import cycle).
from advisor.loaders.gunicorn.template_fill import TEMPLATE_SUFFIXES

# The files given to advisor in this run: a path a command names is most likely one of them.
_INPUTS: ContextVar[tuple[str, ...]] = ContextVar("advisor_inputs", default=())


@contextmanager
def passed_inputs(paths: list[str] | tuple[str, ...]) -> Iterator[None]:
    """Make `paths` (the run's input files) known to every PathResolver created inside the block."""
    token = _INPUTS.set(tuple(os.path.normpath(path) for path in paths))
    try:
        yield
    finally:
        _INPUTS.reset(token)


def _inputs() -> tuple[str, ...]:
    return _INPUTS.get()


def _parts(path: str) -> list[str]:
    return [part for part in path.replace(os.sep, "/").split("/") if part and part != "."]


def rendered_name(name: str) -> str | None:
    """The name of the file a template renders (`app.conf.j2` -> `app.conf`), None when it is not a template."""
    lower = name.lower()
    for suffix in TEMPLATE_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)]
    return None


def _as_rendered(parts: list[str]) -> list[str] | None:
    rendered = rendered_name(parts[-1]) if parts else None
    return [*parts[:-1], rendered] if rendered else None


def source_dir(path: str) -> str:
    """The directory of a source file, relative when the path is (so that reported paths stay short)."""
    return os.path.dirname(path) or "."


@dataclass(slots=True)
class PathResolver:
    base_dir: str  # where relative paths start when nothing better is known
    mounts: list[tuple[str, str]] = field(default_factory=list)  # (path where it is used, local path)
    roots: list[str] = field(default_factory=list)  # local directories to look in by trailing components
    working_dir: str | None = None  # the process's working directory as written (container path)
    host_paths: bool = False  # absolute paths name files of this machine (systemd/supervisor on the host)
    runs_near_source: bool = True  # without a known working directory, the process starts next to the source
    guesses: list[tuple[str, str]] = field(default_factory=list)  # (path as written, local file) found by name
    inputs: tuple[str, ...] = field(default_factory=_inputs)  # files given to advisor (see passed_inputs)

    def with_working_dir(self, working_dir: str | None) -> "PathResolver":
        clone = PathResolver(self.base_dir, list(self.mounts), list(self.roots), working_dir or self.working_dir,
                             self.host_paths, self.runs_near_source, self.guesses, self.inputs)
        return clone

    def input_named(self, path: str, *, by_name: bool) -> str | None:
        """The input file whose path ends with `path`'s components (all of them; with `by_name`, the file name
        alone is enough when exactly one input has it), else the one input that is its template."""
        parts = _parts(path)
        if not parts or ".." in parts:
            return None
        candidates = [(local, _parts(os.path.normpath(local))) for local in self.inputs if os.path.isfile(local)]
        found = self._input_matching(parts, candidates, by_name)
        if found is not None:
            return found
        templates = [(local, rendered) for local, local_parts in candidates
                     if (rendered := _as_rendered(local_parts)) is not None]
        return self._input_matching(parts, templates, by_name)

    @staticmethod
    def _input_matching(parts: list[str], candidates: list[tuple[str, list[str]]], by_name: bool) -> str | None:
        full = list(dict.fromkeys(local for local, local_parts in candidates if local_parts[-len(parts):] == parts))
        if full:
            return full[0]
        if not by_name:
            return None
        named = list(dict.fromkeys(local for local, local_parts in candidates if local_parts[-1:] == parts[-1:]))
        return named[0] if len(named) == 1 else None

    @staticmethod
    def is_template_of(local: str, path: str) -> bool:
        """Whether `local` was found as the template of the file `path` names, not by its own name."""
        return os.path.basename(local) != posixpath.basename(path) and \
            rendered_name(os.path.basename(local)) == posixpath.basename(path)

    def guess_reason(self, local: str) -> str:
        """Why a guessed file is the one a command names, for the note that says which file was read."""
        if any(self.is_template_of(found, written) for written, found in self.guesses if found == local):
            return "the template that file is rendered from"
        return "same file name next to the source"

    def _guess_input(self, path: str) -> str | None:
        found = self.input_named(path, by_name=True)
        if found is not None:
            self.guesses.append((path, found))
        return found

    def default_file(self, name: str) -> str | None:
        """A file the server reads from its working directory when nothing names it (`./gunicorn.conf.py`):
        through a mount or copy of the working directory, or next to the source when the process runs there."""
        if self.working_dir and posixpath.isabs(self.working_dir):
            found = self._absolute(posixpath.join(self.working_dir, name), guess=False)
            if found:
                return found
            if not self.runs_near_source:
                return None
        if self.runs_near_source:
            candidate = os.path.normpath(os.path.join(self.base_dir, name))
            return candidate if os.path.isfile(candidate) else None
        return None

    def resolve(self, path: str) -> str | None:
        """A local file for `path`, or None."""
        if not path:
            return None
        if not posixpath.isabs(path):
            if self.working_dir and posixpath.isabs(self.working_dir):
                found = self._absolute(posixpath.join(self.working_dir, path), guess=False)
                if found:
                    return found
            found = self.input_named(path, by_name=False)
            if found is not None:
                if self.is_template_of(found, path):
                    self.guesses.append((path, found))
                return found
            for directory in [self.base_dir, *self.roots]:
                candidate = os.path.normpath(os.path.join(directory, path))
                if os.path.isfile(candidate):
                    return candidate
            return self._guess_input(path)
        return self._absolute(path, guess=True) or self._guess_input(path)

    def _absolute(self, path: str, guess: bool) -> str | None:
        normal = posixpath.normpath(path)
        for target, local in sorted(self.mounts, key=lambda item: -len(item[0])):
            target = posixpath.normpath(target)
            if normal == target and os.path.isfile(local):
                return local
            if normal.startswith(target.rstrip("/") + "/"):
                candidate = os.path.join(local, normal[len(target.rstrip("/")) + 1:])
                if os.path.isfile(candidate):
                    return os.path.normpath(candidate)
        if self.host_paths and os.path.isfile(normal):
            return normal
        if not guess:
            return None
        parts = [part for part in normal.split("/") if part]
        for start in range(len(parts)):
            for directory in [self.base_dir, *self.roots]:
                candidate = os.path.join(directory, *parts[start:])
                if os.path.isfile(candidate):
                    self.guesses.append((path, os.path.normpath(candidate)))
                    return os.path.normpath(candidate)
        return None
