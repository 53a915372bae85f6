# -*- test-case-name: tests.sip.test_ratelimit -*-
"""A per-source token bucket on an injected clock (scanners flood; we answer a few)."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime


class TokenBucketLimiter:
    """
    Each key (a source IP address) gets a bucket of ``burst`` tokens that
    refills at ``rate`` tokens per second of ``clock`` time. :meth:`allow`
    takes one token, or returns False when the bucket is empty.

    The table is bounded: past ``max_sources`` keys, buckets that have
    refilled completely are forgotten (they are equal to a new bucket), and
    if that is not enough, the least recently used ones.
    """

    def __init__(
        self, clock: IReactorTime, rate: float, burst: float, max_sources: int = 65536
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._clock = clock
        self.rate = rate
        self.burst = burst
        self._max_sources = max_sources
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def allow(self, key: str) -> bool:
        now = self._clock.seconds()
        tokens, at = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[key] = (tokens, now)  # re-inserted last: dict order is LRU order
        if len(self._buckets) > self._max_sources:
            self._prune(now)
        return allowed

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
        excess = len(self._buckets) - self._max_sources
        for key in list(self._buckets)[: max(excess, 0)]:
            del self._buckets[key]
