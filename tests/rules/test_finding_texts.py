"""The text of every rule's findings: snapshots of each failing example in `full`, `concise` and `full --explain`,
and the length limits of the message standard (rules/README.md, "Finding text").

Regenerate the snapshots with ADVISOR_UPDATE_SNAPSHOTS=1 and read every changed line: wording changes are
reviewed, not accidental. The length limits hold over the rules' failing examples, the demo, the fixture pairs and
(when ../shared is beside the checkout) the corpus pairs: message median <= 120 and max <= 200 characters, every
concise line <= 250.
"""

from __future__ import annotations

import ast
import csv
import difflib
import os
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.examples import run_example
from advisor.engine.findings import Finding
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.engine.selection import select_rules
from advisor.loaders.deployment import build_deployment
from advisor.report import ReportData
from advisor.report.text import render
from shared_material import REPO_ROOT, require_shared

SNAPSHOTS = Path(__file__).with_name("snapshots")
UPDATE = os.environ.get("ADVISOR_UPDATE_SNAPSHOTS") == "1"
FORMATS = {"full": {}, "concise": {"concise": True}, "explain": {"explain": True}}
RULES = load_rules()
SELECTED = select_rules(RULES)
FIXTURES = REPO_ROOT / "fixtures"
MESSAGE_MEDIAN, MESSAGE_MAX, CONCISE_MAX = 120, 200, 250
SENTENCE_BREAK = re.compile(r"[.;!?]\s+[A-Z]")


@dataclass(frozen=True)
class Rendered:
    """One failing example's findings of its own rule, as each format prints them (temporary paths cut out)."""

    label: str
    root: Path
    findings: tuple[Finding, ...]
    texts: dict[str, str]
    concise_lines: tuple[str, ...]


def _render(findings: list[Finding], root: Path, **options: bool) -> str:
    text = render(ReportData(findings, root=str(root)), summary=False, **options)
    return text.replace(f"{root}/", "").replace(f"{root.resolve()}/", "")


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> list[Rendered]:
    rendered: list[Rendered] = []
    for rule in RULES:
        for index, example in enumerate(rule.examples.get("fail") or []):
            directory = tmp_path_factory.mktemp(f"{rule.code}-{index}")
            found = run_example(example, RULES, directory).findings_for(rule.code)
            texts = {name: _render(found, directory, **options) for name, options in FORMATS.items()}
            rendered.append(Rendered(f"{rule.code} fail[{index}]", directory, tuple(found), texts,
                                     tuple(texts["concise"].splitlines())))
    return rendered


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_snapshot(name: str, examples: list[Rendered]) -> None:
    text = "".join(f"## {item.label}\n{item.texts[name].rstrip()}\n\n" for item in examples)
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8") if path.is_file() else ""
    if text != expected:
        diff = "\n".join(difflib.unified_diff(expected.splitlines(), text.splitlines(), "snapshot", "now",
                                              lineterm="", n=1))
        pytest.fail(f"{path.name} differs (ADVISOR_UPDATE_SNAPSHOTS=1 regenerates it; review the diff):\n{diff}")


def test_every_failing_example_renders_its_finding(examples: list[Rendered]) -> None:
    assert all(item.findings for item in examples), [item.label for item in examples if not item.findings]
    assert all(len(item.concise_lines) == len(item.findings) for item in examples)


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.family != "ADV"], ids=lambda rule: rule.code)
def test_rule_text_follows_the_standard(rule, examples: list[Rendered]) -> None:
    """One sentence, one fix line, the long explanation in its own field."""
    assert rule.explanation is not None, f"{rule.path}: no explanation"
    own = [finding for item in examples for finding in item.findings if finding.code == rule.code]
    assert own, f"{rule.path}: no failing example renders a {rule.code} finding to check"
    for finding in own:
        assert not SENTENCE_BREAK.search(finding.message) and not finding.message.endswith("."), finding.message
        assert finding.fix and "\n" not in finding.fix
        assert finding.explanation and len(finding.explanation) > len(finding.message)


def _prose(node: ast.AST) -> list[str]:
    """English inside an expression: a string with a space that is not a function's argument or a separator whose
    method is called (`plural(n, 'sync worker')`, `'; '.join(...)` are fine). Enumerated values without spaces
    (`'uwsgi-to-gunicorn' if ... else route.kind`) are values, not prose."""
    found: list[str] = []
    parents = {child: parent for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str) and " " in child.value.strip() \
                and not isinstance(parents.get(child), (ast.Call, ast.Attribute)):
            found.append(repr(child.value))
    return found


@pytest.mark.parametrize("rule", load_rules(eager_templates=True), ids=lambda rule: rule.code)
def test_no_english_is_built_in_expressions(rule) -> None:
    """Values are computed in `let`; words live in templates and `phrases` tables."""
    expressions = [expression for _, expression in rule.lets]
    templates = [rule.message, rule.fix, rule.explanation, *(item.message for item in rule.related)]
    templates += [case for phrase in rule.phrases for case in (*phrase.cases.values(), phrase.default)]
    expressions += [part for template in templates if template is not None for part in template.parts
                    if not isinstance(part, str)]
    problems = [text for expression in expressions for text in _prose(expression.node)]
    assert not problems, f"{rule.path}: {problems}"


def _pair(paths: list[Path], cpus: int | None = 2) -> list[Finding]:
    deployment = build_deployment(Inputs(paths=[str(path) for path in paths]),
                                  HostFacts.build(cpus=cpus))
    return run_rules(deployment, RULES, SELECTED, strict=True).findings


def _fixture_runs() -> list[tuple[list[Finding], Path]]:
    directories = [FIXTURES / "demo"]
    directories += sorted(path for path in (FIXTURES / "pairs").iterdir() if path.is_dir())
    directories += sorted(path for path in (FIXTURES / "rules").iterdir() if path.is_dir())
    runs = []
    for directory in directories:
        files = [path for path in sorted(directory.iterdir())
                 if path.is_file() and path.suffix not in (".json", ".md")]
        runs.append((_pair(files), REPO_ROOT))
    return runs


def _assert_limits(runs: list[tuple[list[Finding], Path]]) -> None:
    findings = [finding for found, _ in runs for finding in found]
    lengths = [len(finding.message) for finding in findings]
    assert findings
    longest = max(findings, key=lambda finding: len(finding.message))
    assert max(lengths) <= MESSAGE_MAX, f"{len(longest.message)}: {longest.code} {longest.message}"
    assert statistics.median(lengths) <= MESSAGE_MEDIAN, statistics.median(lengths)
    lines = [line for found, root in runs for line in _render(found, root, concise=True).splitlines()]
    assert len(lines) == len(findings)
    too_long = [line for line in lines if len(line) > CONCISE_MAX]
    assert not too_long, too_long


def test_lengths_over_examples_demo_and_fixtures(examples: list[Rendered]) -> None:
    _assert_limits([(list(item.findings), item.root) for item in examples] + _fixture_runs())


def test_lengths_over_the_corpus_pairs() -> None:
    corpus = require_shared("corpus")
    with open(corpus / "SOURCES.tsv", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "pair-member"]
    pairs: dict[str, list[Path]] = defaultdict(list)
    for row in rows:
        pairs[row["local_path"].split("/", 1)[0]].append(corpus / row["local_path"])
    assert len(pairs) >= 10
    _assert_limits([(_pair(paths, cpus=None), corpus) for _, paths in sorted(pairs.items())])
