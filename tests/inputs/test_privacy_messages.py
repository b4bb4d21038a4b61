"""Messages built from a setting's source (no structured path: `advisor model` and `advisor validate` errors, notes,
parameter sources) quote nothing when they name a file outside the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_hostile import GUNICORN, NGINX, run_advisor

from advisor import privacy

SECRET = "hunter2-sk_live_51H"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """project/ with nginx.conf including ../outside/secret.conf, which holds a secret in an invalid value."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (outside / "secret.conf").write_text(f"proxy_read_timeout {SECRET};\n")
    (project / "nginx.conf").write_text(NGINX.replace("http {", f"http {{\n    include {outside / 'secret.conf'};"))
    (project / "gunicorn.conf.py").write_text(GUNICORN)
    return project


def test_only_messages_naming_an_existing_file_outside_are_redacted(layout: Path) -> None:
    secret = layout.parent / "outside" / "secret.conf"
    with privacy.project([str(layout / "nginx.conf")]):
        assert privacy.redact_naming_outside(f'{secret}:1: invalid value "{SECRET}"') == \
            f'{secret}:1: invalid value "…" {privacy.REDACTED}'
        for kept in (f'{layout / "nginx.conf"}:3: invalid value "30x"', 'nginx.conf:3: invalid value "30x"',
                     'proxy_pass http://127.0.0.1:8000/ "x"', 'bind "unix:/run/missing/app.sock"'):
            assert privacy.redact_naming_outside(kept) == kept
        data = privacy.redact_structure({"errors": [{"message": f'({secret}:1) "{SECRET}"'}], "n": 1, "t": ("a",)})
        assert SECRET not in json.dumps(data) and data["n"] == 1 and data["t"] == ("a",)
    assert privacy.redact_naming_outside(f'{secret}:1: "{SECRET}"') == f'{secret}:1: "{SECRET}"'  # no project


@pytest.mark.parametrize("extra", [[], ["--explain"], ["--output-format", "json"]])
def test_model_quotes_nothing_from_outside(layout: Path, extra: list[str]) -> None:
    result = run_advisor("model", "nginx.conf", "gunicorn.conf.py", "--rps", "20", "--service-time", "100ms", *extra,
                         cwd=layout)
    assert result.returncode in (1, 2), result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "secret.conf:1" in result.stdout + result.stderr  # where the problem is still shows


def test_validate_quotes_nothing_from_outside(layout: Path) -> None:
    result = run_advisor("validate", "nginx.conf", "gunicorn.conf.py", "--rps", "1", "--service-time", "100ms",
                         "--duration", "1s", "--proxy", "builtin", cwd=layout)
    assert result.returncode == 2 and result.stderr.startswith("advisor: error: ")
    assert SECRET not in result.stdout + result.stderr and "secret.conf:1" in result.stderr
