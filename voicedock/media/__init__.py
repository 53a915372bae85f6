"""
RTP media engine: G.711, pacing ticker, jitter buffer, DTMF, bridging (RFC 3550).

A library layer: it knows nothing of SIP, assistants, the API or the store.
Call control opens legs on a L{MediaEngine} (one per process: one port pool,
one pacing ticker), starts each L{RtpSession} with the L{NegotiatedMedia} of
its SDP and a L{MediaSink}, pushes audio into C{session.output}, receives
L{AudioFrame}s and the events of L{voicedock.media.events}, and joins two
legs with a L{Bridge} for transfers.
"""

from voicedock.media.bridge import Bridge, BridgeError
from voicedock.media.config import Direction, MediaConfig, NegotiatedMedia
from voicedock.media.engine import EngineFigures, MediaEngine
from voicedock.media.events import (
    AudioFrame,
    DtmfReceived,
    LegStats,
    MediaEvent,
    MediaSink,
    PlaybackMarkReached,
    RemoteAddressChanged,
    RtpTimeout,
)
from voicedock.media.g711 import PCMA, PCMU, G711Codec, transcode
from voicedock.media.output import FlushResult
from voicedock.media.ports import PortPoolExhausted, parse_port_range
from voicedock.media.session import RtpSession, SessionClosed
from voicedock.media.ticker import TickerFigures

__all__ = [
    "AudioFrame",
    "Bridge",
    "BridgeError",
    "Direction",
    "DtmfReceived",
    "EngineFigures",
    "FlushResult",
    "G711Codec",
    "LegStats",
    "MediaConfig",
    "MediaEngine",
    "MediaEvent",
    "MediaSink",
    "NegotiatedMedia",
    "PCMA",
    "PCMU",
    "PlaybackMarkReached",
    "PortPoolExhausted",
    "RemoteAddressChanged",
    "RtpSession",
    "RtpTimeout",
    "SessionClosed",
    "TickerFigures",
    "parse_port_range",
    "transcode",
]
