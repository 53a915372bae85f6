# -*- test-case-name: tests.sip.test_sip_loop -*-
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
from voicedock.sip.parser import ParserLimits, parse_datagram
from voicedock.sip.ratelimit import TokenBucketLimiter
from voicedock.sip.routing import Destination, Source, stamp_via
from voicedock.sip.stateless import error_response, error_response_destination

#: Requests that belong to a transaction already under way, never rate-limited.
NOT_NEW_REQUESTS = frozenset({"ACK", "CANCEL"})
NOT_NEW_PREFIXES = (b"ACK ", b"CANCEL ")

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
    Responses never count. Excess requests are dropped silently. For datagrams
    the decision is taken from the start line's first word, before parsing.
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

    def handle_datagram(
        self, data: bytes, source: Source, reply: Reply, limits: ParserLimits
    ) -> None:
        """
        One datagram (or one whole message from the loop network). The rate
        limit is applied from the start line's first word before parsing, so
        a flood costs no parsing; CRLF keep-alives and empty datagrams are ignored.
        """
        start = data.lstrip(b"\r\n")[:8]
        if not start:
            return
        new_request = not (start[:4].upper() == b"SIP/" or start.startswith(NOT_NEW_PREFIXES))
        if new_request and not self._allow(source):
            return
        item: AnyMessage | SipParseError
        try:
            item = parse_datagram(data, limits)
        except SipParseError as error:
            item = error
        self.handle(item, source, reply, limited=True)

    def handle(
        self,
        item: AnyMessage | SipParseError,
        source: Source,
        reply: Reply,
        *,
        limited: bool = False,
    ) -> None:
        """One parsed item; ``limited`` says the rate limit was already applied to it."""
        if isinstance(item, SipParseError):
            self._bad_message(item, source, reply, limited)
            return
        if isinstance(item, Request):
            if not limited and item.method not in NOT_NEW_REQUESTS and not self._allow(source):
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

    def _bad_message(
        self, error: SipParseError, source: Source, reply: Reply, limited: bool
    ) -> None:
        self.stats.parse_errors += 1
        partial = error.partial
        counts = partial is not None and partial.is_request
        if counts and not limited and partial.method not in NOT_NEW_REQUESTS:
            if not self._allow(source):
                return
        response = error_response(error)
        if response is None:
            self.stats.unanswerable_dropped += 1
            self.log.info(
                "Dropped an unanswerable SIP message from {source}: {reason}",
                source=source,
                reason=error.reason,
            )
            return
        self.stats.bad_requests_answered += 1
        self.log.info(
            "Answering {status} to a malformed SIP request from {source}: {reason}",
            status=response.status,
            source=source,
            reason=error.reason,
        )
        reply(response, error_response_destination(error, source))
