"""Worker-count helper variables of a gunicorn config that never assigns `workers` (rule SET005)."""

from __future__ import annotations

import ast

import pytest

from advisor.loaders.gunicorn.worker_names import means_worker_count, unassigned_worker_counts


@pytest.mark.parametrize("name", ["web_concurrency", "num_workers", "n_workers", "nworkers", "worker_count",
                                  "workers_count", "gunicorn_workers", "number_of_workers", "NUM_WORKERS"])
def test_names_that_mean_a_worker_count(name):
    assert means_worker_count(name)


@pytest.mark.parametrize("name", ["workers", "worker", "max_workers", "min_workers", "workers_per_core",
                                  "worker_class", "worker_connections", "default_web_concurrency", "concurrency"])
def test_names_that_do_not(name):
    assert not means_worker_count(name)


def _helpers(source: str) -> list[tuple[str, int]]:
    return [(item.name, item.source.line) for item in unassigned_worker_counts(ast.parse(source), "g.py", set())]


def test_first_computed_assignment_is_reported():
    source = "web_concurrency = None\nif x:\n    web_concurrency = 4\nelse:\n    web_concurrency = 2\n"
    assert _helpers(source) == [("web_concurrency", 3)]


@pytest.mark.parametrize("source", [
    "web_concurrency = 4\nworkers = web_concurrency\n",
    "web_concurrency = 4\nif x:\n    workers = web_concurrency\n",
    "web_concurrency = 4\ndef on_starting(server):\n    server.cfg.set('workers', web_concurrency)\n",
    "web_concurrency = 4\nglobals()['workers'] = web_concurrency\n",
])
def test_any_mention_of_workers_keeps_it_silent(source):
    assert _helpers(source) == []


def test_names_reported_before_are_not_repeated():
    assert unassigned_worker_counts(ast.parse("num_workers = 4\n"), "g.py", {"num_workers"}) == []
