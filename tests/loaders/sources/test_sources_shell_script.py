"""Reading scripts: assignments, exports, conditional branches, and what each command sees."""

from __future__ import annotations

import textwrap

from advisor.loaders.sources.expand import Environment, VarValue
from advisor.loaders.sources.shell_script import scan_script
from advisor.loaders.sources.text import PText, SourceText


def scan(text: str, **env: str):
    source = SourceText("run.sh", textwrap.dedent(text).lstrip("\n"))
    return scan_script(source.ptext(), Environment.from_host(env))


def argv_of(result, program: str) -> list[str]:
    command = next(c for c in result.commands if c.argv and c.argv[0].text == program)
    return [word.text for word in command.argv]


def test_assignments_and_defaults_flow_into_later_commands():
    result = scan("""
        WORKERS=${WORKERS:-1}
        BIND="${HOST:-0.0.0.0}:${PORT:-8000}"
        gunicorn -w $WORKERS -b "$BIND" app
    """)
    assert argv_of(result, "gunicorn") == ["gunicorn", "-w", "1", "-b", "0.0.0.0:8000", "app"]


def test_deploy_environment_is_the_starting_environment():
    result = scan("WORKERS=${WORKERS:-1}\nTIMEOUT=30\ngunicorn -w $WORKERS -t $TIMEOUT app\n", WORKERS="6", TIMEOUT="9")
    # `${WORKERS:-1}` takes --env's value; the unconditional TIMEOUT=30 overrides it, as the shell does
    assert argv_of(result, "gunicorn")[1:5] == ["-w", "6", "-t", "30"]


def test_only_exported_variables_reach_the_process():
    result = scan("""
        export WEB_CONCURRENCY=4
        PORT=9000
        set -a
        GUNICORN_CMD_ARGS="--timeout 5"
        set +a
        LOCAL=1 gunicorn app
    """)
    env = next(c for c in result.commands if c.argv[0].text == "gunicorn").env
    assert sorted(env.exported()) == ["GUNICORN_CMD_ARGS", "LOCAL", "WEB_CONCURRENCY"]
    assert env.get("WEB_CONCURRENCY").source.line == 1


def test_if_else_branches_merge_into_alternatives():
    result = scan("""
        if [ -f /app/main.py ]; then
            MODULE=main
        elif [ -f /app/app/main.py ]; then
            MODULE=app.main
        else
            MODULE=main
        fi
        if [ -n "$X" ]; then
            LEVEL=debug
        fi
        same=1
        if true; then same=1; else same=1; fi
        echo $MODULE $LEVEL $same
    """)
    env = result.env
    module = env.get("MODULE")
    assert not module.known
    assert "'main' (run.sh:2)" in module.reason and "'app.main' (run.sh:4)" in module.reason
    assert "not set" not in module.reason  # every branch assigns it
    assert "not set" in env.get("LEVEL").reason  # without an else the old value (unset) is possible
    assert env.get("same").known and env.get("same").text.text == "1"


def test_chained_assignment_is_conditional():
    result = scan("BIN=python3\n[ -f /opt/pypy3 ] && BIN=pypy3\nexec $BIN app.py\n")
    assert not result.env.get("BIN").known
    assert "'python3'" in result.env.get("BIN").reason and "'pypy3'" in result.env.get("BIN").reason


def test_case_branches_and_function_bodies():
    result = scan("""
        server() {
          TIMEOUT=${TIMEOUT:-60}
          exec gunicorn -t $TIMEOUT app
        }
        case "$1" in
          server)
            server
            ;;
          *)
            exec "$@"
            ;;
        esac
    """)
    assert argv_of(result, "exec") == ["exec", "gunicorn", "-t", "60", "app"]
    assert [c.argv[0].text for c in result.commands] == ["exec", "server", "exec"]
    assert result.commands[1].conditional and not result.commands[0].conditional


def test_loop_variable_and_read_are_unknown():
    result = scan("for W in 1 2; do :; done\nread -r PORT\n")
    assert "loop variable" in result.env.get("W").reason
    assert "read from input" in result.env.get("PORT").reason


def test_cd_sets_the_working_directory():
    result = scan("cd /srv/app\nexec gunicorn app\n")
    assert result.commands[-1].cwd.text == "/srv/app"


def test_environment_values_keep_positions():
    env = Environment({"X": VarValue("X", PText("v"), None, exported=True)})
    result = scan_script(SourceText("a.sh", "Y=$X-z\necho $Y\n").ptext(), env)
    [echo] = result.commands
    word = echo.argv[1]
    assert word.text == "v-z" and word.origins[1].line == 1 and word.origins[1].column == 5
