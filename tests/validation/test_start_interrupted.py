"""A Ctrl-C at any point of a server's start leaves no process running: also right after the spawn returned."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from advisor.validation import app_server, refserver
from advisor.validation.errors import ServerStartError
from advisor.validation.procutil import process_alive
from advisor.validation.refserver import RefServerConfig, start_refserver
from advisor.validation.uvicorn_runner import UvicornConfig

pytestmark = pytest.mark.skipif(shutil.which("sleep") is None, reason="needs coreutils sleep")


def test_an_interrupt_between_spawn_and_the_readiness_wait_stops_the_process(monkeypatch):
    """The start the gunicorn, uvicorn and uWSGI runners share."""
    spawned: list[subprocess.Popen] = []
    made: list[str] = []
    real_popen, real_mkdtemp = subprocess.Popen, tempfile.mkdtemp

    def recording_popen(*args, **kwargs):
        spawned.append(real_popen(*args, **kwargs))
        return spawned[-1]

    def recording_mkdtemp(*args, **kwargs):
        made.append(real_mkdtemp(*args, **kwargs))
        return made[-1]

    def sleeper(address, tmpdir):
        return [shutil.which("sleep"), "100"], {}

    class InterruptedHandle(app_server.AppServerHandle):
        def __init__(self, *args: object) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(app_server.subprocess, "Popen", recording_popen)
    monkeypatch.setattr(app_server.tempfile, "mkdtemp", recording_mkdtemp)
    try:
        with pytest.raises(KeyboardInterrupt):
            app_server.start_app_server("test", InterruptedHandle, ServerStartError,
                                        config=UvicornConfig(max_seconds=60), endpoint=None, app_source="",
                                        command=sleeper, workers=1, ready_timeout_s=5.0)
        assert len(spawned) == 1
        assert not process_alive(spawned[0].pid), "the spawned server was left running"
        assert made and not Path(made[0]).exists(), "the temp dir was left behind"
    finally:
        monkeypatch.undo()
        for proc in spawned:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


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
