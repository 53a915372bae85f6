# -*- test-case-name: tests.media.test_engine -*-
"""
Settings of the media engine (from the command line) and of one stream (from
the SDP offer/answer).
"""

from __future__ import annotations

import enum
import ipaddress

import attr

from voicedock.media.g711 import PCMU, G711Codec
from voicedock.media.ports import parse_port_range

__all__ = ["MediaConfig", "NegotiatedMedia", "Direction"]


def _positive(instance: object, attribute: attr.Attribute, value: float) -> None:  # type: ignore[type-arg]
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


@attr.s(frozen=True, slots=True, auto_attribs=True, kw_only=True)
class MediaConfig:
    """
    Process-wide media settings; the process layer builds it from
    C{--rtp-ports 20000-29999} and friends (L{from_options}).
    """

    port_min: int = 20000
    port_max: int = 29999
    bind_interface: str = "0.0.0.0"
    """Address the RTP sockets bind to (C{::} for IPv6)."""
    jitter_min_frames: int = attr.ib(default=2, validator=_positive)
    """Jitter buffer depth bounds in 20 ms frames; the depth adapts between them."""
    jitter_max_frames: int = attr.ib(default=10, validator=_positive)
    rtp_timeout: float = attr.ib(default=30.0, validator=_positive)
    """Seconds without a packet from the far end before L{RtpTimeout}."""
    max_burst: int = attr.ib(default=3, validator=_positive)
    """Catch-up limit: frames a stream may send on one tick after a stall."""
    rtcp_interval: float = attr.ib(default=5.0, validator=_positive)
    """Seconds between our RTCP reports (RFC 3550 §6.2's minimum)."""
    bridge_queue_frames: int = attr.ib(default=10, validator=_positive)
    """Bridged audio waiting in a leg's output queue beyond this is dropped."""

    def __attrs_post_init__(self) -> None:
        parse_port_range(f"{self.port_min}-{self.port_max}")
        if self.jitter_min_frames > self.jitter_max_frames:
            raise ValueError("jitter_min_frames must not exceed jitter_max_frames")
        ipaddress.ip_address(self.bind_interface)

    @classmethod
    def from_options(cls, rtp_ports: str = "20000-29999", bind_interface: str = "0.0.0.0", **settings: float) -> MediaConfig:
        """Build from C{--rtp-ports LOW-HIGH}, the bind address and the named settings above."""
        low, high = parse_port_range(rtp_ports)
        return cls(port_min=low, port_max=high, bind_interface=bind_interface, **settings)  # type: ignore[arg-type]


class Direction(enum.Enum):
    """Our side's direction for the stream (RFC 3264 §5.1), after negotiation."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    @property
    def sends(self) -> bool:
        return self in (Direction.SENDRECV, Direction.SENDONLY)

    @property
    def receives(self) -> bool:
        return self in (Direction.SENDRECV, Direction.RECVONLY)


@attr.s(frozen=True, slots=True, auto_attribs=True, kw_only=True)
class NegotiatedMedia:
    """
    One audio stream as the SDP offer/answer settled it.

    C{remote} is the far end's C{c=} address and C{m=} port; symmetric RTP
    (L{voicedock.media.latch}) may send elsewhere once packets arrive.
    """

    codec: G711Codec = PCMU
    payload_type: int | None = None
    """Defaults to the codec's static type (0 for PCMU, 8 for PCMA)."""
    remote: tuple[str, int] | None = None
    remote_rtcp: tuple[str, int] | None = None
    """From C{a=rtcp} (RFC 3605); default: the RTP port plus one."""
    telephone_event_pt: int | None = 101
    comfort_noise_pt: int | None = None
    """13 when CN was negotiated (RFC 3389); None: silence is sent as G.711."""
    ptime_ms: int = 20
    direction: Direction = Direction.SENDRECV

    def __attrs_post_init__(self) -> None:
        if self.ptime_ms != 20:
            raise ValueError(f"only ptime 20 is supported for sending, not {self.ptime_ms}")
        types = [self.audio_payload_type, self.telephone_event_pt, self.comfort_noise_pt]
        present = [t for t in types if t is not None]
        if len(set(present)) != len(present) or not all(0 <= t <= 127 for t in present):
            raise ValueError(f"payload types must be distinct and within 0-127: {present}")
        for address in (self.remote, self.remote_rtcp):
            if address is not None:
                ipaddress.ip_address(address[0])  # a hostname is call control's to resolve
                if not 0 < address[1] < 65536:
                    raise ValueError(f"bad port in {address!r}")

    @property
    def audio_payload_type(self) -> int:
        return self.codec.payload_type if self.payload_type is None else self.payload_type
