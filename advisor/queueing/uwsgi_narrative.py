"""The "what happens if all workers are busy" statements in uWSGI's words: the narrative (narrative.py) speaks of
gunicorn's sync workers, backlog and worker timeout; for a uWSGI link the first statement (where a request waits)
and the worker-cut statement are rewritten, and nginx's directives carry the route's prefix (uwsgi_read_timeout)."""

from __future__ import annotations

from advisor.units import format_percent

from .narrative import LOG_PREMATURE_CLOSE
from .scenario import Scenario, describe_source

LOG_HARAKIRI = "*** HARAKIRI ON WORKER N (pid: P, try: 1, graceful: ...) ***"
LOG_LISTEN_FULL = "*** uWSGI listen queue of socket \"ADDRESS\" (fd: N) full !!! (Q+1/Q) ***"


def adapt_uwsgi_narrative(scenario: Scenario, lines: list[str], p_killed: float) -> list[str]:
    """``lines`` from narrative.what_happens_when_busy, said of uWSGI (``p_killed``: predicted share cut)."""
    if not lines:
        return lines
    s, src, prefix = scenario.settings, scenario.setting_sources, scenario.nginx_prefix
    listener = "unix socket" if s.socket == "unix" else "TCP socket"
    cores = f" x {s.threads} {'threads' if s.worker_class == 'uwsgi' else 'async cores'}" if s.threads > 1 else ""
    first = (f"All {s.servers} request slots ({s.workers} uWSGI processes ({describe_source(src['workers'])}){cores}) "
             f"are busy, so nginx's connection waits in the kernel listen queue of the uWSGI {listener} "
             f"{scenario.upstream}: min(listen {s.backlog} ({describe_source(src['listen'])}), net.core.somaxconn "
             f"{s.somaxconn}) + 1 = {s.kernel_queue_room} connections. A thread or process takes the next connection "
             f"only when it is free, so this is one queue for all slots; uWSGI's master logs `{LOG_LISTEN_FULL}` "
             "when it is full (checked for TCP sockets).")
    out = [first]
    for line in lines[1:]:
        if line.startswith(("gunicorn's timeout", "The gunicorn worker timeout")):
            line = _harakiri(scenario, p_killed)
        if prefix != "proxy":
            line = line.replace("proxy_read_timeout", f"{prefix}_read_timeout")
            line = line.replace("proxy_connect_timeout", f"{prefix}_connect_timeout")
        out.append(line.replace("gunicorn", "uWSGI"))
    return out


def _harakiri(scenario: Scenario, p_killed: float) -> str:
    s = scenario.settings
    if s.worker_timeout_s <= 0:
        return "uWSGI's harakiri is off: a slow request holds its worker until it finishes."
    at = describe_source(scenario.setting_sources["harakiri"])
    text = (f"uWSGI's harakiri {s.worker_timeout_s:g} s ({at}) cuts a request that runs longer: the master, whose "
            "clock ticks in whole seconds, kills the worker between about 1 s before and 1 s after harakiri "
            f"(time in the listen queue does not count) and logs `{LOG_HARAKIRI}`. uWSGI writes no answer: nginx "
            f"sees the connection closed and answers 502, logged as `{LOG_PREMATURE_CLOSE}`. The master re-forks "
            f"the worker on its next cycle, about 1 s later, and that slot serves nobody meanwhile. Predicted: "
            f"{format_percent(p_killed)} of requests killed.")
    deadline = s.read_timeout_s
    if deadline is not None and s.worker_timeout_s >= deadline:
        text += (f" Because harakiri is not below {scenario.nginx_prefix}_read_timeout ({deadline:g} s), nginx "
                 "answers 504 first and the worker is still killed later.")
    return text
