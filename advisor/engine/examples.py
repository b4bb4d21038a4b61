"""Run a rule's inline examples through the real loaders, builder and engine.

An example is `{nginx: text, gunicorn: text, compose: text, options: {...}}`. The snippets are written to
`nginx.conf`, `gunicorn.conf.py`, `docker-compose.yml` (an app source: gunicorn, uvicorn or uWSGI started by a
compose service) and `uwsgi.ini` (a uWSGI config) in a directory; a `# expect: CODE` comment marks the line a failing example's finding must point at
(primary location). `options` are host facts (cpus, somaxconn, nginx_version, gunicorn_version, env) and the
workload for the queueing-model facts (rps, service_time, error_budget), as `advisor check` takes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.engine.findings import EngineResult
from advisor.engine.rules import Rule

EXPECT_COMMENT = re.compile(r"#\s*expect:\s*([A-Z]{3}\d{3}(?:\s*,\s*[A-Z]{3}\d{3})*)")
SNIPPET_FILES = {"nginx": "nginx.conf", "gunicorn": "gunicorn.conf.py", "compose": "docker-compose.yml",
                 "uwsgi": "uwsgi.ini"}
WORKLOAD_OPTIONS = ("rps", "service_time", "error_budget")


@dataclass(frozen=True, slots=True)
class Expectation:
    code: str
    snippet: str  # "nginx", "gunicorn" or "compose"
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
    from advisor.model.deployment import HostFacts
    from advisor.model.inputs import Inputs
    from advisor.engine.run import run_rules
    from advisor.engine.workload_facts import resolve_workload
    from advisor.loaders.deployment import build_deployment

    paths: dict[str, Path] = {}
    for kind, name in SNIPPET_FILES.items():
        if example.get(kind) is not None:
            path = directory / name
            path.write_text(example[kind], encoding="utf-8")
            paths[kind] = path
    options = dict(example.get("options") or {})
    env = {str(key): str(value) for key, value in (options.pop("env", None) or {}).items()}
    load = {name: options.pop(name, None) for name in WORKLOAD_OPTIONS}
    workload = resolve_workload(load["rps"], load["service_time"], load["error_budget"])
    host = HostFacts.build(env=env, **options)
    inputs = Inputs(nginx=[str(paths["nginx"])] if "nginx" in paths else [],
                    app=[str(paths[kind]) for kind in ("gunicorn", "compose", "uwsgi") if kind in paths])
    deployment = build_deployment(inputs, host)
    return ExampleRun(run_rules(deployment, rules, strict=True, workload=workload), paths)
