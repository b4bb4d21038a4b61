import pytest

from advisor.model.addresses import parse_gunicorn_bind, parse_nginx_address, parse_proxy_pass_url


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:8000", "127.0.0.1:8000"), ("0.0.0.0", "0.0.0.0:8000"), (":5000", "0.0.0.0:5000"),
    ("[::1]:9000", "[::1]:9000"), ("unix:/run/g.sock", "unix:/run/g.sock"), ("unix:///run/g.sock", "unix:/run/g.sock"),
    ("fd://3", "fd://3"), ("tcp://localhost:8000", "localhost:8000"),
])
def test_gunicorn_binds(text, expected):
    assert str(parse_gunicorn_bind(text)) == expected


@pytest.mark.parametrize("bad", ["0.0.0.0:", "::1", "::1:8000", "host:abc", "fd://x"])
def test_binds_gunicorn_rejects(bad):
    with pytest.raises(ValueError):
        parse_gunicorn_bind(bad)


def test_nginx_server_port_defaults_to_80():
    assert parse_nginx_address("web").port == 80
    assert parse_nginx_address("web:8000").host == "web"


@pytest.mark.parametrize("bad", ["web:99999", "web:x", "unix:", ""])
def test_bad_nginx_addresses(bad):
    with pytest.raises(ValueError):
        parse_nginx_address(bad)


def test_proxy_pass_url_with_unix_socket_and_uri():
    assert parse_proxy_pass_url("http://unix:/run/app.sock:/api/") == ("http", "unix:/run/app.sock", "/api/")
    assert parse_proxy_pass_url("https://backend:8443/x") == ("https", "backend:8443", "/x")
    with pytest.raises(ValueError):
        parse_proxy_pass_url("backend:8000")


def test_address_classification():
    assert parse_nginx_address("localhost:8000").is_loopback
    assert parse_nginx_address("[::1]:8000").family == "ipv6"
    assert parse_gunicorn_bind("[::]:8000").is_wildcard
    assert not parse_nginx_address("web:8000").is_loopback
    assert parse_nginx_address("web:8000").family == "name"
