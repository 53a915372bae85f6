"""RTP packet parsing and building (RFC 3550 §5.1, §5.3.1)."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from voicedock.media.packet import RtpPacket, RtpParseError, build_rtp, looks_like_rtcp, parse_rtp


class ParseTests(SynchronousTestCase):
    def test_plain_packet(self) -> None:
        data = bytes.fromhex("80 00 03e8 00027100 5eed1234") + b"\xff" * 160
        packet = parse_rtp(data)
        self.assertEqual(
            (packet.payload_type, packet.sequence, packet.timestamp, packet.ssrc, packet.marker),
            (0, 1000, 160_000, 0x5EED1234, False),
        )
        self.assertEqual(packet.payload, b"\xff" * 160)
        self.assertEqual((packet.csrcs, packet.extension), ((), None))

    def test_marker_and_payload_type(self) -> None:
        packet = parse_rtp(build_rtp(101, 7, 8, 9, b"\x05\x0a\x00\xa0", marker=True))
        self.assertEqual((packet.payload_type, packet.marker), (101, True))

    def test_csrc_extension_and_padding_are_skipped(self) -> None:
        header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 8, 5, 6, 7)
        csrcs = struct.pack("!II", 11, 12)
        extension = struct.pack("!HH", 0xBEDE, 1) + b"\x10\xaa\x00\x00"
        payload = b"\xd5" * 160
        padding = b"\x00\x00\x00\x04"
        packet = parse_rtp(header + csrcs + extension + payload + padding)
        self.assertEqual(packet.csrcs, (11, 12))
        self.assertEqual(packet.extension, (0xBEDE, b"\x10\xaa\x00\x00"))
        self.assertEqual(packet.payload, payload)
        self.assertEqual(packet.payload_type, 8)

    def test_to_bytes_round_trip_with_everything(self) -> None:
        packet = RtpPacket(96, 65535, 2**32 - 1, 1, b"abc", True, (1, 2, 3), (0x1000, b"wxyz"))
        self.assertEqual(parse_rtp(packet.to_bytes()), packet)

    def test_malformed(self) -> None:
        cases = {
            "short": b"\x80\x00\x00",
            "version 1": b"\x40" + bytes(11),
            "version 0": bytes(12),
            "csrc past end": b"\x83" + bytes(11) + bytes(8),
            "extension header past end": b"\x90" + bytes(11) + b"\x00\x00",
            "extension past end": b"\x90" + bytes(11) + b"\x00\x00\x00\x05" + bytes(4),
            "zero padding": b"\xa0" + bytes(11) + b"\x01\x00",
            "padding past header": b"\xa0" + bytes(11) + b"\x00\x09",
        }
        for name, data in cases.items():
            with self.subTest(name):  # type: ignore[attr-defined]
                self.assertRaises(RtpParseError, parse_rtp, data)

    @given(st.binary(max_size=64))
    def test_anything_parses_or_raises_parse_error(self, data: bytes) -> None:
        try:
            packet = parse_rtp(data)
        except RtpParseError:
            return
        self.assertLessEqual(len(packet.payload), len(data) - 12)

    @given(
        st.integers(0, 127),
        st.integers(0, 65535),
        st.integers(0, 2**32 - 1),
        st.integers(0, 2**32 - 1),
        st.binary(max_size=200),
        st.booleans(),
    )
    def test_build_parse_round_trip(self, pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool) -> None:
        packet = parse_rtp(build_rtp(pt, seq, ts, ssrc, payload, marker))
        self.assertEqual(packet, RtpPacket(pt, seq, ts, ssrc, payload, marker))

    def test_rtcp_multiplexed_is_recognised(self) -> None:
        self.assertTrue(looks_like_rtcp(b"\x80\xc8\x00\x06"))  # SR
        self.assertTrue(looks_like_rtcp(b"\x81\xc9\x00\x07"))  # RR
        self.assertFalse(looks_like_rtcp(build_rtp(0, 1, 2, 3, b"")))
        self.assertFalse(looks_like_rtcp(build_rtp(101, 1, 2, 3, b"", marker=True)))
