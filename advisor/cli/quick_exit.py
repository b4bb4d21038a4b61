"""Leave the process without tearing the interpreter down.

When a command has finished, everything it wrote is flushed and the atexit handlers (cache writes, pending
finalizers of temporary files) are run; what remains of an ordinary exit is freeing every object and module one by
one, about a tenth of a small `advisor check`. `leave(code)` skips that part with os._exit. It returns (and the
caller exits the ordinary way) when the output cannot be flushed, so a closed pipe is reported as before, and
while other threads run (an ordinary exit waits for them).
"""

from __future__ import annotations

import atexit
import os
import sys


def exit_status(code: object) -> int:
    """The status an ordinary `raise SystemExit(code)` would give: None is 0, an int itself, anything else 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1


def leave(code: object) -> None:
    """Flush, run the atexit handlers and end the process with `code`'s status; return if flushing fails."""
    if not isinstance(code, (int, type(None))):
        return  # a message to print: the ordinary exit prints it
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    try:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers an ordinary exit would run, in the same order
    try:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        pass  # the atexit handlers' own output; the command's was flushed above
    os._exit(exit_status(code))
