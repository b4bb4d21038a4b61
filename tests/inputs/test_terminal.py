"""Output on terminals that cannot encode advisor's symbols."""

from __future__ import annotations

import io

from advisor.terminal import EncodingSafeStream, ascii_fallback, needs_fallback, safe_stream


def _stream(encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding)


def test_ascii_terminals_get_ascii_symbols() -> None:
    raw = _stream("ascii")
    stream = safe_stream(raw)
    assert isinstance(stream, EncodingSafeStream)
    stream.write("4 workers × 2 threads ≥ 8 → ok – 5 ms… µs ✓ 中\n")
    stream.flush()
    assert raw.buffer.getvalue() == b"4 workers x 2 threads >= 8 -> ok - 5 ms... us ok ?\n"  # type: ignore[attr-defined]


def test_latin1_keeps_what_it_can_encode() -> None:
    assert ascii_fallback("× ≥", "latin-1") == "x >="
    assert needs_fallback(_stream("latin-1"))


def test_utf8_streams_are_left_alone() -> None:
    raw = _stream("utf-8")
    assert safe_stream(raw) is raw
    assert not needs_fallback(raw)
