"""
What call control does to a leg, on a task.Clock: barge-in flush, playback
marks, DTMF both ways, re-INVITE, hang-up (ports back), the pool, RTCP.
"""

from __future__ import annotations

from twisted.internet.protocol import DatagramProtocol
from twisted.trial.unittest import SynchronousTestCase

from tests.media.helpers import MediaHarness, pcm_frames
from voicedock.media.config import NegotiatedMedia
from voicedock.media.dtmf import TelephoneEvent
from voicedock.media.events import DtmfReceived, PlaybackMarkReached
from voicedock.media.g711 import PCMA, PCMU
from voicedock.media.ports import PortPoolExhausted
from voicedock.media.rtcp import Goodbye, ReceiverReport, SenderReport, SourceDescription, build_report, ntp_timestamp
from voicedock.media.session import SessionClosed


class PlaybackTests(SynchronousTestCase):
    def test_barge_in_flushes_at_once(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        pcm = pcm_frames(50)
        leg.push_pcm(pcm)
        h.run(0.1)
        result = leg.flush()
        self.assertEqual((result.frames, result.milliseconds), (45, 900))
        h.run(0.04)
        payloads = [r.packet.payload for r in peer.rtp()]
        self.assertEqual(payloads[:5], [PCMU.encode(pcm[i * 320 : (i + 1) * 320]) for i in range(5)])
        self.assertEqual(payloads[5:], [b"\xff" * 160] * 2)

    def test_mark_reports_when_its_audio_has_gone_out(self) -> None:
        h = MediaHarness()
        leg, _, sink = h.leg()
        leg.push_pcm(pcm_frames(3))
        leg.mark(("turn", 1))
        h.run(0.1)
        self.assertEqual(sink.events_of(PlaybackMarkReached), [PlaybackMarkReached("leg-1", 0.06, ("turn", 1))])

    def test_flushed_marks_are_returned_not_reported(self) -> None:
        h = MediaHarness()
        leg, _, sink = h.leg()
        leg.push_pcm(pcm_frames(10))
        leg.mark("end")
        h.run(0.05)
        self.assertEqual(leg.flush().marks, ("end",))
        h.run(0.1)
        self.assertEqual(sink.events_of(PlaybackMarkReached), [])


class DtmfTests(SynchronousTestCase):
    def test_received_once_as_a_typed_event(self) -> None:
        h = MediaHarness()
        leg, peer, sink = h.leg()
        h.at(0.01, peer.send_event, "7", 160, False, True)
        h.at(0.03, peer.send_event, "7", 320)
        h.at(0.05, peer.send_event, "7", 480, True)
        h.at(0.051, peer.send_event, "7", 480, True)
        h.at(0.052, peer.send_event, "7", 480, True)
        h.run(0.1)
        (event,) = sink.events_of(DtmfReceived)
        self.assertEqual(event, DtmfReceived("leg-1", event.at, "7", 7, 60, 10))
        self.assertAlmostEqual(event.at, 0.05)  # when the end packet arrived
        self.assertEqual(leg.stats().dtmf_received, 1)

    def test_other_telephone_event_payload_type(self) -> None:
        h = MediaHarness()
        peer = h.peer(telephone_event_pt=96)
        peer.listen()
        _, _, sink = h.leg(peer=peer, telephone_event_pt=96)
        h.at(0.01, peer.send_event, "#", 800, True)
        h.run(0.05)
        self.assertEqual([e.digit for e in sink.events_of(DtmfReceived)], ["#"])

    def test_sent_as_rfc4733(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        leg.send_dtmf("1", duration_ms=60)
        h.run(0.14)
        events = [(round(r.at, 6), r.packet.marker, TelephoneEvent.parse(r.packet.payload)) for r in peer.rtp(101)]
        self.assertEqual(
            events,
            [
                (0.02, True, TelephoneEvent(1, False, 10, 160)),
                (0.04, False, TelephoneEvent(1, False, 10, 320)),
                (0.06, False, TelephoneEvent(1, True, 10, 480)),
                (0.08, False, TelephoneEvent(1, True, 10, 480)),
                (0.1, False, TelephoneEvent(1, True, 10, 480)),
            ],
        )
        self.assertEqual(len({r.packet.timestamp for r in peer.rtp(101)}), 1)
        self.assertEqual(leg.stats().dtmf_sent, 1)


class LifecycleTests(SynchronousTestCase):
    def test_reinvite_changes_codec_and_keeps_the_stream(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        h.run(0.04)
        leg.update(NegotiatedMedia(codec=PCMA, remote=peer.address))
        h.run(0.04)
        packets = [r.packet for r in peer.rtp()]
        self.assertEqual([p.payload_type for p in packets], [0, 0, 8, 8])
        self.assertEqual(len({p.ssrc for p in packets}), 1)
        self.assertEqual([(p.sequence - packets[0].sequence) % 65536 for p in packets], [0, 1, 2, 3])
        self.assertEqual(packets[-1].payload, PCMA.silence(160))

    def test_reinvite_to_a_new_address_resets_the_latch(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        h.at(0.01, peer.send_audio)
        h.run(0.03)
        other = h.peer(ssrc=0x0DD)
        other.listen()
        other.remote = peer.remote
        leg.update(NegotiatedMedia(remote=other.address))
        h.at(0.041, other.send_audio)
        h.run(0.04)
        self.assertEqual(leg.remote, other.address)
        self.assertEqual([round(r.at, 6) for r in other.rtp()], [0.04, 0.06])

    def test_hang_up_releases_ports_and_says_bye(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        port = leg.local_port
        h.run(0.04)
        leg.close()
        leg.close()
        self.assertFalse(h.network.bound(("127.0.0.1", port)))
        self.assertFalse(h.network.bound(("127.0.0.1", port + 1)))
        self.assertEqual(h.engine.pool.available, h.engine.pool.capacity)
        bye = [r.rtcp for r in peer.rtcp() if any(isinstance(p, Goodbye) for p in r.rtcp or ())]
        self.assertEqual(len(bye), 1)
        h.run(0.1)
        self.assertEqual(len(peer.rtp()), 2)
        self.assertRaises(SessionClosed, leg.push_pcm, b"\x00\x00")
        self.assertFalse(h.engine.ticker.running)

    def test_ports_even_and_next_odd(self) -> None:
        h = MediaHarness()
        leg = h.engine.open_session("x")
        self.assertEqual(leg.local_port % 2, 0)
        self.assertTrue(h.network.bound(("127.0.0.1", leg.local_port + 1)))

    def test_pool_exhausted_is_a_clear_error(self) -> None:
        h = MediaHarness(port_min=30000, port_max=30003)
        legs = [h.engine.open_session(f"leg-{i}") for i in range(2)]
        self.assertEqual(sorted(leg.local_port for leg in legs), [30000, 30002])
        error = self.assertRaises(PortPoolExhausted, h.engine.open_session, "one too many")
        self.assertIn("30000-30003", str(error))
        legs[0].close()
        self.assertEqual(h.engine.open_session("again").local_port, 30000)

    def test_ports_held_by_another_program_are_skipped(self) -> None:
        h = MediaHarness(port_min=30000, port_max=30005)
        h.network.listenUDP(30001, DatagramProtocol(), interface="127.0.0.1")
        self.assertEqual(h.engine.open_session("a").local_port, 30002)
        self.assertEqual(h.engine.open_session("b").local_port, 30004)
        self.assertRaises(PortPoolExhausted, h.engine.open_session, "c")

    def test_least_recently_released_first(self) -> None:
        h = MediaHarness(port_min=30000, port_max=30005)
        a = h.engine.open_session("a")
        a.close()
        self.assertEqual(h.engine.open_session("b").local_port, 30002)

    def test_not_started_leg_sends_nothing_and_drops_input(self) -> None:
        h = MediaHarness()
        leg = h.engine.open_session("early")
        peer = h.peer()
        peer.listen()
        peer.remote = ("127.0.0.1", leg.local_port)
        peer.send_audio()
        h.run(0.1)
        self.assertEqual(peer.rtp(), [])
        self.assertEqual(leg.stats().packets_ignored, 1)
        self.assertRaises(RuntimeError, leg.push_pcm, b"")


class RtcpTests(SynchronousTestCase):
    def test_reports_sent_and_received(self) -> None:
        h = MediaHarness(rtcp_interval=1.0)
        leg, peer, _ = h.leg()
        peer.start_talking()
        h.run(0.5)
        sr = build_report(peer.ssrc, b"peer", (), (ntp_timestamp(h.clock.seconds()), 0, 25, 4000))
        peer.send_raw(sr, to=(peer.remote[0], peer.remote[1] + 1))
        sr_at = h.clock.seconds()
        h.run(2.5)
        reports = [r for r in peer.rtcp() if isinstance(r.rtcp[0], SenderReport)]  # type: ignore[index]
        self.assertGreaterEqual(len(reports), 2)
        last = reports[-1]
        report, sdes = last.rtcp  # type: ignore[misc]
        self.assertEqual(report.ssrc, leg.output.ssrc)
        self.assertIsInstance(sdes, SourceDescription)
        self.assertEqual(last.source, ("127.0.0.1", leg.local_port + 1))
        (block,) = report.reports
        self.assertEqual((block.ssrc, block.cumulative_lost, block.fraction_lost), (peer.ssrc, 0, 0))
        self.assertEqual(block.last_sr, (ntp_timestamp(sr_at) >> 16) & 0xFFFFFFFF)
        self.assertEqual(block.delay_since_last_sr, int((last.at - sr_at) * 65536))
        self.assertEqual(leg.stats().rtcp_received, 1)

    def test_receiver_report_before_we_send(self) -> None:
        h = MediaHarness(rtcp_interval=0.2)
        from voicedock.media.config import Direction

        _, peer, _ = h.leg(direction=Direction.RECVONLY)
        h.run(0.5)
        kinds = {type(r.rtcp[0]) for r in peer.rtcp()}  # type: ignore[index]
        self.assertEqual(kinds, {ReceiverReport})

    def test_malformed_rtcp_counted(self) -> None:
        h = MediaHarness()
        leg, peer, _ = h.leg()
        peer.send_raw(b"\x80\xc9\x00\x09junk", to=(peer.remote[0], peer.remote[1] + 1))
        self.assertEqual(leg.stats().packets_malformed, 1)
