"""YAML nodes (from `yaml.compose`, never constructed into objects) with the file position of every character."""

from __future__ import annotations

from typing import Iterator

import yaml

from advisor.loaders.sources.text import PText, SourceText

MERGE_TAG = "tag:yaml.org,2002:merge"
NULL_TAG = "tag:yaml.org,2002:null"


def scalar_ptext(source: SourceText, node: yaml.ScalarNode) -> PText:
    """The scalar's value; each character positioned where it is written (quotes, escapes, block scalars and
    folded lines are aligned against the raw text)."""
    value = node.value
    start, end = node.start_mark.index, node.end_mark.index
    raw = source.text[start:end]
    if node.style in ("|", ">"):
        newline = raw.find("\n")
        skip = newline + 1 if newline != -1 else len(raw)
    elif node.style in ("'", '"'):
        skip = 1
    else:
        skip = 0
    if raw[skip:skip + len(value)] == value:
        return PText(value, [source.pos(start + skip + i) for i in range(len(value))])
    origins = []
    index = skip
    for char in value:
        probe = index
        while probe < len(raw) and raw[probe] != char and probe - index < 80:
            if char == " " and raw[probe] == "\n":
                break
            probe += 1
        if probe < len(raw) and (raw[probe] == char or (char == " " and raw[probe] == "\n")):
            origins.append(source.pos(start + probe))
            index = probe + 1
        else:
            origins.append(source.pos(start + min(index, max(len(raw) - 1, 0))))
    return PText(value, origins)


def mapping_items(node: yaml.Node, _seen: frozenset[int] = frozenset()) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Key -> (key node, value node) of a mapping, with `<<: *anchor` merges applied (explicit keys win)."""
    result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    if not isinstance(node, yaml.MappingNode) or id(node) in _seen:  # an anchor merged into itself
        return result
    seen = _seen | {id(node)}
    merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        if key.tag == MERGE_TAG or (isinstance(key, yaml.ScalarNode) and key.value == "<<"):
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                for name, item in mapping_items(source, seen).items():
                    merged.setdefault(name, item)
            continue
        if isinstance(key, yaml.ScalarNode):
            result[str(key.value)] = (key, value)
    for name, item in merged.items():
        result.setdefault(name, item)
    return result


def sequence_items(node: yaml.Node | None) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value


def is_null(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG)
