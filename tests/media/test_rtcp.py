"""RTCP compound packets (RFC 3550 §6): parse anything, build the minimal reports."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from voicedock.media.rtcp import (
    Goodbye,
    OtherRtcp,
    ReceiverReport,
    ReportBlock,
    RtcpParseError,
    SenderReport,
    SourceDescription,
    build_goodbye,
    build_report,
    ntp_timestamp,
    parse_rtcp,
)


class BuildParseTests(SynchronousTestCase):
    def test_sender_report_with_block_and_cname(self) -> None:
        block = ReportBlock(0xAAAA, 64, 17, 70000, 123, 0x12345678, 65536)
        data = build_report(0x1234, b"vd@host", (block,), (ntp_timestamp(1.5), 8000, 50, 8000))
        self.assertEqual(len(data) % 4, 0)
        sr, sdes = parse_rtcp(data)
        self.assertEqual(sr, SenderReport(0x1234, (2208988801 << 32) | 0x80000000, 8000, 50, 8000, (block,)))
        self.assertEqual(sdes, SourceDescription(((0x1234, ((1, b"vd@host"),)),)))

    def test_receiver_report(self) -> None:
        (rr, _) = parse_rtcp(build_report(7, b"x"))
        self.assertEqual(rr, ReceiverReport(7, ()))

    def test_negative_cumulative_loss_keeps_its_sign(self) -> None:
        block = ReportBlock(1, 0, -3, 10, 0, 0, 0)
        (rr, _) = parse_rtcp(build_report(7, b"x", (block,)))
        self.assertEqual(rr.reports[0].cumulative_lost, -3)  # type: ignore[union-attr]

    def test_goodbye(self) -> None:
        packets = parse_rtcp(build_goodbye(9, b"cname", b"hangup"))
        self.assertEqual(packets[-1], Goodbye((9,), b"hangup"))
        self.assertIsInstance(packets[0], ReceiverReport)

    def test_unknown_types_are_tolerated(self) -> None:
        app = struct.pack("!BBHI4s", 0x80, 204, 2, 5, b"test")
        xr = struct.pack("!BBHI", 0x80, 207, 1, 5)
        packets = parse_rtcp(build_report(5, b"c") + app + xr)
        self.assertEqual(packets[2:], [OtherRtcp(204, struct.pack("!I4s", 5, b"test")), OtherRtcp(207, struct.pack("!I", 5))])

    def test_ntp_timestamp(self) -> None:
        self.assertEqual(ntp_timestamp(0.0), 2208988800 << 32)
        self.assertEqual(ntp_timestamp(0.25) & 0xFFFFFFFF, 1 << 30)


class MalformedTests(SynchronousTestCase):
    def test_malformed(self) -> None:
        cases = {
            "short": b"\x80\xc8",
            "version": b"\x40\xc9\x00\x01" + bytes(4),
            "length past end": b"\x80\xc9\x00\x05" + bytes(4),
            "sr too short": b"\x80\xc8\x00\x01" + bytes(4),
            "blocks past end": b"\x81\xc9\x00\x01" + bytes(4),
            "trailing bytes": build_report(1, b"c") + b"\x80",
            "zero padding": b"\xa0\xc9\x00\x01" + bytes(4),
            "sdes item past end": b"\x81\xca\x00\x02" + bytes(4) + b"\x01\x09ab",
            "bye past end": b"\x82\xcb\x00\x01" + bytes(4),
        }
        for name, data in cases.items():
            with self.subTest(name):  # type: ignore[attr-defined]
                self.assertRaises(RtcpParseError, parse_rtcp, data)

    @given(st.binary(max_size=80))
    def test_anything_parses_or_raises_parse_error(self, data: bytes) -> None:
        try:
            parse_rtcp(data)
        except RtcpParseError:
            pass

    @given(st.lists(st.integers(0, 255), min_size=4, max_size=80))
    def test_valid_headers_random_bodies(self, body: list[int]) -> None:
        data = bytes([0x80 | (body[0] & 0x1F), 200 + body[1] % 8]) + struct.pack("!H", (len(body) - 4 + 3) // 4) + bytes(body[4:])
        data += bytes(-len(data) % 4)
        try:
            parse_rtcp(data)
        except RtcpParseError:
            pass
