"""Bounds for YAML input (compose files, rule files), checked on the event stream before anything is built.

PyYAML's composer recurses once per nesting level (1,000 levels: RecursionError), and aliases let a small file
stand for an exponentially large document (`a: &a [x, x]`, `b: &b [*a, *a]`, ... or chains of `<<: *anchor`
merges): whatever walks or serializes the expanded document then runs out of time or memory. `check_yaml` reads
the events once (iteratively, with libyaml when available) and measures the nesting depth and the size of the
document with every alias expanded; beyond the limits it raises YamlLimitError with the line.
"""

from __future__ import annotations

import yaml

MAX_DEPTH = 100
MAX_EXPANDED_NODES = 200_000


class YamlLimitError(ValueError):
    """A YAML document beyond the limits; `line` is 1-based (or None)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _events(text: str):  # type: ignore[no-untyped-def]
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def check_yaml(text: str, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_EXPANDED_NODES) -> None:
    """Raise YamlLimitError when `text` nests deeper than `max_depth` or expands (aliases and merge keys followed)
    to more than `max_nodes` nodes. Syntax errors are left to the real parse (they are reported there)."""
    anchors: dict[str, int] = {}
    stack: list[list] = []  # per open collection: [its expanded size so far, its anchor]
    expanded = 0
    try:
        for event in _events(text):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([1, event.anchor])
                expanded += 1
                if len(stack) > max_depth:
                    raise YamlLimitError(f"nested more than {max_depth} levels deep", line)
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                size, anchor = stack.pop() if stack else (1, None)
            elif isinstance(event, yaml.ScalarEvent):
                size, anchor = 1, event.anchor
                expanded += 1
            elif isinstance(event, yaml.AliasEvent):
                size, anchor = anchors.get(event.anchor, 1), None
                expanded += size
            else:
                continue
            if anchor is not None:
                anchors[anchor] = size
            if stack:
                stack[-1][0] += size
            if expanded > max_nodes:
                raise YamlLimitError(f"aliases expand the document to more than {max_nodes} values", line)
    except yaml.YAMLError as error:
        # newer PyYAML builds (6.0.4) stop at libyaml's own nesting limit while scanning ahead, before
        # our count sees the levels: the same verdict, at the line where it stopped.
        if "nesting depth" in str(error):
            mark = getattr(error, "problem_mark", None)
            raise YamlLimitError(f"nested more than {max_depth} levels deep",
                                 mark.line + 1 if mark is not None else None) from None
        return


__all__ = ["MAX_DEPTH", "MAX_EXPANDED_NODES", "YamlLimitError", "check_yaml"]
