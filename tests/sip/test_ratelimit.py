"""The token bucket on an injected clock."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from voicedock.sip.ratelimit import TokenBucketLimiter


class TokenBucketTests(SynchronousTestCase):
    def test_burst_then_rate(self) -> None:
        clock = Clock()
        limiter = TokenBucketLimiter(clock, rate=2, burst=3)
        self.assertEqual([limiter.allow("a") for _ in range(5)], [True, True, True, False, False])
        self.assertTrue(limiter.allow("b"))  # per source
        clock.advance(0.5)
        self.assertEqual([limiter.allow("a") for _ in range(2)], [True, False])
        clock.advance(100)
        self.assertEqual([limiter.allow("a") for _ in range(4)], [True, True, True, False])

    def test_table_bounded(self) -> None:
        clock = Clock()
        limiter = TokenBucketLimiter(clock, rate=1, burst=2, max_sources=10)
        for i in range(100):
            limiter.allow(f"10.0.0.{i}")
        self.assertLessEqual(len(limiter), 10)
        clock.advance(10)
        limiter.allow("new")
        for i in range(20):
            limiter.allow(f"10.1.0.{i}")
        self.assertLessEqual(len(limiter), 10)

    def test_arguments(self) -> None:
        self.assertRaises(ValueError, TokenBucketLimiter, Clock(), 0, 1)
        self.assertRaises(ValueError, TokenBucketLimiter, Clock(), 1, 0.5)
