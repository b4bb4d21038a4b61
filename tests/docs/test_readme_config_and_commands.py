"""The README works as written: its `.advisor.toml` example parses without warnings, and the `advisor` commands in
its shell and CI snippets run (exit 0 or 1, never a usage error) on a small pair laid out as the README assumes."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest
from small_configs import gunicorn_tcp_conf, nginx_proxy_conf
from typer.testing import CliRunner

from advisor.cli import app
from advisor.project_config import load_project_config

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
# Commands that start servers and load (the validation section) are exercised by tests/validation.
NOT_RUN_HERE = ("advisor validate", "advisor refserver")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(), re.S | re.M)


def _config_example() -> str:
    [example] = [block for block in _blocks("toml") if block.startswith("# .advisor.toml")]
    return example


def _custom_rule_yaml() -> str:
    match = re.search(r"# ci/advisor-rules/ORG001\.yaml\n(.*?)```", README.read_text(), re.S)
    assert match, "README lost its custom rule example"
    return match.group(1)


def _commands() -> list[str]:
    """Every `advisor ...` command in the README's sh and CI (yaml) blocks, continuation lines joined."""
    commands: list[str] = []
    for block in _blocks("sh") + _blocks("yaml"):
        for line in block.replace("\\\n", " ").splitlines():
            match = re.search(r"(?:^|&&\s*|^- run:\s*|^-\s+)(advisor\s+[a-z].*)$", line.strip())
            if match:
                commands.append(match.group(1).strip())
    return commands


NGINX_CONF = nginx_proxy_conf("http://app", "proxy_read_timeout 30s", upstream="app")
GUNICORN_CONF = gunicorn_tcp_conf(workers=4)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A scratch project laid out as the README's examples assume: deploy/ with a pair, ci/advisor-rules, and the
    repository's fixtures/."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "nginx.conf").write_text(NGINX_CONF)
    (tmp_path / "deploy" / "gunicorn.conf.py").write_text(GUNICORN_CONF)
    (tmp_path / "nginx.conf").write_text(NGINX_CONF)  # `advisor check nginx.conf gunicorn.conf.py`
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN_CONF)
    (tmp_path / "ci" / "advisor-rules").mkdir(parents=True)
    (tmp_path / "ci" / "advisor-rules" / "ORG001.yaml").write_text(_custom_rule_yaml())
    (tmp_path / "fixtures").symlink_to(REPO / "fixtures")
    (tmp_path / ".git").mkdir()  # the config search stops here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_config_example_parses_without_warnings(project: Path):
    (project / ".advisor.toml").write_text(_config_example())
    config = load_project_config(project)
    assert config is not None
    assert [str(warning) for warning in config.warnings] == []
    assert config.ignore == ("TMO005",) and config.host.cpus.value == 4 and config.fail_on == "warning"
    assert dict(config.host.env) == {"PORT": "8000"} and config.severity == {"TMO001": "info"}
    [pair] = config.pairs
    assert pair.name == "web" and pair.workload is not None and pair.workload.rps == 200
    assert [Path(p).relative_to(project).as_posix() for p in pair.files] == [
        "deploy/nginx.conf", "deploy/gunicorn.conf.py"]


def test_readme_config_example_drives_check_without_file_arguments(project: Path):
    (project / ".advisor.toml").write_text(_config_example())
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code in (0, 1), result.output
    assert "warning:" not in result.stderr


def test_readme_shows_commands():
    commands = _commands()
    assert any(command.startswith("advisor check fixtures/demo/") for command in commands)
    assert any(command.startswith("advisor model") for command in commands)


@pytest.mark.parametrize("command", [c for c in _commands() if not c.startswith(NOT_RUN_HERE)])
def test_readme_command_runs(project: Path, command: str):
    args = shlex.split(command, comments=True)[1:]
    if "..." in args:  # `advisor model ... --simulate`: the files and options of the first full command above
        shown = next(shlex.split(other, comments=True)[2:] for other in _commands()
                     if other.split()[1] == args[0] and "..." not in other)
        position = args.index("...")
        args[position:position + 1] = shown
    if "--plot" in args and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("--plot needs matplotlib (the plot extra)")
    if "--simulate" in args:
        args += ["--duration", "5s"]  # the simulator's default 60 s per run is slow for a docs test
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), f"{command}\n{result.output}"
    assert "cannot read" not in result.output, f"{command}: a file it names is missing\n{result.output}"
