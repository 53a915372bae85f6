"""Migrations: applied once, in order, safely when two processes start together."""

from twisted.internet import defer
from twisted.trial.unittest import TestCase

from voicedock.store.migrate import Migration, bundled_migrations, migrate
from voicedock.testing.postgres import make_test_database


class MigrateTests(TestCase):
    @defer.inlineCallbacks
    def test_applies_bundled_schema_once(self):
        db = yield make_test_database(self, migrated=False)
        applied = yield migrate(db)
        self.assertEqual(applied, [m.version for m in bundled_migrations()])
        again = yield migrate(db)
        self.assertEqual(again, [])
        rows = yield db.runQuery("SELECT version, name FROM schema_migrations ORDER BY version")
        self.assertEqual([r[0] for r in rows], applied)
        tables = yield db.runQuery(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        names = {r[0] for r in tables}
        for table in ("organizations", "api_keys", "assistants", "phone_numbers", "sip_trunks", "calls"):
            self.assertIn(table, names)

    @defer.inlineCallbacks
    def test_two_processes_at_once(self):
        """Two pools migrating concurrently: each migration runs exactly once."""
        db1 = yield make_test_database(self, migrated=False)
        from voicedock.store.pool import Database
        from twisted.internet import reactor

        db2 = Database(reactor, db1.dsn, size=1)
        yield db2.start()
        self.addCleanup(db2.close)
        slow = [
            Migration(1, "001_a.sql", "CREATE TABLE t (n int); SELECT pg_sleep(0.3); INSERT INTO t VALUES (1);"),
            Migration(2, "002_b.sql", "INSERT INTO t VALUES (2);"),
        ]
        a, b = yield defer.gatherResults([migrate(db1, slow), migrate(db2, slow)])
        self.assertEqual(sorted(a + b), [1, 2])
        rows = yield db1.runQuery("SELECT n FROM t ORDER BY n")
        self.assertEqual(rows, [(1,), (2,)])

    @defer.inlineCallbacks
    def test_failed_migration_leaves_nothing(self):
        db = yield make_test_database(self, migrated=False)
        broken = [Migration(1, "001_x.sql", "CREATE TABLE half (n int); SELECT * FROM missing_table;")]
        yield self.assertFailure(migrate(db, broken), Exception)
        rows = yield db.runQuery("SELECT to_regclass('half') IS NULL")
        self.assertEqual(rows, [(True,)])
        # the version table was created in the same transaction, so it is gone too
        rows = yield db.runQuery("SELECT to_regclass('schema_migrations') IS NULL")
        self.assertEqual(rows, [(True,)])
