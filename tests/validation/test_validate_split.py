"""`advisor validate` with per-worker queues reports the split it measured beside the model's, and what the model
predicts with the measured split (advisor/commands/validate_cmd.py `_measured_split`, the report's text)."""

from __future__ import annotations

import pytest

from advisor.commands.validate_cmd import _measured_split
from advisor.queueing.analytic import predict
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.validation.report import _split_lines
from advisor.validation.session import requests_by_worker


def _params(workers: int = 2, threads: int = 2, rho: float = 0.7, room: int = 998) -> QueueParams:
    return QueueParams(servers=workers * threads, queue_room=8 + workers * room,
                       arrival_rate=rho * workers * threads / 0.05, service=ServiceTime.exponential(0.05),
                       read_timeout_s=0.15, connect_timeout_s=0.5, workers=workers, worker_room=room,
                       queued_worker_weight=1.4, split_ratio=0.7)


def test_requests_are_counted_per_worker_process_most_first():
    records = [{"pid": 11}, {"pid": 12}, {"pid": 11}, {"pid": 13}, {"pid": 11}, {"pid": 12}]
    assert requests_by_worker(records) == [3, 2, 1]


def test_a_lopsided_measured_split_predicts_more_504s_than_an_even_one():
    params = _params()
    lopsided = _measured_split(params, {"requests_by_worker": [800, 200]}, 1.0)
    even = _measured_split(params, {"requests_by_worker": [500, 500]}, 1.0)
    assert lopsided["measured_shares"] == pytest.approx([0.8, 0.2])
    assert lopsided["model_shares"] == pytest.approx(sorted(params.shares, reverse=True))
    # one worker with four fifths of the load runs at rho 1.12 on its two threads: most of its requests time out
    assert lopsided["predicted_with_measured_split"]["p_504"] > even["predicted_with_measured_split"]["p_504"] + 0.2
    assert lopsided["predicted_with_measured_split"]["p_504"] > predict(params).outcome.shares["p_504"]


def test_no_split_for_one_queue_or_when_workers_were_replaced():
    assert _measured_split(_params(workers=1), {"requests_by_worker": [1000]}, 1.0) is None
    assert _measured_split(_params(room=0), {"requests_by_worker": [500, 500]}, 1.0) is None  # one pooled queue
    assert _measured_split(_params(), {"requests_by_worker": [600, 300, 100]}, 1.0) is None  # a third process
    assert _measured_split(_params(), {}, 1.0) is None


def test_a_worker_that_finished_nothing_has_a_share_of_zero():
    split = _measured_split(_params(rho=0.3), {"requests_by_worker": [1000]}, 1.0)
    assert split["measured_shares"] == [1.0, 0.0]


def test_the_text_report_shows_both_splits_and_the_prediction():
    split = _measured_split(_params(), {"requests_by_worker": [780, 220]}, 1.0)
    lines = _split_lines(split)
    assert lines[0] == "requests per worker, most first: measured 78 % / 22 %; the model assumes 58.8 % / 41.2 %"
    assert lines[1].startswith("  with the measured split the model predicts ok ")
    assert _split_lines(None) == []
