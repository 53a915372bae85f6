# -*- test-case-name: tests.media.test_engine -*-
"""
The media engine: the port pool, the one pacing ticker, and the legs on them.
What call control holds on to.
"""

from __future__ import annotations

import random
from typing import Iterator

import attr
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IReactorTime, IReactorUDP
from twisted.logger import Logger

from voicedock.media.bridge import Bridge
from voicedock.media.config import MediaConfig
from voicedock.media.ports import PortPool, PortPoolExhausted
from voicedock.media.session import RtpSession
from voicedock.media.ticker import PacingTicker, TickerFigures

__all__ = ["MediaEngine", "EngineFigures"]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class EngineFigures:
    """Process-wide media figures for metrics."""

    legs: int
    ports_available: int
    ticker: TickerFigures


class MediaEngine:
    """
    Opens legs on port pairs of the configured range and serves them all
    from one L{PacingTicker}.

    @param clock: every timer and timestamp comes from here (the reactor, or a
        C{task.Clock} in tests).
    @param udp: where sockets come from (the reactor, or
        L{voicedock.testing.rtp_network.MemoryUdpNetwork} in tests).
    @param rng: SSRCs, initial sequence numbers and timestamps (RFC 3550
        §5.1 wants them random); inject a seeded one for reproducible tests.
    """

    log = Logger()

    def __init__(
        self,
        clock: IReactorTime,
        udp: IReactorUDP,
        config: MediaConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config if config is not None else MediaConfig()
        self.clock = clock
        self._udp = udp
        self._rng = rng if rng is not None else random.SystemRandom()
        self.pool = PortPool(self.config.port_min, self.config.port_max)
        self.ticker = PacingTicker(clock, 0.02, self.config.max_burst)
        self._cname = f"voicedock-{self._rng.getrandbits(64):016x}".encode()
        self._legs: dict[int, RtpSession] = {}

    def open_session(self, label: str) -> RtpSession:
        """
        Bind a port pair for a new call leg (RTP even, RTCP next); the leg
        sends nothing until C{start}.

        @raise PortPoolExhausted: no free pair in the range (including pairs
            held by other programs).
        """
        session = RtpSession(label, self.config, self.clock.seconds, self._rng, self._cname, self._released)
        for _ in range(self.pool.capacity):
            port = self.pool.acquire()
            interface = self.config.bind_interface
            try:
                rtp = self._udp.listenUDP(port, session.rtp_protocol(), interface=interface)
            except CannotListenError:
                self.pool.release(port)  # held by another program: try it last next time
                continue
            try:
                rtcp = self._udp.listenUDP(port + 1, session.rtcp_protocol(), interface=interface)
            except CannotListenError:
                rtp.stopListening()
                self.pool.release(port)
                continue
            session.rtp_port, session.rtcp_port, session.local_port = rtp, rtcp, port
            self._legs[port] = session
            self.ticker.add(session)
            return session
        raise PortPoolExhausted(
            f"no RTP port pair of {self.config.port_min}-{self.config.port_max} could be bound"
        )

    def _released(self, session: RtpSession) -> None:
        self.ticker.remove(session)
        if self._legs.get(session.local_port) is session:
            del self._legs[session.local_port]
            self.pool.release(session.local_port)

    def bridge(self, a: RtpSession, b: RtpSession) -> Bridge:
        """Join two started legs (see L{Bridge}); C{close()} the result to part them."""
        return Bridge(a, b, self.config.bridge_queue_frames)

    def sessions(self) -> Iterator[RtpSession]:
        return iter(list(self._legs.values()))

    def close_all(self) -> None:
        """Close every leg (shutdown)."""
        for session in self.sessions():
            session.close()

    def figures(self) -> EngineFigures:
        return EngineFigures(len(self._legs), self.pool.available, self.ticker.figures())
