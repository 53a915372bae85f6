# -*- test-case-name: tests.media.test_session -*-
"""
What the media layer hands upward: frozen value objects, each carrying the
leg's label and the clock time it happened.
"""

from __future__ import annotations

from typing import Hashable, Protocol

import attr

__all__ = [
    "AudioFrame",
    "DtmfReceived",
    "RtpTimeout",
    "RemoteAddressChanged",
    "PlaybackMarkReached",
    "MediaEvent",
    "MediaSink",
    "LegStats",
]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AudioFrame:
    """20 ms of received audio, decoded: 160 samples of s16le (320 bytes)."""

    leg: str
    at: float
    pcm: bytes
    concealed: bool = False
    """Nothing was received for this frame (lost, or the far end is quiet): C{pcm} is silence."""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class DtmfReceived:
    """One key press received as an RFC 4733 telephone-event, reported when it ends."""

    leg: str
    at: float
    digit: str
    """C{0-9 * # A-D}, C{!} for flash, C{?} for an event code outside those."""
    event: int
    duration_ms: int
    volume: int


@attr.s(frozen=True, slots=True, auto_attribs=True)
class RtpTimeout:
    """No packet from the far end for the configured time (call control ends the call: C{rtp_timeout})."""

    leg: str
    at: float
    silent_for: float
    """Seconds since the last packet (or since the leg started, if none came)."""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class RemoteAddressChanged:
    """Our packets now go somewhere else (symmetric RTP latched, or the far end's NAT rebound)."""

    leg: str
    at: float
    previous: tuple[str, int] | None
    current: tuple[str, int]
    reason: str
    """C{"latched"} or C{"rebound"}."""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PlaybackMarkReached:
    """Everything queued before the mark has been sent (see C{OutputStream.mark})."""

    leg: str
    at: float
    label: Hashable


MediaEvent = DtmfReceived | RtpTimeout | RemoteAddressChanged | PlaybackMarkReached


class MediaSink(Protocol):
    """What a leg reports to its owner (call control, the assistant pipeline, a test)."""

    def audio_received(self, frame: AudioFrame) -> None:
        """One decoded frame per tick once audio started (not while bridged)."""

    def media_event(self, event: MediaEvent) -> None:
        """Anything else: fast-path events that must not wait behind audio."""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class LegStats:
    """A leg's figures for metrics; counters since the leg opened."""

    leg: str
    local_port: int
    remote: tuple[str, int] | None
    codec: str
    # reception (RFC 3550 §6.4.1 / A.3 / A.8)
    packets_received: int
    packets_lost: int
    """Expected minus received (RFC 3550 A.3), summed over the far end's SSRCs."""
    fraction_lost: float
    """Lost over expected, since the leg started (0.0 to 1.0)."""
    jitter_ms: float
    packets_late: int
    """Arrived after their frame was played (dropped by the jitter buffer)."""
    packets_duplicate: int
    packets_malformed: int
    packets_stranger: int
    """Negotiated payload types from a source the latch refused (RTP bleed attempts)."""
    packets_ignored: int
    """Unknown payload types, comfort noise, packets before start."""
    frames_concealed: int
    """Frames missing while later ones had arrived (lost), played as silence."""
    jitter_buffer_frames: int
    jitter_buffer_target_frames: int
    jitter_buffer_overflow_frames: int
    jitter_buffer_underruns: int
    # transmission
    packets_sent: int
    frames_late: int
    """Frames sent on a catch-up tick, after their own 20 ms instant."""
    frames_skipped: int
    """Owed frames dropped by the catch-up cap."""
    send_errors: int
    dtmf_received: int
    dtmf_sent: int
    rtcp_received: int
    rtcp_sent: int
