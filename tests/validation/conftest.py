"""Fixtures for the validation tests: real processes on loopback/unix only, each stopped and checked for leftovers."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from agreement_support import BAND_LEVEL

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


# -- `advisor validate` runs shared by the agreement and parity tests -------------------------------------------

FIXTURE_PAIRS = Path(__file__).parent / "fixtures"
CAPACITY_RPS = 80.0  # c / S = 4 / 50 ms
RUN_DURATION = "10s"
RUN_WARMUP = "2s"
RUN_SEED = 1


@pytest.fixture(scope="session")
def validate_report():
    """``validate_report(pair, rho, server="ref")`` -> the report dict of one real `advisor validate` run behind
    real nginx (cached per session: the agreement and the parity tests share the reference-server runs)."""
    from advisor.commands.options import HostFacts, Inputs
    from advisor.commands.validate_cmd import ValidateOptions, execute

    cache: dict[tuple, dict] = {}

    def run(pair: str, rho: float, server: str = "ref") -> dict:
        key = (pair, rho, server)
        if key not in cache:
            directory = FIXTURE_PAIRS / pair
            options = ValidateOptions(
                inputs=Inputs(paths=[str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py")]),
                host=HostFacts.build(), rps=rho * CAPACITY_RPS, service_time="50ms", duration=RUN_DURATION,
                warmup=RUN_WARMUP, proxy="nginx", server=server, seed=RUN_SEED, band_level=BAND_LEVEL,
                progress=False,
            )
            cache[key] = execute(options)[0]
        return cache[key]

    return run
