# -*- test-case-name: tests.media.test_jitter -*-
"""
The input jitter buffer: reorders G.711 audio by RTP timestamp and hands one
20 ms frame per tick, with a bounded, adaptive depth.
"""

from __future__ import annotations

__all__ = ["JitterBuffer"]

_TS_MOD = 1 << 32
_HALF = 1 << 31
_WINDOW_TICKS = 50
_RECENT_MASK = (1 << 64) - 1  # duplicates are recognised among the last 64 sequence numbers


class JitterBuffer:
    """
    Reorders audio by timestamp and plays it out one frame per L{pop}.

    Storage is a grid of frame slots (C{frame_samples} samples each, one byte
    per sample: G.711) anchored at the first packet. Packets of any size are
    cut into slots, so a 30 ms peer works too; 20 ms packets on the grid take a
    fast path.

    Depth policy (all depths in frames):
      - bounds C{min_frames} <= target <= C{max_frames}; the target follows the
        RFC 3550 jitter estimate J: C{min_frames + 3 J / frame_samples},
        clamped to the bounds (L{observe_jitter}), rounded down.
      - buffering: at the start, and after the buffer ran dry (underrun), the
        cursor moves to the oldest buffered frame and play waits until the
        buffered span reaches the target.
      - a frame missing while later ones are there is lost: one concealed
        frame, the cursor moves on.
      - too deep: a packet past C{max_frames} from the cursor drops the oldest
        frames (overflow); a packet far past that (more than twice the
        maximum: a talkspurt after silence, or a timestamp jump) restarts
        buffering on it; when the span stayed above the target for a whole
        second of pops, one frame is dropped (shrink).
      - late packets (before the cursor) and duplicates (a sequence number seen
        among the last 64, or a slot already filled) are dropped and counted.
    """

    def __init__(self, frame_samples: int, min_frames: int, max_frames: int, silence_code: int) -> None:
        if not 1 <= min_frames <= max_frames:
            raise ValueError(f"need 1 <= min_frames <= max_frames, got {min_frames}, {max_frames}")
        self.frame_samples = frame_samples
        self.min_frames = min_frames
        self.max_frames = max_frames
        self.target_frames = min_frames
        self._silence_frame = bytes((silence_code,)) * frame_samples
        self._slots: dict[int, bytes] = {}
        self._partial: dict[int, tuple[bytearray, int]] = {}
        self._origin = 0  # extended timestamp of slot 0
        self._reference: tuple[int, int] | None = None  # (timestamp, extended) of the last packet
        self._cursor = 0
        self._floor = 0  # slots below this were played or skipped: late
        self._end = 0  # one past the highest slot holding data
        self._playing = False
        self._anchored = False
        self.started = False
        """True once a packet was buffered: from then on every tick yields a frame or a gap."""
        self._highest_sequence: int | None = None
        self._seen_mask = 0  # bit i: sequence (highest - i) was seen
        self._window_min = max_frames + 1
        self._window_pops = 0
        self.buffered_packets = 0
        self.played_frames = 0
        self.concealed_frames = 0
        self.late_packets = 0
        self.duplicate_packets = 0
        self.overflow_frames = 0
        self.shrink_frames = 0
        self.underruns = 0
        self.resyncs = 0

    # -- input --

    def observe_jitter(self, jitter_samples: float) -> None:
        """Adapt the target depth to the current RFC 3550 jitter estimate."""
        extra = int(3.0 * jitter_samples / self.frame_samples)
        self.target_frames = max(self.min_frames, min(self.max_frames, self.min_frames + extra))

    def reset(self) -> None:
        """Forget everything buffered (new SSRC or a restarted source)."""
        self._slots.clear()
        self._partial.clear()
        self._reference = None
        self._highest_sequence = None
        self._seen_mask = 0
        self._cursor = self._end = 0
        self._playing = False
        self._anchored = False

    def _extend(self, timestamp: int) -> int:
        if self._reference is None:
            return timestamp
        ref_ts, ref_ext = self._reference
        delta = (timestamp - ref_ts) % _TS_MOD
        if delta >= _HALF:
            delta -= _TS_MOD
        return ref_ext + delta

    def _seen(self, sequence: int) -> bool:
        highest = self._highest_sequence
        if highest is None:
            self._highest_sequence, self._seen_mask = sequence, 1
            return False
        ahead = (sequence - highest) & 0xFFFF
        if 0 < ahead < 0x8000:
            self._highest_sequence = sequence
            self._seen_mask = ((self._seen_mask << ahead) | 1) & _RECENT_MASK
            return False
        bit = 1 << ((highest - sequence) & 0xFFFF) if ((highest - sequence) & 0xFFFF) < 64 else 0
        if self._seen_mask & bit:
            return True
        self._seen_mask |= bit
        return False

    def _anchor(self, extended: int) -> None:
        self._anchored = True
        self._slots.clear()
        self._partial.clear()
        self._origin = extended
        self._cursor = self._end = 0
        self._floor = -self.max_frames  # before play starts, earlier packets may still come
        self._playing = False

    def push(self, sequence: int, timestamp: int, payload: bytes) -> bool:
        """Buffer one audio packet; False when it was dropped (late, duplicate or empty)."""
        if not payload:
            return False
        if self._seen(sequence):
            self.duplicate_packets += 1
            return False
        extended = self._extend(timestamp)
        self.started = True
        if not self._anchored:
            self._anchor(extended)
        frame = self.frame_samples
        offset = extended - self._origin
        end = offset + len(payload)
        if end <= self._floor * frame:
            self.late_packets += 1
            return False
        last_slot = (end - 1) // frame
        jumped = last_slot >= self._cursor + 2 * self.max_frames
        if jumped or (offset % frame and self._end <= self._cursor):
            # A discontinuity (timestamp jump, talkspurt after silence), or a
            # packet off the grid into an empty buffer: restart the grid on it.
            if jumped:
                self.resyncs += 1
                self._drop_buffered()
            self._anchor(extended)
            offset, end = 0, len(payload)
            last_slot = (end - 1) // frame
        self._reference = (timestamp, extended)
        first_slot = offset // frame
        if not self._playing and first_slot < self._cursor:
            self._cursor = max(first_slot, self._floor)
        if offset % frame == 0 and len(payload) == frame:
            slot = offset // frame
            if slot in self._slots:
                self.duplicate_packets += 1
                return False
            self._slots[slot] = payload
        elif not self._store_pieces(offset, payload):
            self.duplicate_packets += 1
            return False
        self.buffered_packets += 1
        if last_slot + 1 > self._end:
            self._end = last_slot + 1
        if self._end - self._cursor > self.max_frames:
            self._skip_to(self._end - self.max_frames, overflow=True)
        return True

    def _store_pieces(self, offset: int, payload: bytes) -> bool:
        frame = self.frame_samples
        stored = False
        position = offset
        end = offset + len(payload)
        while position < end:
            slot = position // frame
            slot_end = min(end, (slot + 1) * frame)
            if slot >= self._floor and slot not in self._slots:
                buffer, filled = self._partial.get(slot, (bytearray(self._silence_frame), 0))
                start = position - slot * frame
                piece = payload[position - offset : slot_end - offset]
                buffer[start : start + len(piece)] = piece
                filled += len(piece)
                if filled >= frame:
                    self._partial.pop(slot, None)
                    self._slots[slot] = bytes(buffer)
                else:
                    self._partial[slot] = (buffer, filled)
                stored = True
            position = slot_end
        return stored

    def _drop_buffered(self) -> None:
        dropped = sum(1 for slot in self._slots if slot >= self._cursor)
        dropped += sum(1 for slot in self._partial if slot >= self._cursor)
        self.overflow_frames += dropped

    def _skip_to(self, slot: int, overflow: bool) -> None:
        dropped = 0
        for index in range(self._cursor, slot):
            if self._slots.pop(index, None) is not None or self._partial.pop(index, None) is not None:
                dropped += 1
        if overflow:
            self.overflow_frames += dropped
        else:
            self.shrink_frames += dropped
        self._cursor = slot
        self._floor = max(self._floor, slot)

    # -- output --

    @property
    def depth_frames(self) -> int:
        """Buffered span from the cursor, in frames."""
        return max(0, self._end - self._cursor)

    def _oldest_slot(self) -> int | None:
        candidates = [slot for slot in self._slots if slot >= self._cursor]
        candidates.extend(slot for slot in self._partial if slot >= self._cursor)
        return min(candidates) if candidates else None

    def pop(self) -> bytes | None:
        """
        The next frame to play, or None for a gap (still buffering, lost, or
        ran dry). Call once per tick per owed frame once L{started}.
        """
        if not self._playing:
            oldest = self._oldest_slot()
            if oldest is None:
                return None
            if oldest > self._cursor:
                self._cursor = oldest
            if self._end - self._cursor < self.target_frames:
                return None
            self._playing = True
            self._floor = self._cursor
            self._window_min, self._window_pops = self.max_frames + 1, 0
        depth = self._end - self._cursor
        if depth <= 0:
            self.underruns += 1
            self._playing = False
            return None
        self._window_pops += 1
        if depth < self._window_min:
            self._window_min = depth
        if self._window_pops >= _WINDOW_TICKS:
            if self._window_min > self.target_frames and depth > 1:
                self._skip_to(self._cursor + 1, overflow=False)
            self._window_min, self._window_pops = self.max_frames + 1, 0
        slot = self._cursor
        self._cursor = self._floor = slot + 1
        payload = self._slots.pop(slot, None)
        if payload is not None:
            self.played_frames += 1
            return payload
        partial = self._partial.pop(slot, None)
        if partial is not None:
            self.played_frames += 1
            return bytes(partial[0])
        self.concealed_frames += 1
        return None
