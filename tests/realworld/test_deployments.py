"""`advisor check` on real deployments (../shared/deployments): findings, links and verdict quality.

The commands come from the deployments set's EXPECTED.md; tests/realworld/expectations.yaml is our snapshot of what
advisor reports there (every warning/error with a hand verdict, the link status, the exit code). A change in what
advisor reports on real repositories must be deliberate: regenerate the snapshot with bench/realworld.py and judge
every new finding. The quality bar is measured on the snapshot's verdicts: at least 90 % of warnings/errors are true
problems (debatable counted as not true) and no error is a false alarm.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from shared_material import REPO_ROOT, require_shared

sys.path.insert(0, str(REPO_ROOT / "bench"))
import realworld  # noqa: E402

EXPECTATIONS = Path(__file__).with_name("expectations.yaml")
REGENERATE = "python bench/realworld.py --write-expectations tests/realworld/expectations.yaml (then judge `new`)"


@pytest.fixture(scope="module")
def runs() -> dict[str, dict]:
    root = require_shared("deployments")
    results = {}
    for deployment in realworld.read_expected(root / "EXPECTED.md"):
        results[deployment.directory] = realworld.run_one(deployment, root)
    return results


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    return yaml.safe_load(EXPECTATIONS.read_text(encoding="utf-8"))["deployments"]


def test_every_deployment_runs_and_is_in_the_snapshot(runs: dict, expected: dict) -> None:
    failed = {name: result["error"] for name, result in runs.items() if "error" in result}
    assert not failed, f"advisor did not produce a JSON report: {failed}"
    assert set(runs) == set(expected), f"deployments changed; regenerate: {REGENERATE}"


def test_findings_match_the_snapshot(runs: dict, expected: dict) -> None:
    differences = []
    for name, result in runs.items():
        actual = sorted((f["code"], f["severity"], f["at"]) for f in realworld.serious_findings(result["report"]))
        wanted = sorted((f["code"], f["severity"], f["at"]) for f in expected[name]["findings"])
        if actual != wanted:
            differences.append(f"{name}: reported {actual}, snapshot {wanted}")
        if result["exit"] != expected[name]["exit"]:
            differences.append(f"{name}: exit {result['exit']}, snapshot {expected[name]['exit']}")
    assert not differences, "\n".join(differences) + f"\nregenerate: {REGENERATE}"


def test_links_match_the_snapshot(runs: dict, expected: dict) -> None:
    assert {name: bool(result["linked"]) for name, result in runs.items()} == \
        {name: entry["linked"] for name, entry in expected.items()}


def test_unlinked_runs_say_what_was_not_checked(runs: dict) -> None:
    for name, result in runs.items():
        if not result["linked"]:
            notices = result["report"]["summary"].get("notices") or []
            assert notices, f"{name}: no route is linked, but the report carries no notice"


def test_every_snapshot_finding_is_judged(expected: dict) -> None:
    unjudged = [(name, f["code"], f["at"]) for name, entry in expected.items() for f in entry["findings"]
                if f.get("verdict") not in ("TP", "FP", "D")]
    assert not unjudged, f"findings without a verdict: {unjudged}"


def test_precision_and_no_false_errors(expected: dict) -> None:
    findings = [f for entry in expected.values() for f in entry["findings"]]
    true = sum(1 for f in findings if f["verdict"] == "TP")
    precision = true / len(findings) if findings else 1.0
    assert precision >= 0.9, f"only {true} of {len(findings)} warnings/errors are true problems"
    false_errors = [f for f in findings if f["severity"] == "error" and f["verdict"] != "TP"]
    assert not false_errors
