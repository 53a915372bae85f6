# -*- test-case-name: tests.sip.test_ua_core -*-
"""The UAS core's 2xx retransmission until the ACK (RFC 3261 §13.3.1.4)."""

from __future__ import annotations

from collections.abc import Callable

from twisted.internet.interfaces import IReactorTime

from voicedock.sip.transaction.timers import NamedTimers, TimerSettings


class AnswerRetransmitter:
    """
    §13.3.1.4: the 2xx to an INVITE is passed to the transport at T1, 2*T1
    ... capped at T2 (Timer G's schedule) on every transport, since the hops
    beyond the first may be unreliable, until :meth:`stop` (the ACK came).
    If no ACK comes within 64*T1 (Timer H's value), ``gave_up`` runs: the
    UAS confirms the dialog and ends it with a BYE.
    """

    def __init__(
        self,
        clock: IReactorTime,
        settings: TimerSettings,
        resend: Callable[[], None],
        gave_up: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._resend = resend
        self._gave_up = gave_up
        self._timers = NamedTimers(clock)
        self._interval = settings.timer_g

    def start(self) -> None:
        self._timers.start("G", self._interval, self._fire_g)
        self._timers.start("H", self._settings.timer_h, self._fire_h)

    def _fire_g(self) -> None:
        self._resend()
        self._interval = min(2 * self._interval, self._settings.t2)
        self._timers.start("G", self._interval, self._fire_g)

    def _fire_h(self) -> None:
        self._timers.keep_only(())
        self._gave_up()

    def stop(self) -> None:
        self._timers.keep_only(())

    @property
    def running(self) -> bool:
        return bool(self._timers.running())
