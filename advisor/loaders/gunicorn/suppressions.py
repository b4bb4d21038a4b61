"""`# advisor: ignore[...]` / `# advisor: file-ignore[...]` comments in a gunicorn config (read with tokenize).

A trailing comment covers its statement (the first line of the smallest statement spanning the comment's line, so a
comment at the end of a multi-line `bind = [...]` covers `bind`); a comment on a line of its own covers the next
statement's first line (decorators included).
"""

from __future__ import annotations

import ast
import io
import tokenize

from advisor.model.suppressions import Suppression, parse_suppression_comment


MAX_SUPPRESSIONS = 1000  # per file: each is matched against every statement


def collect_suppressions(text: str, path: str, tree: ast.Module | None) -> list[Suppression]:
    if "advisor:" not in text:  # no suppression comment: no need to tokenize the file
        return []
    comments = _comments(text)
    statements = _statement_spans(tree) if tree is not None else []
    found: list[Suppression] = []
    for line, comment, trailing in comments:
        parsed = parse_suppression_comment(comment)
        if parsed is None:
            continue
        if len(found) >= MAX_SUPPRESSIONS:
            break
        file_level, codes, reason = parsed
        if file_level:
            applies_to: int | None = None
        elif trailing:
            applies_to = _enclosing_statement_line(statements, line)
        else:
            applies_to = _next_statement_line(statements, line)
        found.append(Suppression(path, line, codes, file_level, applies_to, reason))
    return found


def _comments(text: str) -> list[tuple[int, str, bool]]:
    """(line, comment text, trailing?) for every comment; falls back to a line scan if tokenizing fails."""
    found: list[tuple[int, str, bool]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                before = token.line[: token.start[1]]
                found.append((token.start[0], token.string, bool(before.strip())))
        return found
    except (tokenize.TokenError, IndentationError, SyntaxError):
        found = []
    for number, line in enumerate(text.splitlines(), start=1):
        position = line.find("#")
        if position >= 0 and "advisor:" in line[position:]:
            found.append((number, line[position:], bool(line[:position].strip())))
    return found


def _statement_spans(tree: ast.Module) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            first = node.lineno
            decorators = getattr(node, "decorator_list", None)
            if decorators:
                first = min([first] + [decorator.lineno for decorator in decorators])
            spans.append((first, node.end_lineno or node.lineno))
    spans.sort()
    return spans


def _enclosing_statement_line(spans: list[tuple[int, int]], line: int) -> int:
    enclosing = [(last - first, first) for first, last in spans if first <= line <= last]
    return min(enclosing)[1] if enclosing else line


def _next_statement_line(spans: list[tuple[int, int]], line: int) -> int | None:
    following = [first for first, _last in spans if first > line]
    return min(following) if following else None
