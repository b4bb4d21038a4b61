"""Read uWSGI config files (ini, YAML, JSON, XML) into option entries, following the files they load.

As uWSGI 2.0.30 reads them (core/ini.c, yaml.c, json.c, xmlconf.c): only the asked section (`[uwsgi]` unless
`file:section` names another; `ini = :other` is another section of the same file); ini lines are `key = value`
split at the first `=`, `;` and `#` start comment lines only, a key without `=` has the empty value; YAML and JSON
values are scalars or lists of scalars (each item is one more option: `socket: [a, b]`), JSON true/false/null are
1/0/0; in XML every child element of `<uwsgi>` is an option, an empty one has the value 1. Magic variables
(`%d`, `%n` ...) are replaced when the file is read. `ini`, `yaml`, `json`, `xml` and `include` load another file at
once, at their position; `set`/`set-placeholder` define placeholders. Options between `if-*`/`for` and their `end`
depend on uWSGI's config logic, which advisor does not evaluate: they are unknown.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

from advisor.loaders.uwsgi.entries import Entry
from advisor.loaders.uwsgi.magic import MagicTable, magic_table
from advisor.loaders.uwsgi.options import LOAD_OPTIONS, PLACEHOLDER_OPTIONS
from advisor.model.deployment import Diagnostic
from advisor.model.provenance import Source
from advisor.readers import read_text_or_none
from advisor.yaml_limits import check_yaml

MAX_DEPTH = 8
_LOGIC_END = frozenset({"end", "endif", "end-if", "endfor", "end-for"})
_FORMATS = {".ini": "ini", ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".js": "json", ".xml": "xml"}
_OPTION_FORMATS = {"ini": "ini", "yaml": "yaml", "yml": "yaml", "json": "json", "js": "json", "xml": "xml",
                   "xmlconfig": "xml"}


@dataclass(slots=True)
class Raw:
    """One option as written in a file, before magic variables."""

    key: str
    value: str | None
    line: int
    column: int


@dataclass(slots=True)
class LoadContext:
    """What loading needs from outside: where files are and what the host is."""

    resolve: Callable[[str], str | None]  # a path as uWSGI opens it -> the file on this machine (None: not here)
    cpus: int | None = None
    cwd: str | None = None  # uWSGI's working directory, when known (absolute)
    first: MagicTable | None = None
    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    missing: list[tuple[str, Source]] = field(default_factory=list)  # loads whose file is not here


def file_format(path: str) -> str | None:
    """ini/yaml/json/xml by the file's extension (uWSGI's rule), None for others."""
    return _FORMATS.get(os.path.splitext(path)[1].lower())


def split_section(text: str) -> tuple[str, str | None]:
    """`file.ini:section` -> (file.ini, section); uWSGI splits at the last colon."""
    head, colon, section = text.rpartition(":")
    if not colon or "/" in section:
        return text, None
    return head, section or None


def server_path(written: str, cwd: str | None) -> str | None:
    """The absolute path uWSGI opens for a path as written, when it can be known."""
    if written.startswith("/"):
        return posixpath.normpath(written)
    if cwd is not None and cwd.startswith("/"):
        return posixpath.normpath(posixpath.join(cwd, written))
    return None


def read_config(local: str, written: str | None, section: str | None, kind: str, context: LoadContext,
                via: Source | None = None, depth: int = 0) -> list[Entry]:
    """The entries of `section` of the config file `local` (`written`: the path as uWSGI opens it, if known)."""
    text = _read_text(local)
    asked = section or "uwsgi"
    if text is None:
        context.diagnostics.append(_diagnostic(via, local, f"cannot read the uWSGI config {local}"))
        return []
    context.files.append(local)
    try:
        raws = _PARSERS[kind](text, asked)
    except ValueError as error:
        context.diagnostics.append(Diagnostic("ADV001", "error", f"uWSGI cannot parse {local}: {error}", local,
                                              fix="fix the syntax; uWSGI exits when it reads this file"))
        return []
    if raws is None:
        context.diagnostics.append(Diagnostic(
            "ADV004", "warning", f'{local} has no "{asked}" section: uWSGI reads no options from it', local, 1,
            fix=f"name the section [{asked}] or load the file with ini = {posixpath.basename(local)}:SECTION"))
        return []
    table = magic_table(server_path(written, context.cwd) if written else None, local, asked, cpus=context.cpus,
                        cwd=context.cwd, first=context.first)
    if context.first is None:
        context.first = table
    entries: list[Entry] = []
    logic: str | None = None
    for raw in raws:
        source = Source.file(local, raw.line, raw.column, f"{raw.key} = {raw.value}" if raw.value is not None
                             else raw.key)
        value, unknown = table.substitute(raw.value) if raw.value is not None else (None, None)
        if raw.key in _LOGIC_END:
            logic = None
            continue
        if raw.key.startswith("if-") or raw.key in ("for", "for-glob", "for-times", "for-readline"):
            logic = logic or f"{raw.key} = {raw.value}"
            continue
        if logic is not None:
            unknown = unknown or f"inside `{logic}`, uWSGI config logic that advisor does not evaluate"
        entry = Entry(raw.key, value, source, unknown, raw.value if value != raw.value else None)
        if raw.key in PLACEHOLDER_OPTIONS:
            entries.extend(placeholder_entries(entry))
            continue
        entries.append(entry)
        if raw.key in LOAD_OPTIONS and value is not None:
            entries.extend(load_option(entry, local, written, asked, kind, context, depth))
    return entries


def placeholder_entries(entry: Entry) -> list[Entry]:
    """`set = name=value` / `set-placeholder = name=value`: an option (or placeholder) named `name`."""
    if entry.value is None or "=" not in entry.value:
        return [entry]
    name, _, value = entry.value.partition("=")
    return [Entry(name.strip(), value, entry.source, entry.unknown)]


def load_option(entry: Entry, local: str, written: str | None, section: str, kind: str, context: LoadContext,
                depth: int) -> list[Entry]:
    """The entries a load option (`ini = base.ini`, `include = x.yaml`, `ini = :other`) inserts."""
    if depth >= MAX_DEPTH:
        return []
    if entry.unknown is not None:
        context.missing.append((entry.value or "", entry.source))
        return []
    target, other_section = split_section(entry.value or "")
    option_kind = _OPTION_FORMATS.get(entry.key)
    if not target:  # `ini = :section`: another section of the last file read
        return read_config(local, written, other_section, kind, context, entry.source, depth + 1) if local else []
    found_kind = option_kind or file_format(target)
    if found_kind is None:
        context.diagnostics.append(_diagnostic(entry.source, local, f"{entry.key} = {entry.value}: uWSGI loads "
                                               "ini, yaml, json and xml files by their extension; advisor does not "
                                               "read this one, so the options it sets are unknown", "info"))
        context.missing.append((target, entry.source))
        return []
    found = context.resolve(target)
    if found is None:
        diagnostic = _diagnostic(entry.source, local, f"the uWSGI config {target} ({entry.key}) is not among the "
                                 "inputs; the options it sets are unknown", "info")
        diagnostic.fix = f"pass {target} as an input if you have it"
        diagnostic.missing = target
        context.diagnostics.append(diagnostic)
        context.missing.append((target, entry.source))
        return []
    return read_config(found, server_path(target, context.cwd), other_section, found_kind, context, entry.source,
                       depth + 1)


def _diagnostic(source: Source | None, path: str, message: str, severity: str = "error") -> Diagnostic:
    return Diagnostic("ADV004", severity, message, source.path if source and source.path else path,  # type: ignore
                      source.line if source else None, source.column if source else None)


def _read_text(path: str) -> str | None:
    return read_text_or_none(path)  # regular files only, within the size limits


# -- formats ---------------------------------------------------------------------------------------------------------

def parse_ini(text: str, section: str) -> list[Raw] | None:
    found: list[Raw] = []
    current = ""
    seen = False
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip(" \t\r")
        if not stripped:
            continue
        if stripped.startswith("["):
            current = stripped[1:-1]
            continue
        if stripped[0] in ";#" or current != section:
            continue
        seen = True
        key, equals, value = stripped.partition("=")
        column = len(line) - len(line.lstrip(" \t\r")) + 1
        found.append(Raw(key.rstrip(" \t\r"), value.strip(" \t\r") if equals else "", number, column))
    return found if seen or _has_section(text, section) else None


def _has_section(text: str, section: str) -> bool:
    return re.search(rf"^[ \t]*\[{re.escape(section)}\][ \t\r]*$", text, re.M) is not None


def parse_yaml(text: str, section: str) -> list[Raw] | None:
    import yaml

    try:
        check_yaml(text)  # depth and alias expansion bounded before parsing (YamlLimitError is a ValueError)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise ValueError(str(error).splitlines()[0]) from None
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == section:
            if not isinstance(value_node, yaml.MappingNode):
                return []
            found: list[Raw] = []
            for key, value in value_node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                items = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for item in items:
                    if isinstance(item, yaml.ScalarNode):
                        text_value = "" if item.tag.endswith(":null") and item.value in ("", "~", "null") \
                            else item.value
                        found.append(Raw(key.value, text_value, key.start_mark.line + 1,
                                         key.start_mark.column + 1))
            return found
    return None


def parse_json(text: str, section: str) -> list[Raw] | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(str(error)) from None
    if not isinstance(data, dict) or not isinstance(data.get(section), dict):
        return None
    start = _key_offset(text, section, 0)
    found: list[Raw] = []
    for key, value in data[section].items():
        offset = _key_offset(text, key, start)
        start = max(start, offset)
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        for item in value if isinstance(value, list) else [value]:
            converted = _json_scalar(item)
            if converted is not None:
                found.append(Raw(key, converted, line, column))
    return found


def _json_scalar(value: object) -> str | None:
    if value is True:
        return "1"
    if value is False or value is None:
        return "0"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


def _key_offset(text: str, key: str, start: int) -> int:
    match = re.compile(rf'"{re.escape(key)}"\s*:').search(text, start)
    return match.start() if match else start


def parse_xml(text: str, section: str) -> list[Raw] | None:
    parser = expat.ParserCreate()
    found: list[Raw] = []
    state = {"depth": 0, "inside": 0, "matched": False, "current": None, "text": []}
    wanted_id = None if section == "uwsgi" else section

    def start(name: str, attributes: dict[str, str]) -> None:
        state["depth"] += 1
        if name == "uwsgi" and not state["inside"] and (wanted_id is None or attributes.get("id") == wanted_id):
            state["inside"] = state["depth"]
            state["matched"] = True
        elif state["inside"] and state["depth"] == state["inside"] + 1:
            state["current"] = Raw(name, None, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
            state["text"] = []

    def end(name: str) -> None:
        if state["current"] is not None and state["depth"] == state["inside"] + 1:
            value = "".join(state["text"]).strip()
            state["current"].value = value or "1"
            found.append(state["current"])
            state["current"] = None
        if state["depth"] == state["inside"]:
            state["inside"] = 0
        state["depth"] -= 1

    def characters(data: str) -> None:
        if state["current"] is not None:
            state["text"].append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise ValueError(str(error)) from None
    return found if state["matched"] else None


_PARSERS: dict[str, Callable[[str, str], list[Raw] | None]] = {
    "ini": parse_ini, "yaml": parse_yaml, "json": parse_json, "xml": parse_xml,
}

__all__ = ["LoadContext", "file_format", "load_option", "placeholder_entries", "read_config", "server_path",
           "split_section"]
