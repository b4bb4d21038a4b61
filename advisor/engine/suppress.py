"""Match findings against inline suppressions (`# advisor: ignore[...]`, `# advisor: file-ignore[...]`).

A finding is suppressed when its primary location's line is the line a suppression covers (or the file has a
file-level suppression) and one of the suppression's codes is `ALL`, the finding's code, a prefix of it, or the
rule's name.
"""

from __future__ import annotations

import os

from advisor.engine.findings import Finding
from advisor.model.suppressions import Suppression


def normalise_path(path: str) -> str:
    """The key suppressions and findings are matched on (absolute, normalised)."""
    return os.path.normpath(os.path.abspath(path))


def code_matches(selector: str, code: str, name: str) -> bool:
    upper = selector.upper()
    return upper == "ALL" or selector == name or (upper.isalnum() and code.startswith(upper))


class SuppressionIndex:
    def __init__(self, suppressions: list[Suppression]) -> None:
        self._by_line: dict[tuple[str, int], list[Suppression]] = {}
        self._by_file: dict[str, list[Suppression]] = {}
        for suppression in suppressions:
            path = normalise_path(suppression.path)
            if suppression.file_level:
                self._by_file.setdefault(path, []).append(suppression)
            elif suppression.applies_to_line is not None:
                self._by_line.setdefault((path, suppression.applies_to_line), []).append(suppression)

    def __bool__(self) -> bool:
        return bool(self._by_line or self._by_file)

    def find(self, finding: Finding) -> Suppression | None:
        """The suppression that drops this finding, or None."""
        if finding.path is None:
            return None
        path = normalise_path(finding.path)
        candidates = list(self._by_line.get((path, finding.line or 0), ())) + list(self._by_file.get(path, ()))
        for suppression in candidates:
            if any(code_matches(code, finding.code, finding.name) for code in suppression.codes):
                return suppression
        return None
