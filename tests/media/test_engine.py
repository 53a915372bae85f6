"""Engine settings (from the command line and from SDP) and figures."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.media.helpers import MediaHarness
from voicedock.media.config import Direction, MediaConfig, NegotiatedMedia
from voicedock.media.g711 import PCMA
from voicedock.media.ports import PortPool, PortPoolExhausted, parse_port_range


class ConfigTests(SynchronousTestCase):
    def test_from_options(self) -> None:
        config = MediaConfig.from_options("20000-29999", "127.0.0.1", rtp_timeout=20.0, jitter_max_frames=8)
        self.assertEqual(
            (config.port_min, config.port_max, config.bind_interface, config.rtp_timeout, config.jitter_max_frames),
            (20000, 29999, "127.0.0.1", 20.0, 8),
        )

    def test_port_range_parsing(self) -> None:
        self.assertEqual(parse_port_range("10000-10001"), (10000, 10001))
        for bad in ("20000", "a-b", "30000-20000", "80-1000", "20000-70000", "20001-20002"):
            with self.subTest(bad):  # type: ignore[attr-defined]
                self.assertRaises(ValueError, parse_port_range, bad)

    def test_invalid_settings(self) -> None:
        self.assertRaises(ValueError, MediaConfig, jitter_min_frames=5, jitter_max_frames=4)
        self.assertRaises(ValueError, MediaConfig, max_burst=0)
        self.assertRaises(ValueError, MediaConfig, rtp_timeout=0)
        self.assertRaises(ValueError, MediaConfig, bind_interface="eth0")


class NegotiatedMediaTests(SynchronousTestCase):
    def test_defaults(self) -> None:
        media = NegotiatedMedia(codec=PCMA, remote=("192.0.2.1", 4000))
        self.assertEqual((media.audio_payload_type, media.telephone_event_pt, media.direction), (8, 101, Direction.SENDRECV))

    def test_refused(self) -> None:
        self.assertRaises(ValueError, NegotiatedMedia, ptime_ms=30)
        self.assertRaises(ValueError, NegotiatedMedia, telephone_event_pt=0)
        self.assertRaises(ValueError, NegotiatedMedia, remote=("pbx.example.com", 4000))
        self.assertRaises(ValueError, NegotiatedMedia, remote=("192.0.2.1", 70000))

    def test_directions(self) -> None:
        self.assertEqual([(d.sends, d.receives) for d in Direction], [(True, True), (True, False), (False, True), (False, False)])

    def test_unspecified_address_means_nowhere(self) -> None:
        """c=0.0.0.0 (old-style hold): nothing is sent until the far end's packets show where."""
        h = MediaHarness()
        leg, peer, _ = h.leg(remote=("0.0.0.0", 4000))
        h.run(0.1)
        self.assertEqual((leg.remote, h.network.sent), (None, []))


class PoolTests(SynchronousTestCase):
    def test_pairs(self) -> None:
        pool = PortPool(20001, 20006)
        self.assertEqual(pool.capacity, 2)
        self.assertEqual([pool.acquire(), pool.acquire()], [20002, 20004])
        self.assertRaises(PortPoolExhausted, pool.acquire)
        pool.release(20002)
        pool.release(20002)
        self.assertEqual((pool.available, pool.in_use), (1, 1))


class FiguresTests(SynchronousTestCase):
    def test_engine_figures(self) -> None:
        h = MediaHarness()
        h.leg()
        h.run(0.1)
        figures = h.engine.figures()
        self.assertEqual((figures.legs, figures.ports_available, figures.ticker.ticks), (1, 4, 5))
        h.engine.close_all()
        self.assertEqual(h.engine.figures().legs, 0)
