"""A cache of parsed rule YAML, so `advisor check` does not import and run PyYAML on every invocation.

The cache holds plain data (JSON), never code: each run still validates and compiles every rule. It is keyed by
advisor's version and the path, size, mtime and inode of every rule file, so an edited, added or removed rule file
misses the cache. Location: $ADVISOR_CACHE_DIR, else $XDG_CACHE_HOME/advisor, else ~/.cache/advisor; set
ADVISOR_NO_CACHE=1 to disable. Failures to read or write the cache are ignored (the YAML is parsed instead).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

KEEP_FILES = 8  # cache files kept per directory (one per distinct set of rule directories)


def cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    env = os.environ if environ is None else environ
    if env.get("ADVISOR_NO_CACHE"):
        return None
    if env.get("ADVISOR_CACHE_DIR"):
        return Path(env["ADVISOR_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "advisor"


def _signature(paths: list[Path]) -> str | None:
    """The exact identity of the rule files (version, path, size, mtime, inode); stored inside the cache file and
    compared on load, so the file name only needs a short checksum of it (zlib: no hashlib import on the hot path)."""
    from advisor import __version__

    parts = [__version__]
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            return None
        parts.append(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}")
    return "\n".join(parts)


def load_documents(paths: list[Path], parse: Callable[[Path], Any]) -> dict[str, Any]:
    """{str(path): parsed YAML} for every path, from the cache when it is current, else via `parse` (and stored)."""
    import zlib

    directory = cache_dir()
    signature = _signature(paths) if directory is not None else None
    cached = (directory / f"rules-{zlib.crc32(signature.encode()):08x}.json"
              if directory is not None and signature else None)
    if cached is not None:
        try:
            stored = json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):
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
    try:
        text = json.dumps({"signature": signature, "documents": documents})
    except (TypeError, ValueError):  # YAML with values JSON cannot hold (dates, ...): just do not cache
        return
    if json.loads(text)["documents"] != documents:  # e.g. non-string keys: caching would change what validation sees
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
        stale = sorted(target.parent.glob("rules-*.json"), key=lambda item: item.stat().st_mtime, reverse=True)
        for old in stale[KEEP_FILES:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
