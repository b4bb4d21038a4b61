"""A file read as text is held once: the bytes are dropped when the text gives them back, and kept when it cannot."""

from __future__ import annotations

from pathlib import Path

from advisor import readers


def test_valid_utf8_keeps_only_the_text(tmp_path: Path) -> None:
    path = tmp_path / "nginx.conf"
    data = "# caf\u00e9\nhttp {}\n".encode()
    path.write_bytes(data)
    with readers.session() as state:
        assert readers.read_text(str(path)) == data.decode()
        entry = next(iter(state.cache.values()))
        assert entry.raw is None and entry.size == len(data)
        assert readers.read_bytes(str(path)) == data
        assert readers.read_head(str(path), 6) == data[:6]  # cut inside the two bytes of "\u00e9"
        assert readers.cached_text(str(path)) == data.decode()


def test_invalid_utf8_keeps_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "nginx.conf"
    data = b"# caf\xe9\nhttp {}\n"
    path.write_bytes(data)
    with readers.session() as state:
        assert readers.read_text(str(path)) == "# caf\ufffd\nhttp {}\n"
        assert next(iter(state.cache.values())).raw == data
        assert readers.read_bytes(str(path)) == data
