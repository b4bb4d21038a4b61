"""One nginx file through crossplane 0.5.8, with readable errors and the checks lenient parsing skips.

We parse with `check_ctx=False, check_args=False` (crossplane's directive table predates nginx 1.29: it rejects
`keepalive 32 local;`, and fragments would fail context checks). crossplane's argument check is also what detects a
directive closed by `}` or `{` instead of `;` (`proxy_pass x }` silently swallows the `}` otherwise and shifts the
whole block structure), so while our parse runs, crossplane's analyzer is replaced by `_check_terminator`, which keeps
only those termination checks. Includes are resolved by the loader (`single=True`), not by crossplane.

The text is read once through advisor/readers.py and lexed by advisor/loaders/nginx/lexer.py (crossplane's token
stream in linear time); crossplane opens no file. A line longer than MAX_LINE_CHARS is a parse error at that line
and the file is not parsed (nginx itself refuses a single token over 4 KB).
"""

from __future__ import annotations

import errno
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import crossplane
import crossplane.analyzer as _analyzer
import crossplane.parser as _parser
from crossplane.errors import NgxParserDirectiveArgumentsError

from advisor import readers
from advisor.loaders.nginx.lexer import lex_text
from advisor.loaders.nginx.templates import TemplateText, fill_envsubst_statements, needs_rewrite

Stmt = dict[str, Any]

_SWAP_LOCK = threading.Lock()
MAX_LINE_CHARS = 64 * 1024


def _block_kinds() -> tuple[frozenset[str], frozenset[str]]:
    block_only, simple_only = set(), set()
    for name, masks in _analyzer.DIRECTIVES.items():
        if not masks:  # registered by extensions (lua blocks) without masks
            continue
        blocks = [bool(mask & _analyzer.NGX_CONF_BLOCK) for mask in masks]
        if all(blocks):
            block_only.add(name)
        elif not any(blocks):
            simple_only.add(name)
    return frozenset(block_only), frozenset(simple_only)


_BLOCK_ONLY, _SIMPLE_ONLY = _block_kinds()
# Blocks whose entries are free-form `key value;` pairs (a map key may well be called "http" or "server").
_FREEFORM_BLOCKS = frozenset({"map", "geo", "types", "split_clients", "charset_map", "match"})


MAX_PARSE_ERRORS = 100  # nginx stops at the first; past this many the rest of the file is not parsed
_errors_seen = [0]  # syntax errors raised in the current parse (reset under _SWAP_LOCK)


class TooManyErrors(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(f"more than {MAX_PARSE_ERRORS} syntax errors; the rest of the file was not parsed")
        self.lineno = line


def _check_terminator(fname: str, stmt: Stmt, term: str, ctx: tuple = (), strict: bool = False,
                      check_ctx: bool = True, check_args: bool = True) -> None:
    """Stand-in for crossplane's `analyze`: only the `;` / `{` termination checks, with crossplane's messages
    (crossplane's recovery logic keys on the "is not terminated by" wording); after MAX_PARSE_ERRORS errors the
    parse stops (TooManyErrors is no directive error: crossplane ends the file with it)."""
    try:
        _check_statement(fname, stmt, term, ctx)
    except NgxParserDirectiveArgumentsError:
        _errors_seen[0] += 1
        if _errors_seen[0] > MAX_PARSE_ERRORS:
            raise TooManyErrors(stmt["line"]) from None
        raise


def _check_statement(fname: str, stmt: Stmt, term: str, ctx: tuple) -> None:
    directive = stmt["directive"]
    if directive in (";", "{"):
        raise NgxParserDirectiveArgumentsError(f'unexpected "{directive}"', fname, stmt["line"])
    if term == "}":
        raise NgxParserDirectiveArgumentsError(f'directive "{directive}" is not terminated by ";"', fname,
                                               stmt["line"])
    if ctx and ctx[-1] in _FREEFORM_BLOCKS:
        return
    if term == "{" and directive in _SIMPLE_ONLY:
        raise NgxParserDirectiveArgumentsError(f'directive "{directive}" is not terminated by ";"', fname,
                                               stmt["line"])
    if term == ";" and directive in _BLOCK_ONLY:
        raise NgxParserDirectiveArgumentsError(f'directive "{directive}" has no opening "{{"', fname, stmt["line"])


@dataclass(slots=True)
class ParseError:
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


def _long_line(text: str, limit: int) -> int | None:
    """The number of the first line longer than `limit` characters, or None."""
    lines = text.split("\n")
    if max(map(len, lines), default=0) <= limit:
        return None
    return next(number for number, line in enumerate(lines, 1) if len(line) > limit)


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
    payload = _run_crossplane(path, rewritten)
    config = payload["config"][0] if payload.get("config") else {"parsed": [], "errors": payload.get("errors", [])}
    parsed = ParsedFile(stmts=config.get("parsed") or [], template=template, has_suppressions="advisor:" in text,
                        text=text)
    if braced:
        _restore_braced(parsed.stmts, braced)
    if template is not None:
        template.restore_statements(parsed.stmts)
    if env and "$" in text:
        fill_envsubst_statements(parsed.stmts, env, origins)
    for error in config.get("errors") or []:
        line = error.get("line")
        message = _strip_location(str(error.get("error") or ""), path, line).strip()
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
_BRACED = re.compile(r"\$\{[^{}\s]*\}")  # no `{` inside: linear on `${${${...`
_BRACED_PREFIX = "__advisor_braced_"
_BRACED_TOKEN = re.compile(_BRACED_PREFIX + r"(\d+)__")


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


def _run_crossplane(path: str, text: str) -> dict[str, Any]:
    """crossplane's parser on `text` (lexed by advisor/loaders/nginx/lexer.py; crossplane opens no file)."""
    with _SWAP_LOCK:
        original_analyze, original_lex = _parser.analyze, _parser.lex
        _parser.analyze = _check_terminator
        _parser.lex = lambda filename: lex_text(text, filename)
        _errors_seen[0] = 0
        try:
            return crossplane.parse(path, catch_errors=True, single=True, comments=True, check_ctx=False,
                                    check_args=False)
        except Exception as error:  # crossplane bug on odd input: still a diagnostic, never a traceback
            return {"config": [{"parsed": [], "errors": [{"error": f"crossplane failed: {error}", "line": None}]}]}
        finally:
            _parser.analyze, _parser.lex = original_analyze, original_lex
