"""
The request path's shortcuts give exactly what the general code gives: the
plain ``;name=token`` parameter reader, fields the parser builds without
re-checking them, and make_response's reuse of the request's parsed To.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from voicedock.sip.errors import SipParseError
from voicedock.sip.grammar import Scanner
from voicedock.sip.headers import Header
from voicedock.sip.message import Request, make_response
from voicedock.sip.params import NO_PARAMETERS, Parameters, parse_header_params
from voicedock.sip.parser import parse_datagram
from voicedock.sip.uri import SipUri
from voicedock.sip.via import parse_via

TOKEN_ALPHABET = "abcXYZ019-.!%*_+`'~"
tokens = st.text(TOKEN_ALPHABET, min_size=1, max_size=6)
values = st.one_of(
    st.none(),
    tokens,
    tokens.map(lambda t: f'"{t} x"'),  # quoted: general path
    st.just("[2001:db8::1]"),  # IPv6 reference: general path
)
params_lists = st.lists(st.tuples(tokens, values), max_size=5)


def written(items: list[tuple[str, str | None]], lws: str) -> str:
    return "".join(
        f"{lws};{lws}{name}" if value is None else f"{lws};{lws}{name}{lws}={lws}{value}"
        for name, value in items
    )


def read(text: str, *, bare_ipv6: bool = False) -> tuple[Parameters, int]:
    scanner = Scanner(text, "test")
    params = parse_header_params(scanner, bare_ipv6=bare_ipv6)
    return params, scanner.pos


class HeaderParamTests(SynchronousTestCase):
    @given(params_lists)
    def test_plain_and_spaced_read_alike(self, items: list[tuple[str, str | None]]) -> None:
        """Without LWS most parameters take the one-match path; with LWS none can."""
        plain, plain_end = read(written(items, ""))
        spaced, spaced_end = read(written(items, " "))
        self.assertEqual(plain, Parameters(tuple(items)))
        self.assertEqual(spaced, plain)
        self.assertEqual((plain_end, spaced_end), (len(written(items, "")), len(written(items, " "))))

    def test_stops_where_the_general_reader_stops(self) -> None:
        self.assertEqual(read(";lr>x"), (Parameters((("lr", None),)), 3))
        self.assertEqual(read(";a=b ,c"), (Parameters((("a", "b"),)), 5))
        self.assertEqual(read(";a=b?x"), (Parameters((("a", "b"),)), 4))

    def test_bare_ipv6_value_is_not_cut_at_a_colon(self) -> None:
        params, _ = read(";received=fe80::1;rport=5060", bare_ipv6=True)
        self.assertEqual(params, Parameters((("received", "fe80::1"), ("rport", "5060"))))
        via = parse_via("SIP/2.0/UDP [fe80::1]:5060;received=fe80::2;branch=z9hG4bKa")
        self.assertEqual(via.received, "fe80::2")

    def test_via_plain_and_spaced_read_alike(self) -> None:
        plain = parse_via("SIP/2.0/udp pc33.example.com:5060;branch=z9hG4bKa;rport")
        spaced = parse_via("SIP / 2.0 / udp \t pc33.example.com : 5060 ; branch = z9hG4bKa ;rport")
        self.assertEqual(plain, spaced)
        self.assertEqual((plain.transport, plain.host, plain.port), ("UDP", "pc33.example.com", 5060))
        self.assertEqual(parse_via("SIP/2.0/UDP h:0005060").port, 5060)  # leading zeros
        self.assertEqual(parse_via("SIP/2.0/UDP [::1]:5060").host, "::1")
        for bad in ("SIP/2.0/UDP h:65536", "SIP/2.0/UDP h:", "SIP/2.0/UDP -h", "SIP/2.0/UDP h x"):
            self.assertRaises(SipParseError, parse_via, bad)

    def test_empty_lists_are_shared(self) -> None:
        self.assertIs(read("")[0], NO_PARAMETERS)
        self.assertEqual(NO_PARAMETERS, Parameters())


OPTIONS = (
    b"OPTIONS sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-0\r\n"
    b"f: <sip:sipp@127.0.0.1:5061>;tag=1\r\n"
    b"t: <sip:service@127.0.0.1:5060>\r\n"
    b"i: 1-1@127.0.0.1\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Max-Forwards: 70\r\n"
    b"l: 0\r\n"
    b"\r\n"
)


class ParsedFieldTests(SynchronousTestCase):
    def test_parsed_fields_equal_checked_ones(self) -> None:
        message = parse_datagram(OPTIONS)
        rebuilt = tuple(Header(h.name, h.value) for h in message.headers)
        self.assertEqual(message.headers, rebuilt)
        self.assertEqual([h.key for h in message.headers], [h.key for h in rebuilt])
        self.assertEqual(hash(message.headers), hash(rebuilt))

    def test_lookups_by_any_spelling(self) -> None:
        message = parse_datagram(OPTIONS)
        self.assertEqual(message.header_values("VIA"), (
            "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-0"))
        self.assertEqual(message.header("call-id"), "1-1@127.0.0.1")
        self.assertIsNone(message.header("Require"))
        self.assertEqual(message.token_list("Require"), ())
        self.assertIs(message.from_address, message.from_address)  # parsed once


class MakeResponseTests(SynchronousTestCase):
    def test_same_as_the_raw_field_copy(self) -> None:
        request = parse_datagram(OPTIONS)
        response = make_response(request, 200, to_tag="abc",
                                 headers=[("l", "7"), ("Allow", "OPTIONS")], body=b"x",
                                 content_type="text/plain")
        self.assertEqual(
            [(h.name, h.value) for h in response.headers],
            [("v", "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1"),
             ("Via", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-0"),
             ("f", "<sip:sipp@127.0.0.1:5061>;tag=1"),
             ("t", "<sip:service@127.0.0.1:5060>;tag=abc"),
             ("i", "1-1@127.0.0.1"),
             ("CSeq", "1 OPTIONS"),
             ("l", "1"),  # the caller's Content-Length spelling and place, the body's length
             ("Allow", "OPTIONS"),
             ("Content-Type", "text/plain")])
        self.assertEqual(parse_datagram(response.to_bytes()), response)

    def test_two_to_fields_use_the_first(self) -> None:
        request = Request("OPTIONS", SipUri("example.com"), (
            Header("Via", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-0"),
            Header("To", "<sip:a@example.com>"), Header("To", "<sip:b@example.com>;tag=x"),
        ))
        response = make_response(request, 200, to_tag="abc")
        self.assertEqual(response.header_values("To"), ("<sip:a@example.com>;tag=abc",))

    def test_bad_tag_still_refused(self) -> None:
        request = parse_datagram(OPTIONS)
        self.assertRaises(ValueError, make_response, request, 200, to_tag="a b")
