"""Fixtures for the validation tests: real processes on loopback/unix only, each stopped and checked for leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

from advisor.validation.endpoints import Endpoint, parse_endpoint, wait_listening
from advisor.validation.procutil import stop_process_group, wait_gone

# The same synthetic app as the reference server: ?t=<seconds> sleeps, then 200 "ok". Import sleeps
# APP_BOOT_DELAY seconds, like the reference server's boot_delay (gunicorn loads the app in the worker after fork).
WSGI_APP = textwrap.dedent(
    """
    import os
    import time
    from urllib.parse import parse_qs

    time.sleep(float(os.environ.get("APP_BOOT_DELAY", "0")))


    def app(environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        time.sleep(float(query.get("t", ["0"])[0]))
        body = b"ok\\n"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    """
)


class GunicornServer:
    def __init__(self, proc: subprocess.Popen, address: Endpoint, log_path: Path) -> None:
        self.proc = proc
        self.address = address
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
                except OSError:
                    continue
                if fields[1] == str(self.proc.pid):
                    pids.append(int(entry))
        return pids


@pytest.fixture
def gunicorn_server(tmp_path):
    """Factory: ``with gunicorn_server(bind, timeout=..., boot_delay=...) as g`` runs a real gunicorn sync server."""
    pytest.importorskip("gunicorn", reason="gunicorn (test extra) not installed")
    app_dir = tmp_path / "gunicorn_app"
    app_dir.mkdir()
    (app_dir / "wsgi_app.py").write_text(WSGI_APP, encoding="utf-8")

    @contextmanager
    def start(bind: str, *, timeout: float = 30, boot_delay: float = 0.0, backlog: int = 2, workers: int = 1):
        address = parse_endpoint(bind)
        log_path = tmp_path / f"gunicorn-{len(list(tmp_path.glob('gunicorn-*.log')))}.log"
        env = dict(os.environ, APP_BOOT_DELAY=str(boot_delay), HOME=str(tmp_path))
        argv = [
            sys.executable, "-m", "gunicorn",
            "--bind", str(address), "--workers", str(workers), "--worker-class", "sync",
            "--backlog", str(backlog), "--timeout", f"{timeout:g}", "--graceful-timeout", "1",
            "--no-control-socket", "--chdir", str(app_dir), "wsgi_app:app",
        ]
        with open(log_path, "wb") as log_fh:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_fh, stderr=log_fh, env=env,
                                    start_new_session=True)
        server = GunicornServer(proc, address, log_path)
        try:
            if not wait_listening(address, 15, alive=lambda: proc.poll() is None):
                raise RuntimeError(f"gunicorn did not start: {server.log()}")
            yield server
        finally:
            workers_seen = server.worker_pids()
            stop_process_group(proc, signal.SIGTERM, 5)
            assert wait_gone(workers_seen, 5) == [], "gunicorn left workers behind"
            if address.is_unix:
                assert not os.path.exists(address.path)

    return start
