"""One nginx file through crossplane 0.5.8, with readable errors and the checks lenient parsing skips.

We parse with `check_ctx=False, check_args=False` (crossplane's directive table predates nginx 1.29: it rejects
`keepalive 32 local;`, and fragments would fail context checks). crossplane's argument check is also what detects a
directive closed by `}` or `{` instead of `;` (`proxy_pass x }` silently swallows the `}` otherwise and shifts the
whole block structure), so while our parse runs, crossplane's analyzer is replaced by `_check_terminator`, which keeps
only those termination checks. Includes are resolved by the loader (`single=True`), not by crossplane.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import threading
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import crossplane
import crossplane.analyzer as _analyzer
import crossplane.parser as _parser
from crossplane.errors import NgxParserDirectiveArgumentsError

from advisor.loaders.nginx.templates import TemplateText, fill_envsubst_statements, needs_rewrite

Stmt = dict[str, Any]

_SWAP_LOCK = threading.Lock()
MAX_FILE_BYTES = 64 * 1024 * 1024


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
    template: TemplateText | None = None  # set when the file holds template markup
    has_suppressions: bool = False
    text: str = ""  # the file as read (kept so column lookups need not read it again)


class FileReadError(Exception):
    """The file cannot be read at all (missing, a directory, no permission)."""


def read_text(path: str) -> str:
    """The file's text, decoded leniently like crossplane does (`errors="replace"`: Latin-1/KOI8 bytes in comments
    or values become U+FFFD instead of failing)."""
    try:
        info = os.stat(path)  # before open(): opening a FIFO would block
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(info.st_mode):
            raise FileReadError("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise FileReadError(f"file too large ({info.st_size} bytes; the limit is {MAX_FILE_BYTES})")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise FileReadError("file not found") from None
    except IsADirectoryError:
        raise FileReadError("is a directory, not a file") from None
    except PermissionError:
        raise FileReadError("permission denied") from None
    except OSError as error:
        raise FileReadError(error.strerror or str(error)) from None
    return data.decode("utf-8", errors="replace")


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
    template = TemplateText() if needs_rewrite(text) else None
    braced: list[str] = []
    bom = text.startswith("\ufeff")
    rewrite = template is not None or bom or "${" in text
    with tempfile.TemporaryDirectory(prefix="advisor-nginx-") if rewrite else nullcontext("") as workdir:
        parse_path = path
        if rewrite:  # crossplane reads files only: parse a rewritten copy (same line numbers)
            parse_path = os.path.join(workdir, "rewritten.conf")
            rewritten = text[1:] if bom else text
            if template is not None:
                rewritten = template.rewrite(rewritten, env)
            rewritten = _protect_braced(rewritten, braced)
            with open(parse_path, "w", encoding="utf-8") as handle:
                handle.write(rewritten)
        payload = _run_crossplane(parse_path)
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
        message = _strip_location(str(error.get("error") or ""), parse_path, line).strip()
        if not message or message == "StopIteration":
            # crossplane's parser hits the end of the token stream while reading arguments (a file ending with a
            # bare token and no ';'): it reports an empty message and no line.
            message = "unexpected end of file, expecting \";\" or \"}\""
            line = _last_line(text)
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
_BRACED = re.compile(r"\$\{[^}\s]*\}")
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
