"""A Ctrl-C at any point of a server's start leaves no process running: also right after the spawn returned."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from advisor.validation import gunicorn_runner, refserver, uvicorn_runner, uwsgi_runner
from advisor.validation.procutil import process_alive
from advisor.validation.refserver import RefServerConfig, start_refserver

pytestmark = pytest.mark.skipif(shutil.which("sleep") is None, reason="needs coreutils sleep")


@pytest.mark.parametrize("module, handle_class, start_args", [
    (uvicorn_runner, "UvicornHandle", (uvicorn_runner.UvicornConfig(),)),
    (gunicorn_runner, "GunicornHandle", (gunicorn_runner.GunicornConfig(),)),
    (uwsgi_runner, "UwsgiHandle", ("uwsgi", uwsgi_runner.UwsgiConfig())),
])
def test_an_interrupt_between_spawn_and_the_readiness_wait_stops_the_process(monkeypatch, module, handle_class,
                                                                             start_args):
    spawned: list[subprocess.Popen] = []

    def spawn(*args: object) -> subprocess.Popen:
        spawned.append(subprocess.Popen([shutil.which("sleep"), "100"], start_new_session=True))
        return spawned[-1]

    def interrupted_handle(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "_spawn", spawn)
    monkeypatch.setattr(module, handle_class, interrupted_handle)
    tmpdir = tempfile.mkdtemp(prefix="advisor-test-")
    try:
        with pytest.raises(KeyboardInterrupt):
            module._start(*start_args, None, tmpdir, 5.0)
        assert len(spawned) == 1
        assert not process_alive(spawned[0].pid), "the spawned server was left running"
    finally:
        for proc in spawned:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmpdir, ignore_errors=True)


def test_an_interrupt_after_the_reference_server_is_ready_stops_it(monkeypatch):
    seen: list[str] = []

    def interrupted_parse(text: str):
        seen.append(text)
        raise KeyboardInterrupt

    started: list[int] = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc.pid)
        return proc

    monkeypatch.setattr(refserver, "parse_endpoint", interrupted_parse)
    monkeypatch.setattr(refserver.subprocess, "Popen", recording_popen)
    try:
        with pytest.raises(KeyboardInterrupt):
            start_refserver(RefServerConfig(bind="unix:", max_seconds=60))  # validate() parses no address
        assert seen and started
        assert not process_alive(started[0]), "the reference server was left running"
        assert not Path(seen[0].removeprefix("unix:")).exists()
    finally:
        monkeypatch.undo()
        for pid in started:
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)
