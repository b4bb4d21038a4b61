"""uWSGI config files read statically: ini/YAML/JSON/XML, sections, placeholders, magic variables, loads, order."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisor.loaders.uwsgi import load_uwsgi_config
from advisor.model.addresses import Address
from advisor.model.deployment import AppServer, HostFacts


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def _load(path: Path, **host: object):
    return load_uwsgi_config(str(path), HostFacts.build(**host))  # type: ignore[arg-type]


def _value(app: AppServer, name: str) -> object:
    setting = app.settings[name]
    assert setting.known, f"{name} is unknown: {setting.source.detail}"
    return setting.value


def _reason(app: AppServer, name: str) -> str:
    setting = app.settings[name]
    assert not setting.known, f"{name} is known: {setting.value!r}"
    return setting.source.detail or ""


INI = """
    ; Django on uWSGI
    [uwsgi]
    chdir = /srv/shop
    module = shop.wsgi:application
    master = true
    processes = 4
    threads = 2
    socket = /run/uwsgi/shop.sock
    http-socket = :8000
    harakiri = 30
    # comment lines start with ; or #
    buffer-size = 32768
    vacuum
    enable-threads = false
"""


def test_ini_settings_convert_as_uwsgi_does(tmp_path):
    result = _load(_write(tmp_path, "uwsgi.ini", INI))
    app = result.app
    assert app.kind == "uwsgi" and app.id.endswith("uwsgi.ini")
    assert (_value(app, "processes"), _value(app, "workers"), _value(app, "threads")) == (4, 4, 2)
    assert _value(app, "harakiri") == 30 and _value(app, "buffer_size") == 32768
    assert _value(app, "master") is True
    assert _value(app, "vacuum") is True  # a key without `=`: the empty value turns a flag on
    assert _value(app, "enable_threads") is False
    assert _value(app, "listen") == 100 and app.settings["listen"].is_default
    assert app.settings["harakiri"].source.line == 10 and app.settings["harakiri"].source.column == 1
    assert result.diagnostics == []


def test_repeated_socket_options_are_a_list_with_protocols(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", INI)).app
    assert _value(app, "bind") == [Address("unix", path="/run/uwsgi/shop.sock"),
                                   Address("tcp", host="0.0.0.0", port=8000)]
    assert [(item.option, item.protocol, item.source.line) for item in app.listeners] == [
        ("socket", "uwsgi", 8), ("http-socket", "http", 9)]


@pytest.mark.parametrize(("line", "address", "protocol"), [
    ("socket = 127.0.0.1:3031", Address("tcp", host="127.0.0.1", port=3031), "uwsgi"),
    ("uwsgi-socket = localhost:3031", Address("tcp", host="127.0.0.1", port=3031), "uwsgi"),
    ("http = 0.0.0.0:8080", Address("tcp", host="0.0.0.0", port=8080), "http-router"),
    ("fastcgi-socket = /run/fcgi.sock", Address("unix", path="/run/fcgi.sock"), "fastcgi"),
    ("https-socket = [::]:8443,cert.pem,key.pem", Address("tcp", host="::", port=8443), "https"),
    ("http11-socket = :9000", Address("tcp", host="0.0.0.0", port=9000), "http11"),
])
def test_socket_kinds(tmp_path, line, address, protocol):
    app = _load(_write(tmp_path, "uwsgi.ini", f"[uwsgi]\n{line}\n")).app
    assert [(item.address, item.protocol) for item in app.listeners] == [(address, protocol)]


def test_protocol_option_changes_what_socket_speaks(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", "[uwsgi]\nsocket = :3031\nprotocol = http\n")).app
    assert [item.protocol for item in app.listeners] == ["http"]


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("1", True), ("yes", True), ("", True), ("FALSE", False), ("off", False), ("No", False),
    ("0", False),
])
def test_booleans_as_uwsgi_reads_them(tmp_path, text, expected):
    app = _load(_write(tmp_path, "uwsgi.ini", f"[uwsgi]\nmaster = {text}\n")).app
    assert _value(app, "master") is expected


def test_numbers_as_atoi_reads_them(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", "[uwsgi]\nprocesses = 4 ; four\nlisten = many\n"
                                              "buffer-size = 100000\nreload-on-rss = 512\n")).app
    assert _value(app, "processes") == 4  # uWSGI keeps the comment in the value; atoi stops at the blank
    assert _value(app, "listen") == 0
    assert _value(app, "buffer_size") == 65535  # a 16-bit option
    assert _value(app, "reload_on_rss") == 512 * 1024 * 1024


def test_negative_integer_is_an_error(tmp_path):
    result = _load(_write(tmp_path, "uwsgi.ini", "[uwsgi]\nprocesses = -2\n"))
    assert not result.app.settings["processes"].known
    assert [(d.code, d.severity, d.line) for d in result.diagnostics] == [("ADV006", "error", 2)]
    assert 'invalid value for option "processes": must be > 0' in result.diagnostics[0].message


def test_other_sections_are_not_read(tmp_path):
    path = _write(tmp_path, "uwsgi.ini", "[uwsgi]\nprocesses = 2\n[other]\nprocesses = 9\n")
    assert _value(_load(path).app, "processes") == 2


def test_ini_option_selects_a_named_section(tmp_path):
    _write(tmp_path, "common.ini", "[uwsgi]\nprocesses = 2\n[production]\nprocesses = 16\nharakiri = 45\n")
    app = _load(_write(tmp_path, "uwsgi.ini", "[uwsgi]\nini = common.ini:production\nsocket = :3031\n")).app
    assert (_value(app, "processes"), _value(app, "harakiri")) == (16, 45)
    assert app.settings["processes"].source.path.endswith("common.ini")


def test_placeholders_and_magic_variables(tmp_path):
    path = _write(tmp_path, "shop.ini", """
        [uwsgi]
        project = shop
        base = /srv/%(project)
        chdir = %(base)/src
        socket = /run/uwsgi/%n.sock
        processes = %k
        stats = %d/stats.sock
    """)
    app = _load(path, cpus=3).app
    assert _value(app, "chdir") == "/srv/shop/src"
    assert _value(app, "bind") == [Address("unix", path="/run/uwsgi/shop.sock")]  # %n: the file name
    assert _value(app, "processes") == 3  # %k: the CPU count (--cpus)
    assert "%k" in _reason(_load(path).app, "processes")


def test_magic_directory_of_a_file_given_directly_is_unknown(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", "[uwsgi]\nsocket = %d/app.sock\n")).app
    assert "%d" in _reason(app, "bind")
    assert app.listeners == []


def test_environment_placeholders(tmp_path):
    path = _write(tmp_path, "uwsgi.ini", "[uwsgi]\nprocesses = $(WORKERS)\nharakiri = @(/etc/harakiri)\n")
    app = _load(path).app
    assert "WORKERS" in _reason(app, "processes") and "--env WORKERS" in _reason(app, "processes")
    assert "@(/etc/harakiri)" in _reason(app, "harakiri")
    assert _value(_load(path, env={"WORKERS": "6"}).app, "processes") == 6


def test_placeholder_not_defined_anywhere_is_unknown(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", "[uwsgi]\nsocket = /run/%(project).sock\n")).app
    assert "%(project)" in _reason(app, "bind")


def test_set_placeholder_and_env_option(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", """
        [uwsgi]
        set-placeholder = name=blog
        module = %(name).wsgi
        env = DJANGO_SETTINGS_MODULE=%(name).settings
        env = LANG=C.UTF-8
    """)).app
    assert _value(app, "module") == "blog.wsgi"
    assert _value(app, "env") == ["DJANGO_SETTINGS_MODULE=blog.settings", "LANG=C.UTF-8"]


def test_uwsgi_environment_variables_come_first(tmp_path):
    path = _write(tmp_path, "uwsgi.ini", "[uwsgi]\nlisten = 128\nsocket = :3031\n")
    app = _load(path, env={"UWSGI_LISTEN": "1024", "UWSGI_HARAKIRI": "20", "UWSGI_BUFFER_SIZE": "16384"}).app
    assert _value(app, "listen") == 128  # the file is read after UWSGI_* and wins
    assert (_value(app, "harakiri"), _value(app, "buffer_size")) == (20, 16384)
    assert app.settings["harakiri"].source.describe() == "command-line option --env UWSGI_HARAKIRI=20"


def test_include_of_another_file_in_place(tmp_path):
    _write(tmp_path, "base.ini", "[uwsgi]\nprocesses = 2\nharakiri = 60\nsocket = /run/base.sock\n")
    app = _load(_write(tmp_path, "app.ini", "[uwsgi]\nprocesses = 8\ninclude = base.ini\nharakiri = 30\n")).app
    assert _value(app, "processes") == 2  # base.ini comes after processes = 8
    assert _value(app, "harakiri") == 30
    assert _value(app, "bind") == [Address("unix", path="/run/base.sock")]


def test_missing_include_makes_earlier_settings_and_sockets_unknown(tmp_path):
    result = _load(_write(tmp_path, "app.ini", "[uwsgi]\nprocesses = 8\nini = /etc/uwsgi/base.ini\n"
                                                "harakiri = 30\nsocket = :3031\n"))
    app = result.app
    assert "/etc/uwsgi/base.ini" in _reason(app, "processes")
    assert "/etc/uwsgi/base.ini" in _reason(app, "listen")  # a default the missing file may set
    assert _value(app, "harakiri") == 30
    assert "may bind more sockets" in _reason(app, "bind")
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.line, diagnostic.missing) == (
        "ADV004", "info", 3, "/etc/uwsgi/base.ini")


def test_config_logic_blocks_are_unknown(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", """
        [uwsgi]
        processes = 2
        if-env = PRODUCTION
        processes = 8
        endif =
        harakiri = 30
    """)).app
    assert "if-env = PRODUCTION" in _reason(app, "processes")
    assert _value(app, "harakiri") == 30


def test_underscore_spelling_is_an_unknown_setting_unless_used_as_placeholder(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", """
        [uwsgi]
        buffer_size = 32768
        max_requests = 1000
        socket_dir = /run/uwsgi
        socket = %(socket_dir)/app.sock
        project_name = shop
    """)).app
    assert [(item.name, item.suggestion, item.source.line) for item in app.unknown_settings] == [
        ("buffer_size", "buffer-size", 2), ("max_requests", "max-requests", 3)]
    assert _value(app, "buffer_size") == 4096


def test_yaml_config(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.yaml", """
        uwsgi:
          module: shop.wsgi
          master: true
          processes: 4
          socket:
            - 127.0.0.1:3031
            - /run/uwsgi/shop.sock
          harakiri: 30
        other:
          processes: 9
    """)).app
    assert (_value(app, "processes"), _value(app, "master"), _value(app, "harakiri")) == (4, True, 30)
    assert [str(address) for address in _value(app, "bind")] == ["127.0.0.1:3031", "unix:/run/uwsgi/shop.sock"]
    assert app.settings["harakiri"].source.line == 8


def test_json_config(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.json", """
        {
          "uwsgi": {
            "module": "shop.wsgi",
            "master": true,
            "vacuum": false,
            "processes": 4,
            "http-socket": [":8000"]
          }
        }
    """)).app
    assert (_value(app, "master"), _value(app, "vacuum"), _value(app, "processes")) == (True, False, 4)
    assert [(item.protocol, str(item.address)) for item in app.listeners] == [("http", "0.0.0.0:8000")]
    assert app.settings["processes"].source.line == 6


def test_xml_config(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.xml", """
        <uwsgi>
            <socket>/run/uwsgi/shop.sock</socket>
            <master/>
            <processes>4</processes>
            <harakiri>30</harakiri>
        </uwsgi>
    """)).app
    assert (_value(app, "master"), _value(app, "processes"), _value(app, "harakiri")) == (True, 4, 30)
    assert _value(app, "bind") == [Address("unix", path="/run/uwsgi/shop.sock")]
    assert app.settings["harakiri"].source.line == 5


def test_a_file_without_the_section_says_so(tmp_path):
    result = _load(_write(tmp_path, "uwsgi.ini", "[app]\nprocesses = 4\n"))
    assert [(d.code, d.severity) for d in result.diagnostics] == [("ADV004", "warning")]
    assert 'no "uwsgi" section' in result.diagnostics[0].message


def test_cheaper_turns_on_the_master(tmp_path):
    app = _load(_write(tmp_path, "uwsgi.ini", "[uwsgi]\nprocesses = 8\ncheaper = 2\n")).app
    assert _value(app, "master") is True and "cheaper" in app.settings["master"].source.detail
    assert (_value(app, "cheaper"), _value(app, "workers")) == (2, 8)
