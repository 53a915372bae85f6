# -*- test-case-name: tests.store.test_migrate -*-
"""
Schema migrations: numbered plain ``.sql`` files in ``voicedock/store/migrations/``, applied
in order at start-up and recorded in ``schema_migrations``.

Each file runs in its own transaction that first takes a transaction-level advisory lock
(``pg_advisory_xact_lock``; a session lock taken through a pool would land on an arbitrary
connection and outlive the transaction). Two processes starting at once therefore apply each
migration exactly once: the second waits for the lock, then sees the version recorded.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import attrs
from twisted.internet import defer
from twisted.logger import Logger

from voicedock.store.pool import Database

log = Logger(namespace="voicedock.store")

# An arbitrary constant naming "VoiceDock schema changes" among advisory locks.
MIGRATION_LOCK = 0x566F_6963_6544_6B01 & 0x7FFF_FFFF_FFFF_FFFF
_NAME = re.compile(r"^(\d{3,})_[a-z0-9_]+\.sql$")


@attrs.frozen
class Migration:
    """One schema change: its version number, file name and SQL text."""

    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in the package, in version order (gaps or repeats refused)."""
    found = []
    for entry in resources.files("voicedock.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, m in enumerate(found, start=1):
        if m.version != expected:
            raise RuntimeError(f"migration {m.name}: expected version {expected:03d}")
    return found


@defer.inlineCallbacks
def _apply(cursor: Any, migration: Migration) -> Any:
    # txpostgres cursors are asynchronous: every execute() is a Deferred.
    yield cursor.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    yield cursor.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    yield cursor.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (migration.version,))
    if cursor.fetchone():
        return False
    yield cursor.execute(migration.sql)
    yield cursor.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
        (migration.version, migration.name),
    )
    return True


@defer.inlineCallbacks
def migrate(db: Database, migrations: list[Migration] | None = None) -> Any:
    """Apply every migration not yet recorded; fires with the list of versions applied."""
    if migrations is None:
        migrations = bundled_migrations()
    applied = []
    for m in migrations:
        if (yield db.runInteraction(_apply, m)):
            log.info("applied database migration {name}", name=m.name)
            applied.append(m.version)
    return applied
