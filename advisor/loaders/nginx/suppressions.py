"""Collect `# advisor: ignore[...]` / `file-ignore[...]` comments from crossplane's comment statements.

A comment on the same line as a directive covers that line; a comment on a line of its own covers the next
directive (in file order, whatever block it is in). crossplane keeps comments as `{"directive": "#", "comment": ...}`
statements in file order, and a comment that follows a directive on its line carries that directive's line number.
"""

from __future__ import annotations

from typing import Any

from advisor.loaders.nginx.includes import SourceFile
from advisor.model.suppressions import Suppression, parse_suppression_comment


def collect_suppressions(source: SourceFile) -> list[Suppression]:
    found: list[Suppression] = []
    pending: list[tuple[int, tuple[str, ...], str | None]] = []
    last_line: int | None = None

    def visit(stmts: list[dict[str, Any]]) -> None:
        nonlocal last_line
        for stmt in stmts:
            line = stmt["line"]
            if stmt["directive"] == "#":
                parsed = parse_suppression_comment("#" + stmt.get("comment", ""))
                if parsed is None:
                    continue
                file_level, codes, reason = parsed
                if file_level:
                    found.append(Suppression(source.display, line, codes, True, None, reason))
                elif line == last_line:
                    found.append(Suppression(source.display, line, codes, False, line, reason))
                else:
                    pending.append((line, codes, reason))
                continue
            last_line = line
            for comment_line, codes, reason in pending:
                found.append(Suppression(source.display, comment_line, codes, False, line, reason))
            pending.clear()
            if "block" in stmt:
                visit(stmt["block"])

    visit(source.stmts)
    for comment_line, codes, reason in pending:  # nothing follows: the comment covers its own line
        found.append(Suppression(source.display, comment_line, codes, False, comment_line, reason))
    return found
