"""Reception statistics: RFC 3550 A.1 (sequence), A.3 (loss), A.8 (jitter)."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from voicedock.media.stats import ReceptionStats, SequenceVerdict


def _feed(stats: ReceptionStats, sequences: list[int]) -> list[SequenceVerdict]:
    return [stats.update_seq(seq) for seq in sequences]


class SequenceTests(SynchronousTestCase):
    def test_in_order(self) -> None:
        stats = ReceptionStats(100)
        self.assertEqual(set(_feed(stats, list(range(100, 150)))), {SequenceVerdict.VALID})
        self.assertEqual((stats.received, stats.expected, stats.lost), (50, 50, 0))

    def test_loss(self) -> None:
        stats = ReceptionStats(1)
        _feed(stats, [1, 2, 5, 6])
        self.assertEqual((stats.received, stats.expected, stats.lost), (4, 6, 2))

    def test_wrap_around(self) -> None:
        stats = ReceptionStats(65534)
        _feed(stats, [65534, 65535, 0, 1])
        self.assertEqual((stats.cycles, stats.extended_max, stats.lost), (65536, 65537, 0))

    def test_duplicate_counts_as_received(self) -> None:
        """A.3: duplicates make the loss negative; the report block keeps the sign."""
        stats = ReceptionStats(10)
        _feed(stats, [10, 11, 11, 12])
        self.assertEqual(stats.lost, -1)
        self.assertEqual(stats.report_block(1).cumulative_lost, -1)

    def test_restart_needs_two_in_sequence(self) -> None:
        stats = ReceptionStats(10)
        _feed(stats, [10, 11, 12])
        self.assertEqual(stats.update_seq(40000), SequenceVerdict.BAD)
        self.assertEqual(stats.update_seq(40001), SequenceVerdict.RESTARTED)
        self.assertEqual((stats.base_seq, stats.received), (40001, 1))

    def test_single_stray_jump_is_dropped(self) -> None:
        stats = ReceptionStats(10)
        _feed(stats, [10, 11])
        self.assertEqual(stats.update_seq(30000), SequenceVerdict.BAD)
        self.assertEqual(stats.update_seq(12), SequenceVerdict.VALID)
        self.assertEqual((stats.received, stats.lost), (3, 0))

    def test_probation(self) -> None:
        stats = ReceptionStats(5, min_sequential=2)
        self.assertEqual(_feed(stats, [5, 6, 7]), [SequenceVerdict.PROBATION, SequenceVerdict.VALID, SequenceVerdict.VALID])


class ReportTests(SynchronousTestCase):
    def test_fraction_lost_per_interval(self) -> None:
        stats = ReceptionStats(0)
        _feed(stats, [0, 1, 2, 3])
        self.assertEqual(stats.report_block(9).fraction_lost, 0)
        _feed(stats, [5, 7])  # 4 expected (4..7), 2 received
        block = stats.report_block(9, last_sr=0x1111, delay_since_last_sr=0x2222)
        self.assertEqual(
            (block.ssrc, block.fraction_lost, block.cumulative_lost, block.highest_sequence, block.last_sr, block.delay_since_last_sr),
            (9, 128, 2, 7, 0x1111, 0x2222),
        )


class JitterTests(SynchronousTestCase):
    def test_constant_transit_is_no_jitter(self) -> None:
        stats = ReceptionStats(0)
        for index in range(10):
            stats.update_jitter(1000 + 160 * index, 50_000 + 160 * index)
        self.assertEqual(stats.jitter, 0.0)

    def test_a8_formula(self) -> None:
        """J += (|D| - J) / 16, D the change in transit time."""
        stats = ReceptionStats(0)
        arrivals = [0, 160 + 80, 320, 480 + 80]
        for index, arrival in enumerate(arrivals):
            stats.update_jitter(160 * index, arrival)
        expected = 0.0
        for d in (80, 80, 80):
            expected += (d - expected) / 16
        self.assertEqual(stats.jitter, expected)

    def test_timestamp_wrap(self) -> None:
        stats = ReceptionStats(0)
        stats.update_jitter(2**32 - 160, 1000)
        stats.update_jitter(0, 1160)
        self.assertEqual(stats.jitter, 0.0)
