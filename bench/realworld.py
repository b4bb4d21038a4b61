"""Run every command of a deployments set's EXPECTED.md and print what `advisor check` says about each.

For each deployment: the warning/error findings (code, severity, location), the info count, whether at least one
route is linked to an app server, the notices, and the exit code. With `--judge`, each warning/error is matched to
the hand verdict in EXPECTED.md (same code and location) so precision can be recounted after a change; findings
that are new since the verdicts were written are marked `new` and need a fresh judgement.

With `--write-expectations FILE`, the warning/error findings and link status are written as the YAML snapshot
that tests/realworld/test_deployments.py compares against (verdicts carried over from FILE when it exists, else
from EXPECTED.md; findings without one get `verdict: new` and must be judged by hand before committing).

Usage: python bench/realworld.py [--deployments ../shared/deployments] [--judge] [--json OUT]
                                 [--write-expectations tests/realworld/expectations.yaml]
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DEPLOYMENTS = REPO.parent / "shared" / "deployments"

_HEADER = re.compile(r"^## (\d+)\. (\S+)")
_VERDICT_ROW = re.compile(r"^\| (\w+) \| (warning|error) \| (.+?) \| (TP|FP|D) \|")


@dataclass
class Deployment:
    number: int
    directory: str
    command: list[str]
    verdicts: dict[tuple[str, str], str] = field(default_factory=dict)


def read_expected(path: Path) -> list[Deployment]:
    """The numbered deployments of EXPECTED.md: the first ```sh block after each header, and its verdict table."""
    deployments: list[Deployment] = []
    current: Deployment | None = None
    in_block = False
    block: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        header = _HEADER.match(line)
        if header:
            current = Deployment(int(header.group(1)), header.group(2), [])
            deployments.append(current)
            continue
        if current is None:
            continue
        if line.startswith("```sh") and not current.command:
            in_block, block = True, []
            continue
        if in_block:
            if line.startswith("```"):
                in_block = False
                current.command = shlex.split(" ".join(block))
            else:
                block.append(line)
            continue
        row = _VERDICT_ROW.match(line)
        if row and "Assisted" not in line:
            current.verdicts.setdefault((row.group(1), row.group(3)), row.group(4))
    return [d for d in deployments if d.command]


def run_one(deployment: Deployment, root: Path) -> dict:
    argv = list(deployment.command)
    if argv and argv[0] == "advisor":
        argv = [sys.executable, "-m", "advisor", *argv[1:]]
    completed = subprocess.run(argv, cwd=root / deployment.directory, capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        return {"exit": completed.returncode, "error": (completed.stderr or completed.stdout)[-800:]}
    show = subprocess.run(
        _show_argv(argv), cwd=root / deployment.directory, capture_output=True, text=True, timeout=120
    )
    linked = _linked(show.stdout)
    return {"exit": completed.returncode, "report": report, "linked": linked}


def _show_argv(argv: list[str]) -> list[str]:
    """The same inputs for `advisor show --format json` (check-only options dropped)."""
    out: list[str] = []
    skip = False
    index = argv.index("check")
    for arg in argv[index + 1:]:
        if skip:
            skip = False
            continue
        if arg == "--output-format":
            skip = True
            continue
        out.append(arg)
    return [*argv[:index], "show", *out, "--output-format", "json"]


def _linked(show_stdout: str) -> bool | None:
    try:
        data = json.loads(show_stdout)
    except json.JSONDecodeError:
        return None
    links = data.get("links") or []
    return any(link.get("app_server") or link.get("app") for link in links)


def _location(finding: dict) -> str:
    return f"{finding.get('path')}:{finding.get('line')}:{finding.get('column')}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=Path, default=DEFAULT_DEPLOYMENTS)
    parser.add_argument("--judge", action="store_true", help="match findings to EXPECTED.md's verdicts")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--only", type=int, action="append", help="run only these deployment numbers")
    parser.add_argument("--write-expectations", type=Path, help="write the YAML snapshot used by the tests")
    args = parser.parse_args()
    expected = args.deployments / "EXPECTED.md"
    if not expected.is_file():
        print(f"no EXPECTED.md under {args.deployments}", file=sys.stderr)
        return 2
    totals = {"TP": 0, "FP": 0, "D": 0, "new": 0, "warn+": 0, "linked": 0, "exit1": 0, "runs": 0}
    raw = {}
    for deployment in read_expected(expected):
        if args.only and deployment.number not in args.only:
            continue
        result = run_one(deployment, args.deployments)
        raw[deployment.directory] = result
        totals["runs"] += 1
        print(f"\n#{deployment.number} {deployment.directory}  exit={result['exit']}  linked={result.get('linked')}")
        if "error" in result:
            print(f"   FAILED: {result['error']}")
            continue
        totals["linked"] += bool(result["linked"])
        totals["exit1"] += result["exit"] == 1
        report = result["report"]
        infos = []
        for finding in report.get("findings", []):
            severity = finding.get("severity")
            where = _location(finding)
            if severity == "info":
                infos.append(finding.get("code"))
                continue
            totals["warn+"] += 1
            verdict = ""
            if args.judge:
                verdict = deployment.verdicts.get((finding.get("code"), where), "new")
                totals[verdict] += 1
            print(f"   {verdict:>3} {finding.get('code')} {severity:<7} {where}  {finding.get('message', '')[:110]}")
        if infos:
            print(f"   info: {', '.join(sorted(infos))}")
        for notice in (report.get("summary") or {}).get("notices", []) or []:
            print(f"   notice: {notice[:150]}")
    print("\n" + "  ".join(f"{key}={value}" for key, value in totals.items()))
    if args.judge and totals["TP"] + totals["FP"]:
        print(f"precision (TP / (TP+FP), D and new excluded): {totals['TP'] / (totals['TP'] + totals['FP']):.0%}")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    if args.write_expectations:
        write_expectations(args.write_expectations, read_expected(expected), raw)
    return 0


def serious_findings(report: dict) -> list[dict]:
    """The warning/error findings of a JSON report as {code, severity, at}."""
    return [{"code": f.get("code"), "severity": f.get("severity"), "at": _location(f)}
            for f in report.get("findings", []) if f.get("severity") in ("warning", "error")]


def write_expectations(path: Path, deployments: list[Deployment], raw: dict) -> None:
    import yaml

    previous: dict = {}
    if path.is_file():
        previous = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("deployments", {})
    out: dict = {}
    for deployment in deployments:
        result = raw.get(deployment.directory)
        if result is None or "report" not in result:
            continue
        known = {(f["code"], f["at"]): f for f in previous.get(deployment.directory, {}).get("findings", [])}
        findings = []
        for finding in serious_findings(result["report"]):
            old = known.get((finding["code"], finding["at"]))
            if old is not None:
                finding = {**finding, "verdict": old["verdict"], **({"why": old["why"]} if old.get("why") else {})}
            else:
                finding["verdict"] = deployment.verdicts.get((finding["code"], finding["at"]), "new")
            findings.append(finding)
        out[deployment.directory] = {"linked": bool(result.get("linked")), "exit": result["exit"], "findings": findings}
    header = ("# advisor check on ../shared/deployments (the commands of its EXPECTED.md): every warning/error with our\n"
              "# verdict (TP real problem, FP false alarm, D debatable) and the link status. Regenerate with\n"
              "# `python bench/realworld.py --write-expectations tests/realworld/expectations.yaml`, then judge `new`.\n")
    path.write_text(header + yaml.safe_dump({"deployments": out}, sort_keys=False, width=120), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
