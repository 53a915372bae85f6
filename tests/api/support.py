"""
Shared set-up for the API tests: an empty migrated database, an organization with a key,
the API.

Creating a database costs a third of a second here, so the tests of one run share one
migrated database (dropped when the run ends) and each test starts by emptying its tables.
Each test still has its own connection pool and listener.
"""

from __future__ import annotations

import atexit
import os
import uuid
from pathlib import Path
from typing import Any

from twisted.internet import defer, reactor, task
from twisted.trial import unittest

from voicedock.api.app import ApiDependencies, ApiServer
from voicedock.secretbox import SecretBox
from voicedock.store import api_keys
from voicedock.store.number_directory import NumberDirectory
from voicedock.testing.api_client import ApiClient, ApiResponse
from voicedock.store.migrate import migrate
from voicedock.store.pool import Database
from voicedock.testing.postgres import create_database, drop_database

DATA = Path(__file__).parent / "data"
TABLES = "organizations, api_keys, assistants, sip_trunks, phone_numbers, calls"
_shared_dsn: str | None = None


@defer.inlineCallbacks
def empty_database(testcase: unittest.TestCase) -> Any:
    """A started pool on the run's shared database, emptied; closed when the test ends."""
    global _shared_dsn
    if _shared_dsn is None:
        name, dsn = create_database("vdapi")
        atexit.register(drop_database, name)
        setup = Database(reactor, dsn, size=1)
        yield setup.start()
        try:
            yield migrate(setup)
        finally:
            setup.close()
        _shared_dsn = dsn
    db = Database(reactor, _shared_dsn, size=2)
    yield db.start()
    testcase.addCleanup(db.close)
    yield db.runOperation(f"TRUNCATE {TABLES} CASCADE")
    return db


class ApiTestCase(unittest.TestCase):
    """Each test gets its own migrated database, organization ``acme`` and key, and an API."""

    rate_limit_per_minute = 0
    voices_dir: Path | None = None

    @defer.inlineCallbacks
    def setUp(self) -> Any:
        self.db = yield empty_database(self)
        _, self.key = yield api_keys.create_key(self.db, "acme")
        self.clock = task.Clock()
        self.clock.advance(1_765_620_000)  # 2025-12-13
        self.secretbox = SecretBox(os.urandom(32))
        self.directory = NumberDirectory(self.db)
        self.server = ApiServer(self.make_deps())
        self.client = ApiClient(self.server.resource(), self.key)

    def make_deps(self, **changes: Any) -> ApiDependencies:
        values = dict(
            db=self.db, secretbox=self.secretbox, clock=self.clock,
            rate_limit_per_minute=self.rate_limit_per_minute, number_directory=self.directory,
            voices_dir=self.voices_dir,
        )
        values.update(changes)
        return ApiDependencies(**values)

    @defer.inlineCallbacks
    def other_organization(self) -> Any:
        """A client for a second organization ``globex`` on the same server."""
        _, key = yield api_keys.create_key(self.db, "globex")
        return self.client.with_key(key)

    def assertStatus(self, response: ApiResponse, status: int) -> Any:
        self.assertEqual(response.status, status, response.body.decode("utf-8", "replace"))
        return response.json()

    def assertError(self, response: ApiResponse, status: int, code: str, param: str | None = None) -> Any:
        body = self.assertStatus(response, status)
        self.assertEqual(body["code"], code)
        self.assertEqual(body["type"], code)
        self.assertIsInstance(body["error"], str)
        self.assertIsInstance(body["message"], str)
        if param is not None:
            self.assertEqual(body.get("param"), param)
        return body

    @defer.inlineCallbacks
    def create(self, path: str, body: dict[str, Any], key: str) -> Any:
        response = yield self.client.post(path, body)
        return self.assertStatus(response, 201)[key]

    def assistant(self, **fields: Any) -> defer.Deferred[Any]:
        return self.create("/api/v1/assistants", {"name": "Support", **fields}, "assistant")

    def trunk(self, **fields: Any) -> defer.Deferred[Any]:
        body = {"name": "Office PBX", "host": "pbx.example.com", **fields}
        return self.create("/api/v1/sip-trunks", body, "sip_trunk")

    def number(self, phone_number: str = "+31850835037", **fields: Any) -> defer.Deferred[Any]:
        return self.create("/api/v1/numbers", {"phone_number": phone_number, **fields}, "number")


@defer.inlineCallbacks
def eventually(check: Any, timeout: float = 5.0) -> Any:
    """Poll ``check()`` (a Deferred-returning predicate) until true; bounded in time."""
    deadline = reactor.seconds() + timeout
    while True:
        if (yield check()):
            return True
        if reactor.seconds() > deadline:
            return False
        yield task.deferLater(reactor, 0.01, lambda: None)


def random_id() -> str:
    return str(uuid.uuid4())
