"""Compiled once, then reused: the methods `dataclasses` generates for advisor's record classes.

`@dataclass` writes each class's __init__, __repr__, __eq__, ... as source text and compiles it with exec() whenever
its module is imported: about 0.25 ms per class, a third of a small `advisor check`. The text depends only on the
class's fields and options, so its compiled code can be kept. `install()` (called by the command-line entry point,
never on a plain import of advisor) gives the dataclasses module an exec() that looks the text up in a cache file of
code objects and compiles only what is missing. The code objects are what exec() itself would have compiled (same
text, file name and flags), so the classes are the same; only the compiling is skipped.

The cache file is marshal data, keyed by the exact interpreter build, read and written under the rules of
advisor/cache_files.py (this user's, private, atomic); ADVISOR_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import builtins
import sys
from types import CodeType
from typing import Any

from advisor.cache_files import cache_directory, read_private, replace_file

FAMILY = "dataclass-code-*.marshal"
MAX_ENTRIES = 1500  # beyond this only the texts used by the current process are written back (a check uses ~400)
_BUILD = f"{sys.version}\0{sys.implementation.cache_tag}"


class CodeCache:
    """Compiled code of exec()'d source texts, loaded from and saved to one file."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._codes: dict[str, CodeType] | None = None  # read on first use: a run that creates no class reads nothing
        self.used: set[str] = set()
        self.compiled = 0

    @property
    def codes(self) -> dict[str, CodeType]:
        if self._codes is None:
            self._codes = self._read()
        return self._codes

    def _read(self) -> dict[str, CodeType]:
        import marshal

        if self.path is None:
            return {}
        data = read_private(self.path)  # code someone else could have written is not run
        if data is None:
            return {}
        try:
            build, codes = marshal.loads(data)
        except Exception:  # noqa: BLE001 - a missing, partial or foreign file is a miss
            return {}
        if build != _BUILD or not isinstance(codes, dict):
            return {}
        return {text: code for text, code in codes.items() if type(text) is str and type(code) is CodeType}

    def exec(self, source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
        """builtins.exec, with the compiled code of a source text taken from the cache."""
        if globals is None:  # exec()'s own default: the caller's globals and locals
            caller = sys._getframe(1)
            globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
        if type(source) is str:
            code = self.codes.get(source)
            if code is None:
                # dont_inherit: compiled as exec() in the dataclasses module would (no __future__ flags of ours)
                code = self.codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
                self.compiled += 1
            self.used.add(source)
            source = code
        builtins.exec(source, globals, locals)

    def save(self) -> None:
        """Write the cache back if this process compiled anything new."""
        import marshal

        if self.path is None or not self.compiled:
            return
        codes = self.codes if len(self.codes) <= MAX_ENTRIES else {text: self.codes[text] for text in self.used}
        replace_file(self.path, marshal.dumps((_BUILD, codes)), FAMILY)


def cache_path(command: str = "") -> str | None:
    """The cache file for runs of `command` (one file per command: a run reads only what such runs need)."""
    import os
    import zlib

    directory = cache_directory()
    kind = command if command.isalpha() and command.islower() and len(command) <= 20 else "other"
    name = f"dataclass-code-{zlib.crc32(_BUILD.encode()):08x}-{kind}.marshal"
    return None if directory is None else os.path.join(directory, name)


def install(command: str = "") -> CodeCache | None:
    """Route the dataclasses module's exec() through the cache of `command` (the subcommand about to run) for the
    rest of this process; saved at exit."""
    import atexit
    import dataclasses

    if "exec" in vars(dataclasses):  # someone else already replaced it
        return None
    cache = CodeCache(cache_path(command))
    dataclasses.exec = cache.exec  # type: ignore[attr-defined]
    atexit.register(cache.save)
    return cache
