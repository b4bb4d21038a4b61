"""Real nginx in front of the reference server: status codes and error-log signatures (failure-modes.md §2-§3)."""

from __future__ import annotations

import os
import subprocess

import pytest

from advisor.validation.endpoints import Endpoint, free_tcp_port, parse_endpoint
from advisor.validation.loadgen import LoadSpec, run_load
from advisor.validation.nginx_errorlog import classify_line, summarize_error_log
from advisor.validation.nginx_runner import NginxRoute, NginxRunner, render_nginx_conf
from advisor.validation.procutil import wait_gone
from advisor.validation.refserver import RefServerConfig, start_refserver

# real nginx: skipped when absent, but a failure in CI (ADVISOR_REQUIRE_NGINX=1), via tests/conftest.py
requires_nginx = pytest.mark.usefixtures("nginx_binary")

UNIX_UPSTREAM = parse_endpoint("unix:/run/app/gunicorn.sock")
TCP_UPSTREAM = parse_endpoint("127.0.0.1:8000")


# -- config rendering (no nginx needed) ------------------------------------------------------------------------


def test_rendered_config_carries_the_route_settings_and_temp_paths(tmp_path):
    route = NginxRoute(proxy_connect_timeout_s=0.5, proxy_read_timeout_s=2.5, proxy_send_timeout_s=7,
                       proxy_http_version="1.1", upstream_keepalive=16, proxy_set_connection_header="",
                       proxy_buffering=False, proxy_request_buffering=False, proxy_next_upstream="error")
    text = render_nginx_conf(UNIX_UPSTREAM, route, 18080, str(tmp_path), run_as_root=True)
    for line in ("daemon off;", "master_process on;", "worker_processes 1;", "user root;",
                 f"pid {tmp_path}/nginx.pid;", f"error_log {tmp_path}/error.log info;",
                 "listen 127.0.0.1:18080;", "server unix:/run/app/gunicorn.sock;", "keepalive 16;",
                 "proxy_pass http://advisor_upstream;", "proxy_connect_timeout 500ms;",
                 "proxy_read_timeout 2500ms;", "proxy_send_timeout 7s;", "proxy_http_version 1.1;",
                 'proxy_set_header Connection "";', "proxy_buffering off;", "proxy_request_buffering off;",
                 "proxy_next_upstream error;"):
        assert line in text, line
    for directive in ("client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path",
                      "scgi_temp_path"):
        assert f"{directive} {tmp_path}/" in text


def test_rendered_config_without_upstream_block_proxies_to_the_address(tmp_path):
    unix_text = render_nginx_conf(UNIX_UPSTREAM, NginxRoute(), 18080, str(tmp_path), run_as_root=False)
    tcp_text = render_nginx_conf(TCP_UPSTREAM, NginxRoute(), 18080, str(tmp_path), run_as_root=False)
    assert "proxy_pass http://unix:/run/app/gunicorn.sock:;" in unix_text
    assert "proxy_pass http://127.0.0.1:8000;" in tcp_text
    assert "upstream advisor_upstream" not in tcp_text and "user root" not in tcp_text
    assert "proxy_http_version 1.0;" in tcp_text and "proxy_read_timeout 60s;" in tcp_text


@pytest.mark.parametrize(
    "route, message",
    [
        (NginxRoute(proxy_connect_timeout_s=90), "75 s"),
        (NginxRoute(proxy_http_version="2"), "proxy_http_version"),
        (NginxRoute(proxy_next_upstream="error; include /etc/passwd"), "proxy_next_upstream"),
        (NginxRoute(proxy_set_connection_header='x"; evil'), "proxy_set_connection_header"),
        (NginxRoute(upstream_keepalive=0), "upstream_keepalive"),
    ],
)
def test_invalid_routes_are_refused(route, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        render_nginx_conf(TCP_UPSTREAM, route, 18080, str(tmp_path))


def test_runner_refuses_non_loopback_upstreams():
    with pytest.raises(ValueError, match="non-loopback"):
        NginxRunner("10.0.0.5:8000")


# -- error-log classification ----------------------------------------------------------------------------------

LOG_SAMPLES = {
    "connect_eagain": '2026/11/26 10:00:00 [error] 7#7: *1 connect() to unix:/run/app.sock failed (11: Resource '
                      'temporarily unavailable) while connecting to upstream, client: 127.0.0.1, server: localhost',
    "timeout_connecting": "2026/11/26 10:00:00 [error] 7#7: *2 upstream timed out (110: Connection timed out) while "
                          "connecting to upstream, client: 127.0.0.1",
    "timeout_reading_header": "2026/11/26 10:00:00 [error] 7#7: *3 upstream timed out (110: Connection timed out) "
                              "while reading response header from upstream, client: 127.0.0.1",
    "premature_close": "2026/11/26 10:00:00 [error] 7#7: *4 upstream prematurely closed connection while reading "
                       "response header from upstream, client: 127.0.0.1",
    "recv_reset": "2026/11/26 10:00:00 [error] 7#7: *5 recv() failed (104: Connection reset by peer) while reading "
                  "response header from upstream, client: 127.0.0.1",
    "connect_refused": "2026/11/26 10:00:00 [error] 7#7: *6 connect() failed (111: Connection refused) while "
                       "connecting to upstream, client: 127.0.0.1",
    "connect_no_such_file": "2026/11/26 10:00:00 [crit] 7#7: *7 connect() to unix:/x.sock failed (2: No such file "
                            "or directory) while connecting to upstream, client: 127.0.0.1",
}


def test_error_log_signatures_are_classified():
    for key, line in LOG_SAMPLES.items():
        assert classify_line(line) == key
    text = "\n".join([*LOG_SAMPLES.values(), LOG_SAMPLES["connect_eagain"],
                      "2026/11/26 10:00:00 [notice] 7#7: signal process started",
                      "2026/11/26 10:00:00 [error] 7#7: *9 something new"])
    summary = summarize_error_log(text)
    assert summary.get("connect_eagain") == 2 and summary.get("recv_reset") == 1
    assert summary.levels == {"error": 8, "crit": 1, "notice": 1}
    assert summary.unmatched_errors == ["2026/11/26 10:00:00 [error] 7#7: *9 something new"]


# -- real nginx ------------------------------------------------------------------------------------------------


@pytest.mark.nginx
@requires_nginx
@pytest.mark.parametrize("route", [
    NginxRoute(),
    NginxRoute(proxy_http_version="1.1", upstream_keepalive=8, proxy_set_connection_header="",
               proxy_buffering=False, proxy_request_buffering=False, proxy_next_upstream="off"),
])
@pytest.mark.parametrize("upstream", [UNIX_UPSTREAM, TCP_UPSTREAM])
def test_rendered_configs_pass_nginx_t(route, upstream, tmp_path, nginx_binary):
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx_conf(upstream, route, 18080, str(tmp_path)))
    proc = subprocess.run([nginx_binary, "-t", "-p", f"{tmp_path}/", "-c", str(conf), "-e",
                           f"{tmp_path}/error.log"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "syntax is ok" in proc.stderr


def _burst(runner: NginxRunner, n: int = 12, t: float = 0.2):
    return run_load(LoadSpec(target=str(runner.address), arrivals="burst", max_requests=n, duration_s=1,
                             path=f"/?t={t}", connect_timeout_s=10, read_timeout_s=30))


def _booting_refserver(bind: str):
    return start_refserver(RefServerConfig(bind=bind, workers=1, backlog=2, boot_delay_s=0.5, timeout_s=10,
                                           check_interval_s=0.2, max_seconds=60))


@pytest.mark.nginx
@requires_nginx
def test_unix_burst_behind_nginx_gives_immediate_502_with_eagain_lines(tmp_path):
    upstream = parse_endpoint(f"unix:{tmp_path}/app.sock")
    # nginx first, so that only the load generator's start separates the bind from the burst
    with NginxRunner(upstream, NginxRoute(proxy_connect_timeout_s=0.5, proxy_read_timeout_s=10)) as nginx, \
            _booting_refserver(str(upstream)):
        result = _burst(nginx)
        log = nginx.wait_error_lines("connect_eagain", 9)
        pids = nginx.pids()
        workdir = nginx.workdir
    assert result.counts() == {"ok": 3, "http_502": 9}
    assert log.get("connect_eagain") == 9 and log.get("timeout_connecting") == 0
    fast = [r for r in result.records if r.outcome == "http_502"]
    slowest_ok = max(r.latency_s for r in result.records if r.outcome == "ok")
    assert all(r.latency_s < slowest_ok for r in fast)  # the 502s come back before the queued requests finish
    assert len(pids) == 2 and wait_gone(pids, 5) == []
    assert not os.path.exists(workdir)
    assert "connect() to unix:" in nginx.error_log_text()  # the log survives the temp dir


@pytest.mark.nginx
@requires_nginx
def test_tcp_burst_behind_nginx_gives_504_while_connecting():
    upstream = parse_endpoint(f"127.0.0.1:{free_tcp_port()}")
    with NginxRunner(upstream, NginxRoute(proxy_connect_timeout_s=0.5, proxy_read_timeout_s=10)) as nginx, \
            _booting_refserver(str(upstream)):
        result = _burst(nginx)
        log = nginx.wait_error_lines("timeout_connecting", 9)
    assert result.counts() == {"ok": 3, "http_504": 9}
    assert log.get("timeout_connecting") == 9 and log.get("connect_eagain") == 0
    assert all(r.latency_s >= 0.5 for r in result.records if r.outcome == "http_504")


def _fast_timeout_refserver(mode: str = "sleep"):
    return start_refserver(RefServerConfig(bind="unix:", workers=1, timeout_s=0.5, check_interval_s=0.1, mode=mode,
                                           max_seconds=60))


@pytest.mark.nginx
@requires_nginx
def test_request_longer_than_worker_timeout_is_a_500_through_nginx():
    with _fast_timeout_refserver() as server, NginxRunner(server.address, NginxRoute(proxy_read_timeout_s=10)) as nginx:
        result = _burst(nginx, n=1, t=5)
        summary = nginx.error_log_summary()
    assert result.counts() == {"http_500": 1}
    assert summary.counts == {}  # the upstream answered: nothing for nginx to log
    assert server.stats()["aborted"] == 1


@pytest.mark.nginx
@requires_nginx
def test_killed_worker_is_a_502_premature_close_through_nginx():
    with _fast_timeout_refserver("block") as server, \
            NginxRunner(server.address, NginxRoute(proxy_read_timeout_s=10)) as nginx:
        result = _burst(nginx, n=1, t=5)
        summary = nginx.wait_error_lines("premature_close", 1)
    assert result.counts() == {"http_502": 1}
    assert summary.get("premature_close") == 1
    assert server.stats()["exits"]["signal:SIGKILL"] == 1


@pytest.mark.nginx
@requires_nginx
def test_slow_response_is_a_504_while_reading_the_header():
    with _fast_timeout_refserver() as server, \
            NginxRunner(server.address, NginxRoute(proxy_read_timeout_s=0.2)) as nginx:
        result = _burst(nginx, n=1, t=0.4)
        summary = nginx.wait_error_lines("timeout_reading_header", 1)
    assert result.counts() == {"http_504": 1}
    assert summary.get("timeout_reading_header") == 1


@pytest.mark.nginx
@requires_nginx
def test_nothing_listening_is_a_502_connection_refused():
    upstream = Endpoint(host="127.0.0.1", port=_closed_port())
    with NginxRunner(upstream, NginxRoute()) as nginx:
        result = _burst(nginx, n=2, t=0)
        summary = nginx.wait_error_lines("connect_refused", 2)
    assert result.counts() == {"http_502": 2}
    assert summary.get("connect_refused") == 2


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # bound, never listening; released when closed
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
