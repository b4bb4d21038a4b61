"""Run one validation plan: start the server and (optionally) nginx on private loopback/unix addresses, send the
open-loop load, collect logs, stop everything and measure.

Every process started here is stopped on return, on an exception and on Ctrl-C (ExitStack), and stops by itself
after ``plan.max_seconds`` if this process is killed outright; every temp file lives in a temp dir that is removed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from .gunicorn_runner import GunicornConfig, start_gunicorn
from .loadgen import LoadSpec, request_paths, run_load
from .measure import measure, window_records
from .nginx_accesslog import parse_access_log
from .nginx_runner import NginxRunner
from .plan import MAX_REQUESTS, ValidationPlan
from .progress import Progress
from .refserver import RefServerConfig, start_refserver
from .service_spec import format_service_spec
from .uvicorn_runner import UvicornConfig, start_uvicorn
from .uwsgi_runner import UwsgiConfig, start_uwsgi


@dataclass
class RunData:
    """What one run produced, already reduced to the model's terms (``measured``) plus the raw evidence."""

    measured: dict[str, Any]
    nginx_error_log: dict[str, Any] | None
    server: dict[str, Any]
    nginx_config: str | None = None
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)


def load_spec(plan: ValidationPlan, target: str) -> LoadSpec:
    params = plan.params
    if plan.proxy == "builtin":  # the generator plays nginx: its timeouts are nginx's
        connect_timeout, read_timeout = params.connect_timeout_s, params.read_timeout_s or plan.tail_s
    else:  # nginx decides; the generator only waits long enough to see nginx's answer
        connect_timeout = read_timeout = plan.tail_s
    return LoadSpec(
        target=target,
        arrivals="poisson",
        rate=params.arrival_rate,
        max_requests=MAX_REQUESTS,
        duration_s=plan.warmup_s + plan.duration_s,
        path="/",
        service=format_service_spec(params.service),
        connect_timeout_s=connect_timeout,
        read_timeout_s=read_timeout,
        seed=plan.seed,
        tag_requests=True,
    )


def _server_bind(plan: ValidationPlan) -> str:
    if plan.socket == "unix":
        return "unix:"  # a fresh socket in the server's private temp dir
    return "[::1]:0" if plan.tcp_host == "::1" else "127.0.0.1:0"


def _start_server(plan: ValidationPlan, workdir: str):
    params = plan.params
    backlog = plan.listen_backlog
    if plan.server == "uwsgi":
        return start_uwsgi(UwsgiConfig(
            bind=_server_bind(plan), protocol="uwsgi" if plan.route.pass_kind == "uwsgi" else "http",
            processes=plan.processes, threads=plan.threads, listen=max(1, backlog), harakiri_s=plan.harakiri_s,
            max_seconds=plan.max_seconds, request_log=True,
        ))
    if plan.server == "uvicorn":
        return start_uvicorn(UvicornConfig(
            bind=_server_bind(plan), workers=plan.processes, backlog=backlog,
            limit_concurrency=params.concurrency_limit, max_seconds=plan.max_seconds, request_log=True,
        ))
    if plan.server == "gunicorn":
        return start_gunicorn(GunicornConfig(
            bind=_server_bind(plan), workers=plan.processes, worker_class=plan.worker_class, threads=plan.threads,
            worker_connections=plan.worker_connections, backlog=backlog, timeout_s=plan.gunicorn_timeout_s,
            graceful_timeout_s=1, boot_delay_s=plan.restart_s, max_seconds=plan.max_seconds, request_log=True,
        ))
    check_interval = params.kill_lag_max_s if params.worker_timeout_enabled else 1.0
    return start_refserver(RefServerConfig(
        bind=_server_bind(plan), workers=params.servers, backlog=backlog,
        timeout_s=params.worker_timeout_s or 0.0, graceful_timeout_s=2.0,
        check_interval_s=max(min(check_interval, 60.0), 1e-3), restart_delay_s=plan.restart_s,
        max_seconds=plan.max_seconds, request_log=f"{workdir}/requests.jsonl", seed=plan.seed,
    ))


def _busy_spans(plan: ValidationPlan, server) -> list[tuple[float, float]]:
    if plan.server in ("gunicorn", "uwsgi", "uvicorn"):
        return [(r["start"], r["done"]) for r in server.request_records()]
    return [(r["accept"], r["done"]) for r in server.request_records() if r.get("done") is not None]


def _errors(log: str) -> dict[str, Any]:
    """Tracebacks in a server's log: how many, and the last exception line (what a 500 came from)."""
    lines = log.splitlines()
    last = next((line for line in reversed(lines) if line and not line.startswith((" ", "Traceback", "["))), None)
    count = log.count("Traceback (most recent call last)")
    return {"tracebacks": count, "last_exception": last if count else None}


def _server_summary(plan: ValidationPlan, server) -> dict[str, Any]:
    if plan.server == "uwsgi":
        log = server.log()
        return {"kind": "uwsgi", "address_kind": plan.socket, "worker_timeouts": log.count("HARAKIRI ON WORKER"),
                "workers_killed": log.count("DAMN ! worker"), "listen_queue_full": log.count("listen queue of socket"),
                "invalid_request_block_size": log.count("invalid request block size"), **_errors(log)}
    if plan.server == "uvicorn":
        log = server.log()
        return {"kind": "uvicorn", "address_kind": plan.socket, **_errors(log)}
    if plan.server == "gunicorn":
        log = server.log()
        return {"kind": "gunicorn", "address_kind": plan.socket,
                "worker_timeouts": log.count("WORKER TIMEOUT"),
                "workers_killed": log.count("was sent SIGKILL"),
                "requests_by_worker": requests_by_worker(server.request_records()), **_errors(log)}
    stats = server.stats()
    return {"kind": "ref", "address_kind": plan.socket, "spawned": stats.get("spawned"),
            "worker_timeouts": stats.get("aborted"), "workers_killed": stats.get("killed"),
            "requests": stats.get("requests"), **_errors(server.server_log())}


def requests_by_worker(records: list[dict[str, Any]]) -> list[int]:
    """How many requests each worker process finished, most first (the whole run, warm-up included)."""
    return sorted(Counter(record["pid"] for record in records).values(), reverse=True)


def _wait_access_log(nginx: NginxRunner, expected: set[int], timeout_s: float = 3.0) -> dict:
    """nginx writes an access-log line when it finishes a request; wait until every answered request has one."""
    deadline = time.monotonic() + timeout_s
    entries = parse_access_log(nginx.access_log_text())
    while not expected <= entries.keys() and time.monotonic() < deadline:
        time.sleep(0.05)
        entries = parse_access_log(nginx.access_log_text())
    return entries


def run_plan(plan: ValidationPlan, *, nginx_binary: str | None = None, progress: Progress | None = None,
             keep_access_log: str | None = None) -> RunData:
    """Execute ``plan`` and return the measurement. Raises the runners' errors (server/nginx did not start).
    ``keep_access_log``: copy nginx's access log, in the timing format, to this path."""
    progress = progress or Progress(enabled=False)
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="advisor-validate-")
    nginx: NginxRunner | None = None
    try:
        with ExitStack() as stack:
            what = {"ref": "reference server", "uwsgi": "uWSGI", "uvicorn": "uvicorn"}.get(
                plan.server, f"gunicorn ({plan.worker_class})")
            progress.phase(f"starting the {what} ({plan.processes} workers, {plan.socket})")
            server = stack.enter_context(_start_server(plan, workdir))
            target = str(server.address)
            if plan.proxy == "nginx":
                progress.phase("starting nginx")
                nginx = stack.enter_context(NginxRunner(server.address, plan.route, binary=nginx_binary,
                                                        max_seconds=plan.max_seconds,
                                                        keep_access_log=keep_access_log))
                target = str(nginx.address)
            spec = load_spec(plan, target)
            progress.phase(f"sending ~{plan.expected_requests} requests over {plan.warmup_s + plan.duration_s:g} s")
            result = run_load(spec, observer=progress.watch(plan.warmup_s + plan.duration_s))
            progress.done()
            access = None
            if nginx is not None:
                answered = {r.index for r in window_records(result, plan.warmup_s, plan.duration_s)
                            if r.outcome.startswith("http_")}
                access = _wait_access_log(nginx, answered)
        # everything is stopped here: the logs are final
        measured = measure(result, warmup_s=plan.warmup_s, duration_s=plan.duration_s, workers=plan.params.servers,
                           targets=request_paths(spec, len(result.records)), access=access,
                           busy_spans=_busy_spans(plan, server), via_nginx=nginx is not None)
        error_log = None
        if nginx is not None:
            summary = nginx.error_log_summary()
            error_log = {"counts": summary.counts, "levels": summary.levels,
                         "unmatched_errors": summary.unmatched_errors[:10],
                         "unmatched_error_count": len(summary.unmatched_errors)}
        return RunData(measured=measured, nginx_error_log=error_log, server=_server_summary(plan, server),
                       nginx_config=nginx.config_text if nginx is not None else None,
                       elapsed_s=time.monotonic() - started)
    finally:
        progress.done()
        shutil.rmtree(workdir, ignore_errors=True)
