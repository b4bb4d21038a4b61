"""A hand-written deployment and access log, read end to end: routes, outcomes, rates, samples."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from advisor.accesslog.workload import AccessLogError, fit_workload
from advisor.commands.options import HostFacts, Inputs
from advisor.loaders.deployment import build_deployment

NGINX = """events {}
http {
    log_format timing '$msec $host $server_port "$request" $status rt=$request_time '
                      'uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time" '
                      'ua="$upstream_addr"';
    access_log /var/log/nginx/shop.log timing;
    upstream app { server unix:/run/shop/app.sock; }
    server {
        listen 80;
        server_name shop.example.com;
        return 301 https://$host$request_uri;
    }
    server {
        listen 443 ssl;
        server_name shop.example.com;
        location /static/ { root /srv/shop; }
        location / { try_files $uri @app; }
        location @app {
            proxy_pass http://app;
            proxy_read_timeout 2s;
        }
        location /api/ {
            proxy_pass http://app;
            proxy_read_timeout 1s;
        }
    }
}
"""
GUNICORN = 'bind = "unix:/run/shop/app.sock"\nworkers = 2\nbacklog = 16\ntimeout = 30\n'
T0 = 1714636800.0


def line(at: float, path: str, status: int, rt: float, uct: str = "0.000", uht: str | None = None,
         urt: str | None = None, port: int = 443, host: str = "shop.example.com") -> str:
    urt = urt if urt is not None else f"{rt:.3f}"
    uht = uht if uht is not None else urt
    addr = "-" if urt == "-" else "unix:/run/shop/app.sock"
    return (f'{T0 + at:.3f} {host} {port} "GET {path} HTTP/1.1" {status} rt={rt:.3f} uct="{uct}" uht="{uht}" '
            f'urt="{urt}" ua="{addr}"\n')


LOG = [
    line(0.010, "/static/app.css", 200, 0.0, "-", "-", "-"),  # nginx serves it
    line(0.050, "/", 301, 0.0, "-", "-", "-", port=80),  # the redirect server
    line(0.100, "/account", 200, 0.080),  # try_files -> @app
    line(0.300, "/api/items?page=2", 200, 0.120),
    line(1.000, "/api/items", 200, 0.050),
    line(1.500, "/api/slow", 504, 1.001, "0.000", "-", "1.000"),  # nginx gave up: censored
    line(1.600, "/api/items", 502, 0.000, "-", "-", "0.000"),  # refused: no sample
    line(2.100, "/api/retry", 200, 0.061, "-, 0.000", "-, 0.060", "0.000, 0.060"),  # a retry
    line(2.500, "/account/orders", 500, 0.030),  # the app's own error: an answer
    line(3.000, "/api/items", 200, 0.040),
]


@pytest.fixture
def shop(tmp_path: Path):
    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN)
    (tmp_path / "shop.log").write_text("".join(LOG))
    deployment = build_deployment(Inputs(paths=[str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py")]),
                                  HostFacts.build())
    return tmp_path, deployment


def route_id(deployment, location: str) -> str:
    return next(route.id for route in deployment.routes if route.location == location)


def test_requests_are_placed_on_routes_and_counted(shop) -> None:
    directory, deployment = shop
    fitted = fit_workload(deployment, [str(directory / "shop.log")])
    analysis = fitted.analysis
    assert (analysis.parsed, analysis.not_proxied, analysis.undecided, analysis.unlinked) == (10, 2, 0, 0)
    app = fitted.apps[deployment.apps[0].id]
    assert app.pool.arrivals == 8 and app.pool.retried == 1
    assert app.pool.window_kind == "whole period"  # 3 s of log, shorter than the 1 min window
    api = analysis.routes[route_id(deployment, "/api/")]
    fallback = analysis.routes[route_id(deployment, "@app")]
    assert api.total == [4, 1, 1, 0, 0]  # ok, 502, 504, 500, other
    assert fallback.total == [1, 0, 0, 1, 0]
    assert api.shares(api.total)["p_504"] == pytest.approx(1 / 6)


def test_samples_censoring_and_rate(shop) -> None:
    directory, deployment = shop
    pool = fit_workload(deployment, [str(directory / "shop.log")]).apps[deployment.apps[0].id].pool
    answered = pool.answered
    assert (answered.n, answered.n_censored) == (6, 1)  # the 504 is censored, the 502 says nothing
    assert answered.sum == pytest.approx(0.080 + 0.120 + 0.050 + 0.060 + 0.030 + 0.040)
    first, last = T0 + 0.100 - 0.080, T0 + 3.000 - 0.040
    assert pool.mean_rps == pytest.approx(7 / (last - first))


def test_period_window_and_several_files(shop) -> None:
    directory, deployment = shop
    rotated = directory / "shop.log.1.gz"
    with gzip.open(rotated, "wt") as handle:
        handle.write(line(-60.0, "/api/items", 200, 0.045))
    fitted = fit_workload(deployment, [str(directory / "shop.log"), str(rotated)], window="1s",
                          since="2024-05-02T07:59:59", until="2024-05-02T08:00:02")
    analysis = fitted.analysis
    assert analysis.outside_period == 4  # the rotated line, and the 3 requests that start at or after 08:00:02
    pool = fitted.apps[deployment.apps[0].id].pool
    assert pool.arrivals == 5 and pool.window_kind == "busiest" and pool.window_arrivals == 4  # 4 in 08:00:00


def test_host_not_logged_is_decided_by_the_only_proxying_server(shop) -> None:
    directory, deployment = shop
    log = directory / "bare.log"
    log.write_text(f'{T0:.3f} "GET /api/x HTTP/1.1" 200 rt=0.050 urt="0.050"\n')
    fitted = fit_workload(deployment, [str(log)], log_format='$msec "$request" $status rt=$request_time '
                                                             'urt="$upstream_response_time"')
    assert fitted.analysis.routes[route_id(deployment, "/api/")].total[0] == 1


def test_window_and_period_options_are_checked(shop) -> None:
    directory, deployment = shop
    with pytest.raises(AccessLogError, match="--window"):
        fit_workload(deployment, [str(directory / "shop.log")], window="soon")
    with pytest.raises(AccessLogError, match="not a date-time"):
        fit_workload(deployment, [str(directory / "shop.log")], since="yesterday")
