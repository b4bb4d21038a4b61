"""Network addresses as nginx targets them and gunicorn binds them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

AddressKind = Literal["tcp", "unix", "fd"]

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "*", ""})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


@lru_cache(maxsize=8192)
def _ip(host: str) -> tuple[bool, int] | None:
    """(is loopback, IP version) of the address `host` spells, or None for a name (linking asks the same hosts
    many times; plain tuples, so the cache adds nothing for the cyclic collector to walk)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address.is_loopback, address.version


@dataclass(frozen=True, slots=True)
class Address:
    """A TCP host:port, a unix socket path, or an inherited file descriptor (gunicorn `fd://N`).

    `host` is lower-cased, IPv6 without brackets; `host` may be a name (docker service, `localhost`).
    `abstract`: a Linux abstract-namespace unix socket (uWSGI and systemd `@name`, a leading NUL byte in
    Python). Its `path` is the name spelled with a leading `@`, as `ss -x` and uWSGI print it; no file exists for
    it, and nginx cannot connect to one: nginx's `unix:@name` is the file `@name` relative to nginx's working
    directory.
    """

    kind: AddressKind
    host: str | None = None
    port: int | None = None
    path: str | None = None
    fd: int | None = None
    abstract: bool = False

    def __str__(self) -> str:
        if self.kind == "unix":
            return f"unix:{self.path} (abstract)" if self.abstract else f"unix:{self.path}"
        if self.kind == "fd":
            return f"fd://{self.fd}"
        host = self.host or "0.0.0.0"
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    def to_dict(self) -> str:
        return str(self)

    @property
    def is_wildcard(self) -> bool:
        return self.kind == "tcp" and (self.host or "") in WILDCARD_HOSTS

    @property
    def is_loopback(self) -> bool:
        if self.kind != "tcp" or self.host is None:
            return False
        if self.host in LOOPBACK_NAMES:
            return True
        ip = _ip(self.host)
        return ip is not None and ip[0]

    @property
    def is_ip_literal(self) -> bool:
        if self.kind != "tcp" or not self.host:
            return False
        return _ip(self.host) is not None

    @property
    def family(self) -> str | None:
        """"ipv4", "ipv6", "name" (unresolved host name) or None for non-TCP addresses."""
        if self.kind != "tcp":
            return None
        host = self.host or "0.0.0.0"
        if host == "*":
            return "ipv4"
        ip = _ip(host)
        return "name" if ip is None else "ipv6" if ip[1] == 6 else "ipv4"


def unix_socket_address(path: str) -> Address:
    """The unix socket a program binds with `path` as its `sockaddr_un` path (Python's socket.bind, which gunicorn
    and uvicorn use): a leading NUL byte names an abstract socket; `@` is an ordinary file name character there."""
    if path.startswith("\0"):
        return Address("unix", path="@" + path[1:], abstract=True)
    return Address("unix", path=path)


def abstract_socket_address(name: str) -> Address:
    """The abstract socket `@name` as uWSGI (core/socket.c: a socket name starting with `@`) and systemd
    (`ListenStream=@name`, systemd.socket(5)) spell it."""
    return Address("unix", path=name, abstract=True)


def _split_host_port(text: str) -> tuple[str, str | None]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, port
    if text.count(":") > 1:  # bare IPv6 without brackets: no port possible
        return text, None
    return text, None


def parse_nginx_address(text: str, default_port: int = 80) -> Address:
    """Parse an upstream `server` address or the host part of proxy_pass: `host[:port]`, `unix:/path`.

    nginx: "If a port is not specified, the port 80 is used" (the proxy_pass scheme may change the default).
    A unix path is copied into `sun_path` as written: `unix:@name` is a file named `@name` (relative to nginx's
    working directory), never an abstract socket. Raises ValueError for a malformed address.
    """
    text = text.strip()
    if text.startswith("unix:"):
        path = text[len("unix:"):]
        if not path:
            raise ValueError(f"empty unix socket path in {text!r}")
        return Address("unix", path=path)
    host, port_text = _split_host_port(text)
    if not host:
        raise ValueError(f"missing host in {text!r}")
    port = default_port
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"invalid port in {text!r}")
        port = int(port_text)
    return Address("tcp", host=host.lower(), port=port)


def parse_proxy_pass_url(url: str) -> tuple[str, str, str]:
    """Split `http://unix:/run/app.sock:/uri` or `http://host:port/uri` into (scheme, authority, uri).

    The authority is `unix:/path` for unix sockets (nginx ends the path at the next ':').
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"proxy target {url!r} has no scheme (expected http:// or https://)")
    if rest.startswith("unix:"):
        path_and_uri = rest[len("unix:"):]
        path, colon, uri = path_and_uri.partition(":")
        return scheme.lower(), f"unix:{path}", uri if colon else ""
    slash = rest.find("/")
    if slash == -1:
        return scheme.lower(), rest, ""
    return scheme.lower(), rest[:slash], rest[slash:]


def parse_gunicorn_bind(text: str, default_port: int = 8000) -> Address:
    """Parse a gunicorn bind the way gunicorn's util.parse_address does: HOST, HOST:PORT, [V6]:PORT,
    unix:PATH, unix://PATH, fd://N, tcp://HOST:PORT. Raises ValueError for a malformed bind."""
    text = text.strip()
    if text.startswith("unix://"):
        return unix_socket_address(text[len("unix://"):])
    if text.startswith("unix:"):
        return unix_socket_address(text[len("unix:"):])
    if text.startswith("fd://"):
        fd_text = text[len("fd://"):]
        if not fd_text.isdigit():
            raise ValueError(f"invalid file descriptor in bind {text!r}")
        return Address("fd", fd=int(fd_text))
    if text.startswith("tcp://"):
        text = text[len("tcp://"):]
    if text == "":
        return Address("tcp", host="0.0.0.0", port=default_port)
    if not text.startswith("[") and text.count(":") > 1:
        raise ValueError(f"invalid bind {text!r}: write IPv6 addresses in brackets, e.g. [::1]:8000")
    host, port_text = _split_host_port(text)
    if port_text == "":
        raise ValueError(f"invalid bind {text!r}: empty port (an unset $PORT?)")
    port = default_port
    if port_text is not None:
        if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
            raise ValueError(f"invalid port in bind {text!r}")
        port = int(port_text)
    return Address("tcp", host=(host or "0.0.0.0").lower(), port=port)
