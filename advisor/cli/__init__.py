"""Command-line entry point (`advisor`, `python -m advisor`).

A plain command line runs without importing typer (advisor/cli/fast_path.py); everything else — help, usage errors,
anything unusual — goes through the typer app (advisor/cli/typer_app.py), built with only the command it runs. Both
call the same handlers (advisor/cli/handlers.py)."""

from __future__ import annotations

import sys
from typing import Any

GC_YOUNG_THRESHOLD = 100_000  # allocations between collections of the youngest generation (CPython's default: 700)


def main(leave_quickly: bool = True) -> None:
    """Console entry point: usage errors exit 2; an unexpected exception is one line on stderr and exit 2.

    With `leave_quickly` a finished plain command ends the process at once (advisor/cli/quick_exit.py) instead of
    raising SystemExit; callers that run code after main() pass False."""
    import gc

    from advisor.dataclass_code_cache import install

    # A run allocates many objects and frees them by reference counting; the collector's default pace (a pass
    # every 700 allocations, each full pass walking every imported module) is a tenth of a small check's time.
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
    if sys.argv[1:] != ["--version"]:  # the one command without record classes: not worth importing dataclasses
        install(sys.argv[1] if len(sys.argv) > 1 else "")  # before any module with record classes is imported
    from advisor.terminal import safe_stream

    debug = "--debug" in sys.argv
    sys.stdout, sys.stderr = safe_stream(sys.stdout), safe_stream(sys.stderr)  # ASCII terminals: no crash
    try:
        from advisor.cli import fast_path, quick_exit

        try:
            fast_path.run(sys.argv)  # exits when the command line is plain
        except SystemExit as finished:
            if leave_quickly:
                quick_exit.leave(finished.code)  # returns only when the output cannot be flushed
            raise
        from advisor.cli.typer_app import app_for

        app_for(sys.argv)(prog_name="advisor")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("advisor: interrupted\n")
        raise SystemExit(130)
    except RecursionError:  # input nested beyond what a parser handles
        if debug:
            raise
        sys.stderr.write("advisor: error: an input is nested too deeply to be read\n")
        raise SystemExit(2)
    except Exception as error:  # noqa: BLE001 - the catch-all the exit-code contract promises
        if debug:
            raise
        sys.stderr.write(f"advisor: internal error: {type(error).__name__}: {error} (run with --debug for details)\n")
        raise SystemExit(2)


def __getattr__(name: str) -> Any:
    """`app` and `app_for` of the typer app, imported on first use (the fast path never needs them)."""
    if name in ("app", "app_for"):
        from advisor.cli import typer_app

        return getattr(typer_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
