"""Small Linux process helpers: parent-death signal, liveness that ignores zombies, bounded stop."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Self

_PR_SET_PDEATHSIG = 1


class ChildProcessHandle:
    """Base of the handles of an already started child process: a context manager that calls ``stop()`` on exit."""

    _proc: subprocess.Popen

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return leader_running(self._proc)

    def stop(self) -> object:
        raise NotImplementedError


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux prctl). False if unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def process_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (a reaped-later corpse does not count as a leftover process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def leader_running(proc: subprocess.Popen) -> bool:
    """True while the child runs. Unlike ``poll()`` it does not reap an exited child, so the child's process group
    id stays reserved for ``stop_process_group`` (a reaped leader's id can be reused)."""
    if proc.returncode is not None:
        return False
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
    except ChildProcessError:  # reaped elsewhere
        return proc.poll() is None


def stop_process_group(proc: subprocess.Popen, first_signal: int, wait_s: float) -> int:
    """Stop a child started with ``start_new_session=True`` together with everything in its process group.

    Every signal goes to the whole group, never to the child alone: the child may be a wrapper (coreutils
    ``timeout``) whose death would leave the server running. ``first_signal`` first; once the leader has exited or
    ``wait_s`` has passed, SIGKILL for whatever is left. The leader stays unreaped (``waitid(WNOWAIT)``) until then,
    so its group id cannot have been reused by an unrelated process. Returns the exit code.
    """
    if proc.returncode is None:
        _signal_group(proc.pid, first_signal)
        _wait_exited_unreaped(proc.pid, wait_s)
        _signal_group(proc.pid, signal.SIGKILL)  # a straggler of a leader that exited, or a leader that lingers
    else:  # reaped earlier (poll()): the group id is pinned only by live members, so signal those one by one
        for pid in group_members(proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    code = proc.wait(timeout=10)
    wait_gone(group_members(proc.pid), 5.0)
    return code


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _wait_exited_unreaped(pid: int, timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` for child ``pid`` to exit, leaving it a zombie; True once it has exited."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def group_members(pgid: int) -> list[int]:
    """The live processes (zombies left out) whose process group is ``pgid`` (from /proc)."""
    return _live_processes_with(2, pgid)


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, pgrp, session, ...; empty if the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(errors="replace").rpartition(")")[2].split()
    except OSError:
        return []


def wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    """Wait until none of ``pids`` is alive; return those still alive at the timeout."""
    deadline = time.monotonic() + timeout_s
    alive = [p for p in pids if process_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = [p for p in alive if process_alive(p)]
    return alive


def child_pids(pid: int) -> list[int]:
    """The live children of `pid` (from /proc; zombies left out)."""
    return _live_processes_with(1, pid)


def _live_processes_with(field: int, value: int) -> list[int]:
    """The live processes whose /proc stat ``field`` (1: ppid, 2: pgrp; see ``_stat_fields``) is ``value``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if len(fields) > field and fields[field] == str(value) and fields[0] not in ("Z", "X"):
            found.append(int(entry))
    return sorted(found)


def read_text_if_present(path: Path) -> str:
    """A file a child process writes; empty when it has not written it (yet)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def read_json_lines(path: Path) -> list[dict]:
    """One JSON object per line; a line cut short by a killed process is skipped."""
    records = []
    for line in read_text_if_present(path).splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a killed worker
    return records
