# -*- test-case-name: tests.media.test_packet -*-
"""
RTP data packets (RFC 3550 §5.1): parse what a peer sends, build what we send.

Every field is parsed and tolerated: CSRC lists, a header extension (§5.3.1)
and padding (§5.1, P bit) are accepted and skipped over. Anything that is not a
well-formed version-2 packet raises L{RtpParseError} and nothing else.
"""

from __future__ import annotations

import struct

import attr

__all__ = ["RtpPacket", "RtpParseError", "parse_rtp", "build_rtp", "RTP_HEADER_SIZE"]

RTP_HEADER_SIZE = 12
_HEADER = struct.Struct("!BBHII")
_EXTENSION_HEADER = struct.Struct("!HH")


class RtpParseError(ValueError):
    """The datagram is not a well-formed RTP packet (RFC 3550 §5.1)."""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class RtpPacket:
    """One RTP data packet; C{payload} excludes padding."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extension: tuple[int, bytes] | None = None
    """C{(profile-defined 16 bits, extension data)} when the X bit is set (§5.3.1)."""

    def to_bytes(self) -> bytes:
        """The wire form (no padding)."""
        first = 0x80 | len(self.csrcs) | (0x10 if self.extension is not None else 0)
        parts = [
            _HEADER.pack(
                first,
                (0x80 if self.marker else 0) | self.payload_type,
                self.sequence,
                self.timestamp,
                self.ssrc,
            )
        ]
        parts.extend(struct.pack("!I", csrc) for csrc in self.csrcs)
        if self.extension is not None:
            profile, data = self.extension
            if len(data) % 4:
                raise ValueError("RTP header extension data must be a multiple of 4 bytes")
            parts.append(_EXTENSION_HEADER.pack(profile, len(data) // 4))
            parts.append(data)
        parts.append(self.payload)
        return b"".join(parts)


def build_rtp(payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    """The wire form of a plain packet (no CSRC, no extension): the send fast path."""
    return _HEADER.pack(0x80, (0x80 if marker else 0) | payload_type, sequence, timestamp, ssrc) + payload


def parse_rtp(datagram: bytes) -> RtpPacket:
    """
    Parse one RTP packet.

    @raise RtpParseError: wrong version, truncated header, CSRC list,
        extension or padding longer than the datagram.
    """
    size = len(datagram)
    if size < RTP_HEADER_SIZE:
        raise RtpParseError(f"datagram of {size} bytes is shorter than an RTP header")
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(datagram)
    if first >> 6 != 2:
        raise RtpParseError(f"RTP version {first >> 6}, expected 2")
    offset = RTP_HEADER_SIZE
    csrcs: tuple[int, ...] = ()
    csrc_count = first & 0x0F
    if csrc_count:
        end = offset + 4 * csrc_count
        if end > size:
            raise RtpParseError("CSRC list runs past the end of the datagram")
        csrcs = struct.unpack_from(f"!{csrc_count}I", datagram, offset)
        offset = end
    extension = None
    if first & 0x10:
        if offset + 4 > size:
            raise RtpParseError("header extension runs past the end of the datagram")
        profile, words = _EXTENSION_HEADER.unpack_from(datagram, offset)
        start = offset + 4
        offset = start + 4 * words
        if offset > size:
            raise RtpParseError("header extension runs past the end of the datagram")
        extension = (profile, bytes(datagram[start:offset]))
    end = size
    if first & 0x20:
        padding = datagram[-1]
        if padding == 0 or offset + padding > size:
            raise RtpParseError(f"bad padding length {padding}")
        end = size - padding
    return RtpPacket(
        payload_type=second & 0x7F,
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload=bytes(datagram[offset:end]),
        marker=bool(second & 0x80),
        csrcs=tuple(csrcs),
        extension=extension,
    )


def looks_like_rtcp(datagram: bytes) -> bool:
    """
    True for RTCP multiplexed on the RTP port (RFC 5761 §4: packet types 192-223
    fall where RTP's marker bit and payload type 64-95 would be).
    """
    return len(datagram) >= 2 and 192 <= datagram[1] <= 223
