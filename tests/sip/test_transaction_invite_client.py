"""The INVITE client transaction (RFC 3261 §17.1.1, RFC 6026): exact schedules on a task.Clock."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_transaction_manager import TCP, UDP, Harness, request, response
from voicedock.sip.transaction import InviteClientTransaction, State, TimerSettings


def start(h: Harness, destination=UDP) -> InviteClientTransaction:
    return h.manager.send_request(request(), destination, h.user)


class InviteClientTests(SynchronousTestCase):
    def test_timer_a_doubles_without_cap_timer_b_times_out(self) -> None:
        h = Harness()
        tx = start(h)
        h.advance_to(100)
        sends = [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
        self.assertEqual(h.log, [(t, "send", "INVITE") for t in sends] + [(32, "tu.timeout", None)])
        self.assertIs(tx.state, State.TERMINATED)

    def test_other_t1(self) -> None:
        h = Harness(TimerSettings(t1=0.1, t2=1.0))
        start(h)
        h.advance_to(100)
        self.assertEqual([round(t, 6) for t, what, _ in h.log],
                         [0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 6.4])
        self.assertEqual(h.log[-1][1], "tu.timeout")

    def test_provisional_stops_retransmission_then_failure_acked(self) -> None:
        h = Harness()
        tx = start(h)
        h.advance_to(0.7)
        h.manager.messageReceived(response(tx.request, 180), None)
        h.advance_to(10)
        h.manager.messageReceived(response(tx.request, 486), None)
        h.advance_to(11)
        h.manager.messageReceived(response(tx.request, 486), None)  # retransmitted: ACK again only
        h.advance_to(41.9)
        self.assertIs(tx.state, State.COMPLETED)
        h.advance_to(42)
        self.assertEqual(h.log, [
            (0, "send", "INVITE"), (0.5, "send", "INVITE"), (0.7, "tu.response", 180),
            (10, "send", "ACK"), (10, "tu.response", 486), (11, "send", "ACK"),
        ])
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.transitions, [
            (0.5, "Calling", "Calling"), (0.7, "Calling", "Proceeding"),
            (10, "Proceeding", "Completed"), (11, "Completed", "Completed"),
            (42, "Completed", "Terminated")])

    def test_ack_for_non_2xx(self) -> None:
        h = Harness()
        invite = request(extra=(("Route", "<sip:proxy.example.com;lr>"),))
        h.manager.send_request(invite, UDP, h.user)
        h.manager.messageReceived(response(invite, 404, to_tag="x9"), None)
        ack = h.transport.messages[-1]
        self.assertEqual(
            ack.to_bytes().decode(),
            "ACK sip:vd@192.0.2.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
            "Route: <sip:proxy.example.com;lr>\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:alice@192.0.2.10>;tag=ft\r\n"
            "To: <sip:vd@192.0.2.1>;tag=x9\r\n"
            "Call-ID: c1@x\r\n"
            "CSeq: 1 ACK\r\n"
            "Content-Length: 0\r\n\r\n",
        )

    def test_2xx_accepted_late_retransmissions_pass_up_until_timer_m(self) -> None:
        h = Harness()
        tx = start(h)
        h.advance_to(2)
        h.manager.messageReceived(response(tx.request, 200), None)
        h.advance_to(3)
        h.manager.messageReceived(response(tx.request, 200), None)
        h.manager.messageReceived(response(tx.request, 200, to_tag="fork2"), None)
        h.manager.messageReceived(response(tx.request, 180), None)  # ignored in Accepted
        h.advance_to(33.9)
        self.assertIs(tx.state, State.ACCEPTED)
        h.advance_to(34)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.log, [
            (0, "send", "INVITE"), (0.5, "send", "INVITE"), (1.5, "send", "INVITE"),
            (2, "tu.response", 200), (3, "tu.response", 200), (3, "tu.response", 200),
        ])
        self.assertEqual([r.to_tag for r in h.user.responses], ["tt", "tt", "fork2"])

    def test_tcp_no_retransmission_and_timer_d_zero(self) -> None:
        h = Harness()
        tx = start(h, TCP)
        h.advance_to(5)
        h.manager.messageReceived(response(tx.request, 503), None)
        self.assertIs(tx.state, State.COMPLETED)
        h.clock.advance(0)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.log, [(0, "send", "INVITE"), (5, "send", "ACK"), (5, "tu.response", 503)])

    def test_tcp_timer_b(self) -> None:
        h = Harness()
        start(h, TCP)
        h.advance_to(40)
        self.assertEqual(h.log, [(0, "send", "INVITE"), (32, "tu.timeout", None)])

    def test_transport_error(self) -> None:
        h = Harness()
        h.transport.fail()
        tx = start(h)
        h.advance_to(40)
        self.assertEqual(h.log, [(0, "send", "INVITE"), (0, "tu.transport_error", "connection refused")])
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.manager.client_transactions, ())

    def test_transport_error_on_retransmission(self) -> None:
        h = Harness()
        tx = start(h)
        h.transport.fail("network unreachable")
        h.advance_to(40)
        self.assertEqual(h.log, [(0, "send", "INVITE"), (0.5, "send", "INVITE"),
                                 (0.5, "tu.transport_error", "network unreachable")])
        self.assertIs(tx.state, State.TERMINATED)
