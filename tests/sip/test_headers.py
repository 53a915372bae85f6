"""Typed header values: Via, addresses, CSeq, media types, parameters, names."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from voicedock.sip.address import Address, parse_address, parse_address_list
from voicedock.sip.errors import SipParseError
from voicedock.sip.grammar import quote, split_commas, unquote
from voicedock.sip.headers import (
    CSeq,
    Header,
    canonical_key,
    canonical_name,
    parse_cseq,
    parse_media_type,
    parse_token_list,
)
from voicedock.sip.params import Parameters
from voicedock.sip.uri import SipUri, TelUri
from voicedock.sip.via import Via, parse_via, parse_via_list


class NameTests(SynchronousTestCase):
    def test_compact_and_case(self) -> None:
        for name, key in (
            ("v", "via"),
            ("VIA", "via"),
            ("i", "call-id"),
            ("m", "contact"),
            ("l", "content-length"),
            ("c", "content-type"),
            ("f", "from"),
            ("t", "to"),
            ("k", "supported"),
            ("s", "subject"),
            ("e", "content-encoding"),
            ("o", "event"),
            ("r", "refer-to"),
            ("u", "allow-events"),
            ("b", "referred-by"),
            ("X-Custom", "x-custom"),
        ):
            self.assertEqual(canonical_key(name), key)
        self.assertEqual(canonical_name("i"), "Call-ID")
        self.assertEqual(canonical_name("cseq"), "CSeq")
        self.assertEqual(canonical_name("X-Custom"), "X-Custom")

    def test_header_refuses_injection(self) -> None:
        self.assertRaises(ValueError, Header, "Subject", "hi\r\nVia: evil")
        self.assertRaises(ValueError, Header, "Bad Name", "x")


class ViaTests(SynchronousTestCase):
    def test_parse(self) -> None:
        via = parse_via("SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport")
        self.assertEqual(
            via,
            Via(
                "UDP",
                "pc33.atlanta.example.com",
                5066,
                Parameters((("branch", "z9hG4bK776asdhds"), ("rport", None))),
            ),
        )
        self.assertTrue(via.wants_rport)
        self.assertIsNone(via.rport)
        self.assertTrue(via.is_rfc3261_branch)
        self.assertEqual(via.sent_by, "pc33.atlanta.example.com:5066")

    def test_lws_everywhere(self) -> None:
        via = parse_via("SIP  /   2.0 / tcp  spindle.example.com   ; branch  =   z9hG4bK9ikj8")
        self.assertEqual(
            (via.transport, via.host, via.branch), ("TCP", "spindle.example.com", "z9hG4bK9ikj8")
        )

    def test_received_rport_filled(self) -> None:
        via = parse_via("SIP/2.0/UDP 10.0.0.1:5060;rport=40000;received=192.0.2.7;branch=z9hG4bKx")
        self.assertEqual((via.rport, via.received), (40000, "192.0.2.7"))

    def test_ipv6(self) -> None:
        via = parse_via("SIP/2.0/UDP [2001:db8::9:1]:6050;received=2001:db8::9:255;branch=z9hG4bKa")
        self.assertEqual(
            (via.host, via.port, via.received), ("2001:db8::9:1", 6050, "2001:db8::9:255")
        )
        self.assertEqual(
            str(via), "SIP/2.0/UDP [2001:db8::9:1]:6050;received=2001:db8::9:255;branch=z9hG4bKa"
        )

    def test_list(self) -> None:
        vias = parse_via_list("SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/TCP b:5070;branch=z9hG4bK2")
        self.assertEqual([(v.host, v.port) for v in vias], [("a", None), ("b", 5070)])

    def test_errors(self) -> None:
        for text in (
            "SIP/2.0/UDP 192.0.2.15;;",
            "SIP/2.0/UDP",
            "SIP/2.0 192.0.2.1",
            "SIP/2.0/UDP host;received=not-an-ip",
            "SIP/2.0/UDP host;rport=abc",
            "SIP/2.0/UDP host;branch=",
            "SIP/2.0/UDP host:99999",
            "SIP/2.0/UDP host junk",
        ):
            self.assertRaises(SipParseError, parse_via, text)
        self.assertRaises(SipParseError, parse_via_list, "SIP/2.0/UDP a,,SIP/2.0/UDP b")

    def test_with_param_roundtrip(self) -> None:
        via = parse_via("SIP/2.0/UDP host;branch=z9hG4bKx;rport").with_param("rport", "1234")
        self.assertEqual(str(via), "SIP/2.0/UDP host;branch=z9hG4bKx;rport=1234")
        self.assertEqual(parse_via(str(via)), via)


class AddressTests(SynchronousTestCase):
    def test_name_addr(self) -> None:
        address = parse_address('"Mr. Watson" <sip:watson@worcester.example.com>;tag=1928301774')
        self.assertEqual(address.display_name, "Mr. Watson")
        self.assertEqual(address.tag, "1928301774")
        self.assertEqual(address.uri, SipUri("worcester.example.com", "watson"))

    def test_addr_spec_params_are_header_params(self) -> None:
        address = parse_address("sip:+12125551212@server.example.com;tag=887s")
        self.assertEqual(address.uri.params, Parameters())
        self.assertEqual(address.tag, "887s")

    def test_token_display_name_without_space(self) -> None:
        self.assertEqual(parse_address("caller<sip:c@example.com>").display_name, "caller")

    def test_quoted_pairs(self) -> None:
        address = parse_address(r'"a \"b\" \\ c" <sip:x@y>')
        self.assertEqual(address.display_name, 'a "b" \\ c')
        self.assertEqual(parse_address(str(address)), address)

    def test_tel(self) -> None:
        self.assertEqual(parse_address("<tel:+15551234>;tag=x").uri, TelUri("+15551234"))

    def test_errors(self) -> None:
        for text in (
            '"unterminated <sip:a@b>',
            "Bell, Alexander <sip:a@b>",
            "< sip:a@b >",
            "sip:a@b?Route=x",
            "<sip:a@b>;;",
            "<sip:a@b",
            "<sip:a@b> junk",
        ):
            self.assertRaises(SipParseError, parse_address, text)

    def test_list_respects_quotes_and_brackets(self) -> None:
        addresses = parse_address_list('"Doe, John" <sip:j@a;x=1>, <sip:k@b>;q=0.5')
        self.assertEqual([a.display_name for a in addresses], ["Doe, John", None])
        self.assertEqual(addresses[1].params.get("q"), "0.5")

    def test_name_addr_only(self) -> None:
        self.assertRaises(
            SipParseError, parse_address_list, "sip:p1.example.com;lr", name_addr_only=True
        )

    def test_with_tag(self) -> None:
        address = Address(SipUri("example.com", "bob"), "Bob").with_tag("a6c85cf")
        self.assertEqual(str(address), '"Bob" <sip:bob@example.com>;tag=a6c85cf')
        self.assertRaises(ValueError, Address(SipUri("h")).with_tag, "bad tag")


class ScalarTests(SynchronousTestCase):
    def test_cseq(self) -> None:
        self.assertEqual(parse_cseq("0009   INVITE"), CSeq(9, "INVITE"))
        self.assertEqual(parse_cseq("4294967295 ACK"), CSeq(4294967295, "ACK"))
        for text in ("4294967296 ACK", "INVITE", "1", "1INVITE", "-1 INVITE", "1 INVITE x"):
            self.assertRaises(SipParseError, parse_cseq, text)
        self.assertRaises(ValueError, str, CSeq(1, "BAD METHOD"))

    def test_media_type(self) -> None:
        media = parse_media_type('multipart/mixed ; boundary="7a9c"')
        self.assertEqual(
            (media.essence, media.params.get("boundary")), ("multipart/mixed", '"7a9c"')
        )
        self.assertEqual(unquote(media.params.get("boundary")), "7a9c")
        self.assertRaises(SipParseError, parse_media_type, "application")

    def test_token_list(self) -> None:
        self.assertEqual(parse_token_list("100rel , timer", "Supported"), ("100rel", "timer"))
        self.assertEqual(parse_token_list("", "Supported"), ())
        self.assertRaises(SipParseError, parse_token_list, "a b", "Require")


class GrammarTests(SynchronousTestCase):
    def test_quote_roundtrip(self) -> None:
        for text in ("", 'a"b', "back\\slash", "\x00\x07"):
            self.assertEqual(unquote(quote(text)), text)
        self.assertRaises(ValueError, quote, "a\r\nb")

    def test_split_commas(self) -> None:
        self.assertEqual(split_commas('a, "b,c" <d,e>, f', "x"), ["a", '"b,c" <d,e>', "f"])
        self.assertRaises(SipParseError, split_commas, "a,,b", "x")
        self.assertRaises(SipParseError, split_commas, '"a', "x")
