"""`advisor model` on event loops: standalone uvicorn (with and without limit_concurrency) and gunicorn's
UvicornWorker are modelled (served at once; beyond the limit an immediate 503 from uvicorn), while the capacity
rules' pool arithmetic keeps refusing them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_configs import UNIX_APP, nginx_proxy_conf, only_link_scenario, write_pair
from typer.testing import CliRunner

from advisor.cli import app
from advisor.queueing.formulas import erlang_b
from advisor.queueing.params import ServiceTime
from advisor.queueing.scenario import ScenarioError

NGINX = nginx_proxy_conf(UNIX_APP, "proxy_read_timeout 150ms")
EXP50 = ServiceTime.exponential(0.05)


def _write(tmp_path: Path, command: str) -> list[str]:
    return write_pair(tmp_path, NGINX, "Procfile", f"web: {command}\n")


def _scenario(paths: list[str], **kwargs):
    return only_link_scenario(paths, 64.0, EXP50, **kwargs)


def test_standalone_uvicorn_with_a_limit_maps_to_a_loss_system_per_worker(tmp_path):
    paths = _write(tmp_path, "uvicorn app:app --uds /run/app/app.sock --workers 2 --limit-concurrency 4")
    with pytest.raises(ScenarioError, match="event loop"):  # the capacity rules and the access-log analysis
        _scenario(paths)
    scenario = _scenario(paths, event_loops=True)
    params = scenario.params
    assert (params.unbounded, params.concurrency_limit, params.workers, params.servers) == (True, 4, 2, 6)
    assert "limit_concurrency 4" in scenario.parameters["c"].meaning
    assert scenario.parameters["c"].sources[1][1].line == 1
    assert any("503 Service Unavailable" in note and "at most 3 at once" in note for note in scenario.notes)
    assert "uvicorn has no worker timeout" in scenario.parameters["Tw"].meaning


def test_model_text_names_the_503s_of_the_app_server(tmp_path):
    paths = _write(tmp_path, "uvicorn app:app --uds /run/app/app.sock --workers 2 --limit-concurrency 4")
    result = CliRunner().invoke(app, ["model", *paths, "--rps", "64", "--service-time", "50ms", "--explain"])
    assert result.exit_code == 1, result.output  # 18 % errors, far over the 0.1 % budget
    text = " ".join(result.stdout.split())
    assert "(502 + 503 + 504 + 500)" in text
    assert "503 13.7 %" in text
    assert "limit_concurrency 4" in text and "the next one gets 503" in text
    assert "nothing queues" in text
    assert "accept queue" not in text.split("what happens")[1]  # the event-loop story, not the pool's
    assert "▚ 503" in text  # the chart stacks the 503s
    share = erlang_b(3, 32 * EXP50.mean_below(0.15))
    assert f"{share * 100:.3g} %" in text


def test_model_json_has_the_503_share(tmp_path):
    paths = _write(tmp_path, "uvicorn app:app --uds /run/app/app.sock --workers 2 --limit-concurrency 4")
    result = CliRunner().invoke(app, ["model", *paths, "--rps", "64", "--service-time", "50ms",
                                      "--output-format", "json"])
    (item,) = json.loads(result.stdout)["predictions"]
    assert item["p_503"] == pytest.approx(erlang_b(3, 32 * EXP50.mean_below(0.15)))
    assert item["error_share"] == pytest.approx(1 - item["p_ok"])
    assert "recommendations" not in item and item["verdict"] == "over-budget"


def test_uvicorn_without_a_limit_and_gunicorn_uvicorn_workers_refuse_nothing(tmp_path):
    paths = _write(tmp_path, "uvicorn app:app --uds /run/app/app.sock --workers 2")
    result = CliRunner().invoke(app, ["model", *paths, "--rps", "500", "--service-time", "50ms"])
    text = " ".join(result.stdout.split())
    assert "503" not in text
    assert "no concurrency limit: every request is served at once" in text
    assert "ok 95 %" in text and "504 4.98 %" in text  # P(S > 150 ms) = e^-3, at any load
    (tmp_path / "gunicorn.conf.py").write_text(
        "bind = 'unix:/run/app/app.sock'\nworkers = 2\nworker_class = 'uvicorn_worker.UvicornWorker'\n",
        encoding="utf-8")
    result = CliRunner().invoke(app, ["model", str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py"),
                                      "--rps", "64", "--service-time", "50ms"])
    assert "2 uvicorn workers" in result.stdout and "not modelled" not in result.stdout
    assert "(502 + 504 + 500)" in result.stdout
