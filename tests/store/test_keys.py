"""API keys: random, hashed at rest, bound to one organization, revocable."""

import hashlib

from twisted.internet import defer
from twisted.trial.unittest import TestCase

from voicedock.store import api_keys
from voicedock.testing.postgres import make_test_database


class ApiKeyTests(TestCase):
    @defer.inlineCallbacks
    def test_create_authenticate_revoke(self):
        db = yield make_test_database(self)
        key_id, plaintext = yield api_keys.create_key(db, "acme")
        self.assertRegex(plaintext, r"^vd_live_[A-Za-z0-9_-]{32}$")
        principal = yield api_keys.authenticate(db, plaintext)
        self.assertEqual(principal.key_id, key_id)
        rows = yield db.runQuery("SELECT id, name FROM organizations")
        self.assertEqual([str(r[0]) for r in rows], [str(principal.organization_id)])
        self.assertIsNone((yield api_keys.authenticate(db, plaintext[:-1] + "x")))
        self.assertIsNone((yield api_keys.authenticate(db, "Bearer nonsense")))
        self.assertTrue((yield api_keys.revoke_key(db, key_id)))
        self.assertFalse((yield api_keys.revoke_key(db, key_id)))
        self.assertIsNone((yield api_keys.authenticate(db, plaintext)))

    @defer.inlineCallbacks
    def test_only_the_hash_is_stored(self):
        db = yield make_test_database(self)
        _, plaintext = yield api_keys.create_key(db, "acme")
        rows = yield db.runQuery("SELECT key_hash, prefix FROM api_keys")
        self.assertEqual(bytes(rows[0][0]), hashlib.sha256(plaintext.encode()).digest())
        dump = yield db.runQuery("SELECT row_to_json(k)::text FROM api_keys k")
        self.assertNotIn(plaintext, dump[0][0])
        self.assertNotIn(plaintext[len(api_keys.KEY_PREFIX):], dump[0][0])

    @defer.inlineCallbacks
    def test_keys_are_unique_and_belong_to_their_org(self):
        db = yield make_test_database(self)
        _, a = yield api_keys.create_key(db, "a")
        _, b = yield api_keys.create_key(db, "b")
        _, a2 = yield api_keys.create_key(db, "a")
        self.assertEqual(len({a, b, a2}), 3)
        pa, pb, pa2 = yield defer.gatherResults([api_keys.authenticate(db, k) for k in (a, b, a2)])
        self.assertEqual(pa.organization_id, pa2.organization_id)
        self.assertNotEqual(pa.organization_id, pb.organization_id)
        listed = yield api_keys.list_keys(db)
        self.assertEqual(sorted(k.organization_name for k in listed), ["a", "a", "b"])

    @defer.inlineCallbacks
    def test_bootstrap_only_once_even_concurrently(self):
        db = yield make_test_database(self)
        results = yield defer.gatherResults([api_keys.bootstrap_if_empty(db) for _ in range(3)])
        created = [r for r in results if r]
        self.assertEqual(len(created), 1)
        principal = yield api_keys.authenticate(db, created[0])
        self.assertIsNotNone(principal)
        self.assertIsNone((yield api_keys.bootstrap_if_empty(db)))
