# -*- test-case-name: tests.sip.test_transaction_non_invite_server -*-
"""The non-INVITE server transaction (RFC 3261 §17.2.2)."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime

from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import Request, Response
from voicedock.sip.routing import Destination
from voicedock.sip.transaction.roles import ServerTransaction
from voicedock.sip.transaction.machine import (
    Input,
    State,
    response_input,
    transition_table,
)
from voicedock.sip.transaction.timers import TimerSettings

Trying, Proceeding, Completed, Terminated = (
    State.TRYING, State.PROCEEDING, State.COMPLETED, State.TERMINATED)


class NonInviteServerTransaction(ServerTransaction):
    """
    RFC 3261 §17.2.2 (Figure 8). Retransmissions are discarded while Trying
    and answered with the last response after that; Timer J (64*T1, 0 on
    reliable transports) keeps Completed long enough to absorb them.
    """

    TABLE = transition_table(
        # state      input                    next        outputs
        (Trying,     Input.REQUEST,           Trying),
        (Trying,     Input.TU_1XX,            Proceeding, "send_response"),
        (Trying,     Input.TU_2XX,            Completed,  "send_response", "start_timer_j"),
        (Trying,     Input.TU_300_699,        Completed,  "send_response", "start_timer_j"),
        (Proceeding, Input.REQUEST,           Proceeding, "resend_response"),
        (Proceeding, Input.TU_1XX,            Proceeding, "send_response"),
        (Proceeding, Input.TU_2XX,            Completed,  "send_response", "start_timer_j"),
        (Proceeding, Input.TU_300_699,        Completed,  "send_response", "start_timer_j"),
        (Proceeding, Input.TRANSPORT_ERROR,   Terminated, "inform_transport_error"),
        (Completed,  Input.REQUEST,           Completed,  "resend_response"),
        (Completed,  Input.TRANSPORT_ERROR,   Terminated, "inform_transport_error"),
        (Completed,  Input.TIMER_J,           Terminated),
    )
    TIMERS = {Completed: frozenset({"J"})}

    def __init__(
        self,
        request: Request,
        transport: ISipTransport,
        destination: Destination,
        clock: IReactorTime,
        settings: TimerSettings,
    ) -> None:
        super().__init__(request, transport, destination, clock, settings, Trying)

    @property
    def final_sent(self) -> bool:
        return self.state in (Completed, Terminated)

    def start(self) -> None:
        """Nothing is sent until the TU answers (§17.2.2)."""

    def respond(self, response: Response) -> bool:
        """Pass a response from the TU; False once a final response was sent."""
        if self.final_sent:
            return False
        self.handle(response_input(response.status, from_tu=True), response)
        return True

    def receive_request(self, request: Request) -> None:
        self.handle(Input.REQUEST, request)

    # -- outputs --------------------------------------------------------------------

    def start_timer_j(self, _: object) -> None:
        self._start_timer("J", self.settings.timer_j(self.reliable))
