"""
G.711 against C{audioop} on every input: all 65536 16-bit samples for
encoding, all 256 codes for decoding, for the C{audioop} backend and the table
fallback alike, plus transcoding.
"""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
import warnings

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from voicedock.media import g711
from voicedock.media.g711 import PCMA, PCMU, TableBackend, transcode

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
except ImportError:
    audioop = None  # type: ignore[assignment]

EVERY_SAMPLE = struct.pack("<65536h", *range(-32768, 32768))
EVERY_CODE = bytes(range(256))

# SHA-256 of audioop's output on EVERY_SAMPLE / EVERY_CODE (CPython 3.11), so
# the table fallback is still checked where audioop is gone (3.13+).
AUDIOOP_DIGESTS = {
    "lin2ulaw": "81d633c9e6972a18c74a58720b96cb8ca0bdd096d4060b646dd708c3b846019a",
    "lin2alaw": "38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b",
    "ulaw2lin": "3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827",
    "alaw2lin": "e04788d110e58ff8c70c93b8480190d973e3b67876b6119abbaec766cc75c174",
}
NO_AUDIOOP = "audioop is not available on this Python (removed in 3.13)"


def _run(backend: g711.G711Backend, name: str) -> bytes:
    source = EVERY_SAMPLE if name.startswith("lin") else EVERY_CODE
    return getattr(backend, name)(source)  # type: ignore[no-any-return]


def _first_difference(a: bytes, b: bytes) -> str:
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"first difference at byte {index}: {x} != {y}"
    return f"lengths {len(a)} != {len(b)}"


class AgainstAudioopTests(SynchronousTestCase):
    """Both backends produce exactly what audioop produces, for every input."""

    def setUp(self) -> None:
        if audioop is None:
            raise self.skipTest(NO_AUDIOOP)

    def _compare(self, backend: g711.G711Backend, name: str) -> None:
        source = EVERY_SAMPLE if name.startswith("lin") else EVERY_CODE
        expected = getattr(audioop, name)(source, 2)
        got = _run(backend, name)
        self.assertTrue(got == expected, f"{backend.name}.{name}: {_first_difference(got, expected)}")

    def test_table_encode_every_sample(self) -> None:
        table = TableBackend()
        self._compare(table, "lin2ulaw")
        self._compare(table, "lin2alaw")

    def test_table_decode_every_code(self) -> None:
        table = TableBackend()
        self._compare(table, "ulaw2lin")
        self._compare(table, "alaw2lin")

    def test_audioop_backend(self) -> None:
        backend = g711.AudioopBackend()
        for name in AUDIOOP_DIGESTS:
            self._compare(backend, name)

    def test_recorded_digests_are_audioop(self) -> None:
        """The digests below are audioop's, so the 3.13 check means the same."""
        for name, digest in AUDIOOP_DIGESTS.items():
            source = EVERY_SAMPLE if name.startswith("lin") else EVERY_CODE
            self.assertEqual(hashlib.sha256(getattr(audioop, name)(source, 2)).hexdigest(), digest, name)

    def test_default_backend_is_audioop(self) -> None:
        self.assertEqual(g711.active_backend().name, "audioop")


class TableBackendTests(SynchronousTestCase):
    """The fallback alone (runs where audioop is gone)."""

    def test_matches_audioop_digests(self) -> None:
        table = TableBackend()
        for name, digest in AUDIOOP_DIGESTS.items():
            self.assertEqual(hashlib.sha256(_run(table, name)).hexdigest(), digest, name)

    def test_odd_length_refused(self) -> None:
        self.assertRaises(ValueError, TableBackend().lin2ulaw, b"\x00\x01\x02")

    def test_known_codes(self) -> None:
        """G.711 landmarks: digital silence and full scale."""
        table = TableBackend()
        self.assertEqual(table.lin2ulaw(struct.pack("<3h", 0, 32767, -32768)), b"\xff\x80\x00")
        self.assertEqual(table.lin2alaw(struct.pack("<3h", 0, 32767, -32768)), b"\xd5\xaa\x2a")
        self.assertEqual(table.ulaw2lin(b"\xff\x7f"), struct.pack("<2h", 0, 0))


class SelectableBackendTests(SynchronousTestCase):
    def test_use_backend_switches_codecs(self) -> None:
        table = TableBackend()
        previous = g711.use_backend(table)
        self.addCleanup(g711.use_backend, previous)
        self.assertIs(g711.active_backend(), table)
        pcm = EVERY_SAMPLE[:640]
        self.assertEqual(PCMU.encode(pcm), table.lin2ulaw(pcm))
        self.assertEqual(PCMA.decode(b"\xd5" * 4), table.alaw2lin(b"\xd5" * 4))

    def test_codec_silence(self) -> None:
        self.assertEqual(PCMU.silence(3), b"\xff\xff\xff")
        self.assertEqual(PCMA.silence(2), b"\xd5\xd5")
        self.assertEqual(PCMU.decode(PCMU.silence(160)), bytes(320))
        self.assertEqual(PCMA.decode(PCMA.silence(160)), struct.pack("<160h", *[8] * 160))


class TranscodeTests(SynchronousTestCase):
    """PCMU <-> PCMA for bridged legs: byte for byte decode-then-encode."""

    def _check_all_codes(self) -> None:
        for source, target in ((PCMU, PCMA), (PCMA, PCMU)):
            expected = target.encode(source.decode(EVERY_CODE))
            self.assertEqual(transcode(EVERY_CODE, source, target), expected)
            if audioop is not None:
                decode = audioop.ulaw2lin if source is PCMU else audioop.alaw2lin
                encode = audioop.lin2alaw if target is PCMA else audioop.lin2ulaw
                self.assertEqual(transcode(EVERY_CODE, source, target), encode(decode(EVERY_CODE, 2), 2))

    def test_every_code_active_backend(self) -> None:
        self._check_all_codes()

    def test_every_code_table_backend(self) -> None:
        previous = g711.use_backend(TableBackend())
        self.addCleanup(g711.use_backend, previous)
        self._check_all_codes()

    def test_same_codec_is_identity(self) -> None:
        self.assertEqual(transcode(b"\x01\x02", PCMU, PCMU), b"\x01\x02")

    @given(st.binary(max_size=400))
    def test_decode_encode_is_stable(self, codes: bytes) -> None:
        """Decoding a G.711 code and encoding it again gives the same code back (µ-law: but for -0)."""
        for codec in (PCMU, PCMA):
            again = codec.encode(codec.decode(codes))
            if codec is PCMU:
                codes_ = codes.replace(b"\x7f", b"\xff")  # 0x7f (-0) decodes to 0, which encodes as 0xff
                again = again.replace(b"\x7f", b"\xff")
                self.assertEqual(again, codes_)
            else:
                self.assertEqual(again, codes)


class WithoutAudioopTests(SynchronousTestCase):
    """Where audioop is gone (Python 3.13+) the tables are the default, with the same output."""

    def test_fallback_is_the_default(self) -> None:
        script = (
            "import hashlib, struct, sys\n"
            "sys.modules['audioop'] = None\n"
            "from voicedock.media import g711\n"
            "pcm = struct.pack('<65536h', *range(-32768, 32768))\n"
            "print(g711.audioop_available(), g711.active_backend().name,"
            " hashlib.sha256(g711.PCMU.encode(pcm)).hexdigest(),"
            " hashlib.sha256(g711.PCMA.decode(bytes(range(256)))).hexdigest())\n"
        )
        output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        self.assertEqual(
            output.split(), ["False", "table", AUDIOOP_DIGESTS["lin2ulaw"], AUDIOOP_DIGESTS["alaw2lin"]]
        )
