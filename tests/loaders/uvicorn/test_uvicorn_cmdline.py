"""uvicorn's command line parsed the way its click command does."""

from __future__ import annotations

from advisor.loaders.uvicorn import OPTIONS, parse_uvicorn_args
from advisor.loaders.uvicorn.options import FLAG_TO_OPTION
from advisor.model.provenance import Source


def parse(text: str):
    return parse_uvicorn_args(text.split(), lambda index: Source.file("run.sh", 1, index + 1))


def test_values_flags_and_switches():
    parsed = parse("app.main:app --workers 4 --timeout-keep-alive=75 --limit-concurrency 10 --no-access-log "
                   "--proxy-headers --header X:1 --header Y:2 --ws-per-message-deflate false --lifespan off")
    values = {name: setting.value for name, setting in parsed.settings.items()}
    assert values == {"workers": 4, "timeout_keep_alive": 75, "limit_concurrency": 10, "access_log": False,
                      "proxy_headers": True, "headers": ["X:1", "Y:2"], "ws_per_message_deflate": False,
                      "lifespan": "off"}
    assert parsed.app.value == "app.main:app" and parsed.errors == []
    assert parsed.flags[:3] == ["--workers", "--timeout-keep-alive", "--limit-concurrency"]
    assert parsed.settings["workers"].source.column == 2  # the option's own position


def test_options_after_the_app_and_last_one_wins():
    parsed = parse("--port 1 main:app --port 2")
    assert parsed.settings["port"].value == 2 and parsed.app.value == "main:app"


def test_errors_uvicorn_would_exit_with():
    parsed = parse("main:app --wrokers 4 --port x --reload=1 --lifespan maybe extra --backlog")
    messages = [error.message for error in parsed.errors]
    rest = "advisor checked the rest of the command"
    assert messages == [
        f"uvicorn exits at start: there is no option --wrokers (did you mean --workers?); {rest} without it",
        f"uvicorn exits at start: --reload takes no value (--reload=1); {rest} with --reload set",
        f"uvicorn exits at start: --backlog needs a value and the command ends there; {rest} with --backlog at its "
        "default",
        "uvicorn exits at start: --port 'x' is not a valid integer; the checks that need --port were skipped",
        "uvicorn exits at start: --lifespan 'maybe' is not one of 'auto', 'on', 'off'; the checks that need "
        "--lifespan were skipped",
        f"uvicorn exits at start: unexpected extra argument extra (uvicorn takes one APP argument); {rest} without it",
    ]
    assert all(error.severity == "error" and error.code == "ADV006" for error in parsed.errors)


def test_no_abbreviations_and_double_dash():
    parsed = parse("main:app --work 2 -- --port")
    assert [error.message for error in parsed.errors] == [
        "uvicorn exits at start: there is no option --work (did you mean --workers?); advisor checked the rest of "
        "the command without it",
        "uvicorn exits at start: unexpected extra argument --port (uvicorn takes one APP argument); advisor checked "
        "the rest of the command without it"]


def test_shell_expansions_stay_unknown():
    parsed = parse("main:app --workers $WORKERS ${EXTRA_ARGS}")
    assert not parsed.settings["workers"].known
    assert [expansion.raw for expansion in parsed.expansions] == ["${EXTRA_ARGS}"]
    assert parsed.errors == []


def test_help_and_version_exit_early():
    assert parse("--version").exits_early == "version"


def test_option_table_is_consistent():
    names = [option.name for option in OPTIONS]
    assert len(names) == len(set(names))
    flags = [flag for option in OPTIONS for flag in option.flags + option.off_flags]
    assert len(flags) == len(set(flags)) == len(FLAG_TO_OPTION)
    assert all(flag.startswith("--") for flag in flags)
