# -*- test-case-name: tests.media.test_stats -*-
"""
Per-stream reception statistics, as RFC 3550 appendix A writes them:
sequence validation (A.1), loss (A.3) and interarrival jitter (A.8, §6.4.1).
"""

from __future__ import annotations

import enum

from voicedock.media.rtcp import ReportBlock

__all__ = ["ReceptionStats", "SequenceVerdict", "RTP_SEQ_MOD", "MAX_DROPOUT", "MAX_MISORDER"]

RTP_SEQ_MOD = 1 << 16
MAX_DROPOUT = 3000
MAX_MISORDER = 100


class SequenceVerdict(enum.Enum):
    """What RFC 3550 A.1 C{update_seq} decided about one packet."""

    VALID = "valid"
    PROBATION = "probation"
    """Source not yet validated (fewer than MIN_SEQUENTIAL packets in sequence)."""
    BAD = "bad"
    """A large jump: dropped unless the next packet confirms it."""
    RESTARTED = "restarted"
    """The second packet of a large jump in sequence: the source restarted (A.1)."""


class ReceptionStats:
    """
    Reception state of one SSRC (RFC 3550 A.1 C{source}).

    @param min_sequential: packets needed in sequence before the source is
        valid (A.1 MIN_SEQUENTIAL). The session latches the source itself, so
        it uses 1: the first packet counts.
    """

    def __init__(self, first_sequence: int, min_sequential: int = 1) -> None:
        self._min_sequential = min_sequential
        self._init_seq(first_sequence)
        self.max_seq = (first_sequence - 1) % RTP_SEQ_MOD
        self.probation = min_sequential
        self.jitter = 0.0
        """Interarrival jitter estimate J in timestamp units (§6.4.1)."""
        self._transit: int | None = None

    def _init_seq(self, seq: int) -> None:
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = RTP_SEQ_MOD + 1
        self.cycles = 0
        self.received = 0
        self.received_prior = 0
        self.expected_prior = 0

    def update_seq(self, seq: int) -> SequenceVerdict:
        """RFC 3550 A.1 C{update_seq}, verbatim in behaviour."""
        udelta = (seq - self.max_seq) % RTP_SEQ_MOD
        if self.probation:
            if seq == (self.max_seq + 1) % RTP_SEQ_MOD:
                self.probation -= 1
                self.max_seq = seq
                if self.probation == 0:
                    self._init_seq(seq)
                    self.received += 1
                    return SequenceVerdict.VALID
            else:
                self.probation = self._min_sequential - 1
                self.max_seq = seq
            return SequenceVerdict.PROBATION
        verdict = SequenceVerdict.VALID
        if udelta < MAX_DROPOUT:
            if seq < self.max_seq:
                self.cycles += RTP_SEQ_MOD  # wrapped around
            self.max_seq = seq
        elif udelta <= RTP_SEQ_MOD - MAX_MISORDER:
            if seq == self.bad_seq:
                self._init_seq(seq)  # two in sequence: the other side restarted
                verdict = SequenceVerdict.RESTARTED
            else:
                self.bad_seq = (seq + 1) % RTP_SEQ_MOD
                return SequenceVerdict.BAD
        # else: duplicate or reordered packet, counted as received (A.1)
        self.received += 1
        return verdict

    def update_jitter(self, rtp_timestamp: int, arrival: int) -> None:
        """
        RFC 3550 A.8: C{arrival} is the arrival time in timestamp units. Only
        audio packets are fed here (a telephone-event keeps its start timestamp).
        """
        transit = (arrival - rtp_timestamp) % (1 << 32)
        previous, self._transit = self._transit, transit
        if previous is None:
            return
        d = (transit - previous) % (1 << 32)
        if d >= 1 << 31:
            d = (1 << 32) - d
        self.jitter += (d - self.jitter) / 16.0

    @property
    def extended_max(self) -> int:
        return self.cycles + self.max_seq

    @property
    def expected(self) -> int:
        """Packets expected: extended highest sequence minus base, plus one (A.3)."""
        return self.extended_max - self.base_seq + 1

    @property
    def lost(self) -> int:
        """Cumulative packets lost (A.3); duplicates can make it negative."""
        return self.expected - self.received

    def report_block(self, ssrc: int, last_sr: int = 0, delay_since_last_sr: int = 0) -> ReportBlock:
        """
        A reception report block for this source; advances the interval
        counters used for the fraction lost (A.3).
        """
        expected = self.expected
        expected_interval = expected - self.expected_prior
        self.expected_prior = expected
        received_interval = self.received - self.received_prior
        self.received_prior = self.received
        lost_interval = expected_interval - received_interval
        if expected_interval == 0 or lost_interval <= 0:
            fraction = 0
        else:
            fraction = (lost_interval << 8) // expected_interval
        return ReportBlock(
            ssrc=ssrc,
            fraction_lost=min(fraction, 255),
            cumulative_lost=self.lost,
            highest_sequence=self.extended_max,
            jitter=int(self.jitter),
            last_sr=last_sr,
            delay_since_last_sr=delay_since_last_sr,
        )
