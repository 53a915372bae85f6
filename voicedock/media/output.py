# -*- test-case-name: tests.media.test_output -*-
"""
The per-stream output: a queue of 20 ms frames that can be flushed at once,
and the RTP sender state behind it (SSRC, sequence, continuous timestamps).
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Hashable

import attr

from voicedock.media.dtmf import DtmfSender, event_of
from voicedock.media.g711 import G711Codec, transcode
from voicedock.media.packet import build_rtp

__all__ = ["OutputStream", "FlushResult", "COMFORT_NOISE_REFRESH_FRAMES", "COMFORT_NOISE_LEVEL"]

COMFORT_NOISE_REFRESH_FRAMES = 50
"""During silence with comfort noise negotiated, a CN packet once a second."""
COMFORT_NOISE_LEVEL = 90
"""Noise level sent in CN packets, -dBov (RFC 3389 §3): quiet room noise."""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class FlushResult:
    """What a flush threw away: the audio that will never be heard."""

    frames: int
    """20 ms frames dropped from the queue (a partial frame counts as one)."""
    marks: tuple[Hashable, ...]
    """Labels of playback marks that were still queued, in order."""

    @property
    def milliseconds(self) -> int:
        return 20 * self.frames


class OutputStream:
    """
    One leg's outgoing audio, paced by the ticker.

    Audio is pushed as linear PCM (s16le, any length: a partial frame waits for
    more, or is padded with silence when the queue runs dry) or as G.711
    payloads (transcoded to this leg's codec when needed). Every tick sends one
    packet: the next queued frame; silence when the queue is empty, or, when
    comfort noise is negotiated (RFC 3389), one CN packet when silence starts
    and one a second after that, the marker bit flagging the next talkspurt
    (RFC 3551 §4.1). Timestamps advance 160 per tick whether or not a packet
    goes out, so they stay continuous across speech segments.

    Catch-up after a stall (C{owed} > 1): the newest C{min(owed, max_burst)}
    frames are sent at once; the older owed frames are taken from the queue
    and dropped, their timestamps skipped (counted in C{frames_skipped}).

    A DTMF key press replaces audio for its duration (RFC 4733); queued audio
    waits behind it.

    @param send: writes one datagram to the far end; the stream does not know
        where that is.
    """

    def __init__(
        self,
        codec: G711Codec,
        payload_type: int,
        ssrc: int,
        sequence: int,
        timestamp: int,
        send: Callable[[bytes], None],
        frame_samples: int = 160,
        max_burst: int = 3,
        telephone_event_pt: int | None = None,
        comfort_noise_pt: int | None = None,
        on_mark: Callable[[Hashable], None] = lambda label: None,
    ) -> None:
        self.codec = codec
        self.payload_type = payload_type
        self.ssrc = ssrc
        self._sequence = sequence
        self.timestamp = timestamp
        """RTP timestamp of the next frame."""
        self._send = send
        self.frame_samples = frame_samples
        self._frame_bytes = 2 * frame_samples
        self.max_burst = max_burst
        self.telephone_event_pt = telephone_event_pt
        self.comfort_noise_pt = comfort_noise_pt
        self._on_mark = on_mark
        self.enabled = True
        """False on hold (a=recvonly/inactive): time advances, nothing is sent."""
        self._silence = codec.silence(frame_samples)
        self._queue: deque[bytes] = deque()
        self._pcm_remainder = b""
        self._marks: deque[tuple[int, Hashable]] = deque()
        self._pushed = 0  # frames ever queued
        self._taken = 0  # frames ever taken off the queue (sent or skipped)
        self._talking = False
        self._silent_frames = 0
        self._first = True
        self.dtmf = DtmfSender(frame_samples)
        self.packets_sent = 0
        self.octets_sent = 0
        self.audio_frames_sent = 0
        self.silence_frames_sent = 0
        self.comfort_noise_sent = 0
        self.frames_skipped = 0
        self.frames_late = 0

    def set_codec(self, codec: G711Codec, payload_type: int) -> None:
        """A re-INVITE changed the codec: frames already queued are transcoded."""
        if codec.name != self.codec.name:
            self._queue = deque(transcode(frame, self.codec, codec) for frame in self._queue)
        self.codec = codec
        self.payload_type = payload_type
        self._silence = codec.silence(self.frame_samples)

    # -- what the upper layer does --

    @property
    def queued_frames(self) -> int:
        """Frames waiting, counting a partial PCM frame as one."""
        return len(self._queue) + (1 if self._pcm_remainder else 0)

    def push_pcm(self, pcm: bytes) -> None:
        """Queue s16le 8 kHz linear audio of any length."""
        pcm = self._pcm_remainder + pcm
        whole = len(pcm) - len(pcm) % self._frame_bytes
        self._pcm_remainder = pcm[whole:]
        if whole:
            self._enqueue(self.codec.encode(pcm[:whole]))

    def push_payload(self, payload: bytes, codec: G711Codec | None = None) -> None:
        """Queue G.711 payload bytes (of C{codec}, default this leg's codec); a partial frame is padded."""
        self._finish_pcm()
        if codec is not None and codec.name != self.codec.name:
            payload = transcode(payload, codec, self.codec)
        partial = len(payload) % self.frame_samples
        if partial:
            payload += self._silence[partial:]
        self._enqueue(payload)

    def mark(self, label: Hashable) -> None:
        """Report C{label} (through C{on_mark}) once everything queued before it has been sent."""
        self._finish_pcm()
        self._marks.append((self._pushed, label))

    def flush(self) -> FlushResult:
        """Drop all queued audio and marks at once (barge-in)."""
        frames = self.queued_frames
        marks = tuple(label for _, label in self._marks)
        self._queue.clear()
        self._pcm_remainder = b""
        self._marks.clear()
        self._taken = self._pushed
        return FlushResult(frames, marks)

    def send_dtmf(self, digits: str, duration_ms: int = 100, volume: int = 10) -> None:
        """Queue key presses as RFC 4733 events (needs a negotiated telephone-event)."""
        if self.telephone_event_pt is None:
            raise ValueError("telephone-event was not negotiated on this leg")
        events = [event_of(digit) for digit in digits]
        for event in events:
            self.dtmf.send(event, duration_ms * self.codec.clock_rate // 1000, volume)

    # -- internals --

    def _enqueue(self, payload: bytes) -> None:
        size = self.frame_samples
        if len(payload) == size:
            self._queue.append(payload)
            self._pushed += 1
            return
        frames = [payload[i : i + size] for i in range(0, len(payload), size)]
        self._queue.extend(frames)
        self._pushed += len(frames)

    def _finish_pcm(self) -> None:
        if self._pcm_remainder:
            pcm = self._pcm_remainder + bytes(self._frame_bytes - len(self._pcm_remainder))
            self._pcm_remainder = b""
            self._enqueue(self.codec.encode(pcm))

    def _take(self) -> bytes | None:
        if not self._queue:
            self._finish_pcm()
            if not self._queue:
                return None
        self._taken += 1
        return self._queue.popleft()

    def _fire_marks(self) -> None:
        marks = self._marks
        while marks and marks[0][0] <= self._taken:
            self._on_mark(marks.popleft()[1])

    def _packet(self, payload_type: int, timestamp: int, payload: bytes, marker: bool) -> None:
        self._first = False
        if not self.enabled:
            return
        self._send(build_rtp(payload_type, self._sequence, timestamp, self.ssrc, payload, marker))
        self._sequence = (self._sequence + 1) & 0xFFFF
        self.packets_sent += 1
        self.octets_sent += len(payload)

    def _send_frame(self) -> None:
        timestamp = self.timestamp
        event = self.dtmf.next_packet(timestamp) if self.dtmf.busy else None
        if event is not None:
            assert self.telephone_event_pt is not None
            self._packet(self.telephone_event_pt, event.timestamp, event.payload, event.marker or self._first)
        else:
            frame = self._take()
            if frame is not None:
                marker = self._first or (not self._talking and self.comfort_noise_pt is not None)
                self._talking = True
                self._silent_frames = 0
                self._packet(self.payload_type, timestamp, frame, marker)
                self.audio_frames_sent += 1
            elif self.comfort_noise_pt is not None:
                if self._talking or self._first or self._silent_frames % COMFORT_NOISE_REFRESH_FRAMES == 0:
                    self._packet(self.comfort_noise_pt, timestamp, bytes((COMFORT_NOISE_LEVEL,)), False)
                    self.comfort_noise_sent += 1
                    self._silent_frames = 0
                self._talking = False
                self._silent_frames += 1
            else:
                self._talking = False
                self._packet(self.payload_type, timestamp, self._silence, self._first)
                self.silence_frames_sent += 1
        self.timestamp = (timestamp + self.frame_samples) & 0xFFFFFFFF
        if self._marks:
            self._fire_marks()

    def transmit(self, owed: int) -> None:
        """Send what C{owed} ticks owe (see the catch-up policy above)."""
        sending = min(owed, self.max_burst)
        skipped = owed - sending
        if skipped:
            for _ in range(skipped):
                if self._take() is None:
                    break
            self.frames_skipped += skipped
            self.timestamp = (self.timestamp + skipped * self.frame_samples) & 0xFFFFFFFF
        self.frames_late += sending - 1
        for _ in range(sending):
            self._send_frame()
