"""RFC 4733 telephone-events: payload, receiver (each key once), sender (exact packets)."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from voicedock.media.dtmf import (
    DtmfReceiver,
    DtmfSender,
    TelephoneEvent,
    TelephoneEventError,
    digit_of,
    event_of,
)


class PayloadTests(SynchronousTestCase):
    def test_parse(self) -> None:
        self.assertEqual(TelephoneEvent.parse(bytes.fromhex("0b8a0320")), TelephoneEvent(11, True, 10, 800))

    def test_round_trip(self) -> None:
        event = TelephoneEvent(5, False, 63, 65535)
        self.assertEqual(TelephoneEvent.parse(event.to_bytes()), event)

    def test_short_payload(self) -> None:
        self.assertRaises(TelephoneEventError, TelephoneEvent.parse, b"\x01\x02\x03")

    def test_digits(self) -> None:
        self.assertEqual([digit_of(e) for e in (0, 9, 10, 11, 12, 15, 16, 99)], list("09*#AD!?"))
        self.assertEqual([event_of(k) for k in "0*#a!"], [0, 10, 11, 12, 16])
        self.assertRaises(ValueError, event_of, "x")
        self.assertRaises(ValueError, event_of, "12")


class ReceiverTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.log: list[tuple[object, ...]] = []
        self.receiver = DtmfReceiver(
            lambda event, volume: self.log.append(("begin", event)),
            lambda event, volume, duration: self.log.append(("end", event, duration)),
        )

    def feed(self, ts: int, event: int, duration: int, end: bool = False, now: float = 0.0) -> None:
        self.receiver.receive(ts, TelephoneEvent(event, end, 10, duration), now)

    def test_one_key_press_with_end_retransmissions(self) -> None:
        for duration in (160, 320, 480):
            self.feed(1000, 5, duration)
        for _ in range(3):
            self.feed(1000, 5, 640, end=True)
        self.assertEqual(self.log, [("begin", 5), ("end", 5, 640)])
        self.assertEqual(self.receiver.ignored_packets, 2)

    def test_without_marker_two_presses_of_the_same_key(self) -> None:
        """New events are told apart by timestamp; the marker bit is not needed."""
        self.feed(1000, 1, 160)
        self.feed(1000, 1, 320, end=True)
        self.feed(3000, 1, 160)
        self.feed(3000, 1, 320, end=True)
        self.assertEqual(self.log, [("begin", 1), ("end", 1, 320), ("begin", 1), ("end", 1, 320)])

    def test_end_packet_alone(self) -> None:
        self.feed(5000, 11, 800, end=True)
        self.feed(5000, 11, 800, end=True)
        self.assertEqual(self.log, [("begin", 11), ("end", 11, 800)])

    def test_lost_end_ends_at_next_event(self) -> None:
        self.feed(1000, 2, 160)
        self.feed(1000, 2, 320)
        self.feed(2000, 3, 160)
        self.assertEqual(self.log, [("begin", 2), ("end", 2, 320), ("begin", 3)])

    def test_lost_end_ends_on_timeout(self) -> None:
        self.feed(1000, 4, 160, now=10.0)
        self.receiver.expire(10.49)
        self.assertEqual(self.log, [("begin", 4)])
        self.receiver.expire(10.5)
        self.assertEqual(self.log, [("begin", 4), ("end", 4, 160)])
        self.feed(1000, 4, 320, now=10.6)  # a straggler of the ended event
        self.assertEqual(len(self.log), 2)

    def test_stale_event_ignored(self) -> None:
        self.feed(5000, 1, 160, end=True)
        self.feed(4000, 9, 160)  # older than the last ended event
        self.assertEqual(self.log, [("begin", 1), ("end", 1, 160)])

    def test_timestamp_wrap(self) -> None:
        self.feed(2**32 - 100, 1, 160, end=True)
        self.feed(60, 2, 160, end=True)
        self.assertEqual(self.log, [("begin", 1), ("end", 1, 160), ("begin", 2), ("end", 2, 160)])


def _drive(sender: DtmfSender, ticks: int, start: int = 16000) -> list[tuple[int, bool, TelephoneEvent] | None]:
    out = []
    for tick in range(ticks):
        packet = sender.next_packet(start + 160 * tick)
        out.append(None if packet is None else (packet.timestamp, packet.marker, TelephoneEvent.parse(packet.payload)))
    return out


class SenderTests(SynchronousTestCase):
    def test_one_key_press(self) -> None:
        """100 ms: five packets with growing duration, the end sent three times, then a gap."""
        sender = DtmfSender(160, gap_frames=3)
        sender.send(7, 800)
        got = _drive(sender, 9)
        expected = [(16000, True, TelephoneEvent(7, False, 10, 160))]
        expected += [(16000, False, TelephoneEvent(7, False, 10, d)) for d in (320, 480, 640)]
        expected += [(16000, False, TelephoneEvent(7, True, 10, 800))] * 3
        self.assertEqual(got, expected + [None, None])
        self.assertEqual(sender.events_sent, 1)
        self.assertTrue(sender.busy)  # still in the gap
        _drive(sender, 1)
        self.assertFalse(sender.busy)

    def test_keys_are_separated_by_the_gap(self) -> None:
        sender = DtmfSender(160, gap_frames=2)
        sender.send(1, 160)
        sender.send(2, 160)
        got = _drive(sender, 9)
        self.assertEqual([g is None for g in got], [False] * 3 + [True] * 2 + [False] * 3 + [True])
        self.assertEqual(got[5][0], 16000 + 5 * 160)  # type: ignore[index]
        self.assertEqual(got[5][2].event, 2)  # type: ignore[index]

    def test_relayed_event_follows_the_source(self) -> None:
        sender = DtmfSender(160)
        sender.begin_relayed(9, 20)
        first = _drive(sender, 3)
        self.assertEqual([p[2].duration for p in first if p], [160, 320, 480])  # type: ignore[index]
        sender.end_relayed(800)
        rest = _drive(sender, 5, start=16480)
        self.assertEqual(
            [(p[2].duration, p[2].end) for p in rest if p],  # type: ignore[index]
            [(640, False), (800, True), (800, True), (800, True)],
        )
