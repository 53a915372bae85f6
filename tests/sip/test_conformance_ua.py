"""
The RFC 4475 / RFC 5118 torture messages that the UA core answers
(``answered_by == UA`` in ``conformance_table``), fed to a UserAgent through
the loop transport: the final response code, and Allow / Unsupported /
Accept / Warning where the rule calls for them.
"""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.sip.conformance_table import CASES, UA, Case
from tests.sip.corpus import wire_bytes
from voicedock.sip.message import Response
from voicedock.sip.parser import parse_datagram
from voicedock.sip.routing import Destination, HostPort
from voicedock.sip.ua import UserAgent, UserAgentConfig
from voicedock.testing.sip_loop import LoopNetwork
from voicedock.testing.sip_recorder import Recorder, RecordingListener

UA_CASES = [case for case in CASES if case.answered_by == UA]
UA_ADDR = HostPort("192.0.2.1", 5060)
PEER = HostPort("192.0.2.10", 5060)


class _Silent:
    def messageReceived(self, message, source):  # type: ignore[no-untyped-def]
        pass


def answer_to(case: Case) -> tuple[list[Response], list]:
    """Feed one file to a fresh UA; return every response it sent and the listener's events."""
    clock = Clock()
    network = LoopNetwork(clock)
    listener = RecordingListener(Recorder(clock))
    ua = UserAgent(UserAgentConfig(public_address="192.0.2.1"), clock, listener=listener)
    ua.attach_transport(network.endpoint(UA_ADDR, ua))
    peer = network.endpoint(PEER, _Silent())
    data = wire_bytes(case.corpus, case.file, case.recompute_content_length)
    peer.send(data, Destination("UDP", UA_ADDR))
    clock.advance(0)
    clock.advance(0)
    responses = [parse_datagram(p.data) for p in network.packets if p.sender == UA_ADDR]
    return [r for r in responses if isinstance(r, Response)], listener.events


class ConformanceUaTests(SynchronousTestCase):
    def test_the_table_has_ua_cases(self) -> None:
        self.assertGreaterEqual(len(UA_CASES), 25)

    def test_every_ua_case(self) -> None:
        for case in UA_CASES:
            with self.subTest(file=case.file):
                self._check(case)

    def _check(self, case: Case) -> None:
        responses, events = answer_to(case)
        finals = [r for r in responses if r.status >= 200]
        self.assertEqual([r.status for r in finals], [case.response], f"{case.file}: {case.why}")
        final = finals[0]
        request = parse_datagram(wire_bytes(case.corpus, case.file, case.recompute_content_length))
        self.assertEqual((final.call_id, final.cseq), (request.call_id, request.cseq), case.file)
        self.assertEqual(events, [], f"{case.file}: nothing reaches the layer above")
        if case.response in (405, 501):
            self.assertIn("INVITE", final.token_list("Allow"), case.file)
            self.assertNotIn("REGISTER", final.token_list("Allow"), case.file)
        if case.response == 420:
            self.assertEqual(final.token_list("Unsupported"), request.token_list("Require"), case.file)
        if case.response == 415:
            self.assertEqual(final.header("Accept"), "application/sdp", case.file)
        if case.response == 406:
            self.assertTrue(final.header("Warning", ).startswith("399 "), case.file)
        if case.response == 200 and request.method == "OPTIONS":
            for name in ("Allow", "Accept", "Supported"):
                self.assertIsNotNone(final.header(name), f"{case.file}: {name}")
        if case.response >= 200:
            self.assertIsNotNone(final.to_tag, f"{case.file}: a UAS tags its final response")
        self.assertIsNone(final.header("Server"), case.file)


class RealSocketTests(SynchronousTestCase):
    """A few of the same files over a real UDP socket on loopback, as a provider would send them."""

    def test_over_udp(self) -> None:
        from tests.sip.test_peers_support import run_udp_exchange

        for name, expected in (("zeromf.dat", 200), ("bext01.dat", 420), ("intmeth.dat", 501),
                               ("badvers.dat", 505), ("unkscm.dat", 416)):
            with self.subTest(file=name):
                self.assertEqual(run_udp_exchange(self, wire_bytes("rfc4475", name)), expected)
