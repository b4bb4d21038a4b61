"""Plain-language answer to "What happens if all workers are busy and a request comes in?" for one pool.

Log lines are the exact nginx/gunicorn signatures listed in docs/failures.md#error-log-lines.
"""

from __future__ import annotations

from collections.abc import Mapping

from advisor.units import format_duration, format_percent, format_rate, nginx_time

from .analytic import Prediction, predict
from .params import QueueParams

__all__ = ["what_happens_when_busy"]

LOG_EAGAIN = "connect() to {upstream} failed (11: Resource temporarily unavailable) while connecting to upstream"
LOG_CONNECT_TIMEOUT = "upstream timed out (110: Connection timed out) while connecting to upstream"
LOG_READ_TIMEOUT = "upstream timed out (110: Connection timed out) while reading response header from upstream"
LOG_PREMATURE_CLOSE = "upstream prematurely closed connection while reading response header from upstream"
LOG_WORKER_TIMEOUT = "[CRITICAL] WORKER TIMEOUT (pid:N)"


def _at(sources: Mapping[str, str], key: str) -> str:
    where = sources.get(key)
    return f" ({where})" if where else ""


def what_happens_when_busy(
    params: QueueParams,
    prediction: Prediction | None = None,
    *,
    upstream: str | None = None,
    sources: Mapping[str, str] | None = None,
) -> list[str]:
    """Ordered statements with this pool's numbers.

    ``upstream`` is the address as nginx names it (``unix:/run/app.sock`` or ``127.0.0.1:8000``); ``sources`` maps
    setting names (workers, backlog, somaxconn, proxy_read_timeout, proxy_connect_timeout, timeout) to a location
    such as ``gunicorn.conf.py:12`` that is quoted after the value.
    """
    p = prediction if prediction is not None else predict(params)
    src = sources or {}
    c, room = params.servers, params.queue_room
    mean_s = params.service.mean_s
    lines: list[str] = []
    is_unix = params.socket == "unix"
    listener = "unix socket" if is_unix else "TCP listener"
    where = f" {upstream}" if upstream else ""

    # 1. Where the request waits.
    if params.backlog is not None and params.somaxconn is not None:
        capped = " (the backlog is silently capped by somaxconn)" if params.backlog > params.somaxconn else ""
        size = (
            f"Q = min(backlog {params.backlog}{_at(src, 'backlog')}, net.core.somaxconn {params.somaxconn}"
            f"{_at(src, 'somaxconn')}) + 1 = {room} connections{capped}"
        )
    else:
        size = f"Q = {room} connections (backlog + 1)"
    lines.append(
        f"All {c} sync workers{_at(src, 'workers')} are busy, so nginx's connection waits in the kernel accept queue "
        f"of the gunicorn {listener}{where}. It holds {size}; nothing in nginx or gunicorn sees it waiting."
    )

    # 2. How fast it drains.
    lines.append(
        f"The workers take queued connections in arrival order, at most c/S = {c}/{format_duration(mean_s)} = "
        f"{format_rate(p.max_throughput_rps)}. A request with n connections ahead waits about "
        f"n x {format_duration(mean_s / c)}; "
        f"a full queue takes Q x S/c = {format_duration(p.drain_time_s)} to drain."
    )

    # 3. The deadline.
    deadline = params.read_timeout_s
    if deadline is None:
        lines.append("No proxy_read_timeout applies in this model, so queued requests are never cut by nginx.")
    else:
        position = max(0, int((deadline - mean_s) * c / mean_s))
        text = (
            f"nginx's proxy_read_timeout {nginx_time(deadline)}{_at(src, 'proxy_read_timeout')} starts once the "
            "request is "
            f"sent, so time in the accept queue counts against it. A request queued behind more than about {position} "
            f"others (wait > T - S) gets 504 after {format_duration(deadline)}, logged as `{LOG_READ_TIMEOUT}`."
        )
        if p.drain_time_s + mean_s <= deadline:
            text += (
                f" Here even the last place of a full queue ({format_duration(p.drain_time_s)}) fits in the deadline, "
                "so only "
                "unusually slow requests get 504s."
            )
        else:
            text += (
                f" A full queue ({format_duration(p.drain_time_s)}) is longer than that: under sustained overload "
                "almost every "
                "admitted request ends as a 504 while the workers stay 100 % busy (goodput goes to 0)."
            )
        lines.append(text)

    # 4. The queue is full.
    capacity = params.capacity
    if is_unix:
        address = upstream if upstream and upstream.startswith("unix:") else "unix:/path/to/gunicorn.sock"
        lines.append(
            f"When the queue is full ({c} in service + {room} queued = {capacity} connections), nginx's non-blocking "
            f"connect() fails at once with EAGAIN and the client gets an immediate 502, logged as "
            f"`{LOG_EAGAIN.format(upstream=address)}`."
        )
    else:
        retries = params.syn_retries_before_timeout
        tc = params.connect_timeout_s
        schedule = ", ".join(f"{r:g}" for r in params.syn_retry_schedule_s)
        text = (
            f"When the queue is full ({capacity} connections), the kernel silently drops nginx's SYN (no RST, not even "
            f"with tcp_abort_on_overflow = 1) and the SYN is retransmitted at {schedule} s after the first. "
        )
        if not retries:
            text += (
                f"proxy_connect_timeout {nginx_time(tc)}{_at(src, 'proxy_connect_timeout')} fires before the "
                "first retry, "
                f"so the client gets 504 after {format_duration(tc)}, logged as `{LOG_CONNECT_TIMEOUT}`."
            )
        else:
            text += (
                f"Before proxy_connect_timeout {nginx_time(tc)}{_at(src, 'proxy_connect_timeout')} there are "
                f"{len(retries)} retries: a retry that finds room gets in at least {format_duration(retries[0])} "
                "late; otherwise "
                f"the client gets 504 after {format_duration(tc)}, logged as `{LOG_CONNECT_TIMEOUT}`. Under load the "
                "kernel "
                f"bunches the retries, which leaves half-open connections that end as read timeouts instead. "
                f"A unix socket (immediate 502) or proxy_connect_timeout below 1 s (e.g. 0.5s) avoids this."
            )
        lines.append(text)

    # 5. The gunicorn worker timeout.
    if params.worker_timeout_enabled:
        tw = float(params.worker_timeout_s)  # type: ignore[arg-type]
        lag = params.kill_lag_max_s
        kill_window = f"{format_duration(tw)}-{format_duration(tw + lag)}" if lag > 0 else format_duration(tw)
        text = (
            f"gunicorn's timeout {format_duration(tw)}{_at(src, 'timeout')} cuts a request that runs longer: the "
            "arbiter kills "
            f"the worker {kill_window} after it accepted the request (time in the queue does not count). "
        )
        if params.worker_timeout_status == 500:
            text += (
                f"gunicorn >= 22 usually writes a 500 itself (no nginx error line; gunicorn logs "
                f"`{LOG_WORKER_TIMEOUT}`); a worker stuck in C code is SIGKILLed instead and nginx answers 502 with "
                f"`{LOG_PREMATURE_CLOSE}`. "
            )
        else:
            text += f"nginx answers 502, logged as `{LOG_PREMATURE_CLOSE}` (gunicorn logs `{LOG_WORKER_TIMEOUT}`). "
        text += (
            f"The replacement worker needs about {format_duration(params.restart_s)} to start, and that slot serves "
            "nobody "
            f"meanwhile. Predicted: {format_percent(p.p_worker_killed)} of requests killed."
        )
        if deadline is not None and tw >= deadline:
            text += (
                f" Because the timeout is not below proxy_read_timeout ({format_duration(deadline)}), nginx answers "
                "504 first "
                "and the worker is still killed later."
            )
        lines.append(text)
    else:
        lines.append(
            "The gunicorn worker timeout is off in this model: a slow request holds its worker until it finishes."
        )

    # 6. Zombie work.
    wasted = p.offered_rps * p.p_504
    lines.append(
        "A request nginx already answered with 504 is not taken out of the queue: a worker still accepts it, reads "
        "it and runs it to completion, and only the reply fails (EPIPE). "
        + (
            f"At the predicted {format_percent(p.p_504)} 504s that is {format_rate(wasted)} of wasted work."
            if p.p_504 > 0
            else "At this load no such 504s are predicted."
        )
    )

    # 7. Sensitivity near saturation.
    if 0.9 <= p.rho <= 1.1 and p.relaxation_time_s > 5:
        lines.append(
            f"Near saturation (rho = {p.rho:.2f}) this queue needs about {format_duration(p.relaxation_time_s)} to "
            "settle: a few "
            "percent more load switches it from almost no 504s to almost all, and short measurements scatter widely."
        )

    # 8. Summary.
    latency = ""
    if p.latency_p50_s is not None and p.latency_p99_s is not None:
        latency = (f"; successful requests take {format_duration(p.latency_p50_s)} (p50) / "
                   f"{format_duration(p.latency_p99_s)} (p99)")
    outcomes = [f"{format_percent(p.p_ok)} ok"]
    for label, value in (("502", p.p_502), ("504", p.p_504), ("504 connect", p.p_504_connect), ("500", p.p_500)):
        if value > 0:
            outcomes.append(f"{format_percent(value)} {label}")
    fill = f"; the queue fills in about {format_duration(p.fill_time_s)}" if p.fill_time_s is not None else ""
    lines.append(
        f"At {format_rate(p.offered_rps)} (rho = {p.rho:.2f}, workers {format_percent(p.utilization)} busy): "
        f"{', '.join(outcomes)}; goodput {format_rate(p.goodput_rps)}{latency}{fill}"
        + (" (approximate model)." if p.approximate else ".")
    )
    return lines
