"""The static evaluator, one construct per test (through the public loader, so conversion and provenance count)."""

from __future__ import annotations

import pytest
from gunicorn_helpers import load_text, reason, value

from advisor.model.addresses import Address


def test_literals_and_containers(tmp_path):
    result = load_text(tmp_path, """
        workers = 3
        bind = ["127.0.0.1:8001", "unix:/run/app.sock"]
        logconfig_dict = {"version": 1, "root": {"level": "INFO"}}
        raw_env = ("A=1", "B=2")
        preload_app = True
        worker_tmp_dir = None
    """)
    assert value(result, "workers") == 3
    assert value(result, "bind") == [Address("tcp", host="127.0.0.1", port=8001), Address("unix", path="/run/app.sock")]
    assert value(result, "logconfig_dict") == {"version": 1, "root": {"level": "INFO"}}
    assert value(result, "raw_env") == ["A=1", "B=2"]
    assert value(result, "preload_app") is True
    assert value(result, "worker_tmp_dir") is None


def test_arithmetic(tmp_path):
    result = load_text(tmp_path, """
        limit_request_field_size = 8190 * 4
        timeout = 60 // 4 + 2 ** 3 - 1
        graceful_timeout = int(90 / 3)
        keepalive = -(-5) % 3
    """)
    assert value(result, "limit_request_field_size") == 32760
    assert value(result, "timeout") == 22
    assert value(result, "graceful_timeout") == 30
    assert value(result, "keepalive") == 2


def test_comparisons_and_boolean_operations(tmp_path):
    result = load_text(tmp_path, """
        preload_app = 3 > 2 >= 2 and "x" in "xyz"
        reuse_port = not (1 == 2) and None is None
        loglevel = "" or "debug"
        accesslog = "-" and None
    """)
    assert value(result, "preload_app") is True
    assert value(result, "reuse_port") is True
    assert value(result, "loglevel") == "debug"
    assert value(result, "accesslog") is None


def test_conditional_expression(tmp_path):
    result = load_text(tmp_path, """
        import os
        workers = 4 if 2 > 1 else 2
        threads = 8 if os.environ.get("X") else 8
        timeout = 10 if os.environ.get("X") else 20
    """)
    assert value(result, "workers") == 4
    assert value(result, "threads") == 8  # both branches agree
    assert "environment variable X is not set" in reason(result, "timeout")


def test_string_building(tmp_path):
    result = load_text(tmp_path, """
        host = "0.0.0.0"
        port = 8000
        bind = [f"{host}:{port}", "%s:%d" % ("127.0.0.1", port + 1), "[{}]:{}".format("::1", port + 2),
                "unix:" + "/run/" + "app.sock"]
        proc_name = "-".join(["web", "API".lower(), " x ".strip()]).upper()
        forwarded_allow_ips = ",".join("10.0.0.1 10.0.0.2".split())
        access_log_format = f"{port:>6}|{'x'!r}|{port:06}"
    """)
    assert [str(address) for address in value(result, "bind")] == [
        "0.0.0.0:8000", "127.0.0.1:8001", "[::1]:8002", "unix:/run/app.sock"]
    assert value(result, "proc_name") == "WEB-API-X"
    assert value(result, "forwarded_allow_ips") == ["10.0.0.1", "10.0.0.2"]
    assert value(result, "access_log_format") == "8000|'x'|008000"  # gunicorn strips strings


def test_helper_variables_and_provenance(tmp_path):
    result = load_text(tmp_path, """
        port = 8001
        bind = "127.0.0.1:%d" % port
    """)
    setting = result.app.settings["bind"]
    assert setting.source.kind == "file" and setting.source.line == 3 and setting.source.column == 1
    assert setting.source.path == str(tmp_path / "gunicorn.conf.py")
    helper = setting.source.inputs[0]
    assert (helper.line, helper.detail) == (2, "`port`")
    assert setting.raw == "127.0.0.1:8001"
    assert result.app.unknown_settings == []  # `port` is a helper: referenced later


@pytest.mark.parametrize("expression", [
    'os.environ["WEB_WORKERS"]', 'os.environ.get("WEB_WORKERS")', 'os.getenv("WEB_WORKERS")',
    'environ["WEB_WORKERS"]', 'getenv("WEB_WORKERS")',
])
def test_environment_without_default(tmp_path, expression):
    text = f"import os\nfrom os import environ, getenv\nworkers = {expression}\n"
    missing = load_text(tmp_path, text)
    assert reason(missing, "workers") == ("environment variable WEB_WORKERS is not set and has no default; "
                                          "pass --env WEB_WORKERS=...")
    given = load_text(tmp_path, text, env={"WEB_WORKERS": "6"})
    assert value(given, "workers") == 6
    source = given.app.settings["workers"].source
    assert source.detail == "from $WEB_WORKERS=6"
    assert source.inputs[0].kind == "option" and source.inputs[0].detail == "--env WEB_WORKERS=6"


def test_environment_with_default(tmp_path):
    text = """
        import os
        workers = int(os.environ.get("WEB_CONCURRENCY", 4))
        timeout = os.getenv("TIMEOUT", "45")
    """
    result = load_text(tmp_path, text)
    assert value(result, "workers") == 4
    assert value(result, "timeout") == 45  # gunicorn converts the string
    assert result.app.settings["workers"].source.detail == "from $WEB_CONCURRENCY (not set; default 4)"
    overridden = load_text(tmp_path, text, env={"WEB_CONCURRENCY": "9", "TIMEOUT": "120"})
    assert (value(overridden, "workers"), value(overridden, "timeout")) == (9, 120)


def test_environment_set_by_the_config(tmp_path):
    result = load_text(tmp_path, """
        import os
        os.environ.setdefault("APP_WORKERS", "3")
        os.environ["APP_TIMEOUT"] = "50"
        workers = os.environ["APP_WORKERS"]
        timeout = os.getenv("APP_TIMEOUT")
    """, env={"APP_TIMEOUT": "10"})
    assert value(result, "workers") == 3
    assert value(result, "timeout") == 50  # the assignment overrides the host's value


@pytest.mark.parametrize("call", [
    "multiprocessing.cpu_count()", "os.cpu_count()", "psutil.cpu_count()", "mp.cpu_count()", "cpu_count()",
    "len(os.sched_getaffinity(0))",
])
def test_cpu_count(tmp_path, call):
    text = (f"import os, multiprocessing, psutil\nimport multiprocessing as mp\n"
            f"from multiprocessing import cpu_count\nworkers = {call} * 2 + 1\n")
    assert value(load_text(tmp_path, text, cpus=2), "workers") == 5
    assert reason(load_text(tmp_path, text), "workers") == "cpu_count() depends on the host; pass --cpus N"


def test_cpu_count_provenance(tmp_path):
    result = load_text(tmp_path, "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n", cpus=2)
    source = result.app.settings["workers"].source
    assert source.detail == "multiprocessing.cpu_count() = 2"
    assert source.inputs[0].detail == "--cpus 2"


def test_builtins(tmp_path):
    result = load_text(tmp_path, """
        workers = max(2, min(8, abs(-3)))
        threads = round(2.6)
        timeout = int(float("30.5"))
        keepalive = len("abcde")
        preload_app = bool(1)
        proc_name = str(12)
    """)
    assert (value(result, "workers"), value(result, "threads"), value(result, "timeout")) == (3, 3, 30)
    assert (value(result, "keepalive"), value(result, "preload_app"), value(result, "proc_name")) == (5, True, "12")


def test_module_level_if_elif_else(tmp_path):
    text = """
        import os
        mode = os.environ.get("MODE", "prod")
        if mode == "dev":
            workers = 1
            reload = True
        elif mode == "prod":
            workers = 8
        else:
            workers = 2
    """
    result = load_text(tmp_path, text)
    assert value(result, "workers") == 8
    assert result.app.settings["reload"].is_default
    assert "branch taken at line 7" in result.app.settings["workers"].source.detail
    dev = load_text(tmp_path, text, env={"MODE": "dev"})
    assert (value(dev, "workers"), value(dev, "reload")) == (1, True)


def test_unknown_condition_makes_branch_assignments_unknown(tmp_path):
    result = load_text(tmp_path, """
        import os
        workers = 2
        if os.environ.get("DEBUG"):
            workers = 1
        timeout = 30
    """)
    text = reason(result, "workers")
    assert text.startswith("assigned under `if` at line 4, whose condition cannot be evaluated")
    assert "DEBUG" in text
    assert value(result, "timeout") == 30


def test_augmented_assignment(tmp_path):
    result = load_text(tmp_path, """
        workers = 2
        workers *= 3
        workers += 1
        proc_name = "api"
        proc_name += "-web"
    """)
    assert value(result, "workers") == 7
    assert value(result, "proc_name") == "api-web"
    assert result.app.settings["workers"].source.line == 4


def test_try_body_is_evaluated_with_a_note(tmp_path):
    result = load_text(tmp_path, """
        try:
            import multiprocessing
            workers = multiprocessing.cpu_count() + 1
        except ImportError:
            workers = 2
    """, cpus=4)
    assert value(result, "workers") == 5
    assert "try" in result.app.settings["workers"].source.detail


def test_try_with_certain_exception_takes_the_handler(tmp_path):
    text = """
        import os
        workers = os.environ.get("W", "auto")
        try:
            workers = int(workers)
        except ValueError:
            workers = 3
    """
    result = load_text(tmp_path, text)
    assert value(result, "workers") == 3
    assert "except" in result.app.settings["workers"].source.detail
    assert value(load_text(tmp_path, text, env={"W": "7"}), "workers") == 7
    assert result.diagnostics == []


def test_try_with_unknown_body_makes_handler_assignments_unknown(tmp_path):
    result = load_text(tmp_path, """
        import os
        try:
            workers = int(os.environ["W"])
        except (KeyError, ValueError):
            workers = 3
    """)
    assert "runs only if the try body raises" in reason(result, "workers")


@pytest.mark.parametrize("block, kind", [
    ("for i in range(3):\n    workers = i\n", "for"),
    ("with open('x') as f:\n    workers = 4\n", "with"),
    ("while False:\n    pass\nelse:\n    threads = 2\nwhile True:\n    workers = 4\n    break\n", "while"),
])
def test_loops_and_with_make_assignments_unknown(tmp_path, block, kind):
    result = load_text(tmp_path, block)
    assert reason(result, "workers").startswith(f"assigned inside a `{kind}`")
    if kind == "while":
        assert value(result, "threads") == 2  # `while False: ... else:` runs its else branch


def test_calls_into_the_application_are_unknown_with_reason(tmp_path):
    result = load_text(tmp_path, """
        from myapp.settings import CONFIG
        import myapp
        workers = CONFIG.get_int("workers")
        threads = myapp.settings.THREADS
        timeout = (lambda: 30)()
    """)
    assert reason(result, "workers") == "calls myapp.settings.CONFIG.get_int(); its result is not evaluated statically"
    assert result.app.settings["workers"].source.line == 4
    assert "myapp.settings.THREADS" in reason(result, "threads")
    assert "calls" in reason(result, "timeout")


def test_unknown_call_taints_the_mutable_helpers_it_receives(tmp_path):
    result = load_text(tmp_path, """
        from app.setup import configure, extend_binds
        binds = ["127.0.0.1:8000"]
        extend_binds(binds) if False else None
        configure(binds)
        bind = binds
    """)
    assert "may be modified by configure()" in reason(result, "bind")


def test_list_and_dict_mutation(tmp_path):
    result = load_text(tmp_path, """
        binds = ["127.0.0.1:8000"]
        binds.append("unix:/run/app.sock")
        headers = {}
        headers["X-FORWARDED-PROTO"] = "https"
        bind = binds
        secure_scheme_headers = headers
    """)
    assert [str(a) for a in value(result, "bind")] == ["127.0.0.1:8000", "unix:/run/app.sock"]
    assert value(result, "secure_scheme_headers") == {"X-FORWARDED-PROTO": "https"}


def test_comprehensions(tmp_path):
    result = load_text(tmp_path, """
        ports = [8000, 8001]
        bind = [f"127.0.0.1:{p}" for p in ports if p > 0]
        raw_env = sorted({f"K{n}=v" for n in range(2)})
    """)
    assert [str(a) for a in value(result, "bind")] == ["127.0.0.1:8000", "127.0.0.1:8001"]
    assert value(result, "raw_env") == ["K0=v", "K1=v"]


def test_hooks_and_lambdas(tmp_path):
    result = load_text(tmp_path, """
        def post_fork(server, worker):
            pass

        worker_abort = lambda worker: None
        pre_fork = lambda server: None
    """)
    assert value(result, "post_fork") == "post_fork"
    assert result.app.settings["post_fork"].source.line == 2
    assert value(result, "worker_abort") == "<lambda>"
    assert reason(result, "pre_fork") == "invalid value: Value must have an arity of: 2"
    assert [d.code for d in result.diagnostics] == ["ADV006"]


def test_certain_import_time_errors_are_reported(tmp_path):
    result = load_text(tmp_path, """
        workers = int("four")
        timeout = UNDEFINED_NAME
        assert 1 > 2, "boom"
        threads = 4
    """)
    messages = [(d.code, d.severity, d.line) for d in result.diagnostics]
    assert messages == [("ADV006", "error", 2), ("ADV006", "error", 3), ("ADV006", "error", 4)]
    assert "ValueError" in result.diagnostics[0].message and "NameError" in result.diagnostics[1].message
    assert "raises ValueError" in reason(result, "workers")
    assert value(result, "threads") == 4


def test_exec_and_star_import_make_settings_unknown(tmp_path):
    result = load_text(tmp_path, """
        workers = 2
        exec(open("extra.py").read())
        timeout = 40
    """)
    assert "exec() at line 3" in reason(result, "workers")
    assert "exec() at line 3" in reason(result, "keepalive")  # exec may set any setting
    assert value(result, "timeout") == 40  # assigned after the exec
    starred = load_text(tmp_path, "from settings_module import *\n")
    assert "import *" in reason(starred, "workers")


def test_type_checking_and_main_guards(tmp_path):
    result = load_text(tmp_path, """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            workers = 100
        if __name__ == "__main__":
            threads = 100
        timeout = 5
    """)
    assert result.app.settings["workers"].is_default
    assert result.app.settings["threads"].is_default
    assert value(result, "timeout") == 5


WEIRD = '''
import asyncio
from . import sibling
from helpers import decorate
x = [1, 2, 3]
del x[0]
a, *rest = x
big = 2 ** 10 ** 10
huge = "x" * 10 ** 12
fmt = "{0.__class__}".format(1)
wide = f"{1:>100000000}"
match rest:
    case [first, *_]:
        workers = first
async def hook():
    await asyncio.sleep(1)
class Worker:
    timeout = 5
@decorate
def post_fork(server, worker):
    global threads
    threads = 9
post_fork(None, None)
nested = ((((((((((((((((((((1))))))))))))))))))))
n = (y := 5) + y
deep = [[[[[[[[[[[]]]]]]]]]]]
backlog = sum(range(10)) + n
graceful_timeout = [1, 2][5]
keepalive = {}.get("k", 3)
max_requests = "abc".index("c") + sibling.x
'''


def test_weird_code_never_raises(tmp_path):
    result = load_text(tmp_path, WEIRD)
    assert value(result, "backlog") == 55
    assert "match" in reason(result, "workers")
    assert "post_fork" in reason(result, "threads")
    assert value(result, "keepalive") == 3
    assert "IndexError" in " ".join(d.message for d in result.diagnostics)
    assert not result.app.settings["max_requests"].known


def test_expensive_statements_become_unknown_and_the_rest_is_evaluated(tmp_path):
    result = load_text(tmp_path, """
        grid = [[j for j in range(1000)] for i in range(1000)]
        timeout = len(grid)
        workers = 2
    """)
    assert "too expensive" in reason(result, "timeout")
    assert value(result, "workers") == 2
