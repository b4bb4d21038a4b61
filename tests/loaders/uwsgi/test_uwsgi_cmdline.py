"""uWSGI command lines as getopt_long reads them, and the order in which uWSGI applies options and files."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.loaders.uwsgi import Word, app_server_from_args, parse_uwsgi_args
from advisor.model.addresses import Address
from advisor.model.deployment import HostFacts
from advisor.model.provenance import Source


def _words(text: str) -> list[Word]:
    return [Word(word, Source.file("run.sh", 1, index + 1)) for index, word in enumerate(text.split())]


def _app(text: str, directory: Path | None = None, **host: object):
    def resolve(written: str) -> str | None:
        if directory is None:
            return None
        candidate = directory / written.lstrip("/")
        return str(candidate) if candidate.is_file() else None

    parsed = parse_uwsgi_args(_words(text))
    return app_server_from_args(parsed, Source.file("run.sh", 1, 1), HostFacts.build(**host),  # type: ignore
                                id="run.sh:1", resolve=resolve)


@pytest.mark.parametrize("text", [
    "--socket :3031 --processes 4 --master --harakiri 30",
    "--socket=:3031 --processes=4 -M -t 30",
    "-s :3031 -p4 -M --harakiri=30",
    "-Mp 4 -s:3031 -t30",
    "--socket :3031 --processe 4 --master --harakiri 30",  # a unique prefix of --processes
])
def test_spellings_of_the_same_command_line(text):
    app = _app(text).app
    assert app.settings["bind"].value == [Address("tcp", host="0.0.0.0", port=3031)]
    assert (app.settings["processes"].value, app.settings["master"].value, app.settings["harakiri"].value) == (
        4, True, 30)


def test_option_positions_point_at_the_option_word():
    app = _app("uwsgi-args --http-socket :8000 --threads 8").app
    assert app.settings["threads"].source.column == 4
    assert app.listeners[0].source.column == 2


def test_unknown_and_ambiguous_options_make_uwsgi_exit():
    result = _app("--socket :3031 --procs 4 --proc 2 -Z --sock :3032")
    messages = [diagnostic.message for diagnostic in result.diagnostics]
    assert any("unrecognized option '--procs'" in message for message in messages)
    assert any("ambiguous" in message and "'--proc'" in message for message in messages)
    assert any("ambiguous" in message and "'--sock'" in message for message in messages)
    assert any("invalid option -- 'Z'" in message for message in messages)
    assert all(diagnostic.severity == "error" for diagnostic in result.diagnostics)


def test_flag_with_a_value_and_missing_value_are_errors():
    messages = [d.message for d in _app("--master=yes --socket").diagnostics]
    assert any("doesn't allow an argument" in message for message in messages)
    assert any("requires an argument" in message for message in messages)


def test_version_flag_does_not_serve():
    (diagnostic,) = _app("--version").diagnostics
    assert diagnostic.severity == "warning" and "version" in diagnostic.message


def test_ini_is_read_at_its_position(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "uwsgi.ini").write_text("[uwsgi]\nprocesses = 8\nharakiri = 60\nsocket = /run/a.sock\n")
    app = _app("--processes 2 --ini /app/uwsgi.ini --harakiri 20", tmp_path).app
    assert app.settings["processes"].value == 8  # the file comes after --processes 2
    assert app.settings["harakiri"].value == 20  # --harakiri 20 comes after the file
    assert app.settings["processes"].source.path.endswith("uwsgi.ini")


def test_config_given_as_argument_is_read_after_all_options(tmp_path):
    (tmp_path / "uwsgi.ini").write_text("[uwsgi]\nprocesses = 8\nsocket = :3031\n")
    app = _app("uwsgi.ini --processes 2", tmp_path).app
    assert app.settings["processes"].value == 8


def test_magic_directory_is_known_for_an_absolute_ini_path(tmp_path):
    (tmp_path / "etc" / "uwsgi").mkdir(parents=True)
    (tmp_path / "etc" / "uwsgi" / "shop.ini").write_text("[uwsgi]\nsocket = %d%n.sock\n")
    app = _app("--ini /etc/uwsgi/shop.ini", tmp_path).app
    assert app.settings["bind"].value == [Address("unix", path="/etc/uwsgi/shop.sock")]


def test_ini_that_is_not_here_leaves_the_settings_unknown():
    result = _app("--ini /etc/uwsgi/shop.ini --harakiri 30")
    app = result.app
    assert app.settings["harakiri"].value == 30
    assert not app.settings["processes"].known and not app.settings["bind"].known
    assert [(d.code, d.severity, d.missing) for d in result.diagnostics] == [("ADV004", "info",
                                                                               "/etc/uwsgi/shop.ini")]


def test_unknown_words_are_reported_as_expansions():
    words = [Word("--socket", Source.file("run.sh", 1, 1)), Word(":3031", Source.file("run.sh", 1, 10)),
             Word("$UWSGI_ARGS", Source.file("run.sh", 1, 16), "UWSGI_ARGS is not set")]
    parsed = parse_uwsgi_args(words)
    assert [word.text for word in parsed.expansions] == ["$UWSGI_ARGS"]
    result = app_server_from_args(parsed, Source.file("run.sh", 1, 1), HostFacts.build(), id="x",
                                  resolve=lambda _: None)
    assert [(d.severity, d.column) for d in result.diagnostics] == [("info", 16)]


def test_unknown_option_value_is_unknown_not_guessed():
    words = [Word("--processes", Source.file("run.sh", 1, 1)),
             Word("${WORKERS}", Source.file("run.sh", 1, 13), "$WORKERS is not set")]
    app = app_server_from_args(parse_uwsgi_args(words), Source.file("run.sh", 1, 1), HostFacts.build(), id="x",
                               resolve=lambda _: None).app
    assert not app.settings["processes"].known and "$WORKERS" in app.settings["processes"].source.detail
