# -*- test-case-name: tests.sip.test_transaction_invite_client -*-
"""
Recording fakes for the SIP transaction layer and UA core (after
magic-wormhole's ``test_machines.py``): every fake appends
``(clock time, "who.what", detail)`` to one shared :class:`Recorder`, so a
test asserts the whole timeline at once, retransmission schedule included.

Example::

    clock = task.Clock()
    recorder = Recorder(clock)
    transport = RecordingTransport(recorder)
    user = RecordingTransactionUser(recorder)
    InviteClientTransaction(invite, transport, destination, clock, TimerSettings(), user).start()
    clock.advance(0.5)
    assert recorder.log == [(0.0, "send", "INVITE"), (0.5, "send", "INVITE")]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from zope.interface import implementer

from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import Request, Response
from voicedock.sip.routing import Destination, HostPort, Source
from voicedock.sip.transport import SipTransportError

Entry = tuple[float, str, Any]


def describe(message: Request | Response) -> str | int:
    """A request by its method, a response by its status code."""
    return message.method if isinstance(message, Request) else message.status


class Recorder:
    """The shared timeline."""

    def __init__(self, clock: IReactorTime) -> None:
        self.clock = clock
        self.log: list[Entry] = []

    def record(self, what: str, detail: Any = None) -> None:
        self.log.append((self.clock.seconds(), what, detail))

    def entries(self, what: str) -> list[Entry]:
        return [entry for entry in self.log if entry[1] == what]

    def clear(self) -> None:
        del self.log[:]


@implementer(ISipTransport)
class RecordingTransport:
    """
    An :class:`ISipTransport` that records each send as
    ``(t, "send", method or status)`` and keeps ``(message, destination)``
    in :attr:`sent`. Set :attr:`failure` to make sends fail (a transport error).
    """

    def __init__(self, recorder: Recorder, address: HostPort = HostPort("192.0.2.1", 5060)) -> None:
        self.recorder = recorder
        self.address = address
        self.sent: list[tuple[Request | Response, Destination]] = []
        self.failure: Exception | None = None

    def sentBy(self, destination: Destination) -> HostPort:
        return self.address

    def send(self, message: Request | Response | bytes, destination: Destination) -> Deferred[None]:
        assert not isinstance(message, bytes)
        self.recorder.record("send", describe(message))
        self.sent.append((message, destination))
        if self.failure is not None:
            return defer.fail(self.failure)
        return defer.succeed(None)

    def fail(self, reason: str = "connection refused") -> None:
        self.failure = SipTransportError(reason)

    @property
    def messages(self) -> list[Request | Response]:
        return [message for message, _ in self.sent]


class RecordingTransactionUser:
    """A TU for client and server transactions: records what it is told."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.responses: list[Response] = []

    def response_received(self, transaction: object, response: Response) -> None:
        self.responses.append(response)
        self.recorder.record("tu.response", response.status)

    def transaction_timed_out(self, transaction: object) -> None:
        self.recorder.record("tu.timeout")

    def transport_failed(self, transaction: object, error: Exception) -> None:
        self.recorder.record("tu.transport_error", str(error))

    def ack_received(self, transaction: object, ack: Request) -> None:
        self.recorder.record("tu.ack", ack.method)


class RecordingCore:
    """
    A :class:`~voicedock.sip.transaction.interfaces.TransactionCore` that
    records what reaches it; ``on_request`` may answer through the transaction.
    """

    def __init__(self, recorder: Recorder,
                 on_request: Callable[[Request, Source, Any], None] | None = None) -> None:
        self.recorder = recorder
        self.on_request = on_request
        self.transactions: list[Any] = []

    def request_received(self, request: Request, source: Source, transaction: Any) -> None:
        self.transactions.append(transaction)
        self.recorder.record("core.request", request.method)
        if self.on_request is not None:
            self.on_request(request, source, transaction)

    def ack_received(self, ack: Request, source: Source) -> None:
        self.recorder.record("core.ack", ack.method)

    def stray_response(self, response: Response, source: Source) -> None:
        self.recorder.record("core.stray_response", response.status)


class RecordingListener:
    """
    An ``IUserAgentListener`` (see :mod:`voicedock.sip.ua`) that records
    ``(t, "event", EventClassName)`` and keeps the events; ``reactions``
    maps an event class to a callable run on it (e.g. answering a call).
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.events: list[Any] = []
        self.reactions: dict[type, Callable[[Any], None]] = {}

    def eventReceived(self, event: Any) -> None:
        self.events.append(event)
        self.recorder.record("event", type(event).__name__)
        reaction = self.reactions.get(type(event))
        if reaction is not None:
            reaction(event)

    def of(self, kind: type) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


class SequentialIds:
    """Deterministic stand-in for :class:`voicedock.sip.ua.config.RandomIds`: tag1, z9hG4bK1 ..."""

    def __init__(self) -> None:
        self._n = 0
        self.delays: list[tuple[float, float]] = []

    def _next(self) -> int:
        self._n += 1
        return self._n

    def tag(self) -> str:
        return f"tag{self._next()}"

    def branch(self) -> str:
        return f"z9hG4bKbranch{self._next()}"

    def call_id(self, host: str) -> str:
        return f"call{self._next()}@{host}"

    def cnonce(self) -> str:
        return f"cnonce{self._next()}"

    def sdp_session(self) -> int:
        return 1000 + self._next()

    def uniform(self, low: float, high: float) -> float:
        """The middle of the range, recorded in :attr:`delays`."""
        self.delays.append((low, high))
        return (low + high) / 2
