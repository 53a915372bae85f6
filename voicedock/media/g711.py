# -*- test-case-name: tests.media.test_g711 -*-
"""
G.711 µ-law (PCMU) and A-law (PCMA), bit-exact with CPython's ``audioop``.

Linear audio everywhere in the media layer is signed 16-bit little-endian
mono at 8 kHz (``s16le``), 320 bytes per 20 ms frame.

Two backends do the work:

- L{AudioopBackend}: the stdlib C module, present up to Python 3.12 (deprecated,
  so it is imported with its DeprecationWarning suppressed).
- L{TableBackend}: lookup tables built once from the algorithm ``audioop``
  implements (Sun's reference ``g711.c``: µ-law on the top 14 bits of a sample,
  A-law on the top 13 bits). The textbook 16-bit formula with a 0x84 bias gives
  different codes for some inputs, so it is not used.

L{active_backend} is ``audioop`` when importable, else the tables; L{use_backend}
switches it (tests compare both against ``audioop`` on every input).
"""

from __future__ import annotations

import sys
import warnings
from array import array
from typing import Protocol

import attr

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop as _audioop
except ImportError:  # Python 3.13 removed it.
    _audioop = None  # type: ignore[assignment]

__all__ = [
    "G711Backend",
    "AudioopBackend",
    "TableBackend",
    "G711Codec",
    "PCMU",
    "PCMA",
    "CODECS_BY_NAME",
    "active_backend",
    "use_backend",
    "audioop_available",
    "transcode",
]

_BIG_ENDIAN = sys.byteorder == "big"


class G711Backend(Protocol):
    """The four conversions of G.711; linear side is s16le, one byte per code."""

    name: str

    def lin2ulaw(self, pcm: bytes) -> bytes: ...

    def ulaw2lin(self, codes: bytes) -> bytes: ...

    def lin2alaw(self, pcm: bytes) -> bytes: ...

    def alaw2lin(self, codes: bytes) -> bytes: ...


def audioop_available() -> bool:
    """True when the stdlib ``audioop`` module could be imported."""
    return _audioop is not None


class AudioopBackend:
    """G.711 by the stdlib ``audioop`` C module (Python <= 3.12)."""

    name = "audioop"

    def __init__(self) -> None:
        if _audioop is None:
            raise RuntimeError("audioop is not available on this Python")
        self._a = _audioop

    def lin2ulaw(self, pcm: bytes) -> bytes:
        return self._a.lin2ulaw(pcm, 2)

    def ulaw2lin(self, codes: bytes) -> bytes:
        return self._a.ulaw2lin(codes, 2)

    def lin2alaw(self, pcm: bytes) -> bytes:
        return self._a.lin2alaw(pcm, 2)

    def alaw2lin(self, codes: bytes) -> bytes:
        return self._a.alaw2lin(codes, 2)


# --- the reference algorithm (audioop.c / Sun g711.c), run once to fill tables ---

_SEG_UEND = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_SEG_AEND = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
_ULAW_BIAS = 0x84
_ULAW_CLIP = 32635


def _segment(value: int, ends: tuple[int, ...]) -> int:
    for index, end in enumerate(ends):
        if value <= end:
            return index
    return len(ends)


def _linear14_to_ulaw(sample14: int) -> int:
    """µ-law code of a 14-bit sample (audioop feeds ``sample16 >> 2``)."""
    if sample14 < 0:
        magnitude, mask = -sample14, 0x7F
    else:
        magnitude, mask = sample14, 0xFF
    magnitude = min(magnitude, _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    segment = _segment(magnitude, _SEG_UEND)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((magnitude >> (segment + 1)) & 0xF)) ^ mask


def _linear13_to_alaw(sample13: int) -> int:
    """A-law code of a 13-bit sample (audioop feeds ``sample16 >> 3``)."""
    if sample13 >= 0:
        magnitude, mask = sample13, 0xD5
    else:
        magnitude, mask = -sample13 - 1, 0x55
    segment = _segment(magnitude, _SEG_AEND)
    if segment >= 8:
        return 0x7F ^ mask
    code = segment << 4
    code |= (magnitude >> (1 if segment < 2 else segment)) & 0xF
    return code ^ mask


def _ulaw_to_linear16(code: int) -> int:
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + _ULAW_BIAS) << ((code & 0x70) >> 4)
    return (_ULAW_BIAS - magnitude) if code & 0x80 else (magnitude - _ULAW_BIAS)


def _alaw_to_linear16(code: int) -> int:
    code ^= 0x55
    magnitude = (code & 0x0F) << 4
    segment = (code & 0x70) >> 4
    if segment == 0:
        magnitude += 8
    else:
        magnitude = (magnitude + 0x108) << (segment - 1)
    return magnitude if code & 0x80 else -magnitude


def _encode_table(encode_one) -> bytes:  # type: ignore[no-untyped-def]
    """Code for every 16-bit sample, indexed by the sample read as unsigned."""
    return bytes(encode_one(index - 0x10000 if index & 0x8000 else index) for index in range(0x10000))


def _decode_tables(decode_one) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    """Low and high byte of the s16le sample for each of the 256 codes."""
    samples = [decode_one(code) & 0xFFFF for code in range(256)]
    return bytes(s & 0xFF for s in samples), bytes(s >> 8 for s in samples)


class TableBackend:
    """G.711 by lookup tables, bit-exact with ``audioop`` (for Python >= 3.13)."""

    name = "table"

    def __init__(self) -> None:
        self._ulaw_encode = _encode_table(lambda s: _linear14_to_ulaw(s >> 2))
        self._alaw_encode = _encode_table(lambda s: _linear13_to_alaw(s >> 3))
        self._ulaw_decode = _decode_tables(_ulaw_to_linear16)
        self._alaw_decode = _decode_tables(_alaw_to_linear16)

    @staticmethod
    def _samples(pcm: bytes) -> array:  # type: ignore[type-arg]
        if len(pcm) % 2:
            raise ValueError("16-bit PCM must have an even number of bytes")
        samples = array("H")
        samples.frombytes(pcm)
        if _BIG_ENDIAN:
            samples.byteswap()
        return samples

    @staticmethod
    def _expand(codes: bytes, tables: tuple[bytes, bytes]) -> bytes:
        out = bytearray(2 * len(codes))
        out[0::2] = codes.translate(tables[0])
        out[1::2] = codes.translate(tables[1])
        return bytes(out)

    def lin2ulaw(self, pcm: bytes) -> bytes:
        return bytes(map(self._ulaw_encode.__getitem__, self._samples(pcm)))

    def ulaw2lin(self, codes: bytes) -> bytes:
        return self._expand(codes, self._ulaw_decode)

    def lin2alaw(self, pcm: bytes) -> bytes:
        return bytes(map(self._alaw_encode.__getitem__, self._samples(pcm)))

    def alaw2lin(self, codes: bytes) -> bytes:
        return self._expand(codes, self._alaw_decode)


def _default_backend() -> G711Backend:
    # audioop's native order is the host's; our s16le contract holds only on
    # little-endian hosts, so big-endian hosts use the tables.
    if _audioop is not None and not _BIG_ENDIAN:
        return AudioopBackend()
    return TableBackend()


_active: G711Backend = _default_backend()
_transcode_tables: dict[tuple[str, str], bytes] = {}


def active_backend() -> G711Backend:
    """The backend every L{G711Codec} uses right now."""
    return _active


def use_backend(backend: G711Backend) -> G711Backend:
    """Make C{backend} the active one; returns the previous one (for tests)."""
    global _active
    previous, _active = _active, backend
    _transcode_tables.clear()
    return previous


@attr.s(frozen=True, slots=True, auto_attribs=True, repr=False)
class G711Codec:
    """One G.711 variant as negotiated in SDP (RFC 3551 §4.5.14: 8 kHz, one byte a sample)."""

    name: str
    payload_type: int
    silence_code: int

    clock_rate = 8000

    def encode(self, pcm: bytes) -> bytes:
        """s16le linear PCM to codes (one byte per sample)."""
        if self.name == "PCMU":
            return _active.lin2ulaw(pcm)
        return _active.lin2alaw(pcm)

    def decode(self, codes: bytes) -> bytes:
        """Codes to s16le linear PCM (two bytes per sample)."""
        if self.name == "PCMU":
            return _active.ulaw2lin(codes)
        return _active.alaw2lin(codes)

    def silence(self, samples: int) -> bytes:
        """Encoded digital silence of C{samples} samples."""
        return bytes((self.silence_code,)) * samples

    def __repr__(self) -> str:
        return f"<G711Codec {self.name}/{self.clock_rate} pt={self.payload_type}>"


PCMU = G711Codec("PCMU", 0, 0xFF)
PCMA = G711Codec("PCMA", 8, 0xD5)
CODECS_BY_NAME = {"PCMU": PCMU, "PCMA": PCMA}


def _transcode_table(source: G711Codec, target: G711Codec) -> bytes:
    key = (source.name, target.name)
    table = _transcode_tables.get(key)
    if table is None:
        table = target.encode(source.decode(bytes(range(256))))
        _transcode_tables[key] = table
    return table


def transcode(codes: bytes, source: G711Codec, target: G711Codec) -> bytes:
    """
    Re-encode G.711 codes from C{source} to C{target} (PCMU <-> PCMA for bridged legs).

    Byte for byte the same as decoding to linear and encoding again, done as one
    256-entry translation.
    """
    if source.name == target.name:
        return codes
    return codes.translate(_transcode_table(source, target))
