"""Write a JSON document whose one long list is produced item by item, so a large report is never held whole.

`dump(document, items, stream)` writes exactly what `json.dumps(document-with-items-in-place, indent=2,
ensure_ascii=False) + "\\n"` would: `document` holds `ITEMS` where the list goes; each item is encoded on its own
and re-indented to the list's depth (raw newlines cannot occur inside encoded JSON, so indenting is a replace).
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterable
from typing import Any, TextIO

INDENT = 2


class _Items:
    """The place of the streamed list in the document."""


ITEMS: Any = _Items()
_TOKEN = f"advisor-stream-{os.urandom(16).hex()}"  # not uuid: it imports `platform` (1.5 ms)


def _placeholder(value: Any) -> str:
    if value is ITEMS:
        return _TOKEN
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dump(document: Any, items: Iterable[Any], stream: TextIO) -> None:
    # json's indenting encoder makes closures that refer to each other on every call: its garbage is cyclic, so the
    # collector must run while the items are encoded (`advisor check` turns it off for the analysis).
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        _dump(document, items, stream)
    finally:
        if not was_enabled:
            gc.disable()


def _dump(document: Any, items: Iterable[Any], stream: TextIO) -> None:
    head, tail = json.dumps(document, indent=INDENT, ensure_ascii=False, default=_placeholder).split(f'"{_TOKEN}"')
    line_start = head[head.rfind("\n") + 1:]
    depth = " " * (len(line_start) - len(line_start.lstrip(" ")))
    inner = depth + " " * INDENT
    stream.write(head)
    separator = "[\n"
    for item in items:
        encoded = json.dumps(item, indent=INDENT, ensure_ascii=False)
        stream.write(separator + inner + encoded.replace("\n", "\n" + inner))
        separator = ",\n"
    stream.write("[]" if separator == "[\n" else f"\n{depth}]")
    stream.write(tail + "\n")
