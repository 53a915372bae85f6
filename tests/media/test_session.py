"""
A leg end to end on a task.Clock: what goes out when, what comes up when,
latching (strangers, NAT rebinding), RTP timeout, hostile input.
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from tests.media.helpers import MediaHarness, frame, pcm_frames
from voicedock.media.config import Direction
from voicedock.media.events import RemoteAddressChanged, RtpTimeout
from voicedock.media.g711 import PCMU
from voicedock.media.packet import build_rtp


def instants(received: list) -> list[float]:  # type: ignore[type-arg]
    return [round(r.at, 6) for r in received]


class SendTests(SynchronousTestCase):
    def test_one_packet_per_tick_to_the_signalled_address(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        h.run(0.1)
        packets = peer.rtp()
        self.assertEqual(instants(packets), [0.02, 0.04, 0.06, 0.08, 0.1])
        seqs = [r.packet.sequence for r in packets]
        stamps = [r.packet.timestamp for r in packets]
        self.assertEqual([(s - seqs[0]) % 65536 for s in seqs], [0, 1, 2, 3, 4])
        self.assertEqual([(t - stamps[0]) % 2**32 for t in stamps], [0, 160, 320, 480, 640])
        self.assertEqual({r.packet.ssrc for r in packets}, {leg.output.ssrc})
        self.assertEqual({r.source for r in packets}, {("127.0.0.1", leg.local_port)})

    def test_queued_speech_then_silence(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        pcm = pcm_frames(3)
        leg.push_pcm(pcm)
        h.run(0.1)
        payloads = [r.packet.payload for r in peer.rtp()]
        self.assertEqual(payloads[:3], [PCMU.encode(pcm[i * 320 : (i + 1) * 320]) for i in range(3)])
        self.assertEqual(payloads[3:], [b"\xff" * 160] * 2)

    def test_stall_of_70ms(self) -> None:
        """The reactor blocks from 0.04 to 0.11: three frames at 0.11, consecutive; on time again at 0.12."""
        h = MediaHarness()
        leg, peer, _ = h.leg()
        leg.push_pcm(pcm_frames(10))
        h.run(0.04)
        h.clock.advance(0.07)
        h.run(0.03)
        packets = peer.rtp()
        self.assertEqual(instants(packets), [0.02, 0.04, 0.11, 0.11, 0.11, 0.12, 0.14])
        stamps = [(r.packet.timestamp - packets[0].packet.timestamp) % 2**32 for r in packets]
        self.assertEqual(stamps, [160 * i for i in range(7)])
        stats = leg.stats()
        self.assertEqual((stats.frames_late, stats.frames_skipped), (2, 0))
        self.assertEqual(h.engine.figures().ticker.missed_intervals, 2)

    def test_stall_longer_than_the_burst(self) -> None:
        """Blocked 200 ms: the 3 newest owed frames go out, 7 are skipped; timestamps keep wall time."""
        h = MediaHarness()
        leg, peer, _ = h.leg()
        leg.push_pcm(pcm_frames(20))
        h.run(0.02)
        h.clock.advance(0.2)
        packets = peer.rtp()
        self.assertEqual(instants(packets), [0.02, 0.22, 0.22, 0.22])
        stamps = [(r.packet.timestamp - packets[0].packet.timestamp) % 2**32 for r in packets]
        self.assertEqual(stamps, [0, 8 * 160, 9 * 160, 10 * 160])
        self.assertEqual(leg.stats().frames_skipped, 7)

    def test_recvonly_sends_nothing(self) -> None:
        h = MediaHarness()
        _, peer, _ = h.leg(direction=Direction.RECVONLY)
        h.run(0.1)
        self.assertEqual(peer.rtp(), [])


class ReceiveTests(SynchronousTestCase):
    def talk(self, h: MediaHarness, peer, count: int, start: float = 0.01) -> None:  # type: ignore[no-untyped-def]
        for index in range(count):
            h.at(start + 0.02 * index, peer.send_audio, frame(index))

    def test_frames_up_on_the_ticker(self) -> None:
        h = MediaHarness()
        leg, peer, sink = h.leg()
        self.talk(h, peer, 5)
        h.run(0.12)
        got = [(round(f.at, 6), f.concealed, f.pcm) for f in sink.frames]
        expected = [(0.02, True, bytes(320))]  # buffering to the 2-frame target
        expected += [(round(0.04 + 0.02 * i, 6), False, PCMU.decode(frame(i))) for i in range(5)]
        self.assertEqual(got, expected)
        stats = leg.stats()
        self.assertEqual((stats.packets_received, stats.packets_lost, stats.frames_concealed), (5, 0, 0))

    def send_at(self, h: MediaHarness, peer, arrivals: list[tuple[float, int]]) -> None:  # type: ignore[no-untyped-def]
        seq, ts = peer.sequence, peer.timestamp
        for when, index in arrivals:
            h.at(when, peer.send_audio, frame(index), False, seq + index, ts + 160 * index)

    def test_reordered_and_duplicated_input(self) -> None:
        h = MediaHarness()
        leg, peer, sink = h.leg()
        arrivals = [(0.01, 0), (0.05, 2), (0.051, 1), (0.052, 1), (0.07, 3), (0.11, 5), (0.111, 4), (0.112, 4), (0.13, 6)]
        self.send_at(h, peer, arrivals)
        h.run(0.2)
        played = [f.pcm for f in sink.frames if not f.concealed]
        self.assertEqual(played, [PCMU.decode(frame(i)) for i in range(7)])
        stats = leg.stats()
        self.assertEqual((stats.packets_duplicate, stats.packets_late, stats.frames_concealed), (2, 0, 0))

    def test_reordered_beyond_the_buffer_is_late(self) -> None:
        """Frame 4 arrives after its tick (0.12) went by: concealed, then dropped as late."""
        h = MediaHarness()
        leg, peer, sink = h.leg()
        arrivals = [(0.01, 0), (0.03, 1), (0.05, 2), (0.07, 3), (0.09, 5), (0.13, 4), (0.131, 6)]
        self.send_at(h, peer, arrivals)
        h.run(0.2)
        got = [(round(f.at, 6), None if f.concealed else f.pcm) for f in sink.frames[1:8]]
        expected = [(round(0.04 + 0.02 * i, 6), PCMU.decode(frame(i))) for i in range(7)]
        expected[4] = (0.12, None)
        self.assertEqual(got, expected)
        stats = leg.stats()
        self.assertEqual((stats.packets_late, stats.frames_concealed, stats.packets_lost), (1, 1, 0))

    def test_loss_is_concealed_and_counted(self) -> None:
        h = MediaHarness()
        leg, peer, sink = h.leg()
        lost = (peer.sequence + 2) % 65536
        h.network.drop = lambda d: d.destination[1] == leg.local_port and struct.unpack("!H", d.data[2:4])[0] == lost
        self.talk(h, peer, 6)
        h.run(0.16)
        played = [(f.concealed, f.pcm) for f in sink.frames[1:7]]
        expected = [(False, PCMU.decode(frame(i))) for i in range(6)]
        expected[2] = (True, bytes(320))
        self.assertEqual(played, expected)
        stats = leg.stats()
        self.assertEqual((stats.packets_lost, stats.frames_concealed), (1, 1))
        self.assertAlmostEqual(stats.fraction_lost, 1 / 6)

    def test_comfort_noise_and_unknown_payload_types_ignored(self) -> None:
        h = MediaHarness()
        leg, peer, sink = h.leg()
        h.at(0.005, peer.send_audio, b"\x40", False, None, None, 13)
        h.at(0.006, peer.send_audio, b"\x01" * 160, False, None, None, 96)
        h.run(0.1)
        self.assertEqual(sink.frames, [])
        self.assertEqual(leg.stats().packets_ignored, 2)
        self.assertEqual(leg.remote, peer.address)  # nothing latched

    def test_jitter_is_measured(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        for index in range(50):
            h.at(0.01 + 0.02 * index + (0.004 if index % 2 else 0.0), peer.send_audio, frame(index))
        h.run(1.1)
        stats = leg.stats()
        self.assertGreater(stats.jitter_ms, 3.0)
        self.assertLess(stats.jitter_ms, 4.0)
        self.assertEqual((stats.packets_late, stats.frames_concealed), (0, 0))


class LatchingTests(SynchronousTestCase):
    def test_callers_behind_nat_get_audio(self) -> None:
        """SDP names a private address; packets come from elsewhere: we answer there."""
        h = MediaHarness()
        peer = h.peer()
        peer.listen()
        leg, _, sink = h.leg(peer=peer, remote=("10.1.2.3", 4000))
        h.run(0.03)
        self.assertEqual([d.destination for d in h.network.undeliverable], [("10.1.2.3", 4000)])
        h.at(0.035, peer.send_audio)
        h.run(0.04)
        self.assertEqual(instants(peer.rtp()), [0.04, 0.06])
        changed = sink.events_of(RemoteAddressChanged)
        self.assertEqual(
            [(e.previous, e.current, e.reason) for e in changed], [(("10.1.2.3", 4000), peer.address, "latched")]
        )

    def test_a_strangers_packets_are_ignored(self) -> None:
        """No RTP bleed: a stranger spraying our port gets nothing and is not heard."""
        h = MediaHarness()
        leg, peer, sink = h.leg()
        stranger = h.peer(ssrc=0xBAD)
        stranger.listen()
        stranger.remote = peer.remote
        for index in range(10):
            h.at(0.01 + 0.02 * index, peer.send_audio, frame(index))
            h.at(0.012 + 0.02 * index, stranger.send_audio, b"\x00" * 160)
        h.run(0.3)
        self.assertEqual(h.network.sent_to(stranger.address), [])
        self.assertEqual([f.pcm for f in sink.frames if not f.concealed], [PCMU.decode(frame(i)) for i in range(10)])
        stats = leg.stats()
        self.assertEqual((stats.packets_stranger, stats.remote), (10, peer.address))

    def test_stranger_first_loses_to_the_signalled_far_end(self) -> None:
        h = MediaHarness()
        leg, peer, sink = h.leg()
        stranger = h.peer(ssrc=0xBAD)
        stranger.listen()
        stranger.remote = peer.remote
        h.at(0.005, stranger.send_audio)
        h.at(0.025, peer.send_audio)
        h.run(0.1)
        self.assertEqual(instants(h.network.sent_to(stranger.address)), [0.02])
        self.assertEqual(instants(peer.rtp()), [0.04, 0.06, 0.08, 0.1])
        self.assertEqual([e.current for e in sink.events_of(RemoteAddressChanged)], [stranger.address, peer.address])

    def test_nat_rebinding_followed(self) -> None:
        h = MediaHarness()
        leg, peer, sink = h.leg()
        peer.start_talking()
        h.run(1.5)
        old = peer.address
        peer.rebind()
        h.run(0.1)
        self.assertNotEqual(peer.address, old)
        self.assertEqual(leg.remote, peer.address)
        (event,) = sink.events_of(RemoteAddressChanged)
        self.assertEqual((event.previous, event.current, event.reason), (old, peer.address, "rebound"))
        after = [d for d in h.network.sent if d.source[1] == leg.local_port and d.at > event.at]
        self.assertEqual({d.destination for d in after}, {peer.address})
        self.assertEqual(leg.stats().packets_lost, 0)


class TimeoutTests(SynchronousTestCase):
    def test_no_packets_at_all(self) -> None:
        h = MediaHarness(rtp_timeout=5.0)
        _, _, sink = h.leg()
        h.run(4.99)
        self.assertEqual(sink.events_of(RtpTimeout), [])
        h.run(0.02)
        h.run(10.0, step=0.02)
        self.assertEqual(sink.events_of(RtpTimeout), [RtpTimeout("leg-1", 5.0, 5.0)])

    def test_timeout_after_packets_stop_and_again_after_they_resume(self) -> None:
        h = MediaHarness(rtp_timeout=2.0)
        _, peer, sink = h.leg()
        h.at(0.505, peer.send_audio)
        h.at(3.005, peer.send_audio)
        h.run(6.0, step=0.01)
        self.assertEqual([(round(e.at, 6), round(e.silent_for, 6)) for e in sink.events_of(RtpTimeout)], [(2.52, 2.01), (5.02, 2.01)])

    def test_no_timeout_when_the_far_end_does_not_send(self) -> None:
        h = MediaHarness(rtp_timeout=1.0)
        _, _, sink = h.leg(direction=Direction.SENDONLY)
        h.run(3.0, step=0.02)
        self.assertEqual(sink.events_of(RtpTimeout), [])

    def test_strangers_do_not_keep_a_dead_call_alive(self) -> None:
        h = MediaHarness(rtp_timeout=1.0)
        leg, peer, sink = h.leg()
        h.at(0.01, peer.send_audio)
        stranger = h.peer(ssrc=0xBAD)
        stranger.listen()
        stranger.remote = peer.remote
        stranger.start_talking()
        h.run(1.1, step=0.005)
        self.assertEqual(len(sink.events_of(RtpTimeout)), 1)


class HostileInputTests(SynchronousTestCase):
    @given(st.lists(st.binary(max_size=60), max_size=8))
    def test_garbage_never_raises(self, datagrams: list[bytes]) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        for data in datagrams:
            peer.send_raw(data)
            leg.rtcp_received(data, peer.address)
        h.run(0.06, step=0.02)

    @settings(max_examples=50)
    @given(
        st.lists(
            st.tuples(st.sampled_from([0, 8, 13, 101, 96]), st.integers(0, 65535), st.integers(0, 2**32 - 1), st.binary(max_size=200)),
            max_size=12,
        )
    )
    def test_wild_headers_never_raise(self, packets: list[tuple[int, int, int, bytes]]) -> None:
        h = MediaHarness()
        leg, peer, sink = h.leg()
        for payload_type, seq, ts, payload in packets:
            peer.send_raw(build_rtp(payload_type, seq, ts, peer.ssrc, payload))
            h.clock.advance(0.007)
        h.run(0.1, step=0.02)
        for audio in sink.frames:
            self.assertEqual(len(audio.pcm), 320)

    def test_short_telephone_event_is_malformed(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        peer.send_raw(build_rtp(101, 1, 2, peer.ssrc, struct.pack("!H", 5)))
        self.assertEqual(leg.stats().packets_malformed, 1)
