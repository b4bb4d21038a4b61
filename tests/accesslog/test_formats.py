"""log_format texts compiled into parsers, and which format a log file is read with."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.accesslog.choose import AccessLogError, choose_format
from advisor.accesslog.formats import COMBINED, RECOMMENDED, compile_format, unescape
from advisor.model.nginx_sites import AccessLogDef, LogFormatDef, NginxSites, ServerDef

COMBINED_LINE = ('203.0.113.9 - alice [02/May/2024:10:00:01 +0200] "GET /cart?id=1 HTTP/1.1" 200 512 '
                 '"https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"\n')
JSON_TEXT = ('{"t":"$msec","status":$status,"req":"$request","rt":$request_time,'
             '"urt":"$upstream_response_time","uct":"$upstream_connect_time","host":"$host"}')


def fields(fmt, line: str) -> dict[str, str]:
    found = fmt.pattern.match(line)
    assert found is not None, line
    return dict(zip(fmt.fields, found.groups()))


def test_combined_is_read_but_has_no_timings() -> None:
    got = fields(COMBINED, COMBINED_LINE)
    assert got == {"time_local": "02/May/2024:10:00:01 +0200", "request": "GET /cart?id=1 HTTP/1.1", "status": "200"}
    assert not COMBINED.has_upstream_timing


def test_json_format_with_escaped_values_and_empty_variables() -> None:
    fmt = compile_format("j", JSON_TEXT, "json")
    line = ('{"t":"1714636801.123","status":504,"req":"GET /q?s=\\"x\\" HTTP/1.1","rt":0.151,'
            '"urt":"0.150","uct":"0.001, 0.000","host":""}\n')
    got = fields(fmt, line)
    assert got["upstream_connect_time"] == "0.001, 0.000" and got["host"] == ""
    assert unescape(got["request"], "json") == 'GET /q?s="x" HTTP/1.1'
    assert fmt.has_upstream_timing and fmt.has_time


def test_default_escaping_and_retries() -> None:
    fmt = compile_format("t", '$msec "$request" $status $upstream_response_time $upstream_addr')
    got = fields(fmt, '1714636801.123 "GET /a\\x22b HTTP/1.1" 502 0.000, 0.051 : 0.002 10.0.0.1:80, 10.0.0.2:80\n')
    assert got["upstream_response_time"] == "0.000, 0.051 : 0.002"
    assert got["upstream_addr"] == "10.0.0.1:80, 10.0.0.2:80"
    assert unescape(got["request"], "default") == 'GET /a"b HTTP/1.1'


def sites(fmt_text: str | None, log_format: str = "main", target: str = "/var/log/nginx/access.log") -> NginxSites:
    formats = {"main": LogFormatDef("main", fmt_text, "default", "nginx.conf", 3)} if fmt_text else {}
    return NginxSites(servers=[ServerDef(("example.com",), (), "nginx.conf", 10)], formats=formats,
                      http_access_logs=(AccessLogDef(target, log_format, "nginx.conf", 5),))


def write(path: Path, *lines: str) -> str:
    path.write_text("".join(lines))
    return str(path)


def test_the_config_names_the_format(tmp_path: Path) -> None:
    text = '$msec $status "$request" rt=$request_time urt=$upstream_response_time'
    log = write(tmp_path / "access.log.1", '1714636801.123 200 "GET / HTTP/1.1" rt=0.050 urt=0.049\n')
    choice = choose_format(log, sites(text), None)
    assert choice.format.name == "main" and choice.how == "access_log at nginx.conf:5"


def test_a_log_in_combined_is_refused_with_the_line_to_add(tmp_path: Path) -> None:
    log = write(tmp_path / "access.log", COMBINED_LINE)
    with pytest.raises(AccessLogError) as error:
        choose_format(log, sites(None, "combined"), None)
    message = str(error.value)
    assert "$upstream_response_time" in message and "log_format timing" in message
    assert "access_log /var/log/nginx/access.log timing;" in message
    assert "203.0.113.9" not in message  # never a client address


def test_the_recommended_format_is_recognised(tmp_path: Path) -> None:
    line = (COMBINED_LINE.rstrip("\n") + ' msec=1714636801.123 rt=0.052 uct="0.000" uht="0.051" urt="0.051" '
            'ua="unix:/run/app.sock" us="200" host="example.com" port=443\n')
    log = write(tmp_path / "other.log", line)
    choice = choose_format(log, sites(None, "combined"), None)
    assert choice.format is RECOMMENDED


def test_explicit_format_name_or_text(tmp_path: Path) -> None:
    log = write(tmp_path / "x.log", '1714636801.123 200 0.049\n')
    choice = choose_format(log, None, "$msec $status $upstream_response_time")
    assert choice.format.fields == ("msec", "status", "upstream_response_time")
    with pytest.raises(AccessLogError, match="no log_format of that name"):
        choose_format(log, None, "main")


def test_unknown_lines_ask_for_the_format(tmp_path: Path) -> None:
    log = write(tmp_path / "access.log", "something else entirely\n")
    with pytest.raises(AccessLogError, match="--log-format"):
        choose_format(log, sites('$msec $upstream_response_time'), None)


def test_gzip_and_missing_files(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "access.log.2.gz"
    with gzip.open(path, "wt") as handle:
        handle.write('1714636801.123 200 "GET / HTTP/1.1" rt=0.050 urt=0.049\n')
    choice = choose_format(str(path), sites('$msec $status "$request" rt=$request_time urt=$upstream_response_time'),
                           None)
    assert choice.format.name == "main"  # access.log.2.gz is a rotation of access.log
    with pytest.raises(AccessLogError, match="cannot read access log"):
        choose_format(str(tmp_path / "nope.log"), None, None)
