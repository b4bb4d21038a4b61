"""Hostile-input fuzz harness for the advisor CLI (stdlib only, deterministic seeds).

Each case is a directory of files plus an `advisor` command line. `run_case` runs it isolated — in a forked child of
the current process (fast: the advisor modules are imported once) or in a fresh interpreter (`fresh=True`, for
memory measurements) — with an address-space limit (RLIMIT_AS) and a wall-clock timeout, and checks the contract:

- the exit code is 0, 1 or 2, and a run that fails says why on one `advisor: error:` line (no traceback, no
  "internal error");
- it ends within the timeout and never runs out of memory under the limit;
- nothing from a file outside the project (marked with SECRET) appears in what it prints or writes.

The case kinds follow the hostile inputs advisor must survive: named pipes and devices where a file is expected,
huge sparse files, single huge lines and tokens, deep nesting, YAML alias bombs, non-UTF-8 and NUL bytes, an ASCII
terminal, secrets outside the project, bad globs and rule expressions, and random mutations of real configs.
`cases(seed, scale)` builds them; bench/fuzz.py runs the heavy sizes, tests/fuzz/ a small deterministic sample.
"""

from __future__ import annotations

import io
import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRET = "S3CRET-do-not-print-7f3a"
MEMORY_LIMIT = 1 << 30
OK_CODES = (0, 1, 2)


@dataclass(frozen=True)
class Scale:
    """Sizes of the generated inputs."""

    big: int  # bytes of a huge line / token / file
    deep: int  # nesting depth
    sparse: int  # bytes of a sparse file
    mutations: int  # random mutation cases per seed file
    every_combination: bool = False  # every workload x command combination (slow: --simulate runs take seconds)


CI = Scale(big=300_000, deep=3_000, sparse=64 << 20, mutations=6)
HEAVY = Scale(big=5_000_000, deep=10_000, sparse=2 << 30, mutations=60, every_combination=True)


@dataclass
class Case:
    name: str
    argv: list[str]
    files: dict[str, bytes | str] = field(default_factory=dict)  # relative path -> content ("@fifo", "@sparse:N")
    links: dict[str, str] = field(default_factory=dict)  # relative path -> symlink target
    stdin: bytes = b""
    ascii: bool = False  # stdout/stderr encoded as ASCII (a minimal container's terminal)
    output: str | None = None  # -o target checked for secrets too


@dataclass
class Result:
    name: str
    code: int | None  # None: killed by the timeout
    seconds: float
    max_rss_kb: int
    stdout: str
    stderr: str
    problems: list[str]


# -- building the files ---------------------------------------------------------------------------------------------

def materialize(case: Case, root: Path, outside: Path) -> Path:
    """Create the case's files under `root` (its project directory); `{OUT}` in paths and contents names
    `outside`, a directory outside the project that holds the secrets."""
    root.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.conf").write_text(f"{SECRET} on;\nproxy_read_timeout {SECRET};\nserver_tokens \"{SECRET}\";\n")
    (outside / "secret.py").write_text(f"bind = '{SECRET}'\nworkers = '{SECRET}'\n{SECRET} = 1\n")
    (outside / "secret.env").write_text(f"WORKERS={SECRET}\nPORT={SECRET}\n")
    for relative, content in case.files.items():
        path = root / relative.replace("{OUT}", str(outside))  # "{OUT}/x": a file outside the project
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == "@fifo":
            os.mkfifo(path)
        elif isinstance(content, str) and content.startswith("@sparse:"):
            with open(path, "wb") as handle:
                handle.truncate(int(content.split(":", 1)[1]))
        else:
            data = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else content
            path.write_bytes(data.replace(b"{OUT}", str(outside).encode()).replace(b"{ROOT}", str(root).encode()))
    for relative, target in case.links.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target.replace("{OUT}", str(outside)), root / relative)
    return root


def _argv(case: Case, outside: Path) -> list[str]:
    return [arg.replace("{OUT}", str(outside)) for arg in case.argv]


# -- running --------------------------------------------------------------------------------------------------------

# The child's own peak (VmHWM, of its memory after exec) is written to a file when it exits: the peak RSS of a
# child (wait4) includes the harness's memory it was forked with.
_FRESH = ("import atexit, os, resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit})); "
          "resource.setrlimit(resource.RLIMIT_CORE, (0, 0)); sys.argv[0] = 'advisor'; "
          "atexit.register(lambda: open(os.environ['ADVISOR_FUZZ_HWM'], 'w').write(open('/proc/self/status').read()));"
          " runpy.run_module('advisor', run_name='__main__', alter_sys=True)").format(limit=MEMORY_LIMIT)


def _peak_kb(status_file: Path, fallback: int) -> int:
    try:
        status = status_file.read_text()
    except OSError:
        return fallback
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return fallback


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child(case: Case, argv: list[str], cwd: Path, out: Path, err: Path) -> None:
    """In the forked child: run the CLI in-process and exit with its code (never returns)."""
    code = 3
    try:
        _limit_memory()
        os.chdir(cwd)
        stdin_path = cwd / ".stdin"
        stdin_path.write_bytes(case.stdin)
        os.dup2(os.open(stdin_path, os.O_RDONLY), 0)
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        encoding = "ascii" if case.ascii else "utf-8"
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding, errors="strict")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=encoding, errors="strict")
        sys.argv = ["advisor", *argv]
        from advisor.cli import main

        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        except BaseException as error:  # noqa: BLE001 - reported as a harness failure (code 3)
            sys.stderr.write(f"Traceback (harness): {type(error).__name__}: {error}\n")
            code = 3
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _wait(pid: int, timeout: float) -> tuple[int | None, int]:
    """(exit code or None when killed after `timeout`, max RSS in KB) of a child process."""
    deadline = time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return (os.waitstatus_to_exitcode(status), usage.ru_maxrss)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            return None, usage.ru_maxrss
        time.sleep(0.005)


def run_case(case: Case, workdir: Path, timeout: float = 10.0, fresh: bool = False) -> Result:
    """Run one case in `workdir` (created) and check the contract."""
    outside = workdir / "outside"
    root = materialize(case, workdir / "project", outside)
    argv = _argv(case, outside)
    out, err = workdir / "stdout.txt", workdir / "stderr.txt"
    start = time.monotonic()
    if fresh:
        hwm = workdir / "status.txt"
        env = dict(os.environ, PYTHONIOENCODING="ascii" if case.ascii else "utf-8", ADVISOR_FUZZ_HWM=str(hwm))
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            # the limit is set by the child itself: a preexec_fn would make the child a fork of this process,
            # whose memory then counts in the child's peak RSS
            process = subprocess.Popen([sys.executable, "-c", _FRESH, *argv], cwd=root, stdin=subprocess.PIPE,
                                       stdout=stdout, stderr=stderr, env=env)
            assert process.stdin is not None
            try:
                process.stdin.write(case.stdin)
                process.stdin.close()
            except BrokenPipeError:
                pass
            code, rss = _wait(process.pid, timeout)
            process.returncode = code if code is not None else -9
            rss = _peak_kb(hwm, rss)
    else:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(case, argv, root, out, err)
        code, rss = _wait(pid, timeout)
    seconds = time.monotonic() - start
    stdout = out.read_bytes().decode("utf-8", "replace")
    stderr = err.read_bytes().decode("utf-8", "replace")
    return Result(case.name, code, seconds, rss, stdout, stderr, _problems(case, code, stdout, stderr, root))


def _problems(case: Case, code: int | None, stdout: str, stderr: str, root: Path) -> list[str]:
    problems = []
    if code is None:
        problems.append("timeout")
    elif code not in OK_CODES:
        problems.append(f"exit code {code}")
    if "Traceback" in stderr or "internal error" in stderr:
        problems.append("crash: " + (stderr.strip().splitlines() or [""])[-1][:200])
    if "MemoryError" in stdout + stderr:
        problems.append("MemoryError")
    if code == 2 and "advisor: error:" not in stderr and "Error:" not in stderr and "Usage:" not in stderr:
        problems.append("exit 2 without a message")
    written = ""
    if case.output:
        target = root / case.output
        if target.is_file():
            written = target.read_text("utf-8", "replace")
    if SECRET in stdout + stderr + written:
        problems.append("printed the content of a file outside the project")
    return problems


# -- the cases ------------------------------------------------------------------------------------------------------

NGINX = """events {}
http {
    proxy_read_timeout 30s;
    server {
        listen 80;
        location / { proxy_pass http://127.0.0.1:8000; }
    }
}
"""
GUNICORN = "bind = '127.0.0.1:8000'\nworkers = 4\ntimeout = 30\nbacklog = 10000\n"
COMPOSE = """services:
  web:
    image: app
    command: gunicorn app:app --bind 0.0.0.0:8000 --workers 4
    env_file: [app.env]
"""


def _special_cases(scale: Scale) -> Iterator[Case]:
    fifo, zero = "@fifo", "/dev/zero"
    yield Case("fifo-nginx", ["check", "--nginx", "pipe.conf", "gunicorn.conf.py"],
               {"pipe.conf": fifo, "gunicorn.conf.py": GUNICORN})
    yield Case("fifo-app", ["check", "nginx.conf", "--app", "pipe.py"], {"nginx.conf": NGINX, "pipe.py": fifo})
    yield Case("fifo-positional", ["check", "nginx.conf", "pipe"], {"nginx.conf": NGINX, "pipe": fifo})
    yield Case("fifo-include", ["check", "nginx.conf"],
               {"nginx.conf": NGINX.replace("http {", "http {\n    include pipe.conf;"), "pipe.conf": fifo})
    yield Case("fifo-output", ["check", "nginx.conf", "gunicorn.conf.py", "-o", "out.pipe"],
               {"nginx.conf": NGINX, "gunicorn.conf.py": GUNICORN, "out.pipe": fifo})
    yield Case("fifo-config", ["check", "--config", "cfg.toml", "nginx.conf"], {"nginx.conf": NGINX, "cfg.toml": fifo})
    yield Case("fifo-rules", ["check", "--rules", "rules", "nginx.conf"],
               {"nginx.conf": NGINX, "rules/X900.yaml": fifo})
    yield Case("fifo-env-file", ["check", "compose.yaml"], {"compose.yaml": COMPOSE, "app.env": fifo})
    yield Case("fifo-environment-file", ["check", "app.service"], {"pipe.env": fifo, "app.service": (
        "[Service]\nEnvironmentFile={ROOT}/pipe.env\nExecStart=/usr/bin/gunicorn app:app -w $WORKERS\n")})
    yield Case("dev-zero-nginx", ["check", "--nginx", zero, "gunicorn.conf.py"], {"gunicorn.conf.py": GUNICORN})
    yield Case("dev-zero-app", ["check", "nginx.conf", "--app", zero], {"nginx.conf": NGINX})
    yield Case("dev-zero-include", ["check", "nginx.conf"],
               {"nginx.conf": NGINX.replace("http {", "http {\n    include /dev/zero;")})
    yield Case("dev-zero-config-c", ["check", "nginx.conf", "--app", "start.sh"],
               {"nginx.conf": NGINX, "start.sh": "#!/bin/sh\nexec gunicorn -c /dev/zero app:app\n"})
    yield Case("dev-zero-env-file", ["check", "compose.yaml"], {"compose.yaml": COMPOSE.replace("app.env", "/dev/zero")})
    yield Case("dev-zero-config", ["check", "--config", zero, "nginx.conf"], {"nginx.conf": NGINX})
    yield Case("dev-zero-stdin", ["check", "-", "gunicorn.conf.py"], {"gunicorn.conf.py": GUNICORN},
               stdin=b"\0" * min(scale.big, 1 << 20))
    yield Case("directory-as-file", ["check", "--nginx", "dir", "--app", "dir"], {"dir/x": "x"})
    sparse = f"@sparse:{scale.sparse}"
    yield Case("sparse-nginx", ["check", "big.conf", "gunicorn.conf.py"], {"big.conf": sparse, "gunicorn.conf.py": GUNICORN})
    yield Case("sparse-app", ["check", "nginx.conf", "--app", "big.py"], {"nginx.conf": NGINX, "big.py": sparse})
    yield Case("sparse-include", ["check", "nginx.conf"],
               {"nginx.conf": NGINX.replace("http {", "http {\n    include big.conf;"), "big.conf": sparse})
    yield Case("sparse-compose", ["check", "compose.yaml"], {"compose.yaml": sparse})
    yield Case("sparse-rules", ["check", "--rules", "rules", "nginx.conf"], {"nginx.conf": NGINX, "rules/X.yaml": sparse})
    yield Case("sparse-stdin", ["check", "-"], {}, stdin=b" " * min(scale.big * 3, 12 << 20))
    yield Case("max-file-size-option", ["check", "--max-file-size", "1K", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX + "#" * 2000 + "\n", "gunicorn.conf.py": GUNICORN})
    yield Case("max-file-size-bad", ["check", "--max-file-size", "lots", "nginx.conf"], {"nginx.conf": NGINX})


def _huge_cases(scale: Scale) -> Iterator[Case]:
    big = scale.big
    yield Case("long-comment", ["check", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX + "# " + "x" * big + "\n", "gunicorn.conf.py": GUNICORN})
    yield Case("long-quoted-token", ["check", "nginx.conf"],
               {"nginx.conf": NGINX.replace("listen 80;", 'add_header X "' + "y" * big + '";')})
    yield Case("long-multiline-token", ["check", "nginx.conf"],
               {"nginx.conf": NGINX.replace("listen 80;", 'add_header X "' + ("y" * 1000 + "\n") * (big // 1000)
                                            + '";')})
    for unit in ("{{ ", "{% ", "<% ", "${", "{# ", "{{if ", "$", "\\", "'", "#"):
        line = (unit * (60_000 // len(unit)) + "\n") * max(1, big // 60_000)
        yield Case(f"template-markup-{unit.strip() or 'sp'}", ["check", "nginx.conf"], {"nginx.conf": NGINX + line})
    yield Case("own-line-placeholders", ["check", "nginx.conf"],
               {"nginx.conf": NGINX.replace("listen 80;", "listen 80;\n" + "        ${EXTRA}\n" * (big // 20))})
    yield Case("many-servers", ["check", "nginx.conf", "gunicorn.conf.py"], {"nginx.conf": "events {}\nhttp {\n" + "".join(
        f"  server {{ listen {8000 + i % 1000}; location /{i} {{ proxy_pass http://127.0.0.1:8000; }} }}\n"
        for i in range(big // 90)) + "}\n", "gunicorn.conf.py": GUNICORN})
    yield Case("long-python-string", ["check", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX, "gunicorn.conf.py": GUNICORN + "x = '" + "a" * big + "'\n"})
    yield Case("many-unknown-settings", ["check", "nginx.conf", "gunicorn.conf.py"], {"nginx.conf": NGINX,
               "gunicorn.conf.py": GUNICORN + "".join(f"setting_{i}x = {i}\n" for i in range(min(big, 900_000) // 20))})
    yield Case("long-procfile", ["check", "Procfile"], {"Procfile": "".join(
        f"web{i}: gunicorn app:app --workers {i % 9 + 1}\n" for i in range(big // 40))})
    yield Case("long-procfile-line", ["check", "Procfile"], {"Procfile": "web: gunicorn app:app " + '"' + "a" * big + '"\n'})
    yield Case("self-doubling-variable", ["check", "start.sh"], {"start.sh": "#!/bin/sh\nA=xxxxxxxx\n" + "A=$A$A\n" * 60
                                                                 + "exec gunicorn app:app -w \"$A\"\n"})
    yield Case("long-compose-scalar", ["check", "compose.yaml"],
               {"compose.yaml": COMPOSE + '    labels: ["' + "z" * big + '"]\n'})
    yield Case("huge-shell-script", ["check", "start.sh"],
               {"start.sh": "#!/bin/sh\n" + "echo hello world\n" * (big // 17) + "exec gunicorn app:app\n"})
    yield Case("long-toml", ["check", "nginx.conf"], {"nginx.conf": NGINX, "pyproject.toml": "[tool.advisor]\n" + "".join(
        f"unknown-key-{i} = {i}\n" for i in range(big // 25))})


def _deep_cases(scale: Scale) -> Iterator[Case]:
    deep = scale.deep
    yield Case("deep-nginx", ["check", "nginx.conf"], {"nginx.conf": "events {}\nhttp { server {\n"
                                                      + "location / {\n" * deep + "}\n" * deep + "} }\n"})
    yield Case("deep-nginx-unclosed", ["check", "nginx.conf"], {"nginx.conf": "http {\n" + "if ($a) {\n" * deep})
    yield Case("deep-yaml", ["check", "compose.yaml"], {"compose.yaml": "services:\n  web:\n    command: "
                                                        + "[" * deep + "]" * deep + "\n"})
    yield Case("deep-yaml-block", ["check", "compose.yaml"], {"compose.yaml": "services:\n" + "".join(
        "  " * (i + 1) + f"k{i}:\n" for i in range(min(deep, 2000)))})
    yield Case("deep-toml", ["check", "nginx.conf"], {"nginx.conf": NGINX, ".advisor.toml": "select = "
                                                     + "[" * deep + "]" * deep + "\n"})
    yield Case("deep-python", ["check", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX, "gunicorn.conf.py": GUNICORN + "x = " + "[" * deep + "]" * deep + "\n"})
    yield Case("deep-python-binop", ["check", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX, "gunicorn.conf.py": "workers = " + "1 + " * deep + "1\n"})
    rule = "code: XDP901\nname: deep-rule\nseverity: info\nsummary: s\nscope: route\nwhen: \"{expr}\"\nmessage: m\n"
    yield Case("deep-rule-unary", ["check", "--rules", "rules", "nginx.conf"],
               {"nginx.conf": NGINX, "rules/XDP901.yaml": rule.replace("{expr}", "-" * deep + "1 > 0")})
    yield Case("deep-rule-parens", ["check", "--rules", "rules", "nginx.conf"],
               {"nginx.conf": NGINX, "rules/XDP901.yaml": rule.replace("{expr}", "(" * 150 + "1" + ")" * 150)})
    yield Case("long-rule-expression", ["check", "--rules", "rules", "nginx.conf"],
               {"nginx.conf": NGINX, "rules/XDP901.yaml": rule.replace("{expr}", " or ".join(["True"] * 5000))})


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _merge_chain(levels: int = 40) -> str:
    lines = ["x-m0: &m0 {command: gunicorn app:app}"]
    for level in range(1, levels):
        lines.append(f"x-m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}], k{level}: v}}")
    lines.append(f"services:\n  web:\n    <<: *m{levels - 1}\n    image: app")
    return "\n".join(lines) + "\n"


def _structure_cases() -> Iterator[Case]:
    yield Case("alias-bomb-compose", ["check", "compose.yaml"], {"compose.yaml": _alias_bomb() + COMPOSE})
    yield Case("merge-chain-compose", ["check", "compose.yaml"], {"compose.yaml": _merge_chain()})
    yield Case("alias-bomb-rule", ["check", "--rules", "rules", "nginx.conf"],
               {"nginx.conf": NGINX, "rules/X902.yaml": _alias_bomb() + "code: X902\n"})
    yield Case("glob-backtracking", ["check", "nginx.conf"], {"nginx.conf": NGINX, ".advisor.toml": (
        'per-file-ignores = {"' + "**/" * 30 + 'x" = ["TMO"]}\n')})
    yield Case("glob-bad-range", ["check", "nginx.conf"], {"nginx.conf": NGINX, ".advisor.toml": (
        'per-file-ignores = {"[z-a]" = ["TMO"]}\n')})
    yield Case("nul-in-include-glob", ["check", "nginx.conf"],
               {"nginx.conf": NGINX.replace("http {", 'http {\n    include "a\0*.conf";\n    include "b\0.conf";')})
    yield Case("show-location-fragment", ["show", "frag.conf"],
               {"frag.conf": "location / { proxy_pass http://127.0.0.1:8000; }\n"})
    yield Case("show-server-fragment-json", ["show", "--output-format", "json", "frag.conf"],
               {"frag.conf": "server { listen 80; location / { proxy_pass http://app; } }\n"})
    yield Case("ascii-terminal", ["check", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX, "gunicorn.conf.py": GUNICORN}, ascii=True)
    yield Case("ascii-terminal-demo", ["check", "nginx.conf", "gunicorn.conf.py", "--cpus", "2"],
               {"nginx.conf": (REPO / "fixtures/demo/nginx.conf").read_text(),
                "gunicorn.conf.py": (REPO / "fixtures/demo/gunicorn.conf.py").read_text()}, ascii=True)
    yield Case("ascii-terminal-show", ["show", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX, "gunicorn.conf.py": GUNICORN}, ascii=True)
    yield Case("non-utf8-nginx", ["check", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX.encode() + bytes(range(128, 256)) + b";\n\xff\xfe}\n", "gunicorn.conf.py": GUNICORN})
    yield Case("non-utf8-python", ["check", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX, "gunicorn.conf.py": b"workers = 4\n\xff\xfe\x00bind='x'\n"})
    yield Case("nul-bytes", ["check", "nginx.conf", "gunicorn.conf.py"],
               {"nginx.conf": NGINX.replace("listen 80", "listen 80\0\0"), "gunicorn.conf.py": "workers = 4\0\n"})
    yield Case("non-utf8-config", ["check", "nginx.conf"], {"nginx.conf": NGINX, ".advisor.toml": b"select = ['\xff']\n"})


def _secret_cases() -> Iterator[Case]:
    yield Case("secret-include", ["check", "nginx.conf", "gunicorn.conf.py"], {
        "nginx.conf": NGINX.replace("http {", "http {\n    include {OUT}/secret.conf;"), "gunicorn.conf.py": GUNICORN})
    yield Case("secret-include-show", ["show", "nginx.conf", "gunicorn.conf.py"], {
        "nginx.conf": NGINX.replace("http {", "http {\n    include {OUT}/secret.conf;"), "gunicorn.conf.py": GUNICORN})
    yield Case("secret-include-show-json", ["show", "--output-format", "json", "nginx.conf"], {
        "nginx.conf": NGINX.replace("http {", "http {\n    include {OUT}/secret.conf;")})
    yield Case("secret-include-json", ["check", "--output-format", "json", "nginx.conf"], {
        "nginx.conf": NGINX.replace("http {", "http {\n    include {OUT}/secret.conf;")})
    yield Case("secret-include-sarif-file", ["check", "--output-format", "sarif", "-o", "out.sarif", "nginx.conf"], {
        "nginx.conf": NGINX.replace("http {", "http {\n    include {OUT}/secret.conf;")}, output="out.sarif")
    yield Case("secret-symlink", ["check", "nginx.conf"], {
        "nginx.conf": NGINX.replace("http {", "http {\n    include linked.conf;")},
        links={"linked.conf": "{OUT}/secret.conf"})
    yield Case("secret-app-config", ["check", "nginx.conf", "--app", "start.sh"], {
        "nginx.conf": NGINX, "start.sh": "#!/bin/sh\nexec gunicorn -c {OUT}/secret.py app:app\n"})
    yield Case("secret-env-file", ["check", "compose.yaml"], {"compose.yaml": COMPOSE.replace("app.env", "{OUT}/secret.env")})
    yield Case("secret-dockerfile-copy-absolute", ["check", "nginx.conf", "Dockerfile"], {
        "nginx.conf": NGINX, "Dockerfile": "FROM python\nCOPY {OUT}/secret.py /app/gunicorn.conf.py\n"
                                           "CMD gunicorn -c /app/gunicorn.conf.py app:app\n"})
    yield Case("secret-dockerfile-copy-dotdot", ["check", "nginx.conf", "Dockerfile"], {
        "nginx.conf": NGINX, "Dockerfile": "FROM python\nCOPY ../outside/secret.py /app/gunicorn.conf.py\n"
                                           "CMD [\"gunicorn\", \"-c\", \"/app/gunicorn.conf.py\", \"app:app\"]\n"})


LOG_LINE = ('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 2326 "-" "curl" rt=0.100 '
            'uct="0.001" uht="0.090" urt="0.100"\n')
WORKLOAD = ["--rps", "50", "--service-time", "100ms"]
# `advisor validate` planned but never run: at 1 request/s over 1 s too few requests would be measured, so it stops
# with a usage error after reading the inputs, choosing the link and planning the run.
PLAN_ONLY = ["--rps", "1", "--service-time", "100ms", "--duration", "1s", "--proxy", "builtin"]


def _app(**settings: object) -> str:
    base: dict[str, object] = {"bind": "'127.0.0.1:8000'", "workers": 4, "timeout": 30}
    base.update(settings)
    return "".join(f"{key} = {value}\n" for key, value in base.items())


def _model_cases(scale: Scale) -> Iterator[Case]:
    """`advisor model` (formulas and --simulate), `advisor validate` planning and `--access-log` with absurd inputs."""
    pair = ["nginx.conf", "gunicorn.conf.py"]
    huge = {"huge-workers": _app(workers="100000"), "huge-threads": _app(worker_class="'gthread'", threads="10**6"),
            "huge-backlog": _app(backlog="2**31"), "zero-backlog": _app(backlog=0),
            "huge-timeout": _app(timeout="10**300", graceful_timeout="10**300")}
    for name, app in huge.items():
        files = {"nginx.conf": NGINX, "gunicorn.conf.py": app}
        yield Case(f"model-{name}", ["model", *pair, *WORKLOAD, "--somaxconn", "2147483647"], files)
        if scale.every_combination or name == "huge-workers":
            yield Case(f"model-{name}-simulate", ["model", *pair, *WORKLOAD, "--simulate"], files)
        yield Case(f"validate-{name}", ["validate", *pair, *PLAN_ONLY], files)
    ordinary = {"nginx.conf": NGINX, "gunicorn.conf.py": GUNICORN}
    for rps, service in (("1e12", "100ms"), ("1e308", "1us"), ("1e-300", "100ms"), ("inf", "100ms"),
                         ("50", "p50=1us,p99=1e300s"), ("50", "1e308s"), ("50", "constant=1e-300s")):
        yield Case(f"model-rps-{rps}-{service}", ["model", *pair, "--rps", rps, "--service-time", service], ordinary)
        if scale.every_combination:
            yield Case(f"model-rps-{rps}-{service}-simulate",
                       ["model", *pair, "--rps", rps, "--service-time", service, "--simulate"], ordinary)
        yield Case(f"validate-rps-{rps}-{service}", ["validate", *pair, "--rps", rps, "--service-time", service,
                                                     "--duration", "1s", "--proxy", "builtin"], ordinary)
    yield Case("model-simulate-ordinary", ["model", *pair, *WORKLOAD, "--simulate", "--explain"], ordinary)
    yield Case("model-ascii-explain", ["model", *pair, *WORKLOAD, "--explain"], ordinary, ascii=True)
    yield Case("model-json", ["model", *pair, *WORKLOAD, "--output-format", "json"], ordinary)
    logs: dict[str, bytes | str] = {
        "fifo": "@fifo", "sparse": f"@sparse:{scale.sparse}", "long-line": "x" * scale.big + "\n",
        "non-utf8": b"\xff\xfe\x00" * 1000 + LOG_LINE.encode() * 50, "nul": LOG_LINE.replace("GET", "G\0T") * 200,
        "blank-lines": "\n" * min(scale.big, 2_000_000), "valid": LOG_LINE * 500,
        "gzip-garbage": b"\x1f\x8b" + b"z" * 999}
    for name, content in logs.items():
        yield Case(f"model-access-log-{name}", ["model", *pair, "--access-log", "access.log"],
                   {**ordinary, "access.log": content})
    yield Case("model-access-log-dev-zero", ["model", *pair, "--access-log", "/dev/zero"], ordinary)
    yield Case("model-access-log-directory", ["model", *pair, "--access-log", "logs"], {**ordinary, "logs/x": "x"})


def _option_cases() -> Iterator[Case]:
    """Directories and standard input where options expect a file, and the other commands."""
    ordinary = {"nginx.conf": NGINX, "gunicorn.conf.py": GUNICORN}
    yield Case("nginx-option-directory", ["check", "--nginx", "deploy/nginx", "--app", "deploy/app"],
               {"deploy/nginx/nginx.conf": NGINX, "deploy/app/gunicorn.conf.py": GUNICORN})
    yield Case("show-option-directory", ["show", "--nginx", "deploy", "--app", "deploy"],
               {"deploy/nginx.conf": NGINX, "deploy/gunicorn.conf.py": GUNICORN})
    yield Case("model-option-directory", ["model", "--nginx", "deploy", "--app", "deploy", *WORKLOAD],
               {"deploy/nginx.conf": NGINX, "deploy/gunicorn.conf.py": GUNICORN})
    yield Case("stdin-sarif", ["check", "-", "gunicorn.conf.py", "--output-format", "sarif"], ordinary,
               stdin=NGINX.encode())
    yield Case("stdin-nul-model", ["model", "--nginx", "-", "gunicorn.conf.py", *WORKLOAD], ordinary,
               stdin=b"\0" * 100_000)
    yield Case("rules-list", ["rules"], {})
    yield Case("rules-ascii", ["rules"], {}, ascii=True)
    yield Case("rule-doc-ascii", ["rule", "TMO002"], {}, ascii=True)
    yield Case("rule-unknown-long", ["rule", "X" * 100_000], {})


def _model_secret_cases() -> Iterator[Case]:
    """Files outside the project met by `model`, `show` and `validate`: a duplicate directive quotes its name."""
    secret_include = NGINX.replace("http {", "http {\n    include {OUT}/secret.conf;")
    files = {"nginx.conf": secret_include, "gunicorn.conf.py": GUNICORN}
    yield Case("secret-include-model", ["model", "nginx.conf", "gunicorn.conf.py", *WORKLOAD, "--explain"], files)
    yield Case("secret-include-model-json", ["model", "nginx.conf", "gunicorn.conf.py", *WORKLOAD,
                                             "--output-format", "json"], files)
    yield Case("secret-include-validate", ["validate", "nginx.conf", "gunicorn.conf.py", *PLAN_ONLY], files)
    duplicate = {"nginx.conf": NGINX.replace("http {", "http {\n    include {OUT}/dup.conf;"),
                 "gunicorn.conf.py": GUNICORN, "{OUT}/dup.conf": f'add_header X-{SECRET} "{SECRET}";\n'
                                                                f"proxy_read_timeout 5s;\nproxy_read_timeout 6s;\n"}
    for command in (["model", *WORKLOAD], ["validate", *PLAN_ONLY], ["show"], ["check"]):
        yield Case(f"secret-duplicate-{command[0]}", [command[0], "nginx.conf", "gunicorn.conf.py", *command[1:]],
                   duplicate)
    app = {"nginx.conf": NGINX, "start.sh": "#!/bin/sh\nexec gunicorn -c {OUT}/secret.py app:app\n"}
    for command in (["model", *WORKLOAD], ["validate", *PLAN_ONLY], ["show"]):
        yield Case(f"secret-app-config-{command[0]}", [command[0], "nginx.conf", "start.sh", *command[1:]], app)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    tokens = [b"{", b"}", b";", b"\"", b"'", b"#", b"${", b"$", b"\\", b"\n", b"\0", b"\xff", b"{{", b"}}", b"<%",
              b"include", b"*", b"[", b"]", b"&a", b"*a", b"<<:", b"-", b"=", b"gunicorn", b"--workers", b" "]
    chunk = bytearray(data)
    for _ in range(rng.randrange(1, 12)):
        choice = rng.random()
        where = rng.randrange(len(chunk) + 1) if chunk else 0
        if choice < 0.4:
            chunk[where:where] = rng.choice(tokens) * rng.choice((1, 1, 2, 50))
        elif choice < 0.6 and chunk:
            del chunk[where:where + rng.randrange(1, 40)]
        elif choice < 0.8 and chunk:
            end = min(len(chunk), where + rng.randrange(1, 200))
            chunk[where:where] = chunk[where:end] * rng.randrange(2, 6)
        elif chunk:
            chunk[min(where, len(chunk) - 1)] = rng.randrange(256)
    return bytes(chunk)


def _seed_files() -> list[tuple[str, str, bytes]]:
    """(kind, name, content) of the repository's own fixture configs, to mutate."""
    found: list[tuple[str, str, bytes]] = []
    for path in sorted((REPO / "fixtures").rglob("*")):
        if not path.is_file() or path.stat().st_size > 100_000:
            continue
        name = path.name
        if name.endswith(".conf") and "nginx" in str(path).lower() or name == "nginx.conf":
            found.append(("nginx", name, path.read_bytes()))
        elif name in ("gunicorn.conf.py", "Procfile", "Dockerfile", "compose.yaml", "docker-compose.yml") \
                or name.endswith((".service", ".sh")):
            found.append(("app", name, path.read_bytes()))
    return found


def _mutation_cases(seed: int, scale: Scale) -> Iterator[Case]:
    rng = random.Random(seed)
    seeds = _seed_files()
    nginx = [item for item in seeds if item[0] == "nginx"] or [("nginx", "nginx.conf", NGINX.encode())]
    apps = [item for item in seeds if item[0] == "app"] or [("app", "gunicorn.conf.py", GUNICORN.encode())]
    for index in range(scale.mutations):
        _, nginx_name, nginx_text = rng.choice(nginx)
        _, app_name, app_text = rng.choice(apps)
        files = {"nginx.conf": _mutate(nginx_text, rng), app_name: _mutate(app_text, rng)}
        argv = ["check", "--nginx", "nginx.conf", "--app", app_name]
        if rng.random() < 0.3:
            argv = ["show", "nginx.conf", app_name]
        yield Case(f"mutation-{seed}-{index}-{nginx_name}+{app_name}", argv, files, ascii=rng.random() < 0.2)


def cases(seed: int = 0, scale: Scale = CI) -> list[Case]:
    """Every hostile case kind at `scale`, plus `scale.mutations` random mutations of fixture configs."""
    return [*_special_cases(scale), *_huge_cases(scale), *_deep_cases(scale), *_structure_cases(), *_secret_cases(),
            *_model_cases(scale), *_option_cases(), *_model_secret_cases(), *_mutation_cases(seed, scale)]


def run_all(selected: list[Case], workdir: Path, timeout: float, fresh: bool,
            report: Callable[[Result], None] | None = None) -> list[Result]:
    results = []
    for index, case in enumerate(selected):
        result = run_case(case, workdir / f"{index:04d}", timeout=timeout, fresh=fresh)
        results.append(result)
        if report is not None:
            report(result)
    return results


__all__ = ["CI", "Case", "HEAVY", "Result", "SECRET", "Scale", "cases", "run_all", "run_case"]
