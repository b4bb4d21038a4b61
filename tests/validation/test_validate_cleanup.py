"""`advisor validate` as a user runs it (a subprocess): JSON report, the user's addresses untouched, and nothing left
behind - no process, no socket, no temp file - after a normal run, after Ctrl-C (SIGINT) and after SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from agreement_support import descendants

from advisor.validation.procutil import process_alive

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
USER_SOCKET_DIR = Path("/run/advisor-validate-fixture")  # where the fixture configs put the app's socket


class Run:
    """`python -m advisor validate ...` with a private TMPDIR, watching every process it starts."""

    def __init__(self, tmp_path: Path, pair: str, *args: str) -> None:
        self.tmpdir = tmp_path / "tmp"
        self.tmpdir.mkdir()
        env = dict(os.environ, TMPDIR=str(self.tmpdir), PYTHONPATH=str(REPO))
        directory = FIXTURES / pair
        argv = [sys.executable, "-m", "advisor", "validate", str(directory / "nginx.conf"),
                str(directory / "gunicorn.conf.py"), *args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     cwd=tmp_path)
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.is_set() and self.proc.poll() is None:
            self.seen |= descendants(self.proc.pid)
            time.sleep(0.05)

    def wait_for_stderr(self, text: str, timeout_s: float = 30.0) -> str:
        assert self.proc.stderr is not None
        lines = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            lines.append(line)
            if text in line or not line:
                break
        return "".join(lines)

    def finish(self, timeout_s: float = 120.0) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout_s)
        self._stop.set()
        self._watcher.join()
        return self.proc.returncode, out, err

    def assert_clean(self) -> None:
        assert self.seen, "the run started no processes?"
        leftover = [pid for pid in self.seen if process_alive(pid)]
        assert leftover == [], f"processes left behind: {leftover}"
        assert sorted(p.name for p in self.tmpdir.iterdir()) == [], "temp files left behind"
        assert not USER_SOCKET_DIR.exists(), "the user's socket directory was created"


def test_a_run_reports_json_uses_private_addresses_and_leaves_nothing_behind(tmp_path):
    run = Run(tmp_path, "unix-b8", "--rps", "64", "--service-time", "50ms", "--duration", "2s", "--warmup", "0.5s",
              "--proxy", "builtin", "--output-format", "json")
    code, out, err = run.finish()
    assert code in (0, 1), err
    report = json.loads(out)
    assert {"predicted", "measured", "band", "verdict", "parameters", "nginx_error_log"} <= report.keys()
    for key in ("p_ok", "p_502", "p_504", "p_500", "latency_p50_s", "latency_p99_s", "utilization"):
        assert key in report["predicted"] and key in report["measured"] and key in report["band"]
    assert report["measured"]["n"] > 80  # ~128 expected
    assert sum(report["measured"][k] for k in ("p_ok", "p_502", "p_504", "p_504_connect", "p_500", "p_other")) \
        == pytest.approx(1.0)
    assert report["verdict"] == ("inside" if code == 0 else "outside")
    assert report["nginx_error_log"] is None  # --proxy builtin
    assert "sending" in err  # progress on stderr, plain lines when not a terminal
    run.assert_clean()


@pytest.mark.nginx
@pytest.mark.usefixtures("nginx_binary")
def test_the_generated_nginx_config_proxies_to_a_private_address(tmp_path):
    run = Run(tmp_path, "tcp-b8", "--rps", "40", "--service-time", "50ms", "--duration", "2s", "--warmup", "0.5s",
              "--output-format", "json")
    code, out, err = run.finish()
    assert code in (0, 1), err
    config = json.loads(out)["nginx_config"]
    assert "proxy_read_timeout 150ms;" in config and "proxy_connect_timeout 500ms;" in config
    assert "listen 127.0.0.1:" in config
    assert "18731" not in config  # the user's gunicorn port
    assert "proxy_pass http://127.0.0.1:" in config
    run.assert_clean()


@pytest.mark.nginx
@pytest.mark.usefixtures("nginx_binary")
@pytest.mark.parametrize("server, sig, code", [
    ("ref", signal.SIGINT, 130),
    ("gunicorn", signal.SIGINT, 130),
    ("ref", signal.SIGTERM, 143),
])
def test_an_interrupted_run_leaves_nothing_behind(tmp_path, server, sig, code):
    if server == "gunicorn":
        pytest.importorskip("gunicorn", reason="gunicorn (test extra) not installed")
    run = Run(tmp_path, "unix-b8", "--rps", "64", "--service-time", "50ms", "--duration", "20s",
              "--server", server)
    seen = run.wait_for_stderr("sending")
    assert "sending" in seen, seen
    time.sleep(1.0)  # in the middle of the load
    assert len([pid for pid in run.seen if process_alive(pid)]) >= 3  # server, its workers, nginx
    run.proc.send_signal(sig)
    returncode, out, err = run.finish(timeout_s=60)
    assert returncode == code, err
    assert out == ""
    run.assert_clean()


def test_refserver_command_serves_and_stops_by_itself(tmp_path):
    from advisor.validation.loadgen import LoadSpec, run_load

    socket_path = tmp_path / "ref.sock"
    proc = subprocess.Popen([sys.executable, "-m", "advisor", "refserver", "--bind", f"unix:{socket_path}",
                             "--workers", "2", "--backlog", "4", "--max-seconds", "1.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        ready = json.loads(proc.stdout.readline())
        assert ready["event"] == "ready" and ready["address"] == f"unix:{socket_path}"
        assert len(ready["workers"]) == 2
        result = run_load(LoadSpec(target=f"unix:{socket_path}", arrivals="burst", max_requests=3, duration_s=1,
                                   path="/?t=0.01", read_timeout_s=5))
        assert result.counts() == {"ok": 3}
        assert proc.wait(timeout=30) == 0  # --max-seconds: it stops by itself
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert not socket_path.exists()
    assert [pid for pid in ready["workers"] if process_alive(pid)] == []


def test_refserver_command_refuses_non_loopback_addresses():
    proc = subprocess.run([sys.executable, "-m", "advisor", "refserver", "--bind", "0.0.0.0:8000"],
                          capture_output=True, text=True, timeout=30, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 2
    assert "refusing non-loopback address" in proc.stderr
