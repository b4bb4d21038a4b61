"""What may be quoted in output: the content of files inside the project, never of files outside it.

The project is the directories of the inputs given (a directory argument itself, a file's directory) and, when one
of them is inside a git work tree, that whole tree. A finding about a file outside it (an `include /etc/shadow;`,
a symlink to a secret, an app config path pointing elsewhere) keeps its path and line but shows no source line and
no quoted value: those would end up in CI logs. Paths are compared after resolving symlinks.

Outside a run that declares its project (library use, tests) everything counts as inside.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from advisor.lazy_regex import lazy_re

_MAX_PARENTS = 64  # directories walked up looking for a git work tree
_roots: ContextVar[tuple[str, ...] | None] = ContextVar("advisor_project_roots", default=None)
_verdicts: ContextVar[dict[str, bool] | None] = ContextVar("advisor_privacy_verdicts", default=None)
# Quoted or back-ticked spans in a message, and `key=value` / `key: value` tails that may carry a file's content.
_QUOTED = lazy_re(r"\"[^\"\n]*\"|'[^'\n]*'|`[^`\n]*`|«[^»\n]*»")
REDACTED = "(value not shown: the file is outside the project)"
# A path in a message: absolute or explicitly relative, up to a `:line`, a quote, a bracket or a space.
_PATH = lazy_re(r"(?<![\w.~/-])((?:\.{1,2}/|~/|/)[^\s:'\"`(),;<>]+)")


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def git_work_tree(directory: str) -> str | None:
    """The work tree (the directory holding `.git`) that contains `directory`, or None."""
    current = _real(directory)
    for _ in range(_MAX_PARENTS):
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return None


def project_roots(inputs: Iterable[str]) -> tuple[str, ...]:
    """The directories whose files count as the project, for the inputs as given (`-` excluded)."""
    roots: list[str] = []
    for path in inputs:
        if not path or path == "-":
            continue
        directory = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        for root in (_real(directory), git_work_tree(directory)):
            if root and root not in roots:
                roots.append(root)
    return tuple(roots)


@contextmanager
def project(inputs: Iterable[str], extra_roots: Iterable[str] = ()) -> Iterator[tuple[str, ...]]:
    """Declare the project of a run (the given inputs' directories and git work tree) while it lasts."""
    roots = project_roots(inputs) + tuple(_real(root) for root in extra_roots)
    token = _roots.set(roots)
    cache_token = _verdicts.set({})
    try:
        yield roots
    finally:
        _roots.reset(token)
        _verdicts.reset(cache_token)


def include_inputs(inputs: Iterable[str]) -> None:
    """Add the project roots of more inputs (a config's pairs) to the declared project, if there is one."""
    roots = _roots.get()
    if roots is None:
        return
    added = tuple(root for root in project_roots(inputs) if root not in roots)
    if added:
        _roots.set(roots + added)
        verdicts = _verdicts.get()
        if verdicts is not None:
            verdicts.clear()


def inside_project(path: str | None) -> bool:
    """Whether the content of `path` may be shown (True when no project is declared)."""
    roots = _roots.get()
    if roots is None or not path or path.startswith("<"):  # "<stdin>" and other labels are the user's input
        return True
    verdicts = _verdicts.get()
    if verdicts is not None and path in verdicts:
        return verdicts[path]
    real = _real(path)
    verdict = any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)
    if verdicts is not None:
        verdicts[path] = verdict
    return verdict


def _hide(match: re.Match[str]) -> str:
    inner = match.group(0)[1:-1]
    if not inner.strip() or all(not char.isalnum() for char in inner):  # `";"`, `"}"`: syntax, not content
        return match.group(0)
    return '"…"'


def redact(message: str, note: bool = True) -> str:
    """`message` with its quoted and back-ticked spans (values read from a file) replaced; `note` says so."""
    redacted = _QUOTED.sub(_hide, message)
    return f"{redacted} {REDACTED}" if note and redacted != message else redacted


def names_outside(text: str) -> bool:
    """Whether `text` names an existing file outside the declared project (an absolute or `./`, `../`, `~/` path;
    a socket path or a URL names no file whose content could be quoted)."""
    if _roots.get() is None or "/" not in text:
        return False
    for match in _PATH.finditer(text):
        path = os.path.expanduser(match.group(1)) if match.group(1).startswith("~") else match.group(1)
        if not inside_project(path) and _is_file(path):
            return True
    return False


def _is_file(path: str) -> bool:
    try:
        return os.path.isfile(path)
    except (OSError, ValueError):
        return False


def redact_naming_outside(text: str, note: bool = True) -> str:
    """`text` as it is, or redacted (see `redact`) when it names a file outside the project: for messages built
    from a setting's source (`/etc/x.conf:3: invalid value "..."`) that carry no structured path."""
    return redact(text, note) if names_outside(text) else text


def redact_structure(data: object) -> object:
    """A JSON-like structure with every string that names a file outside the project redacted (no note)."""
    if isinstance(data, str):
        return redact_naming_outside(data, note=False)
    if isinstance(data, dict):
        return {key: redact_structure(value) for key, value in data.items()}
    if isinstance(data, list):
        return [redact_structure(value) for value in data]
    if isinstance(data, tuple):
        return tuple(redact_structure(value) for value in data)
    return data


__all__ = ["REDACTED", "git_work_tree", "include_inputs", "inside_project", "names_outside", "project", "project_roots",
           "redact", "redact_naming_outside", "redact_structure"]
