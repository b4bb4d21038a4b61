"""json-lines: one compact JSON object per finding per line, the same object as in the `json` format's "findings"
(code, name, severity, message, fix, explanation, path, line, column,
related), so `jq` and log shippers can stream it. Notices
(what the run could not check) are not findings and have no line here; the `json` format carries them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def render_json_lines(findings: Iterable[Any], rules: Any = None, *, root: str) -> str:
    """One JSON object per line; an empty string when there are no findings. `rules` is unused."""
    from advisor.report.json_report import finding_to_dict

    return "".join(json.dumps(finding_to_dict(finding, root), ensure_ascii=False) + "\n" for finding in findings)
