"""The per-stream output queue and RTP sender: flush, marks, silence, CN, catch-up, DTMF."""

from __future__ import annotations

import struct

from twisted.trial.unittest import SynchronousTestCase

from voicedock.media.dtmf import TelephoneEvent
from voicedock.media.g711 import PCMA, PCMU, transcode
from voicedock.media.output import COMFORT_NOISE_REFRESH_FRAMES, OutputStream
from voicedock.media.packet import RtpPacket, parse_rtp

TS0 = 2**32 - 320  # wraps on the third frame


def tone(frames: int, level: int = 1000) -> bytes:
    """Distinct 20 ms frames of PCM: frame i is a constant level + 100 i."""
    return b"".join(struct.pack("<160h", *[level + 100 * i] * 160) for i in range(frames))


class OutputTests(SynchronousTestCase):
    def make(self, **kwargs: object) -> OutputStream:
        self.sent: list[bytes] = []
        self.marks: list[object] = []
        settings: dict[str, object] = dict(
            codec=PCMU, payload_type=0, ssrc=0xCAFE, sequence=65535, timestamp=TS0,
            send=self.sent.append, max_burst=3, telephone_event_pt=101, on_mark=self.marks.append,
        )
        settings.update(kwargs)
        return OutputStream(**settings)  # type: ignore[arg-type]

    def packets(self) -> list[RtpPacket]:
        return [parse_rtp(d) for d in self.sent]

    def test_silence_when_idle_with_continuous_numbering(self) -> None:
        out = self.make()
        for _ in range(3):
            out.transmit(1)
        self.assertEqual(
            [(p.payload_type, p.sequence, p.timestamp, p.ssrc, p.marker, p.payload) for p in self.packets()],
            [
                (0, 65535, TS0, 0xCAFE, True, b"\xff" * 160),
                (0, 0, TS0 + 160, 0xCAFE, False, b"\xff" * 160),
                (0, 1, 0, 0xCAFE, False, b"\xff" * 160),
            ],
        )

    def test_pcm_frames_in_order_then_silence(self) -> None:
        out = self.make()
        pcm = tone(2) + tone(1)[:100]  # 2 frames and a bit
        out.push_pcm(pcm)
        self.assertEqual(out.queued_frames, 3)
        for _ in range(4):
            out.transmit(1)
        payloads = [p.payload for p in self.packets()]
        padded = pcm[640:] + bytes(640 + 320 - len(pcm))
        self.assertEqual(payloads, [PCMU.encode(pcm[:320]), PCMU.encode(pcm[320:640]), PCMU.encode(padded), b"\xff" * 160])

    def test_partial_pcm_waits_for_more(self) -> None:
        out = self.make()
        pcm = tone(2)
        out.push_pcm(pcm[:100])
        out.push_pcm(pcm[100:])
        out.transmit(2)
        self.assertEqual([p.payload for p in self.packets()], [PCMU.encode(pcm[:320]), PCMU.encode(pcm[320:])])

    def test_payload_of_the_other_codec_is_transcoded(self) -> None:
        out = self.make()
        alaw = PCMA.encode(tone(1))
        out.push_payload(alaw, PCMA)
        out.push_payload(b"\x01" * 10)
        out.transmit(2)
        self.assertEqual([p.payload for p in self.packets()], [transcode(alaw, PCMA, PCMU), b"\x01" * 10 + b"\xff" * 150])

    def test_flush_at_once(self) -> None:
        out = self.make()
        out.push_pcm(tone(50))
        out.mark("turn-1")
        out.transmit(1)
        out.transmit(1)
        result = out.flush()
        self.assertEqual((result.frames, result.milliseconds, result.marks), (48, 960, ("turn-1",)))
        self.assertEqual(out.queued_frames, 0)
        out.transmit(1)
        last = self.packets()[-1]
        self.assertEqual((last.payload, last.timestamp, last.marker), (b"\xff" * 160, (TS0 + 320) % 2**32, False))
        self.assertEqual(self.marks, [])

    def test_marks_fire_after_the_audio_before_them(self) -> None:
        out = self.make()
        out.push_pcm(tone(2))
        out.mark("a")
        out.push_pcm(tone(1))
        out.mark("b")
        fired = []
        for _ in range(4):
            out.transmit(1)
            fired.append(list(self.marks))
        self.assertEqual(fired, [[], ["a"], ["a", "b"], ["a", "b"]])

    def test_mark_on_empty_queue_fires_on_next_tick(self) -> None:
        out = self.make()
        out.mark("now")
        self.assertEqual(self.marks, [])
        out.transmit(1)
        self.assertEqual(self.marks, ["now"])

    def test_catch_up_within_burst(self) -> None:
        out = self.make()
        out.push_pcm(tone(5))
        out.transmit(3)
        packets = self.packets()
        self.assertEqual([p.timestamp for p in packets], [TS0, TS0 + 160, 0])
        self.assertEqual([p.sequence for p in packets], [65535, 0, 1])
        self.assertEqual((out.frames_late, out.frames_skipped), (2, 0))

    def test_catch_up_beyond_burst_skips_the_oldest(self) -> None:
        """Owed 10 after a 200 ms stall: the 3 newest frames go out, 7 are dropped, timestamps stay on the clock."""
        out = self.make()
        pcm = tone(12)
        out.push_pcm(pcm)
        out.transmit(10)
        packets = self.packets()
        self.assertEqual([p.payload for p in packets], [PCMU.encode(pcm[320 * i : 320 * (i + 1)]) for i in (7, 8, 9)])
        self.assertEqual([p.timestamp for p in packets], [(TS0 + 160 * i) % 2**32 for i in (7, 8, 9)])
        self.assertEqual([p.sequence for p in packets], [65535, 0, 1])
        self.assertEqual((out.frames_skipped, out.frames_late, out.queued_frames), (7, 2, 2))

    def test_comfort_noise_between_talkspurts(self) -> None:
        out = self.make(comfort_noise_pt=13)
        out.transmit(1)  # silence from the start: one CN packet
        out.transmit(2)  # nothing
        out.push_pcm(tone(2))
        out.transmit(2)  # talkspurt: marker on its first packet
        out.transmit(1)  # silence again: CN
        kinds = [(p.payload_type, p.marker, p.timestamp - TS0 & 0xFFFFFFFF) for p in self.packets()]
        self.assertEqual(kinds, [(13, False, 0), (0, True, 480), (0, False, 640), (13, False, 800)])
        self.assertEqual(self.packets()[0].payload, bytes((90,)))
        for _ in range(COMFORT_NOISE_REFRESH_FRAMES):
            out.transmit(1)
        self.assertEqual(self.packets()[-1].payload_type, 13)
        self.assertEqual(len(self.packets()), 5)

    def test_dtmf_replaces_audio_which_waits(self) -> None:
        out = self.make()
        out.push_pcm(tone(1))
        out.send_dtmf("#", duration_ms=40)
        for _ in range(8):
            out.transmit(1)
        packets = self.packets()
        kinds = [p.payload_type for p in packets]
        self.assertEqual(kinds, [101, 101, 101, 101, 0, 0, 0, 0])
        events = [TelephoneEvent.parse(p.payload) for p in packets[:4]]
        self.assertEqual([(e.event, e.duration, e.end) for e in events], [(11, 160, False), (11, 320, True), (11, 320, True), (11, 320, True)])
        self.assertEqual({p.timestamp for p in packets[:4]}, {TS0})
        self.assertTrue(packets[0].marker)
        self.assertEqual(packets[4].payload, PCMU.encode(tone(1)))
        self.assertEqual(packets[4].timestamp, (TS0 + 4 * 160) % 2**32)

    def test_dtmf_needs_telephone_event(self) -> None:
        out = self.make(telephone_event_pt=None)
        self.assertRaises(ValueError, out.send_dtmf, "1")
        self.assertRaises(ValueError, self.make().send_dtmf, "x")

    def test_disabled_sends_nothing_but_time_moves(self) -> None:
        out = self.make()
        out.enabled = False
        out.push_pcm(tone(2))
        out.transmit(2)
        out.enabled = True
        out.transmit(1)
        (packet,) = self.packets()
        self.assertEqual((packet.sequence, packet.timestamp, packet.payload), (65535, 0, b"\xff" * 160))
