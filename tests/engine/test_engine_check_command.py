"""`advisor check` end to end through commands.check.run: exit codes, text and JSON output, errors."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from advisor.commands import check
from advisor.commands.options import CheckOptions, HostFacts, Inputs

REPO = Path(__file__).resolve().parents[2]
BROKEN = "fixtures/rules/broken-pair"
CLEAN = "fixtures/rules/clean-tcp"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def _options(directory: str | None = BROKEN, **changes) -> CheckOptions:
    paths = [f"{directory}/nginx.conf", f"{directory}/gunicorn.conf.py"] if directory else []
    return CheckOptions(inputs=Inputs(paths=paths), host=HostFacts.build(), **changes)


def _run(options: CheckOptions) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check.run(options, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_findings_exit_1_with_concise_lines():
    code, out, err = _run(_options(output_format="concise"))
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines == [
        f"{BROKEN}/nginx.conf:11:9: TMO004 [warning] " + lines[0].split("[warning] ", 1)[1],
        f"{BROKEN}/nginx.conf:13:9: TMO002 [warning] " + lines[1].split("[warning] ", 1)[1],
        "Found 2 problems (0 errors, 2 warnings, 0 info).",
    ]
    assert all(re.match(r"^\S+:\d+:\d+: [A-Z]{3}\d{3} \[(error|warning|info)\] \S", line) for line in lines[:2])


def test_full_format_shows_source_fix_and_related():
    code, out, _ = _run(_options())
    assert code == 1
    block = out.split("\n\n")[1]
    assert block.splitlines() == [
        f"{BROKEN}/nginx.conf:13:9: TMO002 [warning] proxy_read_timeout 60s (default) < gunicorn timeout 120 s: "
        "requests running 60 s–120 s get 504 while the worker keeps running",
        "    13 |         location / {",
        "  fix: set proxy_read_timeout 125s or more here, or lower gunicorn's timeout below 60 s",
        f"  --> related: {BROKEN}/gunicorn.conf.py:3:1 (timeout = 120)",
    ]
    assert out.rstrip().endswith("Found 2 problems (0 errors, 2 warnings, 0 info).")
    assert "\x1b[" not in out  # not a terminal: no colour


def test_clean_pair_passes():
    code, out, _ = _run(_options(CLEAN))
    assert (code, out) == (0, "All checks passed!\n")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"fail_on": "error"}, 0), ({"fail_on": "info"}, 1), ({"exit_zero": True}, 0),
    ({"ignore": ["TMO"]}, 0), ({"select": ["TMO004"]}, 1),
])
def test_exit_code_policy(changes, expected):
    assert _run(_options(**changes))[0] == expected


def test_info_findings_fail_only_with_fail_on_info():
    options = _options("fixtures/rules/clean-unix", extend_select=["TMO007"], output_format="concise")
    code, out, _ = _run(options)
    assert code == 0 and "TMO007 [info]" in out
    options.fail_on = "info"
    assert _run(options)[0] == 1


def test_parse_error_is_a_finding_not_a_clean_run(tmp_path: Path):
    (tmp_path / "nginx.conf").write_text("server {\n    listen 80;\n}}\n")
    (tmp_path / "gunicorn.conf.py").write_text("workers = 2\n")
    code, out, _ = _run(_options(str(tmp_path), output_format="concise", select=["TMO002"]))
    assert code == 1
    assert "nginx.conf:3:1: ADV001 [error]" in out


def test_json_shape():
    code, out, _ = _run(_options(output_format="json"))
    assert code == 1
    document = json.loads(out)
    assert list(document) == ["findings", "summary"]
    assert list(document["summary"]) == ["errors", "warnings", "info", "files", "rules_run", "skipped", "notices"]
    assert document["summary"]["notices"] == []  # both sides given and the route linked: everything could run
    assert document["summary"]["warnings"] == 2 and document["summary"]["files"] == 2
    assert document["summary"]["rules_run"] >= 15
    first = document["findings"][1]
    assert list(first) == ["code", "name", "severity", "message", "fix", "explanation", "path", "line", "column",
                           "related"]
    assert "upstream timed out (110: Connection timed out)" in first["explanation"]
    assert (first["code"], first["path"], first["line"]) == ("TMO002", f"{BROKEN}/nginx.conf", 13)
    assert first["related"] == [{"path": f"{BROKEN}/gunicorn.conf.py", "line": 3, "column": 1,
                                 "message": "timeout = 120"}]


def test_absolute_paths_are_shown_relative_to_the_working_directory():
    options = _options(output_format="json")
    options.inputs = Inputs(paths=[str(REPO / BROKEN / "nginx.conf"), str(REPO / BROKEN / "gunicorn.conf.py")])
    document = json.loads(_run(options)[1])
    assert {finding["path"] for finding in document["findings"]} == {f"{BROKEN}/nginx.conf"}


def test_explain_skips(tmp_path: Path):
    (tmp_path / "nginx.conf").write_text("server {\n  location / {\n    proxy_pass http://127.0.0.1:8000;\n"
                                         "    proxy_read_timeout 20s;\n  }\n}\n")
    (tmp_path / "gunicorn.conf.py").write_text(
        'import os\nbind = "127.0.0.1:8000"\nworker_class = os.environ["WORKER_CLASS"]\ntimeout = 60\n')
    code, out, _ = _run(_options(str(tmp_path), select=["TMO002"]))
    assert code == 0
    assert "1 check could not be decided because a value is unknown (--explain-skips lists them)." in out
    code, out, _ = _run(_options(str(tmp_path), select=["TMO002"], explain_skips=True))
    assert "Skipped checks" in out and "TMO002" in out and "app.timeout_bounds_requests" in out
    document = json.loads(_run(_options(str(tmp_path), select=["TMO002"], output_format="json",
                                        explain_skips=True))[1])
    assert document["summary"]["skipped"] == 1
    assert document["skips"][0]["code"] == "TMO002" and document["skips"][0]["kind"] == "unknown"


def test_output_file(tmp_path: Path):
    target = tmp_path / "report.json"
    code, out, _ = _run(_options(output_format="json", output_file=str(target), color="always"))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["summary"]["warnings"] == 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"output_format": "xml"}, "--output-format 'xml'"),
    ({"fail_on": "fatal"}, "--fail-on 'fatal'"),
    ({"color": "sometimes"}, "--color 'sometimes'"),
    ({"select": ["NOPE1"]}, "unknown rule selector 'NOPE1'"),
    ({"rules_dirs": ["does/not/exist"]}, "invalid rule file: --rules does/not/exist: not a directory"),
])
def test_usage_errors_exit_2(changes, message):
    code, out, err = _run(_options(**changes))
    assert code == 2 and out == ""
    assert err.startswith("advisor: error: ") and message in err
    assert "Traceback" not in err


def test_no_inputs_exit_2():
    code, _, err = _run(_options(None))
    assert code == 2 and "no input files" in err


def test_bad_rule_file_exit_2(tmp_path: Path):
    (tmp_path / "X.yaml").write_text("code: XYZ001\nname: x\nseverity: loud\n")
    code, _, err = _run(_options(rules_dirs=[str(tmp_path)]))
    assert code == 2 and "X.yaml" in err


def test_internal_error_exit_2_traceback_only_with_debug(monkeypatch):
    import advisor.loaders.deployment as build

    def explode(inputs, host):
        raise RuntimeError("boom")

    monkeypatch.setattr(build, "build_deployment", explode)
    code, _, err = _run(_options())
    assert code == 2 and "internal error: RuntimeError: boom" in err and "Traceback" not in err
    code, _, err = _run(_options(debug=True))
    assert code == 2 and "Traceback" in err


def test_statistics_uses_the_shared_formatter():
    code, out, _ = _run(_options(statistics=True))
    assert code == 1
    assert out.splitlines() == ["1\tTMO002\tproxy-read-timeout-below-app-time",
                                "1\tTMO004\tconnect-timeout-above-75s"]


def test_ci_formats_are_routed(tmp_path: Path):
    code, out, _ = _run(_options(output_format="sarif"))
    assert code == 1 and json.loads(out)["version"] == "2.1.0"
    code, out, _ = _run(_options(output_format="github"))
    assert code == 1 and out.startswith("::warning ")
