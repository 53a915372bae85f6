"""received/rport stamping and response destinations (RFC 3261 §18.2.1-2, RFC 3581)."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.helpers import invite
from voicedock.sip.parser import parse_datagram
from voicedock.sip.routing import Destination, HostPort, Source, response_destination, stamp_via
from voicedock.sip.via import parse_via

LOCAL = HostPort("198.51.100.1", 5060)


def udp_from(host: str, port: int) -> Source:
    return Source("UDP", LOCAL, HostPort(host, port))


class StampTests(SynchronousTestCase):
    def test_rport_filled_and_received_always_added(self) -> None:
        request = parse_datagram(invite(via_host="192.0.2.10:5060"))  # has ;rport
        stamped = stamp_via(request, udp_from("192.0.2.10", 5060))
        self.assertEqual(
            stamped.header("Via"),
            "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.10",
        )

    def test_nat(self) -> None:
        request = parse_datagram(invite(via_host="10.0.0.5:5060"))
        via = stamp_via(request, udp_from("203.0.113.9", 40123)).top_via
        self.assertEqual((via.received, via.rport), ("203.0.113.9", 40123))

    def test_received_only_when_different(self) -> None:
        wire = invite(via_host="192.0.2.10").replace(b";rport", b"")
        request = parse_datagram(wire)
        self.assertIs(stamp_via(request, udp_from("192.0.2.10", 5060)), request)
        self.assertEqual(
            stamp_via(request, udp_from("192.0.2.11", 5060)).top_via.received, "192.0.2.11"
        )

    def test_hostname_always_gets_received(self) -> None:
        request = parse_datagram(invite(via_host="pc33.example.com").replace(b";rport", b""))
        self.assertEqual(
            stamp_via(request, udp_from("192.0.2.10", 5060)).top_via.received, "192.0.2.10"
        )

    def test_ipv6_same_address_spelled_differently(self) -> None:
        request = parse_datagram(invite(via_host="[2001:DB8::1]").replace(b";rport", b""))
        self.assertIs(stamp_via(request, udp_from("2001:db8::1", 5060)), request)


class DestinationTests(SynchronousTestCase):
    def test_udp_received_and_sent_by_port(self) -> None:
        via = parse_via("SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1;received=203.0.113.9")
        self.assertEqual(
            response_destination(via), Destination("UDP", HostPort("203.0.113.9", 5070))
        )

    def test_udp_default_port(self) -> None:
        via = parse_via("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1")
        self.assertEqual(response_destination(via), Destination("UDP", HostPort("192.0.2.1", 5060)))

    def test_rport(self) -> None:
        via = parse_via(
            "SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1;rport=40123;received=203.0.113.9"
        )
        self.assertEqual(
            response_destination(via), Destination("UDP", HostPort("203.0.113.9", 40123))
        )

    def test_bare_rport_with_source(self) -> None:
        via = parse_via("SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1;rport")
        source = udp_from("203.0.113.9", 40123)
        self.assertEqual(
            response_destination(via, source), Destination("UDP", HostPort("203.0.113.9", 40123))
        )

    def test_source_used_when_no_received(self) -> None:
        via = parse_via("SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1")
        self.assertEqual(
            response_destination(via, udp_from("203.0.113.9", 1)),
            Destination("UDP", HostPort("203.0.113.9", 5070)),
        )

    def test_maddr(self) -> None:
        via = parse_via("SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1;maddr=239.255.255.1")
        self.assertEqual(
            response_destination(via), Destination("UDP", HostPort("239.255.255.1", 5060))
        )

    def test_tcp_same_connection_with_fallback(self) -> None:
        via = parse_via("SIP/2.0/TCP 10.0.0.5:5070;branch=z9hG4bK1;received=203.0.113.9")
        source = Source("TCP", LOCAL, HostPort("203.0.113.9", 51515))
        self.assertEqual(
            response_destination(via, source),
            Destination("TCP", HostPort("203.0.113.9", 51515), HostPort("203.0.113.9", 5070)),
        )
        self.assertTrue(response_destination(via, source).is_reliable)

    def test_tls_default_port(self) -> None:
        via = parse_via("SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1")
        self.assertEqual(response_destination(via), Destination("TLS", HostPort("192.0.2.1", 5061)))

    def test_hostport_str(self) -> None:
        self.assertEqual(str(HostPort("::1", 5060)), "[::1]:5060")
        self.assertEqual(str(HostPort("127.0.0.1", 5060)), "127.0.0.1:5060")


class ZoneIdTests(SynchronousTestCase):
    def test_link_local_zone_id_not_written(self) -> None:
        request = parse_datagram(invite(via_host="[fe80::1]").replace(b";rport", b""))
        via = stamp_via(request, udp_from("fe80::2%eth0", 5060)).top_via
        self.assertEqual(via.received, "fe80::2")
