# -*- test-case-name: tests.media.test_session -*-
"""
A leg's RTCP: what it learns from the far end's reports and the minimal
compound reports it sends (RFC 3550 §6.4), paced by the ticker rather than a
timer per leg.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from voicedock.media.latch import Address
from voicedock.media.rtcp import (
    ReceiverReport,
    ReportBlock,
    RtcpParseError,
    SenderReport,
    build_goodbye,
    build_report,
    ntp_timestamp,
    parse_rtcp,
)

if TYPE_CHECKING:
    from voicedock.media.output import OutputStream
    from voicedock.media.stats import ReceptionStats

__all__ = ["RtcpReporter"]

_TICK = 0.02


class RtcpReporter:
    """
    RTCP state of one leg.

    Reports go out every C{interval} seconds, the first one at a random tick
    within the first interval so that legs opened together do not report
    together (RFC 3550 §6.2 asks for that randomisation). A report is an SR
    once we have sent RTP, else an RR, with one report block about the far
    end's SSRC and an SDES CNAME.

    Where RTCP goes: the source of the far end's own RTCP once one of its
    reports named the SSRC we latched (symmetric RTCP), else the signalled
    C{a=rtcp} address, else the RTP destination's port plus one.
    """

    def __init__(self, cname: bytes, interval: float, rng: random.Random) -> None:
        self.cname = cname
        self._interval_ticks = max(1, round(interval / _TICK))
        self._countdown = rng.randint(1, self._interval_ticks)
        self._last_sr = 0
        self._last_sr_at: float | None = None
        self._source: Address | None = None
        self.received = 0
        self.sent = 0
        self.malformed = 0

    def due(self, owed: int) -> bool:
        self._countdown -= owed
        if self._countdown > 0:
            return False
        self._countdown = self._interval_ticks
        return True

    def receive(self, data: bytes, source: Address, now: float, remote_ssrc: int | None) -> None:
        try:
            packets = parse_rtcp(data)
        except RtcpParseError:
            self.malformed += 1
            return
        self.received += 1
        for packet in packets:
            if isinstance(packet, (SenderReport, ReceiverReport)) and packet.ssrc == remote_ssrc:
                self._source = source
                if isinstance(packet, SenderReport):
                    self._last_sr = (packet.ntp_timestamp >> 16) & 0xFFFFFFFF
                    self._last_sr_at = now

    def destination(self, rtp_remote: Address | None, signalled: Address | None) -> Address | None:
        if self._source is not None:
            return self._source
        if signalled is not None:
            return signalled
        if rtp_remote is not None:
            return (rtp_remote[0], rtp_remote[1] + 1)
        return None

    def report(
        self,
        output: OutputStream,
        stats: ReceptionStats | None,
        remote_ssrc: int | None,
        now: float,
    ) -> bytes:
        blocks: tuple[ReportBlock, ...] = ()
        if stats is not None and remote_ssrc is not None:
            delay = 0
            if self._last_sr_at is not None:
                delay = int((now - self._last_sr_at) * 65536)
            blocks = (stats.report_block(remote_ssrc, self._last_sr, delay),)
        sender_info = None
        if output.packets_sent:
            sender_info = (ntp_timestamp(now), output.timestamp, output.packets_sent, output.octets_sent)
        return build_report(output.ssrc, self.cname, blocks, sender_info)

    def goodbye(self, ssrc: int) -> bytes:
        return build_goodbye(ssrc, self.cname, b"hangup")
