"""Caches of the rule files, so `advisor check` neither imports PyYAML nor compiles every rule on each invocation.

Two levels, both in $ADVISOR_CACHE_DIR, else $XDG_CACHE_HOME/advisor, else ~/.cache/advisor (ADVISOR_NO_CACHE=1
disables both; failing to read or write them is ignored, the rules are then read from their files):
- compiled rules (`load_compiled`): the validated, compiled rule objects of one set of rule directories, pickled. A
  hit needs every stamp stored with them to be current: advisor's version; size, mtime and inode of every rule
  file, of every directory under the rule directories (a file added or removed changes its directory) and of every
  advisor module loaded when they were compiled (a changed catalogue of facts, a changed rule class).
- parsed YAML (`load_documents`): plain data (JSON), keyed by version and the rule files; each miss of the first
  level still validates and compiles every rule from it.
Both are keyed by the Python implementation and version too (`sys.implementation.cache_tag`). A cache file is only
read when it belongs to this user and no one else can write it; the directory is created private (0700) and files
are written under fresh temporary names (O_EXCL, so a planted symlink is not followed), then renamed into place.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

from advisor.cache_files import cache_dir, read_private, replace_file

T = TypeVar("T")

# Files changed this recently are not trusted to be what was read: one changed while the rules were compiled may
# show an older mtime on a file system with coarse timestamps (the same guard as git's "racy" entries).
SETTLE_NS = 2_000_000_000


def _build() -> str:
    """advisor's version and the interpreter's cache tag (`cpython-311`): a cache written by another is not used."""
    from advisor import __version__

    return f"{__version__} {sys.implementation.cache_tag}"


def _signature(paths: list[Path]) -> str | None:
    """The exact identity of the rule files (build, path, size, mtime, inode); stored inside the cache file and
    compared on load, so the file name only needs a short checksum of it (zlib: no hashlib import on the hot path)."""
    parts = [_build()]
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            return None
        parts.append(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}")
    return "\n".join(parts)


def load_documents(paths: list[Path], parse: Callable[[Path], Any]) -> dict[str, Any]:
    """{str(path): parsed YAML} for every path, from the cache when it is current, else via `parse` (and stored)."""
    import json
    import zlib

    directory = cache_dir()
    signature = _signature(paths) if directory is not None else None
    cached = (directory / f"rules-{zlib.crc32(signature.encode()):08x}.json"
              if directory is not None and signature else None)
    if cached is not None:
        data = read_private(cached)
        try:
            stored = json.loads(data.decode("utf-8")) if data is not None else None
        except ValueError:
            stored = None
        if isinstance(stored, dict) and stored.get("signature") == signature \
                and isinstance(stored.get("documents"), dict) \
                and set(stored["documents"]) == {str(path) for path in paths}:
            return stored["documents"]
    documents = {str(path): parse(path) for path in paths}
    if cached is not None and signature is not None:
        _store(cached, documents, signature)
    return documents


def _store(target: Path, documents: dict[str, Any], signature: str) -> None:
    import json

    try:
        text = json.dumps({"signature": signature, "documents": documents})
    except (TypeError, ValueError):  # YAML with values JSON cannot hold (dates, ...): just do not cache
        return
    if json.loads(text)["documents"] != documents:  # e.g. non-string keys: caching would change what validation sees
        return
    replace_file(target, text.encode("utf-8"), "rules-*.json")


def load_compiled(directories: list[Path], variant: str, build: Callable[[], tuple[list[Path], T]]) -> T:
    """The result of `build()` (which returns the files it read and the result), from the cache when every stamp
    stored with it is current. `variant` tells apart builds of the same directories with different settings."""
    import zlib

    directory = cache_dir()
    if directory is None:
        return build()[1]
    name = "\0".join([_build(), variant, *(str(path.resolve()) for path in directories)])
    target = directory / f"compiled-{zlib.crc32(name.encode()):08x}.pickle"
    found = _read_compiled(target, name)
    if found is not None:
        return found[0]
    settled = time.time_ns() - SETTLE_NS
    files, result = build()
    stamps = _stamps(directories, files)
    if all(identity is not None and identity[1] < settled for _path, identity in stamps[1:]):
        _store_compiled(target, name, stamps, result)
    return result


def _identity(path: str) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _stamps(directories: list[Path], files: list[Path]) -> list[tuple[str, Any]]:
    """(path, identity) of what the compiled rules depend on; the build first."""
    paths = [str(path) for path in files]
    for root in directories:
        paths.extend(folder for folder, _subfolders, _files in os.walk(root))
    modules = sorted({module.__file__ for name, module in list(sys.modules.items())
                      if (name == "advisor" or name.startswith("advisor.")) and getattr(module, "__file__", None)})
    return [("version", _build()), *((path, _identity(path)) for path in [*paths, *modules])]


def _read_compiled(target: Path, name: str) -> tuple[Any] | None:
    """(result,) when the cache file is this user's, names this build and all its stamps are current."""
    import pickle

    data = read_private(target)  # a file someone else could have written is not unpickled
    if data is None:
        return None
    try:
        stored_name, stamps, blob = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a missing, partial or foreign cache file is a miss
        return None
    if stored_name != name or not stamps or stamps[0] != ("version", _build()):
        return None
    if any(_identity(path) != identity for path, identity in stamps[1:]):
        return None
    try:
        return (pickle.loads(blob),)
    except Exception:  # noqa: BLE001 - objects of a changed class layout
        return None


def _store_compiled(target: Path, name: str, stamps: list[tuple[str, Any]], result: Any) -> None:
    import pickle

    try:
        blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        data = pickle.dumps((name, stamps, blob), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an object that cannot be pickled: just do not cache
        return
    replace_file(target, data, "compiled-*.pickle")
