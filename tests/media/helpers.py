"""Shared set-up for media tests: an engine on a task.Clock and a memory network."""

from __future__ import annotations

import random
import struct

from twisted.internet.task import Clock

from voicedock.media.config import MediaConfig, NegotiatedMedia
from voicedock.media.engine import MediaEngine
from voicedock.media.g711 import PCMU, G711Codec
from voicedock.media.session import RtpSession
from voicedock.testing.rtp_network import MemoryUdpNetwork
from voicedock.testing.rtp_peer import RecordingSink, RtpPeer


def frame(index: int) -> bytes:
    """A distinct 20 ms G.711 payload per index."""
    return bytes(((index * 7 + 1) % 256,)) * 160


def pcm_frames(count: int) -> bytes:
    """Distinct 20 ms frames of s16le PCM."""
    return b"".join(struct.pack("<160h", *[(500 + 263 * i) % 40000 - 20000] * 160) for i in range(count))


class MediaHarness:
    """An engine, one leg started towards one peer, all on one clock."""

    def __init__(self, codec: G711Codec = PCMU, **config: object) -> None:
        settings: dict[str, object] = dict(port_min=30000, port_max=30009, rtp_timeout=5.0)
        settings.update(config)
        self.clock = Clock()
        self.network = MemoryUdpNetwork(self.clock)
        self.engine = MediaEngine(self.clock, self.network, MediaConfig(**settings), rng=random.Random(7))  # type: ignore[arg-type]
        self.codec = codec

    def peer(self, **kwargs: object) -> RtpPeer:
        peer = RtpPeer(self.clock, self.network, codec=self.codec, **kwargs)  # type: ignore[arg-type]
        return peer

    def leg(
        self, label: str = "leg-1", peer: RtpPeer | None = None, **media: object
    ) -> tuple[RtpSession, RtpPeer, RecordingSink]:
        session = self.engine.open_session(label)
        if peer is None:
            peer = self.peer()
            peer.listen(with_rtcp=True)
        peer.remote = ("127.0.0.1", session.local_port)
        sink = RecordingSink()
        settings: dict[str, object] = dict(codec=self.codec, remote=peer.address)
        settings.update(media)
        session.start(NegotiatedMedia(**settings), sink)  # type: ignore[arg-type]
        return session, peer, sink

    def run(self, seconds: float, step: float = 0.001) -> None:
        """Let time pass in small steps (no stall)."""
        for _ in range(round(seconds / step)):
            self.clock.advance(step)

    def at(self, when: float, action: object, *args: object) -> None:
        self.clock.callLater(when - self.clock.seconds(), action, *args)  # type: ignore[arg-type]
