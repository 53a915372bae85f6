"""SIP, SIPS, tel and other URIs (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118)."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from voicedock.sip.errors import SipParseError
from voicedock.sip.params import Parameters
from voicedock.sip.uri import AbsoluteUri, SipUri, TelUri, parse_uri


class SipUriTests(SynchronousTestCase):
    def test_full_uri(self) -> None:
        uri = parse_uri(
            "sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr"
            "?subject=project%20x&priority=urgent"
        )
        self.assertEqual(
            uri,
            SipUri(
                host="atlanta.example.com",
                user="alice",
                password="secret",
                port=5061,
                params=Parameters((("transport", "tcp"), ("lr", None))),
                headers=(("subject", "project x"), ("priority", "urgent")),
                scheme="sips",
            ),
        )
        self.assertTrue(uri.is_secure)
        self.assertEqual(uri.transport, "tcp")
        self.assertTrue(uri.lr)

    def test_scheme_case_insensitive(self) -> None:
        self.assertEqual(parse_uri("SIP:bob@example.com").scheme, "sip")

    def test_escapes_decoded_once_and_reencoded(self) -> None:
        uri = parse_uri("sip:cal%6Cer@host;n%61me=v%61lue%25%34%31")
        self.assertEqual(uri.user, "caller")
        self.assertEqual(uri.params.get("name"), "value%41")
        self.assertEqual(str(uri), "sip:caller@host;name=value%2541")
        self.assertEqual(parse_uri(str(uri)), uri)

    def test_user_with_reserved_characters(self) -> None:
        uri = SipUri("example.com", user="I have spaces@home")
        self.assertEqual(str(uri), "sip:I%20have%20spaces%40home@example.com")
        self.assertEqual(parse_uri(str(uri)), uri)

    def test_bad_escape(self) -> None:
        self.assertRaises(SipParseError, parse_uri, "sip:us%zzer@example.com")

    def test_ipv6_reference_and_port(self) -> None:
        uri = parse_uri("sip:[2001:db8::10]:5070")
        self.assertEqual((uri.host, uri.port), ("2001:db8::10", 5070))
        self.assertEqual(str(uri), "sip:[2001:db8::10]:5070")

    def test_ipv6_port_never_read_inside_brackets(self) -> None:
        uri = parse_uri("sip:[2001:db8::10:5070]")
        self.assertEqual((uri.host, uri.port), ("2001:db8::10:5070", None))

    def test_ipv6_without_brackets_refused(self) -> None:
        self.assertRaises(SipParseError, parse_uri, "sip:2001:db8::10")

    def test_port_range(self) -> None:
        self.assertRaises(SipParseError, parse_uri, "sip:host:65536")
        self.assertEqual(parse_uri("sip:host:65535").port, 65535)

    def test_whitespace_refused(self) -> None:
        self.assertRaises(SipParseError, parse_uri, "sip:user@example.com; lr")

    def test_empty_param_refused(self) -> None:
        self.assertRaises(SipParseError, parse_uri, "sip:host;;lr")

    def test_with_params(self) -> None:
        uri = parse_uri("sip:host;transport=udp").with_params(transport="tcp", lr=None)
        self.assertEqual(str(uri), "sip:host;transport=tcp;lr")


class OtherUriTests(SynchronousTestCase):
    def test_tel(self) -> None:
        uri = parse_uri("tel:+1-201-555-0123;ext=1234")
        self.assertEqual(uri, TelUri("+1-201-555-0123", Parameters((("ext", "1234"),))))
        self.assertTrue(uri.is_global)
        self.assertEqual(str(uri), "tel:+1-201-555-0123;ext=1234")

    def test_tel_local_needs_digits(self) -> None:
        self.assertRaises(SipParseError, parse_uri, "tel:--")

    def test_absolute(self) -> None:
        self.assertEqual(
            parse_uri("http://www.example.com/a?b"), AbsoluteUri("http", "//www.example.com/a?b")
        )
        self.assertEqual(str(parse_uri("isbn:2983792873")), "isbn:2983792873")

    def test_no_scheme(self) -> None:
        for text in ("<sip:user@example.com>", "user@example.com", ":x", ""):
            self.assertRaises(SipParseError, parse_uri, text)
