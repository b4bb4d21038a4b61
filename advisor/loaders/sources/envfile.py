"""Environment files: compose `env_file:` / `.env` (dotenv) and systemd `EnvironmentFile=`.

`NAME=value` lines, `#` comments, an optional `export ` prefix, single quotes (literal), double quotes (escapes;
compose also interpolates `${X}` in them and in unquoted values), unquoted values trimmed with ` #` comments cut.
Every value keeps the position of each character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.loaders.sources.expand import Environment, interpolate
from advisor.loaders.sources.text import PText, SourceText

_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


@dataclass(frozen=True, slots=True)
class EnvEntry:
    name: str
    value: PText
    name_at: PText  # the name as written (for positions)


def parse_env_file(source: SourceText, *, interpolate_with: Environment | None = None,
                   comment_chars: str = "#") -> list[EnvEntry]:
    """Entries in file order (a later one for the same name wins when applied in order)."""
    entries: list[EnvEntry] = []
    text = source.text
    for _, start, end in source.lines():
        line = text[start:end].rstrip("\r")
        stripped = line.lstrip()
        if not stripped or stripped[0] in comment_chars:
            continue
        match = _LINE.match(line)
        if not match:
            continue
        value_start = start + match.end()
        value = _value(source, value_start, start + len(line), interpolate_with)
        entries.append(EnvEntry(match.group(1), value, source.ptext(start + match.start(1), start + match.end(1))))
    return entries


def _value(source: SourceText, start: int, end: int, env: Environment | None) -> PText:
    raw = source.ptext(start, end)
    text = raw.text
    if text.startswith("'"):
        close = text.find("'", 1)
        return raw[1:close if close != -1 else len(text)]
    if text.startswith('"'):
        chunks: list[PText] = []
        index = 1
        while index < len(text) and text[index] != '"':
            if text[index] == "\\" and index + 1 < len(text):
                chunks.append(PText(_ESCAPES.get(text[index + 1], text[index + 1]), (raw.origins[index],)))
                index += 2
                continue
            chunks.append(raw[index:index + 1])
            index += 1
        value = PText.join(chunks)
        return interpolate(value, env) if env is not None else value
    comment = re.search(r"[ \t]#", text)
    value = raw[:comment.start()] if comment else raw
    value = value.strip()
    return interpolate(value, env) if env is not None else value
