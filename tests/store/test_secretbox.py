"""Secrets at rest: sealed per row, the key's fingerprint guards against a wrong key."""

import os
import stat
import tempfile
from pathlib import Path

from twisted.internet import defer
from twisted.trial.unittest import SynchronousTestCase, TestCase

from voicedock.secretbox import (
    SecretBox,
    SecretDecryptionError,
    SecretKeyError,
    encode_key,
    load_or_create_key,
    parse_key,
)
from voicedock.store.settings import check_key_fingerprint
from voicedock.testing.postgres import make_test_database

KEY = bytes(range(32))


class SecretBoxTests(SynchronousTestCase):
    def test_round_trip_and_no_plaintext(self):
        box = SecretBox(KEY)
        sealed = box.seal("secure-password", "sip_trunks", "id-1", "password")
        self.assertNotIn(b"secure-password", sealed)
        self.assertEqual(box.open(sealed, "sip_trunks", "id-1", "password"), "secure-password")

    def test_bound_to_row_and_column(self):
        box = SecretBox(KEY)
        sealed = box.seal("x", "sip_trunks", "id-1", "password")
        self.assertRaises(SecretDecryptionError, box.open, sealed, "sip_trunks", "id-2", "password")
        self.assertRaises(SecretDecryptionError, box.open, sealed, "assistants", "id-1", "password")

    def test_other_key_cannot_open(self):
        sealed = SecretBox(KEY).seal("x", "t", 1, "c")
        self.assertRaises(SecretDecryptionError, SecretBox(bytes(32)).open, sealed, "t", 1, "c")

    def test_key_formats(self):
        self.assertEqual(parse_key(KEY.hex(), "x"), KEY)
        self.assertEqual(parse_key(encode_key(KEY), "x"), KEY)
        self.assertRaises(SecretKeyError, parse_key, "too-short", "x")

    def test_repr_shows_no_key(self):
        self.assertNotIn(KEY.hex(), repr(SecretBox(KEY)))

    def test_generated_key_file_is_private_and_stable(self):
        d = Path(tempfile.mkdtemp())
        key, origin = load_or_create_key(None, None, None, d / "secret.key")
        self.assertIn("generated", origin)
        self.assertEqual(stat.S_IMODE(os.stat(d / "secret.key").st_mode), 0o600)
        again, _ = load_or_create_key(None, None, None, d / "secret.key")
        self.assertEqual(key, again)
        env_key, origin = load_or_create_key(KEY.hex(), None, None, d / "secret.key")
        self.assertEqual((env_key, origin), (KEY, "VOICEDOCK_SECRET_KEY"))


class FingerprintTests(TestCase):
    @defer.inlineCallbacks
    def test_refuses_a_different_key(self):
        db = yield make_test_database(self)
        first = yield check_key_fingerprint(db, SecretBox(KEY).fingerprint)
        self.assertTrue(first)
        again = yield check_key_fingerprint(db, SecretBox(KEY).fingerprint)
        self.assertFalse(again)
        failure = yield self.assertFailure(
            check_key_fingerprint(db, SecretBox(bytes(32)).fingerprint), SecretKeyError
        )
        self.assertIn("not the key this database was set up with", str(failure))
