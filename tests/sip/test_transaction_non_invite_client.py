"""The non-INVITE client transaction (RFC 3261 §17.1.2): exact schedules on a task.Clock."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_transaction_manager import TCP, UDP, Harness, request, response
from voicedock.sip.transaction import State


class NonInviteClientTests(SynchronousTestCase):
    def test_timer_e_doubles_to_t2_timer_f_times_out(self) -> None:
        h = Harness()
        tx = h.manager.send_request(request("OPTIONS"), UDP, h.user)
        h.advance_to(100)
        sends = [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
        self.assertEqual(h.log, [(t, "send", "OPTIONS") for t in sends] + [(32, "tu.timeout", None)])
        self.assertIs(tx.state, State.TERMINATED)

    def test_proceeding_retransmits_every_t2(self) -> None:
        h = Harness()
        tx = h.manager.send_request(request("BYE"), UDP, h.user)
        h.advance_to(0.2)
        h.manager.messageReceived(response(tx.request, 100), None)
        h.advance_to(100)
        sends = [0, 0.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5]
        self.assertEqual(h.log, [(0, "send", "BYE"), (0.2, "tu.response", 100)]
                         + [(t, "send", "BYE") for t in sends[1:]] + [(32, "tu.timeout", None)])

    def test_final_then_timer_k_absorbs_retransmissions(self) -> None:
        h = Harness()
        tx = h.manager.send_request(request("BYE"), UDP, h.user)
        h.advance_to(1)
        h.manager.messageReceived(response(tx.request, 200), None)
        h.advance_to(2)
        h.manager.messageReceived(response(tx.request, 200), None)
        h.advance_to(5.9)
        self.assertIs(tx.state, State.COMPLETED)
        h.advance_to(6)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.log, [(0, "send", "BYE"), (0.5, "send", "BYE"), (1, "tu.response", 200)])

    def test_failure_is_final_too(self) -> None:
        h = Harness()
        tx = h.manager.send_request(request("REFER"), UDP, h.user)
        h.manager.messageReceived(response(tx.request, 481), None)
        self.assertIs(tx.state, State.COMPLETED)

    def test_tcp(self) -> None:
        h = Harness()
        tx = h.manager.send_request(request("BYE", transport="TCP"), TCP, h.user)
        h.advance_to(3)
        h.manager.messageReceived(response(tx.request, 200), None)
        h.clock.advance(0)
        self.assertIs(tx.state, State.TERMINATED)
        self.assertEqual(h.log, [(0, "send", "BYE"), (3, "tu.response", 200)])

    def test_tcp_timeout(self) -> None:
        h = Harness()
        h.manager.send_request(request("BYE", transport="TCP"), TCP, h.user)
        h.advance_to(50)
        self.assertEqual(h.log, [(0, "send", "BYE"), (32, "tu.timeout", None)])

    def test_transport_error(self) -> None:
        h = Harness()
        h.transport.fail()
        tx = h.manager.send_request(request("BYE"), TCP, h.user)
        self.assertEqual(h.log, [(0, "send", "BYE"), (0, "tu.transport_error", "connection refused")])
        self.assertIs(tx.state, State.TERMINATED)
