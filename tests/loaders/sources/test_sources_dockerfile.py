"""Dockerfiles: ENV in both syntaxes, continuation lines, exec and shell form CMD/ENTRYPOINT."""

from __future__ import annotations

from sources_helpers import FIXTURES, load, load_text, only_app, reason, value, written_at

from advisor.loaders.sources.dockerfile import parse_dockerfile, parse_json_array
from advisor.loaders.sources.text import SourceText
from advisor.model.addresses import Address

DOCKERFILE = FIXTURES / "dockerfile" / "Dockerfile"


def test_shell_form_cmd_with_env_and_continuations():
    app = only_app(load(DOCKERFILE, "dockerfile"))
    assert value(app, "bind") == [Address("tcp", host="0.0.0.0", port=8000)]
    assert "PORT='8000'" in app.settings["bind"].source.detail  # legacy `ENV PORT 8000`
    assert value(app, "timeout") == 45  # `ENV A=1 B=2` syntax beats the ${...:-30} default
    assert value(app, "keepalive") == 65  # default of ${GUNICORN_KEEPALIVE:-65}
    assert value(app, "workers") == 3  # gunicorn's default from WEB_CONCURRENCY set by ENV
    workers_env = app.settings["workers"].source.inputs[0]
    assert workers_env.line == 9 and written_at(workers_env).startswith("WEB_CONCURRENCY=3")
    for name, line, text in (("timeout", 16, "--timeout ${GUNICORN_TIMEOUT:-30}"), ("threads", 18, "--threads 8"),
                             ("config", 19, "-c gunicorn.conf.py")):
        assert app.settings[name].source.line == line and written_at(app.settings[name]).startswith(text)
    assert written_at(app.source).startswith("gunicorn app.wsgi:application")


def test_config_is_found_through_workdir_and_copy():
    app = only_app(load(DOCKERFILE, "dockerfile"))
    assert (value(app, "max_requests"), value(app, "max_requests_jitter")) == (1000, 100)


def test_deploy_environment_overrides_env():
    app = only_app(load(DOCKERFILE, "dockerfile", env={"GUNICORN_TIMEOUT": "10", "WEB_CONCURRENCY": "8"}))
    assert (value(app, "timeout"), value(app, "workers")) == (10, 8)


def test_exec_form_does_not_expand_variables():
    result = load(FIXTURES / "dockerfile" / "Dockerfile.exec", "dockerfile")
    app = only_app(result)
    assert "no shell expands it" in reason(app, "workers")
    assert app.settings["workers"].source.line == 4
    [warning] = [d for d in result.diagnostics if d.code == "ADV006"]
    assert warning.severity == "warning" and warning.line == 4
    assert "gunicorn.conf.py" not in str(app.settings["config"].source.path)  # nothing copied into this image


def test_entrypoint_plus_cmd_and_entrypoint_resets_inherited_cmd(tmp_path):
    app = only_app(load_text(tmp_path, """
        FROM python:3.12 AS base
        CMD ["python", "manage.py", "runserver"]
        FROM base
        ENTRYPOINT ["/usr/bin/tini", "--", "gunicorn"]
        CMD ["--workers", "5", "app:app"]
    """, "dockerfile", name="Dockerfile"))
    assert value(app, "workers") == 5
    reset = load_text(tmp_path, """
        FROM python:3.12 AS base
        CMD ["--workers", "5", "app:app"]
        FROM base
        ENTRYPOINT ["gunicorn"]
    """, "dockerfile", name="Dockerfile")
    assert value(only_app(reset), "workers") == 1  # the inherited CMD is dropped


def test_invalid_json_exec_form_is_reported(tmp_path):
    result = load_text(tmp_path, "FROM python\nCMD ['gunicorn', 'app:app']\n", "dockerfile", name="Dockerfile")
    assert result.apps == []
    assert any(d.severity == "error" and "not valid JSON" in d.message and d.line == 2 for d in result.diagnostics)


def test_escape_directive_and_comments_inside_continuations():
    source = SourceText("Dockerfile", "# escape=`\nFROM python\nCMD gunicorn `\n# a comment\n    --workers 2 app\n")
    final = parse_dockerfile(source).final
    assert final.cmd[2].text.split() == ["gunicorn", "--workers", "2", "app"]


def test_json_array_positions_and_escapes():
    items = parse_json_array(SourceText("D", '["gunicorn", "a\\"b", "\\u0041"]').ptext())
    assert [item.text for item in items] == ["gunicorn", 'a"b', "A"]
    assert items[1].origins[0].column == 15  # the "a" after the opening quote
    assert parse_json_array(SourceText("D", "['x']").ptext()) is None
