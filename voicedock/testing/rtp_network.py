# -*- test-case-name: tests.media.test_rtp_network -*-
"""
An in-memory UDP network: the C{listenUDP} part of a reactor, on a clock, with
injectable delay and loss, and a tap that records every datagram.

Give it to L{voicedock.media.engine.MediaEngine} as C{udp} and drive the
clock with C{task.Clock}: whole media exchanges run instantly and exactly.
"""

from __future__ import annotations

from typing import Callable

import attr
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import AbstractDatagramProtocol

__all__ = ["MemoryUdpNetwork", "MemoryUdpPort", "Datagram"]

Address = tuple[str, int]
_WILDCARDS = ("", "0.0.0.0", "::")


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Datagram:
    """One datagram on the memory network."""

    at: float
    source: Address
    destination: Address
    data: bytes


class MemoryUdpPort:
    """A bound port: what C{listenUDP} returns (write, getHost, stopListening)."""

    def __init__(self, network: MemoryUdpNetwork, interface: str, port: int, protocol: AbstractDatagramProtocol) -> None:
        self.network = network
        self.interface = interface
        self.port = port
        self.protocol = protocol
        self.listening = True

    @property
    def address(self) -> Address:
        """The source address datagrams from this port carry."""
        host = self.network.default_host if self.interface in _WILDCARDS else self.interface
        return (host, self.port)

    def write(self, datagram: bytes, addr: Address) -> None:
        if not self.listening:
            raise RuntimeError("write on a port that stopped listening")
        self.network.send(self, bytes(datagram), (addr[0], addr[1]))

    def getHost(self) -> IPv4Address | IPv6Address:
        host, port = self.address
        if ":" in host:
            return IPv6Address("UDP", host, port)
        return IPv4Address("UDP", host, port)

    def stopListening(self) -> None:
        if self.listening:
            self.listening = False
            self.network.unbind(self)
            self.protocol.doStop()

    loseConnection = stopListening


class MemoryUdpNetwork:
    """
    Ports bound by C{listenUDP} exchange datagrams through this object.

    Delivery is immediate (inside C{write}) unless C{delay} gives a positive
    delay for a datagram, in which case it is scheduled on C{clock}. C{drop}
    returning True loses a datagram. Every datagram sent (dropped or not) is
    appended to C{sent}.
    """

    def __init__(self, clock: IReactorTime, default_host: str = "127.0.0.1") -> None:
        self.clock = clock
        self.default_host = default_host
        self._ports: dict[Address, MemoryUdpPort] = {}
        self._next_ephemeral = 40000
        self.sent: list[Datagram] = []
        self.undeliverable: list[Datagram] = []
        self.delay: Callable[[Datagram], float] = lambda datagram: 0.0
        self.drop: Callable[[Datagram], bool] = lambda datagram: False

    def listenUDP(
        self, port: int, protocol: AbstractDatagramProtocol, interface: str = "", maxPacketSize: int = 8192
    ) -> MemoryUdpPort:
        if port == 0:
            while any(bound[1] == self._next_ephemeral for bound in self._ports):
                self._next_ephemeral += 1
            port = self._next_ephemeral
            self._next_ephemeral += 1
        for host, bound in self._ports:
            if bound == port and (host == interface or host in _WILDCARDS or interface in _WILDCARDS):
                raise CannotListenError(interface, port, OSError(98, "Address already in use"))
        bound_port = MemoryUdpPort(self, interface, port, protocol)
        self._ports[(interface, port)] = bound_port
        protocol.makeConnection(bound_port)  # type: ignore[arg-type]
        return bound_port

    def unbind(self, port: MemoryUdpPort) -> None:
        self._ports.pop((port.interface, port.port), None)

    def bound(self, address: Address) -> bool:
        return self._find(address) is not None

    def _find(self, address: Address) -> MemoryUdpPort | None:
        host, port = address
        found = self._ports.get((host, port))
        if found is None:
            for wildcard in _WILDCARDS:
                found = self._ports.get((wildcard, port))
                if found is not None:
                    break
        return found

    def send(self, source: MemoryUdpPort, data: bytes, destination: Address) -> None:
        datagram = Datagram(self.clock.seconds(), source.address, destination, data)
        self.sent.append(datagram)
        if self.drop(datagram):
            return
        delay = self.delay(datagram)
        if delay > 0:
            self.clock.callLater(delay, self._deliver, datagram)
        else:
            self._deliver(datagram)

    def _deliver(self, datagram: Datagram) -> None:
        target = self._find(datagram.destination)
        if target is None or not target.listening:
            self.undeliverable.append(datagram)
            return
        target.protocol.datagramReceived(datagram.data, datagram.source)

    def sent_to(self, destination: Address) -> list[Datagram]:
        """Datagrams sent to C{destination}, in order."""
        return [d for d in self.sent if d.destination == destination]
