"""
The RFC 4475 / RFC 5118 torture messages that the UA core answers
(``answered_by == UA`` in ``conformance_table``), fed to a UserAgent through
the loop transport: the final response code, and Allow / Unsupported /
Accept / Warning where the rule calls for them.
"""

from __future__ import annotations

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.protocol import DatagramProtocol
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase, TestCase

from tests.sip.conformance_table import ACCEPT, CASES, UA, Case
from tests.sip.corpus import wire_bytes
from voicedock.sip.message import Request, Response
from voicedock.sip.parser import parse_datagram
from voicedock.sip.routing import Destination, HostPort
from voicedock.sip.ua import UserAgent, UserAgentConfig
from voicedock.testing.sip_loop import LoopNetwork
from voicedock.testing.sip_peers.uas_app import start_uas
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


class ProcessedNormallyTests(SynchronousTestCase):
    """The INVITEs the table accepts without a UA answer ("processed normally") reach the listener."""

    def test_invites_reach_the_listener(self) -> None:
        seen = {}
        for case in CASES:
            if case.outcome != ACCEPT or case.answered_by is not None:
                continue
            request = parse_datagram(wire_bytes(case.corpus, case.file, case.recompute_content_length))
            if not isinstance(request, Request) or request.method != "INVITE":
                continue
            responses, events = answer_to(case)
            seen[case.file] = ([r.status for r in responses], [type(e).__name__ for e in events])
        expected_calls = ["esc01.dat", "longreq.dat", "baddate.dat", "inv2543.dat", "ipv6-in-sdp",
                          "mult-ip-in-sdp", "ipv4-mapped-ipv6"]
        for name in expected_calls:
            self.assertEqual(seen.pop(name), ([100], ["IncomingCall"]), name)
        # wsinv carries a To tag: a request inside a dialog we do not have
        self.assertEqual(seen, {"wsinv.dat": ([100, 481], [])})


def with_rport(data: bytes) -> bytes:
    """Add ``;rport`` to the (single-valued) first Via line, so the answer comes back to our socket."""
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    for i, line in enumerate(lines):
        if line.lower().startswith(b"via:"):
            lines[i] = line + b";rport"
            break
    return b"\r\n".join(lines) + sep + body


class _Client(DatagramProtocol):
    def __init__(self) -> None:
        self.finals: list[Response] = []
        self.waiter: Deferred[Response] | None = None

    def datagramReceived(self, data: bytes, addr: tuple) -> None:  # type: ignore[type-arg]
        message = parse_datagram(data)
        if isinstance(message, Response) and message.status >= 200:
            self.finals.append(message)
            if self.waiter is not None and not self.waiter.called:
                self.waiter.callback(message)


class RealSocketTests(TestCase):
    """Some of the same files over a real UDP socket on loopback, as a provider would send them."""

    timeout = 20

    @inlineCallbacks
    def test_over_udp(self):  # type: ignore[no-untyped-def]
        app = start_uas(reactor, UserAgentConfig(public_address="127.0.0.1"), tcp=False)
        self.addCleanup(app.close)
        client = _Client()
        port = reactor.listenUDP(0, client, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        for name in ("zeromf.dat", "bext01.dat", "intmeth.dat", "badvers.dat", "unkscm.dat",
                     "invut.dat", "mismatch01.dat"):
            case = next(c for c in UA_CASES if c.file == name)
            client.waiter = Deferred()
            client.transport.write(with_rport(wire_bytes(case.corpus, name)),
                                   ("127.0.0.1", app.address.port))
            response = yield client.waiter
            self.assertEqual(response.status, case.response, name)
