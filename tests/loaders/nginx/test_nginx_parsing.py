"""Bad input never raises: unreadable files, syntax errors, odd bytes become ADV001 diagnostics with positions."""

from __future__ import annotations

from pathlib import Path

from nginx_test_support import codes, load_text, only, route, write

from advisor.loaders.nginx import load_nginx
from advisor.model.deployment import HostFacts

APP = """
http {
    server {
        listen 80;
        location / {
            proxy_pass http://127.0.0.1:8000;
        }
    }
}
"""


def test_missing_file_is_adv001_with_clear_message(tmp_path: Path) -> None:
    missing = tmp_path / "nope.conf"
    result = load_nginx(str(missing), HostFacts.build())
    diagnostic = only(result, "ADV001")
    assert diagnostic.severity == "error"
    assert diagnostic.path == str(missing)
    assert "file not found" in diagnostic.message and str(missing) in diagnostic.message
    assert result.routes == [] and result.config.files == []


def test_directory_instead_of_file(tmp_path: Path) -> None:
    result = load_nginx(str(tmp_path), HostFacts.build())
    assert "is a directory" in only(result, "ADV001").message


def test_missing_semicolon_reports_file_and_line(tmp_path: Path) -> None:
    result = load_text(tmp_path, """http {
    server {
        location /broken {
            proxy_pass http://a.example
        }
        location /ok {
            proxy_pass http://b.example;
        }
    }
}
""")
    diagnostic = only(result, "ADV001")
    assert diagnostic.line == 4
    assert diagnostic.message == 'directive "proxy_pass" is not terminated by ";"'
    assert diagnostic.path.endswith("nginx.conf")
    # the `}` after the broken directive still closes its location: /ok is not swallowed into /broken
    assert [r.location for r in result.routes] == ["/ok"]


def test_unbalanced_brace_is_a_parse_error_with_line(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http {\n    server {\n        listen 80;\n}\n")
    diagnostic = only(result, "ADV001")
    assert 'expecting "}"' in diagnostic.message
    assert diagnostic.line == 4


def test_bare_token_at_end_of_file_gets_a_message_and_the_last_line(tmp_path: Path) -> None:
    # crossplane reports this with an empty message and line None
    result = load_text(tmp_path, "# comment\nserver_tokens off;\nasdfasdf\n\n")
    diagnostic = only(result, "ADV001")
    assert diagnostic.message == "unexpected end of file, expecting \";\" or \"}\""
    assert diagnostic.line == 3


def test_double_semicolon_does_not_swallow_the_next_directive_silently(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http {\n server {\n  listen 80;;\n  server_name a.example;\n"
                                 "  location / { proxy_pass http://127.0.0.1:8000; }\n }\n}\n")
    assert only(result, "ADV001").line == 3


def test_block_directive_without_block(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http;\n")
    assert only(result, "ADV001").message == 'directive "http" has no opening "{"'


def test_map_keys_named_like_block_directives_are_fine(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http {\n map $scheme $flags {\n  http \"a\";\n  https \"b\";\n }\n}\n")
    assert result.diagnostics == []


def test_latin1_and_koi8_bytes_do_not_crash(tmp_path: Path) -> None:
    latin1 = "# café réseau\n".encode("latin-1")
    koi8 = "# привет мир\n".encode("koi8-r")
    body = APP.encode("ascii").replace(b"listen 80;", b"listen 80;\n        server_name " + "caf\u00e9.example".encode(
        "latin-1") + b"; # " + "привет".encode("koi8-r"))
    path = write(tmp_path, "raw.conf", latin1 + koi8 + body)
    result = load_nginx(str(path), HostFacts.build())
    assert result.diagnostics == []
    app = route(result, "/")
    assert str(app.target.addresses[0].value) == "127.0.0.1:8000"
    assert app.server_names == ["caf\ufffd.example"]  # undecodable byte replaced, never an exception


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.conf", b"\xef\xbb\xbf" + APP.encode())
    result = load_nginx(str(path), HostFacts.build())
    assert result.diagnostics == []
    assert result.config.settings["context"].value == "main"
    assert route(result, "/").source.line == 5


def test_keepalive_local_is_valid_on_1_30_and_rejected_on_1_28(tmp_path: Path) -> None:
    text = "http {\n upstream app {\n  server 127.0.0.1:8000;\n  keepalive 32 local;\n }\n}\n"
    new = load_text(tmp_path, text, version="1.30.0")
    assert new.diagnostics == []
    assert new.upstreams["app"].settings["keepalive"].value == 32
    assert new.upstreams["app"].settings["keepalive_local"].value is True
    old = load_text(tmp_path, text, version="1.28.0")
    assert codes(old) == ["ADV006"]
    assert not old.upstreams["app"].settings["keepalive"].known


def test_invalid_value_is_adv006_and_unknown(tmp_path: Path) -> None:
    result = load_text(tmp_path, APP.replace("proxy_pass", "proxy_read_timeout abc;\n            proxy_pass"))
    diagnostic = only(result, "ADV006")
    assert diagnostic.line == 6 and diagnostic.severity == "error"
    assert '"abc"' in diagnostic.message and "proxy_read_timeout" in diagnostic.message
    setting = route(result, "/").settings["proxy_read_timeout"]
    assert not setting.known and setting.raw == "abc" and setting.source.line == 6


def test_wrong_argument_count_is_adv006(tmp_path: Path) -> None:
    result = load_text(tmp_path, APP.replace("proxy_pass", "proxy_buffering on off;\n            proxy_pass"))
    assert only(result, "ADV006").message == ('invalid number of arguments in "proxy_buffering" directive: '
                                             "nginx refuses to start")


def test_duplicate_directive_is_reported_first_value_kept(tmp_path: Path) -> None:
    result = load_text(tmp_path, APP.replace(
        "proxy_pass", "proxy_read_timeout 10s;\n            proxy_read_timeout 20s;\n            proxy_pass"))
    assert "duplicate" in only(result, "ADV006").message
    assert route(result, "/").settings["proxy_read_timeout"].value == 10.0


def test_proxy_http_version_2_needs_1_29_4(tmp_path: Path) -> None:
    text = APP.replace("proxy_pass", "proxy_http_version 2;\n            proxy_pass")
    assert route(load_text(tmp_path, text, version="1.30.0"), "/").settings["proxy_http_version"].value == "2"
    assert codes(load_text(tmp_path, text, version="1.28.0")) == ["ADV006"]
