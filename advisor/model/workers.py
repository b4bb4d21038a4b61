"""gunicorn worker classes by concurrency family: the one table the rule facts and the queueing model share.

A `worker_class` value names a bundled class (`sync`, `gthread`, `egg:gunicorn#gevent`), a dotted path
(`gunicorn.workers.ggevent.GeventWorker`, `uvicorn_worker.UvicornWorker`) or a custom class. The family is read from
the last dotted component, so a subclass that keeps its base's name (`myapp.workers.SyncWorker`) counts as that base.
"""

from __future__ import annotations

from typing import Any, Literal

WorkerFamily = Literal["sync", "gthread", "gevent", "eventlet", "tornado", "asgi", "uvicorn"]
QueueFamily = Literal["sync", "gthread", "gevent", "event-loop"]

# last dotted component of the class (lower case) -> family
WORKER_FAMILIES: dict[str, WorkerFamily] = {
    "sync": "sync", "syncworker": "sync",
    "gthread": "gthread", "threadworker": "gthread",
    "gevent": "gevent", "gevent_wsgi": "gevent", "gevent_pywsgi": "gevent", "geventworker": "gevent",
    "geventpywsgiworker": "gevent",
    "eventlet": "eventlet", "eventletworker": "eventlet",
    "tornado": "tornado", "tornadoworker": "tornado",
    "asgi": "asgi", "asgiworker": "asgi",
    "uvicornworker": "uvicorn", "uvicornh11worker": "uvicorn",
}
GREENLET_FAMILIES = frozenset({"gevent", "eventlet"})  # a pool of worker_connections greenlets per worker
EVENT_LOOP_FAMILIES = frozenset({"tornado", "asgi", "uvicorn"})  # one event loop, no concurrency limit


def worker_family(worker_class: Any) -> WorkerFamily | None:
    """sync/gthread/gevent/eventlet/tornado/asgi/uvicorn for a `worker_class` value; None for a custom class."""
    text = str(worker_class).strip().strip("\"'")
    if "#" in text:
        text = text.rsplit("#", 1)[1]
    return WORKER_FAMILIES.get(text.rsplit(".", 1)[-1].lower())


def effective_family(family: WorkerFamily, threads: Any) -> WorkerFamily:
    """gunicorn runs `sync` with threads > 1 as gthread (gunicorn/config.py `worker_class`)."""
    if family == "sync" and isinstance(threads, (int, float)) and not isinstance(threads, bool) and threads > 1:
        return "gthread"
    return family


def queue_family(family: WorkerFamily) -> QueueFamily:
    """How the queueing model sees a family: a sync pool, a gthread pool, a greenlet pool, or an event loop."""
    if family in GREENLET_FAMILIES:
        return "gevent"
    if family in EVENT_LOOP_FAMILIES:
        return "event-loop"
    return family  # type: ignore[return-value]  # sync, gthread
