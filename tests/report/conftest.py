"""Findings and rules shared by the output-format tests (real engine types)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine.findings import Finding, RelatedLocation
from advisor.engine.rules import parse_rule


def make_rule(code: str, name: str, severity: str = "warning", **docs: object):
    data = {
        "code": code, "name": name, "severity": severity, "scope": "diagnostic",
        "summary": f"summary of {name}", "message": "a message",
        "docs": {"what": f"What {name} checks.", "why": f"Why {name} matters.",
                 "example": "proxy_read_timeout 60s;", "instead": "proxy_read_timeout 130s;",
                 "references": ["https://nginx.org/en/docs/http/ngx_http_proxy_module.html"], **docs},
    }
    return parse_rule(data, f"rules/{code}.yaml")


@pytest.fixture
def rules():
    return [
        make_rule("TMO002", "proxy-read-timeout-below-app-time", "error"),
        make_rule("KAL001", "keepalive-race", "warning"),
        make_rule("CAP003", "backlog-hides-overload", "info"),
    ]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "nginx.conf").write_text("events {}\n")
    (tmp_path / "deploy" / "gunicorn.conf.py").write_text("timeout = 120\n")
    return tmp_path


@pytest.fixture
def findings(repo: Path):
    nginx = str(repo / "deploy" / "nginx.conf")
    gunicorn = str(repo / "deploy" / "gunicorn.conf.py")
    return [
        Finding(code="TMO002", name="proxy-read-timeout-below-app-time", severity="error",
                message="nginx gives up after 60s but gunicorn lets a request run 120s",
                fix="set proxy_read_timeout 125s", path=gunicorn, line=1, column=1,
                related=(RelatedLocation(nginx, 15, 9, "proxy_read_timeout 60s"),), scope_id="route:/"),
        Finding(code="KAL001", name="keepalive-race", severity="warning", message="keep-alive race",
                fix=None, path=nginx, line=3, column=5),
        Finding(code="CAP003", name="backlog-hides-overload", severity="info", message="backlog 2048",
                fix=None, path=gunicorn, line=None, column=None),
    ]
