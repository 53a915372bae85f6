# -*- test-case-name: tests.sip.test_sip_loop -*-
"""
An in-memory SIP network for tests (after pjsip's ``sip_transport_loop.c``):
endpoints that present the same :class:`~voicedock.sip.interfaces.ISipTransport`
as the real transport, with injectable delay, loss and reordering on a
``task.Clock``.

Messages travel as bytes and are parsed on arrival, and arrivals go through
the same pipeline as real sockets (:class:`voicedock.sip.inbound.Inbound`:
Via stamping, stateless 400s, rate limit), so a transaction layer sees
exactly what it would see on the wire. UDP destinations suffer ``loss`` and
``jitter`` (which reorders); TCP destinations only ``delay``.

Example::

    clock = task.Clock()
    network = LoopNetwork(clock, delay=0.01, loss=0.2, seed=7)
    alice = network.endpoint(HostPort("192.0.2.1", 5060), alice_receiver)
    bob = network.endpoint(HostPort("192.0.2.2", 5060), bob_receiver)
    alice.send(request, Destination("UDP", bob.address))
    clock.advance(0.01)

``Clock.advance(t)`` runs everything due by ``t`` at time ``t``, so a reply sent
from inside a delivery is scheduled relative to the end; for multi-hop exchanges
advance in steps (``clock.pump([0.01] * 100)``).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from zope.interface import implementer

from voicedock.sip.inbound import Inbound, RateLimit, TransportStats
from voicedock.sip.interfaces import ISipMessageReceiver, ISipTransport
from voicedock.sip.message import AnyMessage, Message
from voicedock.sip.parser import DEFAULT_LIMITS, ParserLimits
from voicedock.sip.routing import Destination, HostPort, Source
from voicedock.sip.transport import SipTransportError

#: Tests usually want no rate limit at all; set ``rate_limit`` to test it.
UNLIMITED = RateLimit(rate=1e12, burst=1e12)


@attrs.frozen
class LoopPacket:
    """One send through the network, as recorded in :attr:`LoopNetwork.packets`."""

    sent_at: float
    sender: HostPort
    destination: Destination
    data: bytes
    dropped: bool
    delivered_at: float | None


class LoopNetwork:
    """
    The medium. ``delay`` (seconds), ``jitter`` (extra uniform delay in
    ``[0, jitter]`` on UDP, which reorders packets), ``loss`` (probability a UDP
    packet is lost) and ``drop`` (a predicate ``(data, destination) -> bool``
    for exact, targeted loss) may be changed at any time. Randomness comes
    from ``random.Random(seed)``, so runs repeat.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        delay: float = 0.0,
        jitter: float = 0.0,
        loss: float = 0.0,
        seed: int = 0,
        limits: ParserLimits = DEFAULT_LIMITS,
    ) -> None:
        self.clock = clock
        self.delay = delay
        self.jitter = jitter
        self.loss = loss
        self.drop: Callable[[bytes, Destination], bool] | None = None
        self.limits = limits
        self.packets: list[LoopPacket] = []
        self._random = random.Random(seed)
        self._endpoints: dict[HostPort, LoopTransport] = {}

    def endpoint(
        self,
        address: HostPort,
        receiver: ISipMessageReceiver,
        *,
        rate_limit: RateLimit = UNLIMITED,
    ) -> LoopTransport:
        """A new endpoint listening at ``address`` on every transport."""
        if address in self._endpoints:
            raise ValueError(f"{address} is already taken")
        endpoint = LoopTransport(self, address, receiver, rate_limit)
        self._endpoints[address] = endpoint
        return endpoint

    def remove(self, endpoint: LoopTransport) -> None:
        """Take an endpoint off the network (its port now refuses connections)."""
        self._endpoints.pop(endpoint.address, None)

    def _transmit(self, sender: LoopTransport, data: bytes, destination: Destination) -> bool:
        now = self.clock.seconds()
        target = self._endpoints.get(destination.address)
        source = Source(destination.transport.upper(), destination.address, sender.address)
        if target is None and destination.is_reliable:
            return False
        lost = target is None or bool(self.drop and self.drop(data, destination))
        if not destination.is_reliable and not lost:
            lost = self._random.random() < self.loss
        delay = self.delay
        if not destination.is_reliable and self.jitter:
            delay += self._random.uniform(0, self.jitter)
        self.packets.append(
            LoopPacket(now, sender.address, destination, data, lost, None if lost else now + delay)
        )
        if not lost:
            assert target is not None
            self.clock.callLater(delay, target._arrive, data, source)
        return True


@implementer(ISipTransport)
class LoopTransport:
    """One endpoint of a :class:`LoopNetwork`; the same interface as the real transport."""

    def __init__(
        self,
        network: LoopNetwork,
        address: HostPort,
        receiver: ISipMessageReceiver,
        rate_limit: RateLimit,
    ) -> None:
        self.network = network
        self.address = address
        self.stats = TransportStats()
        self._inbound = Inbound(receiver, network.clock, rate_limit, self.stats)

    def sentBy(self, destination: Destination) -> HostPort:
        return self.address

    def send(self, message: AnyMessage | bytes, destination: Destination) -> Deferred[None]:
        if isinstance(message, Message):
            if destination.is_reliable and message.content_length is None:
                message = message.replace_header("Content-Length", len(message.body))
            data = message.to_bytes()
        else:
            data = message
        if destination.transport.upper() not in ("UDP", "TCP"):
            return defer.fail(SipTransportError(f"unsupported transport {destination.transport}"))
        if not self.network._transmit(self, data, destination):
            self.stats.send_errors += 1
            return defer.fail(SipTransportError(f"connection to {destination.address} refused"))
        self.stats.messages_sent += 1
        return defer.succeed(None)

    def _arrive(self, data: bytes, source: Source) -> None:
        self._inbound.handle_datagram(data, source, self._reply, self.network.limits)

    def _reply(self, response: AnyMessage, destination: Destination) -> None:
        self.send(response, destination).addErrback(lambda failure: None)
