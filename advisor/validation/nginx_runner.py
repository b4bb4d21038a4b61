"""Run a real nginx (binary on PATH) as a reverse proxy in front of a loopback/unix upstream.

nginx runs in the foreground (``daemon off``) with a generated minimal config in a fresh temp dir, listening on a
free 127.0.0.1 port and passing every request to the upstream with the given route settings: ``proxy_pass`` (HTTP)
or ``uwsgi_pass`` (the uwsgi protocol, with a ``uwsgi_params`` file written into the temp dir). It is started under
coreutils ``timeout`` so that it stops by itself after ``max_seconds`` and when the starting thread dies
(PR_SET_PDEATHSIG); ``stop()`` sends QUIT (graceful) and KILL after a grace period, then removes the temp dir.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from advisor.units import nginx_time

from .endpoints import Endpoint, free_tcp_port, parse_endpoint, wait_listening
from .errors import ServerStartError
from .nginx_errorlog import ErrorLogSummary, summarize_error_log
from .procutil import leader_running, set_parent_death_signal, stop_process_group

NEXT_UPSTREAM_TOKENS = frozenset(
    "error timeout invalid_header http_500 http_502 http_503 http_504 http_403 http_404 http_429 "
    "non_idempotent off".split()
)
TEMP_PATH_DIRECTIVES = ("client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path",
                        "scgi_temp_path")
PASS_KINDS = ("proxy", "uwsgi")
# the request variables uWSGI's WSGI environ is built from (nginx's own uwsgi_params file)
UWSGI_PARAMS = """uwsgi_param  QUERY_STRING       $query_string;
uwsgi_param  REQUEST_METHOD     $request_method;
uwsgi_param  CONTENT_TYPE       $content_type;
uwsgi_param  CONTENT_LENGTH     $content_length;

uwsgi_param  REQUEST_URI        $request_uri;
uwsgi_param  PATH_INFO          $document_uri;
uwsgi_param  DOCUMENT_ROOT      $document_root;
uwsgi_param  SERVER_PROTOCOL    $server_protocol;
uwsgi_param  REQUEST_SCHEME     $scheme;
uwsgi_param  HTTPS              $https if_not_empty;

uwsgi_param  REMOTE_ADDR        $remote_addr;
uwsgi_param  REMOTE_PORT        $remote_port;
uwsgi_param  SERVER_PORT        $server_port;
uwsgi_param  SERVER_NAME        $server_name;
"""


class NginxError(ServerStartError):
    pass


@dataclass(frozen=True)
class NginxRoute:
    """The proxy settings of one location, as the deployment under test has them (times in seconds)."""

    proxy_connect_timeout_s: float = 60.0
    proxy_read_timeout_s: float = 60.0
    proxy_send_timeout_s: float = 60.0
    proxy_http_version: str = "1.0"  # nginx < 1.29.7 default
    upstream_block: bool = False  # proxy_pass to a named upstream{} instead of the address
    upstream_keepalive: int | None = None  # keepalive N in the upstream block (implies upstream_block)
    proxy_set_connection_header: str | None = None  # e.g. "" to clear Connection for upstream keep-alive
    proxy_buffering: bool = True
    proxy_request_buffering: bool = True
    proxy_next_upstream: str = "error timeout"
    client_max_body_size: str = "1m"
    pass_kind: str = "proxy"  # "proxy" (proxy_pass, HTTP) or "uwsgi" (uwsgi_pass); the proxy_* values then set
    #                           the uwsgi_* directives, and the HTTP-only ones (version, Connection) are left out

    def validate(self) -> None:
        if self.pass_kind not in PASS_KINDS:
            raise ValueError(f"pass_kind must be one of {', '.join(PASS_KINDS)}, got {self.pass_kind!r}")
        for name in ("proxy_connect_timeout_s", "proxy_read_timeout_s", "proxy_send_timeout_s"):
            value = getattr(self, name)
            if not 0.001 <= value <= 3600:
                raise ValueError(f"{name} must be between 0.001 and 3600 s, got {value!r}")
        if self.proxy_connect_timeout_s > 75:
            raise ValueError("proxy_connect_timeout cannot exceed 75 s in nginx")
        if self.proxy_http_version not in ("1.0", "1.1"):
            raise ValueError(f"proxy_http_version must be 1.0 or 1.1, got {self.proxy_http_version!r}")
        if self.upstream_keepalive is not None and not 1 <= self.upstream_keepalive <= 10000:
            raise ValueError(f"upstream_keepalive must be between 1 and 10000, got {self.upstream_keepalive}")
        tokens = self.proxy_next_upstream.split()
        if not tokens or not set(tokens) <= NEXT_UPSTREAM_TOKENS:
            raise ValueError(f"invalid proxy_next_upstream {self.proxy_next_upstream!r}")
        if self.proxy_set_connection_header is not None and any(c in self.proxy_set_connection_header
                                                                  for c in '"\\;{}\n'):
            raise ValueError("proxy_set_connection_header must not contain quotes, ;, braces or newlines")
        if not self.client_max_body_size.rstrip("kKmMgG").isdigit():
            raise ValueError(f"invalid client_max_body_size {self.client_max_body_size!r}")


def render_nginx_conf(upstream: Endpoint, route: NginxRoute, listen_port: int, workdir: str,
                      *, run_as_root: bool | None = None, timing_log: bool = False) -> str:
    """The complete nginx.conf text. All paths (pid, logs, *_temp_path) live in ``workdir``. ``timing_log``: also
    write ``timing.log`` in the format `advisor model --access-log` documents (advisor.accesslog.formats)."""
    route.validate()
    if run_as_root is None:
        run_as_root = os.geteuid() == 0
    use_upstream = route.upstream_block or route.upstream_keepalive is not None
    lines = [
        "daemon off;",
        "master_process on;",
        "worker_processes 1;",
    ]
    if run_as_root:
        lines.append("user root;")
    lines += [
        f"pid {workdir}/nginx.pid;",
        f"error_log {workdir}/error.log info;",
        "events { worker_connections 1024; }",
        "http {",
        "    log_format advisor '$msec $status \"$request\" upstream_status=$upstream_status '",
        "                       'connect=$upstream_connect_time header=$upstream_header_time '",
        "                       'response=$upstream_response_time request_time=$request_time';",
        f"    access_log {workdir}/access.log advisor;",
    ]
    if timing_log:
        from advisor.accesslog.formats import RECOMMENDED_TEXT

        lines += [f"    log_format timing '{RECOMMENDED_TEXT}';", f"    access_log {workdir}/timing.log timing;"]
    lines += [f"    {d} {workdir}/{d.replace('_path', '')};" for d in TEMP_PATH_DIRECTIVES]
    uwsgi = route.pass_kind == "uwsgi"
    scheme = "" if uwsgi else "http://"
    if use_upstream:
        lines.append("    upstream advisor_upstream {")
        lines.append(f"        server {upstream.nginx_server()};")
        if route.upstream_keepalive is not None:
            lines.append(f"        keepalive {route.upstream_keepalive};")
        lines.append("    }")
        target = f"{scheme}advisor_upstream"
    elif upstream.is_unix:
        target = f"unix:{upstream.path}" if uwsgi else f"http://unix:{upstream.path}:"
    else:
        target = f"{scheme}{upstream.nginx_server()}"
    prefix = route.pass_kind
    lines += [
        "    server {",
        f"        listen 127.0.0.1:{listen_port};",
        "        server_name localhost;",
        f"        client_max_body_size {route.client_max_body_size};",
        "        location / {",
    ]
    if uwsgi:
        lines.append(f"            include {workdir}/uwsgi_params;")
    lines += [
        f"            {prefix}_pass {target};",
        f"            {prefix}_connect_timeout {nginx_time(max(route.proxy_connect_timeout_s, 0.001))};",
        f"            {prefix}_read_timeout {nginx_time(max(route.proxy_read_timeout_s, 0.001))};",
        f"            {prefix}_send_timeout {nginx_time(max(route.proxy_send_timeout_s, 0.001))};",
    ]
    if not uwsgi:
        lines.append(f"            proxy_http_version {route.proxy_http_version};")
    lines += [
        f"            {prefix}_buffering {'on' if route.proxy_buffering else 'off'};",
        f"            {prefix}_request_buffering {'on' if route.proxy_request_buffering else 'off'};",
        f"            {prefix}_next_upstream {route.proxy_next_upstream};",
    ]
    if route.proxy_set_connection_header is not None and not uwsgi:
        lines.append(f'            proxy_set_header Connection "{route.proxy_set_connection_header}";')
    lines += ["        }", "    }", "}", ""]
    return "\n".join(lines)


def nginx_binary() -> str | None:
    """Path of the nginx binary (PATH, then /usr/sbin), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/usr/local/nginx/sbin")


class NginxRunner:
    """A real nginx proxying to ``upstream``. Context manager; ``address`` is where clients connect."""

    def __init__(self, upstream: "str | Endpoint", route: NginxRoute | None = None, *,
                 binary: str | None = None, max_seconds: float = 600.0, start_timeout_s: float = 10.0,
                 stop_grace_s: float = 5.0, keep_access_log: str | None = None) -> None:
        self.upstream = parse_endpoint(upstream)
        self.route = route or NginxRoute()
        self.route.validate()
        self.binary = binary or nginx_binary()
        if not self.binary:
            raise NginxError("nginx binary not found on PATH")
        if not 0 < max_seconds <= 24 * 3600:
            raise ValueError(f"max_seconds must be in (0, 86400], got {max_seconds!r}")
        self.max_seconds = max_seconds
        self.start_timeout_s = start_timeout_s
        self.stop_grace_s = stop_grace_s
        self.address: Endpoint | None = None
        self.config_text = ""
        self._proc: subprocess.Popen | None = None
        self._workdir: str | None = None
        self._final_error_log: str | None = None
        self._final_access_log: str | None = None
        self.keep_access_log = keep_access_log  # copy the timing-format access log here when stopping

    def __enter__(self) -> "NginxRunner":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- start/stop --------------------------------------------------------------------------------------------

    def start(self) -> "NginxRunner":
        if self._proc is not None:
            raise NginxError("already started")
        self._workdir = tempfile.mkdtemp(prefix="advisor-nginx-")
        try:
            last_error = ""
            for _ in range(3):  # the free port can be taken between probing and nginx's bind
                port = free_tcp_port()
                if self._try_start(port):
                    return self
                last_error = self.error_log_text()
                self._reap()
            raise NginxError(f"nginx did not start: {last_error.strip() or 'no error log'}")
        except BaseException:
            self.stop()
            raise

    def _try_start(self, port: int) -> bool:
        workdir = self._workdir
        assert workdir is not None
        self.config_text = render_nginx_conf(self.upstream, self.route, port, workdir,
                                             timing_log=self.keep_access_log is not None)
        conf = Path(workdir, "nginx.conf")
        conf.write_text(self.config_text, encoding="utf-8")
        if self.route.pass_kind == "uwsgi":
            Path(workdir, "uwsgi_params").write_text(UWSGI_PARAMS, encoding="utf-8")
        Path(workdir, "error.log").write_bytes(b"")
        argv = [self.binary, "-p", f"{workdir}/", "-c", str(conf), "-e", f"{workdir}/error.log"]
        timeout_bin = shutil.which("timeout")
        if timeout_bin:  # coreutils timeout: QUIT after max_seconds, KILL the whole group 5 s later
            argv = [timeout_bin, "--signal=QUIT", f"--kill-after={self.stop_grace_s:g}s",
                    f"{self.max_seconds:g}s", *argv]
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent, cwd=workdir,
        )
        endpoint = parse_endpoint(f"127.0.0.1:{port}")
        proc = self._proc
        if wait_listening(endpoint, self.start_timeout_s, alive=lambda: leader_running(proc)) \
                and leader_running(proc):
            self.address = endpoint
            return True
        return False

    def _reap(self) -> None:
        if self._proc is not None:
            stop_process_group(self._proc, signal.SIGQUIT, self.stop_grace_s)
            self._proc = None

    def stop(self) -> None:
        """QUIT nginx (graceful), KILL its process group if it lingers, keep the logs, remove the temp dir."""
        try:
            self._reap()
        finally:
            if self._workdir is not None:
                self._final_error_log = self._read("error.log")
                self._final_access_log = self._read("access.log")
                if self.keep_access_log is not None and Path(self._workdir, "timing.log").exists():
                    shutil.copyfile(Path(self._workdir, "timing.log"), self.keep_access_log)
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None

    @property
    def running(self) -> bool:
        return self._proc is not None and leader_running(self._proc)

    @property
    def workdir(self) -> str | None:
        """The temp dir holding nginx.conf, logs and temp paths (None once stopped)."""
        return self._workdir

    def pids(self) -> list[int]:
        """nginx master pid (from its pid file) followed by its worker pids; empty if not running."""
        text = self._read("nginx.pid").strip()
        if not text.isdigit():
            return []
        master = int(text)
        return [master, *_children(master)]

    # -- logs --------------------------------------------------------------------------------------------------

    def _read(self, name: str) -> str:
        if self._workdir is None:
            return ""
        try:
            return Path(self._workdir, name).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def error_log_text(self) -> str:
        return self._final_error_log if self._workdir is None and self._final_error_log is not None \
            else self._read("error.log")

    def access_log_text(self) -> str:
        return self._final_access_log if self._workdir is None and self._final_access_log is not None \
            else self._read("access.log")

    def error_log_summary(self) -> ErrorLogSummary:
        return summarize_error_log(self.error_log_text())

    def wait_error_lines(self, key: str, count: int, timeout_s: float = 5.0) -> ErrorLogSummary:
        """Poll the error log until signature ``key`` appears ``count`` times (nginx writes it asynchronously)."""
        deadline = time.monotonic() + timeout_s
        summary = self.error_log_summary()
        while summary.get(key) < count and time.monotonic() < deadline:
            time.sleep(0.02)
            summary = self.error_log_summary()
        return summary


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[1] == str(pid):
            children.append(int(entry))
    return sorted(children)


def _die_with_parent() -> None:
    set_parent_death_signal(signal.SIGTERM)
