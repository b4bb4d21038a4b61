"""json-lines: one compact JSON object per finding per line, the same object as in the `json` format's "findings"
(code, name, severity, message, fix, explanation, path, line, column,
related), so `jq` and log shippers can stream it. Notices
(what the run could not check) are not findings and have no line here; the `json` format carries them."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any, TextIO


def render_json_lines(findings: Iterable[Any], rules: Any = None, *, root: str) -> str:
    """One JSON object per line; an empty string when there are no findings. `rules` is unused."""
    buffer = io.StringIO()
    write_json_lines(findings, buffer, root=root)
    return buffer.getvalue()


def write_json_lines(findings: Iterable[Any], stream: TextIO, *, root: str) -> None:
    """Each finding's line written as it is encoded."""
    from advisor.report.json_report import finding_to_dict

    for finding in findings:
        stream.write(json.dumps(finding_to_dict(finding, root), ensure_ascii=False) + "\n")
