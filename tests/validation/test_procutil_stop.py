"""stop_process_group stops the whole process group, also when the child is only a wrapper around the server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from advisor.validation.procutil import group_members, process_alive, stop_process_group, wait_gone

# A leader that exits on TERM and leaves behind a child that ignores TERM (a server worker that outlives its master).
_LEADER_WITH_STUBBORN_CHILD = """
import signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(100)"],
    stdout=subprocess.PIPE)
child.stdout.readline()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
print(child.pid, flush=True)
time.sleep(100)
"""


def _wait_members(pgid: int, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        members = group_members(pgid)
        if len(members) >= count:
            return members
        time.sleep(0.02)
    raise AssertionError(f"group {pgid} never had {count} members: {group_members(pgid)}")


def _cleanup(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.skipif(shutil.which("timeout") is None or shutil.which("sleep") is None, reason="needs coreutils")
@pytest.mark.parametrize("first_signal", [signal.SIGKILL, signal.SIGTERM])
def test_a_timeout_wrapper_and_the_server_under_it_are_both_stopped(first_signal):
    proc = subprocess.Popen([shutil.which("timeout"), "--kill-after=5s", "60s", shutil.which("sleep"), "100"],
                            start_new_session=True)
    members: list[int] = []
    try:
        members = _wait_members(proc.pid, 2)
        stop_process_group(proc, first_signal, 1.0)
        assert wait_gone(members, 2.0) == [], "a member of the group survived the stop"
        assert group_members(proc.pid) == []
    finally:
        _cleanup(members)
        if proc.returncode is None:
            proc.kill()
            proc.wait()


@contextmanager
def _leader_with_stubborn_child() -> Iterator[tuple[subprocess.Popen, int]]:
    """The leader (in its own group) and the pid of its TERM-ignoring child; both killed afterwards."""
    proc = subprocess.Popen([sys.executable, "-c", _LEADER_WITH_STUBBORN_CHILD], stdout=subprocess.PIPE,
                            start_new_session=True)
    members: list[int] = []
    try:
        straggler = int(proc.stdout.readline())
        members = [proc.pid, straggler]
        yield proc, straggler
    finally:
        _cleanup(members)
        if proc.returncode is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_a_straggler_of_a_leader_that_exits_gracefully_is_killed():
    with _leader_with_stubborn_child() as (proc, straggler):
        assert stop_process_group(proc, signal.SIGTERM, 5.0) == 0  # the leader itself exited on TERM
        assert not process_alive(straggler), "the TERM-ignoring child outlived the stop"


def test_a_group_whose_leader_was_already_reaped_is_still_stopped():
    with _leader_with_stubborn_child() as (proc, straggler):
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)  # reaped elsewhere (a `running` check), the child left behind
        assert process_alive(straggler)
        stop_process_group(proc, signal.SIGTERM, 1.0)
        assert not process_alive(straggler)


def test_the_running_check_does_not_reap_the_leader():
    """A reaped leader's group id can be reused: `running` must leave an exited leader for the stop to reap."""
    from advisor.validation.procutil import leader_running

    proc = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while leader_running(proc) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not leader_running(proc)
        assert proc.returncode is None  # not reaped: still a zombie holding its pid and group id
        assert stop_process_group(proc, signal.SIGTERM, 1.0) == 0
    finally:
        if proc.returncode is None:
            proc.wait()
