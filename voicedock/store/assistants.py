# -*- test-case-name: tests.api.test_assistants -*-
"""
Assistants: ``name`` and ``is_active`` as columns (routing reads them), every other
documented field in ``config`` (jsonb, as validated by the API), and the webhook secret
sealed in ``webhook_secret_ciphertext`` (never selected for the API).

Updates run read-modify-write in one transaction holding the row lock, so a PATCH that
must check the merged result (cross-field rules) sees the row it replaces.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Callable, Mapping

import attrs
from psycopg2.extras import Json
from twisted.internet import defer

from voicedock.store.pool import Database

TABLE = "assistants"
SECRET_COLUMN = "webhook_secret_ciphertext"


@attrs.frozen
class StoredAssistant:
    """An assistant row: ``has_webhook_secret`` instead of the secret (ids as strings)."""

    id: str
    organization_id: str
    name: str
    is_active: bool
    config: Mapping[str, Any]
    has_webhook_secret: bool
    created_at: datetime
    updated_at: datetime


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


@attrs.frozen
class AssistantChanges:
    """A new state for the mutable parts of a row; ``UNCHANGED`` leaves a part alone."""

    name: Any = UNCHANGED
    is_active: Any = UNCHANGED
    config: Any = UNCHANGED  # the whole new config
    webhook_secret_ciphertext: Any = UNCHANGED  # bytes, or None to clear


_COLUMNS = (
    "id, organization_id, name, is_active, config, webhook_secret_ciphertext IS NOT NULL,"
    " created_at, updated_at"
)


def _row(row: tuple[Any, ...]) -> StoredAssistant:
    return StoredAssistant(
        id=row[0],
        organization_id=row[1],
        name=row[2],
        is_active=row[3],
        config=row[4] or {},
        has_webhook_secret=row[5],
        created_at=row[6],
        updated_at=row[7],
    )


@defer.inlineCallbacks
def list_assistants(db: Database, organization_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        f"SELECT {_COLUMNS} FROM assistants WHERE organization_id = %s ORDER BY created_at, id",
        (str(organization_id),),
    )
    return [_row(r) for r in rows]


@defer.inlineCallbacks
def get_assistant(db: Database, organization_id: uuid.UUID, assistant_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        f"SELECT {_COLUMNS} FROM assistants WHERE id = %s AND organization_id = %s",
        (str(assistant_id), str(organization_id)),
    )
    return _row(rows[0]) if rows else None


@defer.inlineCallbacks
def create_assistant(
    db: Database,
    organization_id: uuid.UUID,
    assistant_id: uuid.UUID,
    name: str,
    is_active: bool,
    config: Mapping[str, Any],
    webhook_secret_ciphertext: bytes | None,
) -> Any:
    rows = yield db.runQuery(
        "INSERT INTO assistants (id, organization_id, name, is_active, config,"
        f" webhook_secret_ciphertext) VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
        (str(assistant_id), str(organization_id), name, is_active, Json(dict(config)),
         webhook_secret_ciphertext),
    )
    return _row(rows[0])


def update_assistant(
    db: Database,
    organization_id: uuid.UUID,
    assistant_id: uuid.UUID,
    mutate: Callable[[StoredAssistant], AssistantChanges],
) -> defer.Deferred[StoredAssistant | None]:
    """
    Lock the row, call ``mutate(current)`` for the changes (it may raise to refuse them;
    nothing is written then) and write them; fires with the new row, or None if there is
    no such assistant.
    """

    @defer.inlineCallbacks
    def interaction(cursor: Any) -> Any:
        yield cursor.execute(
            f"SELECT {_COLUMNS} FROM assistants WHERE id = %s AND organization_id = %s FOR UPDATE",
            (str(assistant_id), str(organization_id)),
        )
        found = cursor.fetchone()
        if found is None:
            return None
        current = _row(found)
        changes = mutate(current)
        assignments, values = [], []
        for column in ("name", "is_active", "config", "webhook_secret_ciphertext"):
            value = getattr(changes, column)
            if value is UNCHANGED:
                continue
            assignments.append(f"{column} = %s")
            values.append(Json(dict(value)) if column == "config" else value)
        if not assignments:
            return current
        yield cursor.execute(
            f"UPDATE assistants SET {', '.join(assignments)}, updated_at = now()"
            f" WHERE id = %s RETURNING {_COLUMNS}",
            values + [str(assistant_id)],
        )
        return _row(cursor.fetchone())

    return db.runInteraction(interaction)


@defer.inlineCallbacks
def delete_assistant(db: Database, organization_id: uuid.UUID, assistant_id: uuid.UUID) -> Any:
    """Delete an assistant; its numbers keep existing with ``assistant_id`` null."""
    rows = yield db.runQuery(
        "DELETE FROM assistants WHERE id = %s AND organization_id = %s RETURNING id",
        (str(assistant_id), str(organization_id)),
    )
    return bool(rows)


@defer.inlineCallbacks
def count_active(db: Database, organization_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        "SELECT count(*) FROM assistants WHERE organization_id = %s AND is_active",
        (str(organization_id),),
    )
    return int(rows[0][0])
