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
from advisor.loaders.uwsgi.build import load_uwsgi_config
from advisor.loaders.uwsgi.sockets import made_abstract, socket_address
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
    # bind_to_unix's other spelling: a backslash and a zero, as written in the config
    assert socket_address("\\0shop", "socket") == Address("unix", path="@shop", abstract=True)
    assert made_abstract(Address("unix", path="/run/shop.sock")) == Address("unix", path="@/run/shop.sock",
                                                                            abstract=True)
    assert made_abstract(Address("tcp", host="127.0.0.1", port=3031)) == Address("tcp", host="127.0.0.1",
                                                                                  port=3031)
    assert made_abstract(Address("unix", path="@shop", abstract=True)) == Address("unix", path="@shop",
                                                                                  abstract=True)


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


def _findings(name: str, inputs: list[str] | None = None):
    directory = FIXTURES / name
    paths = [str(directory / input) for input in inputs] if inputs else sorted(str(path)
                                                                             for path in directory.iterdir())
    deployment = build_deployment(Inputs(paths=paths), HostFacts.build())
    return deployment, [f for f in run_rules(deployment, RULES, strict=True).findings if f.severity != "info"]


def _check(name: str, inputs: list[str] | None = None) -> tuple[object, list[tuple[str, str, int | None, str]]]:
    deployment, findings = _findings(name, inputs)
    return deployment, [(f.code, Path(f.path).name, f.line, f.message) for f in findings]


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


def _uwsgi_binds(tmp_path: Path, text: str):
    (tmp_path / "uwsgi.ini").write_text(text)
    return load_uwsgi_config(str(tmp_path / "uwsgi.ini"), HostFacts.build()).app


def test_abstract_socket_option_makes_every_unix_socket_abstract(tmp_path):
    """uWSGI's `abstract-socket` (bind_to_unix with abstract_socket set): `/run/shop.sock` is bound as the abstract
    name `@/run/shop.sock`, wherever the option stands; TCP sockets and `@name` stay as they are."""
    app = _uwsgi_binds(tmp_path, "[uwsgi]\nsocket = /run/shop.sock\nhttp-socket = 127.0.0.1:8000\n"
                                 "fastcgi-socket = @fcgi\nabstract-socket = true\n")
    assert app.binds == [Address("unix", path="@/run/shop.sock", abstract=True),
                         Address("tcp", host="127.0.0.1", port=8000), Address("unix", path="@fcgi", abstract=True)]
    socket = app.listeners[0].source
    assert (socket.line, socket.inputs[0].line) == (2, 5)  # the socket's line, and the option's that changed it
    assert "abstract-socket (" in (socket.detail or "")


@pytest.mark.parametrize("text", ["abstract-socket = false\n", "abstract-socket = true\nabstract-socket = off\n",
                                  ""])
def test_abstract_socket_off_leaves_socket_files(tmp_path, text):
    app = _uwsgi_binds(tmp_path, f"[uwsgi]\n{text}socket = /run/shop.sock\n")
    assert app.binds == [Address("unix", path="/run/shop.sock")]


def test_unknown_abstract_socket_option_makes_unix_sockets_unknown(tmp_path):
    app = _uwsgi_binds(tmp_path, "[uwsgi]\nabstract-socket = $(SHOP_ABSTRACT)\nsocket = /run/shop.sock\n")
    assert not app.settings["bind"].known
    app = _uwsgi_binds(tmp_path, "[uwsgi]\nabstract-socket = $(SHOP_ABSTRACT)\nsocket = 127.0.0.1:3031\n")
    assert app.binds == [Address("tcp", host="127.0.0.1", port=3031)]


@pytest.mark.parametrize("start", ["ExecStart=/usr/bin/uwsgi -a -s /run/shop.sock --module shop.wsgi",
                                   "Environment=UWSGI_ABSTRACT_SOCKET=1\n"
                                   "ExecStart=/usr/bin/uwsgi --socket /run/shop.sock --module shop.wsgi"])
def test_abstract_socket_from_the_command_line_or_environment(tmp_path, start):
    (tmp_path / "shop.service").write_text(f"[Service]\n{start}\n")
    deployment = build_deployment(Inputs(paths=[str(tmp_path / "shop.service")]), HostFacts.build())
    assert deployment.apps[0].binds == [Address("unix", path="@/run/shop.sock", abstract=True)]


def test_uwsgi_abstract_socket_option_against_nginx_socket_file():
    deployment, findings = _findings("uwsgi-abstract-flag")
    assert not deployment.links
    assert [item.status for item in deployment.route_diagnoses.values()] == ["abstract-socket"]
    (finding,) = findings
    assert (finding.code, Path(finding.path).name, finding.line) == ("ADR012", "nginx.conf", 5)
    assert "abstract socket @/run/shop/shop.sock, which nginx cannot reach" in finding.message
    (related,) = finding.related
    assert (Path(related.path).name, related.line) == ("uwsgi.ini", 5)  # the socket line
    assert related.message == "uWSGI listens on the abstract socket @/run/shop/shop.sock"


def test_uwsgi_abstract_socket_turned_off_again_links_the_file():
    deployment, findings = _check("uwsgi-abstract-flag-off")
    assert [link.match for link in deployment.links] == ["unix"]
    assert findings == []


def test_systemd_abstract_listen_stream_against_nginx():
    deployment, findings = _findings("systemd-abstract", ["nginx.conf", "shop.service"])
    (app,) = deployment.apps
    assert app.binds == [Address("unix", path="@shop", abstract=True)]
    assert not deployment.links
    (finding,) = findings
    assert (finding.code, Path(finding.path).name, finding.line) == ("ADR012", "nginx.conf", 4)
    assert [(Path(item.path).name, item.line) for item in finding.related] == [("shop.socket", 2)]
    assert "gunicorn listens on the abstract socket @shop" in finding.message


def test_systemd_abstract_listen_stream_links_to_nothing():
    """Next to a socket file, the abstract ListenStream takes part in no link and no finding."""
    deployment, findings = _check("systemd-abstract-and-file", ["nginx.conf", "shop.service"])
    assert [(link.match, link.bind) for link in deployment.links] == [("unix", Address("unix", path="/run/shop.sock"))]
    assert [code for code, *_ in findings if code.startswith("ADR")] == []


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
