"""Two legs bridged for a transfer, on a task.Clock: audio both ways, transcoding, DTMF relay."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.media.helpers import MediaHarness, frame, pcm_frames
from voicedock.media.bridge import BridgeError
from voicedock.media.dtmf import TelephoneEvent
from voicedock.media.events import DtmfReceived
from voicedock.media.g711 import PCMA, PCMU, transcode


class BridgeTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.h = MediaHarness()
        self.a, self.pa, self.sink_a = self.h.leg("caller")  # PCMU, telephone-event 101
        pb = self.h.peer(telephone_event_pt=96)
        pb.codec = PCMA
        pb.listen()
        self.b, self.pb, self.sink_b = self.h.leg("transfer-target", peer=pb, codec=PCMA, telephone_event_pt=96)
        self.bridge = self.h.engine.bridge(self.a, self.b)

    def test_audio_both_ways_transcoded_on_the_same_tick(self) -> None:
        for index in range(4):
            self.h.at(0.01 + 0.02 * index, self.pa.send_audio, frame(index))
            self.h.at(0.011 + 0.02 * index, self.pb.send_audio, frame(100 + index))
        self.h.run(0.12)
        to_b = [(round(r.at, 6), r.packet.payload) for r in self.pb.rtp(8)]
        expected = [(0.02, PCMA.silence(160))]
        expected += [(round(0.04 + 0.02 * i, 6), transcode(frame(i), PCMU, PCMA)) for i in range(4)]
        expected += [(0.12, PCMA.silence(160))]
        self.assertEqual(to_b, expected)
        to_a = [r.packet.payload for r in self.pa.rtp(0)]
        self.assertEqual(to_a[1:5], [transcode(frame(100 + i), PCMA, PCMU) for i in range(4)])
        self.assertEqual((self.sink_a.frames, self.sink_b.frames), ([], []))
        self.assertEqual((self.bridge.forwarded_frames, self.bridge.dropped_frames), (8, 0))

    def test_same_codec_is_passed_through(self) -> None:
        h = MediaHarness()
        a, pa, _ = h.leg("a")
        b, pb, _ = h.leg("b")
        h.engine.bridge(a, b)
        h.at(0.01, pa.send_audio, frame(1))
        h.at(0.03, pa.send_audio, frame(2))
        h.run(0.06)
        self.assertEqual([r.packet.payload for r in pb.rtp()][1:3], [frame(1), frame(2)])

    def test_dtmf_relayed_as_rfc4733_with_the_other_legs_payload_type(self) -> None:
        send = self.pa.send_event
        self.h.at(0.01, send, "5", 160, False, True)
        self.h.at(0.03, send, "5", 320)
        for offset in (0.0, 0.001, 0.002):
            self.h.at(0.05 + offset, send, "5", 480, True)
        self.h.run(0.14)
        relayed = [(round(r.at, 6), r.packet.marker, TelephoneEvent.parse(r.packet.payload)) for r in self.pb.rtp(96)]
        self.assertEqual(
            relayed,
            [
                (0.02, True, TelephoneEvent(5, False, 10, 160)),
                (0.04, False, TelephoneEvent(5, False, 10, 320)),
                (0.06, False, TelephoneEvent(5, True, 10, 480)),
                (0.08, False, TelephoneEvent(5, True, 10, 480)),
                (0.1, False, TelephoneEvent(5, True, 10, 480)),
            ],
        )
        self.assertEqual(self.pb.rtp(101), [])
        self.assertEqual([e.digit for e in self.sink_a.events_of(DtmfReceived)], ["5"])
        self.assertEqual(self.bridge.dtmf_relayed, 1)

    def test_dtmf_not_relayed_without_telephone_event(self) -> None:
        h = MediaHarness()
        a, pa, sink = h.leg("a")
        b, pb, _ = h.leg("b", telephone_event_pt=None)
        bridge = h.engine.bridge(a, b)
        h.at(0.01, pa.send_event, "9", 800, True)
        h.run(0.1)
        self.assertEqual((bridge.dtmf_unrelayed, len(pb.rtp(101))), (1, 0))
        self.assertEqual(len(sink.events_of(DtmfReceived)), 1)

    def test_unbridge_returns_audio_to_the_sinks(self) -> None:
        self.bridge.close()
        self.assertIsNone(self.a.bridge)
        self.h.at(0.01, self.pa.send_audio, frame(1))
        self.h.at(0.03, self.pa.send_audio, frame(2))
        self.h.run(0.05)
        self.assertEqual([f.pcm for f in self.sink_a.frames if not f.concealed], [PCMU.decode(frame(1))])
        self.assertEqual({r.packet.payload for r in self.pb.rtp(8)}, {PCMA.silence(160)})

    def test_closing_a_leg_ends_the_bridge(self) -> None:
        self.b.close()
        self.assertTrue(self.bridge.closed)
        self.assertIsNone(self.a.bridge)
        self.h.at(0.01, self.pa.send_audio, frame(1))
        self.h.run(0.1)  # nothing raises, A's audio goes back up
        self.assertTrue(self.sink_a.frames)

    def test_a_prompt_queued_before_plays_first_and_bridged_audio_never_piles_up(self) -> None:
        self.b.push_pcm(pcm_frames(20))
        self.pa.start_talking([frame(i) for i in range(40)])
        self.h.run(0.9)
        payloads = [r.packet.payload for r in self.pb.rtp(8)]
        self.assertEqual(payloads[0], PCMA.encode(pcm_frames(1)))
        self.assertGreater(self.bridge.dropped_frames, 0)
        self.assertLessEqual(self.b.output.queued_frames, self.bridge.max_queue_frames)

    def test_refused(self) -> None:
        self.assertRaises(BridgeError, self.h.engine.bridge, self.a, self.b)
        c = self.h.engine.open_session("not started")
        self.bridge.close()
        self.assertRaises(BridgeError, self.h.engine.bridge, self.a, c)
        self.assertRaises(BridgeError, self.h.engine.bridge, self.a, self.a)
