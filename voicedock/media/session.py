# -*- test-case-name: tests.media.test_session -*-
"""
One call leg's RTP session (RFC 3550): two sockets from the port pool, the
latch, the jitter buffer, DTMF in and out, the output queue and RTCP.
"""

from __future__ import annotations

import ipaddress
import random
import struct
from typing import TYPE_CHECKING, Callable, Hashable

from twisted.internet.interfaces import IListeningPort
from twisted.internet.protocol import DatagramProtocol

from voicedock.media.config import MediaConfig, NegotiatedMedia
from voicedock.media.dtmf import DtmfReceiver, TelephoneEvent, TelephoneEventError, digit_of
from voicedock.media.events import (
    AudioFrame,
    DtmfReceived,
    LegStats,
    MediaEvent,
    MediaSink,
    PlaybackMarkReached,
    RemoteAddressChanged,
    RtpTimeout,
)
from voicedock.media.g711 import G711Codec
from voicedock.media.jitter import JitterBuffer
from voicedock.media.latch import Address, Admission, SymmetricLatch
from voicedock.media.output import FlushResult, OutputStream
from voicedock.media.packet import RTP_HEADER_SIZE, RtpParseError, looks_like_rtcp, parse_rtp
from voicedock.media.reporting import RtcpReporter
from voicedock.media.stats import ReceptionStats, SequenceVerdict

if TYPE_CHECKING:
    from voicedock.media.bridge import Bridge

__all__ = ["RtpSession", "SessionClosed"]

FRAME_SAMPLES = 160
_FIXED_HEADER = struct.Struct("!BBHII")


class SessionClosed(Exception):
    """The leg was closed; its ports are back in the pool."""


class _Socket(DatagramProtocol):
    noisy = False

    def __init__(self, receive: Callable[[bytes, Address], None]) -> None:
        self.datagramReceived = receive  # type: ignore[method-assign,assignment]


def _usable(address: Address | None, ipv6_socket: bool) -> Address | None:
    """The address as our socket writes it; None when it is nowhere (0.0.0.0, port 0)."""
    if address is None or address[1] == 0:
        return None
    ip = ipaddress.ip_address(address[0])
    if ip.is_unspecified:
        return None
    if ipv6_socket and ip.version == 4:
        return (f"::ffff:{ip}", address[1])
    if not ipv6_socket and ip.version == 6:
        raise ValueError(f"{address[0]} is IPv6 but the media sockets are bound to IPv4")
    return (str(ip), address[1])


class RtpSession:
    """
    One call leg's media, bound to a port pair until L{close}.

    Life: the engine opens it (ports bound, nothing sent, packets dropped);
    L{start} with the negotiated media and a sink puts it on the ticker;
    L{update} applies a re-INVITE; L{close} stops it and frees the ports.

    Received packets go through: parse (malformed dropped), payload type
    (only the negotiated audio, telephone-event and CN types), the latch
    (strangers dropped), RFC 3550 sequence validation, then the jitter buffer
    or the DTMF receiver. Each tick hands one decoded frame per owed interval
    to the sink (or to the bridged leg) and sends one frame.
    """

    def __init__(
        self,
        label: str,
        config: MediaConfig,
        clock_seconds: Callable[[], float],
        rng: random.Random,
        cname: bytes,
        release: Callable[[RtpSession], None],
    ) -> None:
        self.label = label
        self._config = config
        self._seconds = clock_seconds
        self._rng = rng
        self._release = release
        self._ipv6 = ":" in config.bind_interface
        self.rtp_port: IListeningPort | None = None
        self.rtcp_port: IListeningPort | None = None
        self.local_port = 0
        self.media: NegotiatedMedia | None = None
        self._sink: MediaSink | None = None
        self.output: OutputStream | None = None
        self.bridge: Bridge | None = None
        self.closed = False
        self._latch = SymmetricLatch(None)
        self._stats: ReceptionStats | None = None
        self._remote_ssrc: int | None = None
        self._jitter: JitterBuffer | None = None
        self._dtmf = DtmfReceiver(self._dtmf_began, self._dtmf_ended)
        self._rtcp = RtcpReporter(cname, config.rtcp_interval, rng)
        self._accepted: frozenset[int] = frozenset()
        self._started_at = 0.0
        self._tick_now = 0.0
        self._last_packet_at: float | None = None
        self._timed_out = False
        self._prior_counts = (0, 0, 0)
        self.packets_malformed = 0
        self.packets_ignored = 0
        self.send_errors = 0
        self.dtmf_received = 0

    def __repr__(self) -> str:
        return f"<RtpSession {self.label} port={self.local_port}>"

    # -- sockets (the engine binds them) --

    def rtp_protocol(self) -> DatagramProtocol:
        return _Socket(self.rtp_received)

    def rtcp_protocol(self) -> DatagramProtocol:
        return _Socket(self.rtcp_received)

    # -- what call control does --

    def start(self, media: NegotiatedMedia, sink: MediaSink) -> None:
        """Begin sending and receiving as negotiated; events go to C{sink}."""
        if self.closed:
            raise SessionClosed(self.label)
        if self.media is not None:
            raise RuntimeError(f"{self!r} already started; use update()")
        self._check_addresses(media)
        self._sink = sink
        self.output = OutputStream(
            codec=media.codec,
            payload_type=media.audio_payload_type,
            ssrc=self._rng.getrandbits(32),
            sequence=self._rng.getrandbits(16),
            timestamp=self._rng.getrandbits(32),
            send=self._send_rtp,
            frame_samples=FRAME_SAMPLES,
            max_burst=self._config.max_burst,
            on_mark=self._mark_reached,
        )
        self._started_at = self._seconds()
        self._apply(media)

    def update(self, media: NegotiatedMedia) -> None:
        """Apply a new offer/answer (re-INVITE): codec, remote, direction; the SSRC stays."""
        if self.media is None or self.output is None:
            raise RuntimeError(f"{self!r} not started")
        self._apply(media)

    def _check_addresses(self, media: NegotiatedMedia) -> None:
        for address in (media.remote, media.remote_rtcp):
            _usable(address, self._ipv6)

    def _apply(self, media: NegotiatedMedia) -> None:
        self._check_addresses(media)
        output = self.output
        assert output is not None
        previous = self.media
        self.media = media
        if previous is None or previous.codec != media.codec or self._jitter is None:
            self._jitter = JitterBuffer(
                FRAME_SAMPLES, self._config.jitter_min_frames, self._config.jitter_max_frames, media.codec.silence_code
            )
        output.set_codec(media.codec, media.audio_payload_type)
        output.telephone_event_pt = media.telephone_event_pt
        output.comfort_noise_pt = media.comfort_noise_pt
        output.enabled = media.direction.sends
        signalled = _usable(media.remote, self._ipv6)
        if previous is None or _usable(previous.remote, self._ipv6) != signalled:
            self._latch.reset(signalled)
        self._accepted = frozenset(
            t for t in (media.audio_payload_type, media.telephone_event_pt, media.comfort_noise_pt) if t is not None
        )
        self._silence_pcm = media.codec.decode(media.codec.silence(FRAME_SAMPLES))

    @property
    def remote(self) -> Address | None:
        """Where our RTP goes now."""
        return self._latch.remote

    @property
    def codec(self) -> G711Codec | None:
        return None if self.media is None else self.media.codec

    def push_pcm(self, pcm: bytes) -> None:
        """Queue s16le 8 kHz audio to send (shortcut for C{output.push_pcm})."""
        self._started_output().push_pcm(pcm)

    def flush(self) -> FlushResult:
        """Drop all queued output at once (barge-in); returns the C{FlushResult}."""
        return self._started_output().flush()

    def mark(self, label: Hashable) -> None:
        self._started_output().mark(label)

    def send_dtmf(self, digits: str, duration_ms: int = 100) -> None:
        self._started_output().send_dtmf(digits, duration_ms)

    def _started_output(self) -> OutputStream:
        if self.closed:
            raise SessionClosed(self.label)
        if self.output is None:
            raise RuntimeError(f"{self!r} not started")
        return self.output

    def close(self) -> None:
        """Stop, say RTCP BYE, unbind and give the ports back (idempotent)."""
        if self.closed:
            return
        self.closed = True
        if self.bridge is not None:
            self.bridge.close()
        if self.output is not None:
            self._send_rtcp(self._rtcp.goodbye(self.output.ssrc))
        self._release(self)
        for port in (self.rtp_port, self.rtcp_port):
            if port is not None:
                port.stopListening()

    # -- events --

    def _emit(self, event: MediaEvent) -> None:
        if self._sink is not None:
            self._sink.media_event(event)

    def _mark_reached(self, label: Hashable) -> None:
        self._emit(PlaybackMarkReached(self.label, self._tick_now, label))

    def _dtmf_began(self, event: int, volume: int) -> None:
        bridge = self.bridge
        if bridge is not None:
            bridge.relay_dtmf_begin(bridge.other(self), event, volume)

    def _dtmf_ended(self, event: int, volume: int, duration: int) -> None:
        self.dtmf_received += 1
        bridge = self.bridge
        if bridge is not None:
            bridge.relay_dtmf_end(bridge.other(self), duration)
        duration_ms = duration * 1000 // G711Codec.clock_rate
        self._emit(DtmfReceived(self.label, self._seconds(), digit_of(event), event, duration_ms, volume))

    # -- receive path --

    def rtp_received(self, data: bytes, source: Address) -> None:
        media = self.media
        if self.closed or media is None:
            self.packets_ignored += 1
            return
        if len(data) >= RTP_HEADER_SIZE and data[0] == 0x80:
            # V=2 with no padding, extension or CSRC: the usual packet, read in place.
            _, second, sequence, timestamp, ssrc = _FIXED_HEADER.unpack_from(data)
            if 192 <= second <= 223:  # RTCP multiplexed on the RTP port (RFC 5761 §4)
                self.rtcp_received(data, source)
                return
            payload_type, payload = second & 0x7F, data[RTP_HEADER_SIZE:]
        else:
            if looks_like_rtcp(data):
                self.rtcp_received(data, source)
                return
            try:
                packet = parse_rtp(data)
            except RtpParseError:
                self.packets_malformed += 1
                return
            payload_type, sequence, timestamp = packet.payload_type, packet.sequence, packet.timestamp
            ssrc, payload = packet.ssrc, packet.payload
        if payload_type not in self._accepted:
            self.packets_ignored += 1
            return
        previous = self._latch.remote
        admission = self._latch.admit(source, ssrc, sequence)
        if admission is Admission.REJECT:
            return
        now = self._seconds()
        self._last_packet_at = now
        self._timed_out = False
        if admission is not Admission.ACCEPT and source != previous:
            reason = "rebound" if admission is Admission.REBOUND else "latched"
            self._emit(RemoteAddressChanged(self.label, now, previous, source, reason))
        if ssrc != self._remote_ssrc:
            self._new_source(ssrc, sequence)
        stats, jitter = self._stats, self._jitter
        assert stats is not None and jitter is not None
        verdict = stats.update_seq(sequence)
        if verdict is not SequenceVerdict.VALID:
            if verdict is not SequenceVerdict.RESTARTED:
                return  # A.1: a stray jump, dropped unless the next packet confirms it
            jitter.reset()
            self._dtmf.reset()
        if payload_type == media.audio_payload_type:
            stats.update_jitter(timestamp, int(now * 8000))
            jitter.observe_jitter(stats.jitter)
            jitter.push(sequence, timestamp, payload)
        elif payload_type == media.telephone_event_pt:
            try:
                event = TelephoneEvent.parse(payload)
            except TelephoneEventError:
                self.packets_malformed += 1
                return
            self._dtmf.receive(timestamp, event, now)
        else:
            self.packets_ignored += 1  # comfort noise: silence is what we conceal with anyway

    def _new_source(self, ssrc: int, sequence: int) -> None:
        if self._stats is not None:
            self._prior_counts = self._counts()
        self._remote_ssrc = ssrc
        self._stats = ReceptionStats(sequence)
        if self._jitter is not None:
            self._jitter.reset()
        self._dtmf.reset()

    def rtcp_received(self, data: bytes, source: Address) -> None:
        if self.closed:
            return
        self._rtcp.receive(data, source, self._seconds(), self._remote_ssrc)

    # -- the ticker --

    def deliver(self, owed: int, now: float) -> None:
        """Phase 1: timeout check, DTMF expiry, frames upward (or across the bridge)."""
        if self.closed or self.media is None:
            return
        self._check_timeout(now)
        self._dtmf.expire(now)
        jitter = self._jitter
        assert jitter is not None
        if not jitter.started:
            return
        bridge, sink, codec = self.bridge, self._sink, self.media.codec
        for _ in range(min(owed, self._config.max_burst)):
            payload = jitter.pop()
            if bridge is not None:
                if payload is not None:
                    bridge.forward(bridge.other(self), payload, codec)
            elif sink is not None:
                pcm = self._silence_pcm if payload is None else codec.decode(payload)
                sink.audio_received(AudioFrame(self.label, now, pcm, payload is None))

    def _check_timeout(self, now: float) -> None:
        media = self.media
        if self._timed_out or media is None or not media.direction.receives:
            return
        since = self._last_packet_at if self._last_packet_at is not None else self._started_at
        if now - since >= self._config.rtp_timeout:
            self._timed_out = True
            self._emit(RtpTimeout(self.label, now, now - since))

    def transmit(self, owed: int, now: float) -> None:
        """Phase 2: send what is owed; RTCP when its turn comes."""
        if self.closed or self.output is None:
            return
        self._tick_now = now
        self.output.transmit(owed)
        if self._rtcp.due(owed):
            self._send_rtcp(self._rtcp.report(self.output, self._stats, self._remote_ssrc, now))

    def _send_rtp(self, datagram: bytes) -> None:
        remote = self._latch.remote
        if remote is None or self.rtp_port is None:
            return
        try:
            self.rtp_port.write(datagram, remote)
        except OSError:
            self.send_errors += 1

    def _send_rtcp(self, datagram: bytes) -> None:
        destination = self._rtcp.destination(
            self._latch.remote, _usable(self.media.remote_rtcp, self._ipv6) if self.media else None
        )
        if destination is None or self.rtcp_port is None:
            return
        try:
            self.rtcp_port.write(datagram, destination)
            self._rtcp.sent += 1
        except OSError:
            self.send_errors += 1

    # -- figures --

    def _counts(self) -> tuple[int, int, int]:
        """(expected, received, lost) over every SSRC the far end used."""
        expected, received, lost = self._prior_counts
        stats = self._stats
        if stats is not None:
            expected += stats.expected
            received += stats.received
            lost += max(0, stats.lost)
        return expected, received, lost

    def stats(self) -> LegStats:
        stats, jitter, output = self._stats, self._jitter, self.output
        expected, received, lost = self._counts()
        return LegStats(
            leg=self.label,
            local_port=self.local_port,
            remote=self._latch.remote,
            codec=self.media.codec.name if self.media else "",
            packets_received=received,
            packets_lost=lost,
            fraction_lost=(lost / expected) if expected > 0 else 0.0,
            jitter_ms=(stats.jitter / 8.0) if stats else 0.0,
            packets_late=jitter.late_packets if jitter else 0,
            packets_duplicate=jitter.duplicate_packets if jitter else 0,
            packets_malformed=self.packets_malformed + self._rtcp.malformed,
            packets_stranger=self._latch.rejected,
            packets_ignored=self.packets_ignored,
            frames_concealed=jitter.concealed_frames if jitter else 0,
            jitter_buffer_frames=jitter.depth_frames if jitter else 0,
            jitter_buffer_target_frames=jitter.target_frames if jitter else 0,
            jitter_buffer_overflow_frames=(jitter.overflow_frames + jitter.shrink_frames) if jitter else 0,
            jitter_buffer_underruns=jitter.underruns if jitter else 0,
            packets_sent=output.packets_sent if output else 0,
            frames_late=output.frames_late if output else 0,
            frames_skipped=output.frames_skipped if output else 0,
            send_errors=self.send_errors,
            dtmf_received=self.dtmf_received,
            dtmf_sent=output.dtmf.events_sent if output else 0,
            rtcp_received=self._rtcp.received,
            rtcp_sent=self._rtcp.sent,
        )
