"""Raw socket peers for the loopback tests: they speak bytes, not our API."""

from __future__ import annotations

import socket

from twisted.internet import defer, reactor
from twisted.internet.defer import Deferred
from twisted.internet.protocol import DatagramProtocol, Protocol

from voicedock.sip.parser import StreamParser


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


class _Inbox:
    def __init__(self) -> None:
        self.items: list = []
        self._waiters: list[tuple[int, Deferred]] = []

    def put(self, item: object) -> None:
        self.items.append(item)
        ready = [w for w in self._waiters if len(self.items) >= w[0]]
        self._waiters = [w for w in self._waiters if w not in ready]
        for count, waiter in ready:
            waiter.callback(self.items[:count])

    def wait(self, count: int) -> Deferred:
        """Fires with the first ``count`` items once they are in."""
        if len(self.items) >= count:
            return defer.succeed(self.items[:count])
        waiter: Deferred = Deferred()
        self._waiters.append((count, waiter))
        return waiter


class RawUdpPeer(DatagramProtocol):
    """Sends raw datagrams; keeps what comes back as (bytes, address)."""

    def __init__(self) -> None:
        self.inbox = _Inbox()

    def datagramReceived(self, datagram: bytes, addr: tuple) -> None:  # type: ignore[type-arg]
        self.inbox.put((datagram, addr))


def listen_udp_peer(interface: str) -> tuple[RawUdpPeer, object]:
    peer = RawUdpPeer()
    port = reactor.listenUDP(0, peer, interface=interface)
    return peer, port


class RawTcpClient(Protocol):
    """A TCP peer writing raw bytes and framing what comes back."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self.parser = StreamParser()
        self.closed: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        for item in self.parser.feed(data):
            self.inbox.put(item)

    def connectionLost(self, reason: object = None) -> None:
        self.closed.callback(None)


def sleep(seconds: float) -> Deferred[None]:
    d: Deferred[None] = Deferred()
    reactor.callLater(seconds, d.callback, None)
    return d
