# -*- test-case-name: tests.api.test_ratelimit -*-
"""
Requests per minute per API key (DECISIONS.md: 100 by default, ``[api]
rate_limit_per_minute``, 0 = off), counted in fixed one-minute windows on the injected
clock. Each process counts on its own: with several server processes behind one address
a key gets the limit from each of them.
"""

from __future__ import annotations

import math
from typing import Hashable

import attrs
from twisted.internet.interfaces import IReactorTime

WINDOW_SECONDS = 60.0


@attrs.frozen
class RateDecision:
    """The outcome for one request and the values of the ``X-RateLimit-*`` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


class RateLimiter:
    """Counts requests per key in fixed windows that start with a key's first request."""

    def __init__(self, clock: IReactorTime, limit_per_minute: int) -> None:
        self.clock = clock
        self.limit = limit_per_minute
        self._windows: dict[Hashable, list[float]] = {}  # key -> [window end, count]
        self._hits_since_sweep = 0

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def hit(self, key: Hashable) -> RateDecision:
        now = self.clock.seconds()
        self._sweep(now)
        window = self._windows.get(key)
        if window is None or window[0] <= now:
            window = self._windows[key] = [now + WINDOW_SECONDS, 0]
        reset_at = window[0]
        if window[1] >= self.limit:
            retry = max(1, math.ceil(reset_at - now))
            return RateDecision(False, self.limit, 0, reset_at, retry)
        window[1] += 1
        return RateDecision(True, self.limit, self.limit - int(window[1]), reset_at, 0)

    def _sweep(self, now: float) -> None:
        self._hits_since_sweep += 1
        if self._hits_since_sweep < 1000:
            return
        self._hits_since_sweep = 0
        for key in [k for k, w in self._windows.items() if w[0] <= now]:
            del self._windows[key]
