"""Loopback-only endpoints for the validation tools.

Every server, proxy and load generator in ``advisor.validation`` talks only to 127.0.0.1, ::1 or a unix socket.
This module is the single place that parses an address and refuses anything else.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

ALLOWED_HOSTS = ("127.0.0.1", "::1")


class EndpointError(ValueError):
    """An address that is malformed or not loopback/unix."""


@dataclass(frozen=True)
class Endpoint:
    """A TCP loopback address (host, port) or a unix socket path."""

    host: str | None = None
    port: int | None = None
    path: str | None = None

    @property
    def is_unix(self) -> bool:
        return self.path is not None

    @property
    def family(self) -> int:
        if self.is_unix:
            return socket.AF_UNIX
        return socket.AF_INET6 if self.host == "::1" else socket.AF_INET

    @property
    def sockaddr(self) -> str | tuple[str, int]:
        if self.is_unix:
            return self.path  # type: ignore[return-value]
        return (self.host, self.port)  # type: ignore[return-value]

    def __str__(self) -> str:
        if self.is_unix:
            return f"unix:{self.path}"
        if self.host == "::1":
            return f"[::1]:{self.port}"
        return f"{self.host}:{self.port}"

    def nginx_server(self) -> str:
        """The address as written in an nginx ``server``/``proxy_pass`` directive."""
        return str(self)


def parse_endpoint(text: "str | Endpoint", *, allow_port_zero: bool = False) -> Endpoint:
    """Parse ``127.0.0.1:8000``, ``[::1]:8000``, ``unix:/path`` (or a bare absolute path).

    Raises EndpointError (a ValueError) for anything that is not loopback or a unix socket, e.g. ``0.0.0.0``,
    ``localhost`` (a name, not an address) or ``10.0.0.1``.
    """
    if isinstance(text, Endpoint):
        _check(text, allow_port_zero)
        return text
    if not isinstance(text, str) or not text.strip():
        raise EndpointError(f"empty or invalid address {text!r}")
    raw = text.strip()
    for scheme in ("http://",):
        if raw.startswith(scheme):
            raw = raw[len(scheme):].rstrip("/")
    if raw.startswith("unix:") or raw.startswith("/"):
        path = raw[5:] if raw.startswith("unix:") else raw
        if not path.startswith("/"):
            raise EndpointError(f"unix socket path must be absolute: {text!r}")
        if len(path.encode()) > 107:
            raise EndpointError(f"unix socket path longer than 107 bytes: {path!r}")
        return Endpoint(path=path)
    if raw.startswith("["):
        host, sep, port_text = raw[1:].partition("]:")
        if not sep:
            raise EndpointError(f"expected [host]:port, got {text!r}")
    else:
        host, sep, port_text = raw.rpartition(":")
        if not sep:
            raise EndpointError(f"expected host:port or unix:/path, got {text!r}")
    try:
        port = int(port_text)
    except ValueError:
        raise EndpointError(f"invalid port in {text!r}") from None
    endpoint = Endpoint(host=host, port=port)
    _check(endpoint, allow_port_zero)
    return endpoint


def _check(endpoint: Endpoint, allow_port_zero: bool) -> None:
    if endpoint.is_unix:
        return
    if endpoint.host not in ALLOWED_HOSTS:
        raise EndpointError(
            f"refusing non-loopback address {endpoint.host!r}: validation tools only talk to "
            f"127.0.0.1, ::1 or unix: sockets"
        )
    low = 0 if allow_port_zero else 1
    if endpoint.port is None or not low <= endpoint.port <= 65535:
        raise EndpointError(f"port out of range in {endpoint}")


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (bind to port 0, read it, close)."""
    parse_endpoint(f"[{host}]:1" if ":" in host else f"{host}:1")
    family = socket.AF_INET6 if host == "::1" else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def is_listening(endpoint: Endpoint) -> bool:
    """True if a socket is in LISTEN state on the endpoint, read from /proc/net (no probe connection).

    A probe connect would take a slot in the accept queue, which is exactly what the validation runs measure.
    """
    if endpoint.is_unix:
        return _unix_listening(endpoint.path or "")
    return _tcp_listening(endpoint)


def wait_listening(endpoint: Endpoint, timeout_s: float, alive=lambda: True) -> bool:
    """Poll until the endpoint listens, ``alive()`` turns false, or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if is_listening(endpoint):
            return True
        if not alive():
            return False
        time.sleep(0.005)
    return is_listening(endpoint)


_SO_ACCEPTCON = 0x10000


def _unix_listening(path: str) -> bool:
    try:
        with open("/proc/net/unix", encoding="utf-8", errors="replace") as fh:
            next(fh, None)
            for line in fh:
                fields = line.split()
                if len(fields) >= 8 and fields[7] == path and int(fields[3], 16) & _SO_ACCEPTCON:
                    return True
    except OSError:
        return False
    return False


def _tcp_listening(endpoint: Endpoint) -> bool:
    table = "/proc/net/tcp6" if endpoint.host == "::1" else "/proc/net/tcp"
    want_ip = _proc_hex_ip(endpoint.host or "")
    try:
        with open(table, encoding="ascii") as fh:
            next(fh, None)
            for line in fh:
                fields = line.split()
                if len(fields) < 4 or fields[3] != "0A":
                    continue
                ip_hex, _, port_hex = fields[1].partition(":")
                if int(port_hex, 16) == endpoint.port and ip_hex in (want_ip, "0" * len(want_ip)):
                    return True
    except OSError:
        return False
    return False


def _proc_hex_ip(host: str) -> str:
    """The address as /proc/net/tcp{,6} prints it (32-bit words in host byte order)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    packed = socket.inet_pton(family, host)
    words = [packed[i:i + 4] for i in range(0, len(packed), 4)]
    return "".join(int.from_bytes(w, "little").to_bytes(4, "big").hex().upper() for w in words)


def remove_stale_unix_socket(path: str) -> None:
    """Remove a leftover socket file at ``path``; refuse to touch anything that is not a socket."""
    import stat

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise EndpointError(f"{path} exists and is not a socket; refusing to replace it")
    if _unix_listening(path):
        raise EndpointError(f"{path} is in use by another listening socket")
    os.unlink(path)
