"""The queueing model is solved once per distinct parameter record in a run (workload_facts.ModelMemo): every model
fact of every link, value and source, is what solving that link alone gives, on links that share an app and
timeouts and links that do not; and the run's model work is bounded: past the budget the remaining links' model
facts are unknown, their rules skip, and a notice says how many links and why."""

from __future__ import annotations

from pathlib import Path

from advisor.engine import workload_facts
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.engine.workload_facts import MODEL_FACTS, ModelMemo, model_namespace, resolve_workload
from advisor.loaders.deployment import build_deployment
from advisor.model.deployment import HostFacts
from advisor.model.inputs import Inputs

LOCATIONS = [
    "proxy_pass http://127.0.0.1:8000;",
    "proxy_pass http://127.0.0.1:8000; proxy_read_timeout 5s;",
    "proxy_pass http://127.0.0.1:8000;",
    "proxy_pass http://127.0.0.1:8000; proxy_connect_timeout 300ms;",
    "proxy_pass http://unix:/run/other.sock;",
    "proxy_pass http://unix:/run/other.sock; proxy_read_timeout 5s;",
    "proxy_pass http://127.0.0.1:8000; proxy_read_timeout 5s;",
]


def _deployment(tmp_path: Path, locations: list[str]):
    blocks = "\n".join(f"    location /l{number}/ {{ {body} }}" for number, body in enumerate(locations))
    (tmp_path / "nginx.conf").write_text(f"events {{}}\nhttp {{\n  server {{\n    listen 80;\n{blocks}\n  }}\n}}\n")
    (tmp_path / "gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\nworkers = 2\ntimeout = 30\nbacklog = 64\n')
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Procfile").write_text(
        "web: gunicorn app:app --bind unix:/run/other.sock -k gthread --threads 2 -w 3 --backlog 16\n")
    paths = [str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py"), str(tmp_path / "other" / "Procfile")]
    return build_deployment(Inputs(paths=paths), HostFacts.build(cpus=2))


def _facts(namespace) -> dict:
    return {name: namespace.setting_of(name) for name in sorted(MODEL_FACTS)}


def test_a_shared_solution_gives_every_link_the_facts_of_its_own(tmp_path: Path, monkeypatch):
    deployment = _deployment(tmp_path, LOCATIONS)
    assert len(deployment.links) == len(LOCATIONS) and len(deployment.apps) == 2
    workload = resolve_workload(300, "20ms", None)
    memo = ModelMemo()
    solves = []
    recommend = workload_facts._LinkModel._recommend
    monkeypatch.setattr(workload_facts._LinkModel, "_recommend", lambda self: solves.append(1) or recommend(self))
    shared = [_facts(model_namespace(link, deployment, workload, memo)) for link in deployment.links]
    alone = [_facts(model_namespace(link, deployment, workload, ModelMemo())) for link in deployment.links]
    assert shared == alone
    assert all(facts["p_ok"].known and facts["recommendations"].known for facts in shared)
    assert len({facts["p_ok"].value for facts in shared}) >= 3, "the links should differ in their predictions"
    # 5 distinct records among 7 links: two pairs share one (same app, same timeouts)
    assert len(solves) == 5 + len(deployment.links)


def test_past_the_budget_links_skip_and_a_notice_says_how_many_and_why(tmp_path: Path, monkeypatch):
    deployment = _deployment(tmp_path, [f"proxy_pass http://127.0.0.1:8000; proxy_read_timeout {seconds}s;"
                                        for seconds in (1, 2, 3, 1)])
    workload = resolve_workload(300, "20ms", None)
    rules = load_rules()
    unbounded = run_rules(deployment, rules, workload=workload)
    assert not [notice for notice in unbounded.notices if "queueing-model" in notice.text]
    assert not [skip for skip in unbounded.skips if "limit per run" in skip.reason]
    monkeypatch.setattr(workload_facts, "MAX_PREDICTED", 1)
    bounded = run_rules(deployment, rules, workload=workload)
    (notice,) = [notice for notice in bounded.notices if "queueing-model" in notice.text]
    assert notice.text.startswith("2 links got no queueing-model predictions: they were computed for 1 distinct "
                                  "link settings, the limit per run")
    skipped = {skip.scope_id for skip in bounded.skips if "limit per run" in skip.reason}
    assert len(skipped) == 2 and all("/l1/" in scope or "/l2/" in scope for scope in skipped)
    assert {skip.kind for skip in bounded.skips if "limit per run" in skip.reason} == {"unknown"}
    modelled = {finding.scope_id for finding in bounded.findings if finding.code in ("CAP009", "CAP010")}
    assert modelled and not modelled & skipped  # the links within the budget keep their findings
    assert modelled == {finding.scope_id for finding in unbounded.findings
                        if finding.code in ("CAP009", "CAP010")} - skipped
