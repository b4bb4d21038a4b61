"""`advisor CMD ...` builds only CMD's click command (advisor/cli/typer_app.py app_for); help and errors stay the same."""

from __future__ import annotations

import typer.main

from advisor.cli import app, app_for


def _help(command_app, argv: list[str]) -> str:
    from typer.testing import CliRunner

    return CliRunner().invoke(command_app, argv).output


def test_a_command_name_selects_only_that_command():
    single = app_for(["advisor", "check", "nginx.conf"])
    assert [info.callback.__name__ for info in single.registered_commands] == ["check"]
    assert [info.name for info in app_for(["advisor", "rules"]).registered_commands] == ["rules"]
    assert len(app.registered_commands) > 1  # the shared app is not changed


def test_anything_else_gets_the_whole_app():
    for argv in (["advisor"], ["advisor", "--help"], ["advisor", "chek"], ["advisor", "--version"]):
        assert app_for(argv) is app


def test_a_commands_help_is_the_same_either_way():
    assert _help(app_for(["advisor", "check"]), ["check", "--help"]) == _help(app, ["check", "--help"])
    assert isinstance(typer.main.get_command(app_for(["advisor", "model"])), typer.core.TyperGroup)
