"""Reference pre-fork server: serving, worker timeout (500 / SIGKILL -> reset), respawn, stopping, leftovers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import h11
import pytest

from advisor.validation.loadgen import LoadSpec, run_load
from advisor.validation.procutil import process_alive, wait_gone
from advisor.validation.refserver import RefServerConfig, RefServerError, busy_fraction, start_refserver

# Short worker timeouts and a fast arbiter tick keep these tests quick; the gunicorn-parity tests use 1 s ticks.
FAST = dict(timeout_s=0.5, check_interval_s=0.1, graceful_timeout_s=3.0, max_seconds=60.0)


def raw_get(address, target: str = "/", timeout: float = 10.0) -> tuple[h11.Response, bytes, bool]:
    """One request with a plain socket; returns (response, body, server closed the connection)."""
    with socket.socket(address.family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(address.sockaddr)
        conn = h11.Connection(h11.CLIENT)
        request = conn.send(h11.Request(method="GET", target=target, headers=[("Host", "x")]))
        sock.sendall(request + conn.send(h11.EndOfMessage()))
        response, body = None, b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
        closed = sock.recv(1) == b""
    return response, body, closed


def assert_cleaned_up(server, worker_pids):
    assert not server.running
    assert wait_gone(worker_pids, 5) == []
    assert not process_alive(server.pid)
    assert not os.path.exists(server.tmpdir)
    if server.address.is_unix:
        assert not os.path.exists(server.address.path)


@pytest.mark.parametrize("bind", ["unix:", "127.0.0.1:0", "[::1]:0"])
def test_serves_with_connection_close(bind):
    if bind.startswith("[::1]") and not socket.has_ipv6:
        pytest.skip("no IPv6 loopback")
    try:
        server = start_refserver(RefServerConfig(bind=bind, workers=2, **FAST))
    except RefServerError as exc:
        if "::1" in bind:
            pytest.skip(f"::1 not usable here: {exc}")
        raise
    with server:
        response, body, closed = raw_get(server.address, "/hello?t=0.01")
        workers = server.stats()["workers"]
    assert response.status_code == 200
    assert (b"connection", b"close") in [(k.lower(), v.lower()) for k, v in response.headers]
    assert body.startswith(b"ok pid=") and closed
    assert int(dict(response.headers)[b"x-worker-pid"]) in workers
    assert len(workers) == 2
    final = server.stats()
    assert final["requests"]["2xx"] == 1 and final["state"] == "stopped"
    assert_cleaned_up(server, workers)


def test_bad_request_gets_400_and_is_counted():
    with start_refserver(RefServerConfig(bind="unix:", **FAST)) as server:
        response, _, _ = raw_get(server.address, "/?t=abc")
        response2, _, _ = raw_get(server.address, "/?mode=fly")
    assert response.status_code == 400 and response2.status_code == 400
    assert server.stats()["requests"]["other"] == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"bind": "0.0.0.0:8000"}, "non-loopback"),
        ({"bind": "localhost:8000"}, "non-loopback"),
        ({"workers": 0}, "workers"),
        ({"mode": "spin"}, "mode"),
        ({"service": "exp"}, "service-time"),
        ({"max_seconds": 0}, "max_seconds"),
    ],
)
def test_invalid_config_is_refused_before_starting(changes, message):
    with pytest.raises(ValueError, match=message):
        start_refserver(RefServerConfig(**changes))


def test_cli_refuses_non_loopback_bind_with_exit_code_2():
    proc = subprocess.run([sys.executable, "-m", "advisor.validation.refserver", "--bind", "0.0.0.0:18080",
                           "--max-seconds", "5"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "refusing non-loopback address '0.0.0.0'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_runs_prints_ready_and_stops_on_sigterm(tmp_path):
    sock_path = tmp_path / "cli.sock"
    proc = subprocess.Popen([sys.executable, "-m", "advisor.validation.refserver", "--bind", f"unix:{sock_path}",
                             "--workers", "2", "--max-seconds", "30", "--check-interval", "0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        ready = json.loads(proc.stdout.readline())
        assert ready["event"] == "ready" and ready["address"] == f"unix:{sock_path}"
        assert len(ready["workers"]) == 2
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert wait_gone(ready["workers"], 5) == []
    assert not sock_path.exists()


@pytest.mark.parametrize("mode", ["sleep", "cpu"])
def test_worker_timeout_ends_interruptible_request_with_500_and_respawns(mode):
    with start_refserver(RefServerConfig(bind="unix:", mode=mode, **FAST)) as server:
        first_worker = server.stats()["workers"][0]
        record = run_load(LoadSpec(target=str(server.address), arrivals="burst", max_requests=1, duration_s=1,
                                   path="/?t=5", read_timeout_s=10)).records[0]
        stats = server.wait_stats(lambda s: s["spawned"] == 2 and len(s["workers"]) == 1)
        response, _, _ = raw_get(server.address, "/?t=0")
        log = server.server_log()
    assert record.outcome == "http_500"
    assert stats["aborted"] == 1 and stats["killed"] == 0
    assert stats["exits"] == {"exit:0": 1}  # like gunicorn: the abort is handled in the request, then a clean exit
    assert stats["workers"] != [first_worker]
    assert response.status_code == 200
    assert f"WORKER TIMEOUT (pid:{first_worker})" in log
    assert not process_alive(first_worker)


def test_worker_stuck_in_uninterruptible_call_is_killed_and_the_connection_reset():
    config = RefServerConfig(bind="127.0.0.1:0", mode="block", restart_delay_s=0.3, **FAST)
    with start_refserver(config) as server:
        first_worker = server.stats()["workers"][0]
        record = run_load(LoadSpec(target=str(server.address), arrivals="burst", max_requests=1, duration_s=1,
                                   path="/?t=5", read_timeout_s=10)).records[0]
        stats = server.wait_stats(lambda s: s["spawned"] == 2 and len(s["workers"]) == 1)
        response, _, _ = raw_get(server.address, "/?t=0&mode=sleep")
    assert record.outcome == "reset" and record.status is None
    assert stats["aborted"] == 1 and stats["killed"] >= 1
    assert stats["exits"] == {"signal:SIGKILL": 1}
    assert response.status_code == 200
    assert not process_alive(first_worker)


def test_timeout_zero_disables_the_worker_timeout():
    config = RefServerConfig(bind="unix:", **{**FAST, "timeout_s": 0.0})
    with start_refserver(config) as server:
        record = run_load(LoadSpec(target=str(server.address), arrivals="burst", max_requests=1, duration_s=1,
                                   path="/?t=0.8", read_timeout_s=10)).records[0]
        stats = server.stats()
    assert record.outcome == "ok"
    assert stats["aborted"] == 0 and stats["spawned"] == 1


def test_request_log_has_accept_and_done_times(tmp_path):
    log = tmp_path / "req.jsonl"
    with start_refserver(RefServerConfig(bind="unix:", workers=1, request_log=str(log), **FAST)) as server:
        raw_get(server.address, "/?t=0.05")
        raw_get(server.address, "/?t=0.0")
        records = server.request_records()
    assert [r["status"] for r in records] == [200, 200]
    assert records[0]["service_s"] == pytest.approx(0.05)
    assert records[0]["done"] - records[0]["start"] >= 0.05
    assert records[0]["accept"] <= records[0]["start"] <= records[0]["done"] <= records[1]["accept"]


def test_busy_fraction_counts_overlap_with_the_window():
    records = [{"accept": 0.0, "done": 1.0}, {"accept": 0.5, "done": 2.0}, {"accept": 3.0, "done": 4.0}]
    assert busy_fraction(records, workers=2) == pytest.approx((1.0 + 1.5 + 1.0) / (2 * 4.0))
    assert busy_fraction(records, workers=1, start=1.0, end=3.5) == pytest.approx((1.0 + 0.5) / 2.5)
    assert busy_fraction([], workers=1) != busy_fraction([], workers=1)  # NaN


def test_sigterm_lets_the_in_flight_request_finish_and_leaves_no_orphans():
    server = start_refserver(RefServerConfig(bind="unix:", workers=3, **FAST))
    workers = server.stats()["workers"]
    family = socket.AF_UNIX
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(server.address.path)
        sock.sendall(b"GET /?t=0.6 HTTP/1.1\r\nHost: x\r\n\r\n")
        server.wait_stats(lambda s: s["busy"] == 1)  # a worker has accepted it
        final = server.stop()
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert final["stop_reason"] == "SIGTERM" and final["returncode"] == 0
    assert final["stop_killed"] == 0 and final["exits"] == {"exit:0": 3}
    assert_cleaned_up(server, workers)


def test_graceful_timeout_kills_workers_that_do_not_finish():
    server = start_refserver(RefServerConfig(bind="unix:", **{**FAST, "graceful_timeout_s": 0.3, "timeout_s": 30}))
    workers = server.stats()["workers"]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(server.address.path)
        sock.sendall(b"GET /?t=20&mode=block HTTP/1.1\r\nHost: x\r\n\r\n")
        server.wait_stats(lambda s: s["busy"] == 1)
        final = server.stop()
        assert sock.recv(4096) == b""  # killed mid-request: closed without a response
    assert final["stop_killed"] == 1
    assert_cleaned_up(server, workers)


def test_sigint_to_master_stops_quickly_without_orphans():
    server = start_refserver(RefServerConfig(bind="127.0.0.1:0", workers=2, **FAST))
    workers = server.stats()["workers"]
    os.kill(server.pid, signal.SIGINT)
    final = server.stop()
    assert final["stop_reason"] == "SIGINT"
    assert_cleaned_up(server, workers)


def test_sigkill_to_master_takes_the_workers_down_too():
    server = start_refserver(RefServerConfig(bind="unix:", workers=2, **FAST))
    workers = server.stats()["workers"]
    os.kill(server.pid, signal.SIGKILL)  # no cleanup code runs in the master: PR_SET_PDEATHSIG must do it
    assert wait_gone(workers, 5) == []
    server.stop()
    assert_cleaned_up(server, workers)


def test_max_seconds_stops_everything_by_itself():
    server = start_refserver(RefServerConfig(bind="unix:", workers=2, **{**FAST, "max_seconds": 0.8}))
    workers = server.stats()["workers"]
    path = server.address.path
    final = server.wait_stats(lambda s: s["state"] == "stopped", timeout_s=10)
    assert final["stop_reason"] == "max_seconds"
    assert wait_gone(workers, 5) == []
    assert not os.path.exists(path)
    server.stop()
    assert_cleaned_up(server, workers)


def test_master_stops_when_its_parent_process_dies():
    script = (
        "import json, os, sys\n"
        "from advisor.validation.refserver import RefServerConfig, start_refserver\n"
        "s = start_refserver(RefServerConfig(bind='unix:', workers=2, check_interval_s=0.1, max_seconds=60))\n"
        "print(json.dumps({'master': s.pid, 'workers': s.stats()['workers'], 'tmpdir': s.tmpdir}), flush=True)\n"
        "os._exit(0)\n"  # no cleanup: the server must notice on its own
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    info = json.loads(out.stdout)
    try:
        assert wait_gone([info["master"], *info["workers"]], 10) == []
        assert not os.path.exists(os.path.join(info["tmpdir"], "app.sock"))
    finally:
        import shutil

        shutil.rmtree(info["tmpdir"], ignore_errors=True)
