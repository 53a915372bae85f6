# -*- test-case-name: tests.sip.test_transaction_invite_server -*-
"""
The INVITE server transaction (RFC 3261 §17.2.1, as amended by RFC 6026
§7.1 and §8.5 to §8.7: a 2xx leads to Accepted, where INVITE
retransmissions are absorbed, the TU's 2xx retransmissions go out and
ACKs go up to the TU, until Timer L fires).
"""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime

from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import Request, Response, make_response
from voicedock.sip.routing import Destination
from voicedock.sip.transaction.roles import ServerTransaction
from voicedock.sip.transaction.machine import (
    Input,
    State,
    response_input,
    transition_table,
)
from voicedock.sip.transaction.timers import TimerSettings

Proceeding, Accepted, Completed, Confirmed, Terminated = (
    State.PROCEEDING, State.ACCEPTED, State.COMPLETED, State.CONFIRMED, State.TERMINATED)


class InviteServerTransaction(ServerTransaction):
    """
    RFC 3261 §17.2.1 (Figure 7) with RFC 6026 §7.1. A 100 Trying goes out at
    once (§17.2.1: it quenches INVITE retransmissions). Timer G resends a
    300-699 at T1, doubling up to T2 (unreliable only) until the ACK; Timer H
    (64*T1) gives up waiting for it; Timer I (T4, 0 on reliable transports)
    absorbs ACK retransmissions; Timer L (64*T1) ends Accepted.
    """

    TABLE = transition_table(
        # state      input                    next        outputs
        (Proceeding, Input.REQUEST,           Proceeding, "resend_response"),
        (Proceeding, Input.TU_1XX,            Proceeding, "send_response"),
        (Proceeding, Input.TU_2XX,            Accepted,   "send_response", "start_timer_l"),
        (Proceeding, Input.TU_300_699,        Completed,  "send_response", "start_timers_g_h"),
        (Proceeding, Input.TRANSPORT_ERROR,   Terminated, "inform_transport_error"),
        (Accepted,   Input.REQUEST,           Accepted),
        (Accepted,   Input.TU_2XX,            Accepted,   "send_response"),
        (Accepted,   Input.ACK,               Accepted,   "pass_ack_up"),
        (Accepted,   Input.TRANSPORT_ERROR,   Accepted,   "inform_transport_error"),
        (Accepted,   Input.TIMER_L,           Terminated),
        (Completed,  Input.REQUEST,           Completed,  "resend_response"),
        (Completed,  Input.TIMER_G,           Completed,  "resend_response", "double_timer_g"),
        (Completed,  Input.ACK,               Confirmed,  "start_timer_i"),
        (Completed,  Input.TIMER_H,           Terminated, "inform_timeout"),
        (Completed,  Input.TRANSPORT_ERROR,   Terminated, "inform_transport_error"),
        (Confirmed,  Input.ACK,               Confirmed),
        (Confirmed,  Input.TIMER_I,           Terminated),
    )
    TIMERS = {
        Accepted: frozenset({"L"}),
        Completed: frozenset({"G", "H"}),
        Confirmed: frozenset({"I"}),
    }

    def __init__(
        self,
        request: Request,
        transport: ISipTransport,
        destination: Destination,
        clock: IReactorTime,
        settings: TimerSettings,
    ) -> None:
        super().__init__(request, transport, destination, clock, settings, Proceeding)
        self._interval_g = settings.timer_g

    @property
    def final_sent(self) -> bool:
        return self.state is not Proceeding

    def start(self) -> None:
        """Send 100 Trying at once (§17.2.1)."""
        self.last_response = make_response(self.request, 100)
        self._send(self.last_response)

    def respond(self, response: Response) -> bool:
        """Pass a response from the TU; False when the state does not take it (e.g. after a final)."""
        input_ = response_input(response.status, from_tu=True)
        if (self.state, input_) not in self.TABLE:
            return False
        self.handle(input_, response)
        return True

    def receive_request(self, request: Request) -> None:
        self.handle(Input.ACK if request.method == "ACK" else Input.REQUEST, request)

    # -- outputs --------------------------------------------------------------------

    def start_timer_l(self, _: object) -> None:
        self._start_timer("L", self.settings.timer_l)

    def start_timers_g_h(self, _: object) -> None:
        if not self.reliable:
            self._start_timer("G", self._interval_g)
        self._start_timer("H", self.settings.timer_h)

    def double_timer_g(self, _: object) -> None:
        self._interval_g = min(2 * self._interval_g, self.settings.t2)
        self._start_timer("G", self._interval_g)

    def start_timer_i(self, _: object) -> None:
        self._start_timer("I", self.settings.timer_i(self.reliable))

    def pass_ack_up(self, ack: Request) -> None:
        self.user.ack_received(self, ack)
