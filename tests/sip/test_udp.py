"""The real transport over UDP on loopback, IPv4 and IPv6 (RFC 3261 §18, RFC 3581)."""

from __future__ import annotations

from twisted.internet import defer, reactor
from twisted.internet.task import Clock
from twisted.trial.unittest import TestCase

from tests.sip.corpus import raw_bytes
from tests.sip.helpers import RecordingReceiver, invite, options
from tests.sip.netpeers import ipv6_available, listen_udp_peer, sleep
from voicedock.sip.inbound import RateLimit
from voicedock.sip.interfaces import ISipTransport
from voicedock.sip.message import make_response
from voicedock.sip.parser import ParserLimits, parse_datagram
from voicedock.sip.routing import Destination, HostPort, Source, response_destination
from voicedock.sip.transport import SipTransport, SipTransportError, TransportConfig


class UdpTests(TestCase):
    timeout = 10
    host = "127.0.0.1"

    def setUp(self) -> None:
        self.clock = Clock()
        self.receiver = RecordingReceiver()
        self.transport = self.make_transport()
        self.addCleanup(self.transport.close)
        self.peer, port = listen_udp_peer(self.host)
        self.addCleanup(port.stopListening)
        self.peer_address = HostPort(self.host, port.getHost().port)

    def make_transport(self, config: TransportConfig = TransportConfig()) -> SipTransport:
        transport = SipTransport(reactor, self.receiver, clock=self.clock, config=config)
        port = transport.listen_udp(0, self.host)
        self.address = HostPort(self.host, port.getHost().port)
        return transport

    def peer_send(self, data: bytes) -> None:
        self.peer.transport.write(data, (self.address.host, self.address.port))

    def next_message(self) -> defer.Deferred:
        d: defer.Deferred = defer.Deferred()
        self.receiver.waiters.append(d)
        return d

    @defer.inlineCallbacks
    def test_round_trip(self):  # type: ignore[no-untyped-def]
        self.assertTrue(ISipTransport.providedBy(self.transport))
        arrived = self.next_message()
        self.peer_send(invite(via_host=f"{self.host_ref()}:5999"))
        request, source = yield arrived
        self.assertEqual(source, Source("UDP", self.address, self.peer_address))
        # RFC 3581: rport filled with the real source port, received added.
        self.assertEqual(request.top_via.rport, self.peer_address.port)
        self.assertEqual(request.top_via.received, self.host)
        destination = response_destination(request.top_via, source)
        self.assertEqual(destination, Destination("UDP", self.peer_address))
        yield self.transport.send(make_response(request, 200, to_tag="abc"), destination)
        [(data, addr)] = yield self.peer.inbox.wait(1)
        response = parse_datagram(data)
        self.assertEqual((response.status, response.to_tag), (200, "abc"))
        self.assertEqual((addr[0], addr[1]), (self.host, self.address.port))
        self.assertEqual(self.transport.sentBy(destination), self.address)

    def host_ref(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @defer.inlineCallbacks
    def test_malformed_to_source_and_port(self):  # type: ignore[no-untyped-def]
        """A 400 for a bad request whose Via asks for rport comes back to our peer."""
        wire = options().replace(
            b"SIP/2.0/UDP 192.0.2.30", b"SIP/2.0/UDP " + self.host_ref().encode()
        )
        wire = wire.replace(b";branch=z9hG4bKopt1", b";branch=z9hG4bKopt1;rport")
        wire = wire.replace(b"CSeq: 1 OPTIONS", b"CSeq: 99999999999 OPTIONS")
        self.peer_send(wire)
        [(data, _)] = yield self.peer.inbox.wait(1)
        self.assertTrue(
            data.startswith(
                b"SIP/2.0 400 Malformed CSeq header: sequence number exceeds 2**32-1\r\n"
            )
        )
        self.assertIn(b"\r\nCSeq: 99999999999 OPTIONS\r\n", data)
        self.assertEqual(self.receiver.calls, [])
        self.assertEqual(self.transport.stats.bad_requests_answered, 1)

    @defer.inlineCallbacks
    def test_unusable_via_answered_to_source(self):  # type: ignore[no-untyped-def]
        """badinv01's top Via cannot be parsed: the 400 goes back to the packet's source."""
        self.peer_send(raw_bytes("rfc4475", "badinv01.dat"))
        [(data, _)] = yield self.peer.inbox.wait(1)
        self.assertTrue(data.startswith(b"SIP/2.0 400 Malformed Via header: empty element\r\n"))
        self.assertIn(b"\r\nVia: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n", data)
        self.assertEqual(self.receiver.calls, [])

    @defer.inlineCallbacks
    def test_trailing_octets_and_keepalive(self):  # type: ignore[no-untyped-def]
        arrived = self.next_message()
        self.peer_send(b"\r\n\r\n")
        self.peer_send(raw_bytes("rfc4475", "dblreq.dat"))
        request, _ = yield arrived
        self.assertEqual((request.method, request.body), ("REGISTER", b""))
        yield sleep(0.1)
        self.assertEqual(len(self.receiver.calls), 1)
        self.assertEqual(self.transport.stats.parse_errors, 0)

    @defer.inlineCallbacks
    def test_oversize_answered_513(self):  # type: ignore[no-untyped-def]
        yield self.transport.close()
        self.transport = self.make_transport(
            TransportConfig(limits=ParserLimits(max_message_size=1000))
        )
        self.addCleanup(self.transport.close)
        padding = b"X-Padding: " + b"p" * 1200 + b"\r\n"
        wire = invite(via_host=self.host_ref(), extra=padding)
        self.peer_send(wire)
        [(data, _)] = yield self.peer.inbox.wait(1)
        response = parse_datagram(data)
        self.assertEqual((response.status, response.reason), (513, "message too large"))
        self.assertEqual(self.receiver.calls, [])
        # And we refuse to send one ourselves.
        yield self.assertFailure(
            self.transport.send(wire, Destination("UDP", self.peer_address)), SipTransportError
        )

    @defer.inlineCallbacks
    def test_rate_limit(self):  # type: ignore[no-untyped-def]
        yield self.transport.close()
        self.transport = self.make_transport(TransportConfig(rate_limit=RateLimit(rate=1, burst=3)))
        self.addCleanup(self.transport.close)
        for i in range(10):
            self.peer_send(options(call_id=f"flood-{i}"))
        ack = (
            invite(via_host=self.host_ref())
            .replace(b"INVITE sip:", b"ACK sip:")
            .replace(b"314159 INVITE", b"314159 ACK")
        )
        self.peer_send(ack)  # ACK continues a transaction: never limited
        yield sleep(0.3)
        self.assertEqual([m.method for m in self.receiver.messages], ["OPTIONS"] * 3 + ["ACK"])
        self.assertEqual(self.transport.stats.rate_limited, 7)
        self.assertEqual(self.peer.inbox.items, [])  # dropped silently
        self.clock.advance(2)  # two tokens back on the injected clock
        for i in range(3):
            self.peer_send(options(call_id=f"later-{i}"))
        yield sleep(0.3)
        self.assertEqual(len(self.receiver.messages), 6)
        self.assertEqual(self.transport.stats.rate_limited, 8)

    def test_no_listener_for_family(self) -> None:
        other = "::1" if ":" not in self.host else "127.0.0.1"
        destination = Destination("UDP", HostPort(other, 5060))
        self.failureResultOf(self.transport.send(options(), destination), SipTransportError)
        self.assertRaises(SipTransportError, self.transport.sentBy, destination)
        self.failureResultOf(
            self.transport.send(options(), Destination("SCTP", self.peer_address)),
            SipTransportError,
        )


class UdpIPv6Tests(UdpTests):
    host = "::1"

    def setUp(self) -> None:
        if not ipv6_available():
            raise self.skipTest("IPv6 loopback (::1) is not available here")
        super().setUp()
