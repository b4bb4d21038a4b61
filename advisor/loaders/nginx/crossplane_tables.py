"""crossplane's directive table and the names of its external lexers, without importing crossplane on every run.

Importing crossplane loads its whole package (parser, builder, formatter, the Lua extension, a JSON library), a few
milliseconds of a small `advisor check`, yet the loader uses two of its data: the directive table
(`crossplane.analyzer.DIRECTIVES` and its `NGX_*` masks) and which directives have an external lexer
(`*_by_lua_block`). Both are read from crossplane once and kept in the cache directory (advisor/cache_files.py),
stamped with the identity (size, mtime, inode) of crossplane's files they come from; a changed or reinstalled
crossplane is read again. The external lexers themselves are imported only when a config uses one.

`analyzer` stands in for the `crossplane.analyzer` module (attributes DIRECTIVES and NGX_*).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from advisor.cache_files import cache_directory, read_private, replace_file

# crossplane's files the tables depend on: the table itself, the lexer registry and the extension registering into it
_SOURCES = ("__init__.py", "analyzer.py", "lexer.py", os.path.join("ext", "lua.py"))
FAMILY = "crossplane-tables-*.marshal"


def _read_from_crossplane() -> tuple[dict[str, list[int]], dict[str, int], list[str]]:
    import crossplane.analyzer as analyzer  # importing the package registers its external lexers
    import crossplane.lexer as lexer

    masks = {name: value for name, value in vars(analyzer).items()
             if name.startswith("NGX_") and isinstance(value, int)}
    return dict(analyzer.DIRECTIVES), masks, sorted(lexer.EXTERNAL_LEXERS)


def _stamp() -> tuple[Any, ...] | None:
    """The identity of crossplane's source files, found without importing it; None if it cannot be found."""
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec("crossplane")
    if spec is None or not spec.origin:
        return None
    package = os.path.dirname(spec.origin)
    stamp: list[Any] = [sys.implementation.cache_tag]
    for name in _SOURCES:
        try:
            stat = os.stat(os.path.join(package, name))
        except OSError:
            return None
        stamp.append((name, stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return tuple(stamp)


def _load() -> tuple[dict[str, list[int]], dict[str, int], list[str]]:
    """The tables from the cache when it matches the installed crossplane, else from crossplane (and cached)."""
    import marshal
    import zlib

    if "crossplane.analyzer" in sys.modules:  # already paid for
        return _read_from_crossplane()
    directory = cache_directory()
    stamp = _stamp() if directory is not None else None
    if directory is None or stamp is None:
        return _read_from_crossplane()
    path = os.path.join(directory, f"crossplane-tables-{zlib.crc32(repr(stamp).encode()):08x}.marshal")
    data = read_private(path)
    try:
        stored = marshal.loads(data) if data is not None else None
    except Exception:  # noqa: BLE001 - a missing, partial or foreign cache file is a miss
        stored = None
    if isinstance(stored, tuple) and len(stored) == 4 and stored[0] == stamp:
        return stored[1], stored[2], stored[3]
    tables = _read_from_crossplane()
    replace_file(path, marshal.dumps((stamp, *tables)), FAMILY)
    return tables


_DIRECTIVES, _MASKS, _EXTERNAL = _load()
analyzer = SimpleNamespace(DIRECTIVES=_DIRECTIVES, **_MASKS)
EXTERNAL_LEXER_DIRECTIVES = frozenset(_EXTERNAL)


def external_lexer(directive: str) -> Callable[[Iterator[tuple[str, int]], str], Iterator[tuple[str, int, bool]]]:
    """crossplane's external lexer for `directive` (one of EXTERNAL_LEXER_DIRECTIVES)."""
    import crossplane.lexer

    return crossplane.lexer.EXTERNAL_LEXERS[directive]
