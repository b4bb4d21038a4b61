"""Inputs people try first: `-h`, a directory, standard input (`-`), and durations with their units."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from small_configs import gunicorn_tcp_conf, nginx_proxy_conf
from typer.testing import CliRunner

from advisor.cli import app

NGINX_CONF = nginx_proxy_conf("http://app_server", "proxy_read_timeout 20s", upstream="app_server")
GUNICORN_CONF = gunicorn_tcp_conf(workers=3)


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "nginx.conf").write_text(NGINX_CONF)
    (tmp_path / "deploy" / "gunicorn.conf.py").write_text(GUNICORN_CONF)
    (tmp_path / ".git").mkdir()  # no advisor config above this
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch) -> Path:
    """Where standard input's temporary file goes, to see that it is removed afterwards."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


@pytest.mark.parametrize("command", [[], ["check"], ["show"], ["model"], ["validate"], ["rules"], ["rule"],
                                     ["refserver"]])
def test_dash_h_is_help_for_every_command(command):
    short, long = invoke(*command, "-h"), invoke(*command, "--help")
    assert short.exit_code == 0, short.output
    assert short.stdout == long.stdout and "Usage: " in short.stdout


# -- durations --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["check"], ["model"], ["validate", "--rps", "10"]])
def test_bare_number_service_time_is_an_error_with_a_hint(project, command):
    result = invoke(*command, "deploy/nginx.conf", "deploy/gunicorn.conf.py", "--rps", "10", "--service-time", "100")
    assert result.exit_code == 2
    assert "--service-time: '100' has no unit: did you mean 100ms or 100s?" in result.stderr


def test_bare_number_inside_a_quantile_spec_and_below_one(project):
    result = invoke("model", "deploy/nginx.conf", "deploy/gunicorn.conf.py", "--rps", "10",
                    "--service-time", "p50=40ms,p99=0.4")
    assert result.exit_code == 2 and "'0.4' has no unit: did you mean 0.4s (400ms)?" in result.stderr


@pytest.mark.parametrize(("duration", "seconds"), [("5s", 5.0), ("1m5s", 65.0), ("3", 3.0), ("2500ms", 2.5)])
def test_model_duration_takes_the_duration_syntax(project, duration, seconds):
    result = invoke("model", "deploy/nginx.conf", "deploy/gunicorn.conf.py", "--rps", "20", "--service-time",
                    "50ms", "--simulate", "--duration", duration, "--output-format", "json")
    assert result.exit_code in (0, 1), result.output
    [prediction] = json.loads(result.stdout)["predictions"]
    assert prediction["simulation"]["duration_s"] == pytest.approx(seconds)


def test_bad_duration_is_a_usage_error(project):
    result = invoke("model", "deploy/nginx.conf", "deploy/gunicorn.conf.py", "--rps", "20", "--service-time",
                    "50ms", "--simulate", "--duration", "soon")
    assert result.exit_code == 2 and "--duration: cannot read 'soon' as a duration" in result.stderr


# -- directories ------------------------------------------------------------------------------------------------------

def test_check_directory_reports_what_it_picked_and_checks_the_pair(project):
    result = invoke("check", "deploy", "--output-format", "json")
    assert result.exit_code == 1, result.output
    assert ("advisor: checking deploy: nginx: deploy/nginx.conf; app server: deploy/gunicorn.conf.py (gunicorn)"
            in result.stderr)
    codes = {finding["code"] for finding in json.loads(result.stdout)["findings"]}
    assert "TMO002" in codes  # proxy_read_timeout 20s < timeout 60: found across the two discovered files


def test_show_and_model_take_a_directory(project):
    shown = invoke("show", "deploy")
    assert shown.exit_code == 0 and "deploy/gunicorn.conf.py" in shown.stdout
    modelled = invoke("model", "deploy", "--rps", "20", "--service-time", "50ms")
    assert modelled.exit_code in (0, 1), modelled.output
    assert "advisor: checking deploy:" in modelled.stderr


def test_directory_with_nothing_to_check_is_a_usage_error(project):
    (project / "empty").mkdir()
    result = invoke("check", "empty")
    assert result.exit_code == 2
    assert "found no nginx config or app server settings in empty" in result.stderr


# -- standard input ---------------------------------------------------------------------------------------------------

def test_nginx_from_stdin_is_reported_as_stdin(project, private_tmp):
    result = invoke("check", "-", "deploy/gunicorn.conf.py", "--output-format", "json", stdin=NGINX_CONF)
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    tmo002 = next(finding for finding in findings if finding["code"] == "TMO002")
    assert tmo002["path"] == "<stdin>" or any(place["path"] == "<stdin>" for place in tmo002["related"])
    assert "advisor-stdin" not in result.stdout
    assert list(private_tmp.iterdir()) == []  # the temporary copy is gone


@pytest.mark.parametrize("option", ["--nginx", "--app"])
def test_explicit_side_from_stdin(project, private_tmp, option):
    if option == "--nginx":
        args, text, other = ["--nginx", "-", "--app", "deploy/gunicorn.conf.py"], NGINX_CONF, "deploy/gunicorn.conf.py"
    else:
        args, text, other = ["--nginx", "deploy/nginx.conf", "--app", "-"], GUNICORN_CONF, "deploy/nginx.conf"
    result = invoke("check", *args, "--output-format", "concise", stdin=text)
    assert result.exit_code == 1, result.output
    assert "<stdin>:" in result.stdout and other in result.stdout
    assert "TMO002" in result.stdout
    assert list(private_tmp.iterdir()) == []


def test_stdin_report_written_to_a_file_names_stdin(project, private_tmp):
    result = invoke("check", "--app", "-", "deploy/nginx.conf", "--output-format", "json", "-o", "report.json",
                    stdin=GUNICORN_CONF)
    assert result.exit_code == 1, result.output
    report = (project / "report.json").read_text()
    assert "<stdin>" in report and "advisor-stdin" not in report


def test_show_reads_stdin(project, private_tmp):
    result = invoke("show", "deploy/nginx.conf", "-", stdin=GUNICORN_CONF)
    assert result.exit_code == 0, result.output
    assert "<stdin>" in result.stdout and "advisor-stdin" not in result.stdout


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["check", "-", "--app", "-"], GUNICORN_CONF, "standard input (-) can be given once"),
    (["check", "-", "deploy/gunicorn.conf.py"], "  \n", "standard input (-) is empty"),
])
def test_stdin_usage_errors(project, private_tmp, args, stdin, message):
    result = invoke(*args, stdin=stdin)
    assert result.exit_code == 2
    assert message in result.stderr
