"""A server that cannot start is a usage error of `advisor validate` (exit 2, the reason), never an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.validation.errors import ServerStartError
from advisor.validation.gunicorn_runner import GunicornError
from advisor.validation.nginx_runner import NginxError
from advisor.validation.refserver import RefServerError
from advisor.validation.uvicorn_runner import UvicornError
from advisor.validation.uwsgi_runner import UwsgiError

PAIR = Path(__file__).parent / "fixtures" / "unix-b8"


@pytest.mark.parametrize("error", [RefServerError, NginxError, GunicornError, UvicornError, UwsgiError])
def test_every_runner_error_is_a_server_start_error(error):
    assert issubclass(error, ServerStartError)


@pytest.mark.parametrize("error", [UvicornError, UwsgiError, GunicornError, RefServerError])
def test_a_server_that_cannot_start_exits_2_with_the_reason(monkeypatch, error):
    from advisor.validation import session

    def cannot_start(plan, workdir):
        raise error("the port is taken by a test")

    monkeypatch.setattr(session, "_start_server", cannot_start)
    result = CliRunner().invoke(app, ["validate", str(PAIR / "nginx.conf"), str(PAIR / "gunicorn.conf.py"),
                                      "--rps", "64", "--service-time", "50ms", "--duration", "5s",
                                      "--proxy", "builtin"])
    assert result.exit_code == 2, result.output
    assert "the validation run could not start: the port is taken by a test" in result.output
    assert "internal error" not in result.output
