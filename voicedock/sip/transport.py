# -*- test-case-name: tests.sip.test_udp -*-
"""
The SIP transport layer over real sockets: UDP and TCP, IPv4 and IPv6
(RFC 3261 §18). Parsed messages go up through
:class:`~voicedock.sip.interfaces.ISipMessageReceiver`; everything else
(rate limiting, stateless 400s, Via stamping) is in :mod:`voicedock.sip.inbound`.
"""

from __future__ import annotations

import socket

import attrs
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint, connectProtocol
from twisted.internet.interfaces import IListeningPort, IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from voicedock.sip.inbound import Inbound, RateLimit, TransportStats
from voicedock.sip.interfaces import ISipMessageReceiver, ISipTransport
from voicedock.sip.message import AnyMessage, Message
from voicedock.sip.parser import DEFAULT_LIMITS, ParserLimits
from voicedock.sip.routing import Destination, HostPort, Source
from voicedock.sip.tcp import SipStreamProtocol, SipStreamServerFactory
from voicedock.sip.udp import SipDatagramProtocol

_WILDCARDS = ("", "0.0.0.0", "::")


class SipTransportError(Exception):
    """A message could not be sent (no such transport, refused, too large...)."""


@attrs.frozen
class TransportConfig:
    """Limits and timers of a :class:`SipTransport` (all times in seconds)."""

    limits: ParserLimits = DEFAULT_LIMITS
    rate_limit: RateLimit = RateLimit()
    #: A TCP connection with no traffic either way is closed after this long.
    idle_timeout: float = 300.0
    #: A TCP connection holding an unfinished message is closed after this long.
    incomplete_message_timeout: float = 32.0
    #: TCP connections, inbound and outbound together.
    max_connections: int = 1024
    connect_timeout: float = 10.0


@attrs.define
class _Listener:
    transport: str
    port: IListeningPort
    interface: str
    advertise: str | None
    protocol: SipDatagramProtocol | None = None

    def address_for(self, remote_host: str) -> HostPort:
        host = self.advertise or self.interface
        if host in _WILDCARDS:
            host = _route_source(remote_host)
        return HostPort(host, self.port.getHost().port)


def _family(host: str) -> int:
    return 6 if ":" in host else 4


def _route_source(remote_host: str) -> str:
    """The local address the kernel would use towards ``remote_host`` (no packet sent)."""
    family = socket.AF_INET6 if _family(remote_host) == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((remote_host, 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "::1" if family == socket.AF_INET6 else "127.0.0.1"


@implementer(ISipTransport)
class SipTransport:
    """
    UDP and TCP listeners plus outbound TCP connections, one object per
    process. ``reactor`` provides sockets; ``clock`` (default: the reactor)
    runs the TCP timeouts and the rate limiter.

    Responses to a request that came over TCP go back on its connection
    (RFC 3261 §18.2.2); a request to a destination with an open connection
    reuses it.
    """

    log = Logger()

    def __init__(
        self,
        reactor: object,
        receiver: ISipMessageReceiver,
        *,
        clock: IReactorTime | None = None,
        config: TransportConfig = TransportConfig(),
    ) -> None:
        self.reactor = reactor
        self.clock: IReactorTime = clock if clock is not None else reactor  # type: ignore
        self.config = config
        self.stats = TransportStats()
        self._inbound = Inbound(receiver, self.clock, config.rate_limit, self.stats)
        self._listeners: dict[tuple[str, int], _Listener] = {}
        self._connections: dict[HostPort, SipStreamProtocol] = {}
        self._connecting: dict[HostPort, list[Deferred[SipStreamProtocol]]] = {}

    # -- listening ---------------------------------------------------------------

    def listen_udp(
        self, port: int = 5060, interface: str = "0.0.0.0", advertise: str | None = None
    ) -> IListeningPort:
        """Listen for UDP on ``interface``; ``advertise`` is the host put in Via/Contact."""
        protocol = SipDatagramProtocol(self._datagram_received)
        listening = self.reactor.listenUDP(port, protocol, interface=interface)  # type: ignore
        self._listeners[("UDP", _family(interface))] = _Listener(
            "UDP", listening, interface, advertise, protocol
        )
        return listening

    def listen_tcp(
        self, port: int = 5060, interface: str = "0.0.0.0", advertise: str | None = None
    ) -> IListeningPort:
        """Listen for TCP connections on ``interface``."""
        factory = SipStreamServerFactory(self)
        listening = self.reactor.listenTCP(port, factory, interface=interface)  # type: ignore
        self._listeners[("TCP", _family(interface))] = _Listener(
            "TCP", listening, interface, advertise
        )
        return listening

    def close(self) -> Deferred[None]:
        """Stop listening and close every connection; fires when all are gone."""
        waits = [
            defer.maybeDeferred(listener.port.stopListening)
            for listener in self._listeners.values()
        ]
        self._listeners.clear()
        for connection in list(self._connections.values()):
            waits.append(connection.closed)
            connection.transport.loseConnection()
        return defer.gatherResults(waits).addCallback(lambda _: None)

    # -- ISipTransport -----------------------------------------------------------

    def sentBy(self, destination: Destination) -> HostPort:
        key = (destination.transport.upper(), _family(destination.address.host))
        listener = self._listeners.get(key)
        if listener is None:
            raise SipTransportError(f"no {key[0]} listener for IPv{key[1]}")
        return listener.address_for(destination.address.host)

    def send(self, message: AnyMessage | bytes, destination: Destination) -> Deferred[None]:
        transport = destination.transport.upper()
        try:
            data = self._encode(message, reliable=destination.is_reliable)
            if transport == "UDP":
                self._send_udp(data, destination.address)
                return defer.succeed(None)
            if transport == "TCP":
                return self._send_tcp(data, destination)
            raise SipTransportError(f"unsupported transport {transport}")
        except SipTransportError as error:
            self.stats.send_errors += 1
            return defer.fail(error)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    # -- internals ---------------------------------------------------------------

    def _encode(self, message: AnyMessage | bytes, reliable: bool) -> bytes:
        if isinstance(message, bytes):
            data = message
        else:
            assert isinstance(message, Message)
            if reliable and message.content_length is None:
                # Content-Length is mandatory on streams (RFC 3261 §20.14).
                message = message.replace_header("Content-Length", len(message.body))
            data = message.to_bytes()
        if len(data) > self.config.limits.max_message_size:
            raise SipTransportError(f"message of {len(data)} octets is too large")
        return data

    def _send_udp(self, data: bytes, address: HostPort) -> None:
        listener = self._listeners.get(("UDP", _family(address.host)))
        if listener is None or listener.protocol is None:
            raise SipTransportError(f"no UDP listener for {address}")
        try:
            listener.protocol.write(data, address)
        except Exception as error:  # socket errors, bad addresses
            raise SipTransportError(f"UDP send to {address} failed: {error}") from error
        self.stats.messages_sent += 1

    def _send_tcp(self, data: bytes, destination: Destination) -> Deferred[None]:
        connection = self._connections.get(destination.address)
        if connection is None and destination.fallback is not None:
            connection = self._connections.get(destination.fallback)
        if connection is not None:
            connection.write(data)
            self.stats.messages_sent += 1
            return defer.succeed(None)
        target = destination.fallback or destination.address

        def write(protocol: SipStreamProtocol) -> None:
            protocol.write(data)
            self.stats.messages_sent += 1

        def failed(failure):  # type: ignore[no-untyped-def]
            self.stats.send_errors += 1
            if failure.check(SipTransportError):
                return failure
            raise SipTransportError(f"TCP connection to {target} failed: {failure.value}")

        return self._connect(target).addCallback(write).addErrback(failed)

    def _connect(self, target: HostPort) -> Deferred[SipStreamProtocol]:
        """A new Deferred per caller; one connection attempt per target at a time."""
        waiter: Deferred[SipStreamProtocol] = Deferred()
        waiters = self._connecting.get(target)
        if waiters is not None:
            waiters.append(waiter)
            return waiter
        if self.connection_count + len(self._connecting) >= self.config.max_connections:
            self.stats.connections_refused += 1
            return defer.fail(SipTransportError("too many TCP connections"))
        endpoint_type = TCP6ClientEndpoint if _family(target.host) == 6 else TCP4ClientEndpoint
        endpoint = endpoint_type(
            self.reactor, target.host, target.port, timeout=self.config.connect_timeout
        )
        self._connecting[target] = [waiter]

        def done(result):  # type: ignore[no-untyped-def]
            for each in self._connecting.pop(target):
                each.callback(result)

        connectProtocol(endpoint, SipStreamProtocol(self)).addBoth(done)
        return waiter

    def _connection_made(self, protocol: SipStreamProtocol) -> None:
        assert protocol.source is not None
        self._connections[protocol.source.remote] = protocol

    def _connection_lost(self, protocol: SipStreamProtocol) -> None:
        if (
            protocol.source is not None
            and self._connections.get(protocol.source.remote) is protocol
        ):
            del self._connections[protocol.source.remote]

    def _datagram_received(self, data: bytes, remote: HostPort, local: HostPort) -> None:
        source = Source("UDP", local, remote)
        self._inbound.handle_datagram(data, source, self._reply, self.config.limits)

    def _reply(self, response: AnyMessage, destination: Destination) -> None:
        self.send(response, destination).addErrback(
            lambda failure: self.log.info(
                "Could not send a SIP error response to {destination}: {error}",
                destination=destination,
                error=failure.value,
            )
        )
