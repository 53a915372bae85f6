# -*- test-case-name: tests.sip.test_inbound -*-
"""
What every transport does with what arrives, in one place (shared by the
real UDP/TCP transport and the loop transport): rate-limit new requests,
stamp the top Via, answer unparseable requests statelessly, hand the rest up.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from voicedock.sip.errors import SipParseError
from voicedock.sip.interfaces import ISipMessageReceiver
from voicedock.sip.message import AnyMessage, Request, Response
from voicedock.sip.ratelimit import TokenBucketLimiter
from voicedock.sip.routing import Destination, Source, stamp_via
from voicedock.sip.stateless import error_response, error_response_destination

#: Requests that belong to a transaction already under way, never rate-limited.
NOT_NEW_REQUESTS = frozenset({"ACK", "CANCEL"})

Reply = Callable[[Response, Destination], None]


@attrs.define
class TransportStats:
    """Counters a transport keeps (exported as metrics later)."""

    messages_received: int = 0
    messages_sent: int = 0
    parse_errors: int = 0
    bad_requests_answered: int = 0
    unanswerable_dropped: int = 0
    rate_limited: int = 0
    send_errors: int = 0
    connections_refused: int = 0
    connections_idle_closed: int = 0
    connections_broken: int = 0


@attrs.frozen
class RateLimit:
    """
    The per-source limit on new requests: ``rate`` per second with bursts of
    ``burst``, keyed by source IP. Every request except ACK and CANCEL counts
    (they only ever continue a transaction), including requests too malformed
    to parse, whose stateless 400 would otherwise make us an amplifier.
    Responses never count. Excess requests are dropped silently.
    """

    rate: float = 50.0
    burst: float = 100.0
    max_sources: int = 65536


class Inbound:
    """The arrival pipeline; ``handle`` is called once per parsed item."""

    log = Logger()

    def __init__(
        self,
        receiver: ISipMessageReceiver,
        clock: IReactorTime,
        rate_limit: RateLimit,
        stats: TransportStats,
    ) -> None:
        self.receiver = receiver
        self.stats = stats
        self._limiter = TokenBucketLimiter(
            clock, rate_limit.rate, rate_limit.burst, rate_limit.max_sources
        )

    def handle(self, item: AnyMessage | SipParseError, source: Source, reply: Reply) -> None:
        if isinstance(item, SipParseError):
            self._bad_message(item, source, reply)
            return
        if isinstance(item, Request):
            if item.method not in NOT_NEW_REQUESTS and not self._allow(source):
                return
            item = stamp_via(item, source)
        self.stats.messages_received += 1
        try:
            self.receiver.messageReceived(item, source)
        except Exception:
            self.log.failure("SIP receiver failed on a message from {source}", source=source)

    def _allow(self, source: Source) -> bool:
        if self._limiter.allow(source.remote.host):
            return True
        self.stats.rate_limited += 1
        return False

    def _bad_message(self, error: SipParseError, source: Source, reply: Reply) -> None:
        self.stats.parse_errors += 1
        partial = error.partial
        if partial is not None and partial.is_request and partial.method not in NOT_NEW_REQUESTS:
            if not self._allow(source):
                return
        response = error_response(error)
        if response is None:
            self.stats.unanswerable_dropped += 1
            self.log.info(
                "Dropped an unanswerable SIP message from {source}: {reason}",
                source=source, reason=error.reason,
            )
            return
        self.stats.bad_requests_answered += 1
        self.log.info(
            "Answering {status} to a malformed SIP request from {source}: {reason}",
            status=response.status, source=source, reason=error.reason,
        )
        reply(response, error_response_destination(error, source))
