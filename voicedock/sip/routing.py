# -*- test-case-name: tests.sip.test_routing -*-
"""
Where messages come from and go to: transport addresses, the ``received`` /
``rport`` stamp on arriving requests (RFC 3261 §18.2.1, RFC 3581 §4) and the
destination of a response (RFC 3261 §18.2.2, RFC 3581 §4).
"""

from __future__ import annotations

import functools
import ipaddress

import attrs

from voicedock.sip.message import Request
from voicedock.sip.uri import format_host
from voicedock.sip.via import Via

#: Transports whose connections carry responses back (RFC 3261 §18.2.2).
RELIABLE_TRANSPORTS = frozenset({"TCP", "TLS", "SCTP", "WS", "WSS"})


def default_port(transport: str) -> int:
    """5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2)."""
    return 5061 if transport.upper() in ("TLS", "WSS") else 5060


@attrs.frozen
class HostPort:
    """An IP address (IPv6 without brackets) and a port."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{format_host(self.host)}:{self.port}"


@attrs.frozen
class Source:
    """Where a message came from: transport (``"UDP"``, ``"TCP"``), our address, the peer's."""

    transport: str
    local: HostPort
    remote: HostPort


@attrs.frozen
class Destination:
    """
    Where to send a message. ``address`` must be an IP address: name
    resolution (RFC 3263) belongs above the transport. On a reliable transport
    an open connection to ``address`` is reused; when there is none the
    transport connects to ``fallback`` if given, else to ``address``.
    """

    transport: str
    address: HostPort
    fallback: HostPort | None = None

    @property
    def is_reliable(self) -> bool:
        return self.transport.upper() in RELIABLE_TRANSPORTS


def same_ip(a: str, b: str) -> bool:
    """True when two address texts name the same IP (``::ffff:1.2.3.4`` is not ``1.2.3.4``)."""
    ip_a = _ip_address(a)
    return ip_a is not None and ip_a == _ip_address(b)


@functools.lru_cache(maxsize=4096)
def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The parsed address, or None; cached, as every request's sent-by and source repeat."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def stamp_via(request: Request, source: Source) -> Request:
    """
    Add ``received`` to the top Via when sent-by is a name or another address
    than the packet's source (RFC 3261 §18.2.1); when the Via asks for
    ``rport``, fill it with the source port and always add ``received``
    (RFC 3581 §4). Returns the request unchanged when there is nothing to add.
    """
    via = request.top_via
    updated = via
    host = source.remote.host.partition("%")[0]  # no IPv6 zone id in a header
    if via.wants_rport and via.rport is None:
        updated = updated.with_param("received", host)
        updated = updated.with_param("rport", str(source.remote.port))
    elif not same_ip(via.host, host):
        updated = updated.with_param("received", host)
    if updated is via:
        return request
    return request.with_top_via(updated)  # type: ignore[return-value]


def response_destination(via: Via, source: Source | None = None) -> Destination:
    """
    Where a response goes, from the top Via of the request and, when known,
    the Source the request arrived from (RFC 3261 §18.2.2, RFC 3581 §4).

    - reliable transport: back over the connection the request came on (the
      source's remote address); if that connection is gone, to ``received``
      (else sent-by host) at the sent-by port;
    - ``maddr``: to that address at the sent-by port or the default port;
    - unreliable with ``rport=N``: to ``received`` at port N; with a bare
      ``rport`` and a known source: to the source address and port;
    - otherwise: to ``received`` (else the source, else sent-by host) at the
      sent-by port or the default port.
    """
    # The transport the request really used wins over what its Via claims.
    transport = (source.transport if source is not None else via.transport).upper()
    port = via.port or default_port(transport)
    received = via.received or (source.remote.host if source is not None else None)
    if transport in RELIABLE_TRANSPORTS:
        fallback = HostPort(received or via.host, port)
        if source is not None:
            return Destination(transport, source.remote, fallback)
        return Destination(transport, fallback)
    if via.maddr:
        return Destination(transport, HostPort(via.maddr, port))
    host = received or via.host
    if via.rport is not None:
        return Destination(transport, HostPort(host, via.rport))
    if via.wants_rport and source is not None:
        return Destination(transport, source.remote)
    return Destination(transport, HostPort(host, port))
