"""
Two engines talking over real UDP on 127.0.0.1 for a few seconds: every frame
arrives, in order, bit-exact, nothing lost, nothing late.
"""

from __future__ import annotations

import random

from twisted.internet import reactor, task
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.trial.unittest import TestCase

from tests.media.helpers import pcm_frames
from voicedock.media.config import MediaConfig, NegotiatedMedia
from voicedock.media.engine import MediaEngine
from voicedock.media.events import DtmfReceived
from voicedock.media.g711 import PCMA, PCMU
from voicedock.testing.rtp_peer import RecordingSink, RtpPeer

LEGS = 4
FRAMES = 150  # three seconds of speech each way on every leg


def _engine(low: int) -> MediaEngine:
    config = MediaConfig(port_min=low, port_max=low + 199, bind_interface="127.0.0.1", rtp_timeout=10.0)
    return MediaEngine(reactor, reactor, config, rng=random.Random(low))  # type: ignore[arg-type]


class LoopbackTests(TestCase):
    timeout = 30

    @inlineCallbacks
    def test_two_engines_for_three_seconds(self) -> Deferred[None]:  # type: ignore[misc]
        base = random.Random().randrange(41000, 59000, 400)
        left, right = _engine(base), _engine(base + 200)
        self.addCleanup(self._close, left, right)
        pairs = []
        for index in range(LEGS):
            codec = PCMU if index % 2 == 0 else PCMA
            a, b = left.open_session(f"left-{index}"), right.open_session(f"right-{index}")
            sink_a, sink_b = RecordingSink(), RecordingSink()
            a.start(NegotiatedMedia(codec=codec, remote=("127.0.0.1", b.local_port)), sink_a)
            b.start(NegotiatedMedia(codec=codec, remote=("127.0.0.1", a.local_port)), sink_b)
            pairs.append((codec, a, b, sink_a, sink_b))
        speech = pcm_frames(FRAMES)
        for _, a, b, _, _ in pairs:
            a.push_pcm(speech)
            b.push_pcm(speech)
        pairs[0][1].send_dtmf("12#", duration_ms=80)
        yield task.deferLater(reactor, FRAMES * 0.02 + 0.6, lambda: None)
        for codec, a, b, sink_a, sink_b in pairs:
            expected = [codec.decode(codec.encode(speech[i * 320 : (i + 1) * 320])) for i in range(FRAMES)]
            self._check_heard(a.label, sink_b, expected)
            self._check_heard(b.label, sink_a, expected)
            for leg in (a, b):
                stats = leg.stats()
                nothing_lost_or_late = (stats.packets_lost, stats.packets_late, stats.frames_concealed, stats.frames_skipped)
                self.assertEqual(nothing_lost_or_late, (0, 0, 0, 0), f"{leg.label}: {stats}")
                self.assertEqual(stats.packets_stranger + stats.packets_malformed, 0)
        digits = [e.digit for e in pairs[0][4].events_of(DtmfReceived)]
        self.assertEqual(digits, ["1", "2", "#"])

    def _check_heard(self, sender: str, sink: RecordingSink, expected: list[bytes]) -> None:
        """Every frame of the speech, in order, bit-exact (after G.711), once."""
        heard = [frame.pcm for frame in sink.frames if not frame.concealed]
        self.assertIn(expected[0], heard, f"{sender}: speech never heard")
        offset = heard.index(expected[0])
        self.assertTrue(heard[offset : offset + FRAMES] == expected, f"{sender}: audio differs")

    def _close(self, *engines: MediaEngine) -> Deferred[None]:
        for engine in engines:
            engine.close_all()
        return task.deferLater(reactor, 0.05, lambda: None)


class IPv6Tests(TestCase):
    """Dual-stack sockets (bind ::) talk to IPv4 and IPv6 far ends."""

    timeout = 10

    @inlineCallbacks
    def _exchange(self, bind: str, peer_host: str) -> Deferred[None]:  # type: ignore[misc]
        low = random.Random().randrange(41000, 59000, 200)
        config = MediaConfig(port_min=low, port_max=low + 99, bind_interface=bind)
        engine = MediaEngine(reactor, reactor, config)  # type: ignore[arg-type]
        peer = RtpPeer(reactor, reactor, interface=peer_host)  # type: ignore[arg-type]
        peer.listen()
        self.addCleanup(self._close, engine, peer)
        leg = engine.open_session("v6")
        sink = RecordingSink()
        leg.start(NegotiatedMedia(remote=peer.address), sink)
        peer.remote = (peer_host, leg.local_port)
        peer.start_talking([bytes((i,)) * 160 for i in range(1, 11)])
        yield task.deferLater(reactor, 0.4, lambda: None)
        self.assertGreaterEqual(len(peer.rtp()), 10)
        heard = [f.pcm for f in sink.frames if not f.concealed]
        self.assertEqual(heard, [PCMU.decode(bytes((i,)) * 160) for i in range(1, 11)])
        self.assertEqual(leg.stats().packets_stranger, 0)

    def test_dual_stack_socket_and_ipv4_far_end(self) -> Deferred[None]:
        return self._exchange("::", "127.0.0.1")

    def test_ipv6_far_end(self) -> Deferred[None]:
        return self._exchange("::1", "::1")

    def _close(self, engine: MediaEngine, peer: RtpPeer) -> Deferred[None]:
        engine.close_all()
        peer.close()
        return task.deferLater(reactor, 0.05, lambda: None)
