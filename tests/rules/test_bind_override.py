"""A bind from a config file (or gunicorn's default) may be overridden by the command line that starts gunicorn.

When that command line is not among the inputs, an address mismatch is a warning that says so; when it is, the
mismatch is certain and an error. The pair and the triple are fixtures/rules/bind-override.
"""

from __future__ import annotations

from pathlib import Path

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.loaders.deployment import build_deployment

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "rules" / "bind-override"
RULES = load_rules()
UNLESS = " unless its command line passes --bind"


def _findings(paths: list[Path], code: str) -> list:
    deployment = build_deployment(Inputs(paths=[str(path) for path in paths]), HostFacts.build())
    return [finding for finding in run_rules(deployment, RULES, strict=True).findings if finding.code == code]


def test_config_file_alone_is_a_warning_that_names_the_command_line():
    [finding] = _findings([FIXTURE / "nginx.conf", FIXTURE / "gunicorn.conf.py"], "ADR001")
    assert finding.severity == "warning"
    assert finding.message == (
        "nginx connects to 127.0.0.1:8000 but gunicorn binds 127.0.0.1:8001: every request gets 502" + UNLESS)
    assert "is not among the inputs" in finding.explanation and "-b/--bind" in finding.explanation


def test_with_the_command_line_that_starts_gunicorn_it_is_an_error():
    [finding] = _findings([FIXTURE / "nginx.conf", FIXTURE / "gunicorn.conf.py", FIXTURE / "supervisor-shop.conf"],
                          "ADR001")
    assert finding.severity == "error"
    assert "unless" not in finding.message and "not among the inputs" not in finding.explanation


def test_a_command_line_bind_overrides_the_file(tmp_path: Path):
    (tmp_path / "Procfile").write_text("web: gunicorn -c gunicorn.conf.py -b 127.0.0.1:8000 shop.wsgi\n")
    (tmp_path / "gunicorn.conf.py").write_text((FIXTURE / "gunicorn.conf.py").read_text())
    (tmp_path / "nginx.conf").write_text((FIXTURE / "nginx.conf").read_text())
    assert _findings([tmp_path / "nginx.conf", tmp_path / "gunicorn.conf.py", tmp_path / "Procfile"], "ADR001") == []


def _loopback_case(tmp_path: Path, with_compose: bool) -> list:
    tmp_path.mkdir()
    (tmp_path / "nginx.conf").write_text("server {\n    listen 80;\n    location / {\n"
                                         "        proxy_pass http://web:8000;\n    }\n}\n")
    (tmp_path / "gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\nworkers = 2\n')
    paths = [tmp_path / "nginx.conf", tmp_path / "gunicorn.conf.py"]
    if with_compose:
        (tmp_path / "docker-compose.yml").write_text(
            "services:\n  web:\n    build: .\n    command: gunicorn -c gunicorn.conf.py shop.wsgi\n"
            "  proxy:\n    image: nginx:1.27\n    volumes:\n      - ./nginx.conf:/etc/nginx/conf.d/default.conf:ro\n")
        paths.append(tmp_path / "docker-compose.yml")
    return _findings(paths, "ADR004")


def test_loopback_bind_follows_the_same_evidence(tmp_path: Path):
    [alone] = _loopback_case(tmp_path / "alone", False)
    assert alone.severity == "warning" and UNLESS in alone.message
    [composed] = _loopback_case(tmp_path / "composed", True)
    assert composed.severity == "error" and "unless" not in composed.message
