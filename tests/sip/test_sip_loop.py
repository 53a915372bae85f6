"""The in-memory loop network, and through it the shared arrival pipeline (inbound)."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.sip.corpus import raw_bytes
from tests.sip.helpers import RecordingReceiver, invite, options
from voicedock.sip.inbound import RateLimit
from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import make_response
from voicedock.sip.parser import parse_datagram
from voicedock.sip.routing import Destination, HostPort, Source, response_destination
from voicedock.sip.transport import SipTransportError
from voicedock.testing.sip_loop import LoopNetwork

ALICE = HostPort("192.0.2.10", 5060)
BOB = HostPort("192.0.2.20", 5060)


class LoopTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.network = LoopNetwork(self.clock, delay=0.05)
        self.alice_rx = RecordingReceiver()
        self.bob_rx = RecordingReceiver()
        self.alice = self.network.endpoint(ALICE, self.alice_rx)
        self.bob = self.network.endpoint(BOB, self.bob_rx)

    def run_for(self, seconds: float) -> None:
        """Advance in 10 ms steps (Clock.advance runs everything at the end time)."""
        self.clock.pump([0.01] * round(seconds / 0.01))

    def test_interface(self) -> None:
        self.assertTrue(ISipTransport.providedBy(self.alice))
        self.assertEqual(self.alice.sentBy(Destination("UDP", BOB)), ALICE)

    def test_request_and_response_round_trip(self) -> None:
        self.alice.send(parse_datagram(invite()), Destination("UDP", BOB))
        self.clock.advance(0.049)
        self.assertEqual(self.bob_rx.calls, [])
        self.clock.advance(0.001)
        [(_, request, source)] = self.bob_rx.calls
        self.assertEqual(source, Source("UDP", BOB, ALICE))
        self.assertEqual(request.top_via.rport, 5060)  # stamped on arrival
        response = make_response(request, 200, to_tag="t1")
        self.bob.send(response, response_destination(request.top_via, source))
        self.clock.advance(0.05)
        [(_, got, _)] = self.alice_rx.calls
        self.assertEqual((got.status, got.to_tag), (200, "t1"))

    def test_loss_is_deterministic(self) -> None:
        def lost(seed: int) -> list[bool]:
            network = LoopNetwork(Clock(), loss=0.5, seed=seed)
            a = network.endpoint(ALICE, RecordingReceiver())
            network.endpoint(BOB, RecordingReceiver())
            for i in range(20):
                a.send(options(call_id=f"c{i}"), Destination("UDP", BOB))
            return [p.dropped for p in network.packets]

        self.assertEqual(lost(3), lost(3))
        self.assertIn(True, lost(3))
        self.assertIn(False, lost(3))

    def test_targeted_drop(self) -> None:
        self.network.drop = lambda data, destination: b"c1@" in data
        for i in range(3):
            self.alice.send(options(call_id=f"c{i}@x"), Destination("UDP", BOB))
        self.run_for(1)
        self.assertEqual([m.call_id for m in self.bob_rx.messages], ["c0@x", "c2@x"])

    def test_jitter_reorders_udp_not_tcp(self) -> None:
        self.network.jitter = 1.0
        for i in range(10):
            self.alice.send(options(call_id=f"u{i}@x"), Destination("UDP", BOB))
        self.run_for(2)
        order = [m.call_id for m in self.bob_rx.messages]
        self.assertEqual(sorted(order), sorted(f"u{i}@x" for i in range(10)))
        self.assertNotEqual(order, [f"u{i}@x" for i in range(10)])
        self.bob_rx.calls.clear()
        for i in range(10):
            self.alice.send(options(call_id=f"t{i}@x"), Destination("TCP", BOB))
        self.run_for(2)
        self.assertEqual([m.call_id for m in self.bob_rx.messages], [f"t{i}@x" for i in range(10)])

    def test_tcp_adds_content_length(self) -> None:
        request = parse_datagram(options()).remove_header("Content-Length")
        self.alice.send(request, Destination("TCP", BOB))
        self.run_for(1)
        self.assertEqual(self.bob_rx.messages[0].content_length, 0)

    def test_unreachable(self) -> None:
        nowhere = Destination("TCP", HostPort("192.0.2.99", 5060))
        self.failureResultOf(self.alice.send(options(), nowhere), SipTransportError)
        self.successResultOf(self.alice.send(options(), Destination("UDP", nowhere.address)))
        self.failureResultOf(
            self.alice.send(options(), Destination("SCTP", BOB)), SipTransportError
        )

    def test_malformed_request_gets_400(self) -> None:
        self.alice.send(raw_bytes("rfc4475", "clerr.dat"), Destination("UDP", BOB))
        self.run_for(1)
        self.assertEqual(self.bob_rx.calls, [])
        [(_, response, source)] = self.alice_rx.calls
        self.assertEqual(
            (response.status, response.reason), (400, "Content-Length larger than the message body")
        )
        self.assertEqual(response.call_id, "clerr.0ha0isndaksdjweiafasdk3")
        self.assertEqual(source, Source("UDP", ALICE, BOB))
        self.assertEqual(self.bob.stats.bad_requests_answered, 1)

    def test_400_to_unusable_via_goes_to_source(self) -> None:
        """badinv01's top Via cannot be parsed: the 400 goes back to the packet's source."""
        self.alice.send(raw_bytes("rfc4475", "badinv01.dat"), Destination("UDP", BOB))
        self.run_for(1)
        reply = self.network.packets[-1]
        self.assertEqual((reply.sender, reply.destination), (BOB, Destination("UDP", ALICE)))
        self.assertTrue(
            reply.data.startswith(b"SIP/2.0 400 Malformed Via header: empty element\r\n")
        )
        # It echoes the broken Via, so Alice's own parser drops it, as it should.
        self.assertEqual(self.alice.stats.unanswerable_dropped, 1)

    def test_unanswerable_dropped(self) -> None:
        for name in ("bigcode.dat", "scalarlg.dat", "test.dat"):
            self.alice.send(raw_bytes("rfc4475", name), Destination("UDP", BOB))
        self.run_for(1)
        self.assertEqual((self.alice_rx.calls, self.bob_rx.calls), ([], []))
        self.assertEqual(self.bob.stats.unanswerable_dropped, 3)

    def test_rate_limit_on_new_requests(self) -> None:
        limited_rx = RecordingReceiver()
        carol = self.network.endpoint(
            HostPort("192.0.2.30", 5060), limited_rx, rate_limit=RateLimit(rate=2, burst=3)
        )
        to_carol = Destination("UDP", carol.address)
        for i in range(10):
            self.alice.send(options(call_id=f"r{i}@x"), to_carol)
        ack = invite().replace(b"INVITE sip:", b"ACK sip:").replace(b"314159 INVITE", b"314159 ACK")
        self.alice.send(ack, to_carol)
        self.alice.send(raw_bytes("rfc4475", "badinv01.dat"), to_carol)  # also counted
        self.run_for(0.1)
        self.assertEqual([m.method for m in limited_rx.messages], ["OPTIONS"] * 3 + ["ACK"])
        self.assertEqual(carol.stats.rate_limited, 8)
        self.assertEqual(carol.stats.parse_errors, 0)  # refused before any parsing
        self.assertEqual(self.alice_rx.calls, [])  # no 400 either: dropped silently
        self.run_for(1.0)  # two more tokens
        for i in range(3):
            self.alice.send(options(call_id=f"s{i}@x"), to_carol)
        self.run_for(0.1)
        self.assertEqual(len(limited_rx.messages), 6)
        self.assertEqual(carol.stats.rate_limited, 9)

    def test_responses_not_rate_limited(self) -> None:
        carol_rx = RecordingReceiver()
        carol = self.network.endpoint(
            HostPort("192.0.2.30", 5060), carol_rx, rate_limit=RateLimit(rate=1, burst=1)
        )
        request = parse_datagram(invite())
        for i in range(5):
            self.alice.send(
                make_response(request, 180 + i % 2, to_tag="x"), Destination("UDP", carol.address)
            )
        self.run_for(1)
        self.assertEqual(len(carol_rx.calls), 5)

    def test_receiver_errors_do_not_escape(self) -> None:
        class Broken(RecordingReceiver):
            def messageReceived(self, message, source):  # type: ignore[no-untyped-def]
                raise RuntimeError("boom")

        network = LoopNetwork(self.clock)
        a = network.endpoint(ALICE, RecordingReceiver())
        network.endpoint(BOB, Broken())
        a.send(options(), Destination("UDP", BOB))
        self.clock.advance(0)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
