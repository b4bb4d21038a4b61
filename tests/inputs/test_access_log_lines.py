"""Access logs are streamed in bounded memory: a line longer than the limit (a sparse file, the NUL run logrotate's
copytruncate leaves) is cut and its rest skipped; the format sample does not read a file of blank lines to its end."""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

import pytest

from advisor.accesslog import reader


def _lines(data: bytes, chunk: int) -> list[bytes]:
    stream = io.BytesIO(data)
    original = reader._CHUNK_BYTES
    reader._CHUNK_BYTES = chunk
    try:
        return list(reader._bounded_lines(stream))
    finally:
        reader._CHUNK_BYTES = original


@pytest.mark.parametrize("chunk", [1, 3, 64, 1 << 20])
def test_lines_are_split_like_a_text_file(chunk: int) -> None:
    rng = random.Random(chunk)
    for _ in range(50):
        data = bytes(rng.choice(b"ab \n\xc3\xa9") for _ in range(rng.randrange(0, 400)))
        assert _lines(data, chunk) == io.BytesIO(data).readlines()


def test_an_overlong_line_is_cut_and_the_next_line_kept(monkeypatch) -> None:
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 10)
    lines = _lines(b"short\n" + b"\0" * 1000 + b"\nnext line\n", 7)
    assert lines == [b"short\n", b"\0" * 10 + b"\n", b"next line\n"]


def test_a_sparse_log_is_read_in_bounded_time_and_memory(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    with open(log, "wb") as handle:
        handle.truncate(64 << 20)  # 64 MB of NUL bytes, no newline
        handle.seek(0, 2)
        handle.write(b"\nlast\n")
    started = time.monotonic()
    lines = list(reader.open_lines(str(log)))
    assert time.monotonic() - started < 10
    assert [len(line) for line in lines] == [reader.MAX_LINE_BYTES + 1, 5]


def test_the_format_sample_stops_in_a_file_of_blank_lines(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(reader, "MAX_SAMPLE_SCAN", 1000)
    log = tmp_path / "access.log"
    log.write_bytes(b"\n" * 5000 + b"late line\n")
    assert reader.first_lines(str(log), 5) == []
    log.write_bytes(b"\n" * 10 + b"early line\n")
    assert reader.first_lines(str(log), 5) == ["early line\n"]
