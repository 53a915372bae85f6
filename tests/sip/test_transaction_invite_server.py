"""The INVITE server transaction (RFC 3261 §17.2.1, RFC 6026): exact schedules on a task.Clock."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_transaction_manager import TCP_SOURCE, UDP_SOURCE, Harness, request, response
from voicedock.sip.transaction import InviteServerTransaction, State

ACK = request("ACK", to_tag="tt", cseq_method="ACK")


def receive(h: Harness, source=UDP_SOURCE, **kw) -> InviteServerTransaction:
    invite = request(**kw)
    h.manager.messageReceived(invite, source)
    tx = h.core.transactions[-1]
    tx.user = h.user
    return tx


class InviteServerTests(SynchronousTestCase):
    def test_trying_at_once_retransmissions_get_last_provisional(self) -> None:
        h = Harness()
        tx = receive(h)
        h.advance_to(0.5)
        h.manager.messageReceived(tx.request, UDP_SOURCE)
        tx.respond(response(tx.request, 180))
        h.advance_to(1.5)
        h.manager.messageReceived(tx.request, UDP_SOURCE)
        self.assertEqual(h.log, [(0, "send", 100), (0, "core.request", "INVITE"), (0.5, "send", 100),
                                 (0.5, "send", 180), (1.5, "send", 180)])
        self.assertEqual(h.transport.messages[0].to_tag, None)  # no tag on the 100 (§17.2.1)

    def test_failure_timer_g_doubles_to_t2_until_timer_h(self) -> None:
        h = Harness()
        tx = receive(h)
        h.advance_to(1)
        tx.respond(response(tx.request, 486))
        h.advance_to(100)
        resends = [1.5, 2.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5, 32.5]
        self.assertEqual(h.log[2:], [(1, "send", 486)] + [(t, "send", 486) for t in resends]
                         + [(33, "tu.timeout", None)])
        self.assertIs(tx.state, State.TERMINATED)

    def test_ack_confirms_then_timer_i(self) -> None:
        h = Harness()
        tx = receive(h)
        tx.respond(response(tx.request, 487))
        h.advance_to(0.7)
        h.manager.messageReceived(ACK, UDP_SOURCE)
        h.advance_to(1)
        h.manager.messageReceived(ACK, UDP_SOURCE)  # absorbed
        h.manager.messageReceived(tx.request, UDP_SOURCE)  # not in the table for Confirmed: ignored
        h.advance_to(5.69)
        self.assertIs(tx.state, State.CONFIRMED)
        h.advance_to(5.7)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual([e for e in h.log if e[1] == "send"],
                         [(0, "send", 100), (0, "send", 487), (0.5, "send", 487)])

    def test_retransmitted_invite_in_completed_gets_final(self) -> None:
        h = Harness()
        tx = receive(h)
        tx.respond(response(tx.request, 603))
        h.advance_to(0.2)
        h.manager.messageReceived(tx.request, UDP_SOURCE)
        self.assertEqual(h.log[-1], (0.2, "send", 603))

    def test_accepted_absorbs_invites_passes_ack_until_timer_l(self) -> None:
        h = Harness()
        tx = receive(h)
        ok = response(tx.request, 200)
        self.assertTrue(tx.respond(ok))
        h.advance_to(0.5)
        h.manager.messageReceived(tx.request, UDP_SOURCE)  # absorbed: the TU retransmits 2xx itself
        self.assertTrue(tx.respond(ok))                    # the TU's 2xx retransmission goes out
        self.assertFalse(tx.respond(response(tx.request, 486)))
        h.manager.messageReceived(ACK, UDP_SOURCE)         # same branch as the INVITE: passed up
        h.advance_to(31.9)
        self.assertIs(tx.state, State.ACCEPTED)
        h.advance_to(32)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.log, [(0, "send", 100), (0, "core.request", "INVITE"), (0, "send", 200),
                                 (0.5, "send", 200), (0.5, "tu.ack", "ACK")])

    def test_tcp_no_timer_g_and_timer_i_zero(self) -> None:
        h = Harness()
        tx = receive(h, TCP_SOURCE, transport="TCP")
        tx.respond(response(tx.request, 480))
        h.advance_to(2)
        h.manager.messageReceived(request("ACK", to_tag="tt", cseq_method="ACK", transport="TCP"),
                                  TCP_SOURCE)
        self.assertIs(tx.state, State.CONFIRMED)
        h.clock.advance(0)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual([e for e in h.log if e[1] == "send"], [(0, "send", 100), (0, "send", 480)])

    def test_tcp_timer_h(self) -> None:
        h = Harness()
        tx = receive(h, TCP_SOURCE, transport="TCP")
        tx.respond(response(tx.request, 480))
        h.advance_to(40)
        self.assertEqual(h.log[-1], (32, "tu.timeout", None))

    def test_transport_error(self) -> None:
        h = Harness()
        tx = receive(h)
        h.transport.fail()
        tx.respond(response(tx.request, 500))
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.log[-1], (0, "tu.transport_error", "connection refused"))

    def test_response_destination_follows_via(self) -> None:
        h = Harness()
        receive(h, via_host="192.0.2.99:5070")
        self.assertEqual(h.transport.sent[0][1].address.port, 5070)
