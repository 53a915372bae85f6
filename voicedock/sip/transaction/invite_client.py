# -*- test-case-name: tests.sip.test_transaction_invite_client -*-
"""
The INVITE client transaction (RFC 3261 §17.1.1, as amended by RFC 6026
§7.2 and §8.4: a 2xx leads to Accepted, where later 2xx responses from
other branches still reach the TU until Timer M fires).
"""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime

from voicedock.sip.headers import Header
from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import Request, Response
from voicedock.sip.routing import Destination
from voicedock.sip.transaction.interfaces import ClientTransactionUser
from voicedock.sip.transaction.roles import ClientTransaction
from voicedock.sip.transaction.machine import (
    Input,
    State,
    transition_table,
)
from voicedock.sip.transaction.timers import TimerSettings

Calling, Proceeding, Accepted, Completed, Terminated = (
    State.CALLING, State.PROCEEDING, State.ACCEPTED, State.COMPLETED, State.TERMINATED)


def ack_for_non_2xx(invite: Request, response: Response) -> Request:
    """
    The ACK a client transaction sends for a 300-699 (RFC 3261 §17.1.1.3):
    the INVITE's Request-URI, Call-ID, From, CSeq number and Route, its
    top Via only, and the To of the response.
    """
    headers = [("Via", str(invite.top_via))]
    headers += [(h.name, h.value) for h in invite.header_fields("route")]
    headers += [
        ("Max-Forwards", "70"),
        ("From", invite.header("from")),
        ("To", response.header("to")),
        ("Call-ID", invite.call_id),
        ("CSeq", f"{invite.cseq.number} ACK"),
        ("Content-Length", "0"),
    ]
    return Request("ACK", invite.uri, tuple(Header(n, str(v)) for n, v in headers))


class InviteClientTransaction(ClientTransaction):
    """
    RFC 3261 §17.1.1.2 (Figure 5) with RFC 6026 §7.2. Timer A retransmits
    the INVITE at T1, 2*T1, 4*T1 ... (no T2 cap for INVITE) on unreliable
    transports; Timer B (64*T1) ends a silent Calling with a timeout; the
    ACK for a 300-699 is sent here, and resent for each retransmission of
    it until Timer D; a 2xx is the TU's to ACK (§13.2.2.4).
    """

    TABLE = transition_table(
        # state      input                    next        outputs
        (Calling,    Input.TIMER_A,           Calling,    "retransmit", "double_timer_a"),
        (Calling,    Input.TIMER_B,           Terminated, "inform_timeout"),
        (Calling,    Input.TRANSPORT_ERROR,   Terminated, "inform_transport_error"),
        (Calling,    Input.RESPONSE_1XX,      Proceeding, "pass_up"),
        (Calling,    Input.RESPONSE_2XX,      Accepted,   "pass_up", "start_timer_m"),
        (Calling,    Input.RESPONSE_300_699,  Completed,  "send_ack", "pass_up", "start_timer_d"),
        (Proceeding, Input.RESPONSE_1XX,      Proceeding, "pass_up"),
        (Proceeding, Input.RESPONSE_2XX,      Accepted,   "pass_up", "start_timer_m"),
        (Proceeding, Input.RESPONSE_300_699,  Completed,  "send_ack", "pass_up", "start_timer_d"),
        (Accepted,   Input.RESPONSE_2XX,      Accepted,   "pass_up"),
        (Accepted,   Input.TIMER_M,           Terminated),
        (Completed,  Input.RESPONSE_300_699,  Completed,  "send_ack"),
        (Completed,  Input.TRANSPORT_ERROR,   Terminated, "inform_transport_error"),
        (Completed,  Input.TIMER_D,           Terminated),
    )
    TIMERS = {
        Calling: frozenset({"A", "B"}),
        Accepted: frozenset({"M"}),
        Completed: frozenset({"D"}),
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
        super().__init__(request, transport, destination, clock, settings, Calling, user)
        self.ack: Request | None = None
        self._interval_a = settings.timer_a

    def start(self) -> None:
        """Send the INVITE; start Timer A (unreliable only) and Timer B (§17.1.1.2)."""
        self._send(self.request)
        if not self.reliable:
            self._start_timer("A", self._interval_a)
        self._start_timer("B", self.settings.timer_b)

    # -- outputs --------------------------------------------------------------------

    def double_timer_a(self, _: object) -> None:
        self._interval_a *= 2
        self._start_timer("A", self._interval_a)

    def send_ack(self, response: Response) -> None:
        self.ack = ack_for_non_2xx(self.request, response)
        self._send(self.ack)

    def start_timer_m(self, _: object) -> None:
        self._start_timer("M", self.settings.timer_m)

    def start_timer_d(self, _: object) -> None:
        self._start_timer("D", self.settings.timer_d(self.reliable))
