"""Reachability of ExoFOP's host below HTTP, for ``exofop doctor``: name resolution and a TLS handshake.

The doctor reports what these see verbatim, so they raise the socket layer's own errors (``OSError``,
``UnicodeError`` for a name IDNA cannot encode, ``ValueError`` for an unusable certificate) rather than
wrapping them: the message is what the user needs to read.
"""

# No `from __future__ import annotations`: this module defines a NamedTuple (tests/test_import_cost.py).

import socket
import time
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

# ``socket.getaddrinfo``'s shape: tests pass one that fails without touching DNS.
AddressResolver = Callable[..., Any]


class HostPort(NamedTuple):
    """Where a base URL's requests go: host, port, and whether they are encrypted."""

    host: str
    port: int
    https: bool


def host_of(base_url: str) -> HostPort:
    """The host, port (default 443/80) and scheme of ``base_url``."""
    parts = urlsplit(base_url)
    https = parts.scheme == "https"
    return HostPort(parts.hostname or "", parts.port or (443 if https else 80), https)


def resolve_addresses(host: str, port: int, *, resolve: AddressResolver | None = None) -> list[str]:
    """The distinct addresses ``host`` resolves to, sorted; ``OSError``/``UnicodeError`` when it does not."""
    infos = (resolve or socket.getaddrinfo)(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def tls_handshake(host: str, port: int, timeout: float) -> tuple[str, float]:
    """(what the handshake showed, days until the certificate expires), with httpx's trust store."""
    import ssl

    import httpx

    context = httpx.create_ssl_context()  # what exofop's requests trust (SSL_CERT_FILE/DIR, else certifi)
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        cert = tls.getpeercert() or {}
        version = tls.version() or "TLS"
    expires = ssl.cert_time_to_seconds(str(cert["notAfter"])) if "notAfter" in cert else time.time()
    days = (expires - time.time()) / 86400
    when = time.strftime("%Y-%m-%d", time.gmtime(expires))
    return f"{version}, certificate valid until {when} ({days:.0f} days)", days
