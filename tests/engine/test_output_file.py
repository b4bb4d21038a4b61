"""`-o FILE` puts a complete report in place or nothing: an error midway leaves no partial file."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from advisor.commands import check
from advisor.commands.options import CheckOptions, HostFacts, Inputs
from advisor.commands.output_file import report_output

PAIR = """server {
    listen 80;
    location / {
        proxy_pass http://127.0.0.1:8000;
        proxy_read_timeout 10s;
    }
}
"""


def _pair(directory: Path) -> list[str]:
    (directory / "nginx.conf").write_text(PAIR)
    (directory / "gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\ntimeout = 30\n')
    return [str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py")]


def _check(paths: list[str], **changes) -> int:
    options = CheckOptions(inputs=Inputs(paths=paths), host=HostFacts.build(), color="never", **changes)
    return check.run(options, io.StringIO(), io.StringIO())


class _Boom(Exception):
    pass


def _files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_writer_failing_midway_leaves_no_file(tmp_path):
    target = tmp_path / "report.txt"
    with pytest.raises(_Boom):
        with report_output(str(target)) as handle:
            handle.write("half a report\n" * 1000)
            handle.flush()
            raise _Boom
    assert _files(tmp_path) == []


def test_interrupt_midway_keeps_the_old_report(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("the old report\n")
    with pytest.raises(KeyboardInterrupt):
        with report_output(str(target)) as handle:
            handle.write("the new one, unfinished")
            raise KeyboardInterrupt
    assert target.read_text() == "the old report\n"
    assert _files(tmp_path) == ["report.txt"]


def test_check_failing_in_the_writer_leaves_no_file(tmp_path, monkeypatch):
    paths = _pair(tmp_path)
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()

    def broken(data, rules, options, out, stream):
        stream.write('{"findings": [')
        raise _Boom

    monkeypatch.setattr(check, "write_report", broken)
    assert _check(paths, output_format="json", output_file=str(target)) == 2  # an internal error, reported
    assert _files(target.parent) == []


def test_complete_report_is_the_same_bytes_as_standard_output(tmp_path):
    paths = _pair(tmp_path)
    target = tmp_path / "report.txt"
    out = io.StringIO()
    code = check.run(CheckOptions(inputs=Inputs(paths=paths), host=HostFacts.build(), color="never"), out,
                     io.StringIO())
    assert _check(paths, output_file=str(target)) == code
    assert target.read_bytes() == out.getvalue().encode("utf-8")
    assert sorted(_files(tmp_path)) == ["gunicorn.conf.py", "nginx.conf", "report.txt"]


def test_new_file_gets_the_mode_of_a_normal_new_file(tmp_path):
    old = os.umask(0o027)
    try:
        with report_output(str(tmp_path / "report.txt")) as handle:
            handle.write("x")
        with open(tmp_path / "plain.txt", "w") as handle:
            handle.write("x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(tmp_path / "report.txt").st_mode)
    assert mode == stat.S_IMODE(os.stat(tmp_path / "plain.txt").st_mode) == 0o640


def test_replacing_keeps_the_mode_and_a_symlink(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "latest.txt"
    link.symlink_to(target)
    with report_output(str(link)) as handle:
        handle.write("new")
    assert link.is_symlink() and target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_device_is_written_directly(tmp_path):
    with report_output(os.devnull) as handle:
        handle.write("nothing")
    assert _files(tmp_path) == []
