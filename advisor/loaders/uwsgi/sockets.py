"""uWSGI socket addresses as uWSGI 2.0.30 binds them (core/socket.c `uwsgi_bind_sockets`).

A name without `:` is a unix socket path (`@name`, or a backslash and a zero first, `\\0name`, an abstract one,
in Linux's abstract namespace: no file; `abstract-socket` makes every unix socket abstract, see `made_abstract`);
otherwise the text after the last `:` is the port: `:3031` binds every IPv4 address (INADDR_ANY), `[::]:3031`
IPv6, a host name is resolved to its IPv4 address (`localhost` -> 127.0.0.1). For `https`/`https-socket`/
`ssl-socket` the certificate and key follow the address after commas. `=N` uses a socket shared with another
option, which advisor does not follow.
"""

from __future__ import annotations

from advisor.loaders.uwsgi.options import atoi
from advisor.model.addresses import Address, abstract_socket_address

_TLS_OPTIONS = frozenset({"https", "https-socket", "ssl-socket", "suwsgi-socket"})


def socket_address(text: str, option: str) -> Address:
    """The address a socket option binds. Raises ValueError when advisor cannot tell."""
    name = text.strip()
    if option in _TLS_OPTIONS:
        name = name.split(",", 1)[0]
    if not name:
        raise ValueError(f"{option} has an empty address")
    if name.startswith("="):
        raise ValueError(f"{option} = {text} uses a shared socket, which advisor does not follow")
    colon = name.rfind(":")
    if colon == -1:
        if name.startswith("@"):
            return abstract_socket_address(name)
        if name.startswith("\\0"):  # a backslash and a zero, as written: bind_to_unix's other abstract spelling
            return abstract_socket_address("@" + name[2:])
        return Address("unix", path=name)
    host, port_text = name[:colon], name[colon + 1:]
    port = atoi(port_text)
    if not port_text.strip().isdigit() or not 0 <= port < 65536:
        raise ValueError(f"{option} = {text}: {port_text!r} is not a port")
    if host.startswith("[") and host.endswith("]"):
        return Address("tcp", host=host[1:-1].lower() or "::", port=port)
    host = host.lower()
    if host in ("", "0.0.0.0"):
        return Address("tcp", host="0.0.0.0", port=port)
    if host == "localhost":  # uWSGI resolves names to one IPv4 address
        return Address("tcp", host="127.0.0.1", port=port)
    return Address("tcp", host=host, port=port)


def made_abstract(address: Address) -> Address:
    """The socket uWSGI binds for `address` under `abstract-socket = true` (bind_to_unix with abstract_socket set):
    a unix socket path becomes the abstract name `@path`, no file; TCP sockets and abstract names stay as they are."""
    if address.kind != "unix" or address.abstract:
        return address
    return abstract_socket_address("@" + (address.path or ""))


__all__ = ["made_abstract", "socket_address"]
