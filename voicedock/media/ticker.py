# -*- test-case-name: tests.media.test_ticker -*-
"""
One pacing ticker per process: a single 20 ms C{LoopingCall.withCount} on an
absolute schedule serves every stream.

A timer per stream costs 1.5 to 1.8 times the CPU and skips frames past about
800 legs per core (measured for this project); one ticker walking a list does
not.
"""

from __future__ import annotations

import bisect
from collections import deque
from typing import Any, Callable, Protocol

import attr
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

__all__ = ["PacedStream", "PacingTicker", "TickerFigures", "MicrosecondClock", "LATENESS_BUCKETS_MS"]

LATENESS_BUCKETS_MS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)
_SAMPLES_KEPT = 8192


class PacedStream(Protocol):
    """Something the ticker serves: a call leg, or a test double."""

    def deliver(self, owed: int, now: float) -> None:
        """Phase 1 of a tick: hand C{owed} received frames upward (or to a bridge)."""

    def transmit(self, owed: int, now: float) -> None:
        """Phase 2 of a tick: send what C{owed} ticks owe the far end."""


class MicrosecondClock:
    """
    An C{IReactorTime} view of another clock in integer microseconds.

    C{LoopingCall} counts intervals in float seconds, and 0.02 is not exact in
    binary: C{int(0.28 / 0.02)} is 13, so a 20 ms loop on seconds now and then
    sees no new interval, reschedules a full interval later and misses a tick.
    On integer microseconds the interval arithmetic is exact. Calls are
    scheduled 0.1 µs early so that float error in the underlying clock never
    pushes them past the instant they are due (they still read as that
    microsecond).
    """

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock

    def seconds(self) -> float:
        return round(self._clock.seconds() * 1_000_000)

    def callLater(self, delay: float, callable: Callable[..., Any], *args: object, **kw: object) -> IDelayedCall:
        return self._clock.callLater(max(0.0, delay / 1_000_000 - 1e-7), callable, *args, **kw)

    def getDelayedCalls(self) -> list[IDelayedCall]:
        return list(self._clock.getDelayedCalls())


@attr.s(frozen=True, slots=True, auto_attribs=True)
class TickerFigures:
    """
    What the ticker measured since it started (or L{PacingTicker.reset_figures}).

    Lateness of a tick is how long after the instant it first became due it
    actually ran (after a stall that is the oldest owed instant).
    """

    ticks: int
    """Callbacks run."""
    intervals: int
    """20 ms intervals elapsed (ticks plus missed intervals)."""
    missed_intervals: int
    """Intervals without a callback of their own, caught up by a later one."""
    lateness_p50_ms: float
    lateness_p99_ms: float
    lateness_max_ms: float
    lateness_buckets: tuple[tuple[float, int], ...]
    """Cumulative counts of ticks at most C{le} ms late (Prometheus style), last C{inf}."""
    streams: int
    errors: int


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


class PacingTicker:
    """
    The process-wide 20 ms pacing loop.

    Every tick runs in two phases over all registered streams: first
    C{deliver} (received audio goes upward, or into a bridged leg's output
    queue), then C{transmit} (every stream sends). A frame received on a leg
    and bridged to another therefore goes out on the same tick.

    Catch-up policy: C{LoopingCall.withCount} reports how many intervals
    elapsed since the last tick (C{owed}, normally 1). After a stall every
    stream is asked for all C{owed} frames and sends at most C{max_burst} of
    them at once (the newest); the older ones are skipped and counted, so the
    far end never gets a burst beyond what its jitter buffer takes and our
    timestamps stay on the wall clock. The policy itself lives in the streams
    (L{voicedock.media.output.OutputStream.transmit}); the ticker passes
    C{owed} through and measures lateness.

    @param clock: the reactor (or a C{task.Clock} in tests).
    @param interval: seconds between ticks; 0.02 for 20 ms ptime.
    @param max_burst: frames a stream may send on one tick when catching up.
    """

    log = Logger()

    def __init__(self, clock: IReactorTime, interval: float = 0.02, max_burst: int = 3) -> None:
        if max_burst < 1:
            raise ValueError("max_burst must be at least 1")
        self.clock = clock
        self.interval = interval
        self.max_burst = max_burst
        self._interval_us = round(interval * 1_000_000)
        self._streams: list[PacedStream] = []
        self._loop: LoopingCall | None = None
        self._start_us = 0
        self._served = 0
        self.reset_figures()

    # -- streams --

    def add(self, stream: PacedStream) -> None:
        """Serve C{stream} from the next tick on; starts the loop if idle."""
        self._streams = [*self._streams, stream]
        if self._loop is None:
            self._start()

    def remove(self, stream: PacedStream) -> None:
        """Stop serving C{stream}; stops the loop when nothing is left."""
        self._streams = [s for s in self._streams if s is not stream]
        if not self._streams:
            self.stop()

    def __len__(self) -> int:
        return len(self._streams)

    # -- loop --

    def _start(self) -> None:
        loop = LoopingCall.withCount(self._tick)
        loop.clock = MicrosecondClock(self.clock)
        self._loop = loop
        self._start_us = round(self.clock.seconds() * 1_000_000)
        self._served = 0
        loop.start(self._interval_us, now=False).addErrback(self._loop_died)

    def stop(self) -> None:
        """Stop the loop (it restarts on the next L{add})."""
        loop, self._loop = self._loop, None
        if loop is not None and loop.running:
            loop.stop()

    def _loop_died(self, failure: Any) -> None:
        self.log.failure("The pacing ticker stopped on an error; restarting it", failure)
        self._loop = None
        if self._streams:
            self._start()

    @property
    def running(self) -> bool:
        return self._loop is not None

    def next_due(self) -> float:
        """When the next tick is due, in the clock's seconds."""
        return (self._start_us + (self._served + 1) * self._interval_us) / 1_000_000

    def _tick(self, owed: int) -> None:
        now_us = round(self.clock.seconds() * 1_000_000)
        first_due_us = self._start_us + (self._served + 1) * self._interval_us
        self._served += owed
        self._record(max(0, now_us - first_due_us) / 1000.0, owed)
        now = now_us / 1_000_000
        streams = self._streams
        for stream in streams:
            try:
                stream.deliver(owed, now)
            except Exception:
                self.errors += 1
                self.log.failure("Media stream {stream!r} failed to deliver", stream=stream)
        for stream in streams:
            try:
                stream.transmit(owed, now)
            except Exception:
                self.errors += 1
                self.log.failure("Media stream {stream!r} failed to transmit", stream=stream)

    # -- figures --

    def _record(self, lateness_ms: float, owed: int) -> None:
        self.ticks += 1
        self.intervals += owed
        self._lateness.append(lateness_ms)
        if lateness_ms > self._lateness_max:
            self._lateness_max = lateness_ms
        self._buckets[bisect.bisect_left(LATENESS_BUCKETS_MS, lateness_ms)] += 1

    def reset_figures(self) -> None:
        """Start measuring afresh (a benchmark's warm-up ends)."""
        self.ticks = 0
        self.intervals = 0
        self.errors = 0
        self._lateness: deque[float] = deque(maxlen=_SAMPLES_KEPT)
        self._lateness_max = 0.0
        self._buckets = [0] * (len(LATENESS_BUCKETS_MS) + 1)

    def figures(self) -> TickerFigures:
        """Counts since the last reset; percentiles over the last 8192 ticks."""
        ordered = sorted(self._lateness)
        cumulative, running = [], 0
        for bound, count in zip((*LATENESS_BUCKETS_MS, float("inf")), self._buckets):
            running += count
            cumulative.append((bound, running))
        return TickerFigures(
            ticks=self.ticks,
            intervals=self.intervals,
            missed_intervals=self.intervals - self.ticks,
            lateness_p50_ms=_percentile(ordered, 0.50),
            lateness_p99_ms=_percentile(ordered, 0.99),
            lateness_max_ms=self._lateness_max,
            lateness_buckets=tuple(cumulative),
            streams=len(self._streams),
            errors=self.errors,
        )
