# -*- test-case-name: tests.store.test_keys -*-
"""
API keys: ``vd_live_`` followed by 32 random url-safe characters, shown once when created
and stored only as their SHA-256 hash. A key belongs to exactly one organization.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any

import attrs
from twisted.internet import defer

from voicedock.store import organizations
from voicedock.store.pool import Database

KEY_PREFIX = "vd_live_"
_RANDOM_CHARS = 32
_SHOWN_PREFIX = len(KEY_PREFIX) + 6


@attrs.frozen
class ApiKey:
    """A stored key (never its plaintext): what `voicedock keys list` shows."""

    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    prefix: str
    name: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@attrs.frozen
class Principal:
    """Who an authenticated request acts for."""

    key_id: uuid.UUID
    organization_id: uuid.UUID


def new_plaintext_key() -> str:
    while True:
        token = secrets.token_urlsafe(_RANDOM_CHARS)[:_RANDOM_CHARS]
        if len(token) == _RANDOM_CHARS:
            return KEY_PREFIX + token


def hash_key(plaintext: str) -> bytes:
    return hashlib.sha256(plaintext.encode("utf-8")).digest()


def looks_like_key(text: str) -> bool:
    return text.startswith(KEY_PREFIX) and len(text) >= len(KEY_PREFIX) + _RANDOM_CHARS


_SELECT = (
    "SELECT k.id, k.organization_id, o.name, k.prefix, k.name, k.created_at,"
    " k.last_used_at, k.revoked_at FROM api_keys k JOIN organizations o"
    " ON o.id = k.organization_id"
)


def _row(row: tuple[Any, ...]) -> ApiKey:
    return ApiKey(uuid.UUID(str(row[0])), uuid.UUID(str(row[1])), *row[2:])


@defer.inlineCallbacks
def insert_key(cursor: Any, organization_id: uuid.UUID, name: str | None = None) -> Any:
    """Inside a transaction: store a new key for the organization; fires (id, plaintext)."""
    plaintext = new_plaintext_key()
    key_id = uuid.uuid4()
    yield cursor.execute(
        "INSERT INTO api_keys (id, organization_id, key_hash, prefix, name)"
        " VALUES (%s, %s, %s, %s, %s)",
        (str(key_id), str(organization_id), hash_key(plaintext), plaintext[:_SHOWN_PREFIX], name),
    )
    return key_id, plaintext


def create_key(db: Database, organization_name: str, name: str | None = None) -> defer.Deferred[tuple[uuid.UUID, str]]:
    """Create a key for the named organization (created if missing); fires with (id, plaintext)."""

    @defer.inlineCallbacks
    def interaction(cursor: Any) -> Any:
        org = yield organizations.get_or_create(cursor, organization_name)
        return (yield insert_key(cursor, org.id, name))

    return db.runInteraction(interaction)


@defer.inlineCallbacks
def list_keys(db: Database) -> Any:
    rows = yield db.runQuery(_SELECT + " ORDER BY k.created_at, k.id")
    return [_row(r) for r in rows]


@defer.inlineCallbacks
def revoke_key(db: Database, key_id: uuid.UUID) -> Any:
    """Revoke a key; fires True if it was active, False if unknown or already revoked."""
    rows = yield db.runQuery(
        "UPDATE api_keys SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL RETURNING id",
        (str(key_id),),
    )
    return bool(rows)


@defer.inlineCallbacks
def authenticate(db: Database, plaintext: str) -> Any:
    """The principal for an active key, or None for an unknown or revoked key."""
    if not looks_like_key(plaintext):
        return None
    rows = yield db.runQuery(
        "SELECT id, organization_id FROM api_keys WHERE key_hash = %s AND revoked_at IS NULL",
        (hash_key(plaintext),),
    )
    if not rows:
        return None
    return Principal(uuid.UUID(str(rows[0][0])), uuid.UUID(str(rows[0][1])))


BOOTSTRAP_ORGANIZATION = "default"


def bootstrap_if_empty(db: Database) -> defer.Deferred[str | None]:
    """
    On first start (no key at all): create the default organization and a key for it,
    atomically; fires with the plaintext, or None when keys already exist.
    """

    @defer.inlineCallbacks
    def interaction(cursor: Any) -> Any:
        # Two servers starting together on one database must not both bootstrap.
        yield cursor.execute("SELECT pg_advisory_xact_lock(%s)", (0x566F_6963_6544_6B02,))
        yield cursor.execute("SELECT 1 FROM api_keys LIMIT 1")
        if cursor.fetchone():
            return None
        org = yield organizations.get_or_create(cursor, BOOTSTRAP_ORGANIZATION)
        _, plaintext = yield insert_key(cursor, org.id, "bootstrap")
        return plaintext

    return db.runInteraction(interaction)
