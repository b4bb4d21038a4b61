"""One nginx file through crossplane 0.5.8, with readable errors and the checks lenient parsing skips.

We parse with `check_ctx=False, check_args=False` (crossplane's directive table predates nginx 1.29: it rejects
`keepalive 32 local;`, and fragments would fail context checks). crossplane's argument check is also what detects a
directive closed by `}` or `{` instead of `;` (`proxy_pass x }` silently swallows the `}` otherwise and shifts the
whole block structure), so while our parse runs, crossplane's analyzer is replaced by `_check_terminator`, which keeps
only those termination checks. Includes are resolved by the loader (`single=True`), not by crossplane.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import nullcontext
import threading
from dataclasses import dataclass, field
from typing import Any

import crossplane
import crossplane.analyzer as _analyzer
import crossplane.parser as _parser
from crossplane.errors import NgxParserDirectiveArgumentsError

from advisor.loaders.nginx.templates import TemplateText, has_jinja

Stmt = dict[str, Any]

_SWAP_LOCK = threading.Lock()


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


def _check_terminator(fname: str, stmt: Stmt, term: str, ctx: tuple = (), strict: bool = False,
                      check_ctx: bool = True, check_args: bool = True) -> None:
    """Stand-in for crossplane's `analyze`: only the `;` / `{` termination checks, with crossplane's messages
    (crossplane's recovery logic keys on the "is not terminated by" wording)."""
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
    jinja: TemplateText | None = None
    has_suppressions: bool = False
    not_utf8: bool = False


class FileReadError(Exception):
    """The file cannot be read at all (missing, a directory, no permission)."""


def read_text(path: str) -> tuple[str, bool]:
    """Return (text, valid_utf8). Decoding is lenient like crossplane's (`errors="replace"`)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise FileReadError("file not found") from None
    except IsADirectoryError:
        raise FileReadError("is a directory, not a file") from None
    except PermissionError:
        raise FileReadError("permission denied") from None
    except OSError as error:
        raise FileReadError(error.strerror or str(error)) from None
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), False


def _strip_location(message: str, fname: str, line: int | None) -> str:
    """crossplane appends " in FILE:LINE" to its messages; we report the position separately."""
    for suffix in (f" in {fname}:{line}", f" in {fname}"):
        if message.endswith(suffix):
            return message[: -len(suffix)]
    return message


def _last_line(text: str) -> int:
    stripped = text.rstrip()
    return stripped.count("\n") + 1 if stripped else 1


def parse_file(path: str) -> ParsedFile:
    """Parse one file (no include following). Raises FileReadError if it cannot be read; never for bad syntax."""
    text, valid_utf8 = read_text(path)
    jinja = TemplateText() if has_jinja(text) else None
    bom = text.startswith("\ufeff")
    rewrite = jinja is not None or bom
    with tempfile.TemporaryDirectory(prefix="advisor-nginx-") if rewrite else nullcontext("") as workdir:
        parse_path = path
        if rewrite:  # crossplane reads files only: parse a rewritten copy (same line numbers)
            parse_path = os.path.join(workdir, "rewritten.conf")
            rewritten = text[1:] if bom else text
            with open(parse_path, "w", encoding="utf-8") as handle:
                handle.write(jinja.rewrite(rewritten) if jinja else rewritten)
        payload = _run_crossplane(parse_path)
    config = payload["config"][0] if payload.get("config") else {"parsed": [], "errors": payload.get("errors", [])}
    parsed = ParsedFile(stmts=config.get("parsed") or [], jinja=jinja, has_suppressions="advisor:" in text,
                        not_utf8=not valid_utf8)
    if "${" in text:
        _strip_placeholder_padding(parsed.stmts)
    for error in config.get("errors") or []:
        line = error.get("line")
        message = _strip_location(str(error.get("error") or ""), parse_path, line).strip()
        if not message or message == "StopIteration":
            # crossplane's parser hits the end of the token stream while reading arguments (a file ending with a
            # bare token and no ';'): it reports an empty message and no line.
            message = "unexpected end of file, expecting \";\" or \"}\""
            line = _last_line(text)
        parsed.errors.append(ParseError(message, line))
    return parsed


def _strip_placeholder_padding(stmts: list[Stmt]) -> None:
    """crossplane's lexer keeps the blank after `${VAR}` in the token (`location ${ROOT} {` -> "${ROOT} ")."""
    for stmt in stmts:
        args = stmt["args"]
        for index, arg in enumerate(args):
            if "${" in arg and arg[-1:].isspace():
                args[index] = arg.rstrip()
        if "block" in stmt:
            _strip_placeholder_padding(stmt["block"])


def _run_crossplane(path: str) -> dict[str, Any]:
    with _SWAP_LOCK:
        original = _parser.analyze
        _parser.analyze = _check_terminator
        try:
            return crossplane.parse(path, catch_errors=True, single=True, comments=True, check_ctx=False,
                                    check_args=False)
        except Exception as error:  # crossplane bug on odd input: still a diagnostic, never a traceback
            return {"config": [{"parsed": [], "errors": [{"error": f"crossplane failed: {error}", "line": None}]}]}
        finally:
            _parser.analyze = original
