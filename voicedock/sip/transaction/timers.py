# -*- test-case-name: tests.sip.test_transaction_timers -*-
"""
T1, T2, T4 and the timers derived from them (RFC 3261 §17 and Table 4 of
Appendix A; Timers L and M from RFC 6026 §8.11), plus a small named-timer
set running on an injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs
from twisted.internet.interfaces import IDelayedCall, IReactorTime


@attrs.frozen
class TimerSettings:
    """
    The base intervals, in seconds: ``t1`` the RTT estimate (500 ms), ``t2``
    the cap on non-INVITE request and INVITE response retransmission
    intervals (4 s), ``t4`` how long a message lives in the network (5 s).
    Every other timer derives from them (RFC 3261 Appendix A).
    """

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    def __attrs_post_init__(self) -> None:
        if not 0 < self.t1 <= self.t2 or self.t4 <= 0:
            raise ValueError("need 0 < T1 <= T2 and T4 > 0")

    @property
    def timer_a(self) -> float:
        """INVITE request retransmit interval, first value; doubles each time (§17.1.1.2)."""
        return self.t1

    @property
    def timer_b(self) -> float:
        """INVITE transaction timeout: 64*T1 (§17.1.1.2)."""
        return 64 * self.t1

    def timer_d(self, reliable: bool) -> float:
        """Wait for response retransmits: at least 32 s on UDP, 0 on TCP (§17.1.1.2)."""
        return 0.0 if reliable else max(32.0, 64 * self.t1)

    @property
    def timer_e(self) -> float:
        """Non-INVITE request retransmit interval, first value; doubles up to T2 (§17.1.2.2)."""
        return self.t1

    @property
    def timer_f(self) -> float:
        """Non-INVITE transaction timeout: 64*T1 (§17.1.2.2)."""
        return 64 * self.t1

    @property
    def timer_g(self) -> float:
        """INVITE response retransmit interval, first value; doubles up to T2 (§17.2.1)."""
        return self.t1

    @property
    def timer_h(self) -> float:
        """Wait time for ACK receipt: 64*T1 (§17.2.1)."""
        return 64 * self.t1

    def timer_i(self, reliable: bool) -> float:
        """Wait time for ACK retransmits: T4 on UDP, 0 on TCP (§17.2.1)."""
        return 0.0 if reliable else self.t4

    def timer_j(self, reliable: bool) -> float:
        """Wait time for non-INVITE request retransmits: 64*T1 on UDP, 0 on TCP (§17.2.2)."""
        return 0.0 if reliable else 64 * self.t1

    def timer_k(self, reliable: bool) -> float:
        """Wait time for response retransmits: T4 on UDP, 0 on TCP (§17.1.2.2)."""
        return 0.0 if reliable else self.t4

    @property
    def timer_l(self) -> float:
        """Wait time for accepted INVITE request retransmits: 64*T1 (RFC 6026 §8.11)."""
        return 64 * self.t1

    @property
    def timer_m(self) -> float:
        """Wait time for retransmission of 2xx to INVITE: 64*T1 (RFC 6026 §8.11)."""
        return 64 * self.t1


class NamedTimers:
    """
    The running timers of one machine, by RFC name ("A", "B" ...), on an
    injected clock. Starting a running timer restarts it.
    """

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock
        self._calls: dict[str, IDelayedCall] = {}

    def start(self, name: str, delay: float, fire: Callable[[], None]) -> None:
        self.cancel(name)
        # A bound method and its arguments rather than a closure: a server
        # transaction keeps a timer for 32 s, and under load these add up.
        self._calls[name] = self._clock.callLater(delay, self._fired, name, fire)

    def _fired(self, name: str, fire: Callable[[], None]) -> None:
        del self._calls[name]
        fire()

    def cancel(self, name: str) -> None:
        call = self._calls.pop(name, None)
        if call is not None and call.active():
            call.cancel()

    def keep_only(self, names: Iterable[str]) -> None:
        """Cancel every running timer not in ``names`` (on entering a state)."""
        keep = set(names)
        for name in list(self._calls):
            if name not in keep:
                self.cancel(name)

    def running(self) -> tuple[str, ...]:
        return tuple(sorted(self._calls))
