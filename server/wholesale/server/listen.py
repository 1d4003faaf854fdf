"""Whether the server can listen on an address, asked before anything else starts.

gRPC reports a busy port only after logging a line of its own from its C core and a hint
about ``GRPC_VERBOSITY``; the metrics server reports it as a bare ``OSError``. A plain
socket bound and closed first gives one clear message, before the database is opened or
created, and before the other listener holds a port.
"""

from __future__ import annotations

import errno
import socket


class ListenError(Exception):
    """The server cannot listen where it was told to; the message says where and why."""


def _host_and_port(address: str) -> tuple[str, int]:
    """``HOST:PORT`` as load_config writes it, IPv6 hosts unbracketed for the socket."""
    host, _, port = address.rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


def check_free(address: str, what: str) -> None:
    """Raises ListenError unless every address ``HOST:PORT`` resolves to can be bound now.
    The socket allows address reuse as gRPC's does, so a port that a stopped server left
    in TIME_WAIT counts as free, as it is. ``what`` names the listener in the message."""
    host, port = _host_and_port(address)
    try:
        resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for family, kind, protocol, _name, sockaddr in resolved:
            with socket.socket(family, kind, protocol) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(sockaddr)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        hint = "; is another server running there?" if exc.errno == errno.EADDRINUSE else ""
        raise ListenError(f"cannot {what} on {address}: {reason}{hint}") from exc
