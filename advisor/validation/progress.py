"""Progress of a validation run on stderr: a self-updating line on a terminal, a plain line every few seconds
otherwise. A daemon thread reads the load generator's live records; it never writes to them."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import TextIO

from .loadresult import RequestRecord, outcome_class

TTY_INTERVAL_S = 0.5
PLAIN_INTERVAL_S = 5.0


class Progress:
    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True, tty: bool | None = None,
                 interval_s: float | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval_s = interval_s if interval_s is not None else (TTY_INTERVAL_S if self.tty else PLAIN_INTERVAL_S)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._line_open = False

    def phase(self, message: str) -> None:
        if self.enabled:
            self._end_line()
            self.stream.write(f"advisor validate: {message}\n")
            self.stream.flush()

    def watch(self, total_s: float):
        """An observer for ``run_load``: starts the reporting thread when the load starts."""

        def observer(records: list[RequestRecord], t0: float) -> None:
            if not self.enabled:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._report, args=(records, t0, total_s), daemon=True,
                                            name="advisor-validate-progress")
            self._thread.start()

        return observer

    def done(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self._end_line()

    def _report(self, records: list[RequestRecord], t0: float, total_s: float) -> None:
        interval = self.interval_s
        sent = 0
        open_records: list[RequestRecord] = []
        classes: Counter[str] = Counter()
        while not self._stop.wait(interval):
            elapsed = time.monotonic() - t0
            # incremental, so each tick costs only the new and the still-open requests (the generator's loop
            # needs the GIL back quickly)
            while sent < len(records) and records[sent].started == records[sent].started:  # not NaN: sent
                open_records.append(records[sent])
                sent += 1
            still_open = []
            for record in open_records:
                if record.outcome:
                    classes[outcome_class(record.outcome)] += 1
                else:
                    still_open.append(record)
            open_records = still_open
            answered = ", ".join(f"{key} {classes[key]}" for key in ("ok", "502", "503", "504", "500") if classes[key])
            line = (f"advisor validate: {min(elapsed, total_s):5.1f}/{total_s:g} s, {sent} sent"
                    + (f", {answered}" if answered else ""))
            if self.tty:
                self.stream.write("\r\x1b[K" + line)
                self._line_open = True
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def _end_line(self) -> None:
        if self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False
