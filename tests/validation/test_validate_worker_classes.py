"""`advisor validate --server gunicorn` with the link's own worker class behind real nginx: gthread with one and with
several workers (per-worker queues), below and above capacity, unix and TCP, gthread with worker_connections =
threads (one pooled queue), gevent (a greenlet pool per worker: one pooled queue) and UvicornWorker (an event
loop). Every measured share must lie inside the simulator's band for a run of that length (c = 4 request slots,
S = 50 ms exponential, proxy_read_timeout 150 ms)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from agreement_support import BAND_LEVEL, assert_inside, band_table

from advisor.validation.gunicorn_runner import worker_class_available

pytestmark = [pytest.mark.slow, pytest.mark.nginx, pytest.mark.usefixtures("nginx_binary")]

FIXTURES = Path(__file__).parent / "fixtures"
CAPACITY_RPS = 80.0  # c / S = 4 slots / 50 ms in every fixture here
RUN_SEED = 1


def _validate(pair: str, rho: float, tmp_path: Path | None = None, **changes: str) -> dict:
    from advisor.commands.options import HostFacts, Inputs
    from advisor.commands.validate_cmd import ValidateOptions, execute

    directory = FIXTURES / pair
    paths = [directory / "nginx.conf", directory / "gunicorn.conf.py"]
    if changes:  # a variant of the fixture's gunicorn settings, written next to a copy of its nginx.conf
        assert tmp_path is not None
        shutil.copy(paths[0], tmp_path / "nginx.conf")
        text = paths[1].read_text(encoding="utf-8") + "".join(f"{k} = {v}\n" for k, v in changes.items())
        (tmp_path / "gunicorn.conf.py").write_text(text, encoding="utf-8")
        paths = [tmp_path / "nginx.conf", tmp_path / "gunicorn.conf.py"]
    options = ValidateOptions(
        inputs=Inputs(paths=[str(p) for p in paths]), host=HostFacts.build(), rps=rho * CAPACITY_RPS,
        service_time="50ms", duration="10s", warmup="2s", proxy="nginx", server="gunicorn", seed=RUN_SEED,
        band_level=BAND_LEVEL, progress=False)
    return execute(options)[0]


def _require(worker_class: str) -> None:
    if not worker_class_available(worker_class):
        pytest.skip(f"gunicorn's {worker_class} worker class is not installed (test extra)")


@pytest.mark.parametrize("pair, rho, workers, threads", [
    ("gthread-1x4", 0.8, 1, 4),  # one worker: one FIFO queue, M/M/4 with a long room
    ("gthread-2x2", 0.5, 2, 2),  # two workers: per-worker queues
    ("gthread-2x2", 1.2, 2, 2),  # above capacity: the in-worker queues grow for the whole run
    ("gthread-4x1-tcp", 0.8, 4, 1),  # four workers over TCP
])
def test_gthread_shares_are_inside_the_band(pair, rho, workers, threads):
    _require("gthread")
    report = _validate(pair, rho)
    params = report["parameters"]
    assert (params["worker_class"], params["workers"], params["threads"]) == ("gthread", workers, threads)
    assert params["worker_connections"] == 1000
    assert params["rho"] == pytest.approx(rho)
    model = report["predicted"]["model"]
    assert ("per-worker queues" in model) == (workers > 1)
    assert report["measured"]["n"] > 300
    split = report["split"]  # per-worker queues: the measured split beside the model's
    if workers == 1:
        assert split is None
    else:
        assert len(split["measured_shares"]) == len(split["model_shares"]) == workers
        assert sum(split["measured_shares"]) == pytest.approx(1.0)
        assert split["measured_shares"] == sorted(split["measured_shares"], reverse=True)
        assert 0.0 <= split["predicted_with_measured_split"]["p_504"] <= 1.0
    if workers == 2 and rho > 1 and report["verdict"] != "inside":
        pytest.xfail("known model limit: above capacity two gthread workers split the load unevenly, differently "
                     "from run to run, which the per-worker model does not capture\n" + band_table(report))
    assert_inside(report)


def test_gthread_with_worker_connections_equal_to_threads_is_one_pooled_queue(tmp_path):
    # The workers stop accepting while their threads are busy, so the queue is the shared kernel backlog: exactly
    # the sync model with c = workers x threads (502s when the backlog of 8 overflows).
    _require("gthread")
    report = _validate("gthread-2x2", 1.2, tmp_path, worker_connections="2")
    assert report["predicted"]["model"].endswith("(exact)")
    assert report["measured"]["p_502"] > 0.05
    assert_inside(report)


@pytest.mark.parametrize("rho", [0.8, 1.2])
def test_gevent_shares_are_inside_the_band(rho):
    # A gevent worker stops accepting while its greenlet pool (worker_connections) is full, so the queue is the
    # shared kernel backlog: the sync model with c = workers x worker_connections; above capacity the backlog of 8
    # overflows into 502s.
    _require("gevent")
    report = _validate("gevent-2x2", rho)
    params = report["parameters"]
    assert (params["worker_class"], params["workers"], params["worker_connections"]) == ("gevent", 2, 2)
    assert report["predicted"]["model"].endswith("(exact)")
    assert report["measured"]["n"] > 300
    if rho > 1:
        assert report["measured"]["p_502"] > 0.05
    assert_inside(report)


def test_uvicorn_worker_serves_every_request_at_once():
    _require("uvicorn")
    report = _validate("uvicorn-2", 1.2)
    params = report["parameters"]
    assert (params["worker_class"], params["workers"]) == ("uvicorn", 2)
    assert report["predicted"]["p_502"] == 0.0
    # above the "capacity" of 4 slots nothing queues: only requests longer than the read timeout fail
    assert report["measured"]["p_504"] < 0.12
    assert_inside(report)


def test_worker_class_is_refused_by_the_reference_server():
    from advisor.commands.options import HostFacts, Inputs
    from advisor.commands.validate_cmd import UsageError, ValidateOptions, build_plan

    directory = FIXTURES / "gthread-2x2"
    options = ValidateOptions(
        inputs=Inputs(paths=[str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py")]),
        host=HostFacts.build(), rps=40, service_time="50ms", server="ref", proxy="builtin", progress=False)
    with pytest.raises(UsageError, match="--server gunicorn"):
        build_plan(options)


def test_gevent_runs_when_installed():
    if importlib.util.find_spec("gevent") is None:
        pytest.skip("gevent not installed")
    from advisor.validation.gunicorn_runner import GunicornConfig, start_gunicorn
    from advisor.validation.loadgen import LoadSpec, run_load

    config = GunicornConfig(bind="unix:", workers=1, worker_class="gevent", worker_connections=2, backlog=8,
                            max_seconds=60, request_log=True)
    with start_gunicorn(config) as server:
        result = run_load(LoadSpec(target=str(server.address), arrivals="burst", max_requests=4, duration_s=1,
                                   path="/?t=0.2", connect_timeout_s=5, read_timeout_s=5))
    assert result.counts() == {"ok": 4}
    starts = sorted(r["start"] for r in server.request_records())
    # two greenlets: two requests start at once, the other two 0.2 s later
    assert starts[1] - starts[0] < 0.1 and starts[2] - starts[0] > 0.15
