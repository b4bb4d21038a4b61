"""Resolve `$(ENV)`, `@(file)` and `%(name)` in option values, in uWSGI's order (core/uwsgi.c, utils.c).

After every option is collected, uWSGI replaces `$(NAME)` with the environment variable (left as written when it is
not set), then `@(path)` with a file's content, then `%(name)` with the value of the first option called `name`
(any option or `set-placeholder`; a value with blanks is placeholder arithmetic). advisor knows the environment the
source declares and `--env`, never reads `@(file)`, and does not do the arithmetic: those values are unknown, and so
is an environment variable or placeholder that is not set anywhere it can see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from advisor.loaders.uwsgi.entries import Entry

_PATTERNS = {symbol: re.compile(re.escape(symbol) + r"\(([^()]*)\)") for symbol in "$@%"}
MAX_ROUNDS = 10


def resolve_placeholders(entries: list[Entry], env: Mapping[str, str]) -> list[Entry]:
    """Every entry with its placeholders replaced, or unknown with the reason."""
    entries = [_env_pass(entry, env) for entry in entries]
    entries = [_file_pass(entry) for entry in entries]
    first: dict[str, Entry] = {}
    for entry in entries:
        first.setdefault(entry.key, entry)
    return [_reference_pass(entry, first) for entry in entries]


def _env_pass(entry: Entry, env: Mapping[str, str]) -> Entry:
    if entry.value is None or "$(" not in entry.value:
        return entry
    reasons: list[str] = []

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name in env:
            return env[name]
        reasons.append(f"$({name}) is the environment variable {name}, which is not known (pass --env {name}=...)")
        return match.group(0)

    value = _PATTERNS["$"].sub(replace, entry.value)
    return entry.with_value(value, reasons[0] if reasons else None)


def _file_pass(entry: Entry) -> Entry:
    if entry.value is None or "@(" not in entry.value:
        return entry
    match = _PATTERNS["@"].search(entry.value)
    if match is None:
        return entry
    return entry.with_value(entry.value, f"@({match.group(1)}) is the content of a file uWSGI reads when it starts")


def _reference_pass(entry: Entry, first: dict[str, Entry]) -> Entry:
    if entry.value is None or "%(" not in entry.value:
        return entry
    value = entry.value
    unknown: str | None = None
    for _ in range(MAX_ROUNDS):
        match = _PATTERNS["%"].search(value)
        if match is None:
            break
        name = match.group(1)
        target = first.get(name)
        if " " in name:
            unknown = unknown or f"%({name}) is placeholder arithmetic, which advisor does not evaluate"
            break
        if target is None or target.value is None:
            unknown = unknown or f"%({name}) names no option or placeholder set in the given config"
            break
        if target.unknown:
            unknown = unknown or f"%({name}) is not known: {target.unknown}"
        value = value[:match.start()] + target.value + value[match.end():]
    return entry.with_value(value, unknown)


__all__ = ["resolve_placeholders"]
