# -*- test-case-name: tests.store.test_keys -*-
"""Organizations: the tenants every other row belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import attrs
from twisted.internet import defer

from voicedock.store.pool import Database


@attrs.frozen
class Organization:
    """A tenant: every API key, assistant, number, trunk and call belongs to one."""

    id: uuid.UUID
    name: str
    created_at: datetime


def _row(row: tuple[Any, ...]) -> Organization:
    return Organization(uuid.UUID(str(row[0])), row[1], row[2])


@defer.inlineCallbacks
def get_or_create(cursor: Any, name: str) -> Any:
    """Inside a transaction: the organization called ``name``, created if missing."""
    yield cursor.execute(
        "INSERT INTO organizations (id, name) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
        (str(uuid.uuid4()), name),
    )
    yield cursor.execute("SELECT id, name, created_at FROM organizations WHERE name = %s", (name,))
    return _row(cursor.fetchone())


@defer.inlineCallbacks
def get(db: Database, organization_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        "SELECT id, name, created_at FROM organizations WHERE id = %s", (str(organization_id),)
    )
    return _row(rows[0]) if rows else None
