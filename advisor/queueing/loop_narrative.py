"""The "what happens if all workers are busy" statements for event loops (event_loop.py): nothing waits in a queue,
so the pool narrative (narrative.py, accept queue and waiting) does not apply."""

from __future__ import annotations

from advisor.units import format_duration, format_percent, format_rate, nginx_time

from .analytic import Prediction
from .narrative import LOG_READ_TIMEOUT
from .scenario import Scenario, describe_source

__all__ = ["event_loop_narrative"]

LOG_UVICORN_503 = "503 Service Unavailable (uvicorn's own answer; nginx logs it in the access log, not as an error)"


def event_loop_narrative(scenario: Scenario, p: Prediction) -> list[str]:
    s, src, prefix = scenario.settings, scenario.setting_sources, scenario.nginx_prefix
    server = "uvicorn" if scenario.app.kind == "uvicorn" else "gunicorn"
    workers = f"{s.workers} {server} workers ({describe_source(src['workers'])})"
    deadline = s.read_timeout_s
    lines = [f"The {workers} each run one event loop that accepts every connection at once and starts its "
             "handler: a request does not wait for a free worker. While handlers await I/O (a database, another "
             "service, a sleep) the loop serves the others; a handler that computes blocks its whole worker, and "
             "then requests do wait (the model does not see that)."]
    limit = s.concurrency_limit
    if limit is not None:
        where = describe_source(src["limit_concurrency"])
        lines.append(f"limit_concurrency {limit} ({where}): a worker that already holds {limit} connections (the "
                     f"new one included) or runs {limit} requests answers the new request at once with "
                     f"{LOG_UVICORN_503}. Each worker gets a random share of the connections, so it refuses while "
                     f"{max(0, limit - 1)} of its own requests are in progress even if another worker is idle. "
                     f"Predicted: {format_percent(p.p_503)} 503s.")
    if deadline is not None:
        lines.append(f"nginx's {prefix}_read_timeout {nginx_time(deadline)} "
                     f"({describe_source(src[f'{prefix}_read_timeout'])}) cuts a request whose handler runs longer: "
                     f"504, logged as `{LOG_READ_TIMEOUT}`; the handler keeps running to the end. Nothing queues, "
                     f"so only the requests that are themselves slower fail: {format_percent(p.p_504)} 504s.")
    latency = ""
    if p.latency_p50_s is not None and p.latency_p99_s is not None:
        latency = (f"; successful requests take {format_duration(p.latency_p50_s)} (p50) / "
                   f"{format_duration(p.latency_p99_s)} (p99)")
    outcomes = [f"{format_percent(p.p_ok)} ok"] + [f"{format_percent(value)} {label}" for label, value in
                                                   (("503", p.p_503), ("504", p.p_504)) if value > 0]
    lines.append(f"At {format_rate(p.offered_rps)} ({p.offered_rps * p.mean_holding_s:.3g} requests in progress on "
                 f"average): {', '.join(outcomes)}; goodput {format_rate(p.goodput_rps)}{latency} (approximate "
                 "model).")
    return lines
