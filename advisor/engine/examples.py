"""Run a rule's inline examples through the real loaders, builder and engine.

An example is `{nginx: text, gunicorn: text, options: {...}}`. The snippets are written to `nginx.conf` and
`gunicorn.conf.py` in a directory; a `# expect: CODE` comment marks the line a failing example's finding must point
at (primary location).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.engine.findings import EngineResult
from advisor.engine.rules import Rule

EXPECT_COMMENT = re.compile(r"#\s*expect:\s*([A-Z]{3}\d{3}(?:\s*,\s*[A-Z]{3}\d{3})*)")
SNIPPET_FILES = {"nginx": "nginx.conf", "gunicorn": "gunicorn.conf.py"}


@dataclass(frozen=True, slots=True)
class Expectation:
    code: str
    snippet: str  # "nginx" or "gunicorn"
    line: int


@dataclass(slots=True)
class ExampleRun:
    result: EngineResult
    paths: dict[str, Path]  # snippet kind -> file written

    def findings_for(self, code: str) -> list:
        return [finding for finding in self.result.findings if finding.code == code]

    def snippet_of(self, path: str | None) -> str | None:
        if path is None:
            return None
        resolved = Path(path).resolve()
        for kind, written in self.paths.items():
            if written.resolve() == resolved:
                return kind
        return None


def expectations(example: dict[str, Any]) -> list[Expectation]:
    found: list[Expectation] = []
    for kind in SNIPPET_FILES:
        text = example.get(kind)
        if not text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            match = EXPECT_COMMENT.search(line)
            if match:
                for code in match.group(1).split(","):
                    found.append(Expectation(code.strip(), kind, number))
    return found


def run_example(example: dict[str, Any], rules: list[Rule], directory: Path) -> ExampleRun:
    """Write the snippets into `directory` and run every rule on them (strictly: a rule bug raises)."""
    from advisor.commands.options import HostOptions, Inputs
    from advisor.engine.run import run_rules
    from advisor.model.build import build_deployment, host_facts_from_options

    paths: dict[str, Path] = {}
    for kind, name in SNIPPET_FILES.items():
        if example.get(kind) is not None:
            path = directory / name
            path.write_text(example[kind], encoding="utf-8")
            paths[kind] = path
    options = dict(example.get("options") or {})
    env = {str(key): str(value) for key, value in (options.pop("env", None) or {}).items()}
    host = host_facts_from_options(HostOptions(env=env, **options))
    inputs = Inputs(nginx=[str(paths["nginx"])] if "nginx" in paths else [],
                    app=[str(paths["gunicorn"])] if "gunicorn" in paths else [])
    deployment = build_deployment(inputs, host)
    return ExampleRun(run_rules(deployment, rules, strict=True), paths)
