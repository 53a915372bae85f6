"""Datagram and stream parsing, framing and limits (RFC 3261 §7, §18.3)."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.corpus import raw_bytes
from tests.sip.helpers import OK_200, SDP_OFFER, invite
from voicedock.sip.errors import FramingError, MessageTooLarge, SipParseError, TooManyHeaders
from voicedock.sip.message import Request
from voicedock.sip.parser import ParserLimits, StreamParser, parse_datagram
from voicedock.sip.stateless import error_response


class DatagramTests(SynchronousTestCase):
    def test_leading_crlf_skipped(self) -> None:
        self.assertEqual(parse_datagram(b"\r\n\r\n" + OK_200), parse_datagram(OK_200))

    def test_no_content_length_body_is_rest(self) -> None:
        wire = invite().replace(b"Content-Length: %d\r\n" % len(SDP_OFFER), b"")
        self.assertEqual(parse_datagram(wire).body, SDP_OFFER)

    def test_octets_after_content_length_ignored(self) -> None:
        self.assertEqual(parse_datagram(invite() + b"garbage").body, SDP_OFFER)

    def test_content_length_beyond_datagram(self) -> None:
        error = self.assertRaises(SipParseError, parse_datagram, invite()[:-5])
        self.assertEqual(error.reason, "Content-Length larger than the message body")

    def test_folding(self) -> None:
        m = parse_datagram(OK_200.replace(b"CSeq: 314159 INVITE", b"CSeq: 314159\r\n\t INVITE"))
        self.assertEqual(m.header("CSeq"), "314159 INVITE")

    def test_version_exposed(self) -> None:
        m = parse_datagram(invite().replace(b"SIP/2.0\r\n", b"SIP/3.1\r\n", 1))
        self.assertEqual(m.version, "SIP/3.1")

    def test_malformed_start_lines(self) -> None:
        for line in (
            b"INVITE sip:a@b",
            b"INVITE  sip:a@b SIP/2.0",
            b"INVITE sip:a@b SIP/2.0 ",
            b"INVITE sip:a@b HTTP/1.1",
            b"SIP/2.0 1000 Big",
            b"SIP/2.0 099 Small",
            b"SIP/2.0 abc OK",
            b"\x00\x01\x02",
            b"GET / HTTP/1.1",
        ):
            wire = line + b"\r\n" + invite().split(b"\r\n", 1)[1]
            self.assertRaises(SipParseError, parse_datagram, wire)

    def test_bare_lf_refused(self) -> None:
        self.assertRaises(SipParseError, parse_datagram, invite().replace(b"\r\nCSeq", b"\nCSeq"))

    def test_header_without_colon(self) -> None:
        error = self.assertRaises(
            SipParseError, parse_datagram, invite().replace(b"User-Agent:", b"User-Agent")
        )
        self.assertEqual(error.reason, "malformed header line")
        self.assertEqual(error_response(error).status, 400)

    def test_too_many_headers(self) -> None:
        extra = b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(10))
        limits = ParserLimits(max_headers=15)
        error = self.assertRaises(TooManyHeaders, parse_datagram, invite(extra=extra), limits)
        self.assertEqual(error.reason, "more than 15 header fields")
        self.assertEqual(error_response(error).status, 400)

    def test_too_large(self) -> None:
        limits = ParserLimits(max_message_size=300)
        error = self.assertRaises(MessageTooLarge, parse_datagram, invite(), limits)
        response = error_response(error)
        self.assertEqual((response.status, response.reason), (513, "message too large"))

    def test_empty(self) -> None:
        error = self.assertRaises(SipParseError, parse_datagram, b"")
        self.assertIsNone(error_response(error))

    def test_ack_never_answered(self) -> None:
        wire = (
            invite()
            .replace(b"INVITE sip:", b"ACK sip:")
            .replace(b"CSeq: 314159 INVITE", b"CSeq: 314159 ACK")
        )
        error = self.assertRaises(SipParseError, parse_datagram, wire.replace(b"From:", b"Frm"))
        self.assertIsNone(error_response(error))


class StreamTests(SynchronousTestCase):
    def test_byte_by_byte(self) -> None:
        parser = StreamParser()
        data = invite() + OK_200
        out = []
        for i in range(len(data)):
            out.extend(parser.feed(data[i : i + 1]))
        self.assertEqual(out, [parse_datagram(invite()), parse_datagram(OK_200)])
        self.assertEqual(parser.buffered, 0)

    def test_coalesced(self) -> None:
        parser = StreamParser()
        out = parser.feed(b"\r\n\r\n" + invite() + OK_200 + invite(branch="z9hG4bK2")[:40])
        self.assertEqual(len(out), 2)
        self.assertEqual(parser.buffered, 40)
        out = parser.feed(invite(branch="z9hG4bK2")[40:])
        self.assertEqual(out[0].top_via.branch, "z9hG4bK2")

    def test_content_length_mandatory(self) -> None:
        parser = StreamParser()
        wire = invite().replace(b"Content-Length: %d\r\n" % len(SDP_OFFER), b"")
        [error] = parser.feed(wire)
        self.assertIsInstance(error, FramingError)
        self.assertTrue(parser.broken)
        self.assertEqual(parser.feed(OK_200), [])

    def test_negative_and_conflicting_lengths_close(self) -> None:
        for name in ("ncl.dat", "mcl01.dat"):
            parser = StreamParser()
            items = parser.feed(raw_bytes("rfc4475", name) + OK_200)
            self.assertEqual(len(items), 1)
            self.assertIsInstance(items[0], FramingError)
            self.assertEqual(error_response(items[0]).status, 400)
            self.assertTrue(parser.broken)

    def test_bad_content_keeps_stream(self) -> None:
        parser = StreamParser()
        bad = raw_bytes("rfc4475", "badinv01.dat")
        items = parser.feed(bad + OK_200)
        self.assertIsInstance(items[0], SipParseError)
        self.assertEqual(items[1], parse_datagram(OK_200))
        self.assertFalse(parser.broken)

    def test_clerr_waits(self) -> None:
        parser = StreamParser()
        self.assertEqual(parser.feed(raw_bytes("rfc4475", "clerr.dat")), [])
        self.assertGreater(parser.buffered, 0)

    def test_oversize_header_section(self) -> None:
        parser = StreamParser(ParserLimits(max_message_size=1000))
        [error] = parser.feed(b"INVITE sip:a@b SIP/2.0\r\n" + b"X: " + b"a" * 2000)
        self.assertIsInstance(error, MessageTooLarge)
        self.assertTrue(parser.broken)

    def test_oversize_body_answers_513(self) -> None:
        parser = StreamParser(ParserLimits(max_message_size=1000))
        wire = invite().replace(b"Content-Length: %d" % len(SDP_OFFER), b"Content-Length: 5000")
        [error] = parser.feed(wire)
        self.assertIsInstance(error, MessageTooLarge)
        self.assertEqual(error_response(error).status, 513)

    def test_keepalive_between_messages(self) -> None:
        parser = StreamParser()
        out = parser.feed(OK_200 + b"\r\n\r\n" + OK_200)
        self.assertEqual(len(out), 2)
        self.assertIsInstance(parser.feed(b"\r\n\r\n"), list)
        self.assertEqual(parser.buffered, 0)

    def test_messages_are_requests(self) -> None:
        [m] = StreamParser().feed(invite())
        self.assertIsInstance(m, Request)
