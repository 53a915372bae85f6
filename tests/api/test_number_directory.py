"""The SIP side's number lookup: normalisation, caching, invalidation across processes."""

from __future__ import annotations

import uuid
from typing import Any

from twisted.internet import defer, reactor
from twisted.trial import unittest

from tests.api.support import ApiTestCase, eventually
from voicedock.store.number_directory import NumberDirectory, RouteTarget, normalise_number
from voicedock.store.pool import Database, StoreUnavailable


class NormaliseTests(unittest.SynchronousTestCase):
    def test_forms_of_one_number(self) -> None:
        for dialled in ("+31850835037", "31850835037", "+31 85 083 50 37", "+31-85-083-5037",
                        "(+31) 85.083.50.37", "%2B31850835037", "+31850835037;user=phone",
                        "31/850835037"):
            self.assertEqual(normalise_number(dialled), "+31850835037", dialled)

    def test_not_numbers(self) -> None:
        for dialled in ("", "alice", "+", "0850835037", "+0850835037", "1", "+1234567890123456",
                        "+31850835037x", "++31850835037", "٣١٨٥٠٨٣٥٠٣٧"):
            self.assertIsNone(normalise_number(dialled), dialled)


class DirectoryTests(ApiTestCase):
    @defer.inlineCallbacks
    def setUp(self) -> Any:
        yield super().setUp()
        yield self.directory.start()

    @defer.inlineCallbacks
    def test_lookup_carries_organization_assistant_and_trunk(self) -> Any:
        assistant = yield self.assistant(name="Reception")
        trunk = yield self.trunk()
        number = yield self.number(name="Main", assistant_id=assistant["id"], transfer_trunk_id=trunk["id"])
        target = yield self.directory.lookup("31 85 083 50 37")
        self.assertEqual(target, RouteTarget(
            number_id=uuid.UUID(number["id"]),
            organization_id=uuid.UUID(trunk["org_id"]),
            phone_number="+31850835037",
            number_name="Main",
            number_is_active=True,
            assistant_id=uuid.UUID(assistant["id"]),
            assistant_name="Reception",
            assistant_is_active=True,
            transfer_trunk_id=uuid.UUID(trunk["id"]),
        ))
        self.assertTrue(target.answerable)
        self.assertIsNone((yield self.directory.lookup("+31201234567")))
        self.assertIsNone((yield self.directory.lookup("alice")))

    @defer.inlineCallbacks
    def test_served_from_memory(self) -> Any:
        before = self.directory.notifications
        yield self.number()

        def notified() -> Any:  # the creation's NOTIFY has arrived and flushed the cache
            return defer.succeed(self.directory.notifications > before)

        self.assertTrue((yield eventually(notified)))
        yield self.directory.lookup("+31850835037")
        misses = self.directory.misses
        for _ in range(5):
            yield self.directory.lookup("+31850835037")
            yield self.directory.lookup("+31201234567")
        yield self.directory.lookup("+31201234567")
        self.assertEqual(self.directory.misses, misses + 1)
        self.assertEqual(self.directory.hits, 10)

    @defer.inlineCallbacks
    def test_api_changes_are_visible_at_once(self) -> Any:
        """Each change made through the API shows in the very next lookup."""
        assistant = yield self.assistant()
        self.assertIsNone((yield self.directory.lookup("+31850835037")))
        number = yield self.number(assistant_id=assistant["id"])
        self.assertTrue((yield self.directory.lookup("+31850835037")).answerable)

        path = f"/api/v1/assistants/{assistant['id']}"
        self.assertStatus((yield self.client.patch(path, {"is_active": False})), 200)
        target = yield self.directory.lookup("+31850835037")
        self.assertFalse(target.assistant_is_active)
        self.assertFalse(target.answerable)

        self.assertStatus((yield self.client.patch(path, {"is_active": True, "name": "New name"})), 200)
        self.assertEqual((yield self.directory.lookup("+31850835037")).assistant_name, "New name")

        number_path = f"/api/v1/numbers/{number['id']}"
        self.assertStatus((yield self.client.patch(number_path, {"assistant_id": None})), 200)
        self.assertIsNone((yield self.directory.lookup("+31850835037")).assistant_id)

        self.assertStatus((yield self.client.patch(number_path, {"phone_number": "+31201234567"})), 200)
        self.assertIsNone((yield self.directory.lookup("+31850835037")))
        self.assertIsNotNone((yield self.directory.lookup("+31201234567")))

        trunk = yield self.trunk()
        self.assertStatus((yield self.client.patch(number_path, {"transfer_trunk_id": trunk["id"]})), 200)
        self.assertEqual((yield self.directory.lookup("+31201234567")).transfer_trunk_id, uuid.UUID(trunk["id"]))
        self.assertStatus((yield self.client.delete(f"/api/v1/sip-trunks/{trunk['id']}")), 200)
        self.assertIsNone((yield self.directory.lookup("+31201234567")).transfer_trunk_id)

        self.assertStatus((yield self.client.delete(number_path)), 200)
        self.assertIsNone((yield self.directory.lookup("+31201234567")))

    @defer.inlineCallbacks
    def test_changes_from_another_process(self) -> Any:
        """A second server process (its own pool, its own API) changes routing; we see it."""
        other_db = Database(reactor, self.db.dsn, size=1)
        yield other_db.start()
        self.addCleanup(other_db.close)
        from voicedock.api.app import ApiServer
        from voicedock.testing.api_client import ApiClient

        other_api = ApiClient(ApiServer(self.make_deps(db=other_db, number_directory=None)).resource(), self.key)
        self.assertIsNone((yield self.directory.lookup("+31850835037")))

        created = self.assertStatus((yield other_api.post("/api/v1/numbers", {"phone_number": "+31850835037"})),
                                    201)["number"]

        @defer.inlineCallbacks
        def registered() -> Any:
            return (yield self.directory.lookup("+31850835037")) is not None

        self.assertTrue((yield eventually(registered)))
        yield other_api.delete(f"/api/v1/numbers/{created['id']}")

        @defer.inlineCallbacks
        def gone() -> Any:
            return (yield self.directory.lookup("+31850835037")) is None

        self.assertTrue((yield eventually(gone)))

    @defer.inlineCallbacks
    def test_changes_made_in_sql_by_another_connection(self) -> Any:
        """Not only the API: any write to the routing tables notifies (schema triggers)."""
        assistant = yield self.assistant()
        yield self.number(assistant_id=assistant["id"])
        self.assertTrue((yield self.directory.lookup("+31850835037")).answerable)
        other_db = Database(reactor, self.db.dsn, size=1)
        yield other_db.start()
        self.addCleanup(other_db.close)
        yield other_db.runOperation("UPDATE assistants SET is_active = false")

        @defer.inlineCallbacks
        def inactive() -> Any:
            return not (yield self.directory.lookup("+31850835037")).answerable

        self.assertTrue((yield eventually(inactive)))

    @defer.inlineCallbacks
    def test_a_stale_answer_is_not_cached(self) -> Any:
        yield self.number()
        pending = self.directory.lookup("+31850835037")
        self.directory.invalidate()  # a change lands while the query is in flight
        self.assertIsNotNone((yield pending))
        self.assertEqual(self.directory._cache, {})
        yield self.directory.lookup("+31850835037")
        self.assertIn("+31850835037", self.directory._cache)

    @defer.inlineCallbacks
    def test_concurrent_misses_share_one_query(self) -> Any:
        yield self.number()
        misses = []
        original = self.db.runQuery

        def counting(sql: str, params: Any = None) -> Any:
            misses.append(sql)
            return original(sql, params)

        self.patch(self.db, "runQuery", counting)
        results = yield defer.gatherResults([self.directory.lookup("+31850835037") for _ in range(5)])
        self.assertEqual(len({r.number_id for r in results}), 1)
        self.assertEqual(len(misses), 1)

    @defer.inlineCallbacks
    def test_store_down_is_an_error_not_an_unknown_number(self) -> Any:
        directory = NumberDirectory(self.db)
        self.db.close()
        yield self.assertFailure(directory.lookup("+31850835037"), StoreUnavailable)
