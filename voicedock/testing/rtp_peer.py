# -*- test-case-name: tests.media.test_rtp_peer -*-
"""
A far end for media tests: sends RTP (G.711 frames, RFC 4733 events, raw
bytes) from a port of its own and records everything it receives.

It works on a real reactor (loopback) as well as on
L{voicedock.testing.rtp_network.MemoryUdpNetwork} with a C{task.Clock}.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import attr
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IListeningPort, IReactorTime, IReactorUDP
from twisted.internet.protocol import DatagramProtocol
from twisted.internet.task import LoopingCall

from voicedock.media.dtmf import TelephoneEvent, event_of
from voicedock.media.events import AudioFrame, MediaEvent
from voicedock.media.g711 import PCMU, G711Codec
from voicedock.media.packet import RtpPacket, RtpParseError, looks_like_rtcp, parse_rtp
from voicedock.media.rtcp import RtcpPacket, RtcpParseError, parse_rtcp

__all__ = ["RtpPeer", "Received", "RecordingSink"]

Address = tuple[str, int]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Received:
    """A datagram the peer received: parsed RTP, parsed RTCP, or raw bytes that were neither."""

    at: float
    source: Address
    packet: RtpPacket | None = None
    rtcp: tuple[RtcpPacket, ...] | None = None
    raw: bytes = b""


class _PeerSocket(DatagramProtocol):
    noisy = False

    def __init__(self, peer: RtpPeer, rtcp: bool) -> None:
        self._peer = peer
        self._rtcp = rtcp

    def datagramReceived(self, datagram: bytes, addr: Address) -> None:
        self._peer._received(datagram, addr, self._rtcp)


class RtpPeer:
    """
    A scripted RTP endpoint.

    @param udp: the reactor, or a C{MemoryUdpNetwork}.
    @param with_rtcp: also bind the next port up for RTCP (the peer's own port
        is then even, as RFC 3550 asks; C{port} is tried upward until a free
        pair is found).
    """

    def __init__(
        self,
        clock: IReactorTime,
        udp: IReactorUDP,
        codec: G711Codec = PCMU,
        interface: str = "127.0.0.1",
        ssrc: int = 0x5EED1234,
        sequence: int = 1000,
        timestamp: int = 160_000,
        telephone_event_pt: int = 101,
    ) -> None:
        self.clock = clock
        self.udp = udp
        self.codec = codec
        self.interface = interface
        self.ssrc = ssrc
        self.sequence = sequence
        self.timestamp = timestamp
        self.telephone_event_pt = telephone_event_pt
        self.remote: Address | None = None
        self.received: list[Received] = []
        self._rtp_port: IListeningPort | None = None
        self._rtcp_port: IListeningPort | None = None
        self._talking: LoopingCall | None = None

    # -- sockets --

    def listen(self, port: int = 0, with_rtcp: bool = False) -> int:
        """Bind (C{port} 0: any free port); returns the RTP port."""
        if not with_rtcp:
            self._rtp_port = self.udp.listenUDP(port, _PeerSocket(self, False), interface=self.interface)
            return self.port
        candidate = port or 42000
        while True:
            candidate += candidate % 2
            try:
                rtp = self.udp.listenUDP(candidate, _PeerSocket(self, False), interface=self.interface)
            except CannotListenError:
                candidate += 2
                continue
            try:
                rtcp = self.udp.listenUDP(candidate + 1, _PeerSocket(self, True), interface=self.interface)
            except CannotListenError:
                rtp.stopListening()
                candidate += 2
                continue
            self._rtp_port, self._rtcp_port = rtp, rtcp
            return candidate

    @property
    def port(self) -> int:
        assert self._rtp_port is not None, "listen() first"
        return self._rtp_port.getHost().port  # type: ignore[attr-defined,no-any-return]

    @property
    def address(self) -> Address:
        return (self.interface, self.port)

    def rebind(self) -> int:
        """A NAT rebinding: same stream (SSRC, sequence), new source port."""
        assert self._rtp_port is not None
        old = self._rtp_port
        self._rtp_port = self.udp.listenUDP(0, _PeerSocket(self, False), interface=self.interface)
        old.stopListening()
        return self.port

    def close(self) -> None:
        self.stop_talking()
        for port in (self._rtp_port, self._rtcp_port):
            if port is not None:
                port.stopListening()
        self._rtp_port = self._rtcp_port = None

    # -- sending --

    def send_raw(self, data: bytes, to: Address | None = None) -> None:
        destination = to or self.remote
        assert self._rtp_port is not None and destination is not None, "listen() and set remote first"
        self._rtp_port.write(data, destination)

    def send_packet(self, packet: RtpPacket, to: Address | None = None) -> RtpPacket:
        self.send_raw(packet.to_bytes(), to)
        return packet

    def send_audio(
        self,
        payload: bytes | None = None,
        marker: bool = False,
        sequence: int | None = None,
        timestamp: int | None = None,
        payload_type: int | None = None,
    ) -> RtpPacket:
        """
        Send one audio frame (default: 20 ms of the codec's silence) and step
        sequence and timestamp on; pass C{sequence}/C{timestamp} to send out
        of order without moving them.
        """
        if payload is None:
            payload = self.codec.silence(160)
        explicit = sequence is not None or timestamp is not None
        packet = RtpPacket(
            payload_type=self.codec.payload_type if payload_type is None else payload_type,
            sequence=self.sequence if sequence is None else sequence,
            timestamp=self.timestamp if timestamp is None else timestamp,
            ssrc=self.ssrc,
            payload=payload,
            marker=marker,
        )
        if not explicit:
            self.sequence = (self.sequence + 1) & 0xFFFF
            self.timestamp = (self.timestamp + len(payload)) & 0xFFFFFFFF
        return self.send_packet(packet)

    def send_event(
        self, key: str, duration: int, end: bool = False, marker: bool = False, timestamp: int | None = None, volume: int = 10
    ) -> RtpPacket:
        """One RFC 4733 packet for C{key}; the event timestamp defaults to the current one."""
        payload = TelephoneEvent(event_of(key), end, volume, duration).to_bytes()
        packet = RtpPacket(
            payload_type=self.telephone_event_pt,
            sequence=self.sequence,
            timestamp=self.timestamp if timestamp is None else timestamp,
            ssrc=self.ssrc,
            payload=payload,
            marker=marker,
        )
        self.sequence = (self.sequence + 1) & 0xFFFF
        return self.send_packet(packet)

    def start_talking(self, frames: Iterable[bytes] | None = None, interval: float = 0.02) -> None:
        """Send one frame every C{interval} on the clock (silence forever when C{frames} is None)."""
        source: Iterator[bytes] | None = iter(frames) if frames is not None else None

        def tick() -> None:
            if source is None:
                self.send_audio()
                return
            frame = next(source, None)
            if frame is None:
                self.stop_talking()
            else:
                self.send_audio(frame)

        self.stop_talking()
        loop = LoopingCall(tick)
        loop.clock = self.clock
        self._talking = loop
        loop.start(interval, now=True)

    def stop_talking(self) -> None:
        loop, self._talking = self._talking, None
        if loop is not None and loop.running:
            loop.stop()

    # -- receiving --

    def _received(self, data: bytes, source: Address, on_rtcp_port: bool) -> None:
        now = self.clock.seconds()
        if on_rtcp_port or looks_like_rtcp(data):
            try:
                self.received.append(Received(now, source, rtcp=tuple(parse_rtcp(data))))
            except RtcpParseError:
                self.received.append(Received(now, source, raw=data))
            return
        try:
            self.received.append(Received(now, source, packet=parse_rtp(data)))
        except RtpParseError:
            self.received.append(Received(now, source, raw=data))

    def rtp(self, payload_type: int | None = None) -> list[Received]:
        """Received RTP packets (of one payload type when given)."""
        return [
            r for r in self.received if r.packet is not None and (payload_type is None or r.packet.payload_type == payload_type)
        ]

    def rtcp(self) -> list[Received]:
        return [r for r in self.received if r.rtcp is not None]

    def audio_payload(self) -> bytes:
        """The received audio payloads joined, in arrival order."""
        return b"".join(r.packet.payload for r in self.rtp(self.codec.payload_type) if r.packet is not None)


class RecordingSink:
    """A C{MediaSink} that keeps everything: C{frames} and C{events}, in order."""

    def __init__(self) -> None:
        self.frames: list[AudioFrame] = []
        self.events: list[MediaEvent] = []

    def audio_received(self, frame: AudioFrame) -> None:
        self.frames.append(frame)

    def media_event(self, event: MediaEvent) -> None:
        self.events.append(event)

    def events_of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]
