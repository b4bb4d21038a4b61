"""crossplane 0.5.8's parser, as we call it, over our token stream: the statement tree of one file.

We parsed with `crossplane.parse(path, single=True, comments=True, catch_errors=True, check_ctx=False,
check_args=False)` with its lexer and analyzer swapped for ours. This is that parser for exactly those options, with
the same statement dicts, the same error recovery and the same error texts, minus what the options switch off
(include resolution, context and argument tables, combining) and minus crossplane's per-token and per-statement
overhead (its closure also kept every parsed tree alive until the next garbage collection). The token stream may
hold Statements (advisor/loaders/nginx/lexer.py's `lex_statements`): a whole plain statement in one item.

crossplane's analyzer is replaced by `_check_terminator`. crossplane's argument check is what detects a directive
closed by `}` or `{` instead of `;` (`proxy_pass x }` silently swallows the `}` otherwise and shifts the whole block
structure), so only those termination checks are kept, with crossplane's messages (its recovery keys on the "is not
terminated by" wording). After MAX_PARSE_ERRORS errors the parse stops, and a block nested more than
MAX_BLOCK_DEPTH levels deep stops it too (advisor's limit, well below Python's recursion limit; nginx has none).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from advisor.loaders.nginx.crossplane_tables import analyzer as _analyzer
from advisor.loaders.nginx.lexer import Statement, Token
from advisor.loaders.nginx.parse_errors import NgxParserDirectiveArgumentsError, NgxParserDirectiveError

Stmt = dict[str, Any]
ParseErrors = list[tuple[str, "int | None"]]  # (crossplane's message with " in FILE:LINE", line)

MAX_PARSE_ERRORS = 100  # nginx stops at the first; past this many the rest of the file is not parsed
MAX_BLOCK_DEPTH = 200  # real configs nest a handful of levels; each level is a few Python frames here and later
# Blocks whose entries are free-form `key value;` pairs (a map key may well be called "http" or "server").
_FREEFORM_BLOCKS = frozenset({"map", "geo", "types", "split_clients", "charset_map", "match"})


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


class TooManyErrors(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(f"more than {MAX_PARSE_ERRORS} syntax errors; the rest of the file was not parsed")
        self.lineno = line


class NestedTooDeeply(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(f"blocks nested too deeply (more than {MAX_BLOCK_DEPTH} levels)")
        self.lineno = line


def _check_statement(fname: str, stmt: Stmt, term: str, ctx: tuple[str, ...]) -> None:
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


def _prepare_if_args(stmt: Stmt) -> None:
    """crossplane removes the parentheses around an `if` condition."""
    args = stmt["args"]
    if args and args[0].startswith("(") and args[-1].endswith(")"):
        args[0] = args[0][1:].lstrip()
        args[-1] = args[-1][:-1].rstrip()
        start = int(not args[0])
        end = len(args) - int(not args[-1])
        args[:] = args[start:end]


def _enter_block(stmt: Stmt, ctx: tuple[str, ...]) -> tuple[str, ...]:
    if ctx and ctx[0] == "http" and stmt["directive"] == "location":
        return ("http", "location")
    return ctx + (stmt["directive"],)


class _Parser:
    def __init__(self, tokens: Iterator[Token | Statement], fname: str) -> None:
        self.tokens = tokens
        self.fname = fname
        self.errors: ParseErrors = []
        self.depth = 0  # blocks open around the statement being read

    def _error(self, error: NgxParserDirectiveError) -> None:
        if len(self.errors) >= MAX_PARSE_ERRORS:
            raise TooManyErrors(error.lineno)
        self.errors.append((str(error), error.lineno))

    def consume(self) -> None:
        """Skip to the end of the current block (crossplane's `consume=True`), counting nested blocks."""
        inner = 0
        for token, _, quoted in self.tokens:
            if token.__class__ is list:  # a Statement: only its terminator matters
                token, quoted = quoted, False
            if quoted:
                continue
            if token == "}":
                if not inner:
                    return
                inner -= 1
            elif token == "{":
                inner += 1

    def block(self, ctx: tuple[str, ...]) -> list[Stmt]:
        """The statements up to the `}` closing this block (or the end of the tokens)."""
        tokens = self.tokens
        parsed: list[Stmt] = []
        for token, line, quoted in tokens:
            comments: list[str] | None = None
            if token.__class__ is list:  # a Statement: the directive, its plain arguments and its terminator
                stmt: Stmt = {"directive": token[0], "line": line, "args": token[1:]}
                term, quoted = quoted, False
            else:
                if not quoted:
                    if token == "}":
                        break
                    if token[:1] == "#":
                        parsed.append({"directive": "#", "line": line, "args": [], "comment": token[1:]})
                        continue
                stmt = {"directive": token, "line": line, "args": []}
                args = stmt["args"]
                while True:
                    term, _, quoted = next(tokens)  # StopIteration: the file ends inside a statement (crossplane's too)
                    if term.__class__ is list:  # after a lone `;` or `{` taken as a directive: its tokens, in order
                        args.extend(term)
                        term, quoted = quoted, False
                        break
                    if quoted:
                        args.append(term)
                    elif term == ";" or term == "{" or term == "}":
                        break
                    elif term[:1] == "#":
                        if comments is None:
                            comments = []
                        comments.append(term[1:])
                    else:
                        args.append(term)
            if stmt["directive"] == "if":
                _prepare_if_args(stmt)
            try:
                _check_statement(self.fname, stmt, term, ctx)
            except NgxParserDirectiveError as error:
                self._error(error)
                if error.strerror.endswith(' is not terminated by ";"'):
                    if term != "}" and not quoted:
                        self.consume()
                    else:
                        break
                continue
            if term == "{" and not quoted:
                if self.depth == MAX_BLOCK_DEPTH:
                    raise NestedTooDeeply(line)
                self.depth += 1
                stmt["block"] = self.block(_enter_block(stmt, ctx))
                self.depth -= 1
            parsed.append(stmt)
            if comments is not None:
                parsed.extend({"directive": "#", "line": line, "args": [], "comment": comment}
                              for comment in comments)
        return parsed


def parse_tokens(tokens: Iterator[Token | Statement], fname: str) -> tuple[list[Stmt], ParseErrors]:
    """(statements, errors) as crossplane's payload gives them for one file: an exception from the token stream
    (a syntax error, the tokens ending inside a statement) or too many errors leaves no statements at all."""
    parser = _Parser(tokens, fname)
    try:
        return parser.block(()), parser.errors
    except Exception as error:  # noqa: BLE001 - crossplane records any failure of the parse the same way
        parser.errors.append((str(error), getattr(error, "lineno", None)))
        return [], parser.errors
