"""Event-loop servers (standalone uvicorn, gunicorn's UvicornWorker / asgi / tornado workers) as a queue.

An event loop accepts every connection at once and starts its handler; if handlers spend their time awaiting I/O,
nothing waits behind anything (M/G/infinity): a request fails only when it is itself longer than nginx's read
timeout. uvicorn's ``limit_concurrency`` L adds a refusal: a worker answers 503 at once when it holds L connections,
the request's own included, or runs L requests (uvicorn's ``len(connections) >= L or len(tasks) >= L``). Workers
share one listening socket and each accepts greedily, so every worker sees a random share of the connections: each
is an Erlang loss system (M/G/n/n, insensitive to the service distribution) with n = L - 1 connection slots held for
min(S, T) (nginx closes at its read timeout), or L task slots held for S; the model takes the larger blocking.
"""

from __future__ import annotations

from .formulas import erlang_b
from .params import QueueParams

__all__ = ["LIMITED_MODEL", "LIMITED_REASON", "UNBOUNDED_MODEL", "UNBOUNDED_REASON", "limit_refusal", "limited_model"]

UNBOUNDED_MODEL = "every request served at once (M/G/infinity: an event loop without a concurrency limit)"
UNBOUNDED_REASON = ("event loop: assumes requests spend their time awaiting I/O; a CPU-bound handler blocks its "
                    "worker's loop and makes this optimistic")
LIMITED_MODEL = ("every request served at once up to the concurrency limit, beyond it an immediate 503 from the app "
                 "server: Erlang loss per worker ({workers} x M/G/{slots}/{slots}, limit_concurrency {limit} counts "
                 "the request's own connection), connections split evenly at random over the workers")
LIMITED_REASON = ("event loop with limit_concurrency: assumes I/O-bound handlers, an even split over the workers and "
                  "no idle keep-alive connections; a CPU-bound handler blocks its worker's loop (optimistic), an "
                  "uneven split refuses more, and idle keep-alive connections count against the limit")


def limit_refusal(params: QueueParams) -> float:
    """P(503): the share of requests a worker refuses because it is at ``concurrency_limit`` (0 without one)."""
    limit = params.concurrency_limit
    if not params.unbounded or limit is None:
        return 0.0
    per_worker = params.arrival_rate / (params.workers or 1)
    service = params.service
    deadline = params.read_timeout_s
    connection_s = service.mean_s if deadline is None else service.mean_below(deadline)
    by_connections = erlang_b(limit - 1, per_worker * connection_s)
    by_tasks = erlang_b(limit, per_worker * service.mean_s)
    return max(by_connections, by_tasks)


def limited_model(params: QueueParams) -> str:
    limit = int(params.concurrency_limit or 0)
    return LIMITED_MODEL.format(workers=params.workers or 1, slots=max(0, limit - 1), limit=limit)
