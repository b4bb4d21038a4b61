"""Linux abstract unix sockets: uWSGI `@name` and a NUL byte first in Python are abstract; nginx's `unix:@name` is
the file `@name`. An nginx target and an app socket link only when they name the same socket."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.loaders.deployment import build_deployment
from advisor.loaders.uwsgi.sockets import socket_address
from advisor.model.addresses import Address, parse_gunicorn_bind, parse_nginx_address, unix_socket_address
from advisor.model.deployment import AppServer, Route, Target
from advisor.model.linking import link_routes
from advisor.model.provenance import Setting, Source

FIXTURES = Path(__file__).parent / "fixtures" / "abstract_sockets"
RULES = load_rules()


def test_who_means_abstract():
    assert parse_nginx_address("unix:@shop") == Address("unix", path="@shop")  # a file named @shop
    assert parse_gunicorn_bind("unix:@shop") == Address("unix", path="@shop")  # Python binds that file too
    assert parse_gunicorn_bind("unix:\0shop") == Address("unix", path="@shop", abstract=True)
    assert parse_gunicorn_bind("unix://\0shop").abstract
    assert unix_socket_address("/run/a.sock") == Address("unix", path="/run/a.sock")
    assert socket_address("@shop", "socket") == Address("unix", path="@shop", abstract=True)
    assert socket_address("/run/shop.sock", "socket") == Address("unix", path="/run/shop.sock")
    assert str(socket_address("@shop", "socket")) == "unix:@shop (abstract)"


def _route(address: Address, route_id: str = "r") -> Route:
    target = Setting(address, Source.file("nginx.conf", 5, 9), str(address))
    return Route(id=route_id, kind="uwsgi", server_names=[], listens=[], location="/",
                 source=Source.file("nginx.conf", 4), pass_directive=target,
                 target=Target(str(address), "uwsgi", None, [target]), settings={}, headers={})


def _app(*binds: Address) -> AppServer:
    return AppServer(id="uwsgi.ini", kind="uwsgi", source=Source.file("uwsgi.ini", None),
                     settings={"bind": Setting(list(binds), Source.file("uwsgi.ini", 3), "")})


def test_abstract_sockets_link_only_to_the_same_abstract_name():
    abstract = Address("unix", path="@shop", abstract=True)
    links, diagnoses = link_routes([_route(abstract)], [_app(abstract)])
    assert [link.match for link in links] == ["unix"] and diagnoses["r"].status == "linked"
    links, diagnoses = link_routes([_route(abstract)], [_app(Address("unix", path="@shop-2", abstract=True))])
    assert not links
    # no path normalising for an abstract name: its bytes are the address
    links, _ = link_routes([_route(Address("unix", path="@a/./b", abstract=True))],
                           [_app(Address("unix", path="@a/b", abstract=True))])
    assert not links


def test_file_and_abstract_socket_of_the_same_text_do_not_link():
    links, diagnoses = link_routes([_route(parse_nginx_address("unix:@shop"))],
                                   [_app(Address("unix", path="@shop", abstract=True))])
    assert not links
    diagnosis = diagnoses["r"]
    assert diagnosis.status == "abstract-socket"
    assert "the file @shop relative to nginx's working directory" in diagnosis.detail
    assert "Linux abstract socket @shop" in diagnosis.detail


def test_advice_never_points_nginx_at_an_abstract_socket():
    """With a socket nginx can reach, the mismatch names that one, never the abstract socket."""
    _, diagnoses = link_routes([_route(parse_nginx_address("unix:/run/shop.sock"))],
                               [_app(Address("unix", path="@other", abstract=True),
                                     Address("unix", path="/run/other.sock"))])
    assert diagnoses["r"].status == "unix-path-mismatch"
    assert diagnoses["r"].closest_bind.value == Address("unix", path="/run/other.sock")


def _check(name: str) -> tuple[object, list[tuple[str, str, int | None, str]]]:
    directory = FIXTURES / name
    inputs = Inputs(paths=sorted(str(path) for path in directory.iterdir()))
    deployment = build_deployment(inputs, HostFacts.build())
    result = run_rules(deployment, RULES, strict=True)
    return deployment, [(f.code, Path(f.path).name, f.line, f.message) for f in result.findings
                        if f.severity != "info"]


@pytest.mark.parametrize("name", ["uwsgi-abstract", "gunicorn-nul"])
def test_nginx_file_against_abstract_app_socket_is_reported_as_unreachable(name):
    deployment, findings = _check(name)
    assert not deployment.links
    assert [(code, file) for code, file, _, _ in findings] == [("ADR012", "nginx.conf")]
    message = findings[0][3]
    assert "abstract socket @shop, which nginx cannot reach" in message
    assert "No such file" not in message and "permission" not in message.lower()


def test_at_sign_path_on_both_python_and_nginx_sides_is_one_file():
    deployment, findings = _check("gunicorn-at-file")
    assert [link.match for link in deployment.links] == ["unix"]
    assert findings == []


def test_abstract_socket_left_out_of_a_mismatch_with_another_socket():
    _, findings = _check("uwsgi-abstract-and-http")
    assert [(code, line) for code, _, line, _ in findings] == [("ADR011", 4)]
    assert "@shop-uwsgi" not in findings[0][3] and "0.0.0.0:8000" in findings[0][3]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an http_proxy


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_real_nginx_connects_to_the_file_not_the_abstract_socket(tmp_path, nginx_binary):
    """What the model says, measured: with only the abstract socket @name listening, nginx's `unix:@name` fails
    with ENOENT; a socket file `@name` in nginx's working directory answers."""
    binary = nginx_binary
    name = f"advisor-test-{os.getpid()}"
    port = _free_port()
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
daemon off; master_process off; worker_processes 1;
error_log {tmp_path}/logs/error.log; pid {tmp_path}/nginx.pid;
events {{ worker_connections 16; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/t1; proxy_temp_path {tmp_path}/t2; fastcgi_temp_path {tmp_path}/t3;
    uwsgi_temp_path {tmp_path}/t4; scgi_temp_path {tmp_path}/t5;
    server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://unix:@{name}:/; }} }}
}}
""")
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind("\0" + name)
    abstract.listen(4)
    nginx = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _status(port) == 502
        log = (tmp_path / "logs" / "error.log").read_text()
        assert f"connect() to unix:@{name} failed (2: No such file or directory)" in log
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as file_socket:
            file_socket.bind(str(tmp_path / f"@{name}"))
            file_socket.listen(4)
            assert _status(port, answer_from=file_socket) == 200
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        abstract.close()


def _status(port: int, answer_from: socket.socket | None = None) -> int:
    """GET / through nginx; `answer_from` serves one request with 200 on the app side."""
    import threading

    def serve() -> None:
        assert answer_from is not None
        connection, _ = answer_from.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")

    server = threading.Thread(target=serve, daemon=True) if answer_from is not None else None
    if server is not None:
        server.start()
    deadline = time.monotonic() + 10
    while True:
        try:
            with _DIRECT.open(f"http://127.0.0.1:{port}/", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
