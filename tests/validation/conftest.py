"""Fixtures for the validation tests: real processes on loopback/unix only, each stopped and checked for leftovers."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from advisor.validation.gunicorn_runner import GunicornConfig, gunicorn_available, start_gunicorn
from advisor.validation.procutil import wait_gone


def require_gunicorn() -> None:
    if not gunicorn_available():
        pytest.skip("gunicorn (test extra) not installed")


@pytest.fixture
def gunicorn_server():
    """Factory: ``with gunicorn_server(bind, timeout=..., boot_delay=...) as g`` runs a real gunicorn sync server
    with the synthetic app (``?t=<seconds>``). Returns once it listens (workers may still be booting)."""
    require_gunicorn()

    @contextmanager
    def start(bind: str, *, timeout: int = 30, boot_delay: float = 0.0, backlog: int = 2, workers: int = 1):
        config = GunicornConfig(bind=bind, workers=workers, backlog=backlog, timeout_s=timeout,
                                boot_delay_s=boot_delay, max_seconds=120, wait_for_workers=False)
        server = start_gunicorn(config)
        workers_seen: list[int] = []
        try:
            yield server
        finally:
            workers_seen = server.worker_pids()
            server.stop()
            assert wait_gone(workers_seen, 5) == [], "gunicorn left workers behind"
            if server.address.is_unix:
                assert not os.path.exists(server.address.path)

    return start
