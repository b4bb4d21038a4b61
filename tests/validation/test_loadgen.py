"""Load generator: loopback-only targets, schedules, outcome classification against real sockets."""

from __future__ import annotations

import math
import random
import socket
import threading

import pytest

from advisor.validation.endpoints import EndpointError, parse_endpoint
from advisor.validation.loadgen import LoadSpec, make_schedule, request_paths, run_load
from advisor.validation.loadresult import LoadResult, RequestRecord, outcome_class, quantile
from advisor.validation.refserver import RefServerConfig, start_refserver


# -- targets ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["10.0.0.1:80", "0.0.0.0:8000", "192.168.1.5:8000", "example.com:80",
                                    "localhost:8000", "[::]:8000", "[2001:db8::1]:80", "127.0.0.2:80"])
def test_loadgen_refuses_non_loopback_targets(target):
    with pytest.raises(ValueError, match="non-loopback"):
        run_load(LoadSpec(target=target, arrivals="burst", max_requests=1, duration_s=1))


@pytest.mark.parametrize("target", ["unix:relative.sock", "127.0.0.1", "127.0.0.1:http", "", "127.0.0.1:70000"])
def test_loadgen_rejects_malformed_targets(target):
    with pytest.raises(ValueError):
        run_load(LoadSpec(target=target, arrivals="burst", max_requests=1, duration_s=1))


def test_endpoint_parsing_accepts_only_loopback_and_unix():
    assert parse_endpoint("127.0.0.1:8000").sockaddr == ("127.0.0.1", 8000)
    assert str(parse_endpoint("[::1]:8000")) == "[::1]:8000"
    assert parse_endpoint("unix:/run/app.sock").path == "/run/app.sock"
    assert parse_endpoint("http://127.0.0.1:9000").port == 9000
    assert parse_endpoint("127.0.0.1:0", allow_port_zero=True).port == 0
    with pytest.raises(EndpointError):
        parse_endpoint("127.0.0.1:0")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"arrivals": "poisson", "rate": None}, "need a rate"),
        ({"arrivals": "weibull"}, "arrivals must be one of"),
        ({"max_requests": 0}, "max_requests"),
        ({"duration_s": 0}, "duration_s"),
        ({"read_timeout_s": math.inf}, "read_timeout_s"),
        ({"path": "no-slash"}, "path must start with /"),
        ({"service": "gamma:1"}, "invalid service-time spec"),
    ],
)
def test_loadspec_validation_messages(changes, message):
    spec = dict(target="127.0.0.1:9", arrivals="burst", max_requests=1, duration_s=1)
    spec.update(changes)
    with pytest.raises(ValueError, match=message):
        run_load(LoadSpec(**spec))


# -- schedules -------------------------------------------------------------------------------------------------


def test_schedules_are_bounded_by_count_and_duration():
    rng = random.Random(1)
    poisson = make_schedule("poisson", 1000.0, 50, 10.0, rng)
    assert len(poisson) == 50 and poisson == sorted(poisson)
    by_duration = make_schedule("poisson", 1000.0, 10**6, 0.5, random.Random(2))
    assert 350 < len(by_duration) < 650 and max(by_duration) < 0.5
    constant = make_schedule("constant", 4.0, 100, 1.0, rng)
    assert constant == [0.0, 0.25, 0.5, 0.75]
    assert make_schedule("burst", None, 12, 1.0, rng) == [0.0] * 12


def test_poisson_schedule_is_reproducible_with_a_seed():
    a = make_schedule("poisson", 100.0, 100, 10.0, random.Random(5))
    b = make_schedule("poisson", 100.0, 100, 10.0, random.Random(5))
    c = make_schedule("poisson", 100.0, 100, 10.0, random.Random(6))
    assert a == b and a != c


# -- summary ---------------------------------------------------------------------------------------------------


def test_summary_maps_outcomes_to_the_queueing_model_keys():
    outcomes = ["ok"] * 4 + ["eagain", "reset", "refused", "http_502", "connect_timeout", "read_timeout",
                             "http_504", "http_500", "http_503", "error"]
    records = []
    for i, outcome in enumerate(outcomes):
        records.append(RequestRecord(index=i, scheduled=float(i), started=i + 0.001, done=i + 0.001 + 0.01 * (i + 1),
                                     outcome=outcome))
    summary = LoadResult(records, "unix:/x", "burst", None, 0.0).summary()
    n = len(outcomes)
    assert summary["n"] == n
    assert summary["p_ok"] == pytest.approx(4 / n)
    assert summary["p_502"] == pytest.approx(4 / n)
    assert summary["p_504"] == pytest.approx(3 / n)
    assert summary["p_500"] == pytest.approx(1 / n)
    assert summary["p_503"] == pytest.approx(1 / n)  # the app server's own refusal has a name of its own
    assert summary["p_other"] == 0.0
    assert summary["p_error"] == pytest.approx(1 / n)
    assert summary["latency_p50_s"] == pytest.approx(quantile([0.01, 0.02, 0.03, 0.04], 0.5))
    assert summary["send_lag_max_s"] == pytest.approx(0.001)
    assert summary["counts"]["ok"] == 4
    assert outcome_class("http_404") == "other" and outcome_class("http_503") == "503"


# -- outcomes against raw sockets ------------------------------------------------------------------------------


class RawServer:
    """A one-shot TCP listener on 127.0.0.1 whose behaviour per connection is a function (in a thread)."""

    def __init__(self, behaviour, connections: int = 1) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(10)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.behaviour = behaviour
        self.connections = connections
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for _ in range(self.connections):
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                self.behaviour(conn, self.release)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)
        self.sock.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _one(target: str, **kw) -> RequestRecord:
    spec = LoadSpec(target=target, arrivals="burst", max_requests=1, duration_s=1, **kw)
    return run_load(spec).records[0]


def test_close_without_response_is_reset():
    def behaviour(conn, release):
        _read_request(conn)

    with RawServer(behaviour) as server:
        record = _one(server.address, read_timeout_s=5)
    assert record.outcome == "reset"


def test_no_response_within_read_timeout_is_read_timeout():
    def behaviour(conn, release):
        _read_request(conn)
        release.wait(10)

    with RawServer(behaviour) as server:
        record = _one(server.address, read_timeout_s=0.2)
    assert record.outcome == "read_timeout"
    assert record.done - record.sent >= 0.2


def test_truncated_body_is_reset_and_full_body_is_ok():
    def truncated(conn, release):
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")

    def chunked(conn, release):
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        release.wait(10)  # keep the connection open: completion must come from the message framing

    with RawServer(truncated) as server:
        assert _one(server.address, read_timeout_s=5).outcome == "reset"
    with RawServer(chunked) as server:
        record = _one(server.address, read_timeout_s=5)
    assert record.outcome == "ok" and record.status == 200


def test_other_statuses_are_reported_by_code():
    def behaviour(conn, release):
        request = _read_request(conn)
        assert request.startswith(b"GET /x?y=1 HTTP/1.1\r\n") and b"Connection: close" in request
        conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    with RawServer(behaviour) as server:
        record = _one(server.address, path="/x?y=1", read_timeout_s=5)
    assert record.outcome == "http_503" and record.status == 503


def test_nothing_listening_is_refused(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connect gets ECONNREFUSED
        assert _one(f"127.0.0.1:{port}").outcome == "refused"
    assert _one(f"unix:{tmp_path}/missing.sock").outcome == "refused"


# -- against the reference server ------------------------------------------------------------------------------


def test_poisson_run_against_refserver_records_every_request(tmp_path):
    log = tmp_path / "requests.jsonl"
    config = RefServerConfig(bind="unix:", workers=2, backlog=64, request_log=str(log), max_seconds=60)
    with start_refserver(config) as server:
        spec = LoadSpec(target=str(server.address), arrivals="poisson", rate=200, max_requests=60, duration_s=5,
                        service="exp:0.005", seed=3, read_timeout_s=5)
        result = run_load(spec)
        records = server.request_records()
    summary = result.summary()
    assert summary["n"] == 60 and summary["counts"] == {"ok": 60}
    assert summary["p_ok"] == 1.0 and summary["p_502"] == 0.0
    assert len(records) == 60 and {r["status"] for r in records} == {200}
    # the client-drawn service times (seeded, reproducible) reached the server
    served = sorted(round(r["service_s"], 6) for r in records)
    expected = sorted(float(p.split("t=")[1]) for p in request_paths(spec, 60))
    assert served == pytest.approx(expected, abs=1e-6)
    # server accept times fall inside the client's send..completion window (both use CLOCK_MONOTONIC)
    first_send = min(r.started for r in result.records)
    last_done = max(r.done for r in result.records)
    assert all(first_send <= r["accept"] <= last_done and r["accept"] <= r["done"] for r in records)
    assert not math.isnan(summary["send_lag_p99_s"])
