"""The input jitter buffer, one pop per tick, with exact expectations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from voicedock.media.jitter import JitterBuffer

BASE_TS = 2**32 - 3 * 160  # wraps after three frames: every test crosses 2**32


def frame(index: int) -> bytes:
    return bytes((index % 250,)) * 160


def make(min_frames: int = 2, max_frames: int = 10) -> JitterBuffer:
    return JitterBuffer(160, min_frames, max_frames, 0xFF)


def push(jb: JitterBuffer, index: int, seq_base: int = 500) -> bool:
    return jb.push((seq_base + index) & 0xFFFF, (BASE_TS + 160 * index) & 0xFFFFFFFF, frame(index))


def names(pops: list[bytes | None]) -> list[int | None]:
    return [None if p is None else p[0] for p in pops]


class OrderTests(SynchronousTestCase):
    def test_waits_for_target_then_one_frame_per_pop(self) -> None:
        jb = make()
        self.assertFalse(jb.started)
        self.assertEqual(jb.pop(), None)
        push(jb, 0)
        self.assertTrue(jb.started)
        self.assertEqual(jb.pop(), None)  # one frame buffered, target is two
        push(jb, 1)
        self.assertEqual(names([jb.pop()]), [0])
        push(jb, 2)
        self.assertEqual(names([jb.pop()]), [1])
        push(jb, 3)
        self.assertEqual(names([jb.pop(), jb.pop()]), [2, 3])
        self.assertEqual(jb.played_frames, 4)

    def test_reordered_input_plays_in_order(self) -> None:
        jb = make()
        for index in (1, 0, 3, 2, 5, 4):
            self.assertTrue(push(jb, index))
        self.assertEqual(names([jb.pop() for _ in range(6)]), [0, 1, 2, 3, 4, 5])
        self.assertEqual((jb.late_packets, jb.duplicate_packets, jb.concealed_frames), (0, 0, 0))

    def test_duplicates_dropped_and_counted(self) -> None:
        jb = make()
        for index in (0, 1, 1, 0, 2):
            push(jb, index)
        self.assertEqual(jb.duplicate_packets, 2)
        self.assertEqual(names([jb.pop() for _ in range(3)]), [0, 1, 2])
        push(jb, 1)  # long after it played: still a duplicate, not late
        self.assertEqual(jb.duplicate_packets, 3)

    def test_same_timestamp_new_sequence_is_a_duplicate_slot(self) -> None:
        jb = make()
        jb.push(1, 1000, frame(7))
        self.assertFalse(jb.push(2, 1000, frame(8)))
        self.assertEqual(jb.duplicate_packets, 1)

    def test_late_packet_dropped(self) -> None:
        jb = make()
        for index in (0, 2, 3):
            push(jb, index)
        self.assertEqual(names([jb.pop(), jb.pop()]), [0, None])  # 1 is missing: concealed
        self.assertFalse(push(jb, 1))
        self.assertEqual((jb.late_packets, jb.concealed_frames), (1, 1))
        self.assertEqual(names([jb.pop(), jb.pop()]), [2, 3])


class DepthTests(SynchronousTestCase):
    def test_underrun_rebuffers_to_target(self) -> None:
        jb = make()
        push(jb, 0)
        push(jb, 1)
        self.assertEqual(names([jb.pop(), jb.pop(), jb.pop()]), [0, 1, None])
        self.assertEqual(jb.underruns, 1)
        push(jb, 2)
        self.assertEqual(jb.pop(), None)  # buffering again: one frame < target two
        push(jb, 3)
        self.assertEqual(names([jb.pop(), jb.pop()]), [2, 3])
        self.assertEqual(jb.concealed_frames, 0)

    def test_talkspurt_after_a_pause_starts_at_its_first_frame(self) -> None:
        """The far end paused 5 frames: no concealment of the gap, play resumes on the new frames."""
        jb = make()
        push(jb, 0)
        push(jb, 1)
        names([jb.pop() for _ in range(3)])
        push(jb, 7)
        push(jb, 8)
        self.assertEqual(names([jb.pop(), jb.pop()]), [7, 8])
        self.assertEqual(jb.concealed_frames, 0)

    def test_overflow_drops_oldest(self) -> None:
        jb = make(2, 4)
        for index in range(6):
            push(jb, index)
        self.assertEqual((jb.overflow_frames, jb.depth_frames), (2, 4))
        self.assertEqual(names([jb.pop() for _ in range(4)]), [2, 3, 4, 5])

    def test_timestamp_jump_resyncs(self) -> None:
        jb = make(2, 4)
        push(jb, 0)
        push(jb, 1)
        push(jb, 100)
        push(jb, 101)
        self.assertEqual(jb.resyncs, 1)
        self.assertEqual(names([jb.pop(), jb.pop()]), [100, 101])

    def test_shrinks_after_a_second_too_deep(self) -> None:
        jb = make(2, 10)
        for index in range(6):
            push(jb, index)
        played = []
        for index in range(6, 80):
            push(jb, index)
            played.append(jb.pop())
        # depth stayed 6 > target 2 for 50 pops: exactly one frame dropped
        self.assertEqual(jb.shrink_frames, 1)
        got = names(played)
        self.assertEqual(got[:49], list(range(0, 49)))
        self.assertEqual(got[49:51], [50, 51])

    def test_target_adapts_to_jitter_within_bounds(self) -> None:
        jb = make(2, 6)
        jb.observe_jitter(0.0)
        self.assertEqual(jb.target_frames, 2)
        jb.observe_jitter(53.4)  # 3 J = 160.2 samples: one frame more
        self.assertEqual(jb.target_frames, 3)
        jb.observe_jitter(400.0)
        self.assertEqual(jb.target_frames, 6)

    def test_bounds_validated(self) -> None:
        self.assertRaises(ValueError, JitterBuffer, 160, 0, 4, 0xFF)
        self.assertRaises(ValueError, JitterBuffer, 160, 5, 4, 0xFF)


class PacketSizeTests(SynchronousTestCase):
    def test_30ms_packets_become_20ms_frames(self) -> None:
        jb = make()
        audio = bytes(range(240)) * 2  # 60 ms in two 30 ms packets
        jb.push(1, 8000, audio[:240])
        jb.push(2, 8240, audio[240:])
        frames = [jb.pop(), jb.pop(), jb.pop()]
        self.assertEqual(b"".join(f for f in frames if f is not None), audio)

    def test_partial_frame_padded_with_silence(self) -> None:
        jb = make(1, 4)
        jb.push(1, 0, b"\x01" * 80)
        jb.push(2, 160, frame(3))
        self.assertEqual(jb.pop(), b"\x01" * 80 + b"\xff" * 80)
        self.assertEqual(jb.pop(), frame(3))

    def test_empty_payload_ignored(self) -> None:
        jb = make()
        self.assertFalse(jb.push(1, 0, b""))
        self.assertFalse(jb.started)


class PropertyTests(SynchronousTestCase):
    @given(st.permutations(list(range(8))), st.lists(st.integers(0, 7), max_size=4))
    def test_any_order_within_depth_plays_in_order(self, order: list[int], duplicates: list[int]) -> None:
        jb = make(2, 10)
        for index in order + duplicates:
            push(jb, index)
        self.assertEqual(names([jb.pop() for _ in range(8)]), list(range(8)))
        self.assertEqual(jb.duplicate_packets, len(duplicates))
