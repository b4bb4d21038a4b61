"""Standalone uvicorn: `advisor validate --server uvicorn` runs real uvicorn (synthetic ASGI app that awaits an
exponential time) behind real nginx, with and without limit_concurrency, one and two workers. Every measured share,
the app server's own 503s included, must lie inside the simulator's band for a run of that length."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest
from agreement_support import BAND_LEVEL
from small_configs import UNIX_APP, nginx_proxy_conf, write_pair

from advisor.validation.procutil import process_alive, wait_gone
from advisor.validation.uvicorn_runner import UvicornConfig, start_uvicorn, uvicorn_available

NGINX = nginx_proxy_conf(UNIX_APP, "proxy_read_timeout 150ms", "proxy_connect_timeout 500ms")


def _require_uvicorn() -> None:
    if not uvicorn_available():
        pytest.skip("uvicorn (test extra) not installed")


def _options(tmp_path: Path, command: str, rps: float, **changes):
    from advisor.commands.options import HostFacts, Inputs
    from advisor.commands.validate_cmd import ValidateOptions

    paths = write_pair(tmp_path, NGINX, "Procfile", f"web: {command}\n")
    settings = dict(inputs=Inputs(paths=paths),
                    host=HostFacts.build(), rps=rps, service_time="50ms", duration="8s", warmup="2s",
                    proxy="nginx", server="uvicorn", seed=1, band_level=BAND_LEVEL, progress=False)
    settings.update(changes)
    return ValidateOptions(**settings)


def test_a_standalone_uvicorn_link_needs_the_uvicorn_server(tmp_path):
    from advisor.commands.validate_cmd import UsageError, build_plan

    command = "uvicorn app:app --uds /run/app/app.sock --workers 2 --limit-concurrency 4"
    with pytest.raises(UsageError, match="--server uvicorn"):
        build_plan(_options(tmp_path, command, 64.0, server="gunicorn"))
    _require_uvicorn()
    scenario, plan, _, notes = build_plan(_options(tmp_path, command, 64.0))
    assert (plan.server, plan.processes, plan.params.concurrency_limit) == ("uvicorn", 2, 4)
    assert any("real uvicorn (2 workers, limit_concurrency 4)" in note for note in plan.notes)
    assert any("503 Service Unavailable" in note for note in notes)


def test_the_runner_serves_refuses_beyond_the_limit_and_leaves_nothing_behind(tmp_path):
    _require_uvicorn()
    server = start_uvicorn(UvicornConfig(bind="127.0.0.1:0", workers=2, limit_concurrency=1, max_seconds=60))
    try:
        workers = server.worker_pids()  # uvicorn's supervisor: two workers (and multiprocessing's helper)
        assert len(workers) >= 2 and all(process_alive(pid) for pid in workers)
        with pytest.raises(urllib.request.HTTPError) as refused:  # limit 1 counts the request's own connection
            urllib.request.urlopen(f"http://{server.address}/?t=0", timeout=5)
        assert refused.value.code == 503
        temp = server._tmpdir
    finally:
        server.stop()
    assert wait_gone(workers, 5) == []
    assert not os.path.exists(temp)


@pytest.mark.slow
@pytest.mark.nginx
@pytest.mark.usefixtures("nginx_binary")
@pytest.mark.parametrize(("command", "rps", "p_503"), [
    ("uvicorn app:app --uds /run/app/app.sock --limit-concurrency 4", 64.0, (0.30, 0.40)),  # one worker
    ("uvicorn app:app --uds /run/app/app.sock --workers 2 --limit-concurrency 4", 96.0, (0.20, 0.30)),
    ("uvicorn app:app --uds /run/app/app.sock --workers 2", 96.0, (0.0, 0.0)),  # no limit: M/G/infinity
])
def test_measured_shares_are_inside_the_band(tmp_path, command, rps, p_503):
    _require_uvicorn()
    from advisor.commands.validate_cmd import execute

    report = execute(_options(tmp_path, command, rps))[0]
    rows = {row["key"]: row for row in report["rows"]}
    table = "\n".join(f"{row['label']:>24}: predicted {row['predicted']}, measured {row['measured']}, band "
                      f"{row['band']} -> {row['verdict']}" for row in report["rows"])
    lo, hi = p_503
    assert lo <= report["predicted"]["p_503"] <= hi, table
    assert ("p_503" in rows) == (hi > 0), table
    assert report["measured"]["n"] > 400 and report["measured"]["access_log_unmatched"] == 0
    lag = f"send lag p99 {report['measured']['send_lag_p99_s']}\n{table}"
    if "--workers 2 --limit-concurrency" not in command:
        assert report["verdict"] == "inside", lag
        return
    # Several limited workers: the kernel splits connections unevenly and the split drifts from run to run. Erlang
    # loss is convex in the offered load, so the model's even split is the least refusing one: the measured 503
    # share may exceed the band, never fall below it; what refusals leave over (ok, busy time) moves with it.
    assert rows["p_503"]["measured"] >= rows["p_503"]["band"][0], lag
    follow = {"p_503", "p_ok", "utilization"}
    assert all(row["verdict"] == "inside" for row in report["rows"] if row["key"] not in follow), lag
