"""`advisor validate` end to end: real nginx + the reference server at ρ 0.5, 0.8 and 1.2 (queueing.md §5.3 configs
A and B: c = 4, S = 50 ms exponential, backlog 8, proxy_read_timeout 150 ms, proxy_connect_timeout 500 ms), on a
unix socket and on TCP. Every measured share must lie inside the simulator's band for a run of that length."""

from __future__ import annotations

from pathlib import Path

import pytest
from agreement_support import assert_inside, band_table

pytestmark = [pytest.mark.slow, pytest.mark.nginx, pytest.mark.usefixtures("nginx_binary")]

FIXTURE_DIR = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("pair", ["unix-b8", "tcp-b8"])
@pytest.mark.parametrize("rho", [0.5, 0.8, 1.2])
def test_every_measured_share_is_inside_the_band(validate_report, pair, rho):
    report = validate_report(pair, rho)
    assert report["band_level"] >= 0.99 and report["band_runs"] >= 1000  # see BAND_LEVEL in agreement_support.py
    params = report["parameters"]
    assert (params["workers"], params["backlog"], params["listen_backlog"]) == (4, 8, 8)
    assert params["socket"] == ("unix" if pair == "unix-b8" else "tcp")
    assert params["rho"] == pytest.approx(rho)
    measured = report["measured"]
    assert measured["n"] > 300  # 10 s at 40-96 requests/s
    assert abs(measured["rho"] - rho) < 0.15 * rho  # realised load near the nominal one
    assert_inside(report)


@pytest.mark.parametrize("pair, overflow_key, signature", [
    ("unix-b8", "p_502", "connect_eagain"),  # a full unix accept queue: immediate 502
    ("tcp-b8", "p_504_connect", "timeout_connecting"),  # a full TCP accept queue: dropped SYN, 504 after 500 ms
])
def test_overload_shows_the_socket_kinds_own_failure(validate_report, pair, overflow_key, signature):
    report = validate_report(pair, 1.2)
    measured, errors = report["measured"], report["nginx_error_log"]["counts"]
    assert measured[overflow_key] > 0.1
    other_overflow = "p_504_connect" if overflow_key == "p_502" else "p_502"
    assert measured[other_overflow] == 0.0
    assert errors[signature] >= measured["counts"]["502" if overflow_key == "p_502" else "504_connect"]
    assert errors["timeout_reading_header"] >= measured["counts"]["504"] - measured["cut_by_read_timeout"]
    assert report["server"]["worker_timeouts"] == 0


@pytest.mark.parametrize("proxy", ["builtin"])
def test_a_time_scaled_run_reproduces_the_slow_deployment(proxy):
    """Config A slowed down 100x (5-s requests, proxy_read_timeout 15 s) runs as config A with --time-scale 0.01;
    the report speaks in the configured units."""
    from advisor.commands.options import HostFacts, Inputs
    from advisor.commands.validate_cmd import ValidateOptions, execute

    directory = FIXTURE_DIR / "unix-slow"
    report, _ = execute(ValidateOptions(
        inputs=Inputs(paths=[str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py")]),
        host=HostFacts.build(), rps=0.64, service_time="5s", duration="8s", warmup="1s", proxy=proxy,
        time_scale=0.01, seed=1, band_level=0.998, progress=False))
    executed = report["parameters"]["executed"]
    assert executed["rps"] == pytest.approx(64.0)
    assert executed["mean_service_s"] == pytest.approx(0.05)
    assert executed["proxy_read_timeout_s"] == pytest.approx(0.15)
    assert report["parameters"]["rho"] == pytest.approx(0.8, rel=1e-4)  # E[H] includes the 60-s worker timeout
    assert any("time-scaled by 0.01" in note for note in report["notes"])
    measured = report["measured"]
    assert measured["offered_rps"] == pytest.approx(0.64, rel=0.15)  # in the configured units
    # seconds, not the executed milliseconds: a unit error would be a factor of 100
    assert 0.5 < measured["latency_p50_s"] / report["predicted"]["latency_p50_s"] < 2.0
    assert report["band"]["latency_p50_s"][0] > 1.0
    assert report["verdict"] == "inside", band_table(report)
