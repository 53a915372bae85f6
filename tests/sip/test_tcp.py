"""The real transport over TCP on loopback: framing, reuse, timeouts, limits (RFC 3261 §18)."""

from __future__ import annotations

from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint, connectProtocol
from twisted.internet.task import Clock
from twisted.trial.unittest import TestCase

from tests.sip.corpus import raw_bytes
from tests.sip.helpers import OK_200, RecordingReceiver, SDP_OFFER, invite, options
from tests.sip.netpeers import RawTcpClient, ipv6_available, sleep
from voicedock.sip.errors import FramingError, SipParseError
from voicedock.sip.message import make_response
from voicedock.sip.parser import ParserLimits, parse_datagram
from voicedock.sip.routing import Destination, HostPort, response_destination
from voicedock.sip.transport import SipTransport, SipTransportError, TransportConfig


class TcpTests(TestCase):
    timeout = 10
    host = "127.0.0.1"

    def setUp(self) -> None:
        self.clock = Clock()
        self.receiver = RecordingReceiver()
        self.transport = self.make_transport()

    def make_transport(self, config=TransportConfig(), receiver=None):  # type: ignore
        transport = SipTransport(
            reactor, receiver or self.receiver, clock=self.clock, config=config
        )
        port = transport.listen_tcp(0, self.host)
        transport.address = HostPort(self.host, port.getHost().port)  # type: ignore[attr-defined]
        self.addCleanup(transport.close)
        return transport

    def via(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @defer.inlineCallbacks
    def connect(self, transport: SipTransport | None = None):  # type: ignore[no-untyped-def]
        transport = transport or self.transport
        endpoint_type = TCP6ClientEndpoint if ":" in self.host else TCP4ClientEndpoint
        endpoint = endpoint_type(reactor, self.host, transport.address.port)  # type: ignore
        client = yield connectProtocol(endpoint, RawTcpClient())
        self.addCleanup(lambda: (client.transport.loseConnection(), client.closed)[1])
        return client

    def next_message(self) -> defer.Deferred:
        d: defer.Deferred = defer.Deferred()
        self.receiver.waiters.append(d)
        return d

    @defer.inlineCallbacks
    def test_fragmented_request_answered_on_same_connection(self):  # type: ignore[no-untyped-def]
        client = yield self.connect()
        arrived = self.next_message()
        wire = invite(via_host=f"{self.via()}:5070", transport="TCP")
        for start in range(0, len(wire), 37):
            client.transport.write(wire[start : start + 37])
            yield sleep(0.005)
        request, source = yield arrived
        self.assertEqual(request.body, SDP_OFFER)
        self.assertEqual(source.transport, "TCP")
        self.assertEqual(source.remote.port, client.transport.getHost().port)
        destination = response_destination(request.top_via, source)
        self.assertEqual(destination.address, source.remote)
        self.assertEqual(destination.fallback, HostPort(self.host, 5070))
        yield self.transport.send(make_response(request, 180, to_tag="t"), destination)
        [response] = yield client.inbox.wait(1)
        self.assertEqual((response.status, response.to_tag), (180, "t"))
        self.assertEqual(self.transport.connection_count, 1)

    @defer.inlineCallbacks
    def test_coalesced_messages(self):  # type: ignore[no-untyped-def]
        client = yield self.connect()
        wire = b"".join(options(branch=f"z9hG4bK{i}", call_id=f"c{i}") for i in range(3))
        client.transport.write(wire + OK_200)
        while len(self.receiver.calls) < 4:
            yield sleep(0.01)
        self.assertEqual(
            [m.call_id for m in self.receiver.messages],
            ["c0", "c1", "c2", "a84b4c76e66710@pc33.atlanta.example.com"],
        )

    @defer.inlineCallbacks
    def test_missing_content_length_closes(self):  # type: ignore[no-untyped-def]
        client = yield self.connect()
        client.transport.write(options().replace(b"Content-Length: 0\r\n", b""))
        [response] = yield client.inbox.wait(1)
        # The 400 is framed (it has a Content-Length); then the stream is closed.
        self.assertEqual(response.status, 400)
        self.assertEqual(response.reason, "missing Content-Length on a stream transport")
        yield client.closed
        self.assertEqual(self.transport.stats.connections_broken, 1)
        self.assertEqual(self.receiver.calls, [])

    @defer.inlineCallbacks
    def test_negative_content_length_closes(self):  # type: ignore[no-untyped-def]
        client = yield self.connect()
        client.transport.write(raw_bytes("rfc4475", "ncl.dat") + options())
        [response] = yield client.inbox.wait(1)
        self.assertEqual(response.status, 400)
        yield client.closed
        self.assertEqual(self.receiver.calls, [])

    @defer.inlineCallbacks
    def test_unfinished_message_times_out(self):  # type: ignore[no-untyped-def]
        """clerr.dat over a stream: wait for the promised body, then give up (RFC 4475 §3.1.2.2)."""
        client = yield self.connect()
        client.transport.write(raw_bytes("rfc4475", "clerr.dat"))
        yield sleep(0.05)
        self.clock.advance(31)
        yield sleep(0.05)
        self.assertFalse(client.closed.called)
        self.clock.advance(1)
        yield client.closed
        self.assertEqual(self.transport.stats.connections_idle_closed, 1)

    @defer.inlineCallbacks
    def test_idle_connection_closed(self):  # type: ignore[no-untyped-def]
        client = yield self.connect()
        yield sleep(0.05)
        self.assertEqual(self.transport.connection_count, 1)
        self.clock.advance(299)
        client.transport.write(options())  # traffic resets the idle timer
        yield self.next_message()
        self.clock.advance(299)
        yield sleep(0.05)
        self.assertFalse(client.closed.called)
        self.clock.advance(1)
        yield client.closed
        yield sleep(0.05)
        self.assertEqual(self.transport.connection_count, 0)

    @defer.inlineCallbacks
    def test_oversize(self):  # type: ignore[no-untyped-def]
        yield self.transport.close()
        self.transport = self.make_transport(
            TransportConfig(limits=ParserLimits(max_message_size=1000))
        )
        client = yield self.connect()
        wire = invite(via_host=self.via(), transport="TCP").replace(
            b"Content-Length: %d" % len(SDP_OFFER), b"Content-Length: 5000"
        )
        client.transport.write(wire)
        [response] = yield client.inbox.wait(1)
        self.assertEqual((response.status, response.reason), (513, "message too large"))
        yield client.closed
        # A header section that never ends is cut off without an answer.
        client = yield self.connect()
        client.transport.write(b"INVITE sip:a@b SIP/2.0\r\nX: " + b"x" * 1500)
        yield client.closed
        self.assertEqual(client.inbox.items, [])

    @defer.inlineCallbacks
    def test_max_connections(self):  # type: ignore[no-untyped-def]
        yield self.transport.close()
        self.transport = self.make_transport(TransportConfig(max_connections=1))
        first = yield self.connect()
        yield sleep(0.05)
        second = yield self.connect()
        yield second.closed
        self.assertFalse(first.closed.called)
        self.assertEqual(self.transport.stats.connections_refused, 1)

    @defer.inlineCallbacks
    def test_outbound_connection_reused(self):  # type: ignore[no-untyped-def]
        """Two requests to one destination share a connection; the answer comes back on it."""
        bob_receiver = RecordingReceiver()
        bob = self.make_transport(receiver=bob_receiver)
        destination = Destination("TCP", bob.address)  # type: ignore[attr-defined]
        sent = [self.transport.send(options(call_id=f"o{i}"), destination) for i in range(2)]
        yield defer.gatherResults(sent)
        while len(bob_receiver.calls) < 2:
            yield sleep(0.01)
        sources = {call[2] for call in bob_receiver.calls}
        self.assertEqual(len(sources), 1)
        self.assertEqual(self.transport.connection_count, 1)
        request, source = bob_receiver.calls[0][1], bob_receiver.calls[0][2]
        arrived = self.next_message()
        yield bob.send(
            make_response(request, 200, to_tag="b"), response_destination(request.top_via, source)
        )
        response, _ = yield arrived
        self.assertEqual(response.status, 200)
        self.assertEqual((self.transport.connection_count, bob.connection_count), (1, 1))

    @defer.inlineCallbacks
    def test_connection_refused(self):  # type: ignore[no-untyped-def]
        port = self.transport.address.port  # type: ignore[attr-defined]
        yield self.transport.close()
        self.transport = self.make_transport()
        failure = yield self.assertFailure(
            self.transport.send(options(), Destination("TCP", HostPort(self.host, port))),
            SipTransportError,
        )
        self.assertIn("failed", str(failure))
        self.assertEqual(self.transport.stats.send_errors, 1)

    @defer.inlineCallbacks
    def test_content_length_added_on_streams(self):  # type: ignore[no-untyped-def]
        bob_receiver = RecordingReceiver()
        bob = self.make_transport(receiver=bob_receiver)
        message = parse_datagram(options()).remove_header("Content-Length")
        yield self.transport.send(message, Destination("TCP", bob.address))  # type: ignore
        while not bob_receiver.calls:
            yield sleep(0.01)
        self.assertEqual(bob_receiver.messages[0].content_length, 0)

    def test_framing_error_type(self) -> None:
        self.assertTrue(issubclass(FramingError, SipParseError))


class TcpIPv6Tests(TcpTests):
    host = "::1"

    def setUp(self) -> None:
        if not ipv6_available():
            raise self.skipTest("IPv6 loopback (::1) is not available here")
        super().setUp()
