"""A plain command line runs without typer (advisor/cli/fast_path.py) and means exactly what it means to typer."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app, fast_path, fast_spec, handlers, spec_gen

NGINX_CONF = """\
events {}
http {
    server {
        listen 80;
        location / { proxy_pass http://127.0.0.1:8000; proxy_read_timeout 20s; }
    }
}
"""
GUNICORN_CONF = 'bind = "127.0.0.1:8000"\nworkers = 2\ntimeout = 60\n'


def test_the_spec_is_generated_from_the_current_typer_declarations():
    assert spec_gen.SPEC_FILE.read_text(encoding="utf-8") == spec_gen.render(), \
        "advisor/cli/fast_spec.py is stale: run `python -m advisor.cli.spec_gen`"
    assert fast_path.current_spec() is fast_spec.COMMANDS
    assert {"check", "model", "show"} <= set(fast_spec.COMMANDS)


def test_a_changed_typer_app_turns_the_fast_path_off(monkeypatch):
    monkeypatch.setattr(fast_spec, "SOURCE_CRC", fast_spec.SOURCE_CRC ^ 1)
    assert fast_path.current_spec() == {}
    fast_path.run(["advisor", "check", "nginx.conf"])  # returns: typer reads it


def _typer_parameters(monkeypatch, argv: list[str]) -> dict:
    """What the typer command passes to its handler for argv."""
    received: dict = {}
    spec = fast_spec.COMMANDS[argv[0]]

    def record(**values):
        received.update(values)
        return 0

    monkeypatch.setattr(handlers, spec["handler"], record)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    return received


PLAIN = [
    ["check"],
    ["check", "nginx.conf", "gunicorn.conf.py"],
    ["check", "a.conf", "--cpus", "2", "b.py", "-", "--debug"],
    ["check", "--nginx", "n.conf", "--nginx=m.conf", "--app", "-", "--app-format", "compose", "-o", "out.txt"],
    ["check", "x", "--select", "TMO,ADR", "--select", "KAL001", "--ignore", "TMO002", "--extend-select", "CAP",
     "--fail-on", "info", "--exit-zero", "--color", "never", "--explain-skips", "--show-explanation",
     "--statistics", "--rules", "r", "--rps", "12.5", "--service-time", "p50=80ms,p99=900ms", "--error-budget", "0.01",
     "--access-log", "a.log", "--log-format", "timing", "--window", "all", "--config", "c.toml", "--isolated",
     "--max-file-size", "2M", "--env", "A=1", "--env", "B=", "--somaxconn", "1024", "--nginx-version", "1.24.0",
     "--gunicorn-version", "21.2.0", "--output-format=json", "--output-file="],
    ["model", "n.conf", "g.py", "--rps", "50", "--service-time", "80ms", "--simulate", "--seed", "7",
     "--duration", "2m", "--target-utilization", ".5", "--error-budget", "5."],
    ["show", "--output-format", "json", "dir"],
    ["rules", "--rules", "extra"],
    ["rule", "TMO002", "--output-format", "json"],
    ["validate", "n.conf", "--rps", "64", "--service-time", "50ms", "--link", "2", "--time-scale", "0.5"],
]


@pytest.mark.parametrize("argv", PLAIN, ids=lambda argv: " ".join(argv)[:40])
def test_a_plain_command_line_gives_the_handler_what_typer_gives_it(monkeypatch, argv):
    fast = fast_path.parse(argv[1:], fast_spec.COMMANDS[argv[0]])
    assert fast is not None
    assert fast == _typer_parameters(monkeypatch, argv)


LEFT_TO_TYPER = [
    ["check", "--help"], ["check", "-h"], ["check", "--chek"], ["check", "--cpus", "0"], ["check", "--cpus", "two"],
    ["check", "--cpus", "+2"], ["check", "--cpus", "²"], ["check", "--rps", "1e3"], ["check", "--rps", "inf"],
    ["check", "--rps", "."], ["check", "--", "a"], ["check", "-oout.txt"], ["check", "--debug=yes"],
    ["check", "--debug", "--debug"], ["check", "--color", "never", "--color", "always"], ["check", "--config"],
    ["check", "--config", "--isolated"], ["check", "--env", "-x"], ["rule"], ["rule", "A", "B"], ["rules", "extra"],
]


@pytest.mark.parametrize("argv", LEFT_TO_TYPER, ids=lambda argv: " ".join(argv))
def test_anything_else_is_left_to_typer(argv):
    assert fast_path.parse(argv[1:], fast_spec.COMMANDS[argv[0]]) is None
    fast_path.run(["advisor", *argv])  # returns instead of exiting


@pytest.mark.parametrize("argv", [[], ["--help"], ["chek"], ["refserver", "--bind", "127.0.0.1:9"],
                                  ["--version", "check"]])
def test_commands_and_group_options_outside_the_spec_are_left_to_typer(argv):
    fast_path.run(["advisor", *argv])


def test_completion_requests_are_left_to_typer(monkeypatch):
    monkeypatch.setenv("_ADVISOR_COMPLETE", "bash_source")
    fast_path.run(["advisor", "check", "nginx.conf"])


def test_version_is_the_same_either_way(capsys):
    with pytest.raises(SystemExit) as exit_:
        fast_path.run(["advisor", "--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == CliRunner().invoke(app, ["--version"]).stdout


@pytest.mark.parametrize(("error", "code", "stderr"), [
    (KeyboardInterrupt(), 130, ""), (EOFError(), 1, "\nAborted!\n"), (BrokenPipeError(errno.EPIPE, "pipe"), 1, ""),
])
def test_interrupts_and_broken_pipes_end_as_under_typer(monkeypatch, capsys, error, code, stderr):
    def handler(**_values):
        raise error

    monkeypatch.setattr(sys, "stdout", sys.stdout)  # restored after the test (a broken pipe replaces it)
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    assert fast_path.invoke(handler, {}) == code
    assert capsys.readouterr().err == stderr


def test_other_errors_reach_the_entry_points_catch_all():
    def handler(**_values):
        raise OSError(errno.EACCES, "denied")

    with pytest.raises(OSError):
        fast_path.invoke(handler, {})


def test_check_runs_without_importing_typer_and_prints_what_typer_prints(tmp_path: Path, monkeypatch):
    (tmp_path / "nginx.conf").write_text(NGINX_CONF)
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN_CONF)
    (tmp_path / ".git").mkdir()  # no advisor config above this
    argv = ["check", "nginx.conf", "gunicorn.conf.py", "--color", "never"]
    script = ("import sys\nfrom advisor.cli import main\nsys.argv = ['advisor', *sys.argv[1:]]\n"
              "try:\n    main(leave_quickly=False)\nfinally:\n    sys.stderr.write('typer imported: %s' % ('typer' in sys.modules))\n")
    fast = subprocess.run([sys.executable, "-c", script, *argv], cwd=tmp_path, capture_output=True, text=True)
    assert fast.stderr.endswith("typer imported: False"), fast.stderr
    monkeypatch.chdir(tmp_path)
    typer_run = CliRunner().invoke(app, argv)
    assert (fast.returncode, fast.stdout) == (typer_run.exit_code, typer_run.stdout)
    assert "proxy_read_timeout" in fast.stdout  # the pair has a finding, so the report is not empty
