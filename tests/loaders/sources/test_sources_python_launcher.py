"""Python scripts that start gunicorn/uvicorn themselves: argv read with `ast`, never run."""

from __future__ import annotations

from sources_helpers import FIXTURES, load, load_text, only_app, reason, text_at, value


def test_popen_list_literal_with_positions_and_environment_defaults():
    app = only_app(load(FIXTURES / "python" / "serve", "python"))
    assert str(value(app, "bind")[0]) == "unix:/tmp/model.sock"
    assert value(app, "worker_class") == "gevent"
    assert text_at(app.settings["bind"].source).startswith('-b", "unix:/tmp/model.sock"')
    # timeout = os.environ.get("SERVER_TIMEOUT", 60) ... str(timeout): the default applies when it is not set
    assert value(app, "timeout") == 60
    assert "$SERVER_TIMEOUT is not set, so its default applies" in app.settings["timeout"].source.detail
    assert value(app, "workers") == 2  # int(os.environ.get("SERVER_WORKERS", 2))
    assert text_at(app.source).startswith('gunicorn",')


def test_environment_values_come_from_env_option():
    app = only_app(load(FIXTURES / "python" / "serve", "python", env={"SERVER_TIMEOUT": "90",
                                                                        "SERVER_WORKERS": " 5 "}))
    assert value(app, "timeout") == 90 and value(app, "workers") == 5
    assert "SERVER_TIMEOUT='90' from --env" in app.settings["timeout"].source.detail


def test_environment_lookups_that_stay_unknown(tmp_path):
    result = load_text(tmp_path, """
        import multiprocessing
        import subprocess
        from os import environ, getenv

        workers = int(environ.get("WORKERS", multiprocessing.cpu_count()))
        timeout = getenv("TIMEOUT")
        keepalive = environ["KEEPALIVE"]
        threads = int(getenv("THREADS", "many"))
        subprocess.Popen(["gunicorn", "-w", str(workers), "-t", str(timeout), "--keep-alive", keepalive,
                          "--threads", str(threads), "app:app"])
        """, "python", name="serve.py")
    app = only_app(result)
    assert "str(workers) is computed by the Python script" in reason(app, "workers")
    assert "str(timeout)" in reason(app, "timeout")  # no default: None, never a literal "None"
    assert "keepalive" in reason(app, "keepalive")  # os.environ[N] without --env
    assert "str(threads)" in reason(app, "threads")  # int("many") raises when the script runs
    known = only_app(load(tmp_path / "serve.py", "python", env={"KEEPALIVE": "7", "TIMEOUT": "45"}))
    assert value(known, "keepalive") == 7 and value(known, "timeout") == 45


def test_nginx_started_by_the_same_script_is_not_an_app_server():
    result = load(FIXTURES / "python" / "serve", "python")
    assert [app.kind for app in result.apps] == ["gunicorn"]


def test_execvp_run_with_cwd_and_a_name_assigned_a_list(tmp_path):
    result = load_text(tmp_path, """
        import os
        import subprocess as sp

        def web():
            argv = ["uvicorn", "api.main:app", "--port", "8010", "--timeout-keep-alive", "20"]
            sp.run(argv, cwd="/srv/api", check=True)

        def legacy():
            os.execvp("gunicorn", ["gunicorn", "--workers", "4", "legacy.wsgi"])
        """, "python", name="manage_server.py")
    kinds = sorted(app.kind for app in result.apps)
    assert kinds == ["gunicorn", "uvicorn"]
    uvicorn = next(app for app in result.apps if app.kind == "uvicorn")
    assert value(uvicorn, "timeout_keep_alive") == 20
    gunicorn = next(app for app in result.apps if app.kind == "gunicorn")
    assert value(gunicorn, "workers") == 4


def test_shell_string_and_os_system(tmp_path):
    result = load_text(tmp_path, """
        import os
        import subprocess
        subprocess.call("exec gunicorn -w 3 -b 127.0.0.1:8000 app:app", shell=True)
        os.system("uvicorn api:app --port 8001")
        """, "python", name="run.py")
    assert sorted(app.kind for app in result.apps) == ["gunicorn", "uvicorn"]


def test_f_string_and_percent_format_are_unknown_and_star_args_may_add_options(tmp_path):
    result = load_text(tmp_path, """
        import subprocess, sys
        port = sys.argv[1]
        subprocess.Popen(["gunicorn", "-b", f"0.0.0.0:{port}", "-t", "%d" % 30, *sys.argv[2:], "app:app"])
        """, "python", name="start.py")
    app = only_app(result)
    assert "computed by the Python script" in reason(app, "bind")
    assert "computed by the Python script" in reason(app, "timeout")


def test_env_keyword_sets_the_child_environment(tmp_path):
    result = load_text(tmp_path, """
        import os, subprocess
        subprocess.Popen(["gunicorn", "app:app"], env={**os.environ, "WEB_CONCURRENCY": "5"})
        """, "python", name="start.py")
    assert value(only_app(result), "workers") == 5


def test_script_without_server_and_invalid_python(tmp_path):
    result = load_text(tmp_path, "import subprocess\nsubprocess.run(['celery', 'worker'])\n", "python",
                       name="tasks.py")
    assert not result.apps
    assert result.no_server is not None and result.no_server.severity == "info"
    broken = load_text(tmp_path, "print 'hello'\nsubprocess.Popen(['gunicorn'])\n", "python", name="old.py")
    assert not broken.apps
    assert "not valid Python 3" in broken.no_server.message
    assert [d for d in broken.diagnostics if d.code == "ADV004"] == [broken.no_server]
