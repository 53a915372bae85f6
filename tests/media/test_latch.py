"""Symmetric RTP latching without RTP bleed."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from voicedock.media.latch import LATCH_WINDOW_PACKETS, MAX_SEQUENCE_STEP, Admission, SymmetricLatch

SDP = ("198.51.100.7", 4000)
NAT = ("203.0.113.9", 61000)
STRANGER = ("192.0.2.66", 5004)


class LatchTests(SynchronousTestCase):
    def test_sends_to_signalled_until_packets_arrive(self) -> None:
        latch = SymmetricLatch(SDP)
        self.assertEqual((latch.remote, latch.latched), (SDP, False))

    def test_first_packet_latches_behind_nat(self) -> None:
        latch = SymmetricLatch(SDP)
        self.assertEqual(latch.admit(NAT, 0xAA, 10), Admission.LATCHED)
        self.assertEqual((latch.remote, latch.ssrc), (NAT, 0xAA))
        self.assertEqual(latch.admit(NAT, 0xAA, 11), Admission.ACCEPT)

    def test_stranger_is_rejected(self) -> None:
        latch = SymmetricLatch(SDP)
        latch.admit(NAT, 0xAA, 10)
        self.assertEqual(latch.admit(STRANGER, 0xBB, 500), Admission.REJECT)
        self.assertEqual(latch.admit(STRANGER, 0xBB, 501), Admission.REJECT)
        self.assertEqual((latch.remote, latch.rejected), (NAT, 2))

    def test_stranger_guessing_ssrc_but_not_sequence(self) -> None:
        latch = SymmetricLatch(SDP)
        latch.admit(NAT, 0xAA, 10)
        self.assertEqual(latch.admit(STRANGER, 0xAA, 10 + MAX_SEQUENCE_STEP + 1), Admission.REJECT)
        self.assertEqual(latch.admit(STRANGER, 0xAA, 10), Admission.REJECT)  # a replay
        self.assertEqual(latch.remote, NAT)

    def test_nat_rebinding_followed(self) -> None:
        latch = SymmetricLatch(SDP)
        for seq in range(10, 10 + LATCH_WINDOW_PACKETS + 5):
            latch.admit(NAT, 0xAA, seq)
        rebound = ("203.0.113.9", 62000)
        self.assertEqual(latch.admit(rebound, 0xAA, 10 + LATCH_WINDOW_PACKETS + 6), Admission.REBOUND)
        self.assertEqual(latch.remote, rebound)
        self.assertEqual(latch.admit(NAT, 0xAA, 10 + LATCH_WINDOW_PACKETS + 7), Admission.REBOUND)

    def test_sequence_wraps_during_rebinding(self) -> None:
        latch = SymmetricLatch(None)
        latch.admit(NAT, 1, 65530)
        self.assertEqual(latch.admit(STRANGER, 1, 3), Admission.REBOUND)

    def test_signalled_source_wins_the_race_in_the_window(self) -> None:
        """A stranger who hit our port first loses it when the real far end speaks from its SDP address."""
        latch = SymmetricLatch(SDP)
        self.assertEqual(latch.admit(STRANGER, 0xBB, 1), Admission.LATCHED)
        self.assertEqual(latch.admit(SDP, 0xAA, 77), Admission.LATCHED)
        self.assertEqual(latch.remote, SDP)
        self.assertEqual(latch.admit(STRANGER, 0xBB, 2), Admission.REJECT)

    def test_same_ip_beats_a_stranger_but_not_the_exact_address(self) -> None:
        latch = SymmetricLatch(SDP)
        latch.admit(STRANGER, 0xBB, 1)
        same_ip = (SDP[0], 4002)
        self.assertEqual(latch.admit(same_ip, 0xCC, 1), Admission.LATCHED)
        self.assertEqual(latch.admit(STRANGER, 0xBB, 2), Admission.REJECT)
        self.assertEqual(latch.admit(SDP, 0xAA, 1), Admission.LATCHED)

    def test_after_the_window_only_continuity_moves_it(self) -> None:
        latch = SymmetricLatch(SDP)
        for seq in range(LATCH_WINDOW_PACKETS):
            latch.admit(STRANGER, 0xBB, seq)
        self.assertEqual(latch.admit(SDP, 0xAA, 1), Admission.REJECT)
        self.assertEqual(latch.remote, STRANGER)

    def test_new_ssrc_from_the_latched_address(self) -> None:
        latch = SymmetricLatch(SDP)
        latch.admit(NAT, 0xAA, 10)
        self.assertEqual(latch.admit(NAT, 0xDD, 9000), Admission.ACCEPT)
        self.assertEqual(latch.ssrc, 0xDD)

    def test_reset_for_new_sdp(self) -> None:
        latch = SymmetricLatch(SDP)
        latch.admit(NAT, 0xAA, 10)
        latch.reset(STRANGER)
        self.assertEqual((latch.remote, latch.latched), (STRANGER, False))
