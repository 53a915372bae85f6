# -*- test-case-name: tests.sip.test_udp -*-
"""The UDP side of :class:`voicedock.sip.transport.SipTransport` (RFC 3261 §18)."""

from __future__ import annotations

from collections.abc import Callable

from twisted.internet.protocol import DatagramProtocol

from voicedock.sip.routing import HostPort


class SipDatagramProtocol(DatagramProtocol):
    """One UDP socket: hands each datagram and its sender to ``on_datagram``."""

    def __init__(self, on_datagram: Callable[[bytes, HostPort, HostPort], None]) -> None:
        self._on_datagram = on_datagram
        self.local: HostPort | None = None

    def startProtocol(self) -> None:
        host = self.transport.getHost()
        self.local = HostPort(host.host, host.port)

    def datagramReceived(self, datagram: bytes, addr: tuple) -> None:  # type: ignore[type-arg]
        # IPv6 addresses come as (host, port, flowinfo, scope id).
        assert self.local is not None
        self._on_datagram(datagram, HostPort(addr[0], addr[1]), self.local)

    def write(self, data: bytes, destination: HostPort) -> None:
        self.transport.write(data, (destination.host, destination.port))
