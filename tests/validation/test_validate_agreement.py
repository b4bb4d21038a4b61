"""`advisor validate` end to end: real nginx + the reference server at ρ 0.5, 0.8 and 1.2 (queueing.md §5.3 configs
A and B: c = 4, S = 50 ms exponential, backlog 8, proxy_read_timeout 150 ms, proxy_connect_timeout 500 ms), on a
unix socket and on TCP. Every measured share must lie inside the simulator's band for a run of that length."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.nginx, pytest.mark.usefixtures("nginx_binary")]

SHARES = ("p_ok", "p_502", "p_504", "p_504_connect", "p_500", "p_other")


def _table(report: dict) -> str:
    return "\n".join(f"{row['label']:>22}: predicted {row['predicted']}, measured {row['measured']}, "
                     f"band {row['band']} -> {row['verdict']}" for row in report["rows"])


@pytest.mark.parametrize("pair", ["unix-b8", "tcp-b8"])
@pytest.mark.parametrize("rho", [0.5, 0.8, 1.2])
def test_every_measured_share_is_inside_the_band(validate_report, pair, rho):
    report = validate_report(pair, rho)
    assert report["band_level"] >= 0.99 and report["band_runs"] >= 1000  # see BAND_LEVEL in conftest.py
    params = report["parameters"]
    assert (params["workers"], params["backlog"], params["listen_backlog"]) == (4, 8, 8)
    assert params["socket"] == ("unix" if pair == "unix-b8" else "tcp")
    assert params["rho"] == pytest.approx(rho)
    measured = report["measured"]
    assert measured["n"] > 300  # 10 s at 40-96 requests/s
    assert abs(measured["rho"] - rho) < 0.15 * rho  # realised load near the nominal one
    assert measured["access_log_unmatched"] == 0
    assert report["verdict"] == "inside", _table(report)
    for key in SHARES:
        lo, hi = report["band"].get(key, (0.0, 0.0))
        assert lo - 1e-12 <= measured[key] <= hi + 1e-12, _table(report)


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
