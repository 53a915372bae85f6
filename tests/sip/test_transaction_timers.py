"""T1/T2/T4 and the derived timers (RFC 3261 Appendix A, RFC 6026 §8.11)."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from voicedock.sip.transaction.timers import NamedTimers, TimerSettings


class TimerSettingsTests(SynchronousTestCase):
    def test_appendix_a_defaults(self) -> None:
        s = TimerSettings()
        self.assertEqual(
            (s.timer_a, s.timer_b, s.timer_d(False), s.timer_d(True), s.timer_e, s.timer_f,
             s.timer_g, s.timer_h, s.timer_i(False), s.timer_i(True), s.timer_j(False),
             s.timer_j(True), s.timer_k(False), s.timer_k(True), s.timer_l, s.timer_m),
            (0.5, 32, 32, 0, 0.5, 32, 0.5, 32, 5, 0, 32, 0, 5, 0, 32, 32))

    def test_configured(self) -> None:
        s = TimerSettings(t1=1.0, t2=8.0, t4=10.0)
        self.assertEqual((s.timer_b, s.timer_d(False), s.timer_h, s.timer_k(False), s.timer_l),
                         (64, 64, 64, 10, 64))
        self.assertRaises(ValueError, TimerSettings, t1=5.0, t2=4.0)
        self.assertRaises(ValueError, TimerSettings, t4=0)


class NamedTimersTests(SynchronousTestCase):
    def test_start_restart_keep_only(self) -> None:
        clock = Clock()
        fired: list[str] = []
        timers = NamedTimers(clock)
        timers.start("A", 1, lambda: fired.append("A"))
        timers.start("B", 2, lambda: fired.append("B"))
        timers.start("A", 3, lambda: fired.append("A2"))  # restart
        self.assertEqual(timers.running(), ("A", "B"))
        timers.keep_only(["A"])
        clock.advance(5)
        self.assertEqual((fired, timers.running()), (["A2"], ()))
