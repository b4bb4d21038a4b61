"""One nginx file as crossplane 0.5.8 parses it, with readable errors and the checks lenient parsing skips.

We parse as `crossplane.parse` with `check_ctx=False, check_args=False` (crossplane's directive table predates
nginx 1.29: it rejects `keepalive 32 local;`, and fragments would fail context checks) and `single=True` (includes are
resolved by the loader). The text is read once through advisor/readers.py, lexed by advisor/loaders/nginx/lexer.py
(crossplane's token stream in linear time) and parsed by advisor/loaders/nginx/statements.py (crossplane's parser for
these options, with only the termination checks of its analyzer); no file is opened again. A line longer than
MAX_LINE_CHARS is a parse error at that line and the file is not parsed (nginx itself refuses a single token over
4 KB).
"""

from __future__ import annotations

import errno
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from advisor import readers
from advisor.lazy_regex import lazy_re
from advisor.loaders.nginx.lexer import lex_statements
from advisor.loaders.nginx.statements import parse_tokens
from advisor.loaders.nginx.templates import TemplateText, fill_envsubst_statements, needs_rewrite

Stmt = dict[str, Any]

MAX_LINE_CHARS = 64 * 1024


@dataclass(slots=True)
class ParseError:
    """Why a file could not be parsed, and where."""

    message: str
    line: int | None


@dataclass(slots=True)
class ParsedFile:
    """The crossplane statements of one file plus what the loader needs to know about its text."""

    stmts: list[Stmt]
    errors: list[ParseError] = field(default_factory=list)
    template: TemplateText | None = None  # set when the file holds template markup
    has_suppressions: bool = False
    text: str = ""  # the file as read (kept so column lookups need not read it again)


class FileReadError(Exception):
    """The file cannot be read at all (missing, a directory, a special file, too large, no permission)."""


def read_text(path: str) -> str:
    """The file's text through the guarded reader (advisor/readers.py), decoded leniently like crossplane does
    (`errors="replace"`: Latin-1/KOI8 bytes in comments or values become U+FFFD instead of failing)."""
    try:
        return readers.read_text(path)
    except OSError as error:
        reason = _REASONS.get(error.errno or 0, str(error)) if str(error) == error.strerror else str(error)
        raise FileReadError(reason) from None


_REASONS = {errno.ENOENT: "file not found", errno.EACCES: "permission denied"}


@lru_cache(maxsize=4)
def _line_longer_than(limit: int) -> re.Pattern[str]:
    return re.compile(r"^[^\n]{%d}" % (limit + 1), re.MULTILINE)  # tried at line starts only: linear


def _long_line(text: str, limit: int) -> int | None:
    """The number of the first line longer than `limit` characters, or None (no copy of the lines is made)."""
    match = _line_longer_than(limit).search(text)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def _strip_location(message: str, fname: str, line: int | None) -> str:
    """crossplane appends " in FILE:LINE" to its messages; we report the position separately."""
    for suffix in (f" in {fname}:{line}", f" in {fname}"):
        if message.endswith(suffix):
            return message[: -len(suffix)]
    return message


def _last_line(text: str) -> int:
    stripped = text.rstrip()
    return stripped.count("\n") + 1 if stripped else 1


def parse_file(path: str, env: Mapping[str, str] | None = None,
               origins: Mapping[str, str] | None = None) -> ParsedFile:
    """Parse one file (no include following). Raises FileReadError if it cannot be read; never for bad syntax.

    `env` fills envsubst placeholders, as the container's envsubst would before nginx starts; `origins` says where
    each value came from (default: `--env`)."""
    text = read_text(path)
    source = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text  # crossplane's newlines
    long_line = _long_line(source, MAX_LINE_CHARS)
    if long_line is not None:
        return ParsedFile(stmts=[], errors=[ParseError(
            f"line {long_line} is longer than {MAX_LINE_CHARS} characters; the file was not parsed", long_line)],
            has_suppressions=False, text=text)
    template = TemplateText() if needs_rewrite(text) else None
    braced: list[str] = []
    rewritten = source[1:] if source.startswith("\ufeff") else source
    if template is not None:  # same line numbers
        rewritten = template.rewrite(rewritten, env)
    if "${" in rewritten:
        rewritten = _protect_braced(rewritten, braced)
    stmts, errors = _parse_statements(path, rewritten)
    parsed = ParsedFile(stmts=stmts, template=template, has_suppressions="advisor:" in text, text=text)
    if braced:
        _restore_braced(parsed.stmts, braced)
    if template is not None:
        template.restore_statements(parsed.stmts)
    if env and "$" in text:
        fill_envsubst_statements(parsed.stmts, env, origins)
    for error_text, line in errors:
        message = _strip_location(error_text, path, line).strip()
        if not message or message == "StopIteration":
            # crossplane's parser hits the end of the token stream while reading arguments (a file ending with a
            # bare token and no ';'): it reports an empty message and no line.
            message = "unexpected end of file, expecting \";\" or \"}\""
            line = _last_line(source)
        else:
            if braced:
                message = _BRACED_TOKEN.sub(lambda match: braced[int(match.group(1))], message)
            if template is not None:
                message = template.restore(message)
        parsed.errors.append(ParseError(message, line))
    return parsed


# crossplane's lexer mishandles `${VAR}` followed by a blank: it glues the next word onto the token
# (`server ${BACKEND} fail_timeout=0;` -> one argument). Such placeholders are swapped for plain tokens before
# lexing and put back afterwards.
_BRACED = lazy_re(r"\$\{[^{}\s]*\}")  # no `{` inside: linear on `${${${...`
_BRACED_PREFIX = "__advisor_braced_"
_BRACED_TOKEN = lazy_re(_BRACED_PREFIX + r"(\d+)__")


def _protect_braced(text: str, originals: list[str]) -> str:
    def token(match: re.Match[str]) -> str:
        originals.append(match.group(0))
        return f"{_BRACED_PREFIX}{len(originals) - 1}__"

    return _BRACED.sub(token, text)


def _restore_braced(stmts: list[Stmt], originals: list[str]) -> None:
    def original(match: re.Match[str]) -> str:
        return originals[int(match.group(1))]

    for stmt in stmts:
        args = stmt["args"]
        for index, arg in enumerate(args):
            if _BRACED_PREFIX in arg:
                args[index] = _BRACED_TOKEN.sub(original, arg)
        if _BRACED_PREFIX in stmt["directive"]:
            stmt["directive"] = _BRACED_TOKEN.sub(original, stmt["directive"])
        if "comment" in stmt and _BRACED_PREFIX in stmt["comment"]:
            stmt["comment"] = _BRACED_TOKEN.sub(original, stmt["comment"])
        if "block" in stmt:
            _restore_braced(stmt["block"], originals)


def _parse_statements(path: str, text: str) -> tuple[list[Stmt], list[tuple[str, int | None]]]:
    """The statements and syntax errors of `text` (`path` names it in crossplane's messages)."""
    return parse_tokens(lex_statements(text, path), path)
