# -*- test-case-name: tests.media.test_dtmf -*-
"""
DTMF as RFC 4733 telephone-events: the payload, a receiver that reports each
key press once, and a sender paced by the ticker.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Callable

import attr

__all__ = [
    "TelephoneEvent",
    "TelephoneEventError",
    "DtmfReceiver",
    "DtmfSender",
    "EventPacket",
    "DTMF_DIGITS",
    "digit_of",
    "event_of",
    "EVENT_TIMEOUT",
    "END_RETRANSMISSIONS",
]

DTMF_DIGITS = "0123456789*#ABCD"
"""Events 0-15 of RFC 4733 §3.2 in order; event 16 is flash."""
FLASH = 16
EVENT_TIMEOUT = 0.5
"""Seconds without a packet after which an unfinished event is taken as ended
(its end packets were all lost; RFC 4733 §2.5.2.2 leaves the choice to us)."""
END_RETRANSMISSIONS = 3
"""The end packet is sent three times (RFC 4733 §2.5.1.4)."""

_PAYLOAD = struct.Struct("!BBH")
_TS_MOD = 1 << 32


class TelephoneEventError(ValueError):
    """A telephone-event payload shorter than RFC 4733 §2.3 allows."""


def digit_of(event: int) -> str:
    """The key for an event code (C{"!"} for flash, C{"?"} for anything else)."""
    if 0 <= event < len(DTMF_DIGITS):
        return DTMF_DIGITS[event]
    return "!" if event == FLASH else "?"


def event_of(digit: str) -> int:
    """The event code of a key: C{0-9 * # A-D}, or C{!} for flash."""
    if digit == "!":
        return FLASH
    index = DTMF_DIGITS.find(digit.upper())
    if len(digit) != 1 or index < 0:
        raise ValueError(f"not a DTMF key: {digit!r}")
    return index


@attr.s(frozen=True, slots=True, auto_attribs=True)
class TelephoneEvent:
    """The 4-byte payload of RFC 4733 §2.3."""

    event: int
    end: bool
    volume: int
    """Power level in -dBm0 (0 to 63)."""
    duration: int
    """Duration so far, in timestamp units."""

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) < 4:
            raise TelephoneEventError(f"telephone-event payload of {len(payload)} bytes")
        event, flags, duration = _PAYLOAD.unpack_from(payload)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    def to_bytes(self) -> bytes:
        return _PAYLOAD.pack(self.event, (0x80 if self.end else 0) | (self.volume & 0x3F), self.duration & 0xFFFF)


def _newer(a: int, b: int) -> bool:
    """True when RTP timestamp C{a} is after C{b} (serial arithmetic)."""
    return 0 < (a - b) % _TS_MOD < 1 << 31


@attr.s(slots=True, auto_attribs=True)
class _Ongoing:
    timestamp: int
    event: int
    volume: int
    duration: int
    last_update: float


class DtmfReceiver:
    """
    Turns RFC 4733 packets into one begin and one end per key press.

    An event is identified by its RTP timestamp (RFC 4733 §2.5.2.1), not by
    the marker bit, which may be missing or lost. The end is reported on the
    first packet with the E bit; its retransmissions (same timestamp) and any
    later packet of an ended event are ignored. An event whose end never
    arrives ends when a newer event starts, or L{EVENT_TIMEOUT} after its last
    packet (L{expire}, called on the ticker).

    @param on_begin: C{(event, volume)} when a key press starts.
    @param on_end: C{(event, volume, duration)} once per key press, duration in
        timestamp units.
    """

    def __init__(
        self,
        on_begin: Callable[[int, int], None],
        on_end: Callable[[int, int, int], None],
    ) -> None:
        self._on_begin = on_begin
        self._on_end = on_end
        self._ongoing: _Ongoing | None = None
        self._last_ended: int | None = None
        self.events = 0
        self.ignored_packets = 0

    def receive(self, timestamp: int, payload: TelephoneEvent, now: float) -> None:
        ongoing = self._ongoing
        if ongoing is not None and ongoing.timestamp != timestamp:
            if not _newer(timestamp, ongoing.timestamp):
                self.ignored_packets += 1
                return
            self._finish()  # its end packets were lost
            ongoing = None
        if ongoing is None:
            last = self._last_ended
            if last is not None and (timestamp == last or not _newer(timestamp, last)):
                self.ignored_packets += 1  # end retransmission, or a stale packet
                return
            ongoing = self._ongoing = _Ongoing(timestamp, payload.event, payload.volume, payload.duration, now)
            self.events += 1
            self._on_begin(payload.event, payload.volume)
        ongoing.duration = max(ongoing.duration, payload.duration)
        ongoing.last_update = now
        if payload.end:
            self._finish()

    def expire(self, now: float) -> None:
        """End an event that has had no packet for L{EVENT_TIMEOUT}."""
        ongoing = self._ongoing
        if ongoing is not None and now - ongoing.last_update >= EVENT_TIMEOUT:
            self._finish()

    def reset(self) -> None:
        """A new SSRC: forget the old timeline (an ongoing event is ended)."""
        if self._ongoing is not None:
            self._finish()
        self._last_ended = None

    def _finish(self) -> None:
        ongoing, self._ongoing = self._ongoing, None
        assert ongoing is not None
        self._last_ended = ongoing.timestamp
        self._on_end(ongoing.event, ongoing.volume, ongoing.duration)


@attr.s(slots=True, auto_attribs=True)
class _Sending:
    event: int
    volume: int
    start_timestamp: int | None
    limit: int | None
    """Total duration in timestamp units, or None until L{DtmfSender.end_relayed}."""
    duration: int = 0
    ends_left: int = END_RETRANSMISSIONS


@attr.s(frozen=True, slots=True, auto_attribs=True)
class EventPacket:
    """One telephone-event packet to send now (the output stream adds the header)."""

    timestamp: int
    marker: bool
    payload: bytes


class DtmfSender:
    """
    Sends RFC 4733 events, one packet per tick, in place of that tick's audio.

    A key press: the first packet carries the marker bit and the event's start
    timestamp (§2.5.1.2); every following tick sends the same timestamp with
    the duration grown by one frame; the end packet (E bit) goes out
    L{END_RETRANSMISSIONS} times on consecutive ticks (§2.5.1.4). Queued keys
    are separated by C{gap_frames} ticks of audio.
    """

    def __init__(self, frame_samples: int, gap_frames: int = 3) -> None:
        self._frame = frame_samples
        self._gap_frames = gap_frames
        self._queue: deque[_Sending] = deque()
        self._current: _Sending | None = None
        self._gap = 0
        self.events_sent = 0

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._queue) or self._gap > 0

    def send(self, event: int, duration: int, volume: int = 10) -> None:
        """Queue one key press of C{duration} timestamp units."""
        self._queue.append(_Sending(event, volume, None, max(duration, self._frame)))

    def begin_relayed(self, event: int, volume: int) -> None:
        """Start relaying an event whose length is not known yet (bridge)."""
        if self._current is not None and self._current.limit is None:
            self._current.limit = self._current.duration
        self._queue.append(_Sending(event, volume, None, None))

    def end_relayed(self, duration: int) -> None:
        """The relayed event ended after C{duration} timestamp units at its source."""
        for sending in (self._current, *self._queue):
            if sending is not None and sending.limit is None:
                sending.limit = max(duration, sending.duration, self._frame)
                return

    def clear(self) -> None:
        """Drop queued key presses (an ongoing one still gets its end packets)."""
        self._queue.clear()

    def next_packet(self, timestamp: int) -> EventPacket | None:
        """
        The event packet for the tick whose audio would carry C{timestamp}, or
        None when the tick is free for audio.
        """
        if self._current is None:
            if self._gap > 0:
                self._gap -= 1
                return None
            if not self._queue:
                return None
            self._current = self._queue.popleft()
            self._current.start_timestamp = timestamp
        current = self._current
        assert current.start_timestamp is not None
        first = current.duration == 0
        if current.limit is None or current.duration < current.limit:
            current.duration = min(
                current.duration + self._frame,
                current.limit if current.limit is not None else 0xFFFF,
            )
            end = current.limit is not None and current.duration >= current.limit
        else:
            end = True
        if end:
            current.ends_left -= 1
            if current.ends_left == 0:
                self._current = None
                self._gap = self._gap_frames
                self.events_sent += 1
        payload = TelephoneEvent(current.event, end, current.volume, current.duration).to_bytes()
        return EventPacket(current.start_timestamp, first, payload)
