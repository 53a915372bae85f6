# -*- test-case-name: tests.sip.test_peers_sipp -*-
"""
A small user agent application for real-peer tests and benchmarks:
VoiceDock's UA core on a real :class:`~voicedock.sip.transport.SipTransport`
bound to 127.0.0.1 (free ports), with a test handler that rings, answers
INVITEs with 200 and an SDP answer (after ``answer_delay``) and lets the
caller hang up.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall
from zope.interface import implementer

from voicedock.sip.offer_answer import LocalMedia
from voicedock.sip.routing import HostPort
from voicedock.sip.transaction.machine import State, Transaction
from voicedock.sip.transport import SipTransport, TransportConfig
from voicedock.sip.ua import (
    CallTerminated,
    IncomingCall,
    IUserAgentListener,
    UserAgent,
    UserAgentConfig,
)
from voicedock.sip.ua.events import CallEvent


@implementer(IUserAgentListener)
class AnsweringHandler:
    """
    Records every event; on an IncomingCall rings (``ring``) and answers
    after ``answer_delay`` seconds (None: never answers, e.g. to be
    cancelled) with G.711 on ``media_port``. :meth:`wait_for` gives a
    Deferred for the next event of a kind.
    """

    def __init__(self, clock: object, media_port: int = 40000, answer_delay: float | None = 0.0,
                 ring: bool = True) -> None:
        self.clock = clock
        self.media_port = media_port
        self.answer_delay = answer_delay
        self.ring = ring
        self.events: list[CallEvent] = []
        self._waiters: list[tuple[tuple[type, ...], Deferred[CallEvent]]] = []
        self._pending: dict[object, IDelayedCall] = {}

    def eventReceived(self, event: CallEvent) -> None:
        self.events.append(event)
        if isinstance(event, IncomingCall):
            call = event.call
            if self.ring:
                call.ring()
            if self.answer_delay is not None:
                answer: Callable[[], object] = lambda: call.answer(LocalMedia("", self.media_port))
                if self.answer_delay == 0:
                    answer()
                else:
                    self._pending[call] = self.clock.callLater(self.answer_delay, answer)  # type: ignore[attr-defined]
        if isinstance(event, CallTerminated):
            pending = self._pending.pop(event.call, None)
            if pending is not None and pending.active():
                pending.cancel()
        for waiter in [w for w in self._waiters if isinstance(event, w[0])]:
            self._waiters.remove(waiter)
            waiter[1].callback(event)

    def stop(self) -> None:
        for pending in self._pending.values():
            if pending.active():
                pending.cancel()
        self._pending.clear()

    def wait_for(self, *kinds: type) -> Deferred[CallEvent]:
        """The next event of one of ``kinds``."""
        done: Deferred[CallEvent] = Deferred()
        self._waiters.append((kinds, done))  # type: ignore[arg-type]
        return done

    def names(self) -> list[str]:
        return [type(event).__name__ for event in self.events]

    def of(self, kind: type) -> list[CallEvent]:
        return [event for event in self.events if isinstance(event, kind)]


@attrs.define
class UasApplication:
    """A UserAgent on real sockets; :meth:`close` releases them."""

    ua: UserAgent
    transport: SipTransport
    handler: AnsweringHandler
    address: HostPort
    transitions: list[tuple[str, str, str, str]] = attrs.field(factory=list)

    def close(self) -> Deferred[None]:
        self.handler.stop()
        self.ua.stop()
        return self.transport.close()


def start_uas(
    reactor: object,
    config: UserAgentConfig | None = None,
    *,
    handler: AnsweringHandler | None = None,
    tcp: bool = True,
    transport_config: TransportConfig = TransportConfig(),
    record_transitions: bool = True,
) -> UasApplication:
    """
    Listen on 127.0.0.1 (UDP, and TCP on the same port when ``tcp``) on a free
    port. With ``record_transitions`` every transaction state change is kept
    in :attr:`UasApplication.transitions` (off for load runs).
    """
    config = config or UserAgentConfig(public_address="127.0.0.1")
    handler = handler or AnsweringHandler(reactor)
    ua = UserAgent(config, reactor, listener=handler)  # type: ignore[arg-type]
    transport = SipTransport(reactor, ua, config=transport_config)
    from voicedock.testing.sip_peers.process import free_port

    for _ in range(20):
        port = free_port("both" if tcp else "udp")
        try:
            transport.listen_udp(port, "127.0.0.1")
            if tcp:
                transport.listen_tcp(port, "127.0.0.1")
            break
        except Exception:
            transport.close()
            transport = SipTransport(reactor, ua, config=transport_config)
    else:  # pragma: no cover - the OS keeps handing out taken ports
        raise RuntimeError("could not bind a SIP port")
    ua.attach_transport(transport)
    app = UasApplication(ua, transport, handler, HostPort("127.0.0.1", port))

    def observe(transaction: Transaction, old: State, input_: object, new: State) -> None:
        app.transitions.append((transaction.method, old.value, str(getattr(input_, "value", input_)),
                                new.value))

    if record_transitions:
        ua.transactions.observers.append(observe)
    return app
