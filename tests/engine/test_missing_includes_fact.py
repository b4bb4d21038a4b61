"""`deployment.missing_includes` counts every nginx include that was not read (ADV002), whatever its severity: a
missing include is an info note, but the routes it may hold were not seen, so ADR009 ("this nginx passes no
request to any backend") must stay silent."""

from __future__ import annotations

from pathlib import Path

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.facts import FactIndex
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.loaders.deployment import build_deployment

RULES = load_rules()
STATIC_SITE = "server {\n    listen 80;\n    location /media/ {\n        alias /srv/media/;\n    }\n%s}\n"


def _deployment(tmp_path: Path, include: str):
    (tmp_path / "nginx.conf").write_text(STATIC_SITE % include)
    (tmp_path / "gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\n')
    inputs = Inputs(nginx=[str(tmp_path / "nginx.conf")], app=[str(tmp_path / "gunicorn.conf.py")])
    return build_deployment(inputs, HostFacts.build())


def _codes(deployment) -> list[str]:
    return [finding.code for finding in run_rules(deployment, RULES, strict=True).findings]


def test_an_info_level_missing_include_counts_and_keeps_adr009_silent(tmp_path: Path):
    deployment = _deployment(tmp_path, "    include /etc/nginx/snippets/app-location.conf;\n")
    [missing] = [item for item in deployment.diagnostics if item.code == "ADV002"]
    assert missing.severity == "info"
    facts = FactIndex(deployment).instances("deployment")[0].names["deployment"]
    assert facts.missing_includes == 1
    assert "ADR009" not in _codes(deployment)


def test_without_includes_the_static_site_is_reported(tmp_path: Path):
    assert "ADR009" in _codes(_deployment(tmp_path, ""))
