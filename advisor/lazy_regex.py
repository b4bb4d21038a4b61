"""Regular expressions compiled on first use.

A module-level `re.compile` runs at import, whether or not the run ever matches the pattern; a small `advisor check`
compiles about a hundred of them, most for inputs it does not have. `lazy_re` returns a stand-in that compiles on
its first attribute access and then holds the compiled pattern's methods as its own attributes, so later calls
(`_PATTERN.match(text)`) cost what they cost on a compiled pattern.

Use it for module-level patterns; it is not a `re.Pattern` (pass `.pattern` to `re` functions, and do not test it
with `isinstance`).
"""

from __future__ import annotations

import re
from typing import Any, cast


class _LazyPattern:
    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        """Called only while an attribute is missing: the first use compiles and copies the public attributes."""
        if name.startswith("_"):
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in dir(compiled):
            if not attribute.startswith("_"):
                setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_re({self._source[0]!r})"


def lazy_re(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, done when the pattern is first used."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))
