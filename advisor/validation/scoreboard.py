"""Shared-memory scoreboard between the reference server's master and its forked workers.

One fixed-size record per worker slot: the heartbeat (CLOCK_MONOTONIC seconds, system-wide) and request counters.
Each slot has a single writer at a time (the worker occupying it), so no locking is needed.
"""

from __future__ import annotations

import mmap
import struct
import time

_RECORD = struct.Struct("=d4qq")  # heartbeat, n_2xx, n_500, n_other, n_client_gone, busy (0/1)
COUNTERS = ("2xx", "500", "other", "client_gone")


class Scoreboard:
    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._mem = mmap.mmap(-1, _RECORD.size * slots)  # anonymous MAP_SHARED: inherited across fork()

    def _read(self, slot: int) -> tuple:
        return _RECORD.unpack_from(self._mem, slot * _RECORD.size)

    def notify(self, slot: int) -> None:
        """Worker heartbeat."""
        struct.pack_into("=d", self._mem, slot * _RECORD.size, time.monotonic())

    def last_heartbeat(self, slot: int) -> float:
        return self._read(slot)[0]

    def count(self, slot: int, counter: str) -> None:
        index = COUNTERS.index(counter)
        offset = slot * _RECORD.size + 8 + 8 * index
        (value,) = struct.unpack_from("=q", self._mem, offset)
        struct.pack_into("=q", self._mem, offset, value + 1)

    def set_busy(self, slot: int, busy: bool) -> None:
        struct.pack_into("=q", self._mem, slot * _RECORD.size + 8 + 8 * len(COUNTERS), int(busy))

    def busy(self) -> int:
        """How many workers are handling a request right now."""
        return sum(self._read(slot)[-1] for slot in range(self.slots))

    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys(COUNTERS, 0)
        for slot in range(self.slots):
            for name, value in zip(COUNTERS, self._read(slot)[1:1 + len(COUNTERS)]):
                totals[name] += value
        return totals
