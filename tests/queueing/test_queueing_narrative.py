"""The plain-language answer to "what happens if all workers are busy?" carries this pool's numbers and log lines."""

from __future__ import annotations

from advisor.queueing.analytic import predict
from advisor.queueing.narrative import what_happens_when_busy
from advisor.queueing.params import QueueParams, ServiceTime

EXP50 = ServiceTime.exponential(0.05)


def default_pool(**kwargs) -> QueueParams:
    kwargs.setdefault("read_timeout_s", 60.0)
    return QueueParams.from_backlog(4, 2048, 4096, arrival_rate=96.0, service=EXP50, **kwargs)


def test_unix_socket_story() -> None:
    params = default_pool(read_timeout_s=10.0)
    lines = what_happens_when_busy(params, predict(params), upstream="unix:/run/app.sock",
                                   sources={"backlog": "gunicorn.conf.py:3"})
    text = "\n".join(lines)
    assert "min(backlog 2048 (gunicorn.conf.py:3), net.core.somaxconn 4096) + 1 = 2049" in lines[0]
    assert "80 requests/s" in lines[1] and "25.6 s" in lines[1]  # c/S and Q*S/c
    assert "upstream timed out (110: Connection timed out) while reading response header from upstream" in lines[2]
    assert "goodput goes to 0" in lines[2]  # 25.6 s drain > 10 s deadline
    assert (
        "connect() to unix:/run/app.sock failed (11: Resource temporarily unavailable) while connecting to upstream"
        in lines[3]
    )
    assert "immediate 502" in lines[3]
    assert "still accepts it" in text and "wasted work" in text
    assert "83.3 % 504" in lines[-1] and "16.7 % 502" in lines[-1]


def test_tcp_with_short_connect_timeout() -> None:
    params = default_pool(socket="tcp", connect_timeout_s=0.5)
    lines = what_happens_when_busy(params, upstream="127.0.0.1:8000")
    full = next(line for line in lines if line.startswith("When the queue is full"))
    assert "silently drops nginx's SYN" in full
    assert "fires before the first retry" in full and "504 after 500 ms" in full
    assert "upstream timed out (110: Connection timed out) while connecting to upstream" in full


def test_tcp_with_syn_retries() -> None:
    params = default_pool(socket="tcp", connect_timeout_s=60.0)
    full = next(line for line in what_happens_when_busy(params) if line.startswith("When the queue is full"))
    assert "1, 2, 3, 4, 5, 7, 11 s" in full and "7 retries" in full
    assert "at least 1 s late" in full and "proxy_connect_timeout below 1 s" in full


def test_worker_timeout_500_and_502() -> None:
    params = default_pool(worker_timeout_s=30.0, worker_timeout_status=500)
    line = next(x for x in what_happens_when_busy(params) if x.startswith("gunicorn's timeout"))
    assert "30 s-31 s" in line and "writes a 500 itself" in line and "[CRITICAL] WORKER TIMEOUT" in line
    assert "upstream prematurely closed connection while reading response header from upstream" in line
    assert "500 ms to start" in line

    as_502 = default_pool(worker_timeout_s=30.0, worker_timeout_status=502, read_timeout_s=20.0)
    line = next(x for x in what_happens_when_busy(as_502) if x.startswith("gunicorn's timeout"))
    assert "nginx answers 502" in line and "nginx answers 504 first" in line


def test_no_worker_timeout_and_light_load() -> None:
    params = QueueParams.from_backlog(4, 8, 4096, arrival_rate=40.0, service=EXP50, read_timeout_s=60.0)
    lines = what_happens_when_busy(params)
    assert any("worker timeout is off" in line for line in lines)
    assert any("fits in the deadline" in line for line in lines)
    assert "rho = 0.50" in lines[-1]
    assert all(isinstance(line, str) and line for line in lines)


def test_near_saturation_warns_about_sensitivity() -> None:
    params = QueueParams.from_backlog(4, 64, 4096, arrival_rate=76.0, service=EXP50, read_timeout_s=0.25)
    assert any("to settle" in line for line in what_happens_when_busy(params))
