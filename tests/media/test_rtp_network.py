"""The in-memory UDP network and the RTP peer double."""

from __future__ import annotations

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import DatagramProtocol
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from voicedock.testing.rtp_network import MemoryUdpNetwork
from voicedock.testing.rtp_peer import RtpPeer


class Collect(DatagramProtocol):
    noisy = False

    def __init__(self) -> None:
        self.got: list[tuple[bytes, tuple[str, int]]] = []

    def datagramReceived(self, datagram: bytes, addr: tuple[str, int]) -> None:
        self.got.append((datagram, addr))


class NetworkTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.net = MemoryUdpNetwork(self.clock)

    def test_delivery_and_source_address(self) -> None:
        a, b = Collect(), Collect()
        port_a = self.net.listenUDP(5000, a, interface="127.0.0.1")
        self.net.listenUDP(6000, b)
        port_a.write(b"hi", ("127.0.0.1", 6000))
        self.assertEqual(b.got, [(b"hi", ("127.0.0.1", 5000))])
        self.assertEqual(port_a.getHost().port, 5000)

    def test_conflicts(self) -> None:
        self.net.listenUDP(5000, Collect())
        self.assertRaises(CannotListenError, self.net.listenUDP, 5000, Collect(), interface="127.0.0.1")

    def test_delay_drop_and_undeliverable(self) -> None:
        a, b = Collect(), Collect()
        port_a = self.net.listenUDP(5000, a)
        self.net.listenUDP(6000, b)
        self.net.delay = lambda d: 0.05
        port_a.write(b"late", ("127.0.0.1", 6000))
        self.assertEqual(b.got, [])
        self.clock.advance(0.05)
        self.assertEqual(len(b.got), 1)
        self.net.drop = lambda d: True
        port_a.write(b"lost", ("127.0.0.1", 6000))
        self.net.drop = lambda d: False
        self.net.delay = lambda d: 0.0
        port_a.write(b"nobody", ("127.0.0.1", 7000))
        self.assertEqual((len(b.got), len(self.net.sent), len(self.net.undeliverable)), (1, 3, 1))

    def test_stop_listening(self) -> None:
        port = self.net.listenUDP(0, Collect())
        address = ("127.0.0.1", port.getHost().port)
        self.assertTrue(self.net.bound(address))
        port.stopListening()
        self.assertFalse(self.net.bound(address))


class PeerTests(SynchronousTestCase):
    def test_talks_on_the_clock_and_rebinds(self) -> None:
        clock = Clock()
        net = MemoryUdpNetwork(clock)
        sink = Collect()
        net.listenUDP(7000, sink)
        peer = RtpPeer(clock, net)
        first = peer.listen(with_rtcp=True)
        self.assertEqual(first % 2, 0)
        peer.remote = ("127.0.0.1", 7000)
        peer.start_talking([b"\x01" * 160, b"\x02" * 160])
        clock.pump([0.02, 0.02, 0.02])
        self.assertEqual([data[12:13] for data, _ in sink.got], [b"\x01", b"\x02"])
        peer.rebind()
        peer.send_audio()
        self.assertNotEqual(sink.got[-1][1][1], first)
        peer.close()
