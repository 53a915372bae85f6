"""Requests and responses: typed accessors, copies, building (RFC 3261 §7, §8.2.6)."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.helpers import OK_200, SDP_OFFER, invite
from voicedock.sip.address import Address
from voicedock.sip.errors import SipParseError
from voicedock.sip.headers import CSeq, Header
from voicedock.sip.message import Request, make_request, make_response
from voicedock.sip.parser import parse_datagram
from voicedock.sip.status import reason_phrase
from voicedock.sip.uri import SipUri
from voicedock.sip.via import Via


class AccessorTests(SynchronousTestCase):
    def test_invite(self) -> None:
        m = parse_datagram(invite())
        self.assertEqual(m.method, "INVITE")
        self.assertEqual(m.uri, SipUri("voicedock.example.com", "+15551234567"))
        self.assertEqual(m.top_via.branch, "z9hG4bK776asdhds")
        self.assertEqual(m.from_tag, "1928301774")
        self.assertIsNone(m.to_tag)
        self.assertEqual(m.call_id, "a84b4c76e66710@pc33.atlanta.example.com")
        self.assertEqual(m.cseq, CSeq(314159, "INVITE"))
        self.assertEqual(m.max_forwards, 70)
        self.assertEqual(m.contacts[0].uri.transport, "udp")
        self.assertEqual(m.token_list("Allow"), ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS"))
        self.assertEqual(m.token_list("k"), ("replaces", "timer"))
        self.assertEqual(m.content_type.essence, "application/sdp")
        self.assertEqual(m.body, SDP_OFFER)
        self.assertEqual(m.header("user-agent"), "Softphone/1.0")
        self.assertEqual(m.routes, ())

    def test_response(self) -> None:
        m = parse_datagram(OK_200)
        self.assertEqual((m.status, m.reason, m.to_tag), (200, "OK", "a6c85cf"))
        self.assertEqual(m.top_via.received, "192.0.2.20")

    def test_compact_names_read_the_same(self) -> None:
        wire = (
            OK_200.replace(b"To:", b"t:")
            .replace(b"Call-ID:", b"i:")
            .replace(b"Content-Length:", b"l:")
        )
        m = parse_datagram(wire)
        self.assertEqual(m.call_id, "a84b4c76e66710@pc33.atlanta.example.com")
        self.assertEqual(m.to_tag, "a6c85cf")
        self.assertEqual(m.header("Content-Length"), "0")

    def test_contact_wildcard(self) -> None:
        m = parse_datagram(
            invite(extra=b"Contact: *\r\n").replace(
                b"Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n", b""
            )
        )
        self.assertTrue(m.contact_is_wildcard)
        self.assertEqual(m.contacts, ())

    def test_expires_lenient(self) -> None:
        self.assertEqual(parse_datagram(invite(extra=b"Expires: 120\r\n")).expires, 120)
        self.assertIsNone(parse_datagram(invite(extra=b"Expires: soon\r\n")).expires)


class CopyTests(SynchronousTestCase):
    def test_add_replace_remove(self) -> None:
        m = parse_datagram(invite())
        m2 = m.add_header(
            "Via",
            Via("UDP", "proxy.example.com", params=m.top_via.params.set("branch", "z9hG4bKp")),
            first=True,
        )
        self.assertEqual([v.host for v in m2.vias], ["proxy.example.com", "192.0.2.10"])
        m3 = m2.replace_header("Max-Forwards", 69)
        self.assertEqual(m3.max_forwards, 69)
        self.assertEqual(
            [h.key for h in m3.headers].index("max-forwards"),
            [h.key for h in m2.headers].index("max-forwards"),
        )
        self.assertFalse(m3.remove_header("User-Agent").has_header("user-agent"))
        self.assertEqual(m.max_forwards, 70)  # the original is untouched

    def test_with_body_sets_length(self) -> None:
        m = parse_datagram(OK_200).with_body(b"hello", "text/plain")
        self.assertEqual((m.content_length, m.content_type.essence), (5, "text/plain"))
        self.assertEqual(parse_datagram(m.to_bytes()), m)

    def test_with_top_via_keeps_others(self) -> None:
        m = parse_datagram(
            OK_200.replace(
                b"received=192.0.2.20", b"received=192.0.2.20, SIP/2.0/TCP b;branch=z9hG4bKb"
            )
        )
        m2 = m.with_top_via(m.top_via.with_param("rport", "5060"))
        self.assertEqual(
            m2.header("Via"),
            "SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKnashds8;received=192.0.2.20;rport=5060, "
            "SIP/2.0/TCP b;branch=z9hG4bKb",
        )


class BuildTests(SynchronousTestCase):
    def request(self) -> Request:
        return make_request(
            "OPTIONS",
            "sip:bob@biloxi.example.com",
            [
                (
                    "Via",
                    Via(
                        "UDP",
                        "192.0.2.1",
                        5060,
                        params=Via("UDP", "x").params.set("branch", "z9hG4bKabc"),
                    ),
                ),
                ("Max-Forwards", 70),
                ("From", Address(SipUri("atlanta.example.com", "alice"), "Alice").with_tag("88")),
                ("To", Address(SipUri("biloxi.example.com", "bob"))),
                ("Call-ID", "abc@192.0.2.1"),
                ("CSeq", CSeq(1, "OPTIONS")),
            ],
        )

    def test_make_request(self) -> None:
        request = self.request()
        self.assertEqual(
            request.to_bytes(),
            b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc\r\n"
            b"Max-Forwards: 70\r\n"
            b'From: "Alice" <sip:alice@atlanta.example.com>;tag=88\r\n'
            b"To: <sip:bob@biloxi.example.com>\r\n"
            b"Call-ID: abc@192.0.2.1\r\n"
            b"CSeq: 1 OPTIONS\r\n"
            b"Content-Length: 0\r\n"
            b"\r\n",
        )
        self.assertEqual(parse_datagram(request.to_bytes()), request)

    def test_make_request_checks_mandatory(self) -> None:
        self.assertRaises(
            SipParseError,
            make_request,
            "OPTIONS",
            "sip:b@h",
            [
                ("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"),
                ("From", "<sip:a@h>;tag=1"),
                ("To", "<sip:b@h>"),
                ("CSeq", "1 OPTIONS"),
            ],
        )

    def test_make_response_rfc3261_8_2_6(self) -> None:
        request = parse_datagram(
            invite().replace(
                b"Max-Forwards: 70\r\n",
                b"Via: SIP/2.0/UDP second;branch=z9hG4bK2\r\nTimestamp: 54\r\nMax-Forwards: 70\r\n",
            )
        )
        response = make_response(
            request, 180, to_tag="a6c85cf", headers=[("Contact", "<sip:vd@192.0.2.99>")]
        )
        self.assertEqual(
            response.to_bytes(),
            b"SIP/2.0 180 Ringing\r\n"
            b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
            b"Via: SIP/2.0/UDP second;branch=z9hG4bK2\r\n"
            b'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
            b"To: <sip:+15551234567@voicedock.example.com>;tag=a6c85cf\r\n"
            b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            b"CSeq: 314159 INVITE\r\n"
            b"Contact: <sip:vd@192.0.2.99>\r\n"
            b"Content-Length: 0\r\n"
            b"\r\n",
        )
        trying = make_response(request, 100)
        self.assertEqual(trying.header("Timestamp"), "54")
        self.assertIsNone(trying.to_tag)

    def test_existing_to_tag_kept(self) -> None:
        request = parse_datagram(
            invite().replace(
                b"voicedock.example.com>\r\n", b"voicedock.example.com>;tag=old\r\n", 1
            )
        )
        self.assertEqual(make_response(request, 200, to_tag="new").to_tag, "old")

    def test_response_body(self) -> None:
        response = make_response(
            parse_datagram(invite()),
            200,
            to_tag="t",
            body=SDP_OFFER,
            content_type="application/sdp",
        )
        self.assertEqual(response.content_length, len(SDP_OFFER))
        self.assertEqual(parse_datagram(response.to_bytes()), response)

    def test_reason_checks(self) -> None:
        request = parse_datagram(invite())
        self.assertRaises(ValueError, make_response, request, 200, "OK\r\nX: y")
        self.assertRaises(ValueError, make_response, request, 700)
        self.assertEqual(reason_phrase(499), "Client Error")
        self.assertEqual(make_response(request, 505).reason, "Version Not Supported")

    def test_header_objects_are_plain(self) -> None:
        self.assertEqual(Header("v", "x").key, "via")
        self.assertEqual(Header("v", "x"), Header("v", "x"))
