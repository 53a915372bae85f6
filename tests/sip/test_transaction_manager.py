"""The transaction manager: matching (RFC 3261 §17.1.3, §17.2.3, RFC 2543 fallback), CANCEL, merges."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from voicedock.sip.message import Request, Response, make_request, make_response
from voicedock.sip.routing import Destination, HostPort, Source
from voicedock.sip.transaction import State, TimerSettings, TransactionManager
from voicedock.testing.sip_recorder import (
    Recorder,
    RecordingCore,
    RecordingTransactionUser,
    RecordingTransport,
)

PEER = HostPort("192.0.2.10", 5060)
UDP_SOURCE = Source("UDP", HostPort("192.0.2.1", 5060), PEER)
TCP_SOURCE = Source("TCP", HostPort("192.0.2.1", 5060), HostPort("192.0.2.10", 40000))
UDP = Destination("UDP", PEER)
TCP = Destination("TCP", PEER)


def request(method: str = "INVITE", branch: str | None = "z9hG4bK1", cseq: int = 1,
            to_tag: str | None = None, from_tag: str | None = "ft", call_id: str = "c1@x",
            via_host: str = "192.0.2.10:5060", transport: str = "UDP", uri: str = "sip:vd@192.0.2.1",
            cseq_method: str | None = None, body: bytes = b"", extra: tuple = ()) -> Request:
    via = f"SIP/2.0/{transport} {via_host}" + (f";branch={branch}" if branch else "")
    to = "<sip:vd@192.0.2.1>" + (f";tag={to_tag}" if to_tag else "")
    frm = "<sip:alice@192.0.2.10>" + (f";tag={from_tag}" if from_tag else "")
    headers = [("Via", via), ("Max-Forwards", "70"), ("From", frm), ("To", to),
               ("Call-ID", call_id), ("CSeq", f"{cseq} {cseq_method or method}"),
               ("Contact", "<sip:alice@192.0.2.10>"), *extra]
    return make_request(method, uri, headers, body)


def response(req: Request, status: int, to_tag: str | None = "tt") -> Response:
    return make_response(req, status, to_tag=to_tag if status > 100 else None)


class Harness:
    """A clock, a recorder, a recording transport/TU/core and a manager."""

    def __init__(self, settings: TimerSettings = TimerSettings(), on_request=None) -> None:
        self.clock = Clock()
        self.recorder = Recorder(self.clock)
        self.transport = RecordingTransport(self.recorder)
        self.user = RecordingTransactionUser(self.recorder)
        self.core = RecordingCore(self.recorder, on_request)
        self.manager = TransactionManager(self.clock, self.core, settings, self.transport)
        self.transitions: list[tuple[float, str, str]] = []
        self.manager.observers.append(
            lambda tx, old, input_, new: self.transitions.append(
                (self.clock.seconds(), old.value, new.value)))

    @property
    def log(self) -> list:
        return self.recorder.log

    def advance_to(self, t: float) -> None:
        """Run every timer due by ``t`` at its own time, so records carry exact times."""
        advance_clock_to(self.clock, t)


def advance_clock_to(clock: Clock, t: float) -> None:
    while True:
        due = [c.getTime() for c in clock.getDelayedCalls() if c.getTime() <= t]
        if not due:
            break
        clock.advance(max(0.0, min(due) - clock.seconds()))
    clock.advance(t - clock.seconds())


class ClientMatchingTests(SynchronousTestCase):
    def test_branch_and_method(self) -> None:
        h = Harness()
        invite = request()
        cancel = request("CANCEL")
        h.manager.send_request(invite, UDP, h.user)
        h.manager.send_request(cancel, UDP, h.user)
        h.recorder.clear()
        h.manager.messageReceived(response(cancel, 200), UDP_SOURCE)
        h.manager.messageReceived(response(invite, 487), UDP_SOURCE)
        h.manager.messageReceived(response(request(branch="z9hG4bKother"), 200), UDP_SOURCE)
        self.assertEqual(h.log, [(0, "tu.response", 200), (0, "send", "ACK"), (0, "tu.response", 487),
                                 (0, "core.stray_response", 200)])

    def test_forgotten_after_timer_m_late_2xx_is_stray(self) -> None:
        h = Harness()
        invite = request()
        h.manager.send_request(invite, UDP, h.user)
        h.manager.messageReceived(response(invite, 200), UDP_SOURCE)
        h.advance_to(32)
        self.assertEqual(h.manager.client_transactions, ())
        h.recorder.clear()
        h.manager.messageReceived(response(invite, 200), UDP_SOURCE)
        self.assertEqual(h.log, [(32, "core.stray_response", 200)])

    def test_reused_branch_refused(self) -> None:
        h = Harness()
        h.manager.send_request(request(), UDP, h.user)
        self.assertRaises(ValueError, h.manager.send_request, request(), UDP, h.user)
        self.assertRaises(ValueError, h.manager.send_request, request("ACK"), UDP, h.user)


class ServerMatchingTests(SynchronousTestCase):
    def test_retransmission_and_ack_match(self) -> None:
        h = Harness()
        invite = request()
        h.manager.messageReceived(invite, UDP_SOURCE)
        tx = h.core.transactions[0]
        h.manager.messageReceived(invite, UDP_SOURCE)  # retransmission: the 100 again
        tx.respond(response(invite, 486))
        ack = request("ACK", to_tag="tt", cseq_method="ACK")
        h.manager.messageReceived(ack, UDP_SOURCE)
        self.assertEqual(h.log, [(0, "send", 100), (0, "core.request", "INVITE"), (0, "send", 100),
                                 (0, "send", 486)])
        self.assertIs(tx.state, State.CONFIRMED)

    def test_sent_by_and_method_distinguish(self) -> None:
        h = Harness()
        h.manager.messageReceived(request("OPTIONS"), UDP_SOURCE)
        h.manager.messageReceived(request("OPTIONS", via_host="192.0.2.11"), UDP_SOURCE)
        h.manager.messageReceived(request("BYE"), UDP_SOURCE)
        self.assertEqual(len(h.manager.server_transactions), 3)

    def test_ack_for_2xx_goes_to_core(self) -> None:
        h = Harness()
        invite = request()
        h.manager.messageReceived(invite, UDP_SOURCE)
        h.core.transactions[0].respond(response(invite, 200))
        h.recorder.clear()
        h.manager.messageReceived(request("ACK", branch="z9hG4bK2", to_tag="tt"), UDP_SOURCE)
        self.assertEqual(h.log, [(0, "core.ack", "ACK")])

    def test_rfc2543_fallback(self) -> None:
        h = Harness()
        invite = request(branch=None)
        h.manager.messageReceived(invite, UDP_SOURCE)
        h.manager.messageReceived(invite, UDP_SOURCE)
        tx = h.core.transactions[0]
        self.assertEqual(len(h.core.transactions), 1)
        tx.respond(response(invite, 404, to_tag="abc"))
        h.manager.messageReceived(request("ACK", branch=None, to_tag="wrong"), UDP_SOURCE)
        self.assertIs(tx.state, State.COMPLETED)
        h.manager.messageReceived(request("ACK", branch=None, to_tag="abc"), UDP_SOURCE)
        self.assertIs(tx.state, State.CONFIRMED)
        # a different CSeq is another transaction
        h.manager.messageReceived(request(branch=None, cseq=2), UDP_SOURCE)
        self.assertEqual(len(h.core.transactions), 2)

    def test_cancel_target(self) -> None:
        h = Harness()
        invite = request()
        h.manager.messageReceived(invite, UDP_SOURCE)
        self.assertIs(h.manager.invite_for_cancel(request("CANCEL")), h.core.transactions[0])
        self.assertIsNone(h.manager.invite_for_cancel(request("CANCEL", branch="z9hG4bKx")))
        old = request(branch=None, call_id="old@x")
        h.manager.messageReceived(old, UDP_SOURCE)
        self.assertIs(h.manager.invite_for_cancel(request("CANCEL", branch=None, call_id="old@x")),
                      h.core.transactions[1])

    def test_merged_request(self) -> None:
        h = Harness()
        h.manager.messageReceived(request(), UDP_SOURCE)
        self.assertTrue(h.manager.is_merged(request(branch="z9hG4bKviaotherpath")))
        self.assertFalse(h.manager.is_merged(request("CANCEL")))
        self.assertFalse(h.manager.is_merged(request(cseq=2)))
        self.assertFalse(h.manager.is_merged(request(to_tag="x")))

    def test_bare_magic_cookie_is_400(self) -> None:
        h = Harness()
        h.manager.messageReceived(request("OPTIONS", branch="z9hG4bK"), UDP_SOURCE)
        h.manager.messageReceived(request("ACK", branch="z9hG4bK"), UDP_SOURCE)
        self.assertEqual(h.log, [(0, "send", 400)])
        self.assertEqual(h.manager.server_transactions, ())

    def test_core_failure_answers_500(self) -> None:
        def boom(*args):
            raise RuntimeError("bug")

        h = Harness(on_request=boom)
        h.manager.messageReceived(request("OPTIONS"), UDP_SOURCE)
        self.assertEqual([e[2] for e in h.recorder.entries("send")], [500])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_terminated_transactions_forgotten(self) -> None:
        h = Harness()
        options = request("OPTIONS")
        h.manager.messageReceived(options, UDP_SOURCE)
        h.core.transactions[0].respond(response(options, 200))
        h.advance_to(31.9)
        self.assertEqual(len(h.manager.server_transactions), 1)
        h.advance_to(32)
        self.assertEqual(h.manager.server_transactions, ())
        self.assertEqual(h.transitions, [(0, "Trying", "Completed"), (32, "Completed", "Terminated")])
