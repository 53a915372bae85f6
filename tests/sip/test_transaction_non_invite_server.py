"""The non-INVITE server transaction (RFC 3261 §17.2.2): exact schedules on a task.Clock."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_transaction_manager import TCP_SOURCE, UDP_SOURCE, Harness, request, response
from voicedock.sip.transaction import State


class NonInviteServerTests(SynchronousTestCase):
    def test_trying_discards_then_completed_resends_until_timer_j(self) -> None:
        h = Harness()
        bye = request("BYE", to_tag="tt")
        h.manager.messageReceived(bye, UDP_SOURCE)
        tx = h.core.transactions[0]
        h.advance_to(0.5)
        h.manager.messageReceived(bye, UDP_SOURCE)  # Trying: discarded
        h.advance_to(1)
        self.assertTrue(tx.respond(response(bye, 200)))
        self.assertFalse(tx.respond(response(bye, 500)))
        h.advance_to(1.5)
        h.manager.messageReceived(bye, UDP_SOURCE)
        h.advance_to(32.9)
        self.assertIs(tx.state, State.COMPLETED)
        h.advance_to(33)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.log, [(0, "core.request", "BYE"), (1, "send", 200), (1.5, "send", 200)])

    def test_proceeding_resends_provisional(self) -> None:
        h = Harness()
        refer = request("REFER", to_tag="tt")
        h.manager.messageReceived(refer, UDP_SOURCE)
        tx = h.core.transactions[0]
        tx.respond(response(refer, 100))
        h.manager.messageReceived(refer, UDP_SOURCE)
        tx.respond(response(refer, 202))
        self.assertEqual([e[2] for e in h.recorder.entries("send")], [100, 100, 202])

    def test_tcp_timer_j_zero(self) -> None:
        h = Harness()
        options = request("OPTIONS", transport="TCP")
        h.manager.messageReceived(options, TCP_SOURCE)
        tx = h.core.transactions[0]
        tx.respond(response(options, 200))
        h.clock.advance(0)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.transport.sent[0][1].address, TCP_SOURCE.remote)

    def test_transport_error(self) -> None:
        h = Harness()
        options = request("OPTIONS")
        h.manager.messageReceived(options, UDP_SOURCE)
        tx = h.core.transactions[0]
        tx.user = h.user
        h.transport.fail()
        tx.respond(response(options, 200))
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.log[-1], (0, "tu.transport_error", "connection refused"))
