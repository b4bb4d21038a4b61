"""A finding's explanation: in JSON and SARIF always, in `full` text only with --explain, never in `concise`."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from advisor.report import ReportData
from advisor.report.formats import render as render_format
from advisor.report.sarif import render_sarif
from advisor.report.text import explanation_lines, render

EXPLANATION = ("nginx answers 504 (\"upstream timed out (110: Connection timed out) while reading response header "
               "from upstream\") once gunicorn has been silent for 60s; the worker keeps running the request and "
               "its side effects still happen.")


def _explained(findings):
    return [replace(findings[0], explanation=EXPLANATION), *findings[1:]]


def test_full_text_shows_the_explanation_only_when_asked(findings, repo):
    data = ReportData(_explained(findings), root=str(repo))
    plain = render(data, summary=False)
    explained = render(data, summary=False, explain=True)
    assert "explanation:" not in plain
    block = explained.split("\n\n")[0].splitlines()
    assert block[-3].startswith("  explanation: nginx answers 504")
    assert all(line.startswith("    ") for line in block[-2:])
    assert max(len(line) for line in block[-3:]) <= 100
    assert " ".join(" ".join(block[-3:]).split()).endswith("its side effects still happen.")


def test_concise_is_one_line_per_finding_even_for_multi_line_messages(findings, repo):
    multi = [replace(findings[0], message="first line\n  second line"), *findings[1:]]
    lines = render(ReportData(_explained(multi), root=str(repo)), concise=True, summary=False,
                   explain=True).splitlines()
    assert len(lines) == len(findings)
    assert lines[0].endswith("[error] first line second line")


def test_explanation_lines_wrap_long_words_whole():
    lines = explanation_lines("x " * 80 + "unix:/run/a/very/long/path/that/does/not/break.sock", width=60)
    assert lines[-1].endswith(" unix:/run/a/very/long/path/that/does/not/break.sock")


def test_json_carries_the_explanation(findings, rules, repo):
    document = json.loads(render_format("json", _explained(findings), rules, root=str(repo)))
    assert [item["explanation"] for item in document["findings"]] == [EXPLANATION, None, None]


def test_sarif_results_carry_the_explanation_and_rules_the_page(findings, rules, repo):
    log = json.loads(render_sarif(_explained(findings), rules, root=str(repo)))
    run = log["runs"][0]
    first, second = run["results"][0], run["results"][1]
    assert first["properties"] == {"explanation": EXPLANATION} and "properties" not in second
    help_markdown = run["tool"]["driver"]["rules"][first["ruleIndex"]]["help"]["markdown"]
    for title in ("What it does", "Why is this bad?", "Example", "Use instead", "How to suppress", "References"):
        assert f"### {title}" in help_markdown


def test_check_explain_option_reaches_the_text_output(monkeypatch):
    from pathlib import Path

    from advisor.commands import check
    from advisor.commands.options import CheckOptions, HostFacts, Inputs

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    broken = "fixtures/rules/broken-pair"
    out = io.StringIO()
    options = CheckOptions(inputs=Inputs(nginx=[f"{broken}/nginx.conf"], app=[f"{broken}/gunicorn.conf.py"]),
                           host=HostFacts.build(), isolated=True, select=["TMO002"], explain=True)
    assert check.run(options, stdout=out, stderr=io.StringIO()) == 1
    assert "  explanation: nginx closes the upstream connection and answers 504" in out.getvalue()
