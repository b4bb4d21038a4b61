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
        return self._proc.poll() is None

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
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def stop_process_group(proc: subprocess.Popen, first_signal: int, wait_s: float) -> int:
    """Send ``first_signal`` to a child started with ``start_new_session=True``; SIGKILL its group if it lingers.

    The group is killed only while the leader is still unreaped, so the group id cannot have been reused.
    Returns the exit code.
    """
    if proc.poll() is None:
        try:
            proc.send_signal(first_signal)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return proc.wait(timeout=10)


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
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text(errors="replace").rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[1] == str(pid) and fields[0] not in ("Z", "X"):
            children.append(int(entry))
    return sorted(children)


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
