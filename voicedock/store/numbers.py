# -*- test-case-name: tests.api.test_numbers -*-
"""
Phone numbers: the registered E.164 numbers of an organization, each routed to an
assistant and optionally given a trunk for transfers.

A number is unique across the whole server (one number routes to one organization).
References stay inside the organization: the composite foreign keys of the schema refuse
another organization's assistant or trunk, which we report as :class:`UnknownReference`.
Every write is one SQL statement that also reads back the joined names.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Mapping

import attrs
import psycopg2.errors
from twisted.internet import defer

from voicedock.store.pool import Database

WRITABLE = ("phone_number", "name", "assistant_id", "transfer_trunk_id", "is_active")


class DuplicateNumber(Exception):
    """The phone number is already registered (by this or another organization)."""


class UnknownReference(Exception):
    """A referenced assistant or trunk does not exist in the organization."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@attrs.frozen
class PhoneNumber:
    """A registered number with the names of what it points at (ids as canonical strings)."""

    id: str
    organization_id: str
    phone_number: str
    name: str | None
    assistant_id: str | None
    assistant_name: str | None
    business_name: str | None
    transfer_trunk_id: str | None
    transfer_trunk_name: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


_SELECT = (
    "SELECT n.id, n.organization_id, n.phone_number, n.name, n.assistant_id, a.name,"
    " a.config->>'business_name', n.transfer_trunk_id, t.name, n.is_active, n.created_at,"
    " n.updated_at FROM {source} n"
    " LEFT JOIN assistants a ON a.id = n.assistant_id"
    " LEFT JOIN sip_trunks t ON t.id = n.transfer_trunk_id"
)


def _row(row: tuple[Any, ...]) -> PhoneNumber:
    return PhoneNumber(
        id=row[0],
        organization_id=row[1],
        phone_number=row[2],
        name=row[3],
        assistant_id=row[4],
        assistant_name=row[5],
        business_name=row[6],
        transfer_trunk_id=row[7],
        transfer_trunk_name=row[8],
        is_active=row[9],
        created_at=row[10],
        updated_at=row[11],
    )


def _param(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _translate_integrity(failure: Any) -> Any:
    error = failure.value
    if isinstance(error, psycopg2.errors.UniqueViolation):
        raise DuplicateNumber()
    if isinstance(error, psycopg2.errors.ForeignKeyViolation):
        constraint = error.diag.constraint_name or ""
        if "assistant" in constraint:
            raise UnknownReference("assistant_id")
        if "trunk" in constraint:
            raise UnknownReference("transfer_trunk_id")
    return failure


@defer.inlineCallbacks
def list_numbers(db: Database, organization_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        _SELECT.format(source="phone_numbers") + " WHERE n.organization_id = %s"
        " ORDER BY n.created_at, n.id",
        (str(organization_id),),
    )
    return [_row(r) for r in rows]


@defer.inlineCallbacks
def get_number(db: Database, organization_id: uuid.UUID, number_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        _SELECT.format(source="phone_numbers") + " WHERE n.id = %s AND n.organization_id = %s",
        (str(number_id), str(organization_id)),
    )
    return _row(rows[0]) if rows else None


@defer.inlineCallbacks
def create_number(db: Database, organization_id: uuid.UUID, fields: Mapping[str, Any]) -> Any:
    """Register a number; ``fields`` are validated values of :data:`WRITABLE`."""
    columns = [c for c in WRITABLE if c in fields]
    values = [str(uuid.uuid4()), str(organization_id)] + [_param(fields[c]) for c in columns]
    placeholders = ", ".join(["%s"] * len(values))
    sql = (
        f"WITH inserted AS (INSERT INTO phone_numbers (id, organization_id, {', '.join(columns)})"
        f" VALUES ({placeholders}) RETURNING *) "
        + _SELECT.format(source="inserted")
    )
    rows = yield db.runQuery(sql, values).addErrback(_translate_integrity)
    return _row(rows[0])


@defer.inlineCallbacks
def update_number(
    db: Database, organization_id: uuid.UUID, number_id: uuid.UUID, changes: Mapping[str, Any]
) -> Any:
    """Apply ``changes`` (validated values of :data:`WRITABLE`); None if no such number."""
    columns = [c for c in WRITABLE if c in changes]
    if not columns:
        return (yield get_number(db, organization_id, number_id))
    assignments = ", ".join(f"{c} = %s" for c in columns)
    sql = (
        f"WITH updated AS (UPDATE phone_numbers SET {assignments}, updated_at = now()"
        " WHERE id = %s AND organization_id = %s RETURNING *) "
        + _SELECT.format(source="updated")
    )
    values = [_param(changes[c]) for c in columns] + [str(number_id), str(organization_id)]
    rows = yield db.runQuery(sql, values).addErrback(_translate_integrity)
    return _row(rows[0]) if rows else None


@defer.inlineCallbacks
def delete_number(db: Database, organization_id: uuid.UUID, number_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        "DELETE FROM phone_numbers WHERE id = %s AND organization_id = %s RETURNING id",
        (str(number_id), str(organization_id)),
    )
    return bool(rows)


@defer.inlineCallbacks
def count_active(db: Database, organization_id: uuid.UUID) -> Any:
    rows = yield db.runQuery(
        "SELECT count(*) FROM phone_numbers WHERE organization_id = %s AND is_active",
        (str(organization_id),),
    )
    return int(rows[0][0])
