"""How a link's worker class maps onto the queue: gthread with one or several workers, worker_connections <= threads,
and event-loop workers (modelled only when asked, as `advisor validate` does)."""

from __future__ import annotations

from pathlib import Path

import pytest
from small_configs import UNIX_APP, nginx_proxy_conf, only_link_scenario, write_pair

from advisor.queueing.params import LINUX_QUEUED_WORKER_WEIGHT, LINUX_SPLIT_RATIO, ServiceTime
from advisor.queueing.scenario import ScenarioError

EXP50 = ServiceTime.exponential(0.05)
NGINX = nginx_proxy_conf(UNIX_APP, "proxy_read_timeout 2s")


def _link(tmp_path: Path, gunicorn: str, **kwargs):
    paths = write_pair(tmp_path, NGINX, "gunicorn.conf.py", "bind = 'unix:/run/app/app.sock'\n" + gunicorn)
    return only_link_scenario(paths, 40.0, EXP50, **kwargs)


def test_several_gthread_workers_get_one_queue_each(tmp_path):
    scenario = _link(tmp_path, "worker_class = 'gthread'\nworkers = 3\nthreads = 2\nbacklog = 16\n")
    params = scenario.params
    assert params.partitioned and (params.workers, params.slots_per_worker, params.worker_room) == (3, 2, 998)
    assert params.kernel_room == 17 and params.queued_worker_weight == LINUX_QUEUED_WORKER_WEIGHT
    assert params.split_ratio == LINUX_SPLIT_RATIO < 1 and params.split_spread == 0.0  # the rank ladder
    assert params.shares[0] > params.shares[1] > params.shares[2]
    assert "one queue per worker" in scenario.parameters["c"].meaning
    assert any("one queue per worker" in note and "worker_connections = threads" in note for note in scenario.notes)


@pytest.mark.parametrize("gunicorn", [
    "worker_class = 'gthread'\nworkers = 1\nthreads = 4\n",  # one worker: one FIFO queue
    "worker_class = 'gthread'\nworkers = 2\nthreads = 2\nworker_connections = 2\n",  # queue in the kernel
    "workers = 4\n",  # sync
])
def test_one_pooled_queue_otherwise(tmp_path, gunicorn):
    params = _link(tmp_path, gunicorn).params
    assert not params.partitioned and params.queued_worker_weight == 1.0 and params.split_spread == 0.0
    assert params.split_ratio == 1.0 and params.even_split


def test_event_loop_workers_are_modelled_only_when_asked(tmp_path):
    gunicorn = "worker_class = 'uvicorn_worker.UvicornWorker'\nworkers = 2\n"
    with pytest.raises(ScenarioError, match="event loop"):
        _link(tmp_path, gunicorn)
    scenario = _link(tmp_path, gunicorn, event_loops=True)
    assert scenario.settings.family == "event-loop" and scenario.settings.worker_class == "uvicorn"
    assert scenario.params.unbounded and scenario.params.servers == 2
    assert any("served at once" in note for note in scenario.notes)
