"""The `model` facts of a link (engine/workload_facts.py): the queueing model's numbers at --rps/--service-time,
their provenance, laziness, the skips without a workload, and `advisor check` with a workload."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.commands import check
from advisor.commands.options import CheckOptions, HostFacts, Inputs, Workload
from advisor.engine import catalog, workload_facts
from advisor.engine.expressions import FactUnavailable
from advisor.engine.facts import FactIndex
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.engine.workload_facts import (
    NO_WORKLOAD, WorkloadError, resolve_workload, workload_for_run,
)
from advisor.loaders.deployment import build_deployment
from advisor.queueing.analytic import predict
from advisor.queueing.recommend import error_share, recommend
from advisor.queueing.scenario import OVERLOAD_FACTOR, scenario_for_link

REPO = Path(__file__).resolve().parents[2]
RULES = load_rules()

UNIX_NGINX = """\
server {
    listen 80;
    location / {
        proxy_pass http://unix:/run/app.sock;
        proxy_read_timeout 10s;
    }
}
"""
SYNC_APP = """\
bind = "unix:/run/app.sock"
workers = 2
backlog = 2048
"""


def _deployment(tmp_path: Path, nginx: str = UNIX_NGINX, app: str = SYNC_APP, name: str = "gunicorn.conf.py",
                **host):
    (tmp_path / "nginx.conf").write_text(nginx)
    (tmp_path / name).write_text(app)
    inputs = Inputs(nginx=[str(tmp_path / "nginx.conf")], app=[str(tmp_path / name)])
    return build_deployment(inputs, HostFacts.build(**host))


def _model(deployment, workload):
    (instance,) = FactIndex(deployment, workload).instances("link")
    return instance.names["model"]


def test_catalog_lists_exactly_the_model_facts():
    assert catalog.MODEL_FACTS == workload_facts.MODEL_FACTS
    assert "model" in catalog.SCOPE_NAMESPACES["link"]


def test_facts_equal_predict_for_the_same_parameters(tmp_path):
    deployment = _deployment(tmp_path)
    workload = resolve_workload(30.0, "100ms", 0.001)
    model = _model(deployment, workload)
    scenario = scenario_for_link(deployment.links[0], deployment, 30.0, workload.service)
    expected = predict(scenario.params).to_dict()
    for key in ("p_ok", "p_502", "p_504", "p_504_connect", "p_500", "utilization", "rho", "drain_time_s",
                "collapse", "goodput_rps", "mean_holding_s"):
        assert getattr(model, key) == expected[key], key
    assert model.error_share == pytest.approx(error_share(predict(scenario.params)))
    assert model.p_502 > 0.3 and model.rho == pytest.approx(1.5)  # 2 workers serve 20/s; 30/s offered
    over = predict(scenario.at_rps(OVERLOAD_FACTOR * scenario.capacity_rps), latencies=False)
    assert (model.overload_rps, model.overload_p_ok) == (pytest.approx(24.0), over.p_ok)
    assert model.overload_collapse is True  # 2049 × 0.1 s / 2 = 102 s > 10 s
    assert (model.servers, model.queue_room, model.read_timeout) == (2, 2049, 10.0)
    assert (model.rps, model.service_time, model.budget) == (30.0, pytest.approx(0.1), 0.001)
    assert model.offered_concurrency == pytest.approx(3.0)


def test_recommendation_facts_follow_recommend(tmp_path):
    deployment = _deployment(tmp_path)
    workload = resolve_workload(30.0, "100ms", 0.001)
    model = _model(deployment, workload)
    scenario = scenario_for_link(deployment.links[0], deployment, 30.0, workload.service)
    items, final = recommend(scenario, error_budget=0.001)
    by_setting = {item.setting: item.recommended for item in items}
    assert model.recommended_workers == by_setting["workers"] == 5  # 3 busy slots at <= 70 %
    assert model.recommended_backlog == by_setting["backlog"] < 2048
    assert model.recommended_queue == f"backlog = {by_setting['backlog']}"
    assert model.recommended_error_share == pytest.approx(error_share(predict(final.params)))
    assert model.recommendations[0].startswith("workers = 5 (errors 100 % → ")
    only_queue = scenario.with_settings(backlog=by_setting["backlog"])
    assert model.recommended_backlog_p_ok == predict(only_queue.at_rps(model.overload_rps), latencies=False).p_ok
    assert model.recommended_backlog_p_ok > 0.5 > model.overload_p_ok


def test_sources_point_at_the_gunicorn_settings(tmp_path):
    model = _model(_deployment(tmp_path), resolve_workload(30.0, "100ms", 0.001))
    app = str(tmp_path / "gunicorn.conf.py")
    workers = model.setting_of("error_share").source
    assert (workers.position().path, workers.position().line) == (app, 2)
    queue = model.setting_of("recommended_queue").source
    assert (queue.position().path, queue.position().line) == (app, 3)
    inputs = {source.describe() for source in queue.inputs}
    assert any("nginx.conf:5" in text for text in inputs)  # proxy_read_timeout is an input too
    assert any("--rps 30 --service-time 100ms" in text for text in inputs)


def test_default_settings_point_at_the_app_config(tmp_path):
    deployment = _deployment(tmp_path, app='bind = "unix:/run/app.sock"\n')
    model = _model(deployment, resolve_workload(5.0, "100ms", 0.001))
    source = model.setting_of("recommended_queue").source.position()
    assert (Path(source.path).name, source.line) == ("gunicorn.conf.py", 1)


def test_no_workload_every_model_fact_is_absent(tmp_path):
    model = _model(_deployment(tmp_path), None)
    assert model.workload_given is False and model.modelled is False
    with pytest.raises(FactUnavailable) as missing:
        model.error_share
    assert (missing.value.kind, missing.value.reason) == ("absent", NO_WORKLOAD)


def test_event_loop_workers_skip_with_the_models_reason(tmp_path):
    app = 'bind = "unix:/run/app.sock"\nworker_class = "uvicorn_worker.UvicornWorker"\n'
    model = _model(_deployment(tmp_path, app=app), resolve_workload(30.0, "100ms", 0.001))
    assert model.workload_given is True and model.modelled is False
    assert model.offered_concurrency == pytest.approx(3.0)  # workload facts stay available
    with pytest.raises(FactUnavailable) as missing:
        model.p_ok
    assert missing.value.kind == "absent" and "event loop" in missing.value.reason


def test_unknown_values_make_the_model_facts_unknown(tmp_path):
    app = 'import multiprocessing\nbind = "unix:/run/app.sock"\nworkers = multiprocessing.cpu_count() * 2\n'
    model = _model(_deployment(tmp_path, app=app), resolve_workload(30.0, "100ms", 0.001))
    assert model.modelled is False
    with pytest.raises(FactUnavailable) as missing:
        model.error_share
    assert missing.value.kind == "unknown" and "--cpus" in missing.value.reason


def test_recommend_runs_only_when_a_rule_reads_it_and_once_per_link(tmp_path, monkeypatch):
    import advisor.queueing.recommend as recommend_module

    calls = []
    real = recommend_module.recommend

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(recommend_module, "recommend", counting)
    rules = [rule for rule in RULES if rule.code in ("CAP009", "CAP010")]
    calm = resolve_workload(1.0, "10ms", 0.001)  # nothing to report: the recommendations are never needed
    result = run_rules(_deployment(tmp_path, app=SYNC_APP.replace("2048", "16")), rules, strict=True,
                       workload=calm)
    assert result.findings == [] and calls == []
    busy = resolve_workload(30.0, "100ms", 0.001)
    result = run_rules(_deployment(tmp_path), rules, strict=True, workload=busy)
    assert sorted(finding.code for finding in result.findings) == ["CAP009", "CAP010"] and len(calls) == 1


def test_rules_skip_without_a_workload(tmp_path):
    rules = [rule for rule in RULES if rule.code in ("CAP009", "CAP010")]
    result = run_rules(_deployment(tmp_path), rules, strict=True)
    assert result.findings == []
    assert {(skip.code, skip.kind, skip.reason) for skip in result.skips} == {
        ("CAP009", "absent", NO_WORKLOAD), ("CAP010", "absent", NO_WORKLOAD)}


def test_cap003_defers_to_the_model_when_it_has_numbers(tmp_path):
    rules = [rule for rule in RULES if rule.code in ("CAP003", "CAP010")]
    without = run_rules(_deployment(tmp_path), rules, strict=True)
    assert [finding.code for finding in without.findings] == ["CAP003"]
    with_load = run_rules(_deployment(tmp_path), rules, strict=True, workload=resolve_workload(10, "100ms", 0.001))
    assert [finding.code for finding in with_load.findings] == ["CAP010"]


@pytest.mark.parametrize(("rps", "service", "budget", "problem"), [
    (30.0, None, None, "--rps needs --service-time"),
    (None, "80ms", None, "--service-time needs --rps"),
    (0.0, "80ms", None, "--rps must be a positive number"),
    (10.0, "fast", None, "--service-time 'fast'"),
    (10.0, "80ms", 1.5, "--error-budget must be a share"),
])
def test_bad_workloads_are_usage_errors(rps, service, budget, problem):
    with pytest.raises(WorkloadError) as raised:
        resolve_workload(rps, service, budget)
    assert problem in str(raised.value)


def test_no_workload_is_none_and_pair_workload_fills_the_gaps():
    class PairWorkload:
        rps, service_time = 120.0, "50ms"

    class Pair:
        workload, label = PairWorkload(), "shop"

    assert workload_for_run(Workload(), None) is None
    from_pair = workload_for_run(Workload(error_budget=0.01), Pair())
    assert (from_pair.rps, from_pair.service_time, from_pair.error_budget) == (120.0, "50ms", 0.01)
    assert "pair shop" in from_pair.origin
    command_line_wins = workload_for_run(Workload(rps=30.0, service_time="80ms"), Pair())
    assert (command_line_wins.rps, command_line_wins.service_time) == (30.0, "80ms")
    assert command_line_wins.origin == "--rps 30 --service-time 80ms"


# -- advisor check --------------------------------------------------------------------------------------------------


def _check(monkeypatch, *paths: str, **workload) -> tuple[int, str, str]:
    monkeypatch.chdir(REPO)
    options = CheckOptions(inputs=Inputs(paths=list(paths)), host=HostFacts.build(cpus=2),
                           workload=Workload(**workload), output_format="concise", isolated=True, explain_skips=True)
    out, err = io.StringIO(), io.StringIO()
    code = check.run(options, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


DEMO = ("fixtures/demo/nginx.conf", "fixtures/demo/gunicorn.conf.py")


def test_check_demo_with_a_workload_reports_the_predicted_numbers(monkeypatch):
    code, out, err = _check(monkeypatch, *DEMO, rps=210.0, service_time="100ms")
    assert code == 1 and err == ""
    budget = [line for line in out.splitlines() if " CAP009 " in line]
    assert len(budget) == 2  # both routes reach the same gunicorn
    assert budget[0].startswith("fixtures/demo/gunicorn.conf.py:5:1: CAP009 [warning] at 210 requests/s")
    assert "predicts 100 % failed requests for location /, above the 0.1 % budget" in budget[0]
    (collapse,) = [line for line in out.splitlines() if " CAP010 " in line]
    assert "a full queue (7029 requests) drains in 35.1 s" in collapse and "proxy_read_timeout 20s" in collapse
    assert " CAP003 " not in out  # the model's numbers replace the S = 100 ms estimate


def test_check_demo_full_output_has_the_recommendations(monkeypatch):
    monkeypatch.chdir(REPO)
    options = CheckOptions(inputs=Inputs(paths=list(DEMO)), host=HostFacts.build(cpus=2), isolated=True,
                           workload=Workload(rps=210.0, service_time="100ms"), select=["CAP009", "CAP010"])
    out = io.StringIO()
    assert check.run(options, stdout=out, stderr=io.StringIO()) == 1
    text = out.getvalue()
    assert "fix: proxy_connect_timeout 500ms (a full accept queue then fails fast" in text
    # eight workers alone still leave per-worker queues behind busy threads; worker_connections = threads removes them
    assert "workers = 8 (errors 65 % → 39.5 %); worker_connections = 8 (errors 39.5 % → 0 %)" in text
    assert "fix: set worker_connections = 8: ok 83.3 % instead of 0 % at 1.2× capacity" in text


def test_check_without_a_workload_skips_the_model_rules(monkeypatch):
    code, out, err = _check(monkeypatch, *DEMO)
    findings = [line for line in out.splitlines() if re.match(r"^\S+:\d+:\d+: [A-Z]{3}\d{3} ", line)]
    assert not [line for line in findings if " CAP009 " in line or " CAP010 " in line]
    assert [line for line in findings if " CAP003 " in line]
    assert "CAP009 fixtures/demo/nginx.conf:23 location / -> fixtures/demo/gunicorn.conf.py: [absent] " \
           f"model.error_share: {NO_WORKLOAD}" in out


def test_check_with_half_a_workload_is_a_usage_error(monkeypatch):
    code, out, err = _check(monkeypatch, *DEMO, rps=210.0)
    assert code == 2 and out == ""
    assert err.startswith("advisor: error: --rps needs --service-time")


def test_check_takes_the_workload_of_a_configured_pair(monkeypatch, tmp_path):
    (tmp_path / "nginx.conf").write_text(UNIX_NGINX)
    (tmp_path / "gunicorn.conf.py").write_text(SYNC_APP)
    (tmp_path / ".advisor.toml").write_text(
        '[[pairs]]\nnginx = ["nginx.conf"]\napp = ["gunicorn.conf.py"]\nworkload = {rps = 30, service-time = '
        '"100ms"}\n')
    monkeypatch.chdir(tmp_path)
    options = CheckOptions(inputs=Inputs(), host=HostFacts.build(), output_format="concise")
    out = io.StringIO()
    check.run(options, stdout=out, stderr=io.StringIO())
    assert "CAP009 [warning] at 30 requests/s" in out.getvalue()


def test_plain_check_does_not_import_the_queueing_model():
    script = ("import io, sys; from advisor.commands import check; "
              "from advisor.commands.options import CheckOptions, HostFacts, Inputs; "
              "check.run(CheckOptions(inputs=Inputs(paths=['fixtures/demo/nginx.conf', "
              "'fixtures/demo/gunicorn.conf.py']), host=HostFacts.build(), isolated=True), stdout=io.StringIO()); "
              "print(sorted(name for name in sys.modules if name.startswith('advisor.queueing')))")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "[]"
