"""The gunicorn command-line parser behaves like gunicorn 27's argparse parser."""

from __future__ import annotations

import pytest

from advisor.loaders.gunicorn import parse_gunicorn_args
from advisor.model.addresses import Address
from advisor.model.provenance import Source

gunicorn_config = pytest.importorskip("gunicorn.config")


def _gunicorn_parse(argv):
    """The installed gunicorn's own parser: a namespace, or None when argparse exits."""
    parser = gunicorn_config.Config().parser()
    parser.exit = lambda *args, **kwargs: (_ for _ in ()).throw(SystemExit(2))  # no printing
    parser.error = lambda message: (_ for _ in ()).throw(SystemExit(2))
    try:
        return parser.parse_args(argv)
    except SystemExit:
        return None


@pytest.mark.parametrize("argv", [
    ["-w", "4", "app:app"], ["-w4", "app:app"], ["--workers=4", "app:app"], ["--thr", "4", "app:app"],
    ["-b", "127.0.0.1:8000", "-b", "unix:/run/a.sock", "app"], ["--bind=0.0.0.0:80", "--bind", "[::]:80"],
    ["-e", "A=1", "--env", "B=2", "app"], ["--preload", "--reload", "-D", "app"], ["-Dw4", "app"],
    ["--no-sendfile", "app"], ["--limit-request-field_size", "0", "app"], ["--timeout=0", "app"],
    ["--proxy-protocol", "app:app"], ["--proxy-protocol", "v2", "app:app"], ["app", "--proxy-protocol"],
    ["-k", "uvicorn.workers.UvicornWorker", "-c", "conf.py", "app"], ["--access-logfile", "-", "app"],
    ["--umask", "022", "app"], ["--", "-weird-app"], ["app", "-w", "2", "--threads", "3"],
    ["-t", "-1", "app"], ["--keep-alive", "5", "--graceful-timeout", "10", "--backlog", "64", "app"],
])
def test_settings_match_installed_argparse(argv):
    namespace = _gunicorn_parse(argv)
    assert namespace is not None
    parsed = parse_gunicorn_args(argv)
    expected = {key: item for key, item in vars(namespace).items() if item is not None and key != "args"}
    assert set(parsed.settings) == set(expected)
    for name, item in expected.items():
        setting = parsed.settings[name]
        if name == "bind":
            assert setting.raw == ", ".join(item)
            continue
        if not setting.known:  # rejected by gunicorn's validator after parsing (e.g. negative timeout)
            assert parsed.errors
            continue
        if name == "proxy_protocol":
            item = {"app:app": None}.get(item, item)  # argparse took APP_MODULE as the value
            if item is None:
                continue
        assert setting.value == item or setting.value == [item] or str(setting.value) == str(item), name
    positionals = [p.value for p in parsed.positionals]
    assert positionals == namespace.args


@pytest.mark.parametrize("argv", [
    ["-w"], ["--workers", "four"], ["--preload=yes"], ["--worker", "4"], ["--log", "x"], ["app", "-w", "2", "other"],
    ["--keep-alive", "--timeout", "3"],
])
def test_errors_where_argparse_exits(argv):
    assert _gunicorn_parse(argv) is None
    parsed = parse_gunicorn_args(argv)
    assert parsed.errors or parsed.unknown_options
    assert all(d.code == "ADV006" and d.severity == "error" for d in parsed.diagnostics())


def test_glued_short_option_and_values():
    parsed = parse_gunicorn_args(["-w4", "-b", "0.0.0.0:8000", "-b", "unix:/run/a.sock", "--timeout=0", "app:app"])
    assert parsed.flags == ["-w", "-b", "-b", "--timeout"]
    assert parsed.settings["workers"].value == 4
    assert parsed.settings["timeout"].value == 0
    assert parsed.settings["bind"].value == [Address("tcp", host="0.0.0.0", port=8000),
                                             Address("unix", path="/run/a.sock")]
    assert parsed.app_module.value == "app:app"


def test_abbreviated_long_option_is_recognised_as_the_full_one():
    parsed = parse_gunicorn_args(["--thr", "3", "--max-requests-j", "5"])
    assert [(o.written, o.flag) for o in parsed.options] == [("--thr", "--threads"),
                                                              ("--max-requests-j", "--max-requests-jitter")]
    assert parsed.settings["max_requests_jitter"].value == 5
    ambiguous = parse_gunicorn_args(["--work", "3"])
    assert "ambiguous option: --work could match --workers, --worker-class" in ambiguous.errors[0].message


def test_unknown_option_with_suggestion():
    parsed = parse_gunicorn_args(["--max_requests", "100", "--preload-app", "app"])
    assert [(u.text, u.suggestion) for u in parsed.unknown_options] == [("--max_requests", "--max-requests"),
                                                                        ("--preload-app", "--preload")]
    messages = [d.message for d in parsed.diagnostics()]
    assert "did you mean --max-requests?" in messages[-2]


def test_positions_come_from_the_caller():
    def source_for(index):
        return Source.file("docker-compose.yml", 12, 20 + index * 5, None)

    parsed = parse_gunicorn_args(["app:app", "--workers", "3", "--bogus"], source_for)
    workers = parsed.settings["workers"].source
    assert (workers.path, workers.line, workers.column, workers.detail) == ("docker-compose.yml", 12, 25,
                                                                            "--workers 3")
    diagnostic, = parsed.diagnostics()
    assert (diagnostic.path, diagnostic.line, diagnostic.column) == ("docker-compose.yml", 12, 35)


def test_shell_variables_stay_text_and_make_settings_unknown():
    parsed = parse_gunicorn_args(["-w${REDASH_WEB_WORKERS:-4}", "--timeout", "$TIMEOUT", "--bind=0.0.0.0:8000",
                                  "${EXTRA_ARGS}", "app:app"])
    assert parsed.flags == ["-w", "--timeout", "--bind"]
    assert not parsed.settings["workers"].known
    assert parsed.settings["workers"].raw == "${REDASH_WEB_WORKERS:-4}"
    assert "expanded by the shell" in parsed.settings["timeout"].source.detail
    assert parsed.settings["bind"].known
    assert parsed.errors == [] and parsed.unknown_options == []
    assert [e.raw for e in parsed.expansions] == ["${EXTRA_ARGS}"]
    assert parsed.app_module.value == "app:app"


def test_without_shell_variables_dollar_values_are_invalid():
    parsed = parse_gunicorn_args(["--workers", "$W"], shell_vars=False)
    assert "invalid int value: '$W'" in parsed.errors[0].message


def test_help_and_version_exit_early():
    assert parse_gunicorn_args(["--version"]).exits_early == "version"
    assert parse_gunicorn_args(["-h"]).exits_early == "help"


def test_config_option():
    parsed = parse_gunicorn_args(["-c", "gunicorn.conf.py", "app"])
    assert parsed.config.value == "gunicorn.conf.py"
    assert parsed.settings["config"].value == "gunicorn.conf.py"


def test_never_raises_on_odd_input():
    rejected_by_gunicorn = (["-=", "--=x"], ["-w", "--"], ["--bind"], ["-\x00"], ["--proxy-protocol="])
    for argv in (["-"], [""], ["--"], ["--umask", "0o7777777777777"], ["-bind"], [" -w 2"]):
        parse_gunicorn_args(argv)
    for argv in rejected_by_gunicorn:  # reported, not raised
        assert [d.code for d in parse_gunicorn_args(argv).diagnostics() if d.severity == "error"][:1] == ["ADV006"]
