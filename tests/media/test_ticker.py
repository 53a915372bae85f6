"""The one pacing ticker, on a task.Clock: exact instants, catch-up after a stall."""

from __future__ import annotations

from twisted.internet.task import Clock, LoopingCall
from twisted.trial.unittest import SkipTest, SynchronousTestCase

from voicedock.media.ticker import MicrosecondClock, PacingTicker


class Recorder:
    """A stream that appends ("phase", name, owed, now) to a shared list."""

    def __init__(self, name: str, log: list[tuple[str, str, int, float]]) -> None:
        self.name = name
        self.log = log

    def deliver(self, owed: int, now: float) -> None:
        self.log.append(("deliver", self.name, owed, now))

    def transmit(self, owed: int, now: float) -> None:
        self.log.append(("transmit", self.name, owed, now))


class Exploding(Recorder):
    def transmit(self, owed: int, now: float) -> None:
        raise ZeroDivisionError("a bug in one leg")


class TickerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.log: list[tuple[str, str, int, float]] = []
        self.ticker = PacingTicker(self.clock, 0.02, max_burst=3)

    def test_two_phases_every_20ms(self) -> None:
        self.ticker.add(Recorder("a", self.log))
        self.ticker.add(Recorder("b", self.log))
        self.clock.advance(0.019)
        self.assertEqual(self.log, [])
        self.clock.advance(0.001)
        self.clock.advance(0.02)
        self.assertEqual(
            self.log,
            [
                ("deliver", "a", 1, 0.02),
                ("deliver", "b", 1, 0.02),
                ("transmit", "a", 1, 0.02),
                ("transmit", "b", 1, 0.02),
                ("deliver", "a", 1, 0.04),
                ("deliver", "b", 1, 0.04),
                ("transmit", "a", 1, 0.04),
                ("transmit", "b", 1, 0.04),
            ],
        )

    def test_stall_of_70ms(self) -> None:
        """Blocked from 0.04 to 0.11: one tick at 0.11 owing 3 intervals, then back on schedule."""
        self.ticker.add(Recorder("a", self.log))
        self.clock.pump([0.02, 0.02])
        self.clock.advance(0.07)
        self.clock.pump([0.01, 0.02])
        transmits = [(owed, round(now, 6)) for phase, _, owed, now in self.log if phase == "transmit"]
        self.assertEqual(transmits, [(1, 0.02), (1, 0.04), (3, 0.11), (1, 0.12), (1, 0.14)])
        figures = self.ticker.figures()
        self.assertEqual((figures.ticks, figures.intervals, figures.missed_intervals), (5, 7, 2))
        self.assertEqual(figures.lateness_max_ms, 50.0)  # the 0.06 tick ran at 0.11
        self.assertEqual(figures.lateness_buckets[0], (0.5, 4))
        self.assertEqual(figures.lateness_buckets[6], (50.0, 5))

    def test_long_stall_reports_every_owed_interval(self) -> None:
        self.ticker.add(Recorder("a", self.log))
        self.clock.advance(0.215)
        self.assertEqual([entry[2] for entry in self.log], [10, 10])

    def test_a_failing_stream_does_not_stop_the_others(self) -> None:
        self.ticker.add(Exploding("x", self.log))
        self.ticker.add(Recorder("a", self.log))
        self.clock.pump([0.02, 0.02])
        self.assertEqual([e for e in self.log if e[0] == "transmit"], [("transmit", "a", 1, 0.02), ("transmit", "a", 1, 0.04)])
        self.assertEqual(self.ticker.figures().errors, 2)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 2)

    def test_removal_during_a_tick_and_idle_stop(self) -> None:
        a = Recorder("a", self.log)
        self.ticker.add(a)
        self.assertTrue(self.ticker.running)
        self.clock.advance(0.02)
        self.ticker.remove(a)
        self.assertFalse(self.ticker.running)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.clock.advance(0.03)
        self.ticker.add(a)  # restarts on a fresh schedule from 0.05
        self.clock.advance(0.02)
        self.assertEqual(self.log[-1], ("transmit", "a", 1, 0.07))

    def test_no_tick_missed_over_ten_minutes(self) -> None:
        """On float seconds, LoopingCall.withCount at 0.02 misses ticks now and then (0.28 / 0.02 = 13.99...)."""
        self.ticker.add(Recorder("a", self.log))
        for _ in range(30_000):
            self.clock.advance(0.02)
        owed = [entry[2] for entry in self.log if entry[0] == "transmit"]
        self.assertEqual((len(owed), set(owed)), (30_000, {1}))
        self.assertEqual(self.ticker.figures().missed_intervals, 0)

    def test_plain_looping_call_on_seconds_does_miss(self) -> None:
        """Why MicrosecondClock exists."""
        clock, counts = Clock(), []
        loop = LoopingCall.withCount(counts.append)
        loop.clock = clock
        loop.start(0.02, now=False)
        for _ in range(3000):
            clock.advance(0.02)
        loop.stop()
        if set(counts) == {1}:
            raise SkipTest("this Twisted's LoopingCall no longer misses 20 ms ticks; MicrosecondClock may go")
        self.assertLess(len(counts), 3000)

    def test_microsecond_clock(self) -> None:
        clock = Clock()
        clock.advance(1.5)
        micro = MicrosecondClock(clock)
        self.assertEqual(micro.seconds(), 1_500_000)
        fired: list[float] = []
        micro.callLater(20_000, lambda: fired.append(clock.seconds()))
        clock.advance(0.02)
        self.assertEqual(len(fired), 1)
        self.assertEqual(len(micro.getDelayedCalls()), 0)

    def test_reset_figures(self) -> None:
        self.ticker.add(Recorder("a", self.log))
        self.clock.advance(0.09)
        self.ticker.reset_figures()
        self.clock.advance(0.01)
        figures = self.ticker.figures()
        self.assertEqual((figures.ticks, figures.missed_intervals, figures.lateness_p99_ms, figures.streams), (1, 0, 0.0, 1))

    def test_burst_must_be_positive(self) -> None:
        self.assertRaises(ValueError, PacingTicker, self.clock, 0.02, 0)

    def test_restarts_if_the_loop_itself_fails(self) -> None:
        self.ticker.add(Recorder("a", self.log))
        original = self.ticker._record
        self.ticker._record = lambda lateness, owed: 1 / 0  # type: ignore[method-assign]
        self.clock.advance(0.02)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        self.ticker._record = original  # type: ignore[method-assign]
        self.clock.advance(0.02)
        self.assertEqual(self.log[-1][0], "transmit")
        self.assertTrue(self.ticker.running)
