# -*- test-case-name: tests.media.test_rtcp -*-
"""
RTCP (RFC 3550 §6): read compound packets without tripping on anything, and
build the minimal compound report we send (SR or RR, then SDES CNAME, §6.1).

Packet types we do not use (APP, XR, feedback, ...) are parsed as
L{OtherRtcp} and ignored by the caller; malformed input raises
L{RtcpParseError} and nothing else.
"""

from __future__ import annotations

import struct

import attr

__all__ = [
    "RtcpParseError",
    "ReportBlock",
    "SenderReport",
    "ReceiverReport",
    "SourceDescription",
    "Goodbye",
    "OtherRtcp",
    "RtcpPacket",
    "parse_rtcp",
    "build_report",
    "build_goodbye",
    "ntp_timestamp",
    "NTP_EPOCH_OFFSET",
]

SR, RR, SDES, BYE = 200, 201, 202, 203
SDES_CNAME = 1
NTP_EPOCH_OFFSET = 2208988800
"""Seconds from the NTP epoch (1900) to the Unix epoch (1970)."""

_COMMON = struct.Struct("!BBH")
_BLOCK = struct.Struct("!IIIIII")
_SENDER_INFO = struct.Struct("!IIIIII")


class RtcpParseError(ValueError):
    """The datagram is not a well-formed RTCP compound packet (RFC 3550 §6.4)."""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ReportBlock:
    """One reception report block (RFC 3550 §6.4.1)."""

    ssrc: int
    fraction_lost: int
    """Fraction lost since the previous report, in 1/256."""
    cumulative_lost: int
    """Signed 24-bit cumulative number of packets lost."""
    highest_sequence: int
    """Extended highest sequence number received."""
    jitter: int
    """Interarrival jitter in timestamp units."""
    last_sr: int
    delay_since_last_sr: int
    """In units of 1/65536 seconds."""

    def to_bytes(self) -> bytes:
        lost = max(-0x800000, min(0x7FFFFF, self.cumulative_lost)) & 0xFFFFFF
        return _BLOCK.pack(
            self.ssrc,
            (self.fraction_lost & 0xFF) << 24 | lost,
            self.highest_sequence & 0xFFFFFFFF,
            self.jitter & 0xFFFFFFFF,
            self.last_sr & 0xFFFFFFFF,
            self.delay_since_last_sr & 0xFFFFFFFF,
        )


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SenderReport:
    """SR (RFC 3550 §6.4.1)."""

    ssrc: int
    ntp_timestamp: int
    """64-bit NTP timestamp: seconds since 1900 in the top 32 bits."""
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()


@attr.s(frozen=True, slots=True, auto_attribs=True)
class ReceiverReport:
    """RR (RFC 3550 §6.4.2)."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SourceDescription:
    """SDES (RFC 3550 §6.5): C{(ssrc, ((item type, value), ...))} per chunk."""

    chunks: tuple[tuple[int, tuple[tuple[int, bytes], ...]], ...]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Goodbye:
    """BYE (RFC 3550 §6.6)."""

    ssrcs: tuple[int, ...]
    reason: bytes = b""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class OtherRtcp:
    """A packet type we tolerate but do not use (APP, XR, RTPFB, ...)."""

    packet_type: int
    body: bytes


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | OtherRtcp


def ntp_timestamp(unix_seconds: float) -> int:
    """64-bit NTP timestamp of a Unix time (RFC 3550 §4)."""
    ntp = unix_seconds + NTP_EPOCH_OFFSET
    whole = int(ntp)
    return (whole & 0xFFFFFFFF) << 32 | int((ntp - whole) * 4294967296.0) & 0xFFFFFFFF


def _blocks(data: bytes, offset: int, count: int, end: int) -> tuple[ReportBlock, ...]:
    if offset + count * _BLOCK.size > end:
        raise RtcpParseError("report blocks run past the end of the packet")
    blocks = []
    for index in range(count):
        ssrc, loss, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(data, offset + index * _BLOCK.size)
        cumulative = loss & 0xFFFFFF
        if cumulative & 0x800000:
            cumulative -= 0x1000000
        blocks.append(ReportBlock(ssrc, loss >> 24, cumulative, highest, jitter, lsr, dlsr))
    return tuple(blocks)


def _parse_sdes(data: bytes, offset: int, count: int, end: int) -> SourceDescription:
    chunks = []
    for _ in range(count):
        if offset + 4 > end:
            raise RtcpParseError("SDES chunk runs past the end of the packet")
        (ssrc,) = struct.unpack_from("!I", data, offset)
        offset += 4
        items = []
        while True:
            if offset >= end:
                raise RtcpParseError("SDES items run past the end of the packet")
            item_type = data[offset]
            if item_type == 0:
                offset = (offset + 4) & ~3  # the null item, then pad to a word
                break
            if offset + 2 > end or offset + 2 + data[offset + 1] > end:
                raise RtcpParseError("SDES item runs past the end of the packet")
            length = data[offset + 1]
            items.append((item_type, bytes(data[offset + 2 : offset + 2 + length])))
            offset += 2 + length
        chunks.append((ssrc, tuple(items)))
    return SourceDescription(tuple(chunks))


def _parse_bye(data: bytes, offset: int, count: int, end: int) -> Goodbye:
    if offset + 4 * count > end:
        raise RtcpParseError("BYE SSRC list runs past the end of the packet")
    ssrcs = struct.unpack_from(f"!{count}I", data, offset)
    offset += 4 * count
    reason = b""
    if offset < end:
        length = data[offset]
        if offset + 1 + length > end:
            raise RtcpParseError("BYE reason runs past the end of the packet")
        reason = bytes(data[offset + 1 : offset + 1 + length])
    return Goodbye(tuple(ssrcs), reason)


def parse_rtcp(datagram: bytes) -> list[RtcpPacket]:
    """
    Parse a compound RTCP packet (RFC 3550 §6.1) into its parts.

    @raise RtcpParseError: wrong version, a length field running past the
        datagram, or truncated contents.
    """
    packets: list[RtcpPacket] = []
    offset, size = 0, len(datagram)
    if size < 4:
        raise RtcpParseError("datagram shorter than an RTCP header")
    while offset < size:
        if offset + 4 > size:
            raise RtcpParseError("trailing bytes after the last RTCP packet")
        first, packet_type, words = _COMMON.unpack_from(datagram, offset)
        if first >> 6 != 2:
            raise RtcpParseError(f"RTCP version {first >> 6}, expected 2")
        end = offset + 4 * (words + 1)
        if end > size:
            raise RtcpParseError("RTCP length field runs past the end of the datagram")
        if first & 0x20:
            padding = datagram[end - 1]
            if padding == 0 or padding > end - offset - 4:
                raise RtcpParseError(f"bad RTCP padding length {padding}")
            body_end = end - padding
        else:
            body_end = end
        count = first & 0x1F
        body = offset + 4
        if packet_type == SR:
            if body + _SENDER_INFO.size > body_end:
                raise RtcpParseError("SR shorter than its sender info")
            ssrc, ntp_high, ntp_low, rtp_ts, packets_sent, octets = _SENDER_INFO.unpack_from(datagram, body)
            blocks = _blocks(datagram, body + _SENDER_INFO.size, count, body_end)
            packets.append(SenderReport(ssrc, ntp_high << 32 | ntp_low, rtp_ts, packets_sent, octets, blocks))
        elif packet_type == RR:
            if body + 4 > body_end:
                raise RtcpParseError("RR shorter than its SSRC")
            (ssrc,) = struct.unpack_from("!I", datagram, body)
            packets.append(ReceiverReport(ssrc, _blocks(datagram, body + 4, count, body_end)))
        elif packet_type == SDES:
            packets.append(_parse_sdes(datagram, body, count, body_end))
        elif packet_type == BYE:
            packets.append(_parse_bye(datagram, body, count, body_end))
        else:
            packets.append(OtherRtcp(packet_type, bytes(datagram[body:body_end])))
        offset = end
    return packets


def _header(count: int, packet_type: int, body: bytes) -> bytes:
    return _COMMON.pack(0x80 | count, packet_type, len(body) // 4) + body


def _sdes_cname(ssrc: int, cname: bytes) -> bytes:
    chunk = struct.pack("!IBB", ssrc, SDES_CNAME, len(cname)) + cname + b"\x00"
    chunk += b"\x00" * (-len(chunk) % 4)
    return _header(1, SDES, chunk)


def build_report(
    ssrc: int,
    cname: bytes,
    blocks: tuple[ReportBlock, ...] = (),
    sender_info: tuple[int, int, int, int] | None = None,
) -> bytes:
    """
    A compound report: SR when C{sender_info} (NTP timestamp, RTP timestamp,
    packet count, octet count) is given, RR otherwise, then SDES CNAME.
    """
    reports = b"".join(block.to_bytes() for block in blocks[:31])
    if sender_info is not None:
        ntp, rtp_ts, packet_count, octet_count = sender_info
        body = _SENDER_INFO.pack(
            ssrc,
            ntp >> 32 & 0xFFFFFFFF,
            ntp & 0xFFFFFFFF,
            rtp_ts & 0xFFFFFFFF,
            packet_count & 0xFFFFFFFF,
            octet_count & 0xFFFFFFFF,
        )
        first = _header(len(blocks[:31]), SR, body + reports)
    else:
        first = _header(len(blocks[:31]), RR, struct.pack("!I", ssrc) + reports)
    return first + _sdes_cname(ssrc, cname[:255])


def build_goodbye(ssrc: int, cname: bytes, reason: bytes = b"") -> bytes:
    """RR + SDES CNAME + BYE: what we send when a leg closes (RFC 3550 §6.6)."""
    body = struct.pack("!I", ssrc)
    if reason:
        reason = reason[:255]
        body += bytes((len(reason),)) + reason
        body += b"\x00" * (-len(body) % 4)
    return build_report(ssrc, cname) + _header(1, BYE, body)
