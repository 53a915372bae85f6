# -*- test-case-name: tests.media.test_bridge -*-
"""
Two legs joined for a transfer: audio both ways (transcoded when their codecs
differ) and DTMF relayed as RFC 4733.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicedock.media.g711 import G711Codec

if TYPE_CHECKING:
    from voicedock.media.session import RtpSession

__all__ = ["Bridge", "BridgeError"]


class BridgeError(Exception):
    """The legs cannot be bridged (not started, closed, or already bridged)."""


class Bridge:
    """
    Joins two started legs until L{close} (or until either leg closes).

    On every tick a leg's jitter buffer hands its frame to the other leg's
    output queue instead of to its sink, and that leg sends it on the same
    tick; a frame lost on the way in becomes silence (or comfort noise) on
    the way out. PCMU<->PCMA is transcoded byte for byte (one table lookup).
    Bridged audio beyond C{max_queue_frames} waiting in a leg's queue is
    dropped (C{dropped_frames}), so a bridge never adds latency; audio queued
    before the bridge (a prompt) plays first, so flush it if it should not.

    DTMF received on one leg is sent on the other as RFC 4733 events when the
    other leg negotiated telephone-event (else counted in C{dtmf_unrelayed}),
    and is still reported upward as C{DtmfReceived} by the receiving leg.
    """

    def __init__(self, a: RtpSession, b: RtpSession, max_queue_frames: int = 10) -> None:
        if a is b:
            raise BridgeError("cannot bridge a leg to itself")
        for leg in (a, b):
            if leg.closed or leg.output is None:
                raise BridgeError(f"{leg!r} is not started")
            if leg.bridge is not None:
                raise BridgeError(f"{leg!r} is already bridged")
        self.legs = (a, b)
        self.max_queue_frames = max_queue_frames
        self.forwarded_frames = 0
        self.dropped_frames = 0
        self.dtmf_relayed = 0
        self.dtmf_unrelayed = 0
        self.closed = False
        a.bridge = self
        b.bridge = self

    def other(self, leg: RtpSession) -> RtpSession:
        a, b = self.legs
        return b if leg is a else a

    def forward(self, target: RtpSession, payload: bytes, codec: G711Codec) -> None:
        output = target.output
        if output is None:
            return
        if output.queued_frames >= self.max_queue_frames:
            self.dropped_frames += 1
            return
        output.push_payload(payload, codec)
        self.forwarded_frames += 1

    def relay_dtmf_begin(self, target: RtpSession, event: int, volume: int) -> None:
        output = target.output
        if output is None or output.telephone_event_pt is None:
            self.dtmf_unrelayed += 1
            return
        output.dtmf.begin_relayed(event, volume)
        self.dtmf_relayed += 1

    def relay_dtmf_end(self, target: RtpSession, duration: int) -> None:
        output = target.output
        if output is not None and output.telephone_event_pt is not None:
            output.dtmf.end_relayed(duration)

    def close(self) -> None:
        """Unjoin the legs: each goes back to reporting audio to its own sink (idempotent)."""
        if self.closed:
            return
        self.closed = True
        for leg in self.legs:
            if leg.bridge is self:
                leg.bridge = None
