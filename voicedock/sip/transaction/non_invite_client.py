# -*- test-case-name: tests.sip.test_transaction_non_invite_client -*-
"""The non-INVITE client transaction (RFC 3261 §17.1.2)."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime

from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import Request
from voicedock.sip.routing import Destination
from voicedock.sip.transaction.interfaces import ClientTransactionUser
from voicedock.sip.transaction.roles import ClientTransaction
from voicedock.sip.transaction.machine import (
    Input,
    State,
    transition_table,
)
from voicedock.sip.transaction.timers import TimerSettings

Trying, Proceeding, Completed, Terminated = (
    State.TRYING, State.PROCEEDING, State.COMPLETED, State.TERMINATED)


class NonInviteClientTransaction(ClientTransaction):
    """
    RFC 3261 §17.1.2.2 (Figure 6). Timer E retransmits at T1, doubling up to
    T2 while Trying and every T2 once Proceeding (unreliable transports
    only); Timer F (64*T1) is the timeout; Timer K (T4, 0 on reliable
    transports) absorbs response retransmissions in Completed.
    """

    TABLE = transition_table(
        # state      input                    next        outputs
        (Trying,     Input.TIMER_E,           Trying,     "retransmit", "double_timer_e"),
        (Trying,     Input.TIMER_F,           Terminated, "inform_timeout"),
        (Trying,     Input.TRANSPORT_ERROR,   Terminated, "inform_transport_error"),
        (Trying,     Input.RESPONSE_1XX,      Proceeding, "pass_up"),
        (Trying,     Input.RESPONSE_2XX,      Completed,  "pass_up", "start_timer_k"),
        (Trying,     Input.RESPONSE_300_699,  Completed,  "pass_up", "start_timer_k"),
        (Proceeding, Input.TIMER_E,           Proceeding, "retransmit", "timer_e_at_t2"),
        (Proceeding, Input.TIMER_F,           Terminated, "inform_timeout"),
        (Proceeding, Input.TRANSPORT_ERROR,   Terminated, "inform_transport_error"),
        (Proceeding, Input.RESPONSE_1XX,      Proceeding, "pass_up"),
        (Proceeding, Input.RESPONSE_2XX,      Completed,  "pass_up", "start_timer_k"),
        (Proceeding, Input.RESPONSE_300_699,  Completed,  "pass_up", "start_timer_k"),
        (Completed,  Input.TIMER_K,           Terminated),
    )
    TIMERS = {
        Trying: frozenset({"E", "F"}),
        Proceeding: frozenset({"E", "F"}),
        Completed: frozenset({"K"}),
    }

    def __init__(
        self,
        request: Request,
        transport: ISipTransport,
        destination: Destination,
        clock: IReactorTime,
        settings: TimerSettings,
        user: ClientTransactionUser,
    ) -> None:
        super().__init__(request, transport, destination, clock, settings, Trying, user)
        self._interval_e = settings.timer_e

    def start(self) -> None:
        """Send the request; start Timer E (unreliable only) and Timer F (§17.1.2.2)."""
        self._send(self.request)
        if not self.reliable:
            self._start_timer("E", self._interval_e)
        self._start_timer("F", self.settings.timer_f)

    # -- outputs --------------------------------------------------------------------

    def double_timer_e(self, _: object) -> None:
        self._interval_e = min(2 * self._interval_e, self.settings.t2)
        self._start_timer("E", self._interval_e)

    def timer_e_at_t2(self, _: object) -> None:
        self._interval_e = self.settings.t2
        self._start_timer("E", self._interval_e)

    def start_timer_k(self, _: object) -> None:
        self._start_timer("K", self.settings.timer_k(self.reliable))
