"""`advisor model --access-log` and `advisor check --access-log` through the typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synthetic_log import simulate_lines
from typer.testing import CliRunner

from advisor.cli import app

NGINX = """events {}
http {
    log_format timing '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                      '"$http_referer" "$http_user_agent" msec=$msec rt=$request_time '
                      'uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time" '
                      'ua="$upstream_addr" us="$upstream_status" host="$host" port=$server_port';
    access_log /var/log/nginx/access.log timing;
    server {
        listen 80;
        server_name shop.example.com;
        location /static/ { root /srv/shop; }
        location / {
            proxy_pass http://unix:/run/app.sock:;
            proxy_read_timeout 150ms;
        }
    }
}
"""
GUNICORN = 'bind = "unix:/run/app.sock"\nworkers = 4\nbacklog = 8\n'
TRUE_RATE, TRUE_MEAN = 68.0, 0.05


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """4 sync workers at rho 0.85 with a 150 ms read timeout: 502s and 504s happen."""
    directory = tmp_path_factory.mktemp("shop")
    (directory / "nginx.conf").write_text(NGINX)
    (directory / "gunicorn.conf.py").write_text(GUNICORN)
    lines, _ = simulate_lines(rate=TRUE_RATE, duration_s=300, servers=4, queue=9, read_timeout=0.15,
                              service=lambda rng: rng.expovariate(1 / TRUE_MEAN), seed=5)
    (directory / "access.log").write_text("".join(lines))
    return directory


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def files(directory: Path) -> list[str]:
    return [str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py")]


def test_json_workload_and_observed_fields(shop: Path) -> None:
    result = invoke("model", *files(shop), "--access-log", str(shop / "access.log"), "--window", "all",
                    "--output-format", "json")
    assert result.exit_code == 1, result.output  # over the 0.1 % error budget
    document = json.loads(result.stdout)
    workload = document["workload"]
    assert workload["source"] == "access-log"
    assert workload["rps"] == pytest.approx(TRUE_RATE, rel=0.05)
    service = workload["service_time"]
    assert {"mean_s", "p50_s", "p99_s", "distribution"} <= set(service)
    assert service["distribution"] == "exponential"
    assert service["mean_s"] == pytest.approx(TRUE_MEAN, rel=0.06)
    assert workload["window"]["kind"] == "whole period"
    prediction = document["predictions"][0]
    observed = prediction["observed"]
    assert set(observed) >= {"n", "p_ok", "p_502", "p_504", "p_500"}
    assert observed["p_ok"] + observed["p_502"] + observed["p_504"] + observed["p_500"] == pytest.approx(1.0)
    assert abs(prediction["p_502"] - observed["p_502"]) < 0.03
    assert abs(prediction["p_504"] + prediction["p_504_connect"] - observed["p_504"]) < 0.03
    assert prediction["agreement"]["verdict"] == "explained"
    assert prediction["parameters"]["lambda"]["source"].startswith("--access-log")


def test_text_names_the_window_and_the_verdict_and_no_client_data(shop: Path) -> None:
    result = invoke("model", *files(shop), "--access-log", str(shop / "access.log"))
    assert result.exit_code == 1, result.output
    text = result.stdout
    assert "busiest 60 s window" in text
    assert "the model explains what the log saw" in text
    assert "observed" in text and "workload" in text
    assert "192.0.2.7" not in text and "load/1.0" not in text  # client address, user agent


def test_a_log_without_timings_is_refused(shop: Path, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text('192.0.2.7 - - [02/May/2024:10:00:01 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8"\n')
    result = invoke("model", *files(shop), "--access-log", str(log), "--log-format", "combined")
    assert result.exit_code == 2
    assert "$upstream_response_time" in result.stderr and "log_format timing" in result.stderr


def test_rps_and_access_log_together_are_refused(shop: Path) -> None:
    result = invoke("model", *files(shop), "--access-log", str(shop / "access.log"), "--rps", "10",
                    "--service-time", "50ms")
    assert result.exit_code == 2 and "leave out --rps" in result.stderr
    result = invoke("model", *files(shop), "--rps", "10", "--service-time", "50ms", "--window", "5m")
    assert result.exit_code == 2 and "--access-log" in result.stderr


def test_check_uses_the_fitted_workload(shop: Path) -> None:
    result = invoke("check", *files(shop), "--access-log", str(shop / "access.log"), "--select", "CAP009",
                    "--output-format", "json")
    findings = json.loads(result.stdout)
    findings = findings["findings"] if isinstance(findings, dict) else findings
    assert [f["code"] for f in findings] == ["CAP009"]
    assert "requests/s" in findings[0]["message"]


def test_project_config_workload_from_the_log(shop: Path, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".advisor.toml").write_text(
        f'pairs = [{{nginx = ["{shop}/nginx.conf"], app = ["{shop}/gunicorn.conf.py"], '
        f'workload = {{access-log = "{shop}/access.log", window = "all"}}}}]\nselect = ["CAP009"]\n')
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--output-format", "concise")
    assert result.exit_code == 1, result.output
    assert "CAP009" in result.stdout
