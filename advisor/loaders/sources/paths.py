"""Map a path as a command line writes it (often a path inside a container) to a file on this machine.

Order: an exact mount (compose `volumes:`, Dockerfile `COPY`), the path itself when the source describes this host
(systemd, supervisor), then the path's trailing components under the source's directories (`/app/gunicorn.conf.py`
-> `<compose dir>/gunicorn.conf.py`). A match by trailing components is a guess; it is recorded in `guesses` so the
loader can say which file it read.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field


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

    def with_working_dir(self, working_dir: str | None) -> "PathResolver":
        clone = PathResolver(self.base_dir, list(self.mounts), list(self.roots), working_dir or self.working_dir,
                             self.host_paths, self.runs_near_source, self.guesses)
        return clone

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
            for directory in [self.base_dir, *self.roots]:
                candidate = os.path.normpath(os.path.join(directory, path))
                if os.path.isfile(candidate):
                    return candidate
            return None
        return self._absolute(path, guess=True)

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
