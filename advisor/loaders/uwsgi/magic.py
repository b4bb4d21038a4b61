"""uWSGI's magic variables (`%d`, `%n`, `%k` ...), replaced in a config file's text when uWSGI reads it.

uWSGI (core/utils.c `magic_sub`) replaces `%` followed by any character: `%%` is a percent sign, `%(` is kept for
placeholders, the letters below come from the config file's path as uWSGI opened it and from the host, and every
other character gives the empty string. Values that depend on where the file lives on the server (`%d`, `%p`, `%c`)
are known only when the path uWSGI opens is known (a command line `--ini /app/uwsgi.ini`); a file given to advisor
directly keeps its name (`%s`, `%n`, `%e`) but not its directory. Host values are known when advisor is told them
(`%k`: `--cpus`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field


@dataclass(slots=True)
class MagicTable:
    """Known values by letter; `unknown` maps a letter to why its value is not known."""

    values: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)

    def substitute(self, text: str) -> tuple[str, str | None]:
        """`text` with magic variables replaced, and the reason when one of them is not known."""
        if "%" not in text:
            return text, None
        out: list[str] = []
        reason: str | None = None
        index = 0
        while index < len(text):
            char = text[index]
            if char != "%" or index + 1 >= len(text):
                out.append(char)
                index += 1
                continue
            letter = text[index + 1]
            index += 2
            if letter == "%":
                out.append("%")
            elif letter == "(":
                out.append("%(")
            elif letter in self.values:
                out.append(self.values[letter])
            elif letter in self.unknown:
                reason = reason or f"%{letter} is {self.unknown[letter]}"
                out.append(f"%{letter}")
            # any other character: uWSGI substitutes the empty string
        return "".join(out), reason


_HOST_REASONS = {
    "h": "the host name uWSGI runs on", "v": "the directory uWSGI is started in", "u": "the user id uWSGI runs as",
    "U": "the user name uWSGI runs as", "g": "the group id uWSGI runs as", "G": "the group name uWSGI runs as",
    "t": "the start time", "T": "the start time", "V": "the uWSGI version", "b": "the path of the uWSGI binary",
    "[": "an escape character", "k": "the CPU count (pass --cpus N)",
}


def magic_table(server_path: str | None, local_path: str, section: str, *, cpus: int | None = None,
                cwd: str | None = None, first: "MagicTable | None" = None) -> MagicTable:
    """The magic variables of a config file. `server_path`: the absolute path uWSGI opens (None when not known);
    `local_path`: the file advisor reads; `first`: the table of the first config file (upper-case letters)."""
    table = MagicTable()
    name = posixpath.basename(server_path or local_path)
    table.values["s"] = name
    stem, dot, extension = name.rpartition(".")
    table.values["n"] = stem if dot else name
    table.values["e"] = extension if dot else ""
    table.values["x"] = section if section != "uwsgi" else ""
    if server_path is not None and server_path.startswith("/"):
        directory = posixpath.dirname(server_path)
        table.values["p"] = server_path
        table.values["o"] = server_path
        table.values["d"] = directory.rstrip("/") + "/"
        table.values["c"] = posixpath.basename(directory.rstrip("/"))
        parts = [part for part in directory.split("/") if part]
        for digit in "0123456789":
            position = int(digit)
            table.values[digit] = parts[position] if position < len(parts) else ""
    else:
        where = "where the config file is on the server, which is not known"
        for letter in "opdcij0123456789":
            table.unknown[letter] = f"from {where}" if letter != "i" else "the file's inode number"
    table.unknown["i"] = "the file's inode number"
    table.unknown["j"] = "a hash of the file's path"
    for letter, reason in _HOST_REASONS.items():
        table.unknown[letter] = reason
    if cpus is not None:
        table.unknown.pop("k", None)
        table.values["k"] = str(cpus)
    if cwd is not None and cwd.startswith("/"):
        table.unknown.pop("v", None)
        table.values["v"] = cwd
    source = first or table
    for letter in "ODSPCENXIJ":
        lower = letter.lower()
        if lower in source.values:
            table.values[letter] = source.values[lower]
        elif lower in source.unknown:
            table.unknown[letter] = source.unknown[lower]
    return table


__all__ = ["MagicTable", "magic_table"]
