"""systemd socket activation: every `ListenStream=` form systemd.socket(5) describes is read into the right address
kind (`@name` an abstract socket, which nginx cannot reach), and a form advisor cannot compare with nginx (a
specifier, vsock) makes the bind unknown instead of a misread TCP host."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.commands.options import Inputs
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.engine.selection import select_rules
from advisor.loaders.deployment import build_deployment
from advisor.loaders.sources.systemd import _listen_address
from advisor.model.addresses import Address
from advisor.model.deployment import HostFacts

SERVICE = "[Service]\nExecStart=/venv/bin/gunicorn -w 3 shop.wsgi\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("/run/shop.sock", Address("unix", path="/run/shop.sock")),
    ("8000", Address("tcp", host="::", port=8000)),  # IPv6, and IPv4 too unless BindIPv6Only=ipv6-only
    ("[::]:80", Address("tcp", host="::", port=80)),
    ("[fe80::1%eth0]:8000", Address("tcp", host="fe80::1", port=8000)),
    ("127.0.0.1:8000", Address("tcp", host="127.0.0.1", port=8000)),
    ("@shop", Address("unix", path="@shop", abstract=True)),
])
def test_addresses_systemd_binds(text: str, expected: Address) -> None:
    assert _listen_address(text) == expected


@pytest.mark.parametrize("text", ["@", "%t/shop.sock", "vsock:2:8000", "localhost:8000", "unix:/run/x.sock",
                                  "99999", "[1.2.3.4]:80"])
def test_forms_advisor_cannot_compare_are_not_addresses(text: str) -> None:
    assert not isinstance(_listen_address(text), Address)


def _check(tmp_path: Path, socket: str, target: str):
    (tmp_path / "shop.socket").write_text(socket)
    (tmp_path / "shop.service").write_text(SERVICE)
    (tmp_path / "nginx.conf").write_text(
        f"events {{}}\nhttp {{ server {{ listen 80; location / {{ proxy_pass http://{target}; }} }} }}\n")
    deployment = build_deployment(Inputs(paths=[str(tmp_path / name) for name in ("nginx.conf", "shop.service")]),
                                  HostFacts.build())
    rules = load_rules()
    return deployment, run_rules(deployment, rules, select_rules(rules), strict=True).findings


@pytest.mark.parametrize("target", ["unix:@shop", "127.0.0.1:8000", "unix:/run/shop.sock"])
def test_an_abstract_socket_is_unreachable_for_nginx(tmp_path: Path, target: str) -> None:
    """The service listens only on `@shop`: whatever nginx targets, no route links and every request gets 502."""
    deployment, findings = _check(tmp_path, "[Socket]\nListenStream=@shop\n", target)
    (app,) = deployment.apps
    assert app.binds == [Address("unix", path="@shop", abstract=True)]
    assert not deployment.links
    assert [finding.code for finding in findings if finding.code.startswith(("ADR", "ADV004"))] == ["ADR012"]


def test_one_unreadable_listen_stream_makes_the_whole_bind_unknown(tmp_path: Path) -> None:
    deployment, findings = _check(tmp_path, "[Socket]\nListenStream=/run/shop.sock\nListenStream=vsock:2:8000\n",
                                  "unix:/run/other.sock")
    assert deployment.apps[0].settings["bind"].value is None
    assert not [finding for finding in findings if finding.code.startswith("ADR")]


def test_an_empty_listen_stream_resets_the_list(tmp_path: Path) -> None:
    deployment, findings = _check(tmp_path, "[Socket]\nListenStream=@old\nListenStream=\nListenStream=8000\n",
                                  "127.0.0.1:8000")
    assert [str(address) for address in deployment.apps[0].settings["bind"].value] == ["[::]:8000"]
    assert not [finding for finding in findings if finding.code.startswith(("ADR", "ADV"))]
