"""Pick the writer for `--output-format` (and `--statistics`); writers are imported only when used."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

OUTPUT_FORMATS: tuple[str, ...] = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit")
HUMAN_FORMATS = frozenset({"full", "concise"})
JSON_STATISTICS_FORMATS = frozenset({"json", "json-lines"})


class UnknownFormatError(ValueError):
    """`--output-format` names no known format (the CLI turns this into a usage error, exit 2)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown output format {name!r} (choose from: {', '.join(OUTPUT_FORMATS)})")
        self.name = name


def render(
    format_name: str,
    findings: Iterable[Any],
    rules: Any,
    *,
    root: str,
    statistics: bool = False,
    **options: Any,
) -> str:
    """Render findings in `format_name`; with `statistics`, the per-rule counts instead (JSON for json/json-lines).

    `options` go to the writer that accepts them: `color`, `summary` etc. for the text formats (text.py),
    `version`/`execution_successful` for SARIF; `notices` (what the run could not check) to every format that has
    a place for them (not gitlab, json-lines or --statistics)."""
    if format_name not in OUTPUT_FORMATS:
        raise UnknownFormatError(format_name)
    findings = list(findings)
    if statistics:
        from advisor.report.statistics import render_statistics

        return render_statistics(findings, rules, root=root, as_json=format_name in JSON_STATISTICS_FORMATS)
    if format_name == "sarif":
        from advisor.report.sarif import render_sarif

        sarif_options = {key: options[key] for key in ("version", "execution_successful", "base_url", "notices")
                         if key in options}
        return render_sarif(findings, rules, root=root, **sarif_options)
    notices = options.get("notices", ())
    if format_name == "github":
        from advisor.report.github import render_github

        return render_github(findings, rules, root=root, notices=notices)
    if format_name == "gitlab":
        from advisor.report.gitlab import render_gitlab

        return render_gitlab(findings, rules, root=root)
    if format_name == "junit":
        from advisor.report.junit import render_junit

        return render_junit(findings, rules, root=root, notices=notices)
    if format_name == "json-lines":
        from advisor.report.json_lines import render_json_lines

        return render_json_lines(findings, rules, root=root)
    return _render_engine_format(format_name, findings, rules, root=root, **options)


def _render_engine_format(format_name: str, findings: list[Any], rules: Any, *, root: str, **options: Any) -> str:
    """full / concise / json live in text.py and json_report.py (written with the engine)."""
    # TODO(lead): adapt once advisor/report/text.py and json_report.py settle; see the report on their functions.
    if format_name == "json":
        from advisor.report import json_report

        return json_report.render_json(findings, rules, root=root, **options)
    from advisor.report import text

    return text.render_text(findings, rules, root=root, concise=format_name == "concise", **options)
