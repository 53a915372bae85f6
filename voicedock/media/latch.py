# -*- test-case-name: tests.media.test_latch -*-
"""
Symmetric RTP without RTP bleed: where to send, and whose packets to accept.

Send to where the far end's packets come from (RFC 4961), so callers behind a
NAT get audio both ways, but never let a stranger who sprays our port take the
stream over: the "RTP bleed" class of bugs latched on to whatever source sent
last.
"""

from __future__ import annotations

import enum

__all__ = ["SymmetricLatch", "Admission", "Address", "LATCH_WINDOW_PACKETS", "MAX_SEQUENCE_STEP"]

Address = tuple[str, int]

LATCH_WINDOW_PACKETS = 50
"""Accepted packets (about one second of audio) during which a better-matching
source may still take the latch over."""
MAX_SEQUENCE_STEP = 100
"""How far ahead the sequence number may be for a move to a new source address
to count as the same stream (a NAT rebinding)."""


class Admission(enum.Enum):
    """The latch's verdict on one packet."""

    ACCEPT = "accept"
    LATCHED = "latched"
    """Accepted, and the send address moved to its source (first latch or a better match)."""
    REBOUND = "rebound"
    """Accepted from a new address because SSRC and sequence continue (NAT rebinding)."""
    REJECT = "reject"


def _rank(source: Address, signalled: Address | None) -> int:
    if signalled is None:
        return 0
    if source == signalled:
        return 2
    return 1 if source[0] == signalled[0] else 0


class SymmetricLatch:
    """
    Decides, per packet of a negotiated payload type, whether it belongs to
    the far end's stream, and where our packets go.

    Rules:
      1. Before any packet arrives we send to the signalled (SDP) address.
      2. The first packet latches: its source becomes the send address, its
         SSRC and sequence the stream's identity.
      3. During the first L{LATCH_WINDOW_PACKETS} accepted packets a source
         that matches the signalled address better (same address beats same
         IP beats anything) takes the latch over: a stranger who raced the
         real far end to our port loses it as soon as the far end speaks
         from where SDP said it would.
      4. After that, packets from the latched address are accepted (a new
         SSRC from there is the same peer restarting its stream), and a
         packet from elsewhere moves the latch only when it carries the
         latched SSRC and a sequence number at most L{MAX_SEQUENCE_STEP}
         ahead of the last one: a NAT rebinding. Anything else is a stranger
         and is dropped.

    L{reset} (new SDP from a re-INVITE) starts over at rule 1.
    """

    def __init__(self, signalled: Address | None) -> None:
        self.rejected = 0
        """Packets refused so far (strangers), across resets."""
        self.reset(signalled)

    def reset(self, signalled: Address | None) -> None:
        self.signalled = signalled
        self.remote: Address | None = signalled
        """Where our packets go now (None: nowhere to send yet)."""
        self.ssrc: int | None = None
        self._sequence = 0
        self._rank = -1
        self._window = LATCH_WINDOW_PACKETS

    @property
    def latched(self) -> bool:
        return self.ssrc is not None

    def admit(self, source: Address, ssrc: int, sequence: int) -> Admission:
        if self.ssrc is not None and source == self.remote:
            self.ssrc = ssrc
            self._sequence = sequence
            if self._window:
                self._window -= 1
            return Admission.ACCEPT
        rank = _rank(source, self.signalled)
        if self.ssrc is None or (self._window and rank > self._rank):
            self.remote, self.ssrc, self._sequence, self._rank = source, ssrc, sequence, rank
            if self._window:
                self._window -= 1
            return Admission.LATCHED
        if ssrc == self.ssrc and 0 < (sequence - self._sequence) % 65536 <= MAX_SEQUENCE_STEP:
            self.remote, self._sequence = source, sequence
            return Admission.REBOUND
        self.rejected += 1
        return Admission.REJECT
