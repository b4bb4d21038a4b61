"""`advisor model` end to end through the typer app: numbers, JSON shape, exit codes, narrative, --simulate."""

from __future__ import annotations

import json
import sys

import pytest
from model_cmd_helpers import write_pair
from typer.testing import CliRunner

from advisor.cli import app
from advisor.queueing.analytic import predict
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.queueing.simulate import simulate

UNIX = "fixtures/pairs/unix-socket-good"
TCP = "fixtures/pairs/tcp-good"
COMPOSE = "fixtures/pairs/compose-service"


def invoke(*args: str):
    return CliRunner().invoke(app, ["model", *args])


def pair(directory: str) -> list[str]:
    return [f"{directory}/nginx.conf", f"{directory}/gunicorn.conf.py"]


def model_json(*args: str) -> tuple[int, dict]:
    result = invoke(*args, "--output-format", "json")
    return result.exit_code, json.loads(result.stdout)


# unix-socket-good: 5 sync workers, backlog 64, timeout 30 s, proxy_read_timeout 40 s, proxy_connect_timeout 1 s
UNIX_PARAMS = QueueParams.from_backlog(5, 64, 4096, arrival_rate=45.0, service=ServiceTime.exponential(0.1),
                                       read_timeout_s=40.0, connect_timeout_s=1.0, worker_timeout_s=30.0,
                                       socket="unix", worker_timeout_status=500)


def test_json_numbers_are_the_formulas_for_the_same_parameters():
    code, data = model_json(*pair(UNIX), "--rps", "45", "--service-time", "100ms")
    (item,) = data["predictions"]
    expected = predict(UNIX_PARAMS)
    for key, value in expected.to_dict().items():
        if isinstance(value, float):
            assert item[key] == pytest.approx(value, rel=1e-9, abs=1e-15), key
        else:
            assert item[key] == value, key
    assert item["error_share"] == pytest.approx(expected.p_502 + expected.p_504 + expected.p_504_connect
                                                + expected.p_500, abs=1e-15)
    assert code == (1 if item["error_share"] > 0.001 else 0)


def test_json_shape_and_parameter_sources():
    code, data = model_json(*pair(UNIX), "--rps", "45", "--service-time", "100ms")
    assert set(data) == {"workload", "predictions", "recommendations", "errors", "plot"}
    assert data["workload"]["rps"] == 45 and data["workload"]["service_time"]["mean_s"] == 0.1
    (item,) = data["predictions"]
    assert set(predict(UNIX_PARAMS).to_dict()) <= set(item)  # the outcome record flattened to its shares
    for key in ("link", "offered_rps", "utilization", "p_ok", "p_502", "p_504", "p_500", "latency_p50_s",
                "latency_p99_s", "max_throughput_rps", "queue_capacity", "drain_time_s", "parameters", "verdict",
                "notes", "narrative", "load_curve", "model_source"):
        assert key in item, key
    assert item["model_source"] == "analytic" and item["verdict"] in ("within-budget", "over-budget")
    params = item["parameters"]
    assert set(params) >= {"c", "Q", "K", "lambda", "S", "T", "Tc", "Tw", "socket", "worker_timeout_status"}
    assert params["c"] == {"value": 5, "source": f"{UNIX}/gunicorn.conf.py:2", "meaning": "sync workers (5)",
                           "provenance": {"workers": {"kind": "file", "path": f"{UNIX}/gunicorn.conf.py", "line": 2,
                                                      "column": 1}}}
    assert params["T"]["value"] == 40.0 and params["T"]["source"] == f"{UNIX}/nginx.conf:31"
    assert params["Q"]["value"] == 65 and params["K"]["value"] == 70
    # at 45/s the formulas say 4.5 busy workers of 5: more workers are recommended, with the gunicorn line
    (rec,) = [r for r in data["recommendations"] if r["setting"] == "workers"]
    assert set(rec) >= {"link", "setting", "current", "recommended", "where", "line", "predicted"}
    assert rec["current"] == 5 and rec["where"] == f"{UNIX}/gunicorn.conf.py:2" and rec["line"].startswith("workers")
    assert rec["predicted"]["utilization"] < 0.7
    # the load axis runs to twice the larger capacity (c / S: 5 / 0.1 s now, recommended workers / 0.1 s)
    for name in ("current", "recommended"):
        curve = item["load_curve"][name]
        assert curve[0]["offered_rps"] == 0
        assert curve[-1]["offered_rps"] == pytest.approx(2 * max(50.0, rec["recommended"] / 0.1))
        for point in curve:
            assert point["p_ok"] + point["p_500"] + point["p_502"] + point["p_504"] == pytest.approx(1.0, abs=1e-9)


def test_exit_code_follows_the_error_budget():
    # compose-service: 3 sync workers, backlog 64, at 30/s and 100 ms (rho = 1): errors of the formulas
    expected = predict(QueueParams.from_backlog(3, 64, 4096, arrival_rate=30.0, service=ServiceTime.exponential(0.1),
                                                read_timeout_s=45.0, connect_timeout_s=0.5, worker_timeout_s=30.0,
                                                socket="tcp"))
    errors = 1.0 - expected.p_ok
    assert 0.001 < errors < 0.5
    over = invoke(*pair(COMPOSE), "--rps", "30", "--service-time", "100ms")
    assert over.exit_code == 1 and "OVER BUDGET" in over.stdout
    within = invoke(*pair(COMPOSE), "--rps", "30", "--service-time", "100ms", "--error-budget", "0.5")
    assert within.exit_code == 0 and "within budget" in within.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rps", "10", "--service-time", "80xs"], "--service-time: cannot read '80xs'"),
        (["--rps", "10", "--service-time", "p50=80ms"], "needs both p50 and p99"),
        (["--service-time", "80ms"], "--rps is required"),
        (["--rps", "10"], "--service-time is required"),
        (["--rps", "-3", "--service-time", "80ms"], "--rps must be a positive"),
        (["--rps", "10", "--service-time", "80ms", "--error-budget", "2"], "--error-budget"),
        (["--rps", "10", "--service-time", "80ms", "--plot", "out.jpg"], "must end in .png or .svg"),
        (["--rps", "10", "--service-time", "80ms", "--output-format", "xml"], "unknown output format"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = invoke(*pair(TCP), *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_unknown_value_exits_2_naming_the_option():
    result = invoke(*pair("fixtures/demo"), "--rps", "100", "--service-time", "100ms")
    assert result.exit_code == 2
    assert "fixtures/demo/gunicorn.conf.py:5: cannot model" in result.stderr
    assert "`workers` is unknown" in result.stderr and "--cpus N" in result.stderr


def test_no_link_exits_2_with_the_reason():
    result = invoke(f"{TCP}/nginx.conf", f"{UNIX}/gunicorn.conf.py", "--rps", "10", "--service-time", "80ms")
    assert result.exit_code == 2
    assert "no nginx route reaches an app server" in result.stderr and "socket-kind-mismatch" in result.stderr


def test_explained_text_lists_parameters_verdict_recommendations_and_chart():
    result = invoke(*pair("fixtures/demo"), "--rps", "150", "--service-time", "100ms", "--cpus", "2", "--explain")
    # 75 % load on 5 gthread workers that queue inside themselves: over budget (per-worker queues, biased split)
    assert result.exit_code == 1, result.stderr
    out = result.stdout
    for expected in ("== fixtures/demo/nginx.conf:23 location / -> fixtures/demo/gunicorn.conf.py",
                     "<- fixtures/demo/nginx.conf:30", "verdict    OVER BUDGET",
                     "proxy_connect_timeout 500ms;", "workers = 6",
                     # after `workers = 6`: threads 4 + room for nginx's 2 x 16 idle keep-alive connections / 6
                     "worker_connections = 10",
                     "what happens if all workers are busy and a request comes in?",
                     "current settings (capacity 200 requests/s)", "summary: 2 link(s) modelled, 1 over the error "
                     "budget"):
        assert expected in out, expected
    assert "\x1b[" not in out  # not a terminal: no colour
    chart_rows = [line for line in out.splitlines() if line.startswith(("  100%|", "    0%|"))]
    assert len(chart_rows) == 2 * 2 * 2  # 2 links x (current, recommended) x (top, bottom row)
    assert all(len(row.split("|", 1)[1]) == 41 for row in chart_rows)
    coloured = invoke(*pair("fixtures/demo"), "--rps", "150", "--service-time", "100ms", "--cpus", "2",
                      "--color", "always", "--explain")
    assert "\x1b[32m" in coloured.stdout


def test_narrative_unix_socket_says_eagain_502():
    code, data = model_json(*pair(UNIX), "--rps", "45", "--service-time", "100ms")
    text = "\n".join(data["predictions"][0]["narrative"])
    assert ("connect() to unix:/run/gunicorn/app.sock failed (11: Resource temporarily unavailable) while "
            "connecting to upstream") in text
    assert "immediate 502" in text
    assert f"proxy_read_timeout 40s ({UNIX}/nginx.conf:31)" in text


def test_narrative_tcp_says_syn_drop_and_connect_timeout_504():
    code, data = model_json(*pair(TCP), "--rps", "30", "--service-time", "100ms")
    text = "\n".join(data["predictions"][0]["narrative"])
    assert "silently drops nginx's SYN" in text
    assert "upstream timed out (110: Connection timed out) while connecting to upstream" in text
    assert f"proxy_connect_timeout 500ms ({TCP}/nginx.conf:16) fires before the first retry" in text
    assert "504 after 500 ms" in text


def test_simulate_reports_the_simulator_and_checks_the_formulas_against_its_band():
    code, data = model_json(*pair(TCP), "--rps", "30", "--service-time", "100ms", "--simulate", "--duration", "20",
                            "--seed", "3")
    (item,) = data["predictions"]
    assert item["model_source"] == "simulation"
    sim = item["simulation"]
    params = QueueParams.from_backlog(4, 64, 4096, arrival_rate=30.0, service=ServiceTime.exponential(0.1),
                                      read_timeout_s=45.0, connect_timeout_s=0.5, worker_timeout_s=30.0,
                                      socket="tcp")
    again = simulate(params, horizon_s=sim["warmup_s"] + 20, warmup_s=sim["warmup_s"], seed=3)
    for key in ("p_ok", "p_502", "p_504", "p_504_connect", "utilization", "latency_p99_s"):
        assert item[key] == getattr(again, key), key
    assert item["analytic"]["p_ok"] == pytest.approx(predict(params).p_ok, rel=1e-12)
    listed = {difference["key"] for difference in sim["differences"]}
    arrivals = sim["counts"]["arrivals"]
    for key, (lo, hi) in sim["band"].items():
        analytic = item["analytic"].get(key)
        if analytic is None or key not in ("p_ok", "p_502", "p_504", "p_504_connect", "p_500", "utilization"):
            continue
        slack = 1.0 / arrivals if key.startswith("p_") else 1e-3 * max(abs(analytic), 1e-3)
        outside = analytic < lo - slack or analytic > hi + slack
        assert outside == (key in listed), key
    assert code == (1 if item["error_share"] > 0.001 else 0)


def test_plot_writes_a_png_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "model.png"
    result = invoke(*pair(UNIX), "--rps", "45", "--service-time", "100ms", "--plot", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot written to {target}" in result.stdout


def test_plot_without_matplotlib_explains_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    result = invoke(*pair(UNIX), "--rps", "45", "--service-time", "100ms", "--plot", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert "pip install 'proxy-advisor[plot]'" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_sync_timeout_recommendation_in_output(tmp_path):
    directory = write_pair(tmp_path, "workers = 2\nbind = 'unix:/run/app/app.sock'\nbacklog = 8\ntimeout = 120\n",
                           "            proxy_read_timeout 60s;\n")
    result = invoke(*pair(str(directory)), "--rps", "5", "--service-time", "100ms")
    assert result.exit_code == 0, result.stderr
    words = " ".join(result.stdout.split())  # long temporary paths wrap
    assert f"`timeout = 58` (now 120 s) at {directory}/gunicorn.conf.py:4" in words


def test_gevent_pool_with_thousands_of_greenlets(tmp_path):
    """2 workers x worker_connections 1000 (default): Erlang B underflows to 0 at this load; nothing is refused."""
    directory = write_pair(tmp_path, "workers = 2\nbind = 'unix:/run/app/app.sock'\nworker_class = 'gevent'\n", "")
    code, data = model_json(*pair(str(directory)), "--rps", "10", "--service-time", "80ms")
    (item,) = data["predictions"]
    assert code == 0 and item["servers"] == 2000 and item["p_502"] == 0.0
    assert any("event loop is never the bottleneck" in note for note in item["notes"])
    assert item["narrative"][0].startswith("All 2000 greenlets (2 gevent workers x worker_connections 1000)")
