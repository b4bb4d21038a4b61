"""Linux accept-queue facts through the reference server and the load generator (queueing.md §4).

One worker, listen(2): the queue holds backlog + 1 = 3 connections. The worker is still booting (boot_delay) when
a burst of 12 arrives, so exactly 3 are queued and served; the other 9 overflow. On a unix socket the overflow is an
immediate EAGAIN; on TCP the SYN is dropped and the connect times out (the first SYN retry comes after 1 s, later
than the 0.5-s connect timeout).
"""

from __future__ import annotations

from advisor.validation.loadgen import LoadSpec, run_load
from advisor.validation.refserver import RefServerConfig, start_refserver

BURST = 12
BACKLOG = 2
SERVICE = 0.1


def burst_into_one_worker(bind: str):
    config = RefServerConfig(bind=bind, workers=1, backlog=BACKLOG, boot_delay_s=0.4, timeout_s=10,
                             check_interval_s=0.2, max_seconds=60)
    with start_refserver(config) as server:
        result = run_load(LoadSpec(target=str(server.address), arrivals="burst", max_requests=BURST, duration_s=1,
                                   path=f"/?t={SERVICE}", connect_timeout_s=0.5, read_timeout_s=10))
    return result, server.stats()


def test_unix_burst_overflows_with_immediate_eagain():
    result, stats = burst_into_one_worker("unix:")
    assert result.counts() == {"ok": BACKLOG + 1, "eagain": BURST - BACKLOG - 1}
    assert stats["requests"]["2xx"] == BACKLOG + 1
    eagain = [r for r in result.records if r.outcome == "eagain"]
    assert all(r.connected != r.connected for r in eagain)  # never connected (NaN)
    summary = result.summary()
    assert summary["p_502"] == 9 / 12 and summary["p_ok"] == 3 / 12


def test_tcp_burst_overflows_with_connect_timeouts():
    result, stats = burst_into_one_worker("127.0.0.1:0")
    assert result.counts() == {"ok": BACKLOG + 1, "connect_timeout": BURST - BACKLOG - 1}
    assert stats["requests"]["2xx"] == BACKLOG + 1
    timed_out = [r for r in result.records if r.outcome == "connect_timeout"]
    assert all(r.done - r.started >= 0.5 for r in timed_out)
    assert result.summary()["p_504"] == 9 / 12
