"""The fact registry (advisor/engine/fact_registry.py): one declaration per fact generates the namespaces, the
catalog rule files are checked against, and the facts section of rules/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine import catalog, fact_registry
from advisor.engine.fact_docs import BEGIN, END, render_facts_section, replace_section
from advisor.engine.fact_registry import FACTS, Fact, FactContext, fact_names
from advisor.engine.facts import FactIndex
from advisor.loaders.deployment import build_deployment
from advisor.model.deployment import HostFacts, Setting, Source
from advisor.model.inputs import Inputs

REPO = Path(__file__).resolve().parents[2]

NGINX = """\
events {}
http {
    upstream app { server 127.0.0.1:8000 max_fails=2 fail_timeout=5s; keepalive 8; }
    server {
        listen 80;
        location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
        location /direct/ { proxy_pass http://127.0.0.1:8000; proxy_read_timeout 20s; }
    }
}
"""
GUNICORN = 'bind = "127.0.0.1:8000"\nworkers = 3\nthreads = 2\ntimeout = 60\nweb_concurrency = 3\n'


@pytest.fixture()
def index(tmp_path):
    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN)
    inputs = Inputs(paths=[str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py")])
    deployment = build_deployment(inputs, HostFacts.build(cpus=2))
    assert deployment.links, "the fixture pair must link"
    return FactIndex(deployment)


def _derived_names(namespace, settings: dict) -> set[str]:
    """The facts a namespace holds beyond the model object's own settings, once every declared one was read."""
    for name in fact_names(namespace._name):
        namespace.setting_of(name)
    return (set(namespace._facts) | set(namespace._lazy or ())) - set(settings)


def test_every_built_fact_is_declared_and_every_declared_one_is_built(index):
    deployment = index.deployment
    seen: dict[str, set[str]] = {}
    for scope in catalog.SCOPES:
        for instance in index.instances(scope):
            for name, namespace in instance.names.items():
                settings = {"app": deployment.apps[0].settings, "nginx": deployment.nginx.settings,
                            "upstream": next(iter(deployment.upstreams.values())).settings}.get(name, {})
                seen.setdefault(name, set()).update(_derived_names(namespace, settings))
    for name, facts in seen.items():
        assert facts <= fact_names(name), (name, sorted(facts - fact_names(name)))
    # Derived facts the fixture has (everything but facts that need something it lacks) are built.
    for namespace in ("route", "upstream", "app", "link", "nginx", "host", "deployment", "unknown_setting"):
        derivable = {fact.name for fact in fact_registry.FACTS_BY_NAMESPACE[namespace] if fact.derive is not None}
        assert derivable - seen[namespace] <= {"link_target"}, (namespace, sorted(derivable - seen[namespace]))


def test_derived_values_keep_their_provenance(index):
    route = next(instance for instance in index.instances("link") if instance.names["route"].location == "/direct/")
    assert route.names["route"].read_timeout == 20.0
    assert route.names["route"].setting_of("read_timeout").source.line == 7
    assert route.names["upstream"].explicit is False and route.names["upstream"].server_count == 1
    app = route.names["app"]
    assert app.effective_worker_class == "gthread" and app.concurrency == 6
    assert index.instances("upstream")[0].names["upstream"].failure_counted_servers == 1
    assert index.instances("unknown_setting")[0].names["unknown_setting"].worker_count is True


def test_a_new_declaration_is_derived_once_on_first_read(monkeypatch, index):
    calls = []

    def count(c: FactContext) -> Setting:
        calls.append(c.app.id)
        return Setting(c["concurrency"].value * 10, Source.derived("ten times the concurrency"))

    def never(c: FactContext) -> None:
        calls.append("never")
        return None

    extra = (Fact("app", "ten_times", "int", "test fact", count),
             Fact("app", "never", "int", "absent fact", never),
             Fact("app", "workers", "int", "a derivation without a value falls back to the setting", never))
    monkeypatch.setitem(fact_registry.FACTS_BY_NAMESPACE, "app",
                        fact_registry.FACTS_BY_NAMESPACE["app"] + extra)
    app = index.deployment.apps[0]
    context = FactContext(index.deployment, "app", app.settings, app=app, index=index)
    assert context.facts == {} and calls == []
    assert context.resolve("ten_times").value == 60 and context["ten_times"].value == 60
    assert calls == [app.id] and "concurrency" in context.facts  # read through c["concurrency"], kept
    assert context.resolve("never") is None and context.resolve("never") is None and calls.count("never") == 1
    with pytest.raises(KeyError):
        context["never"]
    assert context["workers"] is app.settings["workers"]  # the object's own setting, not a copy


def test_model_groups_come_from_the_registry():
    from advisor.engine import workload_facts

    assert workload_facts.PREDICTION_FACTS == fact_names("model", "prediction")
    assert workload_facts.MODEL_FACTS == catalog.MODEL_FACTS == fact_names("model")


def test_the_readme_facts_section_is_current():
    text = (REPO / "rules" / "README.md").read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    assert replace_section(text) == text, "run python scripts/gen_fact_docs.py"
    section = render_facts_section()
    assert all(f"`{fact.name}`" in section for fact in FACTS)


def test_replace_section_needs_the_markers():
    with pytest.raises(ValueError):
        replace_section("# no markers\n")


def test_a_finished_run_leaves_nothing_that_keeps_the_deployment_alive(tmp_path):
    """`advisor check` runs with the cyclic collector off: a reference cycle from the rule evaluator through lazy
    facts to the deployment would outlive the run and cost a full collection at the end."""
    import gc

    from advisor.engine.rules import load_rules
    from advisor.engine.run import run_rules

    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN)
    inputs = Inputs(paths=[str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py")])
    rules = load_rules()
    gc.collect()
    gc.disable()
    try:
        deployment = build_deployment(inputs, HostFacts.build(cpus=2))
        marker = deployment.routes[0]
        result = run_rules(deployment, rules)
        del deployment
        referrers = [item for item in gc.get_referrers(marker) if type(item).__name__ == "list"
                     and any(type(entry).__name__ == "Route" for entry in item)]
    finally:
        gc.enable()
    assert result.rules_run and referrers == []
