"""The pool survives the database going away and coming back, without a restart."""

import psycopg2
from twisted.internet import defer, reactor, task
from twisted.trial.unittest import TestCase

from voicedock.store.pool import StoreUnavailable
from voicedock.testing.postgres import admin_dsn, make_test_database


def _terminate_backends(dbname: str) -> int:
    conn = psycopg2.connect(admin_dsn())
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


@defer.inlineCallbacks
def _eventually(query, seconds=15.0):
    """Retry ``query()`` until it succeeds (reconnection runs on real time here)."""
    waited = 0.0
    while True:
        try:
            return (yield query())
        except StoreUnavailable:
            if waited > seconds:
                raise
        yield task.deferLater(reactor, 0.1, lambda: None)
        waited += 0.1


class ReconnectionTests(TestCase):
    @defer.inlineCallbacks
    def test_connections_killed_then_recovered(self):
        db = yield make_test_database(self)
        dbname = psycopg2.extensions.parse_dsn(db.dsn)["dbname"]
        self.assertEqual((yield db.runQuery("SELECT 1")), [(1,)])
        self.assertGreaterEqual(_terminate_backends(dbname), 1)
        # The first queries on dead connections fail cleanly, as StoreUnavailable...
        failures = 0
        for _ in range(db.size):
            try:
                yield db.runQuery("SELECT 1")
            except StoreUnavailable:
                failures += 1
        self.assertGreaterEqual(failures, 1)
        # ...and the pool reconnects by itself.
        for _ in range(db.size * 2):
            rows = yield _eventually(lambda: db.runQuery("SELECT 2"))
            self.assertEqual(rows, [(2,)])

    @defer.inlineCallbacks
    def test_listen_survives_reconnection(self):
        db = yield make_test_database(self)
        dbname = psycopg2.extensions.parse_dsn(db.dsn)["dbname"]
        seen = []
        yield db.listen("voicedock_test", seen.append)
        self.assertEqual(seen, ["*"])
        yield db.runOperation("NOTIFY voicedock_test, 'one'")
        yield _wait_for(lambda: "one" in seen)
        _terminate_backends(dbname)
        # after the listener reconnects it tells its subscribers to flush ("*") and listens again
        yield _wait_for(lambda: seen.count("*") >= 2, seconds=15)
        yield _eventually(lambda: db.runOperation("NOTIFY voicedock_test, 'two'"))
        yield _wait_for(lambda: "two" in seen)


@defer.inlineCallbacks
def _wait_for(condition, seconds=5.0):
    waited = 0.0
    while not condition():
        if waited > seconds:
            raise AssertionError("condition not met in time")
        yield task.deferLater(reactor, 0.05, lambda: None)
        waited += 0.05
