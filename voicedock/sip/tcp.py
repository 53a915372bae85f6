# -*- test-case-name: tests.sip.test_tcp -*-
"""
The TCP side of :class:`voicedock.sip.transport.SipTransport`: one protocol
per connection, framing by Content-Length (RFC 3261 §18.3), idle and
unfinished-message timeouts on the injected clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress, IDelayedCall
from twisted.internet.protocol import Factory, Protocol
from twisted.python.failure import Failure

from voicedock.sip.parser import StreamParser
from voicedock.sip.routing import HostPort, Source

if TYPE_CHECKING:
    from voicedock.sip.transport import SipTransport


class SipStreamProtocol(Protocol):
    """
    One SIP connection, inbound or outbound. Closed when the peer sends
    something that cannot be framed, when it stays silent for
    ``idle_timeout``, or when a message stays unfinished for
    ``incomplete_message_timeout`` (RFC 4475 §3.1.2.2: a Content-Length larger
    than what ever arrives).
    """

    def __init__(self, core: SipTransport) -> None:
        self._core = core
        self._parser = StreamParser(core.config.limits)
        self._idle: IDelayedCall | None = None
        self._incomplete: IDelayedCall | None = None
        self.source: Source | None = None
        self.closed: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        peer, host = self.transport.getPeer(), self.transport.getHost()
        self.source = Source("TCP", HostPort(host.host, host.port), HostPort(peer.host, peer.port))
        self._core._connection_made(self)
        self._idle = self._core.clock.callLater(self._core.config.idle_timeout, self._idle_timeout)

    def dataReceived(self, data: bytes) -> None:
        assert self.source is not None
        self._touch()
        for item in self._parser.feed(data):
            self._core._inbound.handle(item, self.source, self._core._reply)
        if self._parser.broken:
            self._core.stats.connections_broken += 1
            self.transport.loseConnection()
            return
        self._watch_incomplete()

    def write(self, data: bytes) -> None:
        self._touch()
        self.transport.write(data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        for call in (self._idle, self._incomplete):
            if call is not None and call.active():
                call.cancel()
        self._core._connection_lost(self)
        self.closed.callback(None)

    def _touch(self) -> None:
        if self._idle is not None and self._idle.active():
            self._idle.reset(self._core.config.idle_timeout)

    def _watch_incomplete(self) -> None:
        waiting = self._parser.buffered > 0
        running = self._incomplete is not None and self._incomplete.active()
        if waiting and not running:
            self._incomplete = self._core.clock.callLater(
                self._core.config.incomplete_message_timeout, self._idle_timeout
            )
        elif not waiting and running:
            assert self._incomplete is not None
            self._incomplete.cancel()

    def _idle_timeout(self) -> None:
        self._core.stats.connections_idle_closed += 1
        self.transport.loseConnection()


class SipStreamServerFactory(Factory):
    """Accepts connections up to the transport's ``max_connections``."""

    noisy = False

    def __init__(self, core: SipTransport) -> None:
        self._core = core

    def buildProtocol(self, addr: IAddress) -> Protocol | None:
        if self._core.connection_count >= self._core.config.max_connections:
            self._core.stats.connections_refused += 1
            return None
        return SipStreamProtocol(self._core)
