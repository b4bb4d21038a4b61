"""The guarded reader (advisor/readers.py): regular files only, bounded, read once; `-o` never blocks."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from advisor import readers
from advisor.readers import ReadError


def test_reads_a_regular_file_and_decodes_leniently(tmp_path: Path) -> None:
    path = tmp_path / "nginx.conf"
    path.write_bytes(b"server_name caf\xe9;\n")
    assert readers.read_text(str(path)) == "server_name caf\ufffd;\n"
    assert readers.read_bytes(str(path)) == b"server_name caf\xe9;\n"


def test_a_named_pipe_is_an_error_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.conf"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(ReadError) as caught:
        readers.read_text(str(fifo))
    assert "named pipe" in str(caught.value) and caught.value.filename == str(fifo)
    with pytest.raises(ReadError):
        readers.read_head(str(fifo), 100)
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_never_read(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    with pytest.raises(ReadError, match="device"):
        readers.read_bytes(device)


def test_a_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="directory"):
        readers.read_text(str(tmp_path))


def test_a_missing_file_keeps_the_system_reason(tmp_path: Path) -> None:
    with pytest.raises(OSError) as caught:  # an OSError: existing handlers keep working
        readers.read_text(str(tmp_path / "nope.conf"))
    assert "No such file" in str(caught.value)


def test_files_above_the_limit_are_not_read(tmp_path: Path) -> None:
    sparse = tmp_path / "big.conf"
    with open(sparse, "wb") as handle:
        handle.truncate(64 << 20)  # sparse: costs no disk
    with readers.session(max_file_bytes=1 << 20):
        with pytest.raises(ReadError, match=r"too large .*the limit is 1 MB"):
            readers.read_text(str(sparse))
    with pytest.raises(ReadError, match="too large"):
        readers.read_text(str(sparse))  # the default limit (10 MB) outside a session


def test_the_run_has_a_budget_too(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).write_bytes(b"x" * 600)
    with readers.session(max_file_bytes=1000, max_run_bytes=1500):
        readers.read_text(str(tmp_path / "a"))
        readers.read_text(str(tmp_path / "b"))
        readers.read_text(str(tmp_path / "a"))  # read again: from the cache, not counted twice
        with pytest.raises(ReadError, match="in total"):
            readers.read_text(str(tmp_path / "c"))


def test_a_file_is_read_once_per_run_and_again_when_it_changes(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "gunicorn.conf.py"
    path.write_text("workers = 2\n")
    opened: list[str] = []
    real_open = os.open

    def counting_open(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(name))
        return real_open(name, *args, **kwargs)

    with readers.session():
        monkeypatch.setattr(os, "open", counting_open)
        assert readers.read_text(str(path)) == "workers = 2\n"
        assert readers.read_text(str(path)) == "workers = 2\n"
        assert readers.cached_text(str(path)) == "workers = 2\n"
        assert opened == [str(path)]
        path.write_text("workers = 30\n")
        os.utime(path, ns=(1, 1))
        assert readers.read_text(str(path)) == "workers = 30\n"
    assert readers.cached_text(str(path)) is None  # the run's cache is gone with it


def test_standard_input_has_the_same_limit() -> None:
    with readers.session(max_file_bytes=10):
        assert readers.read_stream(io.StringIO("short")) == "short"
        with pytest.raises(ReadError, match="too large"):
            readers.read_stream(io.StringIO("x" * 11))


def test_output_to_a_pipe_without_reader_fails_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "out.pipe"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match="no reader"):
        readers.open_output(str(fifo))
    with pytest.raises(ReadError, match="directory"):
        readers.open_output(str(tmp_path))
    with readers.open_output(str(tmp_path / "report.txt")) as handle:
        handle.write("× ok\n")
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "× ok\n"


@pytest.mark.parametrize(("text", "size"), [("10M", 10 << 20), ("512k", 512 << 10), ("2GiB", 2 << 30),
                                            ("4096", 4096), ("1MB", 1 << 20)])
def test_sizes(text: str, size: int) -> None:
    assert readers.parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "-1", "0", "", "1T"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError):
        readers.parse_size(text)
